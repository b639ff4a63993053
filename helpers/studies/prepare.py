"""Every per-clip representation the notebooks use, in one pass: each clip is decoded once per run.

The first notebook that reads audio (01) calls :func:`prepare`; notebooks 01-04 then
find the features, frame sequences, mel PNGs and 3-s log-mel segments in the cache
(``helpers.data.cache``) and decode nothing more. The parameters of those representations
are defined here once (:func:`clip_representations`) and the notebooks take them from
here, so the pass and the notebooks cannot drift apart.

Command line (fill the cache ahead of a run)::

    python -m helpers.studies.prepare [--profile report] [--dataset DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pandas as pd

from .. import cli, config, data
from ..inputs import features, network_inputs, representations, spectrograms

FEATURES = "features"
SEQUENCES = "frame sequences"
MEL_IMAGES = "mel PNGs"
LOG_MEL_SEGMENTS = "log-mel 3-s segments"
SEQUENCE_POOL = 8  # frames averaged per LSTM step (0.19 s)
SEGMENT_SECONDS = 3.0  # the small CNN's window
SEGMENT_MEL = spectrograms.MelParams(n_mels=64)


def clip_representations(cfg: config.RunConfig) -> dict[str, representations.Representation]:
    """The representations notebooks 01-04 compute per clip, with the parameters they use, by name."""
    return {
        FEATURES: features.FeatureRows(),
        SEQUENCES: features.FrameSequences(pool=SEQUENCE_POOL),
        MEL_IMAGES: spectrograms.mel_images(cfg.cache_for("spectrograms"), cfg.profile.segment_seconds),
        LOG_MEL_SEGMENTS: network_inputs.LogMelSegments(SEGMENT_SECONDS, SEGMENT_MEL, cfg.profile.networks["segments_per_clip"],
                                                        cfg.cache_for("network-inputs")),
    }


def clips_of_run(cfg: config.RunConfig) -> pd.DataFrame:
    """The readable clips the notebooks of this profile use (``max_clips_per_genre`` of each genre)."""
    return data.limit_per_genre(data.readable(data.load_tracks(cfg.dataset.root)), cfg.profile.max_clips_per_genre)


def prepare(cfg: config.RunConfig, tracks: pd.DataFrame | None = None, progress: bool = True) -> representations.PassResult:
    """Compute every missing per-clip representation of ``tracks`` (default: :func:`clips_of_run`) in one pass."""
    tracks = clips_of_run(cfg) if tracks is None else tracks
    return representations.compute(tracks, list(clip_representations(cfg).values()), jobs=cfg.jobs, progress=progress,
                                   desc="decoding each clip once")


def summary(result: representations.PassResult) -> str:
    """One line on what a pass did: clips decoded, taken from the cache, failed."""
    failed = len(result.failed)
    cached = len(result.tracks) - result.decoded - failed
    return (f"{len(result.tracks)} clips: decoded {result.decoded}, all from the cache {cached}, failed to decode {failed}"
            + "".join(f"\n  skipped: {failure}" for failure in result.failed))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.studies.prepare", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", help="smoke, report or paper (default: $MGC_PROFILE, else report)")
    parser.add_argument("--dataset", help="a dataset folder or 'synthetic' (default: as the notebooks choose)")
    parser.add_argument("--jobs", type=cli.positive_int, help="parallel workers (default: all cores)")
    args = parser.parse_args(argv)
    cfg = config.setup(args.profile, args.dataset)  # an unknown profile or dataset: one line from cli.run
    if args.jobs:
        cfg.jobs = args.jobs
    tracks = clips_of_run(cfg)
    if tracks.empty:
        raise cli.UserError(f"{cfg.dataset.root} holds no readable audio clip: nothing to prepare")
    result = prepare(cfg, tracks)
    print(summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
