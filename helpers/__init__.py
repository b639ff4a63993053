"""Music genre classification helpers: every piece of logic the notebooks run, in layers.

The notebooks under ``notebooks/`` are the narrative; each cell calls one function of this package,
so that it is tested once and shared. Subpackages, top down (a module imports only its own
layer and those below it; ``tests/test_project.py`` checks it, and that the package has no import cycle)::

    studies/   one module per notebook: what that notebook runs
    models/    model zoo from parameters, fitting, transfer networks, musicnn port, heads, tuning, artifacts
    results/   records, metrics, tables, generated readings, seed-report numbers
    plots/     every figure and the shared style
    inputs/    features, spectrograms and PNGs, network inputs, one-pass representations, augmentation
    data/      dataset registry (one module per dataset), decoding, downloads, synthetic set, splits, cache

Top level: ``runtime`` and ``cli`` (what every layer needs: folders, progress bars, versions, seeds;
one-line errors), ``config`` (profiles, dataset resolution, output folders: a notebook's first cell),
``colab`` (the Colab badge and set-up cell) and ``predict`` (what a user calls on their own music);
``library/`` runs ``predict``'s models over a whole music library (a Parquet catalogue, Dask, organising).
Each subpackage's ``__init__`` says what it owns and what it may import.
"""

import warnings

from . import runtime as _runtime

__version__ = "0.2.0"

# Before anything imports TensorFlow (helpers, keras or keras_tuner): no start-up notices,
# retracing warnings or Keras input_shape advice in notebook outputs (see runtime).
_runtime.install_quiet_tensorflow()

# pooch (a librosa dependency) imports tqdm.auto, which warns in notebooks without
# ipywidgets; our progress bars are plain text on purpose (see runtime.progress).
warnings.filterwarnings("ignore", message="IProgress not found")
