"""When a difference between two trained models is a finding: paired on the same test clips, and over at least
three training seeds with one sign in every seed and an interval that excludes zero."""

import pytest

from helpers.results import comparisons


def _record(predicted, truth=("a", "b", "a", "b", "a", "b", "a", "b"), model="m", clips=None):
    ids = clips or [f"c{i}" for i in range(len(truth))]
    return {"model": model, "confusion": {"labels": ["a", "b"]},
            "extra": {"test_clips": {"id": list(ids), "truth": list(truth), "predicted": list(predicted)}}}


RIGHT = ("a", "b", "a", "b", "a", "b", "a", "b")
WRONG = ("b", "a", "b", "a", "b", "a", "b", "a")
HALF = ("a", "b", "a", "b", "b", "a", "b", "a")


def test_paired_difference_needs_the_same_clips_in_any_order():
    assert comparisons.paired_difference(_record(RIGHT), _record(WRONG), resamples=50)[0] == 1.0
    shuffled = _record(RIGHT[::-1], truth=RIGHT[::-1], clips=[f"c{i}" for i in range(7, -1, -1)])
    assert comparisons.paired_difference(shuffled, _record(RIGHT), resamples=50) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="not tested on the same clips"):
        comparisons.paired_difference(_record(RIGHT), _record(RIGHT, clips=[f"x{i}" for i in range(8)]), resamples=50)


def test_a_difference_is_a_finding_only_over_three_seeds_of_one_sign_with_an_interval_off_zero():
    three = comparisons.seeded_difference([_record(RIGHT)] * 3, [_record(WRONG)] * 3, resamples=200)
    assert three.verdict == "finding" and three.per_seed == (1.0, 1.0, 1.0) and three.low > 0
    two = comparisons.seeded_difference([_record(RIGHT)] * 2, [_record(WRONG)] * 2, resamples=200)
    assert two.verdict == "one run" and two.seeds == 2
    mixed = comparisons.seeded_difference([_record(RIGHT), _record(WRONG), _record(RIGHT)],
                                          [_record(WRONG), _record(RIGHT), _record(HALF)], resamples=200)
    assert mixed.per_seed == (1.0, -1.0, 0.5) and mixed.verdict == "not measurable" and mixed.spread == (-1.0, 1.0)
    with pytest.raises(ValueError, match="seed by seed"):
        comparisons.seeded_difference([_record(RIGHT)] * 3, [_record(WRONG)] * 2)
    with pytest.raises(ValueError, match="same clips"):
        comparisons.seeded_difference([_record(RIGHT), _record(RIGHT, clips=[f"x{i}" for i in range(8)])],
                                      [_record(WRONG), _record(WRONG, clips=[f"x{i}" for i in range(8)])])
