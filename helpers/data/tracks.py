"""Datasets on disk, whichever they are: the tracks table, inventories, checks, downloads.

Each dataset (GTZAN, FMA-small, the synthetic default, plain genre folders) is a
module of the registry in ``helpers.data.registry``; this module holds what works the
same for all of them.

Command line::

    python -m helpers.data check DIR [--decode]
    python -m helpers.data download {gtzan,fma-small,fma-metadata} [--dest DIR] [--url URL]
    python -m helpers.data synth --out DIR --per-genre N --seconds S --seed K
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.parse
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from .. import cli
from ..runtime import progress as progress_bar
from . import audio, synth
from .gtzan import track_id_of
from .registry import REGISTRY, DatasetNotFoundError, Layout, discover, get, load_tracks

# Bounds of the synth command: 1000 clips of 10 minutes per genre is already about 50 GB.
MAX_SYNTH_PER_GENRE = 1000
MAX_SYNTH_SECONDS = 600.0

__all__ = ["DatasetNotFoundError", "Layout", "discover", "load_tracks", "readable", "limit_per_genre", "balanced_subset",
           "inventory", "completeness", "features_table", "read_features_csv", "attach_fixed_split", "check", "main"]


def readable(tracks: pd.DataFrame) -> pd.DataFrame:
    """The rows whose audio can be decoded."""
    return tracks[tracks["ok"]].reset_index(drop=True)


def limit_per_genre(tracks: pd.DataFrame, max_per_genre: int | None) -> pd.DataFrame:
    """The first ``max_per_genre`` clips of each genre (all when ``None``)."""
    if max_per_genre is None:
        return tracks
    return tracks.groupby("genre", group_keys=False, sort=False).head(max_per_genre).reset_index(drop=True)


def balanced_subset(
    tracks: pd.DataFrame, dataset_name: str, dataset_label: str, genres: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, str, str] | None:
    """The balanced part of an imbalanced dataset, to report beside the whole: ``(tracks, name, label)`` or ``None``.

    Without ``genres``: the genres that have the largest number of readable clips, when
    the counts differ and at least two genres share that number (the real audio here:
    95 clips each of blues, classical, jazz and rock), named ``"<name>-<n>genres"`` and
    labelled ``"<label>, <n> balanced genres (...; <k> clips each)"``; ``None`` for a
    balanced dataset or a single largest genre. With ``genres``: those genres, each cut
    to the smallest count among them (first clips by order), named after the genres so
    that two choices never share a results file. Records made on the subset carry its name.
    """
    usable = tracks[tracks["ok"]] if "ok" in tracks.columns else tracks
    counts = usable.groupby("genre").size()
    if genres is None:
        if counts.empty or counts.max() == counts.min():
            return None
        keep = sorted(counts.index[counts == counts.max()])
        if len(keep) < 2:
            return None
        name = f"{dataset_name}-{len(keep)}genres"
    else:
        keep = sorted(set(genres))
        unknown = [g for g in keep if g not in counts.index]
        if unknown or len(keep) < 2:
            problem = f"genres {unknown} have no readable clips" if unknown else "a balanced subset needs at least 2 genres"
            raise ValueError(f"{problem}; available: {', '.join(f'{g} ({n})' for g, n in counts.items())}")
        name = f"{dataset_name}-" + "-".join(keep)
    per_genre = int(counts[keep].min())
    subset = usable[usable["genre"].isin(keep)].groupby("genre", sort=False).head(per_genre).reset_index(drop=True)
    label = f"{dataset_label}, {len(keep)} balanced genres ({', '.join(keep)}; {per_genre} clips each)"
    return subset, name, label


def inventory(tracks: pd.DataFrame, expected_genres: Sequence[str] = ()) -> pd.DataFrame:
    """Per-genre counts, formats, sample rates and durations; expected genres without clips get a row of zeros."""
    genres = sorted(set(tracks["genre"]) | set(expected_genres))
    rows = []
    for genre in genres:
        part = tracks[tracks["genre"] == genre]
        ok = part[part["ok"]]
        rows.append(dict(
            genre=genre, clips=len(part), readable=len(ok), unreadable=len(part) - len(ok),
            formats=", ".join(sorted(part["format"].unique())),
            sample_rates=", ".join(str(s) for s in sorted(ok["sample_rate"].unique())),
            channels=", ".join(str(c) for c in sorted(ok["channels"].unique())),
            min_seconds=round(float(ok["duration"].min()), 2) if len(ok) else float("nan"),
            max_seconds=round(float(ok["duration"].max()), 2) if len(ok) else float("nan"),
        ))
    return pd.DataFrame(rows).set_index("genre")


def completeness(tracks: pd.DataFrame, dataset: str) -> str:
    """One sentence on what is present compared with the complete dataset."""
    spec = get(dataset)
    genres = spec.genres or tuple(sorted(set(tracks["genre"])))
    counts = tracks[tracks["ok"]].groupby("genre").size().reindex(genres, fill_value=0)
    of = f"{spec.title} genres" if spec.genres else "genres"
    text = f"{int(counts.sum())} readable clips in {int((counts > 0).sum())} of {len(genres)} {of}"
    missing = [g for g, c in counts.items() if c == 0]
    if missing:
        text += f"; missing genres: {', '.join(missing)}"
    if spec.clips_per_genre:
        partial = {g: int(c) for g, c in counts.items() if 0 < c < spec.clips_per_genre}
        if partial:
            text += f"; partial genres (clips of {spec.clips_per_genre}): " + ", ".join(f"{g} {c}" for g, c in partial.items())
    return text


def read_features_csv(path: str | os.PathLike, track_id: Callable[[str], str] = track_id_of) -> pd.DataFrame:
    """A Kaggle-format features CSV with ``track_id`` and ``genre`` columns added in front."""
    table = pd.read_csv(path)
    missing = {"filename", "label"} - set(table.columns)
    if missing:
        raise cli.UserError(f"{path}: not a Kaggle-format features CSV (no column {', '.join(sorted(missing))})")
    table.insert(0, "track_id", table["filename"].map(track_id))
    table.insert(1, "genre", table["label"])
    return table


def features_table(layout: Layout, segments: bool = False) -> pd.DataFrame | None:
    """The dataset's Kaggle features CSV with its fixed split in ``fixed_split``, or ``None`` if it has none."""
    path = layout.features_3s_csv if segments else layout.features_csv
    if path is None:
        return None
    dataset = get(layout.dataset)
    table = read_features_csv(path, dataset.track_id_of)
    return table.assign(fixed_split=dataset.fixed_split(table))


