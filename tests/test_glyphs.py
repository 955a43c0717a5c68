"""poslib.glyphs: Chapter 3's class-labelled patches (digits over photo crops) and their shared checks."""
from __future__ import annotations

import pytest
import torch

from poslib import data, glyphs


# ---------------------------------------------------------------------------------------------- patches

@pytest.mark.parametrize("size", [16, 32])
def test_patches_shape_range_and_exact_balance(size):
    x, y = glyphs.patches(50, size, seed=0)
    assert x.shape == (50, 3, size, size) and x.dtype == torch.float32
    assert y.shape == (50,) and y.dtype == torch.int64
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    assert torch.bincount(y, minlength=10).tolist() == [5] * 10
    assert not torch.equal(y, torch.arange(50) % 10)  # shuffled


@pytest.mark.parametrize("n", [1, 7, 23])
def test_patches_balance_when_n_is_not_a_multiple_of_ten(n):
    counts = torch.bincount(glyphs.patches(n, 16, seed=1)[1], minlength=10)
    assert int(counts.sum()) == n and int(counts.max() - counts.min()) <= 1


def test_patches_deterministic_under_seed():
    a, la = glyphs.patches(20, 16, seed=3)
    b, lb = glyphs.patches(20, 16, seed=3)
    c, lc = glyphs.patches(20, 16, seed=4)
    assert torch.equal(a, b) and torch.equal(la, lb)
    assert not torch.equal(a, c) and not torch.equal(la, lc)


def test_patches_are_all_different_and_the_glyph_shows():
    x, _ = glyphs.patches(40, 16, seed=0)
    flat = x.flatten(1)
    assert torch.cdist(flat, flat).add(torch.eye(40) * 1e3).min() > 0.5
    assert bool((x.std(dim=(1, 2, 3)) > 0.05).all())  # not blank


def test_train_and_test_splits_share_no_glyph_and_no_photo():
    _, train_pool, train_counts = glyphs._glyph_bank("train")
    _, test_pool, test_counts = glyphs._glyph_bank("test")
    tr = {int(i) for c in range(10) for i in train_pool[c, : train_counts[c]]}
    te = {int(i) for c in range(10) for i in test_pool[c, : test_counts[c]]}
    assert not tr & te and len(tr | te) == 1797
    assert 0.65 < len(tr) / 1797 < 0.75
    assert len(glyphs._texture_bank("train", 16)) == len(data.TRAIN_PHOTOS)
    assert len(glyphs._texture_bank("test", 16)) == len(data.TEST_PHOTOS)
    a, la = glyphs.patches(20, 16, seed=0, split="train")
    b, lb = glyphs.patches(20, 16, seed=0, split="test")
    assert not torch.equal(a, b) and not torch.equal(la, lb)


def test_a_linear_classifier_on_raw_pixels_does_not_solve_patches():
    from sklearn.linear_model import RidgeClassifier

    xtr, ytr = glyphs.patches(1000, 16, seed=0, split="train")
    xte, yte = glyphs.patches(300, 16, seed=0, split="test")
    clf = RidgeClassifier(alpha=100.0).fit(xtr.flatten(1).numpy(), ytr.numpy())
    assert clf.score(xte.flatten(1).numpy(), yte.numpy()) < 0.35  # chance is 0.1; a small CNN gets > 0.8


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=0), "n must be an integer >= 1"),
    (dict(n=2.5), "n must be an integer >= 1"),
    (dict(n=4, size=4), "size must be an integer >= 8"),
    (dict(n=4, split="val"), "'train' or 'test'"),
])
def test_patches_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        glyphs.patches(**kwargs)
