"""How long the synthetic generator takes per 30-s clip (target: at most 0.1 s).

    python benchmarks/synth_speed.py [--clips-per-genre 5]

Prints the mean and the slowest genre; a benchmark, not a test, because the
machines that run tests are noisy.
"""

from __future__ import annotations

import argparse
import time

from helpers.data import synth
from helpers.data.gtzan import GENRES as GTZAN_GENRES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips-per-genre", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    synth.render_clip("blues", 0, 1.0)  # warm-up: imports and first allocations
    per_genre = {}
    for genre in GTZAN_GENRES:
        start = time.perf_counter()
        for i in range(args.clips_per_genre):
            synth.render_clip(genre, i, args.seconds)
        per_genre[genre] = (time.perf_counter() - start) / args.clips_per_genre
    mean = sum(per_genre.values()) / len(per_genre)
    slowest = max(per_genre, key=per_genre.get)
    print(f"synthetic clip of {args.seconds:g} s: mean {mean:.3f} s, slowest genre {slowest} {per_genre[slowest]:.3f} s (target <= 0.1 s)")


if __name__ == "__main__":
    main()
