"""Published results of other systems on GTZAN's fault-filtered split, cited: what the default model of notebook 05
is measured against. Not seed-report numbers (those are in :mod:`helpers.results.seed_reports`).

The split is Kereliuk, Sturm and Larsen's fault-filtered partition of GTZAN (443 training, 197 validation, 290 test
clips), as used by the MARBLE benchmark (Yuan et al., 2023). Test accuracy in percent, from the genre-classification
column of the MuQ paper's results table (Zhu et al., 2025, "MuQ: Self-Supervised Music Representation Learning with
Mel Residual Vector Quantization", arXiv:2501.01108), which reports each system under MARBLE's probing protocol (a
classifier trained on the frozen representation). Our own test part has the same 290 clips.
"""

from __future__ import annotations

DATASET, PROTOCOL, TEST_CLIPS = "gtzan", "fault-filtered", 290  # where these numbers apply
SOURCE = "Zhu et al. 2025 (MuQ, arXiv:2501.01108), results table, GTZAN genre column (MARBLE protocol)"

FAULT_FILTERED_ACCURACY = {  # system -> test accuracy (%) on the 290 fault-filtered test clips
    "MuQ": 85.6,
    "MusicFM": 83.8,
    "SampleCNN": 82.1,
    "MERT": 78.6,
    "musicnn + SVM": 77.2,
}


def best() -> tuple[str, float]:
    """The system with the highest published accuracy, and that accuracy as a fraction."""
    system = max(FAULT_FILTERED_ACCURACY, key=FAULT_FILTERED_ACCURACY.get)
    return system, FAULT_FILTERED_ACCURACY[system] / 100
