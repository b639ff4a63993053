"""Music genre classification helpers: one module per pipeline stage.

The notebooks under ``notebooks/`` are the narrative; every piece of logic they
run lives here so that it is tested once and shared.

Layers, bottom up (no module imports one above it; ``tests/test_project.py`` checks
that the package has no import cycle):

* ``runtime`` (folders, progress bars, library versions), ``cli`` (one-line errors),
  ``cache`` (content-keyed, atomic cache entries), ``audio`` (decoding), ``download``
  (resumable, checksummed downloads), ``metrics`` (the three test metrics and their
  bootstrap), ``records`` (rules that read a results record: failed runs, protocol names);
* ``datasets`` (the registry: GTZAN, FMA-small, the synthetic default, genre folders;
  the tracks table), ``synth`` (the synthetic music), ``data`` (inventories, checks,
  downloads on the command line), ``splits`` (random, k-fold, fixed);
* ``representations`` (one decode per clip for every per-clip representation),
  ``features`` (the Kaggle 57-feature set), ``spectrograms`` (mel images),
  ``network_inputs`` (image stacks and log-mel segment arrays), ``augment``;
* ``models``, ``training`` (tabular protocols and studies), ``network_splits`` (per-track
  splits, baselines and the equal-size control of the networks), ``networks`` (Keras
  fitting), ``tuning`` (keras-tuner), ``artifacts`` (saved models), ``evaluate``
  (results records and their tables), ``seed_reports`` (the seed reports' numbers, cited),
  ``report`` (Markdown readings from records; the README results section), ``readings``
  (conclusions from tables that are not records), ``plots`` (figures of the data;
  ``plots_results``: figures of results; ``plots_pretrained``: notebook 05's; ``plots_style``:
  the shared look), ``pretrained_port`` (the musicnn checkpoints as Keras models),
  ``pretrained`` (their outputs per clip, cached; the parity check), ``predict``,
  ``transfer`` (classifiers on pretrained embeddings), ``heads`` (a head on a frozen
  checkpoint, fine-tuning, the default model), ``transfer_nets`` (ImageNet, from-scratch and
  music-pretrained networks built from parameters; where their weights come from),
  ``transfer_study`` (notebook 06's runs on shared per-track splits), ``multigenre`` (several
  genres per song: two-genre items, sigmoid heads, thresholds chosen on validation);
* ``config`` (profiles, dataset resolution, output folders: a notebook's first cell),
  ``colab`` (the Colab badge and set-up cell of every notebook).
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
