"""A content-keyed disk cache for trained networks (every chapter that trains a backbone).

An entry's key is a hash of everything that determines it: the full configuration, the source of
the ``poslib`` modules that build and train it, and the number of CPU threads (which changes how sums are
split, and so the numbers). Change any of them and a new entry is made, so a cached network is never stale;
ask for the same thing twice, from any chapter or from two processes at once, and it is trained once.
"""
from __future__ import annotations

import ast
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import torch
from filelock import FileLock

from . import config

PACKAGE = __name__.rsplit(".", 1)[0]


def _imports(path: Path) -> list[str]:
    """Names a source file imports from the package: ``x`` of ``from . import x`` and of ``from .x import y``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found += [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
    return found


@lru_cache(maxsize=None)
def dependencies(module: str) -> tuple[str, ...]:
    """``module`` and every ``poslib`` module it imports, directly or through others, sorted (names without
    the package prefix, e.g. ``("cache", "config", "data", "models", "padding", "train")`` for ``train``)."""
    here = Path(__file__).parent
    name = module.rsplit(".", 1)[-1] if module.startswith(PACKAGE + ".") else module
    seen: set[str] = set()
    todo = [name]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        path = here / f"{m}.py"
        if not path.is_file():
            if m == name:
                raise ValueError(f"{module!r} is not a module of {PACKAGE}; name the module whose code builds the "
                                 "cached result, e.g. 'train'")
            continue  # a name from the package itself (__version__) or a subpackage: not code that trains
        seen.add(m)
        todo += [d for d in _imports(path) if d not in seen]
    return tuple(sorted(seen))


def fingerprint(module: str) -> str:
    """A short hash of the source of ``module`` and of every ``poslib`` module it imports (see
    :func:`dependencies`): a cached result built by that code is stale as soon as any of it changes."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for m in dependencies(module):
        h.update(m.encode())
        h.update((here / f"{m}.py").read_bytes())
    return h.hexdigest()[:12]


def network_key(net: torch.nn.Module) -> str:
    """A hash of what a network computes: its module tree as printed (layer types, sizes, padding modes and
    widths) and the values of its parameters and buffers. Two networks get the same key exactly when they
    hold the same layers and numbers, so a network changed in place (converted to another padding mode,
    say) gets a new key."""
    h = hashlib.sha256(repr(net).encode())
    for name, value in net.state_dict().items():
        h.update(name.encode())
        t = value.detach().cpu().contiguous().reshape(-1)
        h.update(str((t.dtype, tuple(t.shape))).encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()[:16]


def key(kind: str, spec: dict, module: str) -> str:
    """The cache key of a ``kind`` of result built from ``spec`` (a JSON-serialisable dict) by the code of
    ``module`` and everything it imports, on this process's number of CPU threads."""
    blob = json.dumps({"kind": kind, "spec": spec, "code": fingerprint(module), "threads": torch.get_num_threads()},
                      sort_keys=True, default=str)
    return f"{kind}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


#: How many results this process loaded from the cache ("hits") and made afresh ("made").
COUNTS: dict[str, int] = {"hits": 0, "made": 0}


def load_or_make(kind: str, spec: dict, make: Callable[[], Any], module: str) -> tuple[Any, bool]:
    """Load the cached result for (kind, spec) built by ``module``'s code, or ``make()`` it and store it;
    returns (result, was_cached).

    Results are whatever ``torch.save`` can store (state dicts, tensors, dicts of numbers). A lock file per
    entry makes a second process that asks for the same result wait for the first one's, not make it again.
    """
    path = config.cache_dir() / f"{key(kind, spec, module)}.pt"
    with FileLock(str(path.with_suffix(".lock"))):
        if path.exists():
            try:
                result = torch.load(path, map_location="cpu", weights_only=False)
                COUNTS["hits"] += 1
                return result, True
            except Exception:  # a truncated file from an interrupted run: make it again
                path.unlink(missing_ok=True)
        result = make()
        COUNTS["made"] += 1
        tmp = path.with_suffix(".tmp")
        torch.save(result, tmp)
        tmp.replace(path)
        return result, False
