"""What a reader sees in the committed notebooks: few stderr lines, narrow tables, something to listen to."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_STDERR_OUTPUTS = 20  # in all committed notebooks together: progress bars print one line to stdout instead
MAX_COLUMNS = 8


def _outputs(notebook: Path) -> list[tuple[int, dict]]:
    cells = json.loads(notebook.read_text())["cells"]
    return [(i, output) for i, cell in enumerate(cells) if cell["cell_type"] == "code" for output in cell.get("outputs", [])]


def test_committed_notebooks_have_few_stderr_outputs():
    stderr = {nb.stem: sum(o.get("name") == "stderr" for _, o in _outputs(nb)) for nb in NOTEBOOKS}
    assert sum(stderr.values()) <= MAX_STDERR_OUTPUTS, stderr


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_table_is_wider_than_eight_columns(notebook):
    wide = []
    for i, output in _outputs(notebook):
        html = "".join(output.get("data", {}).get("text/html", ""))
        for body in re.findall(r"<tbody>\s*<tr>(.*?)</tr>", html, re.S):  # data cells of a table's first row
            columns = len(re.findall(r"<td", body))
            if columns > MAX_COLUMNS:
                wide.append((i, columns))
    assert not wide, f"{notebook.name}: (cell, columns) of tables wider than {MAX_COLUMNS}: {wide}"


def test_at_least_three_notebooks_play_short_excerpts():
    playing = {}
    for notebook in NOTEBOOKS:
        players = [o for _, o in _outputs(notebook) if "<audio" in "".join(o.get("data", {}).get("text/html", ""))]
        if players:
            playing[notebook.stem] = max(len("".join(o["data"]["text/html"])) for o in players)
    assert len(playing) >= 3, playing
    assert max(playing.values()) < 150_000, playing  # a few seconds, mono, low rate: each player stays small
