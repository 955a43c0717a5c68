"""The first and last call of every chapter: set-up and status line, then the claims' verdicts and run time."""
from __future__ import annotations

import json
import time

import torch

from . import claims, config, plots

_started: dict[str, float] = {}


def start(name: str, threads: int = 2) -> config.Profile:
    """Set a chapter up: ``threads`` CPU threads (the book's 2-core budget), seeds, the plotting style; print
    the status line (versions, profile, seeds, numeric path, CPU features). Returns the active profile."""
    profile = config.get_profile()
    torch.set_num_threads(threads)
    config.seed_everything(profile.seeds[0])
    plots.setup()
    _started[name] = time.perf_counter()
    print(config.status(name))
    return profile


def finish(checked: claims.Claims) -> None:
    """End a chapter: log the claims' outcomes where ``POSLIB_CLAIMS_LOG`` asks, raise if a binding claim
    failed (or was never measured), else print the run time."""
    log = config.claims_log()
    if log is not None:
        with open(log, "a") as f:
            for row in checked.records():
                f.write(json.dumps(row) + "\n")
    checked.assert_all()
    seconds = time.perf_counter() - _started.get(checked.chapter, time.perf_counter())
    print(f"{checked.chapter} ran in {seconds:.0f} s | {config.status()}")
