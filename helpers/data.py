"""Datasets on disk: layouts, the tracks table, checks, downloads and the synthetic default.

Layouts recognised under a dataset folder ``ROOT``:

* Kaggle GTZAN: ``ROOT/genres_original/<genre>/<genre>.000NN.wav`` with
  optional ``ROOT/images_original/<genre>/<genre>000NN.png`` and
  ``ROOT/features_30_sec.csv`` / ``features_3_sec.csv``;
* original Marsyas GTZAN: ``ROOT/genres/<genre>/<genre>.000NN.au``;
* a bare genre folder: ``ROOT/<genre>/<file>`` (any supported audio format);
* features only: ``ROOT/features_30_sec.csv`` without audio.

The **tracks table** (one row per clip) is what every later stage takes;
nothing downstream walks the file system again.

Command line::

    python -m helpers.data check DIR [--decode]
    python -m helpers.data download gtzan --dest data/gtzan
    python -m helpers.data synth --out DIR --per-genre N --seconds S --seed K
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import GTZAN_GENRES, audio, synth
from .config import progress as progress_bar

HOW_TO_GET_GTZAN = """\
How to get GTZAN (about 1.2 GB, 1000 clips of 30 s):
  * python -m helpers.data download gtzan --dest data/gtzan
    (downloads the original Marsyas archive and checks its MD5), or
  * download the Kaggle dataset "GTZAN Dataset - Music Genre Classification"
    (andradaolteanu/gtzan-dataset-music-genre-classification), unzip it and
    point GTZAN_DIR at the folder that holds genres_original/, or
  * download genres.tar.gz from the Hugging Face dataset marsyas/gtzan and
    extract it into data/gtzan.
Without GTZAN the notebooks run on the embedded synthetic dataset."""

TRACK_ID = re.compile(r"^(?P<genre>[a-z]+)\.?(?P<clip>\d{5})$")
TRACK_COLUMNS = [
    "track_id", "genre", "clip", "path", "format", "sample_rate", "channels", "duration", "ok", "error",
]


class DatasetNotFoundError(FileNotFoundError):
    """A folder that holds no recognisable dataset; the message says how to get one."""


@dataclass(frozen=True)
class Layout:
    """Where a dataset's parts are. Any part may be missing (``None``)."""

    root: Path
    kind: str  # "kaggle", "marsyas", "genre-folders", "features-only"
    name: str  # "gtzan" or "synthetic"
    audio_dir: Path | None
    images_dir: Path | None
    features_csv: Path | None
    features_3s_csv: Path | None
    genres: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        from .config import display_path

        parts = [f"{self.name} ({self.kind} layout) at {display_path(self.root)}"]
        for label, part in (("audio", self.audio_dir), ("images", self.images_dir), ("features CSV", self.features_csv)):
            parts.append(f"  {label}: {display_path(part) if part else 'absent'}")
        return "\n".join(parts)


def _genre_folders(folder: Path) -> tuple[str, ...]:
    """Sub-folders that hold at least one supported audio file."""
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            d.name
            for d in folder.iterdir()
            if d.is_dir() and not d.name.startswith(".") and any(audio.is_audio_file(f) for f in d.iterdir())
        )
    )


