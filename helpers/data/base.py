"""What every dataset module provides, and the tracks table they all build.

A dataset module defines one :class:`Dataset` subclass instance, ``DATASET``, that
knows how to recognise its layout on disk (:meth:`Dataset.detect`), list its
clips (:meth:`Dataset.list_tracks`), map any table of track ids onto its fixed
split (:meth:`Dataset.fixed_split`), and where to download it (``remotes``).
Generic work (probing headers, duplicate ids, unreadable files) happens once in
:func:`helpers.data.registry.load_tracks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..cli import UserError
from . import audio
from .download import Remote

# One row per clip. ``fixed_split``: train / valid / test / "" from the dataset's own
# split (GTZAN's fault-filtered lists, FMA's official split); ``artist`` where known.
TRACK_COLUMNS = [
    "track_id", "genre", "path", "format", "sample_rate", "channels", "duration", "ok", "error", "artist", "fixed_split",
]
SPLIT_NAMES = ("train", "valid", "test")


class DatasetNotFoundError(UserError, FileNotFoundError):
    """A folder that holds no recognisable dataset; the message says how to get one."""


@dataclass(frozen=True)
class Layout:
    """Where one dataset's parts are on disk. Any part may be missing (``None``)."""

    dataset: str  # registry name: "gtzan", "fma-small", "synthetic", "folders"
    root: Path
    kind: str  # how the files are arranged, e.g. "kaggle", "marsyas", "fma", "genre-folders"
    audio_dir: Path | None = None
    images_dir: Path | None = None
    features_csv: Path | None = None
    features_3s_csv: Path | None = None
    metadata: Path | None = None  # a catalogue of the tracks (FMA's tracks.csv)
    genres: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        from ..runtime import display_path

        parts = [f"{self.dataset} ({self.kind} layout) at {display_path(self.root)}"]
        for label, part in (("audio", self.audio_dir), ("metadata", self.metadata), ("images", self.images_dir),
                            ("features CSV", self.features_csv)):
            if part is not None or label in ("audio",):
                parts.append(f"  {label}: {display_path(part) if part else 'absent'}")
        return "\n".join(parts)


class Dataset:
    """One dataset: its name, genres, layout rules, fixed split and remotes (override what differs)."""

    name: str = ""  # registry key; also the label results files and run folders carry
    title: str = ""  # how figures name it ("GTZAN", "FMA-small")
    genres: tuple[str, ...] = ()  # the full genre list (a copy on disk may lack some)
    clips_per_genre: int | None = None  # in the complete dataset, for "what is missing" sentences
    fixed_split_name: str | None = None  # protocol name of its fixed split ("fault-filtered", "official")
    remotes: dict[str, Remote] = {}
    how_to_get: str = ""

    def detect(self, root: Path) -> Layout | None:
        """The layout of ``root`` if it holds this dataset, else ``None``."""
        raise NotImplementedError

    def list_tracks(self, layout: Layout) -> pd.DataFrame:
        """Rows with ``track_id, genre, path`` (and ``artist``, ``fixed_split`` where known); no probing."""
        raise NotImplementedError

    def fixed_split(self, table: pd.DataFrame) -> pd.Series:
        """``train``/``valid``/``test``/``""`` for each row of any table with a ``track_id`` column."""
        return pd.Series("", index=table.index, name="fixed_split", dtype=object)

    def listed_split_sizes(self, layout: Layout) -> dict[str, int] | None:
        """Tracks per part of the fixed split in the complete dataset (to compare with what is present)."""
        return None

    def catalogue(self, layout: Layout) -> pd.DataFrame | None:
        """Every track the dataset's metadata lists (with or without audio here), or ``None``."""
        return None

    def known_faults(self, layout: Layout) -> pd.DataFrame:
        """Tracks present on disk that are known to be unusable, with ``error`` saying why (skipped and listed)."""
        return pd.DataFrame(columns=["track_id", "genre", "path", "artist", "fixed_split", "error"])

    def track_id_of(self, name: str) -> str:
        """The track a file name refers to; by default its stem."""
        return Path(name).stem


def audio_files(folder: Path) -> list[Path]:
    """Supported audio files directly in ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and audio.is_audio_file(p))


def genre_folders(folder: Path, allowed: Sequence[str] | None = None) -> tuple[str, ...]:
    """Sub-folders of ``folder`` that hold at least one supported audio file (only ``allowed`` names if given)."""
    if not folder.is_dir():
        return ()
    names = []
    for sub in folder.iterdir():
        if sub.is_dir() and not sub.name.startswith(".") and (allowed is None or sub.name in allowed):
            if any(audio.is_audio_file(f) for f in sub.iterdir()):
                names.append(sub.name)
    return tuple(sorted(names))
