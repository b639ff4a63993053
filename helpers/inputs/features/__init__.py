"""The Kaggle GTZAN feature set (57 descriptors), computed fast, faithfully and with a cache.

Per clip (or per segment): mean and variance of chroma_stft, rms, spectral
centroid, bandwidth, rolloff, zero-crossing rate, the harmonic and percussive
waveforms (HPSS), the tempo, and mean and variance of MFCC 1-20, in the column
order of ``features_30_sec.csv`` (``filename, length, ..., label``).

How it stays faithful and gets fast (:func:`clip_features`):

* one STFT per clip (n_fft 2048, hop 512) feeds chroma, centroid, bandwidth,
  rolloff, the mel spectrogram (MFCC and tempo) and the HPSS, instead of one
  STFT per librosa call;
* HPSS uses librosa's masks on that STFT, with the two median filters (31 bins
  along time, 31 along frequency) run as SciPy's fast 1-D median row by row
  instead of one 2-D ``scipy.ndimage.median_filter`` call: the same numbers,
  about ten times faster;
* the tempo is librosa's estimate from the median-aggregated onset envelope,
  which is what ``librosa.beat.beat_track`` (used for the Kaggle CSV) reports,
  without running the beat tracker itself.

:func:`clip_features_reference` is the straightforward version (one librosa call
per feature); tests and ``benchmarks/features_speed.py`` compare the two. A clip
or segment shorter than ``n_fft`` samples gives no row and is listed as too short.

Modules: ``hpss`` (median filters, masks), ``clip`` (one signal: parameters,
columns, features, frame sequences), ``extract`` (many clips, cached, one decode
per clip through ``helpers.inputs.representations``), ``compare`` (parity with the Kaggle
CSV, exploratory descriptors), ``command`` (the command line)::

    python -m helpers.inputs.features extract DIR --out FILE.csv [--segment-seconds S] [--jobs N] [--no-cache]
    python -m helpers.inputs.features parity DIR [--csv features_30_sec.csv] [--formats flac,wav,au]
    python -m helpers.inputs.features eda DIR --out FILE.csv
"""

from .clip import (
    FEATURE_COLUMNS,
    KAGGLE_COLUMNS,
    SEQUENCE_FEATURES,
    FeatureParams,
    clip_features,
    clip_features_reference,
    feature_columns,
    frame_sequence,
    pieces,
    sequence_steps,
)
from .command import main
from .compare import EDA_COLUMNS, EdaTable, Parity, compare_with_reference, eda_table, eta_squared, parity
from .extract import FeatureRows, FeatureTable, FrameSequences, FrameSequenceSet, extract, sequences, to_kaggle_csv, unreadable
from .hpss import hpss_from_stft, hpss_masks, median_filter_freq, median_filter_time

__all__ = [
    "EDA_COLUMNS", "FEATURE_COLUMNS", "KAGGLE_COLUMNS", "SEQUENCE_FEATURES",
    "EdaTable", "FeatureParams", "FeatureRows", "FeatureTable", "FrameSequenceSet", "FrameSequences", "Parity",
    "clip_features", "clip_features_reference", "compare_with_reference", "eda_table", "eta_squared", "extract",
    "feature_columns", "frame_sequence", "hpss_from_stft", "hpss_masks", "main", "median_filter_freq",
    "median_filter_time", "parity", "pieces", "sequence_steps", "sequences", "to_kaggle_csv",
    "unreadable",
]
