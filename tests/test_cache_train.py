"""poslib.cache and poslib.train: the content-keyed disk cache and the (cached) backbone training."""
from __future__ import annotations

import contextlib
import dataclasses
import re

import pytest
import torch
import torch.nn as nn

from poslib import cache, config, models, networks, padding, train

# ----------------------------------------------------------------------------- cache


def test_fingerprint_is_a_short_stable_hash_of_the_import_closure():
    fp = cache.fingerprint("train")
    assert re.fullmatch(r"[0-9a-f]{12}", fp)
    assert cache.fingerprint("train") == fp == cache.fingerprint("poslib.train")
    assert cache.dependencies("train") == ("cache", "config", "data", "datasets", "extrapolate", "infer", "models",
                                           "networks", "padding", "taps", "train")
    assert cache.dependencies("models") == ("extrapolate", "models", "padding", "taps")
    assert cache.fingerprint("models") != fp


def test_fingerprint_of_an_unknown_module_is_explained():
    with pytest.raises(ValueError, match="not a module of poslib"):
        cache.fingerprint("trian")


def test_key_depends_on_kind_and_spec_not_on_order():
    spec = {"arch": "vgg", "seed": 0, "widths": (16, 32)}
    k = cache.key("backbone", spec, "train")
    assert re.fullmatch(r"backbone-[0-9a-f]{16}", k)
    assert cache.key("backbone", dict(reversed(list(spec.items()))), "train") == k
    assert cache.key("backbone", dict(spec, seed=1), "train") != k
    assert cache.key("readout", spec, "train").startswith("readout-")
    assert cache.key("readout", spec, "train")[len("readout-"):] != k[len("backbone-"):]


def test_key_changes_with_code(monkeypatch):
    spec = {"a": 1}
    before = cache.key("x", spec, "train")
    monkeypatch.setattr(cache, "fingerprint", lambda module: "000000000000")
    assert cache.key("x", spec, "train") != before


def test_load_or_make_makes_once_then_loads(monkeypatch, tmp_path):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    calls = []

    def make():
        calls.append(1)
        return {"w": torch.arange(3.0), "n": 7}

    first, cached = cache.load_or_make("thing", {"v": 1}, make, "train")
    assert cached is False and len(calls) == 1
    assert (tmp_path / f"{cache.key('thing', {'v': 1}, 'train')}.pt").is_file()
    assert not list(tmp_path.glob("*.tmp"))
    second, cached = cache.load_or_make("thing", {"v": 1}, make, "train")
    assert cached is True and len(calls) == 1
    assert torch.equal(second["w"], first["w"]) and second["n"] == 7
    _, cached = cache.load_or_make("thing", {"v": 2}, make, "train")
    assert cached is False and len(calls) == 2


def test_key_changes_with_the_thread_count():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = cache.key("x", {"a": 1}, "train")
        torch.set_num_threads(2)
        assert cache.key("x", {"a": 1}, "train") != one
    finally:
        torch.set_num_threads(before)


def test_a_second_process_waits_for_the_first_ones_result(monkeypatch, tmp_path):
    """While another process holds an entry's lock (it is making the result), load_or_make waits, then loads."""
    import threading

    from filelock import FileLock

    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    path = tmp_path / f"{cache.key('thing', {'v': 1}, 'train')}.pt"
    lock = FileLock(str(path.with_suffix(".lock")))
    lock.acquire()
    got = {}
    waiter = threading.Thread(target=lambda: got.update(r=cache.load_or_make(
        "thing", {"v": 1}, lambda: pytest.fail("made twice"), "train")))
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive()  # waiting on the lock
    torch.save({"n": 3}, path)  # the first process's result
    lock.release()
    waiter.join(10)
    assert got["r"] == ({"n": 3}, True)


def test_load_or_make_remakes_a_truncated_entry(monkeypatch, tmp_path):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    path = tmp_path / f"{cache.key('thing', {}, 'train')}.pt"
    path.write_bytes(b"\x80\x02 not a torch file")
    result, cached = cache.load_or_make("thing", {}, lambda: [1, 2], "train")
    assert cached is False and result == [1, 2]
    assert cache.load_or_make("thing", {}, lambda: pytest.fail("should load"), "train")[0] == [1, 2]


def _key(spec: train.BackboneSpec) -> str:
    return cache.key("backbone", dataclasses.asdict(spec), "poslib.train")


# ----------------------------------------------------------------------------- the one primitive


