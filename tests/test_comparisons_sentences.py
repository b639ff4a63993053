"""A reading states a difference between trained models as a finding only over several training seeds and a
paired test on the same clips: the one sentence that states it (``comparisons.difference_sentence``) never calls
one run a finding, and no committed notebook's generated reading does either."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from helpers.results import comparisons

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _record(seed: int, correct: np.ndarray, model: str = "a") -> dict:
    ids = [f"clip{i}" for i in range(len(correct))]
    return {"model": model, "protocol": "fault-filtered", "sizes": {"test": len(ids)}, "failure": None,
            "params": {"training": {"seed": seed}}, "confusion": {"labels": ["x", "y"]},
            "extra": {"test_clips": {"id": ids, "truth": ["x"] * len(ids),
                                     "predicted": ["x" if c else "y" for c in correct]}}}


def test_a_large_gain_from_one_run_is_one_run_not_a_finding():
    better, worse = np.ones(200, bool), np.r_[np.ones(100, bool), np.zeros(100, bool)]
    diff = comparisons.seeded_difference([_record(42, better)], [_record(42, worse, "b")], resamples=200)
    sentence = comparisons.difference_sentence("a", "b", diff, "fault-filtered", 200)
    assert diff.low > 0 and diff.verdict == "one run"  # the clip interval excludes zero, one seed is still one run
    assert "over 1 training seeds" in sentence and "not a finding" in sentence and "paired bootstrap" in sentence
    three = comparisons.seeded_difference([_record(s, better) for s in (42, 43, 44)],
                                          [_record(s, worse, "b") for s in (42, 43, 44)], resamples=200)
    assert three.verdict == "finding"
    assert comparisons.difference_sentence("a", "b", three, "fault-filtered", 200).endswith(comparisons.VERDICT_WORDS["finding"])


def test_a_seeded_comparison_with_a_failed_run_shows_no_mean_and_names_the_failed_seeds():
    better, worse = np.ones(200, bool), np.r_[np.ones(100, bool), np.zeros(100, bool)]
    ours = [_record(s, better) for s in (42, 43, 44)]
    theirs = [_record(s, worse, "b") for s in (42, 43, 44)]
    theirs[1], theirs[2] = ({**r, "failure": "did not learn"} for r in theirs[1:])
    row = comparisons.seeded_row("a", ours, "b", theirs, resamples=100)
    assert row["mean [95 % CI over clips]"] == "n/a (a run failed)" and row["verdict"] == "not compared: failed b (seeds 43, 44)"
    assert comparisons.failed_in_seeds(ours) == ""
    assert comparisons.seeded_row("a", ours, "b", [_record(s, worse, "b") for s in (42, 43, 44)], resamples=100)["verdict"] == "finding"


def _reading_lines(notebook: Path) -> list[str]:
    """The lines of every generated markdown output (the readings) of a rendered notebook."""
    cells = json.loads(notebook.read_text())["cells"]
    return [line for cell in cells if cell["cell_type"] == "code" for output in cell.get("outputs", [])
            for line in "".join(output.get("data", {}).get("text/markdown", "")).splitlines()]


def finding_claims(lines: list[str]) -> list[str]:
    """Lines that call something a finding without naming training seeds and a paired test."""
    claims = []
    for line in lines:
        # negations ("not a finding", "neither order is a finding") and statements of the rule ("a finding only when")
        said = re.sub(r"\b(not|neither|nor|no|never)\b[^.;:]{0,60}\bfinding|\bfinding only\b", "", line, flags=re.I)
        if re.search(r"\bfinding\b|\bsignificant(ly)?\b|\boutperform", said, re.I) and not (
                re.search(r"\b([3-9]|\d\d+) (groups of )?training seeds\b", line) and "paired" in line):
            claims.append(line)
    return claims


def test_the_checker_catches_a_finding_from_one_run():
    assert finding_claims(["- a minus b over 1 training seeds: +0.2 (paired bootstrap): a finding: it holds"]) != []
    assert finding_claims(["- CNN outperforms the forest on the test clips."]) != []
    assert finding_claims(["- a minus b over 3 training seeds: +0.2 (paired bootstrap ...): a finding: it holds"]) == []
    assert finding_claims(["- one run each, not a finding"]) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_committed_reading_calls_one_run_a_finding(notebook):
    assert finding_claims(_reading_lines(notebook)) == []
