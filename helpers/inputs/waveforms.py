"""Input steps on the raw waveform, for networks that read samples rather than a spectrogram.

wav2vec 2.0 and HuBERT (``helpers.models.wav2vec2``) read 16-kHz samples as their
``transformers`` feature extractor hands them over: for wav2vec2-base, each clip
normalised to zero mean and unit variance (``Wav2Vec2FeatureExtractor`` with
``do_normalize``). That step belongs to the input, not to the model, so a model's
reference outputs are computed on the values the model itself receives.
"""

from __future__ import annotations

import numpy as np

# Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm adds it to the variance, so a silent clip stays zeros
VARIANCE_EPSILON = 1e-7


def zero_mean_unit_variance(samples: np.ndarray) -> np.ndarray:
    """One clip's samples minus their mean, divided by ``sqrt(variance + 1e-7)``, as float32: what
    ``Wav2Vec2FeatureExtractor(do_normalize=True)`` does to an unpadded clip. The statistics are taken in float64,
    so a long clip's sums lose nothing."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 1 or not samples.size:
        raise ValueError(f"expected the samples of one mono clip (1-D, not empty), got shape {samples.shape}")
    centred = samples - samples.mean()
    return (centred / np.sqrt(centred.var() + VARIANCE_EPSILON)).astype(np.float32)
