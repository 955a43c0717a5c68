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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

#: poslib's version (the package's ``__version__``; pyproject.toml reads it here).
VERSION = "0.1.0"
PROFILES: tuple[str, ...] = ("smoke", "book", "paper")
DEFAULT_PROFILE = "book"
PRECISIONS: tuple[str, ...] = ("fp32", "bf16")
_STREAM = 1_000_000
#: The largest seed POSLIB_SEEDS takes: every stream seed of it fits a 32-bit generator seed.
MAX_SEED = 2**31 // _STREAM - 1
DEFAULT_PRECISION = "fp32"


@dataclass(frozen=True)
class Profile:
    """What a profile decides for the whole book: its name, the side of the offline images, the run's seeds,
    whether it works offline (``smoke``, ``book``) or with the paper's ImageNet weights and data sets, and the
    CPU threads one chapter uses (``smoke``: one, so that the tests run two chapters at a time on 2 cores;
    the thread count changes how sums are split, so it is part of every cache key).

    The sizes of each experiment family live next to the code that runs it, one entry per profile:
    ``train.SIZES`` (backbones), ``posenet.SIZES`` (readouts), ``ablations.SIZES`` (Chapter 2's many
    backbones), ``border_tasks.SIZES`` (Chapter 3's grids), ``scene_classifiers.SIZES`` and
    ``semantics.SIZES`` (Chapter 4's classifiers and their probes), ``task_nets.SIZES`` and ``downstream.SIZES``
    (Chapter 5's task networks and test sets); ``claims.MARGINS`` holds the margins each profile's sizes can
    support.
    """

    name: str
    image_size: int = 80
    seeds: tuple = (0, 1, 2)
    offline: bool = True
    threads: int = 2


_PROFILES = {
    # one seed: smoke checks each claim's direction on the first seed; the book gives the seed spread
    "smoke": Profile(name="smoke", seeds=(0,), threads=1),
    "book": Profile(name="book"),
    "paper": Profile(name="paper", image_size=224, seeds=(0, 1, 2, 3, 4), offline=False),
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
    p = get_profile()
    origin = "POSLIB_SEEDS" if seeds_override() is not None else "profile"
    head = f"{chapter} | " if chapter else ""
    return (f"{head}poslib {VERSION} | profile {p.name!r} | seeds {', '.join(map(str, p.seeds))} ({origin}) | "
            f"numeric path {precision()} | device {device()} ({cpu_features()}, {torch.get_num_threads()} threads) | "
            f"torch {torch.__version__}")


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
