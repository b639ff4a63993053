"""Median filters along time and frequency, and librosa's HPSS soft masks built from them.

The filters equal ``scipy.ndimage.median_filter(x, size=(1, width), mode="reflect")``
(and ``(width, 1)``) for any width, odd or even, which is what
``librosa.decompose.hpss`` calls. They loop SciPy's 1-D filter over the rows: SciPy
runs a 1-D median with a fast running-window algorithm, while the 2-D call with a
``(1, width)`` footprint uses its generic rank filter, about ten times slower.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage


def _check_width(width: int) -> None:
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"median filter width must be a whole number of at least 1, got {width!r}")


def _median_rows(x: np.ndarray, width: int) -> np.ndarray:
    """Median over a window of ``width`` along each row of a 2-D array, 'reflect' borders."""
    _check_width(width)
    x = np.ascontiguousarray(x)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {x.shape}")
    out = np.empty_like(x)
    for row, target in zip(x, out):
        scipy.ndimage.median_filter(row, size=width, mode="reflect", output=target)
    return out


def median_filter_time(S: np.ndarray, width: int) -> np.ndarray:
    """Median along the last axis (time) of a ``(bins, frames)`` array."""
    return _median_rows(S, width)


def median_filter_freq(S: np.ndarray, width: int) -> np.ndarray:
    """Median along the first axis (frequency) of a ``(bins, frames)`` array."""
    return _median_rows(np.asarray(S).T, width).T


def hpss_masks(magnitude: np.ndarray, kernel: int = 31) -> tuple[np.ndarray, np.ndarray]:
    """librosa.decompose.hpss's soft masks (margin 1, power 2): ``(harmonic, percussive)``.

    With margin 1 the two masks sum to one, so the percussive mask is ``1 - harmonic``.
    """
    import librosa

    harm = median_filter_time(magnitude, kernel)
    perc = median_filter_freq(magnitude, kernel)
    mask_harm = librosa.util.softmask(harm, perc, power=2.0, split_zeros=True)
    return mask_harm, 1.0 - mask_harm


def hpss_from_stft(D: np.ndarray, kernel: int = 31) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic and percussive STFTs, as ``librosa.decompose.hpss(D)`` returns them."""
    mask_harm, mask_perc = hpss_masks(np.abs(D), kernel)
    # librosa computes (|D| * mask) * phase; D * mask is the same up to float rounding.
    return D * mask_harm, D * mask_perc
