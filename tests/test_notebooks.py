"""Hygiene of the committed chapters: executed in order from a fresh kernel, clean and portable."""
import json
import re
from pathlib import Path

import pytest

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "chapters").glob("*.ipynb"))
ABSOLUTE = re.compile(r"(/work/|/home/|/root/|/tmp/|/Users/|[A-Z]:\\\\Users)")


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks found in chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_hygiene(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3", "kernelspec must be python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name} was not run top to bottom from a fresh kernel (execution counts {counts}); "
        "re-execute it with `jupyter nbconvert --to notebook --execute --inplace`")
    for i, c in enumerate(code):
        for out in c.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name} cell {i} stores an error output"
            text = json.dumps(out.get("text", "")) + json.dumps(out.get("data", {}).get("text/plain", ""))
            assert not ABSOLUTE.search(text), f"{path.name} cell {i} stores an absolute path"
        assert not ABSOLUTE.search("".join(c["source"])), f"{path.name} cell {i} hard-codes an absolute path"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_checks_its_claims(path):
    nb = json.loads(path.read_text())
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert any("NBVAL_CHECK_OUTPUT" in s and "verdicts()" in s for s in sources), \
        f"{path.name} must print its claims' verdicts in a cell marked NBVAL_CHECK_OUTPUT"
    assert any("assert_all()" in s for s in sources), f"{path.name} must raise when a claim fails"
