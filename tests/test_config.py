"""poslib.config: profiles, device, seeding, cache folder, progress switch."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from poslib import config


def test_profile_name_defaults_to_book(monkeypatch):
    monkeypatch.delenv("POSLIB_PROFILE", raising=False)
    assert config.profile_name() == "book"
    assert config.get_profile().name == "book"


def test_profile_name_empty_is_default(monkeypatch):
    monkeypatch.setenv("POSLIB_PROFILE", "  ")
    assert config.profile_name() == "book"


@pytest.mark.parametrize("name", ["smoke", "book", "paper"])
@pytest.mark.parametrize("spelling", [str.lower, str.upper, str.title, lambda s: f" {s} "])
def test_profile_name_accepts_each_profile_case_insensitively(monkeypatch, name, spelling):
    monkeypatch.setenv("POSLIB_PROFILE", spelling(name))
    assert config.profile_name() == name
    assert config.get_profile().name == name


def test_profile_name_unknown_lists_profiles(monkeypatch):
    monkeypatch.setenv("POSLIB_PROFILE", "huge")
    with pytest.raises(ValueError, match="huge") as err:
        config.profile_name()
    for name in config.PROFILES:
        assert name in str(err.value)


@pytest.mark.parametrize("name", ["smoke", "book", "paper"])
def test_get_profile_by_name(name):
    p = config.get_profile(name)
    assert isinstance(p, config.Profile)
    assert p.name == name
    assert p.offline == (name != "paper")
    assert 0 < p.margins["clear"] < p.margins["large"]


def test_get_profile_unknown_lists_profiles():
    with pytest.raises(ValueError, match="nope") as err:
        config.get_profile("nope")
    assert all(n in str(err.value) for n in config.PROFILES)


def test_profiles_grow_from_smoke_to_paper():
    smoke, book, paper = (config.get_profile(n) for n in ("smoke", "book", "paper"))
    assert smoke.readout_train < book.readout_train < paper.readout_train
    assert smoke.backbone_images < book.backbone_images


def test_profile_is_frozen_and_keyword_built():
    p = config.Profile(name="smoke", backbone_images=64, backbone_epochs=1, readout_train=16, readout_test=8,
                       readout_epochs=1)
    assert p.backbone_images == 64 and p.image_size == 80
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.name = "book"  # type: ignore[misc]


def test_device_is_cpu_without_gpu():
    dev = config.device()
    assert isinstance(dev, torch.device)
    assert dev.type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_seed_everything_makes_torch_rand_reproducible(restore_determinism):
    config.seed_everything(123)
    a = torch.rand(5)
    config.seed_everything(123)
    b = torch.rand(5)
    config.seed_everything(124)
    c = torch.rand(5)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert torch.are_deterministic_algorithms_enabled()


def test_seed_everything_seeds_numpy_and_python(restore_determinism):
    import random

    import numpy as np

    config.seed_everything(7)
    a = (random.random(), np.random.rand())
    config.seed_everything(7)
    assert (random.random(), np.random.rand()) == a


def test_cache_dir_honours_env(monkeypatch, tmp_path):
    target = tmp_path / "nested" / "cache"
    monkeypatch.setenv("POSLIB_CACHE", str(target))
    assert config.cache_dir() == target
    assert target.is_dir()


def test_cache_dir_default_is_under_home(monkeypatch, tmp_path):
    monkeypatch.delenv("POSLIB_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config.cache_dir() == tmp_path / ".cache" / "poslib"


@pytest.mark.parametrize("value, enabled", [("0", False), ("1", True), (None, True)])
def test_progress_enabled(monkeypatch, value, enabled):
    if value is None:
        monkeypatch.delenv("POSLIB_PROGRESS", raising=False)
    else:
        monkeypatch.setenv("POSLIB_PROGRESS", value)
    assert config.progress_enabled() is enabled
