"""poslib.targets: the five position maps, checked by construction and against the authors' PNGs."""
from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch

from poslib import targets
from poslib.data import ASSETS

OFFICIAL = ASSETS / "official"

FILES = {"H": "gt_hor", "V": "gt_ver", "G": "gt_gau", "HS": "gt_horstp", "VS": "gt_verstp"}


def _official(name: str, size: int | None = None) -> np.ndarray:
    """The authors' PNG as float64 in [0, 1] (min-max), optionally resized with PIL bilinear first."""
    from PIL import Image

    path = os.path.join(OFFICIAL, f"{FILES[name]}.png")
    if not os.path.exists(path):
        pytest.skip(f"official map {path} is not shipped")
    im = Image.open(path).convert("L")
    if size is not None:
        im = im.resize((size, size), Image.BILINEAR)
    a = np.asarray(im, dtype=np.float64)
    return (a - a.min()) / (a.max() - a.min())


@pytest.mark.parametrize("name", targets.NAMES)
@pytest.mark.parametrize("size, hw", [(16, (16, 16)), ((12, 20), (12, 20)), ([7, 5], (7, 5))])
def test_make_dtype_shape_range(name, size, hw):
    m = targets.make(name, size)
    assert m.dtype == torch.float32
    assert tuple(m.shape) == hw
    assert m.is_contiguous()
    assert float(m.min()) == pytest.approx(0.0, abs=1e-6)
    assert float(m.max()) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("name", [n for n in targets.NAMES if n != "G"])
@pytest.mark.parametrize("size", [2, (2, 3), (3, 2)])
def test_make_smallest_sizes_are_finite(name, size):
    m = targets.make(name, size)
    assert torch.isfinite(m).all()
    assert float(m.min()) == 0.0 and float(m.max()) == pytest.approx(1.0)


def test_g_at_2x2_is_finite():
    assert torch.isfinite(targets.make("G", 2)).all()


def test_h_is_left_to_right_ramp():
    m = targets.make("H", (6, 11))
    expected = torch.linspace(0, 1, 11)
    for row in m:
        assert torch.allclose(row, expected, atol=1e-6)
    assert float(m[0, 0]) == 0.0 and float(m[0, -1]) == 1.0


def test_v_is_top_to_bottom_ramp():
    m = targets.make("V", (11, 6))
    expected = torch.linspace(0, 1, 11)
    for col in m.T:
        assert torch.allclose(col, expected, atol=1e-6)


@pytest.mark.parametrize("size", [9, 32])
def test_v_is_h_transposed_when_square(size):
    assert torch.equal(targets.make("V", size), targets.make("H", size).T)


def test_g_max_at_centre_min_at_corners():
    g = targets.make("G", 33)
    assert float(g[16, 16]) == pytest.approx(1.0)
    corners = [g[0, 0], g[0, -1], g[-1, 0], g[-1, -1]]
    for c in corners:
        assert float(c) == pytest.approx(0.0, abs=1e-6)
    assert torch.equal(g, g.T) and torch.equal(g, g.flip(0)) and torch.equal(g, g.flip(1))


def test_g_sigma_is_half_the_width():
    w = 256
    g = targets.make("G", w)
    sigma = w / 2
    raw_edge = math.exp(-(((w - 1) / 2) ** 2) / (2 * sigma**2))
    raw_corner = raw_edge**2
    expected = (raw_edge - raw_corner) / (1 - raw_corner)
    assert expected == pytest.approx(0.376, abs=0.01)
    mid = w // 2
    for v in (g[0, mid], g[mid, 0], g[-1, mid], g[mid, -1]):
        assert float(v) == pytest.approx(expected, abs=0.01)


def test_hs_brightest_at_top_with_two_and_a_half_periods():
    hs = targets.make("HS", 256)
    col = hs[:, 100].double().numpy()
    assert col[0] > 0.99  # the top row is (all but) the brightest
    assert col[0] > col[1]  # and a maximum: the map falls away from it
    assert col[-1] < 0.01  # 2.5 periods end on a trough
    crossings = np.count_nonzero(np.diff(np.sign(col - 0.5)) != 0)
    assert crossings == 5
    # constant along x
    assert torch.equal(hs, hs[:, :1].expand_as(hs))


@pytest.mark.parametrize("size", [10, 64])
def test_vs_is_hs_transposed(size):
    assert torch.equal(targets.make("VS", size), targets.make("HS", size).T)


@pytest.mark.parametrize("name", targets.NAMES)
def test_matches_official_png_at_256(name):
    ref = _official(name)
    ours = targets.make(name, 256).double().numpy()
    diff = np.abs(ours - ref)
    assert diff.mean() < 1.5 / 255
    assert diff.max() < 5 / 255


@pytest.mark.parametrize("name", targets.NAMES)
def test_matches_authors_resized_pipeline_at_224(name):
    ref = _official(name, size=224)
    ours = targets.make(name, 224).double().numpy()
    assert np.abs(ours - ref).mean() < 2 / 255


def test_unknown_name_lists_names():
    with pytest.raises(ValueError, match="unknown target 'D'") as err:
        targets.make("D", 8)
    assert all(n in str(err.value) for n in targets.NAMES)


@pytest.mark.parametrize("size", [1, (1, 8), (8, 0), (3,), (2, 3, 4), "ab", 2.5, None])
def test_bad_size_is_value_error(size):
    with pytest.raises(ValueError, match="size|2x2"):
        targets.make("H", size)


def test_numpy_integer_size_accepted():
    assert targets.make("H", np.int64(8)).shape == (8, 8)


def test_stack_order_and_shape():
    s = targets.stack(["G", "H"], 12)
    assert s.shape == (2, 12, 12)
    assert torch.equal(s[0], targets.make("G", 12))
    assert torch.equal(s[1], targets.make("H", 12))


def test_stack_unknown_name():
    with pytest.raises(ValueError, match="HS"):
        targets.stack(["H", "X"], 8)


def test_long_names_cover_names():
    assert set(targets.LONG_NAMES) == set(targets.NAMES)
