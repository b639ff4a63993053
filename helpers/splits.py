"""Train / validation / test splits decided per track.

A split is a column of the tracks table (``train``, ``valid``, ``test``, or
empty for tracks a protocol leaves out) or a fold number. Segments inherit the
split of their track (:func:`segment_table`), so segments of one clip can never
sit on both sides; :func:`assert_no_leakage` checks it.

Protocols:
    :func:`random_split`  stratified by genre with a fixed seed (70/10/20 as in the
                          main seed report, or 80/20);
    :func:`kfold`         stratified k folds;
    :func:`fixed_split`   from lists of file names, such as the fault-filtered
                          artist-conditional split of Kereliuk et al. (2015).

Command line::

    python -m helpers.splits random DATASET_DIR [--fractions 70/10/20] [--seed 42]
    python -m helpers.splits fixed DATASET_DIR LISTS_DIR
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from . import audio, data

SPLITS = ("train", "valid", "test")
NAMED_FRACTIONS = {"70/10/20": (0.7, 0.1, 0.2), "80/20": (0.8, 0.0, 0.2), "50/20/30": (0.5, 0.2, 0.3)}


def parse_fractions(fractions: str | tuple[float, ...]) -> tuple[float, float, float]:
    """``"70/10/20"``, ``"80/20"`` (train/test) or a tuple of three fractions summing to 1."""
    if isinstance(fractions, str):
        parts = [float(p) for p in fractions.split("/")]
        if len(parts) == 2:
            parts = [parts[0], 0.0, parts[1]]
        if len(parts) != 3:
            raise ValueError(f"fractions {fractions!r}: give train/valid/test or train/test, e.g. 70/10/20 or 80/20")
        total = sum(parts)
        fractions = tuple(p / total for p in parts)
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    return fractions  # type: ignore[return-value]


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
    rng = np.random.default_rng(seed)
    split = pd.Series("", index=tracks.index, name="split", dtype=object)
    for _, group in tracks.groupby(by, sort=True):
        order = rng.permutation(group.index.to_numpy())
        n_train, n_valid, _ = _allocate(len(order), fractions)
        split[order[:n_train]] = "train"
        split[order[n_train : n_train + n_valid]] = "valid"
        split[order[n_train + n_valid :]] = "test"
    return split


def kfold(tracks: pd.DataFrame, k: int = 5, seed: int = 42, by: str = "genre") -> pd.Series:
    """Stratified fold number 0..k-1 per track."""
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
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


def find_split_lists(dataset_root: str | Path, suffix: str = "_filtered.txt", download: bool = False) -> Path | None:
    """The folder holding ``train/valid/test<suffix>``: ``<dataset>/splits`` or ``data/splits``.

    With ``download=True`` and neither present, the published fault-filtered lists are
    fetched into ``data/splits`` (checksum-verified); ``None`` if that fails too (offline),
    after saying why.
    """
    from .config import DATA_DIR

    for folder in (Path(dataset_root) / "splits", DATA_DIR / "splits"):
        if all((folder / f"{name}{suffix}").is_file() for name in SPLITS):
            return folder
    if download and suffix == "_filtered.txt":
        from . import download as downloads

        try:
            return downloads.download_split_lists(DATA_DIR / "splits")
        except downloads.DownloadError as error:
            print(f"Fault-filtered split lists unavailable ({error}); put train/valid/test_filtered.txt in {DATA_DIR / 'splits'}")
    return None


def fixed_split(tracks: pd.DataFrame, lists: dict[str, list[str]]) -> pd.Series:
    """Split from file-name lists. Tracks in no list get ``""``; listed tracks absent from ``tracks`` are ignored.

    The numbers actually used are in the returned Series' ``attrs["listed"]`` and ``attrs["found"]``.
    """
    unknown = set(lists) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown split name(s) {sorted(unknown)}; valid: {', '.join(SPLITS)}")
    where: dict[str, str] = {}
    for name, entries in lists.items():
        for entry in entries:
            tid = data.track_id_of(entry)
            if tid in where and where[tid] != name:
                raise ValueError(f"{tid} is listed in both {where[tid]} and {name}")
            where[tid] = name
    split = tracks["track_id"].map(where).fillna("").rename("split")
    split.attrs["listed"] = {name: len(entries) for name, entries in lists.items()}
    split.attrs["found"] = {name: int((split == name).sum()) for name in lists}
    return split


def summary(tracks: pd.DataFrame, split: pd.Series) -> pd.DataFrame:
    """Clips per genre and split (a crosstab with totals)."""
    named = split.replace("", "unused")
    return pd.crosstab(tracks["genre"], named, margins=True, margins_name="total")


def segment_table(tracks: pd.DataFrame, seconds: float, split: pd.Series | None = None) -> pd.DataFrame:
    """One row per whole segment of each track: ``track_id, genre, segment, start, end[, split]``.

    A clip shorter than one segment gives no rows (listed in ``attrs["too_short"]``).
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
    table = pd.DataFrame(rows, columns=columns)
    table.attrs["too_short"] = too_short
    return table


def assert_no_leakage(table: pd.DataFrame, split_column: str = "split") -> None:
    """Raise ``AssertionError`` if any track has rows in more than one split."""
    used = table[table[split_column] != ""]
    per_track = used.groupby("track_id")[split_column].nunique()
    leaking = per_track[per_track > 1]
    if len(leaking):
        raise AssertionError(f"{len(leaking)} track(s) have segments in several splits, e.g. {list(leaking.index[:5])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.splits", description="Show a split of a dataset.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_random = sub.add_parser("random", help="stratified random split by track")
    p_random.add_argument("root", type=Path)
    p_random.add_argument("--fractions", default="70/10/20", help=f"one of {', '.join(NAMED_FRACTIONS)} or train/valid/test")
    p_random.add_argument("--seed", type=int, default=42)
    p_fixed = sub.add_parser("fixed", help="split from train/valid/test file lists")
    p_fixed.add_argument("root", type=Path)
    p_fixed.add_argument("lists", type=Path)
    p_fixed.add_argument("--suffix", default="_filtered.txt")
    p_fixed.add_argument("--out", type=Path, help="write track_id,genre,split as CSV")
    p_random.add_argument("--out", type=Path, help="write track_id,genre,split as CSV")
    args = parser.parse_args(argv)
    try:
        tracks = data.readable(data.load_tracks(args.root))
        if args.command == "random":
            split = random_split(tracks, args.fractions, args.seed)
        else:
            split = fixed_split(tracks, read_split_lists(args.lists, args.suffix))
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary(tracks, split).to_string())
    if args.out:
        tracks.assign(split=split)[["track_id", "genre", "split"]].to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
