"""Training-time augmentation of spectrogram images, as Keras preprocessing layers.

The main seed report augmented its PNGs with Keras' ``ImageDataGenerator``
(now deprecated). Here the same idea uses preprocessing layers inside the
``tf.data`` pipeline of the *training* set only (see
``helpers.networks.network_dataset``); validation and test images are never
altered.

A spectrogram is not a photograph: a horizontal flip plays the music backwards
and a vertical flip or rotation swaps bass and treble. The defaults therefore
only shift in time (a different start of the excerpt) and zoom slightly;
``freq_shift`` (a pitch shift, in image terms) is available but off.
"""

from __future__ import annotations

from typing import Any

from .runtime import quiet_tensorflow

# Fractions of the image size.
AUGMENT: dict[str, float] = dict(time_shift=0.1, freq_shift=0.0, zoom=0.05)


def spectrogram_augmenter(time_shift: float = 0.1, freq_shift: float = 0.0, zoom: float = 0.0, seed: int = 42) -> Any:
    """A ``keras.Sequential`` of random translation/zoom layers, or ``None`` when every setting is 0.

    Images are ``(frequency, time, channels)``: ``time_shift`` moves along the
    width, ``freq_shift`` along the height; uncovered pixels are filled with 0
    (silence in a min-max normalised spectrogram).
    """
    quiet_tensorflow()
    import keras

    for name, value in (("time_shift", time_shift), ("freq_shift", freq_shift), ("zoom", zoom)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be a fraction in [0, 1), got {value}")
    layers = []
    if time_shift or freq_shift:
        layers.append(keras.layers.RandomTranslation(freq_shift, time_shift, fill_mode="constant", fill_value=0.0, seed=seed))
    if zoom:
        layers.append(keras.layers.RandomZoom(zoom, fill_mode="constant", fill_value=0.0, seed=seed + 1))
    return keras.Sequential(layers, name="augment") if layers else None
