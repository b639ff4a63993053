import numpy as np
import pytest

from helpers import augment


def test_no_augmentation_when_every_setting_is_zero_and_fractions_are_checked():
    assert augment.spectrogram_augmenter(0.0, 0.0, 0.0) is None
    with pytest.raises(ValueError, match="time_shift must be a fraction"):
        augment.spectrogram_augmenter(time_shift=1.5)


def test_augmenter_keeps_shape_changes_training_batches_only_and_is_seeded():
    images = np.random.default_rng(0).random((4, 16, 32, 1), dtype=np.float32)
    layer = augment.spectrogram_augmenter(**augment.AUGMENT, seed=3)
    shifted = np.asarray(layer(images, training=True))
    assert shifted.shape == images.shape and not np.allclose(shifted, images)
    assert np.allclose(np.asarray(layer(images, training=False)), images)
    again = np.asarray(augment.spectrogram_augmenter(**augment.AUGMENT, seed=3)(images, training=True))
    assert np.allclose(again, shifted)


def test_time_shift_only_moves_along_time():
    # A constant value per frequency row: a shift in time (zero fill) scales every row by the
    # same per-column factor; a shift in frequency would mix rows.
    rows = np.linspace(0.1, 1.0, 16, dtype=np.float32)
    images = np.repeat(rows[None, :, None, None], 32, axis=2)  # (1, 16 freq, 32 time, 1)
    out = np.asarray(augment.spectrogram_augmenter(time_shift=0.2, seed=1)(images, training=True))[0, :, :, 0]
    factors = out / rows[:, None]
    assert np.allclose(factors, factors[0], atol=1e-5) and (factors[0] < 0.5).any()
