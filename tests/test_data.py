"""poslib.data: shipped photos, crops, the paper's synthetic inputs, the shapes task, data-set folders."""
from __future__ import annotations

import pytest
import torch

from poslib import config, data


def test_train_and_test_photos_are_disjoint():
    assert not set(data.TRAIN_PHOTOS) & set(data.TEST_PHOTOS)
    assert len(set(data.TRAIN_PHOTOS)) == len(data.TRAIN_PHOTOS)
    assert len(set(data.TEST_PHOTOS)) == len(data.TEST_PHOTOS)


@pytest.mark.parametrize("split, names", [("train", data.TRAIN_PHOTOS), ("test", data.TEST_PHOTOS)])
def test_photos_are_rgb_floats_with_short_side_at_most_256(split, names):
    imgs = data.photos(split)
    assert len(imgs) == len(names)
    for name, img in zip(names, imgs):
        assert img.dtype == torch.float32 and img.dim() == 3 and img.shape[0] == 3, name
        assert min(img.shape[-2:]) <= data.MAX_PHOTO_SIDE, name
        assert min(img.shape[-2:]) >= 64, name
        assert float(img.min()) >= 0.0 and float(img.max()) <= 1.0, name
        assert float(img.std()) > 0.02, name  # a real picture, not a blank
        assert img is data.photo(name)  # cached


def test_photo_unknown_lists_photos():
    with pytest.raises(ValueError, match="unknown photo 'lena'.*astronaut"):
        data.photo("lena")


@pytest.mark.parametrize("split", ["val", "Train", ""])
def test_photos_unknown_split(split):
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.photos(split)


@pytest.fixture(scope="module")
def few_photos():
    return [data.photo("coins"), data.photo("astronaut")]


def test_random_crops_shape_and_range(few_photos):
    crops = data.random_crops(few_photos, 5, 24, seed=0)
    assert crops.shape == (5, 3, 24, 24) and crops.dtype == torch.float32
    assert float(crops.min()) >= 0 and float(crops.max()) <= 1


def test_random_crops_deterministic_under_seed(few_photos):
    a = data.random_crops(few_photos, 4, 16, seed=3)
    b = data.random_crops(few_photos, 4, 16, seed=3)
    c = data.random_crops(few_photos, 4, 16, seed=4)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    # each crop is different from the others
    assert all(not torch.equal(a[i], a[j]) for i in range(4) for j in range(i + 1, 4))


def test_random_crops_without_augment_are_not_flipped():
    img = torch.rand(3, 16, 24, generator=torch.Generator().manual_seed(0))
    windows = [img[:, :, x: x + 16] for x in range(24 - 16 + 1)]
    plain = data.random_crops([img], 6, 16, seed=0, augment=False, min_scale=1.0)
    for crop in plain:  # a full-height square window of the image, not mirrored
        assert min(float((crop - w).abs().max()) for w in windows) < 1e-5
    flipped = data.random_crops([img], 6, 16, seed=0, augment=True, min_scale=1.0)
    mirrored = [any(float((crop - w.flip(-1)).abs().max()) < 1e-5 for w in windows) for crop in flipped]
    assert any(mirrored)  # augmentation flips some crops left-right


def test_random_crops_zero_and_bad_args(few_photos):
    assert data.random_crops(few_photos, 0, 16, seed=0).shape == (0, 3, 16, 16)
    with pytest.raises(ValueError, match="n >= 0 crops of size >= 8"):
        data.random_crops(few_photos, -1, 16, seed=0)
    with pytest.raises(ValueError, match="size >= 8"):
        data.random_crops(few_photos, 2, 4, seed=0)


@pytest.mark.parametrize("split", ["train", "test"])
def test_natural_crops(split):
    a = data.natural_crops(split, 3, 16, seed=1)
    assert a.shape == (3, 3, 16, 16)
    assert torch.equal(a, data.natural_crops(split, 3, 16, seed=1))
    assert not torch.equal(a, data.natural_crops(split, 3, 16, seed=2))


def test_natural_crops_use_the_split_photos():
    expected = data.random_crops(data.photos("test"), 2, 16, seed=5, augment=False, min_scale=0.5)
    assert torch.equal(data.natural_crops("test", 2, 16, seed=5), expected)


def test_natural_crops_bad_split():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.natural_crops("valid", 2, 16)


