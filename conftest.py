"""Test-wide settings, in one place, for the unit tests and for the chapters that nbval executes.

They are set here, at import time, before any test module imports ``poslib`` and before nbval starts a
notebook kernel (kernels inherit this process's environment), so both see the same values:

* ``POSLIB_PROFILE=smoke``, always: ``pytest`` is the smoke run of every chapter.
* ``TQDM_DISABLE=1``: no progress bars (tqdm's own switch).
* ``POSLIB_CACHE``: kept when the caller sets it (CI points it at an empty folder),
  otherwise one throw-away folder, removed at exit, shared by the unit tests and every chapter's kernel,
  so the tests never touch the user's cache of trained networks.
* One CPU thread per process (the smoke profile's ``threads``), for PyTorch and for NumPy's and SciPy's
  linear algebra: ``pytest`` runs two test files (chapters or test modules) at a time on two workers
  (``-n 2 --dist loadfile`` in ``pyproject.toml``; ``-n 0`` runs them one after the other, with the same
  numbers).
* ``POSLIB_SEEDS`` and ``POSLIB_PRECISION`` pass through untouched: ``POSLIB_SEEDS=11,12,13 pytest`` or
  ``POSLIB_PRECISION=bf16 pytest`` runs every chapter's claims on other seeds or the other numeric path.
"""
import atexit
import os
import shutil
import tempfile

os.environ["POSLIB_PROFILE"] = "smoke"
os.environ["TQDM_DISABLE"] = "1"
if not os.environ.get("POSLIB_CACHE"):
    os.environ["POSLIB_CACHE"] = tempfile.mkdtemp(prefix="poslib-test-cache-")
    atexit.register(shutil.rmtree, os.environ["POSLIB_CACHE"], True)

import torch  # noqa: E402

from poslib import config  # noqa: E402  (after POSLIB_PROFILE is set)

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = str(config.get_profile().threads)
torch.set_num_threads(config.get_profile().threads)


def pytest_collectstart(collector):
    """nbval: compare only what chapters print to stdout in cells marked NBVAL_CHECK_OUTPUT, never stderr."""
    if getattr(collector, "fspath", None) and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "application/javascript", "stderr")
