"""Test-wide settings: every test and every chapter runs in the fast ``smoke`` profile.

This runs before any test module or notebook kernel starts, so the chapters executed by nbval inherit
the same environment.
"""
import os

os.environ["POSLIB_PROFILE"] = "smoke"
os.environ["POSLIB_PROGRESS"] = "0"


def pytest_collectstart(collector):
    """nbval: compare only what chapters print to stdout in cells marked NBVAL_CHECK_OUTPUT, never stderr."""
    if getattr(collector, "fspath", None) and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "application/javascript", "stderr")
