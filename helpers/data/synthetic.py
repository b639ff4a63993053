"""The embedded default: deterministic synthetic music in the Kaggle GTZAN layout (see ``helpers.data.synth``).

Recognised by the marker file ``SYNTHETIC.json`` that ``helpers.data.synth`` writes last,
so an interrupted generation is never mistaken for a dataset. No fixed split:
the synthetic clips share GTZAN's file names but none of its artists or faults.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from . import synth
from .base import Dataset, Layout, genre_folders
from .gtzan import GENRES, _gtzan_tracks


class Synthetic(Dataset):
    name = "synthetic"
    title = "synthetic"
    genres = GENRES
    how_to_get = "Generate it with: python -m helpers.data synth --out DIR --per-genre N --seconds S"

    def detect(self, root: Path) -> Layout | None:
        if not (root / synth.MARKER_FILE).is_file():
            return None
        audio_dir = root / "genres_original"
        return Layout(self.name, root, "kaggle", audio_dir, genres=genre_folders(audio_dir))

    def list_tracks(self, layout: Layout) -> pd.DataFrame:
        return _gtzan_tracks(layout.audio_dir, layout.genres).assign(artist="", fixed_split="")


DATASET = Synthetic()


def ensure(out: Path, per_genre: int, seconds: float, seed: int) -> Path:
    """Generate the synthetic dataset at ``out`` unless a complete copy with these settings is already there."""
    marker = out / synth.MARKER_FILE
    wanted = {"per_genre": per_genre, "seconds": seconds, "seed": seed}
    if marker.is_file():
        try:
            meta = json.loads(marker.read_text())
        except (OSError, ValueError):
            meta = {}
        if all(meta.get(k) == v for k, v in wanted.items()):
            return out
        marker.unlink()  # other settings or a damaged marker: regenerate
    print(f"Generating the embedded synthetic dataset ({per_genre} clips x {len(GENRES)} genres x {seconds:g} s) in {out}")
    return synth.write_dataset(out, per_genre=per_genre, seconds=seconds, seed=seed)
