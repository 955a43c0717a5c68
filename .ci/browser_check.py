"""Open every page of the built book in headless Chromium and fail on what a reader would see broken.

    python .ci/browser_check.py [_build/html] [--chromium /usr/bin/chromium] [--shots DIR]

The pages are served on localhost, as a web server would serve them. For every page it fails on:

* a JavaScript error (an uncaught exception, or an error on the console other than a resource that lives on
  another host, since the build machines are offline and a CDN's script may not load here, and the few
  benign messages listed in ``BENIGN``);
* an image that does not load, and any request to the book's own server that fails or answers 4xx/5xx;
* a broken internal link: a page that does not exist, or a ``#fragment`` with no such id on the target page;
* an unresolved glue reference (a ``{glue...}`` role left as text) or a stored error output (a traceback);

and each chapter page (``chapters/*.html``) must show at least one figure and its claims table (a table with
a ``verdict`` column). A full-page screenshot of each page is written to ``--shots`` (default: a temporary
folder); the log lists each page with its image count and screenshot size, then the page count.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import re
import sys
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SKIP = ("_static/", "_sources/", "_images/", "_panels_static/", "genindex.html", "search.html")
#: Console messages that are not errors of the book: pydata-sphinx-theme's notice on a browser's first visit
#: (no light/dark choice stored yet), and the browser's own request for a site icon the book does not have.
BENIGN = ("Got invalid theme mode", "favicon.ico")
GLUE_LEFT = re.compile(r"\{glue(:[a-z]+)?\}`|\{book-[a-z-]+\}")


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("id", "name") and v:
                self.ids.add(v)


@functools.lru_cache(maxsize=None)
def ids_of(path: Path) -> frozenset:
    p = _Ids()
    p.feed(path.read_text(errors="replace"))
    return frozenset(p.ids)


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def check_links(root: Path, base: str, page: Path, hrefs: list[str]) -> list[str]:
    problems = []
    page_url = base + page.relative_to(root).as_posix()
    for href in hrefs:
        url = urljoin(page_url, href)
        if not url.startswith(base):
            continue  # another host: not checked offline
        target, fragment = urldefrag(url)
        rel = urlparse(target).path.lstrip("/")
        path = root / rel if rel else root / "index.html"
        if path.is_dir():
            path = path / "index.html"
        if not path.exists():
            problems.append(f"broken link {href!r}: {path.relative_to(root)} does not exist")
        elif fragment and path.suffix == ".html" and fragment not in ids_of(path):
            problems.append(f"broken link {href!r}: no id {fragment!r} in {path.relative_to(root)}")
    return problems


def check_page(ctx, root: Path, base: str, page: Path, shots: Path) -> tuple[list[str], str]:
    problems: list[str] = []
    tab = ctx.new_page()
    tab.on("pageerror", lambda e: problems.append(f"JavaScript error: {e}"))

    def on_console(msg):
        if msg.type == "error":
            where = (msg.location or {}).get("url", "")
            if "Failed to load resource" in msg.text and where and not where.startswith(base):
                return
            if any(b in msg.text or b in where for b in BENIGN):
                return
            problems.append(f"console error: {msg.text} ({where})")

    def on_response(resp):
        if resp.url.startswith(base) and resp.status >= 400 and not resp.url.endswith("/favicon.ico"):
            problems.append(f"{resp.status} for {resp.url[len(base):]}")

    def on_failed(req):
        if req.url.startswith(base):
            problems.append(f"request failed: {req.url[len(base):]} ({req.failure})")

    tab.on("console", on_console)
    tab.on("response", on_response)
    tab.on("requestfailed", on_failed)
    tab.goto(base + page.relative_to(root).as_posix(), wait_until="load")
    tab.wait_for_timeout(200)
    if tab.url.startswith(base) and urlparse(tab.url).path.lstrip("/") != page.relative_to(root).as_posix():
        tab.wait_for_load_state("load")  # a redirect page (index.html -> the root document): check where it lands
        page = root / (urlparse(tab.url).path.lstrip("/") or "index.html")
    broken = tab.evaluate("Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
                          ".map(i => i.getAttribute('src'))")
    problems += [f"image does not load: {src}" for src in broken]
    n_images = tab.evaluate("document.images.length")
    hrefs = tab.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
    problems += check_links(root, base, page, hrefs)
    text = tab.inner_text("article") if tab.query_selector("article") else tab.inner_text("body")
    if GLUE_LEFT.search(text):
        problems.append(f"unresolved glue or directive: {GLUE_LEFT.search(text).group(0)!r}")
    if tab.query_selector(".output.traceback, .output.error") or "Traceback (most recent call last)" in text:
        problems.append("a stored error output (traceback)")
    if page.parent.name == "chapters":
        figures = tab.evaluate("document.querySelectorAll('.cell_output img').length")
        verdict_tables = tab.evaluate("Array.from(document.querySelectorAll('table')).filter(t => "
                                      "Array.from(t.querySelectorAll('th')).some(h => h.textContent.trim() === 'verdict'))"
                                      ".length")
        if not figures:
            problems.append("a chapter page without figures")
        if not verdict_tables:
            problems.append("a chapter page without its claims table (a table with a 'verdict' column)")
    shot = shots / (page.relative_to(root).as_posix().replace("/", "__") + ".png")
    tab.screenshot(path=str(shot), full_page=True)
    tab.close()
    return problems, f"{n_images} images, screenshot {shot.stat().st_size // 1024} KiB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("html", nargs="?", default="_build/html")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--shots", default="")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    root = Path(args.html).resolve()
    shots = Path(args.shots or tempfile.mkdtemp(prefix="book-shots-"))
    shots.mkdir(parents=True, exist_ok=True)
    pages = sorted(p for p in root.rglob("*.html") if not p.relative_to(root).as_posix().startswith(SKIP))
    if not pages:
        print(f"no pages under {root}; build the book first")
        return 1
    server, base = serve(root)
    failures = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        for page in pages:
            problems, summary = check_page(ctx, root, base, page, shots)
            name = page.relative_to(root).as_posix()
            print(f"{'FAIL' if problems else 'ok  '} {name}: {summary}")
            for p in problems:
                print(f"     {p}")
            failures += bool(problems)
        browser.close()
    server.shutdown()
    print(f"browser check: {len(pages)} pages opened in headless Chromium, {failures} with problems; "
          f"screenshots in {shots}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