def attach_fixed_split(table: pd.DataFrame, tracks: pd.DataFrame) -> pd.DataFrame:
    """``table`` (rows with ``track_id``: features, images, segments) with its tracks' ``fixed_split`` column."""
    where = tracks.drop_duplicates("track_id").set_index("track_id")["fixed_split"]
    return table.assign(fixed_split=table["track_id"].map(where).fillna("").astype(object))


# ----------------------------------------------------------------------------- command line


def _catalogue_summary(layout: Layout) -> str | None:
    catalogue = get(layout.dataset).catalogue(layout)
    if catalogue is None:
        return None
    table = pd.crosstab(catalogue["genre"], catalogue["fixed_split"].replace("", "none"), margins=True, margins_name="total")
    return f"catalogue ({layout.metadata.name}): {len(catalogue)} tracks\n{table.to_string()}"


def decode_all(tracks: pd.DataFrame, progress: bool = True) -> pd.DataFrame:
    """Decode every readable file fully; truncated or undecodable ones get ``ok=False`` and the reason."""
    tracks = tracks.copy()
    for i in progress_bar(tracks.index[tracks["ok"]], desc="decoding", unit="clip", disable=not progress):
        try:
            audio.load(tracks.at[i, "path"], sr=None)
        except audio.AudioError as error:
            tracks.loc[i, ["ok", "error"]] = [False, str(error)]
    return tracks


