"""Differences between trained models, and when one is a finding.

A record that keeps its test predictions per clip (``extra.test_clips``: ``id``, ``truth``, ``predicted``) can be
compared with another scored on the same clips: :func:`paired_difference` resamples the clips once for both (a
paired bootstrap). A test-clip interval says nothing of training noise, so a difference is read as a finding only
when it holds over several training seeds: :func:`seeded_difference` pairs two models seed by seed on the same
clips and calls the difference a finding when it has :data:`MIN_SEEDS` seeds or more, keeps its sign in every
seed, and the paired interval of its mean over the seeds excludes zero (the repository's rule; otherwise "one run"
or "not measurable").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import metrics
from .records import training_seed

MIN_SEEDS = 3
VERDICT_WORDS = {"finding": "a finding: it holds in every seed and its interval excludes zero",
                 "not measurable": "not measurable: the seeds disagree or the interval includes zero",
                 "one run": f"fewer than {MIN_SEEDS} seeds, so one run each, not a finding"}
CLIP_METRICS = {"accuracy": lambda t, p, labels: metrics.accuracy(t, p),
                "macro_f1": lambda t, p, labels: metrics.macro_f1(t, p, labels)}


def _aligned(record: dict, reference: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Truth and both predictions on the same clips, in ``record``'s order (``ValueError`` for other clips)."""
    a, b = record["extra"]["test_clips"], reference["extra"]["test_clips"]
    if sorted(a["id"]) != sorted(b["id"]):
        raise ValueError(f"{record['model']} and {reference['model']} were not tested on the same clips")
    order = {clip: i for i, clip in enumerate(b["id"])}
    index = [order[c] for c in a["id"]]
    return np.asarray(a["truth"]), np.asarray(a["predicted"]), np.asarray(b["predicted"])[index]


def paired_difference(record: dict, reference: dict, metric: str = "accuracy", resamples: int = 1000,
                      seed: int = 42) -> tuple[float, float, float]:
    """Clip-level ``metric`` of ``record`` minus ``reference`` on the same test clips (asserted), paired bootstrap:
    ``(difference, 2.5 %, 97.5 %)``."""
    truth, pa, pb = _aligned(record, reference)
    labels = record["confusion"]["labels"]
    score = CLIP_METRICS[metric]
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        i = rng.integers(0, len(truth), len(truth))
        draws.append(score(truth[i], pa[i], labels) - score(truth[i], pb[i], labels))
    return (score(truth, pa, labels) - score(truth, pb, labels), float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5)))


@dataclass(frozen=True)
class SeededDifference:
    """Accuracy of one model minus another's, seed by seed on the same test clips, and their mean with a paired
    interval over the clips."""

    per_seed: tuple[float, ...]  # each seed's difference
    mean: float
    low: float
    high: float

    @property
    def seeds(self) -> int:
        return len(self.per_seed)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.per_seed), max(self.per_seed)

    @property
    def verdict(self) -> str:
        """``finding`` (enough seeds, one sign in every seed, an interval that excludes zero), ``not measurable``
        (enough seeds, but not all three conditions), or ``one run`` (fewer than :data:`MIN_SEEDS` seeds)."""
        if self.seeds < MIN_SEEDS:
            return "one run"
        same_sign = all(d > 0 for d in self.per_seed) or all(d < 0 for d in self.per_seed)
        return "finding" if same_sign and (self.low > 0 or self.high < 0) else "not measurable"


