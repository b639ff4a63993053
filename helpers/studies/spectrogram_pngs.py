"""What notebook 02 runs: the mel-spectrogram PNGs the CNN notebooks train on (whole clips and segment variants),
the image grids that show them, and their comparison with the Kaggle ``images_original`` PNGs.

* :func:`render`: every image rendered (or found up to date), what happened said line by line, the index saved;
* :func:`variant_counts`: images per genre and variant;
* :func:`segment_grids`: one figure per segment variant, the segments of one clip;
* :func:`kaggle_figure`, :func:`kaggle_agreement`, :func:`agreement_summary`: our PNGs beside the cropped Kaggle
  images, and the rank correlation between the two on every clip that has both.

Each function is one cell's worth; the rendering and cropping live in ``helpers.inputs.spectrograms``, the
agreement measure in ``helpers.results.report``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .. import plots
from ..inputs import spectrograms
from ..results import report

INDEX_FILE = "index.csv"  # the image index beside the images, for readers of the cache folder
KAGGLE_CROPS = "kaggle_cropped"  # sub-folder of the image cache with the Kaggle images, border removed
KAGGLE_PAIRS = 4  # clips in the side-by-side figure: one row of ours above one row of theirs
SEGMENT_COLUMNS = 10  # at most this many segments per row of a segment grid
# The rows of ``DataFrame.describe`` worth showing for a correlation: the mean and std of a skewed spread are not.
SUMMARY_ROWS = ["count", "min", "25%", "50%", "75%", "max"]


def render(tracks: pd.DataFrame, out_dir: str | Path, segment_seconds: Sequence[float],
           params: spectrograms.MelParams = spectrograms.MelParams(), jobs: int = 1) -> spectrograms.RenderedImages:
    """Render the PNGs of every clip and segment variant (``spectrograms.render_pngs``, with a progress bar), print
    the counts and every clip that failed to decode, and save the index as ``out_dir/index.csv``."""
    rendering = spectrograms.render_pngs(tracks, out_dir, segment_seconds, params=params, jobs=jobs)
    print(f"rendered {rendering.rendered}, already up to date {rendering.up_to_date}, failed {len(rendering.failed)}")
    for failure in rendering.failed:
        print(f"  skipped: {failure}")
    rendering.index.to_csv(Path(out_dir) / INDEX_FILE, index=False)
    return rendering


def variant_counts(index: pd.DataFrame) -> pd.DataFrame:
    """Images per genre (rows) and variant (columns: segment lengths, shortest first, then ``clip``)."""
    table = index.pivot_table(index="genre", columns="variant", values="path", aggfunc="count").fillna(0).astype(int)

    def length(variant: str) -> float:  # "10s" after "3s" and "5s", the whole clip last
        return float("inf") if variant == spectrograms.CLIP_VARIANT else float(variant.rstrip("s"))

    return table[sorted(table.columns, key=length)]


def segment_grids(index: pd.DataFrame, label: str, figures_dir: str | Path) -> None:
    """For each segment variant, the images of the index's first clip in one grid, saved as
    ``02_segments_<variant>``: the reader sees that each segment is an example of its own."""
    first = index["track_id"].iloc[0]
    variants = [v for v in index["variant"].unique() if v != spectrograms.CLIP_VARIANT]
    for variant in variants:
        segments = index[(index["track_id"] == first) & (index["variant"] == variant)]
        fig = plots.image_grid(segments["path"], [f"segment {s:.0f}" for s in segments["segment"]],
                               f"{label}: {first} cut into {variant} segments ({len(segments)} images)",
                               columns=min(SEGMENT_COLUMNS, len(segments)))
        plots.save(fig, figures_dir, f"02_segments_{variant}")


def _with_kaggle_image(images: pd.DataFrame, images_dir: str | Path) -> pd.DataFrame:
    """The rows of ``images`` whose clip has a Kaggle image (the Kaggle set lacks some, e.g. ``jazz.00054``)."""
    present = [spectrograms.kaggle_image_path(images_dir, track_id).exists() for track_id in images["track_id"]]
    return images[present]


def kaggle_figure(clips: pd.DataFrame, images_dir: str | Path | None, out_dir: str | Path, label: str,
                  figures_dir: str | Path) -> None:
    """Our whole-clip PNGs of the first clips of ``clips`` (top row) above the same clips' Kaggle images with their
    border cropped (bottom row), saved as ``02_ours_vs_kaggle``; a printed line instead when the dataset has no
    Kaggle images."""
    if images_dir is None:
        print("This dataset has no images_original folder.")
        return
    pairs = _with_kaggle_image(clips, images_dir).head(KAGGLE_PAIRS)
    cropped = spectrograms.cropped_kaggle_images(images_dir, pairs["track_id"], Path(out_dir) / KAGGLE_CROPS)
    labels = [f"ours: {t}" for t in pairs["track_id"]] + [f"Kaggle, cropped: {t}" for t in pairs["track_id"]]
    fig = plots.image_grid(list(pairs["path"]) + cropped, labels,
                           f"{label}: this repository's PNGs (top row) and Kaggle images_original (bottom row)",
                           columns=KAGGLE_PAIRS)
    plots.save(fig, figures_dir, "02_ours_vs_kaggle")


def kaggle_agreement(index: pd.DataFrame, images_dir: str | Path | None, out_dir: str | Path) -> pd.DataFrame | None:
    """Per clip with both images: the Spearman correlation of our whole-clip PNG with its cropped Kaggle image
    (``report.image_agreement``: pixels and frequency profile); ``None`` when the dataset has no Kaggle images."""
    if images_dir is None:
        return None
    whole = _with_kaggle_image(index[index["variant"] == spectrograms.CLIP_VARIANT], images_dir)
    crops = spectrograms.cropped_kaggle_images(images_dir, whole["track_id"], Path(out_dir) / KAGGLE_CROPS)
    return report.image_agreement(whole["path"], crops, whole["track_id"])


def agreement_summary(agreement: pd.DataFrame) -> pd.DataFrame:
    """The spread of :func:`kaggle_agreement` over clips: count, range and quartiles per measure, to 3 decimals."""
    return agreement.describe().loc[SUMMARY_ROWS].round(3)
