"""Run profiles, seeds, the numeric path, device choice, seeding and the cache folder.

Three environment variables steer every chapter, and they are read here and nowhere else:

* ``POSLIB_PROFILE`` sizes every experiment:

  * ``smoke`` — seconds per chapter; what the tests run.
  * ``book``  — the default; minutes per chapter on a 2-core laptop CPU; what the HTML book shows.
  * ``paper`` — full size on a GPU, with the paper's ImageNet backbones and data sets.

* ``POSLIB_SEEDS`` (e.g. ``11,12,13``) replaces the profile's seeds in every seeded step of every
  chapter: network training, readout initialisation and batch order, and the sampling of training and
  test data (through :func:`stream`). Unset, the profile's seeds apply.
* ``POSLIB_PRECISION`` picks the numeric path of every network's forward pass: ``fp32`` (the default)
  or ``bf16`` (bfloat16 autocast; fast on GPUs and CPUs with bf16 units, several times slower elsewhere).
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

PROFILES: tuple[str, ...] = ("smoke", "book", "paper")
DEFAULT_PROFILE = "book"
PRECISIONS: tuple[str, ...] = ("fp32", "bf16")
_STREAM = 1_000_000
#: The largest seed POSLIB_SEEDS takes: every stream seed of it fits a 32-bit generator seed.
MAX_SEED = 2**31 // _STREAM - 1
DEFAULT_PRECISION = "fp32"


@dataclass(frozen=True)
class Profile:
    """Every size and budget that depends on the profile (all chapters).

    Attributes are grouped by what they size: the offline backbone's training task, the readout
    (PosENet) data and optimisation, and the margins the chapters' claims are checked with.
    """

    name: str
    # images and readout resolution
    image_size: int = 80
    feat_size: int = 20
    # offline backbone training (shapes-on-photos classification)
    backbone_images: int = 5000
    backbone_epochs: int = 3
    backbone_batch: int = 64
    backbone_test: int = 1000
    # PosENet readout (Chapter 1 trains each one on every seed, so a readout is kept small)
    readout_train: int = 384
    readout_test: int = 192
    readout_epochs: int = 8
    readout_batch: int = 32
    readout_lr: float = 5e-3
    readout_hidden: int = 16
    # Chapter 2's many backbones (one per padding mode and seed) and their readouts; offline they are
    # fine-tuned from the zero-padded backbone (``ablation_finetune``), in the paper profile trained afresh
    ablation_images: int = 1000
    ablation_epochs: int = 1
    ablation_finetune: bool = True
    ablation_test: int = 300
    # Chapter 2's from-scratch arm: a few padding modes trained from random weights, no zero-padded ancestry
    scratch_images: int = 1000
    scratch_epochs: int = 2
    probe_train: int = 256
    probe_test: int = 64
    probe_epochs: int = 8
    seeds: tuple = (0, 1, 2)
    # False: an experiment runs only the rows of its tables that the chapter's claims read (smoke)
    full_tables: bool = True
    # claims: "clearly above" and "far above" margins that this profile's sizes can support
    margins: dict = field(default_factory=lambda: {"clear": 0.05, "large": 0.3})
    # the paper profile uses ImageNet backbones and real data sets instead of the offline ones
    offline: bool = True


_PROFILES = {
    "smoke": Profile(
        name="smoke",
        backbone_images=1000,
        backbone_epochs=1,
        backbone_test=200,
        readout_train=128,
        readout_test=32,
        readout_epochs=8,
        readout_batch=16,
        ablation_images=300,
        ablation_epochs=1,
        ablation_test=200,
        scratch_images=300,
        scratch_epochs=1,
        probe_train=128,
        probe_test=64,
        # one seed: smoke checks each claim's direction on the first seed; the book gives the seed spread
        seeds=(0,),
        full_tables=False,
        margins={"clear": 0.02, "large": 0.1},
    ),
    "book": Profile(name="book"),
    "paper": Profile(
        name="paper",
        image_size=224,
        feat_size=28,
        backbone_images=0,
        backbone_epochs=0,
        readout_train=10553,
        readout_test=850,
        readout_epochs=15,
        readout_hidden=256,
        ablation_images=20000,
        ablation_epochs=20,
        ablation_finetune=False,
        ablation_test=1000,
        scratch_images=20000,
        scratch_epochs=20,
        probe_train=2000,
        probe_test=500,
        probe_epochs=15,
        seeds=(0, 1, 2, 3, 4),
        margins={"clear": 0.05, "large": 0.3},
        offline=False,
    ),
}


def profile_name() -> str:
    """The active profile's name, from ``POSLIB_PROFILE`` (default ``book``); the only reader of it."""
    name = os.environ.get("POSLIB_PROFILE", DEFAULT_PROFILE).strip().lower() or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(
            f"POSLIB_PROFILE={name!r} is not a profile; use one of {', '.join(PROFILES)} "
            f"(default {DEFAULT_PROFILE!r})."
        )
    return name