def seeded_difference(records: Sequence[dict], references: Sequence[dict], resamples: int = 1000,
                      seed: int = 42) -> SeededDifference:
    """Accuracy of ``records`` minus ``references``, paired seed by seed (the i-th of each trained with the same
    seed, on the same test clips): each seed's difference, and the mean over seeds with a 95 % interval that
    resamples the clips once for every seed (each clip's correctness averaged over the seeds)."""
    if not records or len(records) != len(references):
        raise ValueError(f"pair each run with its reference seed by seed; got {len(records)} and {len(references)} runs")
    unpaired = [(training_seed(r), training_seed(ref)) for r, ref in zip(records, references) if training_seed(r) != training_seed(ref)]
    if unpaired:
        raise ValueError(f"pair each run with its reference trained with the same seed; got seeds {unpaired[0]}")
    rows = [_aligned(r, ref) for r, ref in zip(records, references)]
    ids = sorted(records[0]["extra"]["test_clips"]["id"])
    if any(sorted(r["extra"]["test_clips"]["id"]) != ids for r in records):
        raise ValueError("every seed's run must be tested on the same clips")
    gains = np.mean([(pa == truth).astype(float) - (pb == truth).astype(float) for truth, pa, pb in rows], axis=0)
    per_seed = tuple(float(np.mean(pa == truth) - np.mean(pb == truth)) for truth, pa, pb in rows)
    rng = np.random.default_rng(seed)
    draws = [gains[rng.integers(0, len(gains), len(gains))].mean() for _ in range(resamples)]
    return SeededDifference(per_seed, float(gains.mean()), float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5)))


def difference_sentence(name: str, reference: str, diff: SeededDifference, protocol: str, test_clips: int,
                        unit: str = "training seeds") -> str:
    """The one way a reading states a difference between trained models: both names, the number of training seeds
    (``unit``: what was repeated), each seed's difference, the mean with its paired bootstrap interval over the
    same test clips, and the verdict in words (a finding only under :data:`MIN_SEEDS` or more seeds, one sign
    in every seed and an interval that excludes zero; otherwise "one run" or "not measurable")."""
    return (f"{name} minus {reference} on the same {test_clips} test clips of *{protocol}*, over {diff.seeds} {unit}: "
            f"{diff.mean:+.3f} in accuracy (each {', '.join(f'{d:+.3f}' for d in diff.per_seed)}; paired bootstrap "
            f"95 % interval {diff.low:+.3f} to {diff.high:+.3f}): {VERDICT_WORDS[diff.verdict]}")


def failed_in_seeds(*groups: Sequence[dict]) -> str:
    """The runs among ``groups`` that failed, each with its training seeds (``resnet18-mel (seeds 43, 44)``); empty
    when every run learned. A seeded comparison with a failed run is not made: its mean would mix a run that did not
    learn with runs that did."""
    from .records import failure, training_seed

    failed: dict[str, list] = {}
    for r in (r for group in groups for r in group):
        if failure(r):
            failed.setdefault(r["model"], []).append(training_seed(r))
    return ", ".join(f"{model} (seed{'s' if len(seeds) > 1 else ''} {', '.join(str(s) for s in sorted(seeds, key=str))})"
                     for model, seeds in sorted(failed.items()))


def seeded_row(name: str, records: Sequence[dict], reference: str, references: Sequence[dict], resamples: int = 1000,
               seed: int = 42) -> dict:
    """One table row of :func:`seeded_difference`: comparison, protocol, test clips, seeds, each seed's accuracy
    difference, the mean with its paired interval, and the verdict; where a run failed in a seed, the mean is
    ``n/a`` and the verdict ``not compared`` names the failed runs and seeds (:func:`failed_in_seeds`)."""
    diff = seeded_difference(records, references, resamples=resamples, seed=seed)
    failed = failed_in_seeds(records, references)
    return {"comparison": f"{name} minus {reference}", "protocol": records[0]["protocol"],
            "test clips": records[0]["sizes"]["test"], "seeds": diff.seeds,
            "per seed": ", ".join(f"{d:+.3f}" for d in diff.per_seed),
            "mean [95 % CI over clips]": "n/a (a run failed)" if failed else f"{diff.mean:+.3f} [{diff.low:+.3f}, {diff.high:+.3f}]",
            "verdict": f"not compared: failed {failed}" if failed else diff.verdict}

