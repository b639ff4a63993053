"""The command line of ``python -m helpers.inputs.features`` (``extract``, ``parity``, ``eda``).

A user's mistake raises ``cli.UserError`` (``__main__`` runs :func:`main` through
``cli.run``, which prints one ``error:`` line), and is caught before any clip is
decoded wherever it can be: a folder as ``--out``, a segment longer than every clip.
``--jobs`` never starts more worker processes than the cores this process may use or
the clips to decode (one line on stderr says when it starts fewer than asked).
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ...cli import UserError, add_overwrite, check_output, csv_with_header, positive_float, positive_int, worker_count
from ...data import audio, cache
from ...runtime import CACHE_DIR, display_path
from .clip import FEATURE_COLUMNS, KAGGLE_COLUMNS, FeatureParams
from .compare import EDA_COLUMNS, eda_table, parity
from .extract import extract, to_kaggle_csv


def _write(out: Path, write) -> None:
    try:
        write(out)
    except OSError as error:
        raise UserError(f"cannot write {out}: {error.strerror or error}; give another --out") from None


def _tracks(root: Path) -> pd.DataFrame:
    """The readable and unreadable clips of ``root`` (``DatasetNotFoundError`` when it holds no dataset)."""
    from ...data.registry import load_tracks

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unreadable files are listed at the end, as "skipped"
        tracks = load_tracks(root)
    if tracks.empty:
        raise UserError(f"{root} holds no audio clips (a features-only dataset?); give a folder with audio")
    if not tracks["ok"].any():
        raise UserError(f"none of the {len(tracks)} audio files in {root} can be read, e.g. {tracks['error'].iloc[0]}")
    return tracks


def _check_segments(tracks: pd.DataFrame, seconds: float | None) -> None:
    if seconds is None:
        return
    longest = float(tracks.loc[tracks["ok"], "duration"].max())
    if audio.segment_count(longest, seconds) == 0:
        raise UserError(f"no clip is {seconds:g} s long (the longest is {longest:.2f} s); "
                        f"give --segment-seconds of at most {longest:.2f}")


def _print_list(label: str, items: Sequence[str]) -> None:
    if items:
        print(f"{label}: {len(items)}\n  " + "\n  ".join(map(str, items)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.inputs.features", description="Compute the Kaggle GTZAN features.")
    sub = parser.add_subparsers(dest="command", required=True)
    jobs = {"type": positive_int, "default": None,
            "help": "worker processes (default: every core this process may use; never more than cores or clips)"}
    p_extract = sub.add_parser("extract", help="57 features per clip or segment, Kaggle CSV format")
    p_extract.add_argument("root", type=Path, help="dataset folder")
    p_extract.add_argument("--out", type=Path, required=True, help="CSV file to write")
    add_overwrite(p_extract)
    p_extract.add_argument("--segment-seconds", type=positive_float, default=None, help="one row per segment of this length")
    p_extract.add_argument("--jobs", **jobs)
    p_extract.add_argument("--no-cache", action="store_true", help="recompute everything and cache nothing")
    p_parity = sub.add_parser("parity", help="compare extracted features with a Kaggle features CSV")
    p_parity.add_argument("root", type=Path, help="dataset folder")
    p_parity.add_argument("--csv", type=Path, help="reference CSV (default: ROOT/features_30_sec.csv)")
    p_parity.add_argument("--formats", default="flac,wav,au", help="audio formats to compare (lossless by default)")
    p_parity.add_argument("--jobs", **jobs)
    p_eda = sub.add_parser("eda", help="spectral centroid mean and tempo per clip")
    p_eda.add_argument("root", type=Path, help="dataset folder")
    p_eda.add_argument("--out", type=Path, required=True, help="CSV file to write")
    add_overwrite(p_eda)
    p_eda.add_argument("--jobs", **jobs)
    args = parser.parse_args(argv)

    if args.command == "extract":
        check_output(args.out, example="features.csv", replaces=csv_with_header(*KAGGLE_COLUMNS[:2]),
                     holds="a features CSV (filename,length,...)", overwrite=args.overwrite)
        try:
            params = FeatureParams(segment_seconds=args.segment_seconds)
        except ValueError as error:
            raise UserError(f"--segment-seconds: {error}") from None
        tracks = _tracks(args.root)
        _check_segments(tracks, args.segment_seconds)
        jobs = worker_count(args.jobs, int(tracks["ok"].sum()))
        result = extract(tracks, params=params, jobs=jobs, cache_dir=None if args.no_cache else CACHE_DIR)
        _write(args.out, lambda out: to_kaggle_csv(result.table, out))
        print(f"wrote {len(result.table)} rows to {display_path(args.out)}")
        _print_list("skipped (unreadable)", result.skipped)
        _print_list("silent (features of silence set to 0)", result.silent)
        minimum = f"one {params.segment_seconds:g}-s segment" if params.segment_seconds else f"{params.n_fft} samples"
        _print_list(f"too short (under {minimum}), no row", result.too_short)
        return 0

    if args.command == "parity":
        from ...data import read_features_csv

        csv_path = args.csv or args.root / "features_30_sec.csv"
        if not csv_path.is_file():
            raise UserError(f"reference CSV {csv_path} not found; pass --csv")
        tracks = _tracks(args.root)
        chosen = tracks[tracks["format"].isin(args.formats.split(","))]
        if chosen.empty:
            raise UserError(f"no {args.formats} clips in {args.root}; choose others with --formats")
        try:
            reference = read_features_csv(csv_path)
            missing = [column for column in FEATURE_COLUMNS if column not in reference]
        except (ValueError, KeyError, UnicodeDecodeError, OSError) as error:  # pandas' ParserError is a ValueError
            missing = [f"unreadable: {type(error).__name__}"]
        if missing:
            raise UserError(f"{csv_path} is not a Kaggle features CSV ({', '.join(missing[:3])}...); pass --csv")
        if reference["track_id"].duplicated().any():
            raise UserError(f"{csv_path} has several rows per clip (a per-segment CSV such as features_3_sec.csv); "
                            "parity compares whole clips: pass the per-clip CSV (features_30_sec.csv)")
        measured = parity(extract(chosen, jobs=worker_count(args.jobs, int(chosen["ok"].sum()))).table, reference)
        if measured.clips == 0:
            raise UserError(f"none of the {len(chosen)} clips is in {csv_path}; compare with the CSV of this dataset")
        column = measured.table["median |deviation| / std"]
        with pd.option_context("display.max_rows", 100):
            print(measured.table.round(5).to_string())
        print(f"worst feature: {column.idxmax()} ({column.max():.4f} of its std)")
        print(f"tempo within 1 %: {measured.tempo_within_1pct:.1%} of {measured.clips} clips")
        return 0

    check_output(args.out, example="eda.csv", replaces=csv_with_header("track_id", "genre", *EDA_COLUMNS),
                 holds="an eda CSV (track_id,genre,...)", overwrite=args.overwrite)
    tracks = _tracks(args.root)
    eda = eda_table(tracks, jobs=worker_count(args.jobs, int(tracks["ok"].sum())))
    _write(args.out, lambda out: cache.write_text(out, eda.table.to_csv(index=False)))
    print(f"wrote {len(eda.table)} rows to {display_path(args.out)}")
    _print_list("skipped (unreadable)", eda.skipped)
    _print_list("too short, no row", eda.too_short)
    return 0