def discover(root: str | os.PathLike) -> Layout:
    """Recognise the layout of ``root``.

    Raises:
        DatasetNotFoundError: ``root`` is missing or holds no dataset; the
            message lists what was looked for and how to get GTZAN.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DatasetNotFoundError(f"dataset folder {root} does not exist.\n{HOW_TO_GET_GTZAN}")
    name = "synthetic" if (root / synth.MARKER_FILE).is_file() else "gtzan"
    features_csv = root / "features_30_sec.csv"
    features_3s = root / "features_3_sec.csv"
    images = root / "images_original"
    common = dict(
        images_dir=images if images.is_dir() else None,
        features_csv=features_csv if features_csv.is_file() else None,
        features_3s_csv=features_3s if features_3s.is_file() else None,
    )
    for kind, audio_dir in (("kaggle", root / "genres_original"), ("marsyas", root / "genres"), ("genre-folders", root)):
        genres = _genre_folders(audio_dir)
        if genres:
            return Layout(root, kind, name, audio_dir, genres=genres, **common)
    if common["features_csv"] is not None:
        return Layout(root, "features-only", name, None, **common)
    raise DatasetNotFoundError(
        f"{root} is not a GTZAN dataset: found none of genres_original/<genre>/, genres/<genre>/, "
        f"<genre>/ folders with audio ({', '.join(audio.SUPPORTED_EXTENSIONS)}) or features_30_sec.csv.\n"
        f"{HOW_TO_GET_GTZAN}"
    )


def load_tracks(root: str | os.PathLike | Layout, probe: bool = True) -> pd.DataFrame:
    """One row per audio clip: ``track_id, genre, clip, path, format, sample_rate, channels, duration, ok, error``.

    ``probe`` reads each file's header (fast); unreadable files stay in the
    table with ``ok=False`` and the reason in ``error`` so that they can be
    listed, and one warning names them. A features-only dataset gives an
    empty table.
    """
    layout = root if isinstance(root, Layout) else discover(root)
    rows = []
    if layout.audio_dir is not None:
        for genre in layout.genres:
            for path in sorted((layout.audio_dir / genre).iterdir()):
                if not audio.is_audio_file(path):
                    continue
                match = TRACK_ID.match(path.stem)
                track_id = f"{match['genre']}.{match['clip']}" if match else f"{genre}.{path.stem}"
                row = dict(track_id=track_id, genre=genre, clip=int(match["clip"]) if match else -1, path=str(path),
                           format=path.suffix.lower().lstrip("."), sample_rate=0, channels=0, duration=0.0, ok=True, error="")
                if probe:
                    try:
                        meta = audio.info(path)
                        row.update(sample_rate=meta.sample_rate, channels=meta.channels, duration=meta.duration)
                    except audio.AudioError as error:
                        row.update(ok=False, error=str(error))
                rows.append(row)
    tracks = pd.DataFrame(rows, columns=TRACK_COLUMNS)
    tracks.attrs["dataset"] = layout.name
    tracks.attrs["root"] = str(layout.root)
    bad = tracks.loc[~tracks["ok"], "error"].tolist()
    if bad:
        warnings.warn(f"{len(bad)} unreadable audio file(s) will be skipped:\n  " + "\n  ".join(bad), stacklevel=2)
    return tracks


def tracks_for_cli(root: str | os.PathLike) -> pd.DataFrame | None:
    """:func:`load_tracks` for command lines: prints the reason and returns ``None`` when ``root`` is no dataset."""
    try:
        return load_tracks(root)
    except DatasetNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def readable(tracks: pd.DataFrame) -> pd.DataFrame:
    """The rows whose audio can be decoded (keeps the table's attributes)."""
    return tracks[tracks["ok"]].reset_index(drop=True)


def limit_per_genre(tracks: pd.DataFrame, max_per_genre: int | None) -> pd.DataFrame:
    """The first ``max_per_genre`` clips of each genre (all when ``None``)."""
    if max_per_genre is None:
        return tracks
    return tracks.groupby("genre", group_keys=False, sort=False).head(max_per_genre).reset_index(drop=True)


def inventory(tracks: pd.DataFrame, expected_genres: tuple[str, ...] = GTZAN_GENRES) -> pd.DataFrame:
    """Per-genre counts, formats, sample rates and durations; missing GTZAN genres get a row of zeros."""
    genres = sorted(set(tracks["genre"]) | set(expected_genres))
    rows = []
    for genre in genres:
        part = tracks[tracks["genre"] == genre]
        ok = part[part["ok"]]
        rows.append(
            dict(
                genre=genre,
                clips=len(part),
                readable=len(ok),
                unreadable=len(part) - len(ok),
                formats=", ".join(sorted(part["format"].unique())),
                sample_rates=", ".join(str(s) for s in sorted(ok["sample_rate"].unique())),
                channels=", ".join(str(c) for c in sorted(ok["channels"].unique())),
                min_seconds=round(float(ok["duration"].min()), 2) if len(ok) else float("nan"),
                max_seconds=round(float(ok["duration"].max()), 2) if len(ok) else float("nan"),
            )
        )
    return pd.DataFrame(rows).set_index("genre")


def completeness(tracks: pd.DataFrame, per_genre: int = 100) -> str:
    """One sentence on what is missing compared with full GTZAN."""
    counts = tracks[tracks["ok"]].groupby("genre").size().reindex(GTZAN_GENRES, fill_value=0)
    total = int(counts.sum())
    missing_genres = [g for g, c in counts.items() if c == 0]
    partial = {g: int(c) for g, c in counts.items() if 0 < c < per_genre}
    text = f"{total} readable clips in {int((counts > 0).sum())} of {len(GTZAN_GENRES)} GTZAN genres"
    if missing_genres:
        text += f"; missing genres: {', '.join(missing_genres)}"
    if partial:
        text += "; partial genres (clips of %d): " % per_genre + ", ".join(f"{g} {c}" for g, c in partial.items())
    return text


def features_table(layout: Layout, segments: bool = False) -> pd.DataFrame | None:
    """The dataset's Kaggle features CSV (:func:`read_features_csv`), or ``None`` if it has none."""
    path = layout.features_3s_csv if segments else layout.features_csv
    return None if path is None else read_features_csv(path)


def read_features_csv(path: str | os.PathLike) -> pd.DataFrame:
    """A Kaggle-format features CSV with ``track_id`` and ``genre`` columns added in front."""
    table = pd.read_csv(path)
    table.insert(0, "track_id", table["filename"].map(track_id_of))
    table.insert(1, "genre", table["label"])
    return table


def track_id_of(name: str) -> str:
    """The track a file name refers to, whatever its folder, audio extension or segment suffix.

    ``blues/blues.00012.wav``, ``blues.00012.au``, the 3-s row ``blues.00012.3.wav`` and
    the Kaggle image stem ``blues00012`` all give ``blues.00012``; names outside the GTZAN
    pattern keep their stem.
    """
    stem = Path(name).name
    for ext in audio.SUPPORTED_EXTENSIONS:
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
            break
    whole = TRACK_ID.match(stem)
    if whole:  # also the Kaggle image naming without the dot: blues00012
        return f"{whole['genre']}.{whole['clip']}"
    parts = stem.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 and TRACK_ID.match(".".join(parts[:2])) else stem


def ensure_synthetic(out: Path, per_genre: int, seconds: float, seed: int) -> Path:
    """Generate the synthetic dataset at ``out`` unless a complete copy is already there."""
    marker = out / synth.MARKER_FILE
    wanted = {"per_genre": per_genre, "seconds": seconds, "seed": seed}
    if marker.is_file():
        meta = json.loads(marker.read_text())
        if all(meta.get(k) == v for k, v in wanted.items()):
            return out
    print(f"Generating the embedded synthetic dataset ({per_genre} clips x 10 genres x {seconds:g} s) in {out}")
    return synth.write_dataset(out, per_genre=per_genre, seconds=seconds, seed=seed)


# ----------------------------------------------------------------------------- command line


def check(root: str | os.PathLike, decode: bool = False) -> int:
    """Print an inventory of ``root``; return a process exit status (0: at least one readable clip)."""
    try:
        layout = discover(root)
    except DatasetNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(layout.describe())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the table below lists unreadable files
        tracks = load_tracks(layout)
    if decode:
        for i in progress_bar(tracks.index[tracks["ok"]], desc="decoding", unit="clip"):
            try:
                audio.load(tracks.at[i, "path"], sr=None)
            except audio.AudioError as error:
                tracks.loc[i, ["ok", "error"]] = [False, str(error)]
    if layout.features_csv is not None:
        print(f"features CSV: {len(pd.read_csv(layout.features_csv))} rows")
    if layout.images_dir is not None:
        print(f"spectrogram images: {sum(1 for _ in layout.images_dir.glob('*/*.png'))} PNG files")
    if tracks.empty:
        print("no audio clips (features-only dataset)")
        return 0 if layout.features_csv is not None else 1
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(inventory(tracks).to_string())
    if layout.name == "synthetic":
        print(f"{int(tracks['ok'].sum())} readable synthetic clips (generated by helpers.synth)")
    else:
        print(completeness(tracks))
    bad = tracks[~tracks["ok"]]
    if len(bad):
        print(f"{len(bad)} unreadable file(s), skipped by every notebook:")
        for error in bad["error"]:
            print(f"  {error}")
    else:
        print("unreadable files: none")
    return 0 if tracks["ok"].any() else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.data", description="Inspect, download or generate datasets.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_check = sub.add_parser("check", help="per-genre counts, formats, sample rates, durations, unreadable files")
    p_check.add_argument("root", type=Path)
    p_check.add_argument("--decode", action="store_true", help="decode every file fully (slower, catches truncated data)")
    p_down = sub.add_parser("download", help="download a dataset and verify its checksum")
    p_down.add_argument("dataset", help="dataset name (valid: gtzan)")
    p_down.add_argument("--dest", type=Path, default=Path("data/gtzan"))
    p_down.add_argument("--url", help="download from this mirror instead of the known ones")
    p_synth = sub.add_parser("synth", help="write the deterministic synthetic dataset in the Kaggle GTZAN layout")
    p_synth.add_argument("--out", type=Path, required=True)
    p_synth.add_argument("--per-genre", type=int, default=20)
    p_synth.add_argument("--seconds", type=float, default=30.0)
    p_synth.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    if args.command == "check":
        return check(args.root, decode=args.decode)
    if args.command == "download":
        from . import download

        try:
            download.download_dataset(args.dataset, args.dest, url=args.url)
        except download.DownloadError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        return 0
    try:
        out = synth.write_dataset(args.out, per_genre=args.per_genre, seconds=args.seconds, seed=args.seed)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {10 * args.per_genre} clips to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
