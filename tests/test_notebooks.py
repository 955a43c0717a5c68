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
    compared = [s for s in sources if "NBVAL_CHECK_OUTPUT" in s]
    assert any("verdicts()" in s for s in compared), \
        f"{path.name} must print its binding verdicts in a cell marked NBVAL_CHECK_OUTPUT"
    assert not any("reported=True" in s for s in compared), \
        f"{path.name}: reported findings must be printed in a cell nbval does not compare"
    assert any("verdicts(reported=True)" in s for s in sources), f"{path.name} must print its reported findings"
    assert any("chapter.finish(" in s for s in sources), f"{path.name} must end with chapter.finish (raises on a failed claim)"
    declared = [i for i, s in enumerate(sources) if "claims.Claims(" in s]
    measured = [i for i, s in enumerate(sources) if ".record(" in s]
    assert declared and measured and declared[0] < measured[0] and declared[0] <= 3, \
        f"{path.name} must declare its claims near the top, before any is measured"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_install_cell_uses_the_book_s_repository(path):
    """The Colab route: each chapter's first cell installs poslib from the repository `_config.yml` names
    (its one place: the launch and repository buttons read it too), at the branch it names."""
    import yaml

    repo = yaml.safe_load((path.parents[1] / "_config.yml").read_text())["repository"]
    wanted = f'"poslib @ git+{repo["url"]}.git@{repo["branch"]}"'
    first = "".join(next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")["source"])
    assert "except ModuleNotFoundError" in first and f"%pip install -q {wanted}" in first, (
        f"{path.name}: its first cell must install poslib with `%pip install -q {wanted}` when it is missing "
        "(change the address in _config.yml and in every chapter's first cell together)")


EXERCISE = re.compile(r"```\{exercise\}\s*\n:label:\s*(\S+)")
SOLUTION = re.compile(r"```\{solution-start\}\s+(\S+)\s*\n((?::[a-z-]+:.*\n)*)")


def exercises(path):
    """(exercise labels, [(solution label, its options, number of code cells inside)]) of a chapter."""
    cells = json.loads(path.read_text())["cells"]
    labels, solutions, open_solution = [], [], None
    for c in cells:
        text = "".join(c["source"])
        if c["cell_type"] == "code":
            if open_solution is not None:
                open_solution[2] += 1
            continue
        labels += EXERCISE.findall(text)
        gates = [(m.start(), m.groups()) for m in SOLUTION.finditer(text + "\n")]
        gates += [(m.start(), None) for m in re.finditer(r"```\{solution-end\}", text)]
        for _, start in sorted(gates, key=lambda g: g[0]):  # a cell may end one solution and start the next
            if start is not None:
                assert open_solution is None, f"{path.name}: solution {start[0]} starts inside another solution"
                open_solution = [start[0], start[1], 0]
            else:
                assert open_solution is not None, f"{path.name}: solution-end without solution-start"
                solutions.append(tuple(open_solution))
                open_solution = None
    assert open_solution is None, f"{path.name}: solution {open_solution[0]} never ends"
    return labels, solutions


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_exercises_with_hidden_solutions_that_run(path):
    labels, solutions = exercises(path)
    assert 2 <= len(labels) <= 4, f"{path.name}: {len(labels)} exercises; every chapter has 2 to 4"
    assert sorted(s[0] for s in solutions) == sorted(labels), \
        f"{path.name}: every exercise needs exactly one solution ({labels} vs {[s[0] for s in solutions]})"
    for label, options, _ in solutions:
        assert ":class: dropdown" in options, f"{path.name}: the solution of {label} must be hidden (:class: dropdown)"
    assert sum(n > 0 for *_, n in solutions) >= 2, \
        f"{path.name}: at least two solutions must run code (the tests execute them with the chapter)"


def test_exercise_labels_are_unique_across_the_book():
    labels = [label for path in CHAPTERS for label in exercises(path)[0]]
    assert len(labels) == len(set(labels)), sorted(label for label in labels if labels.count(label) > 1)


GLUE_ROLE = re.compile(r"\{glue(?::[a-z]+)?\}`([^`]+)`")
GLUE_DIRECTIVE = re.compile(r"```\{glue(?::[a-z]+)?\}\s+(\S+)")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_glued_name_the_text_uses_is_stored_in_the_chapter(path):
    """The committed notebook holds every value its prose pastes, so a build with execution off (or a reader on
    GitHub) sees the measured numbers: notebooks must be saved by the executing kernel's client, not taken from a
    build's ``_build/jupyter_execute`` copy, from which myst-nb strips the glued outputs."""
    cells = json.loads(path.read_text())["cells"]
    stored = {o.get("metadata", {}).get("scrapbook", {}).get("name") for c in cells if c["cell_type"] == "code"
              for o in c.get("outputs", [])}
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    used = {m.split(":")[0] for m in GLUE_ROLE.findall(text) if "::" not in m} | set(GLUE_DIRECTIVE.findall(text))
    assert used, f"{path.name} pastes no measured value"
    missing = sorted(used - stored)
    assert not missing, f"{path.name}: the text pastes {missing}, which no stored output holds; re-execute the chapter"
