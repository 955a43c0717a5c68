"""The house rules of ``poslib``'s code, checked on its source: small modules, short functions, no private name
used across modules, and no module that imports the package it belongs to (a lower layer reaching up)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "poslib"
SOURCES = sorted(PACKAGE.rglob("*.py"))
MODULES = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
#: The most lines a module may hold, and a function.
MODULE_LINES, FUNCTION_LINES = 250, 60


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


def _functions(tree: ast.Module):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_are_small(path):
    assert len(path.read_text().splitlines()) <= MODULE_LINES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_functions_are_short(path):
    # A chapter's ``findings.declare`` is a list of declarations, one Finding each: data, not logic.
    long = [f"{f.name}: {f.end_lineno - f.lineno + 1} lines" for f in _functions(_tree(path))
            if f.end_lineno - f.lineno + 1 > FUNCTION_LINES and not (path.parent.name == "findings"
                                                                    and f.name == "declare")]
    assert not long


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_name_is_used_across_modules(path):
    used = []
    for node in ast.walk(_tree(path)):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in MODULES
                and node.value.id != path.stem and node.attr.startswith("_") and not node.attr.startswith("__")):
            used.append(f"{node.value.id}.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            used += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert not used


@pytest.mark.parametrize("path", [p for p in SOURCES if p.name != "__init__.py"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_the_package_root(path):
    """``from . import x`` names a sibling module; importing the package's own ``__init__`` (its version, say)
    from a module below it would make the bottom layer depend on the top."""
    reaching_up = [a.name for node in ast.walk(_tree(path)) if isinstance(node, ast.ImportFrom)
                   and node.level == (2 if path.parent.name == "findings" else 1) and not node.module
                   for a in node.names if a.name not in MODULES]
    assert not reaching_up


def test_the_version_has_one_home():
    import poslib
    from poslib import config

    assert poslib.__version__ == config.VERSION


@pytest.mark.parametrize("path", sorted((PACKAGE / "findings").glob("*.py")), ids=lambda p: p.stem)
def test_findings_format_the_papers_numbers_from_poslib_paper(path):
    """A published number typed into a finding's text (``.78``, ``37.48 %``) could drift from ``poslib.paper``;
    the declarations format them from it."""
    import re

    typed = re.compile(r"(?<![\w.])\.\d{2,}|\d+\.\d+ ?%")
    found = [n.value for n in ast.walk(_tree(path)) if isinstance(n, ast.Constant) and isinstance(n.value, str)
             and typed.search(n.value)]
    assert not found
