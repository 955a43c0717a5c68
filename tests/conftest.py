"""Fixtures shared by the ``poslib`` unit tests.

The test environment (profile, cache folder, progress bars, CPU threads) is set in one place, the repository's root
``conftest.py``, before this file is imported.
"""
from __future__ import annotations

import pytest
import torch

from poslib import config


def pytest_addoption(parser, pluginmanager):
    """Accept pyproject's nbval options when nbval is switched off (``-p no:nbval``).

    ``pyproject.toml`` puts ``--nbval-lax --nbval-current-env --nbval-cell-timeout=600`` in ``addopts``;
    without the nbval plugin pytest would reject them. When nbval is loaded it owns them and this does nothing.
    """
    if pluginmanager.has_plugin("nbval"):
        return
    group = parser.getgroup("nbval (stand-in)", "accepted and ignored because nbval is disabled")
    group.addoption("--nbval-lax", action="store_true", default=False, help="ignored: nbval is disabled")
    group.addoption("--nbval-current-env", action="store_true", default=False, help="ignored: nbval is disabled")
    group.addoption("--nbval-cell-timeout", default=None, help="ignored: nbval is disabled")


@pytest.fixture
def path_tol():
    """A tolerance for two computations of one quantity that may round differently, on the active numeric path.

    ``path_tol(fp32, scale=1.0)`` is the test's own tolerance ``fp32`` on the float32 path; under bfloat16
    autocast, where every layer's output is rounded to 8 significant bits, it is one unit of bfloat16's
    epsilon at the values' ``scale`` (never tighter than ``fp32``). A test of code, not of numerics, should
    compare like with like (both sides on the path) instead of widening its tolerance.
    """
    def tol(fp32: float, scale: float = 1.0) -> float:
        if config.precision() == "fp32":
            return fp32
        return max(fp32, config.eps() * float(scale))
    return tol


@pytest.fixture
def restore_determinism():
    """Undo ``config.seed_everything``'s global switch to deterministic algorithms after a test."""
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    bench = torch.backends.cudnn.benchmark
    det = torch.backends.cudnn.deterministic
    yield
    torch.use_deterministic_algorithms(enabled, warn_only=warn_only)
    torch.backends.cudnn.benchmark = bench
    torch.backends.cudnn.deterministic = det


@pytest.fixture
def tiny_profile(monkeypatch):
    """A smoke profile whose backbones and readouts are small enough to train in a few seconds on a laptop
    CPU: the smoke entries of ``train.SIZES`` and ``posenet.SIZES`` are shrunk for the test."""
    from poslib import config, posenet, train

    monkeypatch.setitem(train.SIZES, "smoke", train.BackboneSizes(images=64, epochs=1, test=40))
    monkeypatch.setitem(posenet.SIZES, "smoke", posenet.ReadoutSizes(train=16, test=8, epochs=1))
    return config.Profile(name="smoke")
