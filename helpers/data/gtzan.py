"""GTZAN (Tzanetakis and Cook 2002): 10 genres x 100 clips of 30 s.

Layouts recognised under a folder ``ROOT``:

* Kaggle: ``ROOT/genres_original/<genre>/<genre>.000NN.wav`` with optional
  ``ROOT/images_original/<genre>/<genre>000NN.png`` and ``ROOT/features_30_sec.csv``
  / ``features_3_sec.csv``;
* original Marsyas: ``ROOT/genres/<genre>/<genre>.000NN.au``;
* bare genre folders: ``ROOT/<genre>/<genre>.000NN.<ext>`` (GTZAN genre names and
  file names; any other genre-folder tree is the ``folders`` dataset);
* features only: ``ROOT/features_30_sec.csv`` without audio.

Fixed split: the fault-filtered, artist-conditional split of Kereliuk, Sturm and
Larsen (2015), as published with jongpillee/music_dataset_split (``GTZAN_split/``).
The three lists ship inside this package (``gtzan_splits/``, 443 / 197 / 290 clips)
and are checked against the SHA-256 values below whenever they are read.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import audio
from .base import SPLIT_NAMES, Dataset, Layout, audio_files, genre_folders
from .download import Remote

GENRES: tuple[str, ...] = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
TRACK_ID = re.compile(r"^(?P<genre>[a-z]+)\.?(?P<clip>\d{5})$")

SPLIT_LISTS_DIR = Path(__file__).with_name("gtzan_splits")
SPLIT_LISTS_SHA256 = {
    "train": "2b04966cef1486f1a7767b74271533fa23e220388db804a1937835e1fc4fa3fa",
    "valid": "f8fbee7c52397a0e0f3a91dc54fedecb2e27f5bdc9a9daeab8cb10d077e26956",
    "test": "09cafa6a89ce0a27f30ed250d56ecb4d03c22fffb5a693f96c7ae655ee02ac72",
}

HOW_TO_GET = """\
How to get GTZAN (about 1.2 GB, 1000 clips of 30 s):
  * python -m helpers.data download gtzan --dest data/gtzan
    (the original Marsyas archive, checked against its MD5), or
  * download the Kaggle dataset "GTZAN Dataset - Music Genre Classification"
    (andradaolteanu/gtzan-dataset-music-genre-classification), unzip it and
    point GTZAN_DIR at the folder that holds genres_original/, or
  * download genres.tar.gz from the Hugging Face dataset marsyas/gtzan and
    extract it into data/gtzan.
Without GTZAN the notebooks run on the embedded synthetic dataset."""


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


class SplitListError(RuntimeError):
    """The shipped split lists were altered (checksum mismatch)."""


@lru_cache(maxsize=1)
def fault_filtered_lists() -> dict[str, tuple[str, ...]]:
    """``{"train": (...), "valid": (...), "test": (...)}`` of track ids, checksum-verified."""
    lists = {}
    for name in SPLIT_NAMES:
        path = SPLIT_LISTS_DIR / f"{name}_filtered.txt"
        content = path.read_bytes()
        if hashlib.sha256(content).hexdigest() != SPLIT_LISTS_SHA256[name]:
            raise SplitListError(f"{path} does not match its published SHA-256; restore it with git checkout")
        lists[name] = tuple(track_id_of(line.strip()) for line in content.decode().splitlines() if line.strip())
    return lists


def _gtzan_tracks(audio_dir: Path, genres: tuple[str, ...]) -> pd.DataFrame:
    """Rows ``track_id, genre, path`` for GTZAN-named files in genre folders (other names keep their stem)."""
    rows = []
    for genre in genres:
        for path in audio_files(audio_dir / genre):
            match = TRACK_ID.match(path.stem)
            track_id = f"{match['genre']}.{match['clip']}" if match else f"{genre}.{path.stem}"
            rows.append(dict(track_id=track_id, genre=genre, path=str(path)))
    return pd.DataFrame(rows, columns=["track_id", "genre", "path"])


class GTZAN(Dataset):
    name = "gtzan"
    title = "GTZAN"
    genres = GENRES
    clips_per_genre = 100
    fixed_split_name = "fault-filtered"
    how_to_get = HOW_TO_GET
    remotes = {
        # The original Marsyas archive (genres/<genre>/<genre>.000NN.au); its MD5 is
        # the one published with mirdata and torchaudio.
        "gtzan": Remote(
            filename="genres.tar.gz",
            urls=("https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz",
                  "http://opihi.cs.uvic.ca/sound/genres.tar.gz"),
            checksum="md5:5b3d6dddb579ab49814ab86dba69e7c7",
            size_hint="about 1.2 GB",
        ),
    }

    def detect(self, root: Path) -> Layout | None:
        features_csv, features_3s, images = root / "features_30_sec.csv", root / "features_3_sec.csv", root / "images_original"
        common = dict(
            images_dir=images if images.is_dir() else None,
            features_csv=features_csv if features_csv.is_file() else None,
            features_3s_csv=features_3s if features_3s.is_file() else None,
        )
        for kind, audio_dir in (("kaggle", root / "genres_original"), ("marsyas", root / "genres")):
            genres = genre_folders(audio_dir)
            if genres:
                return Layout(self.name, root, kind, audio_dir, genres=genres, **common)
        # Bare genre folders count as GTZAN only with GTZAN genre names and GTZAN file names.
        genres = genre_folders(root, allowed=GENRES)
        if genres and all(TRACK_ID.match(p.stem) for g in genres for p in audio_files(root / g)):
            return Layout(self.name, root, "genre-folders", root, genres=genres, **common)
        if common["features_csv"] is not None:
            return Layout(self.name, root, "features-only", **common)
        return None

    def list_tracks(self, layout: Layout) -> pd.DataFrame:
        table = _gtzan_tracks(layout.audio_dir, layout.genres) if layout.audio_dir else pd.DataFrame(columns=["track_id", "genre", "path"])
        return table.assign(artist="", fixed_split=self.fixed_split(table))

    def fixed_split(self, table: pd.DataFrame) -> pd.Series:
        where = {track: name for name, tracks in fault_filtered_lists().items() for track in tracks}
        return table["track_id"].map(where).fillna("").astype(object).rename("fixed_split")

    def listed_split_sizes(self, layout: Layout) -> dict[str, int]:
        return {name: len(tracks) for name, tracks in fault_filtered_lists().items()}

    def track_id_of(self, name: str) -> str:
        return track_id_of(name)


DATASET = GTZAN()
