"""What notebook 01 runs: the spectral-centroid and tempo box plots per genre, from the Kaggle CSV (when the dataset
has it) and computed from the audio, the genre medians beside η², our descriptors against the CSV per audio format,
and one example clip per genre.

* :func:`csv_descriptors`, :func:`audio_descriptors`: the two descriptors per clip, from each source;
* :func:`box_plots`: the two box-plot figures of one source;
* :func:`descriptor_tables`, :func:`genre_medians`: the sources side by side (what the effect sizes and the
  reading compare) and their medians per genre;
* :func:`format_agreement`, :func:`show_format_agreement`: ours against the CSV, one table per audio format;
* :func:`genre_examples`: the first clips of each genre, decoded for the example figure.

Each function is one cell's worth; the descriptors live in ``helpers.inputs.features``, the effect sizes and the
reading in ``helpers.results.report``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .. import plots
from ..data import audio
from ..inputs import features

CSV_SOURCE = "features CSV"
AUDIO_SOURCE = "audio (computed here)"
# Per descriptor: the stem of its figure names, its words in titles and its unit. The figure names are the
# ones the report links to, so they stay as they are whatever the column is called.
DESCRIPTORS: dict[str, tuple[str, str, str]] = {
    "spectral_centroid_mean": ("centroid", "spectral centroid mean", "Hz"),
    "tempo": ("tempo", "tempo", "BPM"),
}


def csv_descriptors(csv_table: pd.DataFrame | None) -> pd.DataFrame | None:
    """``track_id, genre`` and the EDA descriptors of every row of the Kaggle features table; ``None`` without one."""
    if csv_table is None:
        return None
    return csv_table[["track_id", "genre", *features.EDA_COLUMNS]]


def audio_descriptors(tracks: pd.DataFrame, jobs: int = 1) -> pd.DataFrame:
    """The EDA descriptors computed from ``tracks``' audio (``features.eda_table``), after a line that says how many
    clips they cover and which were skipped (unreadable) or too short: the reader sees what the plots leave out."""
    computed = features.eda_table(tracks, jobs=jobs)
    print(f"computed for {len(computed.table)} clips; skipped: {list(computed.skipped) or 'none'}; "
          f"too short: {list(computed.too_short) or 'none'}")
    return computed.table


def box_plots(table: pd.DataFrame, source: str, suffix: str, figures_dir: str | Path) -> None:
    """One box plot per genre of each descriptor of ``table``, titled ``<source>: <descriptor>`` and saved as
    ``01_<centroid|tempo>_by_genre_<suffix>``."""
    for column, (stem, words, unit) in DESCRIPTORS.items():
        fig = plots.box_by_genre(table, column, f"{source}: {words}", unit)
        plots.save(fig, figures_dir, f"01_{stem}_by_genre_{suffix}")


def descriptor_tables(audio_eda: pd.DataFrame, csv_eda: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Source name -> descriptor table, the CSV first when there is one: the order of the columns of the medians
    and of the rows of the effect sizes."""
    tables = {AUDIO_SOURCE: audio_eda}
    return tables if csv_eda is None else {CSV_SOURCE: csv_eda, **tables}


def genre_medians(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Median of each descriptor per genre, one column group per source (genres as rows)."""
    columns = list(features.EDA_COLUMNS)
    return pd.concat({name: table.groupby("genre")[columns].median() for name, table in tables.items()}, axis=1)


def format_agreement(audio_eda: pd.DataFrame, csv_eda: pd.DataFrame | None, tracks: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Audio format -> our descriptors against the CSV's on the clips decoded from that format
    (``features.compare_with_reference``, rounded to 4 decimals); empty without the CSV. Formats are kept apart
    because a lossy codec adds its own error to that of the code, which lossless clips measure alone."""
    if csv_eda is None:
        return {}
    with_format = audio_eda.merge(tracks[["track_id", "format"]], on="track_id")
    return {str(audio_format): features.compare_with_reference(part, csv_eda, features.EDA_COLUMNS).round(4)
            for audio_format, part in with_format.groupby("format")}


def show_format_agreement(audio_eda: pd.DataFrame, csv_eda: pd.DataFrame | None, tracks: pd.DataFrame, label: str,
                          show: Callable[[pd.DataFrame], object]) -> None:
    """Each table of :func:`format_agreement` under a printed line naming its format; ``show`` displays a table
    (the notebook passes IPython's ``display``, so that helpers need no IPython)."""
    for audio_format, table in format_agreement(audio_eda, csv_eda, tracks).items():
        print(f"{label}, clips decoded from {audio_format}, ours vs features_30_sec.csv:")
        shown = table.copy()
        shown["clips"] = shown["clips"].astype(int)
        for column in shown.columns.drop("clips"):  # shares and relative differences read as percentages
            shown[column] = shown[column].map(lambda v: f"{v:.1%}")
        show(shown)


def genre_examples(tracks: pd.DataFrame, per_genre: int) -> tuple[list[tuple[str, np.ndarray]], int]:
    """``(track_id, samples)`` of the first ``per_genre`` clips of each genre (genres in alphabetical order, clips in
    ``tracks``' order), decoded at the default sample rate, and that rate: what ``plots.genre_examples`` draws."""
    rate = audio.DEFAULT_SAMPLE_RATE  # one rate for every row, so that the waveforms share a time axis
    chosen = tracks.groupby("genre").head(per_genre).sort_values("genre", kind="stable")
    return [(track_id, audio.load(path, sr=rate)[0]) for track_id, path in zip(chosen["track_id"], chosen["path"])], rate
