"""Running the notebooks on Google Colab: the badge of every notebook and its set-up cell.

``REPOSITORY`` is the one place that names where this repository is published. Every
notebook's "Open in Colab" badge and its set-up cell are written from it: after changing
it (a fork, a rename), run ``python -m helpers.colab`` to rewrite the badges and set-up
cells of ``notebooks/*.py``, then ``jupytext --sync notebooks/*.ipynb``;
tests/test_notebooks.py fails while any notebook disagrees with it.

On Colab the set-up cell clones the repository, installs its pinned requirements
(``requirements.txt``, then ``requirements-nodeps.txt`` without dependencies: the musicnn
checkpoints) and fetches GTZAN with ``python -m helpers.data download gtzan``
(checksummed, resumable); everywhere else it does nothing, so local runs, papermill and
nbval are unaffected.

    python -m helpers.colab [--check]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import cli
from .runtime import REPO_ROOT

# Where this repository is published (GitHub "owner/name" URL) and the branch the badges open.
REPOSITORY = "https://github.com/mgc-reports/music-genre-classification"
BRANCH = "main"
# Where the set-up cell clones the repository on Colab.
COLAB_CHECKOUT = "/content/music-genre-classification"

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
SETUP_MARKER = "# Colab set-up"

SETUP_CELL = f'''\
{SETUP_MARKER}: clone the repository, install its pinned requirements and fetch GTZAN.
# Anywhere else (JupyterLab, papermill, nbval) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    # Written from helpers.colab.REPOSITORY by `python -m helpers.colab`.
    REPOSITORY, CHECKOUT = "{REPOSITORY}", "{COLAB_CHECKOUT}"
    if not os.path.isdir(CHECKOUT):
        subprocess.run(["git", "clone", "--depth", "1", "--branch", "{BRANCH}", REPOSITORY, CHECKOUT], check=True)
    sys.path.insert(0, CHECKOUT)
    from helpers import colab

    colab.setup(CHECKOUT)'''


def on_colab() -> bool:
    return "google.colab" in sys.modules


def badge(notebook: str) -> str:
    """The Markdown "Open in Colab" badge of ``notebook`` (a file name such as ``00_data.ipynb``)."""
    path = REPOSITORY.removeprefix("https://github.com/")
    return f"[![Open in Colab]({BADGE_IMAGE})](https://colab.research.google.com/github/{path}/blob/{BRANCH}/notebooks/{notebook})"


def setup_commands(root: str | os.PathLike, python: str = sys.executable) -> list[list[str]]:
    """The commands :func:`setup` runs in ``root`` (a fresh clone) on Colab, in order."""
    commands = [
        [python, "-m", "pip", "install", "--quiet", "-r", "requirements.txt"],
        # musicnn's wheel for its checkpoints only: its metadata pins numpy<1.17, hence --no-deps.
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "-r", "requirements-nodeps.txt"],
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--editable", "."],
    ]
    if not gtzan_present(Path(root) / "data" / "gtzan"):
        commands.append([python, "-m", "helpers.data", "download", "gtzan"])
    return commands


def gtzan_present(folder: Path) -> bool:
    """GTZAN audio is there and no download was left half-way (a ``.part`` file resumes on the next run)."""
    if not folder.is_dir() or any(folder.rglob("*.part")):
        return False
    return any(folder.rglob("*.wav")) or any(folder.rglob("*.au"))


def setup(root: str | os.PathLike = COLAB_CHECKOUT, *, colab: bool | None = None,
          run: Callable[..., object] = subprocess.run) -> list[list[str]]:
    """On Colab: install the pinned requirements, fetch GTZAN into ``root/data/gtzan`` and
    work from ``root/notebooks``. Elsewhere (``colab`` false, by default when not on
    Colab): nothing, and no command. Returns the commands run."""
    if not (on_colab() if colab is None else colab):
        return []
    commands = setup_commands(root)
    for command in commands:
        print("$", " ".join(command[1:] if command[0] == sys.executable else command), flush=True)
        run(command, cwd=str(root), check=True)
    os.environ.setdefault("GTZAN_DIR", str(Path(root) / "data" / "gtzan"))
    os.chdir(Path(root) / "notebooks")
    return commands


# ------------------------------------------------------------- keeping the notebooks in step
BADGE_LINE = re.compile(r"^# \[!\[Open in Colab\]\(.*$", re.M)
NOTEBOOK_SOURCES = "notebooks/[0-9][0-9]_*.py"


def _cells(text: str) -> list[str]:
    return re.split(r"(?m)^(?=# %%)", text)


def expected_source(path: Path) -> str:
    """``path`` (a py:percent notebook source) with its badge and set-up cell written from ``REPOSITORY``."""
    text = path.read_text()
    notebook = path.with_suffix(".ipynb").name
    cells = _cells(text)
    for i, cell in enumerate(cells):
        if BADGE_LINE.search(cell):
            cells[i] = BADGE_LINE.sub(f"# {badge(notebook)}".replace("\\", "\\\\"), cell, count=1)
        body = cell.split("\n", 1)[1] if "\n" in cell else ""
        if body.startswith(SETUP_MARKER):
            trailing = body[len(body.rstrip("\n")):]
            cells[i] = cell.split("\n", 1)[0] + "\n" + SETUP_CELL + (trailing or "\n")
    return "".join(cells)


def stale_sources(root: Path = REPO_ROOT) -> list[Path]:
    """Notebook sources whose badge or set-up cell disagree with ``REPOSITORY`` (or that lack them)."""
    stale = []
    for path in sorted(root.glob(NOTEBOOK_SOURCES)):
        text = path.read_text()
        if not BADGE_LINE.search(text) or SETUP_MARKER not in text or expected_source(path) != text:
            stale.append(path)
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.colab",
                                     description="Rewrite the Colab badge and set-up cell of every notebook source from REPOSITORY.")
    parser.add_argument("--check", action="store_true", help="only report notebooks that disagree (exit 1)")
    args = parser.parse_args(argv)
    stale = stale_sources()
    if args.check:
        for path in stale:
            print(f"{path.relative_to(REPO_ROOT)}: badge or set-up cell differs from helpers.colab.REPOSITORY")
        return 1 if stale else 0
    for path in stale:
        text = path.read_text()
        if not BADGE_LINE.search(text) or SETUP_MARKER not in text:
            raise cli.UserError(f"{path.relative_to(REPO_ROOT)} has no Colab badge line or no set-up cell to rewrite; "
                                f"copy both from notebooks/00_data.py")
        path.write_text(expected_source(path))
        print(f"rewrote {path.relative_to(REPO_ROOT)}; now run: jupytext --sync notebooks/*.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