@pytest.mark.parametrize("size", [16, 33])
def test_synthetic_inputs(size):
    s = data.synthetic_inputs(size)
    assert set(s) == {"black", "white", "noise"}
    for name, img in s.items():
        assert img.shape == (1, 3, size, size), name
        assert img.dtype == torch.float32
    assert torch.equal(s["black"], torch.zeros(1, 3, size, size))
    assert torch.equal(s["white"], torch.ones(1, 3, size, size))
    noise = s["noise"]
    assert float(noise.mean()) < 0.25  # the authors' noise image is dark
    assert float(noise.max() - noise.min()) > 0.01  # not constant
    assert float(noise.min()) >= 0 and float(noise.max()) <= 1


def test_readout_sets_shapes_and_keys():
    train, test = data.readout_sets(0, 5, 3, 16)
    assert train.shape == (5, 3, 16, 16) and train.dtype == torch.float32
    assert set(test) == {"natural", "black", "white", "noise"}
    assert test["natural"].shape == (3, 3, 16, 16)
    for name in ("black", "white", "noise"):
        assert test[name].shape == (1, 3, 16, 16), name
        assert torch.equal(test[name], data.synthetic_inputs(16)[name])
    assert 0 <= float(train.min()) and float(train.max()) <= 1


def test_readout_sets_come_from_the_seeds_streams():
    train, test = data.readout_sets(3, 4, 2, 16)
    assert torch.equal(train, data.natural_crops("train", 4, 16, seed=config.stream(3, 0)))
    assert torch.equal(test["natural"], data.natural_crops("test", 2, 16, seed=config.stream(3, 1)))
    # seed 0's streams are the old fixed seeds 0 (train) and 1 (test)
    train0, test0 = data.readout_sets(0, 4, 2, 16)
    assert torch.equal(train0, data.natural_crops("train", 4, 16, seed=0))
    assert torch.equal(test0["natural"], data.natural_crops("test", 2, 16, seed=1))


def test_readout_sets_differ_between_seeds_and_repeat_within_one():
    a_train, a_test = data.readout_sets(1, 4, 3, 16)
    b_train, b_test = data.readout_sets(1, 4, 3, 16)
    c_train, c_test = data.readout_sets(2, 4, 3, 16)
    assert torch.equal(a_train, b_train) and torch.equal(a_test["natural"], b_test["natural"])
    assert not torch.equal(a_train, c_train) and not torch.equal(a_test["natural"], c_test["natural"])
    assert torch.equal(a_test["noise"], c_test["noise"])  # the featureless inputs do not depend on the seed


def test_shapes_deterministic_and_balanced():
    x, y = data.shapes(20, 24, seed=0)
    assert x.shape == (20, 3, 24, 24) and y.shape == (20,)
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    counts = torch.bincount(y, minlength=len(data.SHAPE_CLASSES))
    assert counts.tolist() == [2] * len(data.SHAPE_CLASSES)
    x2, y2 = data.shapes(20, 24, seed=0)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    x3, y3 = data.shapes(20, 24, seed=1)
    assert not torch.equal(x, x3)
    assert not torch.equal(y, y3)  # labels are shuffled by the seed too


def test_shapes_draw_on_the_seeded_background_crops():
    n, size, seed = 10, 32, 11
    x, y = data.shapes(n, size, seed=seed)
    bg = data.random_crops(data.photos("train"), n, size, seed=seed + 7919)
    changed = (x != bg).any(dim=1)  # (n, size, size): pixels the shape painted
    frac = changed.flatten(1).float().mean(1)
    assert (frac > 0.005).all(), frac  # every image carries a shape
    assert (frac < 0.5).all(), frac  # on a background that is still visible
    # the painted pixels are one flat colour per image
    for i in range(n):
        painted = x[i][:, changed[i]]
        assert float((painted - painted[:, :1]).abs().max()) == 0.0
    # and the shape stays inside the image: the outer 1-px frame is (nearly) untouched
    frame = changed.clone()
    frame[:, 1:-1, 1:-1] = False
    assert int(frame.sum()) <= n * 2


def test_shapes_test_backgrounds():
    x, _ = data.shapes(10, 24, seed=0, backgrounds="test")
    bg = data.random_crops(data.photos("test"), 10, 24, seed=7919)
    assert (x != bg).any()
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.shapes(10, 24, seed=0, backgrounds="val")
