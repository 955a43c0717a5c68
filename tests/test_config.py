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


def test_get_profile_unknown_lists_profiles():
    with pytest.raises(ValueError, match="nope") as err:
        config.get_profile("nope")
    assert all(n in str(err.value) for n in config.PROFILES)


def test_experiment_sizes_grow_from_smoke_to_paper():
    from poslib import ablations, border_tasks, claims, posenet, train

    smoke, book, paper = (config.get_profile(n) for n in ("smoke", "book", "paper"))
    assert posenet.sizes(smoke).train < posenet.sizes(book).train < posenet.sizes(paper).train
    assert train.sizes(smoke).images < train.sizes(book).images
    assert ablations.sizes(smoke).images <= ablations.sizes(book).images < ablations.sizes(paper).images
    assert border_tasks.sizes(book).train["where"] < border_tasks.sizes(paper).train["where"]
    for module in (ablations, border_tasks, posenet, train):
        assert set(module.SIZES) == set(config.PROFILES), module.__name__
    assert set(claims.MARGINS) == set(config.PROFILES)
    assert all(0 < m["clear"] < m["large"] for m in claims.MARGINS.values())


def test_profile_holds_only_what_the_whole_book_shares():
    assert [f.name for f in dataclasses.fields(config.Profile)] == ["name", "image_size", "seeds", "offline",
                                                                    "threads"]


def test_smoke_runs_on_one_thread_and_the_book_on_two():
    assert config.get_profile("smoke").threads == 1
    assert config.get_profile("book").threads == 2


def test_profile_is_frozen_and_keyword_built():
    p = config.Profile(name="smoke", image_size=64)
    assert p.image_size == 64 and p.seeds == (0, 1, 2) and p.offline
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


# ----------------------------------------------------------------------------- POSLIB_SEEDS


@pytest.mark.parametrize("name", ["smoke", "book", "paper"])
def test_seeds_unset_are_the_profiles(monkeypatch, name):
    monkeypatch.delenv("POSLIB_SEEDS", raising=False)
    assert config.seeds_override() is None
    assert config.get_profile(name).seeds == config._PROFILES[name].seeds
    assert config.get_profile("smoke").seeds == (0,) and config.get_profile("book").seeds == (0, 1, 2)


@pytest.mark.parametrize("name", ["smoke", "book", "paper"])
@pytest.mark.parametrize("raw", ["11,12,13", " 11, 12 ,13 ", "11 ,12,13"])
def test_seeds_override_every_profile(monkeypatch, name, raw):
    monkeypatch.setenv("POSLIB_SEEDS", raw)
    assert config.seeds_override() == (11, 12, 13)
    p = config.get_profile(name)
    assert p.seeds == (11, 12, 13) and p.name == name
    # only the seeds change
    assert dataclasses.replace(p, seeds=config._PROFILES[name].seeds) == config._PROFILES[name]


def test_seeds_override_applies_to_the_active_profile(monkeypatch):
    monkeypatch.setenv("POSLIB_PROFILE", "smoke")
    monkeypatch.setenv("POSLIB_SEEDS", "5")
    assert config.get_profile().seeds == (5,)
    monkeypatch.setenv("POSLIB_SEEDS", f"0,{config.MAX_SEED}")
    assert config.get_profile().seeds == (0, config.MAX_SEED)


@pytest.mark.parametrize("raw", ["", "   "])
def test_seeds_empty_is_unset(monkeypatch, raw):
    monkeypatch.setenv("POSLIB_SEEDS", raw)
    assert config.seeds_override() is None
    assert config.get_profile("book").seeds == (0, 1, 2)


@pytest.mark.parametrize("raw", ["a,b", "1,1", "-1", str(config.MAX_SEED + 1), "1.5", "1,,2", ","])
def test_seeds_bad_values_name_the_variable(monkeypatch, raw):
    monkeypatch.setenv("POSLIB_SEEDS", raw)
    with pytest.raises(ValueError, match="POSLIB_SEEDS") as err:
        config.seeds_override()
    assert str(config.MAX_SEED) in str(err.value)
    with pytest.raises(ValueError, match="POSLIB_SEEDS"):
        config.get_profile("book")


