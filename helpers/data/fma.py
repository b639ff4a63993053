"""FMA-small (Defferrard et al. 2017, mdeff/fma): 8 balanced top genres x 1000 clips of 30 s, mp3.

Layout under ``ROOT`` (as the two official archives extract):

* ``ROOT/fma_metadata/tracks.csv``: the official catalogue, a three-row header
  (groups such as ``set`` and ``track``, then column names, then ``track_id``);
  the columns used are ``('set', 'subset')``, ``('set', 'split')``,
  ``('track', 'genre_top')`` and ``('artist', 'name')``. A trimmed table with
  columns ``subset,split,track_id,genre_top`` (``tracks_small.csv``) is read too;
* ``ROOT/fma_small/AAA/AAABBB.mp3``: track 2 is ``fma_small/000/000002.mp3``.

Metadata without audio is a valid, catalogue-only layout (``helpers.data check``
then reports the catalogue). Label: ``track.genre_top``; fixed split: the official
``set.split`` (training / validation / test), protocol ``official``. Three tracks
of the small subset hold no audio (mdeff/fma issue 44); they are left out of the
catalogue and, where their files exist, listed as skipped.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from .base import Dataset, Layout
from .download import Remote

GENRES: tuple[str, ...] = ("Electronic", "Experimental", "Folk", "Hip-Hop", "Instrumental", "International", "Pop", "Rock")
KNOWN_EMPTY: dict[str, str] = {
    track: "holds no audio (a known fault of FMA-small, mdeff/fma issue 44)" for track in ("099134", "108925", "133297")
}
SPLIT_NAMES = {"training": "train", "validation": "valid", "test": "test"}
METADATA_CANDIDATES = ("fma_metadata/tracks.csv", "tracks.csv", "fma_metadata/tracks_small.csv", "tracks_small.csv")
CATALOGUE_COLUMNS = ["track_id", "genre", "artist", "fixed_split"]

HOW_TO_GET = """\
How to get FMA-small (8000 clips of 30 s in 8 genres, 7.2 GiB, plus 342 MiB of metadata):
  * python -m helpers.data download fma-small --dest data/fma
    (fma_metadata.zip and fma_small.zip from the FMA project, checked against their
    published SHA-1; 7-Zip can extract them if unzip fails on the large archive), or
  * download both archives as linked from the mdeff/fma README and extract them
    into one folder, then point MGC_DATASET (or the notebooks' DATASET) at it."""


def audio_path(audio_dir: Path, track_id: str) -> Path:
    """``fma_small/AAA/AAABBB.mp3`` for the six-digit ``track_id`` AAABBB."""
    return audio_dir / track_id[:3] / f"{track_id}.mp3"


@lru_cache(maxsize=4)
def _read_catalogue(path: Path, mtime_ns: int) -> pd.DataFrame:
    with open(path, encoding="utf-8") as handle:
        first = handle.readline()
    if first.startswith("subset,") or ",genre_top" in first:  # the trimmed one-header table
        table = pd.read_csv(path, dtype={"track_id": int})
        table = table[table["subset"] == "small"]
        columns = {"id": table["track_id"], "genre": table["genre_top"], "split": table["split"],
                   "artist": table["artist"] if "artist" in table else ""}
    else:  # the official three-row header
        table = pd.read_csv(path, index_col=0, header=[0, 1], low_memory=False)
        small = table[table[("set", "subset")] == "small"]
        artist = small[("artist", "name")] if ("artist", "name") in small.columns else ""
        columns = {"id": small.index.to_series().astype(int), "genre": small[("track", "genre_top")],
                   "split": small[("set", "split")], "artist": artist}
    frame = pd.DataFrame(columns).reset_index(drop=True)
    unknown = sorted(set(frame["split"].dropna()) - set(SPLIT_NAMES))
    if unknown:
        raise ValueError(f"{path}: unknown split names {unknown}; expected {', '.join(SPLIT_NAMES)}")
    return pd.DataFrame({
        "track_id": frame["id"].map(lambda i: f"{int(i):06d}"),
        "genre": frame["genre"].astype(str),
        "artist": frame["artist"].fillna("").astype(str) if isinstance(frame["artist"], pd.Series) else "",
        "fixed_split": frame["split"].map(SPLIT_NAMES).fillna(""),
    }, columns=CATALOGUE_COLUMNS)


def read_catalogue(path: str | Path) -> pd.DataFrame:
    """The small subset of an FMA ``tracks.csv`` (official or trimmed): ``track_id, genre, artist, fixed_split``,
    without the known empty tracks."""
    path = Path(path)
    table = _read_catalogue(path, path.stat().st_mtime_ns)
    return table[~table["track_id"].isin(KNOWN_EMPTY)].reset_index(drop=True)


class FMASmall(Dataset):
    name = "fma-small"
    title = "FMA-small"
    genres = GENRES
    clips_per_genre = 1000
    fixed_split_name = "official"
    how_to_get = HOW_TO_GET
    remotes = {
        "fma-metadata": Remote(filename="fma_metadata.zip", urls=("https://os.unil.cloud.switch.ch/fma/fma_metadata.zip",),
                               checksum="sha1:f0df49ffe5f2a6008d7dc83c6915b31835dfe733", size_hint="342 MiB"),
        "fma-small": Remote(filename="fma_small.zip", urls=("https://os.unil.cloud.switch.ch/fma/fma_small.zip",),
                            checksum="sha1:ade154f733639d52e35e32f5593efe5be76c6d70", size_hint="7.2 GiB"),
    }

    def detect(self, root: Path) -> Layout | None:
        metadata = next((root / c for c in METADATA_CANDIDATES if (root / c).is_file()), None)
        audio_dir = root / "fma_small" if (root / "fma_small").is_dir() else None
        if metadata is None:
            return None
        return Layout(self.name, root, "fma", audio_dir, metadata=metadata, genres=GENRES)

    def catalogue(self, layout: Layout) -> pd.DataFrame | None:
        return read_catalogue(layout.metadata) if layout.metadata else None

    def listed_split_sizes(self, layout: Layout) -> dict[str, int] | None:
        catalogue = self.catalogue(layout)
        return None if catalogue is None else {k: int(v) for k, v in catalogue["fixed_split"].value_counts().items()}

    def list_tracks(self, layout: Layout) -> pd.DataFrame:
        catalogue = self.catalogue(layout)
        if layout.audio_dir is None or catalogue is None:
            return pd.DataFrame(columns=["track_id", "genre", "path", "artist", "fixed_split"])
        paths = catalogue["track_id"].map(lambda t: str(audio_path(layout.audio_dir, t)))
        present = catalogue.assign(path=paths)[[Path(p).is_file() for p in paths]]
        return present[["track_id", "genre", "path", "artist", "fixed_split"]].reset_index(drop=True)

    def known_faults(self, layout: Layout) -> pd.DataFrame:
        """The known empty tracks whose files are present here, with the reason they are skipped."""
        if layout.audio_dir is None or layout.metadata is None:
            return super().known_faults(layout)
        every = _read_catalogue(layout.metadata, layout.metadata.stat().st_mtime_ns)
        faulty = every[every["track_id"].isin(KNOWN_EMPTY)]
        faulty = faulty.assign(path=faulty["track_id"].map(lambda t: str(audio_path(layout.audio_dir, t))))
        faulty = faulty[[Path(p).exists() for p in faulty["path"]]]
        return faulty.assign(error=[f"{p}: {KNOWN_EMPTY[t]}" for t, p in zip(faulty["track_id"], faulty["path"])])

    def fixed_split(self, table: pd.DataFrame) -> pd.Series:
        if "fixed_split" in table:
            return table["fixed_split"].fillna("").rename("fixed_split")
        return super().fixed_split(table)


DATASET = FMASmall()
