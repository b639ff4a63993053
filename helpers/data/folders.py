"""Any folder of genre sub-folders: ``ROOT/<genre>/<any audio file>`` (your own music, another corpus).

The genre is the folder name and the track id is ``<genre>.<file stem>``, so two
files with one stem in one folder (``a.wav`` and ``a.mp3``) are the same track and
the second is skipped as a duplicate. No fixed split, no downloads.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .base import Dataset, Layout, audio_files, genre_folders


class GenreFolders(Dataset):
    name = "folders"
    title = "genre folders"
    how_to_get = "Arrange audio files as ROOT/<genre>/<file> (wav, au, flac, ogg or mp3), one folder per genre."

    def detect(self, root: Path) -> Layout | None:
        genres = genre_folders(root)
        return Layout(self.name, root, "genre-folders", root, genres=genres) if genres else None

    def list_tracks(self, layout: Layout) -> pd.DataFrame:
        rows = [dict(track_id=f"{genre}.{path.stem}", genre=genre, path=str(path))
                for genre in layout.genres for path in audio_files(layout.root / genre)]
        return pd.DataFrame(rows, columns=["track_id", "genre", "path"]).assign(artist="", fixed_split="")


DATASET = GenreFolders()
