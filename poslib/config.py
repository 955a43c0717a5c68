"""Run profiles, device choice, seeding and the cache folder (every chapter).

The profile is the one switch that sizes every experiment in the book. It is read from the
environment variable ``POSLIB_PROFILE`` here, and nowhere else:

* ``smoke`` — seconds per chapter; what the tests run.
* ``book``  — the default; minutes per chapter on a 2-core laptop CPU; what the HTML book shows.
* ``paper`` — full size on a GPU, with the paper's ImageNet backbones and data sets.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

PROFILES: tuple[str, ...] = ("smoke", "book", "paper")
DEFAULT_PROFILE = "book"


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
    # PosENet readout
    readout_train: int = 768
    readout_test: int = 192
    readout_epochs: int = 12
    readout_batch: int = 32
    readout_lr: float = 5e-3
    readout_hidden: int = 16
    # Chapter 2's many backbones (one per padding mode and seed) and their readouts; offline they are
    # fine-tuned from the zero-padded backbone (``ablation_finetune``), in the paper profile trained afresh
    ablation_images: int = 1000
    ablation_epochs: int = 1
    ablation_finetune: bool = True
    ablation_test: int = 300
    probe_train: int = 256
    probe_test: int = 64
    probe_epochs: int = 8
    # Chapter 3's border tasks: patch side (a grid cell), canvases per network, epochs
    grid_patch: int = 16
    grid_pretrain: int = 5000
    grid_pretrain_epochs: int = 8
    grid_train: dict = field(default_factory=lambda: {"where": 1200, "what_where": 4000, "segment": 2000})
    grid_epochs: dict = field(default_factory=lambda: {"where": 3, "what_where": 3, "segment": 4})
    grid_test: int = 500
    grid_batch: int = 64
    grid_lr: float = 3e-3
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
        probe_train=128,
        probe_test=64,
        # one seed: smoke checks each claim's direction on the first seed; the book gives the seed spread.
        # Chapter 3's tasks stay near chance at smaller budgets (its patch classifier too), so its grid
        # sizes are the book's: smoke trains the book's first-seed networks, which a book build then reuses
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
        probe_train=2000,
        probe_test=500,
        probe_epochs=15,
        grid_patch=32,
        grid_pretrain=50000,
        grid_pretrain_epochs=20,
        grid_train={"where": 20000, "what_where": 20000, "segment": 20000},
        grid_epochs={"where": 20, "what_where": 20, "segment": 20},
        grid_test=5000,
        grid_batch=48,
        grid_lr=1e-3,
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
    """The :class:`Profile` called ``name``, or the active one when ``name`` is None (all chapters)."""
    name = profile_name() if name is None else str(name).strip().lower()
    if name not in _PROFILES:
        raise ValueError(f"unknown profile {name!r}; use one of {', '.join(PROFILES)}.")
    return _PROFILES[name]


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


def progress_enabled() -> bool:
    """Whether progress bars are shown; ``POSLIB_PROGRESS=0`` turns them off (all chapters)."""
    return os.environ.get("POSLIB_PROGRESS", "1") != "0"