def get_profile(name: str | None = None) -> Profile:
    """The :class:`Profile` called ``name`` (default: the active one), with ``POSLIB_SEEDS`` applied."""
    name = profile_name() if name is None else str(name).strip().lower()
    if name not in _PROFILES:
        raise ValueError(f"unknown profile {name!r}; use one of {', '.join(PROFILES)}.")
    chosen = seeds_override()
    return _PROFILES[name] if chosen is None else dataclasses.replace(_PROFILES[name], seeds=chosen)


def seeds_override() -> tuple[int, ...] | None:
    """The seeds of ``POSLIB_SEEDS`` (comma-separated non-negative integers), or None when it is unset."""
    raw = os.environ.get("POSLIB_SEEDS", "").strip()
    if not raw:
        return None
    try:
        seeds = tuple(int(part) for part in raw.replace(" ", "").split(","))
    except ValueError:
        seeds = ()
    if not seeds or any(s < 0 or s > MAX_SEED for s in seeds) or len(set(seeds)) != len(seeds):
        raise ValueError(
            f"POSLIB_SEEDS={raw!r} is not a list of distinct seeds; give comma-separated integers from 0 to "
            f"{MAX_SEED}, e.g. POSLIB_SEEDS=11,12,13, or unset it for the profile's seeds."
        )
    return seeds


def stream(seed: int, offset: int = 0) -> int:
    """The seed of sampling stream ``offset`` of run seed ``seed``: ``1_000_000 * seed + offset``.

    Data sets are drawn from streams of a run seed, so that ``POSLIB_SEEDS`` changes them too; for seed 0
    a stream's seed is its offset. Different offsets of one seed, and one offset of different seeds, never
    share a stream.
    """
    if not 0 <= offset < _STREAM:
        raise ValueError(f"a stream offset must lie in 0..{_STREAM - 1}, got {offset}")
    return _STREAM * int(seed) + offset


def precision() -> str:
    """The numeric path, from ``POSLIB_PRECISION``: ``fp32`` (default) or ``bf16`` (bfloat16 autocast)."""
    name = os.environ.get("POSLIB_PRECISION", DEFAULT_PRECISION).strip().lower() or DEFAULT_PRECISION
    if name not in PRECISIONS:
        raise ValueError(f"POSLIB_PRECISION={name!r} is not a numeric path; use one of {', '.join(PRECISIONS)} "
                         f"(default {DEFAULT_PRECISION!r}).")
    return name


def autocast() -> contextlib.AbstractContextManager:
    """The numeric path as a context: bfloat16 autocast on the current device for ``bf16``, else nothing."""
    if precision() == "bf16":
        return torch.autocast(device().type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def eps() -> float:
    """Machine epsilon of the numeric path's working type (float32 or bfloat16)."""
    return float(torch.finfo(torch.bfloat16 if precision() == "bf16" else torch.float32).eps)


def cpu_features() -> str:
    """The CPU's vector unit as PyTorch uses it (e.g. ``AVX2``), and whether it has bfloat16 units."""
    capability = torch.backends.cpu.get_cpu_capability()
    try:
        flags = Path("/proc/cpuinfo").read_text()
        bf16 = "bf16 units" if ("avx512_bf16" in flags or "amx_bf16" in flags) else "no bf16 units"
    except OSError:
        bf16 = "bf16 units unknown"
    return f"{platform.machine()} {capability}, {bf16}"


def status(chapter: str = "") -> str:
    """One line naming everything that decides a chapter's numbers: versions, profile, seeds, numeric path,
    device and CPU features."""
    from . import __version__

    p = get_profile()
    origin = "POSLIB_SEEDS" if seeds_override() is not None else "profile"
    head = f"{chapter} | " if chapter else ""
    return (f"{head}poslib {__version__} | profile {p.name!r} | seeds {', '.join(map(str, p.seeds))} ({origin}) | "
            f"numeric path {precision()} | device {device()} ({cpu_features()}) | torch {torch.__version__}")


def device() -> torch.device:
    """CUDA when a GPU is present, else the CPU (all chapters)."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch and ask for deterministic kernels (all chapters)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    # reflection padding has no deterministic CUDA backward: warn instead of failing there
    torch.use_deterministic_algorithms(True, warn_only=True)


def cache_dir() -> Path:
    """Where trained backbones are kept: ``POSLIB_CACHE``, else ``~/.cache/poslib`` (all chapters)."""
    root = os.environ.get("POSLIB_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "poslib")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def claims_log() -> Path | None:
    """Where chapters append their claims' outcomes as JSON lines (``POSLIB_CLAIMS_LOG``), or None: a way
    to collect the verdicts of many runs (other seeds, the other numeric path) for comparison."""
    path = os.environ.get("POSLIB_CLAIMS_LOG", "").strip()
    return Path(path) if path else None


def progress_enabled() -> bool:
    """Whether progress bars are shown; ``POSLIB_PROGRESS=0`` turns them off (all chapters)."""
    return os.environ.get("POSLIB_PROGRESS", "1") != "0"