def test_cached_network_trains_once_then_loads_frozen(monkeypatch, tmp_path, restore_determinism):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    fits = []

    def fit(net):
        fits.append(1)
        with torch.no_grad():
            net.weight.add_(1.0)
        return {"info": {"note": "trained"}, "pred": torch.arange(3)}

    first = networks.cached_network("thing", {"a": 1}, lambda: nn.Linear(2, 2), fit, seed=5, module="poslib.train")
    again = networks.cached_network("thing", {"a": 1}, lambda: nn.Linear(2, 2), fit, seed=5, module="poslib.train")
    assert len(fits) == 1 and first.info["cached"] is False and again.info["cached"] is True
    assert torch.equal(first.weight, again.weight) and torch.equal(again.results["pred"], torch.arange(3))
    assert again.info["note"] == "trained" and again.info["spec"] == {"a": 1} and again.info["train_seconds"] >= 0
    assert again.info["key"] == cache.key("thing", {"a": 1}, "poslib.train")
    assert not again.training and not any(p.requires_grad for p in again.parameters())
    # seeded before it is built: the same seed gives the same initial weights
    torch.manual_seed(123)
    other = networks.cached_network("thing", {"a": 2}, lambda: nn.Linear(2, 2), lambda net: None, seed=5,
                                    module="poslib.train")
    assert torch.allclose(other.weight + 1.0, first.weight)


# ----------------------------------------------------------------------------- training helpers


def test_autocast_is_a_context_manager(monkeypatch):
    monkeypatch.setenv("POSLIB_PRECISION", "fp32")
    ctx = config.autocast()
    assert isinstance(ctx, contextlib.nullcontext)
    with ctx:
        y = nn.Linear(2, 2)(torch.rand(1, 2))
    assert y.shape == (1, 2) and y.dtype == torch.float32


def test_autocast_bf16_runs_the_forward_pass_in_bfloat16(monkeypatch):
    monkeypatch.setenv("POSLIB_PRECISION", "bf16")
    ctx = config.autocast()
    assert isinstance(ctx, torch.autocast)
    layer = nn.Linear(2, 2).to(config.device())
    with ctx:
        y = layer(torch.rand(1, 2, device=config.device()))
    assert y.shape == (1, 2) and y.dtype == torch.bfloat16
    # outside the context the numeric path is float32 again
    assert layer(torch.rand(1, 2, device=config.device())).dtype == torch.float32


def test_train_no_longer_has_its_own_autocast():
    assert not hasattr(train, "autocast")


def _easy_task(n: int = 32):
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(n) % 2
    images = torch.rand(n, 3, 8, 8, generator=g) * 0.5 + 0.5 * labels.view(-1, 1, 1, 1)
    return images, labels


