"""The generated pages (``_ext/book_pages.py``): a tiny Sphinx project with two chapters, one of which glued
its scorecard record, is built, and the scorecard, chapter map, run status and shared figure come from it."""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import nbformat
import pytest

from poslib import claims, config, scorecard

ROOT = Path(__file__).resolve().parents[1]
# a 1 x 1 PNG
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cfc0f01f0005"
    "0001ff5cc8a58a0000000049454e44ae426082")).decode()


def glued(name: str, data: dict) -> nbformat.NotebookNode:
    """A notebook output as myst_nb.glue(name, ..., display=False) stores it."""
    prefix = "application/papermill.record/"
    return nbformat.v4.new_output("display_data", data={prefix + k: v for k, v in data.items()},
                                  metadata={"scrapbook": {"name": name, "mime_prefix": prefix}})


def chapter(path: Path, title: str, record: dict | None, figure: bool = False) -> None:
    cell = nbformat.v4.new_code_cell("chapter.finish(C)")
    if record is not None:
        cell.outputs.append(glued(scorecard.GLUE_KEY, {scorecard.MIME: record, "text/plain": "record"}))
    if figure:
        cell.outputs.append(glued("shared_fig", {"image/png": PNG, "text/plain": "<Figure>"}))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {title}\n\nText."), cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from sphinx.application import Sphinx

    src = tmp_path_factory.mktemp("book")
    c = claims.Claims("Chapter X", [
        claims.Finding("good", "A beats B", "x", "above", 0.1, paper="the paper's A", headline=True),
        claims.Finding("shaky", "E beats F", "x", "above", 0.1, binding=False, note="not robust: seeds 11-13"),
        claims.Finding("ident", "H is exact", "x", "identity", kind="sanity")])
    c.record("good", [0.5, 0.6], 0.2)
    c.record("shaky", [0.1, 0.6], 0.2)
    c.record("ident", holds=True, ours="max |x| 0")
    chapter(src / "ch1.ipynb", "1. The first chapter", json.loads(json.dumps(scorecard.record(c, 3.0))), figure=True)
    chapter(src / "ch2.ipynb", "2. A chapter that did not run", None)
    (src / "conf.py").write_text(f"import sys\nsys.path.insert(0, {str(ROOT / '_ext')!r})\n"
                                 "extensions = ['myst_nb', 'book_pages']\nnb_execution_mode = 'off'\n"
                                 "root_doc = 'index'\nexclude_patterns = ['_build']\n")
    (src / "index.md").write_text("# Front\n\n```{book-chapter-map}\n```\n\n```{book-scorecard-summary}\n```\n\n```{book-figure} ch1.ipynb::shared_fig\n```\n\n"
                                  "```{toctree}\nch1\nch2\nscorecard\nstatus\n```\n")
    (src / "scorecard.md").write_text("# Scorecard\n\n```{book-scorecard}\n```\n")
    (src / "status.md").write_text("# Status\n\n```{book-run-status}\n```\n\n```{book-chapter-times}\n```\n")
    out, warnings = src / "_build" / "html", io.StringIO()
    Sphinx(str(src), str(src), str(out), str(src / "_build" / "doctrees"), "html", status=None,
           warning=warnings, freshenv=True).build()
    return out, warnings.getvalue()


def test_chapter_map_shows_each_chapter_s_headline_and_verdict(site):
    out, _ = site
    page = (out / "index.html").read_text()
    assert 'href="ch1.html#claim-good"' in page and "A beats B" in page
    assert "verdict-ok" in page and "1 of 2" in page  # one of the two findings reproduced
    assert "book-scorecard-counts" in page and "<strong>the book</strong>" in page  # the summary


def test_scorecard_lists_every_claim_with_its_verdict_and_link(site):
    out, _ = site
    page = (out / "scorecard.html").read_text()
    for text in ("A beats B", "the paper&#x27;s A", "E beats F", "not robust", "(did not hold in this run)",
                 "H is exact", "not counted as findings", "the book", 'href="ch1.html#claim-shaky"'):
        assert text in page, text


def test_run_status_and_the_shared_figure(site):
    out, _ = site
    status = (out / "status.html").read_text()
    assert "smoke" in status and "3 s" in status and "bf16 units" in status
    assert "0.1 min" in status and f"smoke profile, 1 seed(s), {config.precision()}" in status
    assert (out / "_images" / "shared_fig.png").read_bytes() == base64.b64decode(PNG)
    assert 'src="_images/shared_fig.png"' in (out / "index.html").read_text()


def test_a_chapter_without_a_record_is_a_warning(site):
    _, warnings = site
    assert "ch2 has no scorecard record" in warnings
    # once per page that shows records (front, scorecard, status), however many directives a page holds
    assert warnings.count("ch2 has no scorecard record") == 3
