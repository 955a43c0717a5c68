"""Fixtures shared by the ``poslib`` unit tests.

The test environment (profile, cache folder, progress bars) is set in one place, the repository's root
``conftest.py``, before this file is imported.
"""
from __future__ import annotations

import pytest
import torch

torch.set_num_threads(2)


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
def tiny_profile():
    """A profile small enough to train a backbone and a readout in a few seconds on a laptop CPU."""
    from poslib.config import Profile

    return Profile(name="smoke", backbone_images=64, backbone_epochs=1, backbone_test=40, readout_train=16,
                   readout_test=8, readout_epochs=1)
