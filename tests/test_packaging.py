"""The package ships the files it reads: every file under poslib/assets is named by pyproject's package-data."""
from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_package_data_covers_every_asset():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["poslib"]
    assets = [p.relative_to(ROOT / "poslib").as_posix() for p in (ROOT / "poslib" / "assets").rglob("*") if p.is_file()]
    assert assets, "no assets found"
    missing = [a for a in assets if not any(fnmatch.fnmatch(a, pat) for pat in patterns)]
    assert not missing, f"not packaged in the wheel: {missing}"
