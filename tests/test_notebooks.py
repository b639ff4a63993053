"""The notebook sources: jupytext pairs in sync, shared cells identical, Colab badge and set-up,
readings generated rather than typed, and clean committed outputs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from helpers import colab

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOURCES = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.py"))
JUPYTEXT = [sys.executable, "-m", "jupytext"]


def _cells(notebook) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.cell_type, c.source, tuple(c.metadata.get("tags", ()))) for c in notebook.cells]


def test_every_notebook_is_a_pair():
    assert NOTEBOOKS and [p.stem for p in NOTEBOOKS] == [p.stem for p in SOURCES]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_is_in_sync(path):
    """The .py source and the rendered .ipynb hold the same cells (type, source, tags)."""
    rendered = nbformat.read(path, as_version=4)
    source = jupytext.read(path.with_suffix(".py"))
    assert _cells(source) == _cells(rendered), (
        f"{path.name} and {path.with_suffix('.py').name} differ: run `jupytext --sync notebooks/*.ipynb` "
        f"(the newer side wins), then re-render the notebook if its code changed")


def _copy_notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for path in [*NOTEBOOKS, *SOURCES, REPO / "notebooks" / "jupytext.toml"]:
        shutil.copy2(path, folder / path.name)
    return folder


def test_sync_on_a_fresh_checkout_changes_nothing(tmp_path):
    folder = _copy_notebooks(tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for p in folder.iterdir():  # a clone gives arbitrary modification times: make the sources the newer side
        if p.suffix == ".py":
            os.utime(p, (p.stat().st_mtime + 10,) * 2)
    subprocess.run([*JUPYTEXT, "--sync", *map(str, sorted(folder.glob("*.ipynb")))], check=True, capture_output=True)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_editing_either_side_then_sync_updates_the_other_and_keeps_outputs(tmp_path):
    folder = _copy_notebooks(tmp_path)
    ipynb, py = folder / NOTEBOOKS[0].name, folder / SOURCES[0].name
    outputs = [c.get("outputs") for c in nbformat.read(ipynb, as_version=4).cells if c.cell_type == "code"]

    py.write_text(py.read_text() + "\n# %% [markdown]\n# Edited in the .py source.\n")
    os.utime(py, (ipynb.stat().st_mtime + 10,) * 2)
    subprocess.run([*JUPYTEXT, "--sync", str(ipynb)], check=True, capture_output=True)
    notebook = nbformat.read(ipynb, as_version=4)
    assert notebook.cells[-1].source == "Edited in the .py source."
    assert [c.get("outputs") for c in notebook.cells if c.cell_type == "code"] == outputs

    notebook.cells[-1].source = "Edited in JupyterLab."
    nbformat.write(notebook, ipynb)
    os.utime(ipynb, (py.stat().st_mtime + 10,) * 2)
    subprocess.run([*JUPYTEXT, "--sync", str(py)], check=True, capture_output=True)
    assert py.read_text().rstrip().endswith("# Edited in JupyterLab.")


def _code_cells(path: Path) -> list[str]:
    return [c.source for c in jupytext.read(path).cells if c.cell_type == "code"]


def test_parameters_and_set_up_cells_are_the_same_in_every_notebook():
    first = jupytext.read(SOURCES[0]).cells
    parameters = [c for c in first if "parameters" in c.metadata.get("tags", [])][0].source
    for path in SOURCES:
        cells = jupytext.read(path).cells
        tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: one cell tagged parameters"
        # Notebooks may add their own parameters after the shared PROFILE and DATASET lines.
        assert tagged[0].source.startswith(parameters), f"{path.name}: the parameters cell differs from {SOURCES[0].name}"
        setup = [c.source for c in cells if c.cell_type == "code" and c.source.startswith(colab.SETUP_MARKER)]
        assert setup == [colab.SETUP_CELL], f"{path.name}: set-up cell missing or edited; run python -m helpers.colab"
        assert cells.index(tagged[0]) > [c.source for c in cells].index(colab.SETUP_CELL)


def test_badges_and_set_up_cells_follow_the_repository_constant(monkeypatch):
    assert colab.stale_sources() == []
    text = SOURCES[0].read_text()
    assert colab.badge(NOTEBOOKS[0].name) in text and colab.REPOSITORY in text
    monkeypatch.setattr(colab, "REPOSITORY", "https://github.com/someone/a-fork")
    monkeypatch.setattr(colab, "SETUP_CELL", colab.SETUP_CELL.replace("mgc-reports/music-genre-classification", "someone/a-fork"))
    assert colab.stale_sources() == SOURCES  # every notebook would be rewritten


def test_set_up_cell_does_nothing_outside_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    cwd = os.getcwd()
    namespace: dict = {}
    exec(colab.SETUP_CELL, namespace)
    assert os.getcwd() == cwd and "colab" not in namespace and "subprocess" not in namespace
    assert colab.setup(colab=False, run=lambda *a, **k: pytest.fail("ran a command outside Colab")) == []


def test_set_up_on_colab_installs_pins_fetches_gtzan_and_moves_to_the_notebooks(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    monkeypatch.delenv("GTZAN_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    ran = []
    commands = colab.setup(tmp_path, colab=True, run=lambda command, **kwargs: ran.append((command, kwargs["cwd"])))
    assert [c for c, _ in ran] == commands and {cwd for _, cwd in ran} == {str(tmp_path)}
    assert commands[0][-2:] == ["-r", "requirements.txt"]
    # musicnn's checkpoints, without its numpy<1.17 pins; then the helpers themselves.
    assert commands[1][1:] == ["-m", "pip", "install", "--quiet", "--no-deps", "-r", "requirements-nodeps.txt"]
    assert commands[2][-3:] == ["--no-deps", "--editable", "."]
    assert commands[-1][-3:] == ["helpers.data", "download", "gtzan"]
    assert Path.cwd() == tmp_path / "notebooks"
    assert os.environ["GTZAN_DIR"] == str(tmp_path / "data" / "gtzan")
    gtzan = tmp_path / "data" / "gtzan" / "genres_original" / "blues"
    gtzan.mkdir(parents=True)
    assert any("download" in c for c in colab.setup_commands(tmp_path))  # an empty folder is not a dataset
    (gtzan / "blues.00000.wav").write_bytes(b"RIFF")
    (gtzan.parent.parent / "genres.tar.gz.part").write_bytes(b"half")
    assert any("download" in c for c in colab.setup_commands(tmp_path))  # an interrupted download resumes
    (gtzan.parent.parent / "genres.tar.gz.part").unlink()
    assert not any("download" in c for c in colab.setup_commands(tmp_path))  # already fetched


def test_colab_check_command_reports_nothing_on_the_committed_sources():
    result = subprocess.run([sys.executable, "-m", "helpers.colab", "--check"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


TYPED_RESULT = re.compile(r"(?<![\w.])0\.\d{2,}|\b\d{1,3}(\.\d+)? ?%")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_no_result_is_typed_into_markdown(path):
    """Results (accuracies, shares) are computed at render time, never typed into Markdown cells.

    Method constants (a 95 % interval, a 70/10/20 split, 10 % time shift) are written as such;
    this test looks for accuracy-like decimals and percentages outside those.
    """
    allowed = re.compile(r"95 %|\d+ ?%\s(time|validation|test|train|of the clip)|\d+ ?% to \d+ ?%|\d+/\d+|2 %|1 %")
    for cell in jupytext.read(path).cells:
        if cell.cell_type != "markdown":
            continue
        text = allowed.sub("", cell.source)
        assert not TYPED_RESULT.search(text), f"{path.name}: typed number in Markdown: {cell.source[:200]!r}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_every_notebook_ends_with_a_generated_reading(path):
    cells = jupytext.read(path).cells
    headings = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## What we learned")]
    assert headings, f"{path.name} has no '## What we learned' section"
    after = [c for c in cells[headings[-1] + 1:] if c.cell_type == "code"]
    assert after and "Markdown(" in after[0].source, f"{path.name}: the reading must be generated (IPython Markdown)"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_every_notebook_opens_with_what_you_will_learn_and_closes_with_exercises(path):
    """A course notebook: "What you will learn" before its first section, "Try it yourself" as its last cell, with a
    hint or a solution for each numbered exercise."""
    cells = [c for c in jupytext.read(path).cells if c.cell_type == "markdown"]
    headings = [line for c in cells for line in c.source.splitlines() if line.startswith("## ")]
    learn = [i for i, h in enumerate(headings) if h.startswith("## What you will learn")]
    sections = [i for i, h in enumerate(headings) if re.match(r"## \d", h)]
    assert learn and (not sections or learn[0] < sections[0]), f"{path.name}: no 'What you will learn' before its sections"
    last = cells[-1].source
    assert "## Try it yourself" in last.splitlines()[0], f"{path.name}: its last cell is not 'Try it yourself'"
    exercises = re.findall(r"^\d+\. ", last, flags=re.M)
    hints = re.findall(r"Hint|Solution", last)
    assert exercises and len(hints) >= len(exercises), f"{path.name}: {len(exercises)} exercises, {len(hints)} hints"


STARTUP_NOISE = re.compile(r"oneDNN custom operations|This TensorFlow binary is optimized|Unable to register cu|"
                           r"cuda_(dnn|blas|fft)|absl::|TF-TRT Warning|triggered tf\.function retracing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_outputs_carry_no_tensorflow_start_up_lines(path):
    outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(path, as_version=4).cells])
    assert not STARTUP_NOISE.search(outputs), f"{path.name}: TensorFlow start-up or retracing lines in its outputs"
