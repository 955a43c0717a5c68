"""A content-keyed disk cache for trained networks (every chapter that trains a backbone).

An entry's key is a hash of everything that determines it: the full configuration and the source of
the ``poslib`` modules that build and train it. Change any of them and a new entry is made, so a
cached network is never stale; ask for the same thing twice, from any chapter, and it is trained once.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Iterable

import torch

from . import config

_CODE_MODULES = ("data", "models", "padding", "train")


def code_fingerprint(modules: Iterable[str] = _CODE_MODULES) -> str:
    """A short hash of the source of the ``poslib`` modules that a cached result depends on (Chapter 1)."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for m in modules:
        h.update((here / f"{m}.py").read_bytes())
    return h.hexdigest()[:12]


def key(kind: str, spec: dict, modules: Iterable[str] = _CODE_MODULES) -> str:
    """The cache key of a ``kind`` of result built from ``spec`` (a JSON-serialisable dict) by the code of
    ``modules`` (default: the backbone modules) (Chapter 1; Chapter 3 names its own modules)."""
    blob = json.dumps({"kind": kind, "spec": spec, "code": code_fingerprint(modules)}, sort_keys=True, default=str)
    return f"{kind}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def load_or_make(kind: str, spec: dict, make: Callable[[], Any],
                 modules: Iterable[str] = _CODE_MODULES) -> tuple[Any, bool]:
    """Load the cached result for (kind, spec), or ``make()`` it and store it; returns (result, was_cached).

    Results are whatever ``torch.save`` can store (state dicts, tensors, dicts of numbers).
    """
    path = config.cache_dir() / f"{key(kind, spec, modules)}.pt"
    if path.exists():
        try:
            return torch.load(path, map_location="cpu", weights_only=False), True
        except Exception:  # a truncated file from an interrupted run: make it again
            path.unlink(missing_ok=True)
    result = make()
    tmp = path.with_suffix(".tmp")
    torch.save(result, tmp)
    tmp.replace(path)
    return result, False
