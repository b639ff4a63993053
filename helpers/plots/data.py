"""Figures of the data. Each figure's title names its dataset (and split when there is one).

This module draws the data (clip counts, waveforms, spectrograms, images, network inputs);
the package ``helpers.plots`` re-exports every figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .style import GENRE_PALETTE, set_suptitle, set_title, styled

# helpers.inputs.spectrograms (and librosa behind it) is imported by the figures that draw
# spectrograms only, so that plotting results stays light and free of import cycles.

DB_RANGE = (-80.0, 0.0)  # log-spectrograms are dB relative to the clip's loudest bin, floored 80 dB below
DB_LABEL = "dB (0 = loudest in clip)"
LABEL_SIZE = 11.0  # row labels (genres) of genre_examples


@styled
def genre_counts(inventory: pd.DataFrame, title: str) -> matplotlib.figure.Figure:
    """Stacked bars of readable and unreadable clips per genre."""
    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    ax.bar(inventory.index, inventory["readable"], label="readable", color="tab:blue")
    ax.bar(inventory.index, inventory["unreadable"], bottom=inventory["readable"], label="unreadable", color="tab:red")
    for x, n in enumerate(inventory["clips"]):
        ax.text(x, n, str(n), ha="center", va="bottom", fontsize=9.5)
    ax.set_ylabel("clips")
    ax.set_ylim(0, max(1, inventory["clips"].max()) * 1.25)  # room for the counts and the legend
    set_title(ax, title)
    ax.legend(loc="upper center", ncol=2, frameon=False)
    ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    return fig


def _waveform(ax: plt.Axes, samples: np.ndarray, sr: int, bins: int = 2000) -> None:
    """Min/max envelope in ``bins`` time bins: fast, and faithful at any zoom-out.

    (librosa's waveshow redraws the figure on every axis change, which costs
    seconds per row in a multi-row figure.)
    """
    width = max(1, len(samples) // bins)
    usable = samples[: len(samples) // width * width].reshape(-1, width)
    times = (np.arange(len(usable)) + 0.5) * width / sr
    ax.fill_between(times, usable.min(axis=1), usable.max(axis=1), color="tab:blue", linewidth=0)
    ax.set_xlim(0, len(samples) / sr)
    peak = float(np.max(np.abs(samples))) or 1.0
    ax.set_ylim(-1.05 * peak, 1.05 * peak)
    ax.set_xlabel("time (s)")


def _db_colorbar(image, cax: plt.Axes, ticks: Sequence[float] = (-80, -60, -40, -20, 0)) -> None:
    colorbar = cax.figure.colorbar(image, cax=cax, ticks=list(ticks))
    colorbar.set_label(DB_LABEL)


def _mel(ax: plt.Axes, samples: np.ndarray, params, cax: plt.Axes | None = None, ticks: Sequence[float] | None = None):
    """Log-mel spectrogram of ``samples`` on ``ax`` (dB on the fixed :data:`DB_RANGE`), its colour bar in ``cax``."""
    import librosa.display

    from ..inputs.spectrograms import log_mel

    image = librosa.display.specshow(
        log_mel(samples, params), sr=params.sample_rate, hop_length=params.hop_length,
        x_axis="time", y_axis="mel", fmax=params.fmax, ax=ax, cmap="magma", vmin=DB_RANGE[0], vmax=DB_RANGE[1],
    )
    if cax is not None:
        _db_colorbar(image, cax, **({"ticks": ticks} if ticks is not None else {}))
    ax.set_xlabel("time (s)")
    return image


@styled
def clip_overview(samples: np.ndarray, sr: int, title: str, params=None) -> matplotlib.figure.Figure:
    """Waveform, linear-frequency STFT and log-mel spectrogram of one clip, each spectrogram with its dB colour
    bar (``params``: a ``spectrograms.MelParams``, default settings when ``None``)."""
    import librosa
    import librosa.display

    from ..inputs.spectrograms import MelParams

    params = MelParams() if params is None else params
    fig = plt.figure(figsize=(10, 8.5))
    grid = fig.add_gridspec(3, 2, width_ratios=[1, 0.022])
    wave = fig.add_subplot(grid[0, 0])
    stft_ax = fig.add_subplot(grid[1, 0], sharex=wave)
    mel_ax = fig.add_subplot(grid[2, 0], sharex=wave)
    _waveform(wave, samples, sr)
    set_title(wave, "waveform")
    stft_db = librosa.amplitude_to_db(np.abs(librosa.stft(samples, n_fft=params.n_fft, hop_length=params.hop_length)), ref=np.max)
    image = librosa.display.specshow(stft_db, sr=sr, hop_length=params.hop_length, x_axis="time", y_axis="linear", ax=stft_ax,
                                     cmap="magma", vmin=DB_RANGE[0], vmax=DB_RANGE[1])
    set_title(stft_ax, f"STFT magnitude (n_fft={params.n_fft}, hop={params.hop_length})")
    _db_colorbar(image, fig.add_subplot(grid[1, 1]))
    _mel(mel_ax, samples, params, cax=fig.add_subplot(grid[2, 1]))
    set_title(mel_ax, f"log-mel spectrogram ({params.n_mels} bands, fmax {params.fmax:g} Hz)")
    for ax in (wave, stft_ax):
        ax.set_xlabel("")
        ax.tick_params(labelbottom=False)
    set_suptitle(fig, title)
    fig.tight_layout()
    return fig


@styled
def genre_examples(examples: Sequence[tuple[str, np.ndarray]], sr: int, title: str, params=None) -> matplotlib.figure.Figure:
    """One row per (label, samples): waveform on the left, log-mel with its dB colour bar on the right
    (``params`` as in :func:`clip_overview`; every row on the same dB scale)."""
    from ..inputs.spectrograms import MelParams

    params = MelParams() if params is None else params
    rows = len(examples)
    fig, axes = plt.subplots(rows, 2, figsize=(11, 1.9 * rows + 0.9), squeeze=False, layout="constrained")
    for row, (label, samples) in enumerate(examples):
        _waveform(axes[row, 0], samples, sr)
        image = _mel(axes[row, 1], samples, params)
        colorbar = fig.colorbar(image, ax=axes[row, 1], ticks=[-80, -40, 0], pad=0.015, aspect=12)
        colorbar.set_label("dB")
        axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=LABEL_SIZE)
        axes[row, 1].set_ylabel("")
        if row < rows - 1:
            for ax in axes[row]:
                ax.set_xlabel("")
    set_title(axes[0, 0], "waveform")
    set_title(axes[0, 1], f"log-mel spectrogram, {DB_LABEL}")
    set_suptitle(fig, title)
    return fig


@styled
def box_by_genre(table: pd.DataFrame, column: str, title: str, ylabel: str) -> matplotlib.figure.Figure:
    """Box plot of ``column`` per genre (genres in alphabetical order), with the clip count in each label."""
    import seaborn as sns

    order = sorted(table["genre"].unique())
    counts = table.groupby("genre")[column].count()
    fig, ax = plt.subplots(figsize=(max(9.5, 0.95 * len(order)), 4.4))
    sns.boxplot(data=table, x="genre", y=column, hue="genre", order=order, hue_order=order, palette=GENRE_PALETTE, legend=False, ax=ax)
    ax.set_xticks(range(len(order)), [f"{g}\n(n={counts.get(g, 0)})" for g in order])
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    set_title(ax, title)
    fig.tight_layout()
    return fig


@styled
def image_grid(paths: Sequence[str | Path], labels: Sequence[str], title: str, columns: int = 5) -> matplotlib.figure.Figure:
    """Show image files in a grid, each titled by its label; grayscale images are drawn in gray.

    Spectrogram PNGs hold each clip's dB values scaled to 0-255 (quietest to loudest), not dB,
    so they get no dB colour bar.
    """
    from PIL import Image

    rows = int(np.ceil(len(paths) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.4 * rows + 0.7), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, path, label in zip(axes.flat, paths, labels):
        image = Image.open(path)
        ax.imshow(np.asarray(image), cmap="gray" if image.mode == "L" else None, vmin=0, vmax=255, aspect="auto")
        ax.set_title(label, fontsize=11)
    set_suptitle(fig, title)
    fig.tight_layout()
    return fig


@styled
def array_grid(arrays: np.ndarray, labels: Sequence[str], title: str, columns: int = 5,
               low_first: bool = False) -> matplotlib.figure.Figure:
    """Show network inputs ``(n, height, width, channels)`` in [0, 1]; ``low_first``: row 0 is the lowest
    frequency (log-mel arrays), drawn at the bottom (PNG images are stored flipped already)."""
    rows = int(np.ceil(len(arrays) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.2 * rows + 0.7), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, array, label in zip(axes.flat, arrays, labels):
        ax.imshow(array[..., 0] if array.shape[-1] == 1 else array, cmap="gray", vmin=0, vmax=1, aspect="auto",
                  origin="lower" if low_first else "upper")
        ax.set_title(label, fontsize=11)
    set_suptitle(fig, title)
    fig.tight_layout()
    return fig
