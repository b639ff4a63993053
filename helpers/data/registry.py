"""The dataset registry: one module per dataset, and the one tracks table they all produce.

====================  ==========================================================
``synthetic``         the embedded default (``helpers.data.synth``), Kaggle GTZAN layout
``fma-small``         FMA-small: ``fma_metadata/tracks.csv`` + ``fma_small/AAA/AAABBB.mp3``
``gtzan``             GTZAN in the Kaggle, Marsyas, genre-folder or features-only layout
``folders``           any ``ROOT/<genre>/<audio file>`` tree (your own music)
====================  ==========================================================

:func:`discover` asks each dataset in this order whether it recognises a folder;
:func:`load_tracks` builds the tracks table (``TRACK_COLUMNS``, one row per clip)
from the dataset's listing and does the generic work once: reading each file's
header, flagging unreadable files and duplicate track ids (``ok`` False, reason in
``error``: skipped everywhere and listed, never dropped silently).

Adding a dataset means adding its module (a :class:`~helpers.data.base.Dataset`
instance called ``DATASET``) and one line in ``REGISTRY``; nothing else changes.
"""

from __future__ import annotations

import importlib
import os
import warnings
from pathlib import Path

import pandas as pd

from . import audio
from .base import TRACK_COLUMNS, Dataset, DatasetNotFoundError, Layout

__all__ = ["REGISTRY", "TRACK_COLUMNS", "Dataset", "DatasetNotFoundError", "Layout", "discover", "get", "load_tracks"]

# name -> module, in detection order: the synthetic marker first, the generic genre folders last.
REGISTRY: dict[str, str] = {
    "synthetic": "helpers.data.synthetic",
    "fma-small": "helpers.data.fma",
    "gtzan": "helpers.data.gtzan",
    "folders": "helpers.data.folders",
}
# When two files give one track id, the first format here is kept (lossless first).
FORMAT_PREFERENCE = (".wav", ".flac", ".au", ".ogg", ".mp3")


def get(name: str) -> Dataset:
    """The registered dataset called ``name``."""
    if name not in REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(REGISTRY)}")
    return importlib.import_module(REGISTRY[name]).DATASET


def how_to_get() -> str:
    """How to get each downloadable dataset (for messages about a missing dataset)."""
    return "\n".join(get(name).how_to_get for name in ("gtzan", "fma-small"))


def discover(root: str | os.PathLike) -> Layout:
    """The layout of the dataset in ``root``.

    Raises:
        DatasetNotFoundError: ``root`` is missing, is a file, or holds no dataset;
            the message says what was looked for and how to get a dataset.
    """
    root = Path(root).expanduser()
    if root.is_file():
        hint = " (an archive? extract it and point at the extracted folder)" if root.suffix.lower() in (
            ".zip", ".gz", ".tgz", ".tar", ".7z", ".bz2", ".xz") else ""
        raise DatasetNotFoundError(f"{root} is a file, not a dataset folder{hint}.\n{how_to_get()}")
    if not root.is_dir():
        raise DatasetNotFoundError(f"dataset folder {root} does not exist.\n{how_to_get()}")
    for name in REGISTRY:
        layout = get(name).detect(root)
        if layout is not None:
            return layout
    raise DatasetNotFoundError(
        f"{root} holds no dataset: found none of genres_original/<genre>/, genres/<genre>/, <genre>/ folders "
        f"with audio ({', '.join(audio.SUPPORTED_EXTENSIONS)}), features_30_sec.csv, or fma_metadata/tracks.csv.\n"
        f"{how_to_get()}"
    )


def _preference(path: str) -> tuple[int, str]:
    suffix = Path(path).suffix.lower()
    rank = FORMAT_PREFERENCE.index(suffix) if suffix in FORMAT_PREFERENCE else len(FORMAT_PREFERENCE)
    return rank, path


def _flag_duplicates(tracks: pd.DataFrame) -> pd.DataFrame:
    """Keep one readable file per track id (lossless first); flag the others as duplicates."""
    tracks = tracks.copy()
    for track_id, group in tracks[tracks["ok"]].groupby("track_id", sort=False):
        if len(group) < 2:
            continue
        order = sorted(group.index, key=lambda i: _preference(tracks.at[i, "path"]))
        kept = tracks.at[order[0], "path"]
        for i in order[1:]:
            tracks.loc[i, ["ok", "error"]] = [False, f"{tracks.at[i, 'path']}: duplicate of track {track_id} (kept {kept})"]
    return tracks


def load_tracks(root: str | os.PathLike | Layout, probe: bool = True) -> pd.DataFrame:
    """One row per audio clip of the dataset at ``root``: ``TRACK_COLUMNS``.

    ``probe`` reads each file's header (fast). Unreadable files, known faulty
    tracks and duplicate track ids stay in the table with ``ok=False`` and the
    reason in ``error``; one warning lists them. A dataset without audio here
    (features-only, catalogue-only) gives an empty table.
    """
    layout = root if isinstance(root, Layout) else discover(root)
    dataset = get(layout.dataset)
    listed = dataset.list_tracks(layout).assign(ok=True, error="")
    faults = dataset.known_faults(layout).assign(ok=False)
    tracks = pd.concat([frame for frame in (listed, faults) if len(frame)], ignore_index=True) if len(faults) else listed
    tracks = tracks.assign(format=[Path(p).suffix.lower().lstrip(".") for p in tracks["path"]],
                           sample_rate=0, channels=0, duration=0.0)
    if probe:
        for i in tracks.index[tracks["ok"]]:
            try:
                meta = audio.info(tracks.at[i, "path"])
                tracks.loc[i, ["sample_rate", "channels", "duration"]] = [meta.sample_rate, meta.channels, meta.duration]
            except audio.AudioError as error:
                tracks.loc[i, ["ok", "error"]] = [False, str(error)]
    tracks = _flag_duplicates(tracks)[TRACK_COLUMNS].reset_index(drop=True)
    tracks = tracks.astype({"ok": bool, "sample_rate": int, "channels": int, "duration": float})
    bad = tracks.loc[~tracks["ok"], "error"].tolist()
    if bad:
        warnings.warn(f"{len(bad)} audio file(s) will be skipped:\n  " + "\n  ".join(bad), stacklevel=2)
    return tracks


def readable_tracks(root: str | os.PathLike | Layout) -> pd.DataFrame:
    """The readable clips of the dataset at ``root``, for commands that need audio.

    Raises:
        DatasetNotFoundError: the dataset has no readable clip here (features or metadata only, or all
            files unreadable); the message says what was found and how to get the audio.
    """
    layout = root if isinstance(root, Layout) else discover(root)
    tracks = load_tracks(layout)
    usable = tracks[tracks["ok"]].reset_index(drop=True)
    if usable.empty:
        found = f"{len(tracks)} audio file(s), none readable" if len(tracks) else "no audio clips"
        raise DatasetNotFoundError(f"{layout.root}: {get(layout.dataset).title} ({layout.kind} layout) with {found}; "
                                   f"this command needs audio.\n{get(layout.dataset).how_to_get}")
    return usable
