"""The first and last call of every chapter: set-up and status line, then the claims' verdicts and run time."""
from __future__ import annotations

import json
import time

import torch

from . import claims, config, plots, scorecard

_started: dict[str, float] = {}


def start(name: str) -> config.Profile:
    """Set a chapter up: the profile's CPU threads (two, the book's 2-core budget; one in ``smoke``), seeds, the
    plotting style; print the status line (versions, profile, seeds, numeric path, CPU features and threads).
    Returns the active profile."""
    profile = config.get_profile()
    torch.set_num_threads(profile.threads)
    config.seed_everything(profile.seeds[0])
    plots.setup()
    _started[name] = time.perf_counter()
    print(config.status(name))
    return profile


def finish(checked: claims.Claims) -> None:
    """End a chapter: store its scorecard record in the page (for the book's scorecard, front and status
    pages), log the claims' outcomes where ``POSLIB_CLAIMS_LOG`` asks, raise if a binding claim failed (or was
    never measured), else print the run time."""
    seconds = time.perf_counter() - _started.get(checked.chapter, time.perf_counter())
    scorecard.glue(checked, seconds)
    log = config.claims_log()
    if log is not None:
        run = {"chapter": checked.chapter, "profile": checked.profile.name, "seeds": list(checked.profile.seeds),
               "precision": config.precision()}
        with open(log, "a") as f:
            for row in scorecard.claim_rows(checked):
                f.write(json.dumps(dict(run, **row)) + "\n")
    checked.assert_all()
    print(f"{checked.chapter} ran in {seconds:.0f} s | {config.status()}")


def share_figure(name: str, fig) -> None:
    """Show ``fig`` in the chapter and store it under the glue key ``name``, where another page of the book
    (the front page) can show the same measured figure."""
    import matplotlib.pyplot as plt
    from myst_nb import glue as _glue

    _glue(name, fig, display=False)
    plt.show()
