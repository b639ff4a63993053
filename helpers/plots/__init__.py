"""Every figure of the notebooks, and the shared look. Each figure's title names its dataset (and split).

Owns: :mod:`.data` (clip counts, waveforms, spectrograms, images, network inputs), :mod:`.results`
(figures of results records: accuracies with intervals, confusion matrices, curves), :mod:`.pretrained`
(notebook 05's port parity, rankings and embedding maps), :mod:`.listen` (short audio excerpts with
captions) and :mod:`.style` (font sizes, wrapped titles,
:func:`save`, :func:`format_params`). Every figure is re-exported here, so a notebook writes
``plots.confusion(...)``. Figures are saved as compact PNGs under the run's ``figures/`` folder.

May import: ``helpers.runtime``, ``helpers.cli``, ``helpers.data`` and ``helpers.inputs`` (the spectrogram
figures compute their log-mel lazily); never models, results or studies.
"""

from .data import DB_LABEL, DB_RANGE, array_grid, box_by_genre, clip_overview, genre_counts, genre_examples, image_grid
from .listen import excerpts, genre_excerpts, mistaken_excerpts
from .pretrained import embedding_map, port_parity, ranking
from .resampling import bootstrap_box, learning_curve
from .results import (
    INTERVAL_LABEL,
    METRIC_NAMES,
    accuracy_by_protocol,
    confusion,
    experiment_overview,
    interval_rows,
    parity_bars,
    seed_comparison,
    threshold_curves,
    training_curves,
    trial_scores,
)
from .style import DPI, GENRE_PALETTE, STYLE, format_params, save, set_suptitle, set_title, styled

__all__ = [
    "DB_LABEL", "DB_RANGE", "DPI", "GENRE_PALETTE", "INTERVAL_LABEL", "METRIC_NAMES", "STYLE", "accuracy_by_protocol",
    "array_grid", "bootstrap_box", "excerpts", "genre_excerpts", "mistaken_excerpts",
    "box_by_genre", "clip_overview", "confusion", "embedding_map", "experiment_overview",
    "format_params", "genre_counts", "genre_examples", "image_grid", "interval_rows", "learning_curve", "parity_bars",
    "port_parity", "ranking", "save", "seed_comparison", "set_suptitle", "set_title", "styled", "threshold_curves", "training_curves",
    "trial_scores",
]