class _Brightness(nn.Module):
    """Class 1 if the image is bright: a fixed, parameter-free classifier."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        m = x.float().mean(dim=(1, 2, 3)) - 0.5
        return torch.stack([-m, m], dim=1)


def test_accuracy():
    images, labels = _easy_task()
    model = _Brightness()
    assert train.accuracy(model, images, labels) == 1.0
    assert train.accuracy(model, images, 1 - labels, batch=5) == 0.0
    half = labels.clone()
    half[:16] = 1 - half[:16]
    assert train.accuracy(model, images, half, batch=7) == 0.5


def test_fit_classifier_returns_epoch_losses_and_learns():
    images, labels = _easy_task()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    losses = train.fit_classifier(model, images, labels, epochs=6, batch=8, lr=0.05, seed=0)
    assert len(losses) == 6 and all(l > 0 for l in losses)
    assert losses[-1] < losses[0]
    assert train.accuracy(model, images, labels) > 0.75


def test_backbone_spec_describes_everything(tiny_profile):
    spec = train.backbone_spec("vgg", "zeros", 0, tiny_profile)
    assert spec.arch == "vgg" and spec.mode == "zeros" and spec.seed == 0 and spec.trained is True
    assert spec.images == 64 and spec.epochs == 1 and spec.image_size == 80
    assert spec.depth == train.DEPTHS["vgg"] and spec.widths == train.WIDTHS
    assert spec.precision == config.precision() and spec.start is None and spec.pad_width is None
    assert train.backbone_spec("resnet", "zeros", 0, tiny_profile).depth == train.DEPTHS["resnet"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.seed = 1


@pytest.mark.parametrize("change", [dict(seed=1), dict(mode="reflect"), dict(arch="resnet"), dict(trained=False)])
def test_backbone_cache_key_changes_with_spec(tiny_profile, change):
    base = dict(arch="vgg", mode="zeros", seed=0, trained=True)
    k0 = _key(train.backbone_spec(profile=tiny_profile, **base))
    k1 = _key(train.backbone_spec(profile=tiny_profile, **dict(base, **change)))
    assert k0 != k1


def test_backbone_cache_key_changes_with_precision(monkeypatch, tiny_profile):
    monkeypatch.setenv("POSLIB_PRECISION", "fp32")
    fp32 = _key(train.backbone_spec("vgg", "zeros", 0, tiny_profile))
    monkeypatch.setenv("POSLIB_PRECISION", "bf16")
    bf16 = train.backbone_spec("vgg", "zeros", 0, tiny_profile)
    assert bf16.precision == "bf16" and _key(bf16) != fp32


def test_backbone_cache_key_changes_with_profile(tiny_profile):
    book = config.get_profile("book")
    assert _key(train.backbone_spec("vgg", "zeros", 0, tiny_profile)) != _key(train.backbone_spec("vgg", "zeros", 0, book))


def test_backbone_unknown_arch(tiny_profile):
    with pytest.raises(ValueError, match="unknown architecture 'vit'.*vgg, resnet"):
        train.backbone("vit", profile=tiny_profile)


def test_backbone_paper_profile_keeps_resnet_padding():
    with pytest.raises(ValueError, match="only removes padding from VGG16"):
        train.backbone("resnet", "valid", profile=config.get_profile("paper"))


# ----------------------------------------------------------------------------- the one trained backbone


def test_backbone_trains_once_then_loads_from_cache(monkeypatch, tmp_path, tiny_profile, restore_determinism):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))  # a fresh cache: this call must train
    net = train.backbone("vgg", "zeros", seed=0, profile=tiny_profile)
    info = net.info
    assert info["cached"] is False
    assert info["epochs"] == 1 and len(info["losses"]) == 1 and info["train_seconds"] > 0
    assert 0.0 <= info["test_accuracy"] <= 1.0
    spec = train.backbone_spec("vgg", "zeros", 0, tiny_profile)
    assert info["spec"] == dataclasses.asdict(spec)
    assert info["key"] == _key(spec)
    assert (tmp_path / f"{info['key']}.pt").is_file()
    # frozen and ready for reading features
    assert isinstance(net, models.VGGStyle) and not net.training
    assert not any(p.requires_grad for p in net.parameters())
    assert next(net.parameters()).device == config.device()

    again = train.backbone("vgg", "zeros", seed=0, profile=tiny_profile)
    assert again.info["cached"] is True
    assert again.info["key"] == info["key"]
    assert again.info["test_accuracy"] == info["test_accuracy"]
    a, b = net.state_dict(), again.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    # a different seed is a different entry
    assert _key(train.backbone_spec("vgg", "zeros", 1, tiny_profile)) != info["key"]


@pytest.mark.parametrize("mode", ["reflect", "valid", "resize"])
def test_finetune_starts_from_the_zero_padded_backbone(monkeypatch, tmp_path, tiny_profile, restore_determinism,
                                                       mode):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    base = train.backbone("vgg", "zeros", seed=0, profile=tiny_profile)
    tuned = train.backbone("vgg", mode, seed=1, profile=tiny_profile, images=20, epochs=1, finetune=True)
    assert tuned.info["spec"]["start"] == base.info["key"] == tuned.info["start"]
    assert tuned.info["spec"]["lr"] == train.FINETUNE_LR
    assert padding.modes_of(tuned) == {mode}
    # it starts from the base weights: a few steps at a low learning rate stay close to them
    a, b = base.state_dict(), tuned.state_dict()
    w = "stem.0.weight" if "stem.0.weight" in a else next(k for k in a if k.endswith("weight"))
    assert (a[w] - b[w]).abs().mean() < 0.5 * a[w].abs().mean()
    # and it is its own cache entry
    scratch = train.backbone_spec("vgg", mode, 1, tiny_profile, images=20, epochs=1)
    assert _key(scratch) != tuned.info["key"]


def test_finetune_needs_training(tiny_profile):
    with pytest.raises(ValueError, match="trained=True"):
        train.backbone("vgg", "reflect", profile=tiny_profile, trained=False, finetune=True)
