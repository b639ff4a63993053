"""Writes ``generated_clip.json``: this repository's musicnn port on a generated clip, for tests/test_pretrained.py.

What it pins down: the clip-mean taggrams of ``msd-musicnn`` and ``mtt-vgg``
(``helpers.models.pretrained_port`` via ``helpers.models.pretrained.window_outputs``, 1-s hop =
61 frames) for a deterministic 6-s, 16-kHz waveform (a few sines, a pulse of
noise bursts and seeded background noise; :func:`generated_clip`). The values
were produced by the port itself, so the test built on them is a regression
guard: it fails when the mel input, the layer wiring, the weight copy or the
windowing changes the outputs by more than 1e-4. It is not an independent proof
that the port matches musicnn; that is the parity test against the published
GTZAN reference taggrams (``test_port_agrees_with_the_reference_*``).

Regenerate (only after a deliberate change of the port, and say why in the commit)::

    .venv/bin/python tests/data/pretrained/make_generated_clip.py

The versions of the libraries that produced the values are recorded in the JSON;
the tolerance absorbs floating-point differences between machines.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "generated_clip.json"
MODELS = ("msd-musicnn", "mtt-vgg")
SECONDS = 6.0
SAMPLE_RATE = 16000
SEED = 20240611
HOP_FRAMES = 61
TOLERANCE = 1e-4
# (frequency Hz, amplitude): a low A, its fifth and octave, and a high partial in the 3-4 kHz band
PARTIALS = ((110.0, 0.30), (165.0, 0.20), (220.0, 0.15), (3520.0, 0.05))
BURSTS_PER_SECOND = 2  # decaying noise bursts, like a drum on every beat at 120 bpm


def generated_clip() -> np.ndarray:
    """The test clip: ``SECONDS`` of float32 samples at ``SAMPLE_RATE``, identical on every machine."""
    n = int(SECONDS * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    clip = sum(a * np.sin(2 * np.pi * f * t) for f, a in PARTIALS)
    rng = np.random.default_rng(SEED)
    burst_len = SAMPLE_RATE // 10
    burst = rng.normal(size=burst_len) * np.exp(-np.arange(burst_len) / (0.02 * SAMPLE_RATE))
    for start in range(0, n - burst_len, SAMPLE_RATE // BURSTS_PER_SECOND):
        clip[start:start + burst_len] += 0.4 * burst
    clip += 0.01 * rng.normal(size=n)
    return (clip / np.abs(clip).max() * 0.8).astype(np.float32)


def recipe() -> dict:
    """What :func:`generated_clip` is made of, as stored in the JSON (the test checks that they still agree)."""
    return {"seconds": SECONDS, "sample_rate": SAMPLE_RATE, "seed": SEED, "partials": [list(p) for p in PARTIALS],
            "bursts_per_second": BURSTS_PER_SECOND}


def expected_values() -> dict:
    """The port's clip-mean taggrams of :func:`generated_clip`, with what produced them."""
    sys.path.insert(0, str(HERE.parents[2]))  # the repository root, for helpers
    from helpers.models import pretrained, pretrained_port
    from helpers.runtime import library_versions

    outputs = pretrained.window_outputs(generated_clip(), MODELS, HOP_FRAMES)
    models = {}
    for name in MODELS:
        taggram = outputs[name]["taggram"]
        tags = pretrained_port.checkpoint(name).tags
        models[name] = {"windows": len(taggram), "clip_mean_taggram": {t: round(float(v), 7) for t, v in zip(tags, taggram.mean(0))}}
    return {
        "about": "Regression guard for helpers.models.pretrained_port, produced by this repository's port (not by musicnn); "
                 "regenerate with tests/data/pretrained/make_generated_clip.py, whose docstring explains it.",
        "clip": recipe(),
        "hop_frames": HOP_FRAMES,
        "tolerance": TOLERANCE,
        "versions": library_versions(("numpy", "librosa", "keras", "tensorflow")),
        "models": models,
    }


def main() -> None:
    OUT.write_text(json.dumps(expected_values(), indent=1) + "\n")  # one tag per line: readable diffs
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
