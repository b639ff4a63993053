"""Music genre classification helpers: one module per pipeline stage.

The notebooks under ``notebooks/`` are the narrative; every piece of logic they
run lives here so that it is tested once and shared.

Modules: ``config`` (profiles, dataset resolution, output folders), ``audio``
(decoding, resampling, segments), ``data`` (layouts, tracks table, check,
download, synthetic data), ``synth`` (the embedded synthetic dataset),
``splits`` (random, k-fold and fixed split lists), ``features`` (the Kaggle
57-feature set, fast and cached), ``spectrograms`` (log-mel arrays, PNGs and
network inputs), ``augment`` (training-time augmentation layers), ``models``
(every classifier and network, built from parameters), ``training`` (protocols,
studies, network fitting, the keras-tuner grid search, saved models),
``evaluate`` (metrics, intervals, results records), ``plots`` (figures) and
``predict`` (classify audio files with a saved network).
"""

import warnings

__version__ = "0.1.0"

# pooch (a librosa dependency) imports tqdm.auto, which warns in notebooks without
# ipywidgets; our progress bars are plain text on purpose (see config.progress).
warnings.filterwarnings("ignore", message="IProgress not found")

GTZAN_GENRES: tuple[str, ...] = (
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
)