def test_max_seed_streams_fit_a_32_bit_generator_seed():
    import numpy as np

    top = config.stream(config.MAX_SEED, 999_999)
    assert top < 2**31
    np.random.default_rng(top)
    torch.Generator().manual_seed(top)


# ----------------------------------------------------------------------------- POSLIB_PRECISION


def test_precision_defaults_to_fp32(monkeypatch):
    monkeypatch.delenv("POSLIB_PRECISION", raising=False)
    assert config.precision() == "fp32"
    monkeypatch.setenv("POSLIB_PRECISION", " ")
    assert config.precision() == "fp32"


@pytest.mark.parametrize("raw, name", [("fp32", "fp32"), ("FP32", "fp32"), ("bf16", "bf16"), ("BF16", "bf16"),
                                       (" Bf16 ", "bf16")])
def test_precision_is_case_insensitive(monkeypatch, raw, name):
    monkeypatch.setenv("POSLIB_PRECISION", raw)
    assert config.precision() == name


@pytest.mark.parametrize("raw", ["fp16", "float32", "bfloat16"])
def test_precision_unknown_lists_the_paths(monkeypatch, raw):
    monkeypatch.setenv("POSLIB_PRECISION", raw)
    with pytest.raises(ValueError, match="POSLIB_PRECISION") as err:
        config.precision()
    assert "fp32" in str(err.value) and "bf16" in str(err.value)


@pytest.mark.parametrize("raw, eps", [("fp32", 2.0**-23), ("bf16", 2.0**-7)])
def test_eps_of_each_path(monkeypatch, raw, eps):
    monkeypatch.setenv("POSLIB_PRECISION", raw)
    assert config.eps() == eps
    assert config.eps() == float(torch.finfo(torch.float32 if raw == "fp32" else torch.bfloat16).eps)


# ----------------------------------------------------------------------------- stream()


def test_stream_of_seed_zero_is_the_offset():
    assert [config.stream(0, k) for k in (0, 1, 7, 99, 424242)] == [0, 1, 7, 99, 424242]


def test_streams_never_collide():
    seeds, offsets = range(4), (0, 1, 7, 99, 424242, 999_999)
    got = [config.stream(s, k) for s in seeds for k in offsets]
    assert len(set(got)) == len(got)
    assert config.stream(1, 0) != config.stream(0, 1)
    assert config.stream(3, 5) == config.stream(3, 5)


@pytest.mark.parametrize("offset", [-1, 1_000_000, 2_000_000])
def test_stream_offset_out_of_range(offset):
    with pytest.raises(ValueError, match="offset"):
        config.stream(0, offset)


# ----------------------------------------------------------------------------- status()


def test_status_names_profile_seeds_and_path(monkeypatch):
    monkeypatch.setenv("POSLIB_PROFILE", "smoke")
    monkeypatch.delenv("POSLIB_SEEDS", raising=False)
    monkeypatch.setenv("POSLIB_PRECISION", "fp32")
    line = config.status("Chapter 9")
    assert line.startswith("Chapter 9 | poslib ")
    assert "profile 'smoke'" in line and "seeds 0 (profile)" in line and "numeric path fp32" in line
    assert torch.__version__ in line and config.cpu_features() in line
    assert f"{torch.get_num_threads()} threads" in line
    monkeypatch.setenv("POSLIB_SEEDS", "11,12,13")
    monkeypatch.setenv("POSLIB_PRECISION", "bf16")
    line = config.status()
    assert not line.startswith(" | ")
    assert "seeds 11, 12, 13 (POSLIB_SEEDS)" in line and "numeric path bf16" in line


def test_cpu_features_names_the_vector_unit():
    text = config.cpu_features()
    assert torch.backends.cpu.get_cpu_capability() in text and "bf16" in text
