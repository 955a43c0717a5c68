"""The Colab route: poslib as a reader installs it (a wheel, not this checkout) runs a chapter.

The test builds poslib's wheel, installs it (not editable, no dependencies) into a fresh virtual environment,
checks that the files the package reads at run time are inside (the authors' target maps and test images,
with their licence), and executes Chapter 1 in the ``smoke`` profile on a kernel of that environment, from a
folder outside the repository, so that nothing can come from this checkout.

The environment sees the dependencies the running interpreter has (torch is a multi-gigabyte wheel) as plain
path entries: their ``.pth`` files are not run, so an editable install of poslib elsewhere cannot leak in.

It takes about a minute, so it runs only when ``POSLIB_WHEEL_TEST=1`` (``.ci/run`` sets it).
"""
from __future__ import annotations

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSETS = sorted(p.name for p in (ROOT / "poslib" / "assets" / "official").iterdir() if p.is_file())

pytestmark = pytest.mark.skipif(os.environ.get("POSLIB_WHEEL_TEST") != "1",
                                reason="takes a minute; run with POSLIB_WHEEL_TEST=1 (CI does)")


def run(*cmd, **kw) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT))
    wheels = list(out.glob("poslib-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    env = tmp_path_factory.mktemp("venv") / "env"
    run(sys.executable, "-m", "venv", "--without-pip", str(env))
    python = env / "bin" / "python"
    purelib = Path(run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    deps = [p for p in site.getsitepackages() + [site.getusersitepackages()] if Path(p).is_dir()]
    (purelib / "zz_dependencies.pth").write_text("\n".join(deps) + "\n")
    run(sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(purelib), str(wheel))
    run(str(python), "-m", "ipykernel", "install", "--prefix", str(env), "--name", "poslib-wheel")
    return env


def test_the_wheel_ships_every_asset(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(Path(n).name for n in names if n.startswith("poslib/assets/official/"))
    assert shipped == ASSETS, f"the wheel ships {shipped}, the package reads {ASSETS}"
    assert "LICENSE" in shipped
    assert any(n.startswith("poslib/findings/") for n in names), "subpackages must be in the wheel"


def test_the_installed_package_is_the_wheel_and_finds_its_files(venv, tmp_path):
    code = ("import pathlib, poslib; from poslib import data, targets; p = pathlib.Path(poslib.__file__).parent; "
            "print(p); print(sorted(q.name for q in (p / 'assets' / 'official').iterdir())); "
            "print(tuple(targets.stack(targets.NAMES, 32).shape))")
    out = run(str(venv / "bin" / "python"), "-c", code, cwd=tmp_path).splitlines()
    assert Path(out[0]).is_relative_to(venv), f"poslib came from {out[0]}, not the wheel's environment"
    assert out[1] == str(ASSETS) and out[2] == "(5, 32, 32)"


def test_chapter_1_runs_in_smoke_on_the_wheel(venv, tmp_path):
    import nbformat

    nb = nbformat.read(ROOT / "chapters" / "01_hypothesis.ipynb", as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import poslib\nprint('poslib from', poslib.__file__)"))
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    env = dict(os.environ, POSLIB_PROFILE="smoke", TQDM_DISABLE="1", JUPYTER_PATH=str(venv / "share" / "jupyter"),
               POSLIB_CACHE=str(tmp_path / "cache"))
    env.pop("PYTHONPATH", None)
    run(str(venv / "bin" / "python"), "-m", "nbconvert", "--to", "notebook", "--execute", "--inplace",
        "--ExecutePreprocessor.kernel_name=poslib-wheel", "--ExecutePreprocessor.timeout=600", str(path),
        cwd=tmp_path, env=env)
    done = nbformat.read(path, as_version=4)
    first = "".join(o.get("text", "") for o in done.cells[0].outputs)
    assert str(venv) in first, f"the chapter imported {first!r}, not the wheel"
    errors = [o for c in done.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert any("Chapter 1 ran in" in o.get("text", "") for c in done.cells if c.cell_type == "code" for o in c.outputs)