def check(root: str | os.PathLike, decode: bool = False) -> int:
    """Print an inventory of ``root``; return a process exit status (0: the dataset has something usable)."""
    layout = discover(root)  # DatasetNotFoundError: one line from cli.run
    dataset = get(layout.dataset)
    print(layout.describe())
    summary = _catalogue_summary(layout)
    if summary:
        print(summary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the list below names every skipped file
        tracks = load_tracks(layout)
    if decode:
        tracks = decode_all(tracks)
    if layout.features_csv is not None:
        print(f"features CSV: {len(pd.read_csv(layout.features_csv))} rows")
    if layout.images_dir is not None:
        print(f"spectrogram images: {sum(1 for _ in layout.images_dir.glob('*/*.png'))} PNG files")
    # Entries named like audio that are no readable file (a folder "x.wav", a link loop) are in no tracks table.
    left_out = audio.find_audio_files([layout.audio_dir])[1] if layout.audio_dir is not None else []
    skipped = [f"{path}: {reason}" for path, reason in left_out] + list(tracks.loc[~tracks["ok"], "error"])
    if tracks.empty:
        if skipped:
            _print_skipped(skipped)
        print("no audio clips here")
        return 0 if (layout.features_csv is not None or summary) else 1
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(inventory(tracks, dataset.genres).to_string())
    print(completeness(tracks, layout.dataset))
    if dataset.fixed_split_name:
        counts = tracks.loc[tracks["ok"], "fixed_split"].replace("", "none").value_counts()
        print(f"{dataset.fixed_split_name} split of the readable clips: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    _print_skipped(skipped)
    if not decode:
        print("(from the file headers only; --decode reads every sample and finds truncated files)")
    return 0 if tracks["ok"].any() else 1


def _print_skipped(skipped: list[str]) -> None:
    if not skipped:
        print("skipped files: none")
        return
    print(f"{len(skipped)} file(s) skipped by every notebook:")
    for reason in skipped:
        print(f"  {reason}")


def remotes_for(name: str) -> list:
    """The downloads behind ``name``: a dataset (all its archives) or one archive."""
    found: dict[str, list] = {}
    for dataset_name in REGISTRY:
        remotes = get(dataset_name).remotes
        if remotes:
            found[dataset_name] = list(remotes.values())
        for remote_name, remote in remotes.items():
            found.setdefault(remote_name, [remote])
    if name not in found:
        raise cli.UserError(f"unknown download {name!r}; valid: {', '.join(found)}")
    return found[name]


def download(name: str, dest: str | os.PathLike, url: str | None = None) -> Path:
    """Download, verify and extract the archives behind ``name`` into ``dest``."""
    from . import download as downloads

    remotes = remotes_for(name)
    dataset = next(get(d) for d in REGISTRY if any(r in get(d).remotes.values() for r in remotes))
    if url is not None and not url.strip():
        raise cli.UserError("--url is empty: give a mirror's http(s) address or an archive on disk, "
                            "or leave --url out for the known mirrors")
    if url and len(remotes) > 1:
        raise cli.UserError(f"--url names one archive, but {name} has {len(remotes)}: download them one by one "
                            f"({', '.join(r for r in get(dataset.name).remotes)})")
    try:
        with downloads.removed_if_left_empty(dest):  # a failed download leaves no empty folder of its own
            if url and Path(url).expanduser().is_file():  # an archive already on disk: verify and extract it
                archive = Path(url).expanduser()
                algorithm, expected = downloads.parse_checksum(remotes[0].checksum)
                if downloads.file_hash(archive, algorithm) != expected:
                    raise cli.UserError(f"{archive}: {algorithm} does not match the published {expected}; "
                                        f"it is not (a complete copy of) {remotes[0].filename}")
                downloads.extract(archive, dest)
                print(f"Done: {dest}. Check it with: python -m helpers.data check {dest}")
                return Path(dest)
            if url and urllib.parse.urlparse(url).scheme not in ("http", "https"):
                raise cli.UserError(f"--url {url!r} is neither an http(s) address nor an archive on disk")
            for remote in remotes:
                downloads.download_remote(remote, dest, how_to_get=dataset.how_to_get, url=url)
    except downloads.DownloadError as error:
        raise cli.UserError(str(error)) from error
    return Path(dest)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.data", description="Inspect, download or generate datasets.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_check = sub.add_parser("check", help="per-genre counts, formats, sample rates, durations, skipped files")
    p_check.add_argument("root", type=Path)
    p_check.add_argument("--decode", action="store_true", help="decode every file fully (slower; catches truncated data)")
    p_down = sub.add_parser("download", help="download a dataset and verify its checksums")
    p_down.add_argument("dataset", help="gtzan, fma-small (metadata and audio) or fma-metadata")
    p_down.add_argument("--dest", type=Path, help="target folder (default: data/<dataset>)")
    p_down.add_argument("--url", help="download from this mirror instead of the known ones")
    p_synth = sub.add_parser("synth", help="write the deterministic synthetic dataset in the Kaggle GTZAN layout")
    p_synth.add_argument("--out", type=Path, required=True)
    p_synth.add_argument("--per-genre", type=cli.positive_int, default=20, help=f"clips per genre (at most {MAX_SYNTH_PER_GENRE})")
    p_synth.add_argument("--seconds", type=cli.positive_float, default=30.0, help=f"clip length (at most {MAX_SYNTH_SECONDS:g})")
    p_synth.add_argument("--seed", type=int, default=42, help="0 or more")
    args = parser.parse_args(argv)

    if args.command == "check":
        return check(args.root, decode=args.decode)
    if args.command == "download":
        from ..runtime import DATA_DIR

        dest = args.dest or DATA_DIR / args.dataset.split("-")[0]
        download(args.dataset, dest, url=args.url)
        return 0
    if args.seed < 0:
        raise cli.UserError(f"--seed {args.seed}: give a whole number of 0 or more")
    if args.per_genre > MAX_SYNTH_PER_GENRE or args.seconds > MAX_SYNTH_SECONDS:
        raise cli.UserError(f"--per-genre at most {MAX_SYNTH_PER_GENRE} and --seconds at most {MAX_SYNTH_SECONDS:g} "
                            f"(asked for {args.per_genre} clips of {args.seconds:g} s per genre)")
    out = synth.write_dataset(args.out, per_genre=args.per_genre, seconds=args.seconds, seed=args.seed)
    print(f"wrote {10 * args.per_genre} clips to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
