"""Train / validation / test splits decided per track.

A split is a column of the tracks table (``train``, ``valid``, ``test``, or
empty for tracks a protocol leaves out) or a fold number. Segments inherit the
split of their track (:func:`segment_table`), so segments of one clip can never
sit on both sides; :func:`assert_no_leakage` checks it.

Protocols:
    :func:`random_split`  stratified by genre with a fixed seed (70/10/20 as in the
                          main seed report, or 80/20);
    :func:`kfold`         stratified k folds;
    :func:`stratified_subsample`  a training part cut to a given size, stratified
                          (the equal-size control of a protocol comparison);
    fixed                 the dataset's own split, carried by the tracks table's
                          ``fixed_split`` column (GTZAN: the fault-filtered,
                          artist-conditional split of Kereliuk et al. 2015; FMA: the
                          official split); :func:`fixed_split` reads other lists of
                          file names.

Command line::

    python -m helpers.data.splits random DATASET_DIR [--fractions 70/10/20] [--seed 42]
    python -m helpers.data.splits fixed DATASET_DIR [LISTS_DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .. import cli
from . import audio
from .gtzan import track_id_of
from .registry import discover, readable_tracks
from .registry import get as get_dataset

SPLITS = ("train", "valid", "test")
# Protocols whose split is the dataset's own (``fixed_split`` column of the tracks table).
FIXED_PROTOCOLS = ("fault-filtered", "official")


def parse_fractions(fractions: str | tuple[float, ...]) -> tuple[float, float, float]:
    """``"70/10/20"`` (train/valid/test percentages), ``"80/20"`` (train/test) or three fractions summing to 1.

    Percentages must sum to 100 and fractions to 1: a typo such as ``70/40`` is an error,
    never silently rescaled. Training and test shares must be above zero.
    """
    example = "give train/valid/test or train/test percentages summing to 100, e.g. 70/10/20 or 80/20"
    if isinstance(fractions, str):
        try:
            parts = [float(p) for p in fractions.split("/")]
        except ValueError:
            raise ValueError(f"fractions {fractions!r}: {example}") from None
        if len(parts) == 2:
            parts = [parts[0], 0.0, parts[1]]
        if len(parts) != 3 or not np.isclose(sum(parts), 100.0):
            raise ValueError(f"fractions {fractions!r} sum to {sum(parts):g}: {example}")
        fractions = tuple(p / 100.0 for p in parts)
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or not np.isclose(sum(fractions), 1.0) or not all(np.isfinite(fractions)):
        raise ValueError(f"fractions must be three numbers summing to 1 (train, valid, test), got {fractions}")
    if any(f < 0 for f in fractions) or fractions[0] <= 0 or fractions[2] <= 0:
        raise ValueError(f"fractions {fractions}: train and test need a share above 0, and no share may be negative")
    return fractions  # type: ignore[return-value]


def _check_tracks(tracks: pd.DataFrame) -> None:
    """A split is decided per track: one row per track id, and only readable clips."""
    if "ok" in tracks and not tracks["ok"].all():
        raise ValueError(f"{int((~tracks['ok']).sum())} row(s) are unreadable or duplicate files; "
                         "split data.readable(tracks) instead")
    if "track_id" in tracks and tracks["track_id"].duplicated().any():
        duplicated = tracks.loc[tracks["track_id"].duplicated(), "track_id"].unique()[:3].tolist()
        raise ValueError(f"track ids repeat ({duplicated}...): a split is decided per track; split the tracks table, "
                         "then give segments their track's split (segment_table)")


def _allocate(n: int, fractions: tuple[float, float, float]) -> tuple[int, int, int]:
    """Split ``n`` items by largest remainder; test and valid get at least one item when asked for and possible."""
    raw = np.array(fractions) * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts))[: n - counts.sum()]:
        counts[i] += 1
    for i in (2, 1):  # a genre with few clips still appears in test (then valid)
        if fractions[i] > 0 and counts[i] == 0 and counts[0] > 1:
            counts[i] += 1
            counts[0] -= 1
    if fractions[0] > 0 and counts[0] == 0 and n > 0:  # ... and in training
        donor = int(np.argmax(counts))
        counts[donor] -= 1
        counts[0] += 1
    return int(counts[0]), int(counts[1]), int(counts[2])


def random_split(
    tracks: pd.DataFrame, fractions: str | tuple[float, ...] = "70/10/20", seed: int = 42, by: str = "genre"
) -> pd.Series:
    """Stratified random split by track: a ``split`` Series aligned with ``tracks``."""
    fractions = parse_fractions(fractions)
    _check_tracks(tracks)
    rng = np.random.default_rng(seed)
    split = pd.Series("", index=tracks.index, name="split", dtype=object)
    for _, group in tracks.groupby(by, sort=True):
        order = rng.permutation(group.index.to_numpy())
        n_train, n_valid, _ = _allocate(len(order), fractions)
        split[order[:n_train]] = "train"
        split[order[n_train : n_train + n_valid]] = "valid"
        split[order[n_train + n_valid :]] = "test"
    return split


def stratified_subsample(tracks: pd.DataFrame, size: int, seed: int = 42, by: str = "genre") -> pd.Series:
    """A boolean Series aligned with ``tracks`` (one row per track) that keeps exactly ``size`` of them.

    Each genre keeps its share of ``size`` (largest remainder) and at least one track, so
    the valid range is from the number of genres to the number of tracks; outside it
    is a ``ValueError`` that names the range.
    """
    _check_tracks(tracks)
    counts = tracks.groupby(by, sort=True).size()
    low, high = len(counts), len(tracks)
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or not low <= size <= high:
        raise ValueError(f"train_size {size!r} is outside the valid range {low}..{high}: the training part has {high} "
                         f"tracks of {low} genres, and every genre keeps at least one")
    raw = counts.to_numpy() * size / high
    keep = np.maximum(np.floor(raw).astype(int), 1)
    while keep.sum() > size:  # the floor of 1 per genre can overshoot: take from the most over-served genre
        keep[np.argmax(np.where(keep > 1, keep - raw, -np.inf))] -= 1
    while keep.sum() < size:  # hand out the remainder to the genres that lost most to rounding
        keep[np.argmax(np.where(keep < counts.to_numpy(), raw - keep, -np.inf))] += 1
    rng = np.random.default_rng(seed)
    chosen = pd.Series(False, index=tracks.index, name="subsample")
    for (_, group), n in zip(tracks.groupby(by, sort=True), keep):
        chosen[rng.permutation(group.index.to_numpy())[:n]] = True
    return chosen


def kfold(tracks: pd.DataFrame, k: int = 5, seed: int = 42, by: str = "genre") -> pd.Series:
    """Stratified fold number 0..k-1 per track."""
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    _check_tracks(tracks)
    rng = np.random.default_rng(seed)
    fold = pd.Series(-1, index=tracks.index, name="fold", dtype=int)
    start = 0
    for _, group in tracks.groupby(by, sort=True):
        order = rng.permutation(group.index.to_numpy())
        # Continue the round-robin across genres so that folds have equal sizes overall.
        fold[order] = (np.arange(len(order)) + start) % k
        start += len(order)
    return fold


def read_split_lists(folder: str | Path, suffix: str = "_filtered.txt") -> dict[str, list[str]]:
    """Read ``train<suffix>``, ``valid<suffix>``, ``test<suffix>`` (one ``genre/file`` per line)."""
    folder = Path(folder)
    lists = {}
    for name in SPLITS:
        path = folder / f"{name}{suffix}"
        if not path.is_file():
            raise FileNotFoundError(f"split list {path} is missing; expected {', '.join(s + suffix for s in SPLITS)} in {folder}")
        lists[name] = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    return lists


def fixed_split(tracks: pd.DataFrame, lists: dict[str, list[str]],
                track_id: Callable[[str], str] = track_id_of) -> pd.Series:
    """Split from file-name lists (``track_id`` maps a listed name to a track id; GTZAN's rule by default).
    Tracks in no list get ``""``; listed tracks absent from ``tracks`` are ignored (:func:`list_coverage` counts them)."""
    unknown = set(lists) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown split name(s) {sorted(unknown)}; valid: {', '.join(SPLITS)}")
    where: dict[str, str] = {}
    for name, entries in lists.items():
        for entry in entries:
            tid = track_id(entry)
            if tid in where and where[tid] != name:
                raise ValueError(f"{tid} is listed in both {where[tid]} and {name}")
            where[tid] = name
    return tracks["track_id"].map(where).fillna("").astype(object).rename("split")


def list_coverage(split: pd.Series, listed: dict[str, int]) -> pd.DataFrame:
    """Per split: how many tracks its list names and how many of them are present in ``split``."""
    return pd.DataFrame({"listed": listed, "present here": {name: int((split == name).sum()) for name in listed}}).T


def summary(tracks: pd.DataFrame, split: pd.Series) -> pd.DataFrame:
    """Clips per genre and split (a crosstab with totals): train, valid, test, then ``unused`` (clips the split
    leaves out, such as the faulty clips a fixed split drops) and the total."""
    named = split.replace("", "unused")
    table = pd.crosstab(tracks["genre"], named, margins=True, margins_name="total")
    order = [c for c in ("train", "valid", "test", "unused") if c in table.columns]
    return table[order + [c for c in table.columns if c not in order]]


def segment_table(tracks: pd.DataFrame, seconds: float, split: pd.Series | None = None) -> tuple[pd.DataFrame, list[str]]:
    """One row per whole segment of each track (``track_id, genre, segment, start, end[, split]``) and the ids of
    the clips shorter than one segment (they give no rows).

    Segments carry their track's split, never one of their own.
    """
    rows, too_short = [], []
    for i, track in tracks.iterrows():
        count = audio.segment_count(float(track["duration"]), seconds)
        if count == 0:
            too_short.append(track["track_id"])
        for s in range(count):
            row = dict(track_id=track["track_id"], genre=track["genre"], segment=s, start=s * seconds, end=(s + 1) * seconds)
            if split is not None:
                row["split"] = split[i]
            rows.append(row)
    columns = ["track_id", "genre", "segment", "start", "end"] + (["split"] if split is not None else [])
    return pd.DataFrame(rows, columns=columns), too_short


def assert_no_leakage(table: pd.DataFrame, split_column: str = "split") -> None:
    """Raise ``AssertionError`` if any track has rows in more than one split."""
    used = table[table[split_column] != ""]
    per_track = used.groupby("track_id")[split_column].nunique()
    leaking = per_track[per_track > 1]
    if len(leaking):
        raise AssertionError(f"{len(leaking)} track(s) have segments in several splits, e.g. {list(leaking.index[:5])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.data.splits", description="Show a split of a dataset.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_random = sub.add_parser("random", help="stratified random split by track")
    p_random.add_argument("root", type=Path)
    p_random.add_argument("--fractions", default="70/10/20", help="train/valid/test or train/test percentages summing to 100 "
                          "(default 70/10/20; e.g. 80/20, 50/20/30)")
    p_random.add_argument("--seed", type=int, default=42)
    p_random.add_argument("--out", type=Path, help="write track_id,genre,split as CSV")
    p_fixed = sub.add_parser("fixed", help="the dataset's own split, or one from train/valid/test file lists")
    p_fixed.add_argument("root", type=Path)
    p_fixed.add_argument("lists", type=Path, nargs="?", help="folder of train/valid/test<suffix> lists (default: the dataset's own split)")
    p_fixed.add_argument("--suffix", default="_filtered.txt")
    p_fixed.add_argument("--out", type=Path, help="write track_id,genre,split as CSV")
    args = parser.parse_args(argv)
    tracks = readable_tracks(args.root)
    try:
        if args.command == "random":
            split = random_split(tracks, args.fractions, args.seed)
        elif args.lists is not None:
            split = fixed_split(tracks, read_split_lists(args.lists, args.suffix))
        else:
            dataset = get_dataset(discover(args.root).dataset)
            if dataset.fixed_split_name is None:
                raise cli.UserError(f"{dataset.title} has no fixed split; give a folder of split lists")
            split = tracks["fixed_split"].rename("split")
    except (ValueError, FileNotFoundError) as error:
        raise cli.UserError(str(error)) from error
    print(summary(tracks, split).to_string())
    if args.out:
        tracks.assign(split=split)[["track_id", "genre", "split"]].to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
