"""Every figure style in one place. Each figure's title names its dataset (and split when there is one).

Figures are saved as compact PNGs under the run's ``figures/`` folder by
:func:`save` and shown inline by the notebook.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .spectrograms import MelParams, log_mel

GENRE_PALETTE = "tab10"
DPI = 90  # saved figures
plt.rcParams["figure.dpi"] = 80  # inline figures: keeps rendered notebooks small


def save(fig: matplotlib.figure.Figure, folder: str | Path, name: str) -> Path:
    """Save ``fig`` as ``folder/name.png`` (compact, so rendered notebooks stay small)."""
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return path


def genre_counts(inventory: pd.DataFrame, title: str) -> matplotlib.figure.Figure:
    """Stacked bars of readable and unreadable clips per genre."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.bar(inventory.index, inventory["readable"], label="readable", color="tab:blue")
    ax.bar(inventory.index, inventory["unreadable"], bottom=inventory["readable"], label="unreadable", color="tab:red")
    for x, n in enumerate(inventory["clips"]):
        ax.text(x, n, str(n), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("clips")
    ax.set_ylim(0, max(1, inventory["clips"].max()) * 1.25)  # room for the counts and the legend
    ax.set_title(title)
    ax.legend(loc="upper center", fontsize=8, ncol=2, frameon=False)
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


def _mel(ax: plt.Axes, samples: np.ndarray, params: MelParams, colorbar: bool = False) -> None:
    import librosa.display

    image = librosa.display.specshow(
        log_mel(samples, params), sr=params.sample_rate, hop_length=params.hop_length,
        x_axis="time", y_axis="mel", fmax=params.fmax, ax=ax, cmap="magma",
    )
    if colorbar:
        plt.colorbar(image, ax=ax, format="%+2.0f dB")
    ax.set_xlabel("time (s)")


def clip_overview(samples: np.ndarray, sr: int, title: str, params: MelParams = MelParams()) -> matplotlib.figure.Figure:
    """Waveform, linear-frequency STFT and log-mel spectrogram of one clip."""
    import librosa
    import librosa.display

    fig, axes = plt.subplots(3, 1, figsize=(9, 7.5), sharex=True)
    _waveform(axes[0], samples, sr)
    axes[0].set_title("waveform")
    stft_db = librosa.amplitude_to_db(np.abs(librosa.stft(samples, n_fft=params.n_fft, hop_length=params.hop_length)), ref=np.max)
    librosa.display.specshow(stft_db, sr=sr, hop_length=params.hop_length, x_axis="time", y_axis="linear", ax=axes[1], cmap="magma")
    axes[1].set_title(f"STFT magnitude (n_fft={params.n_fft}, hop={params.hop_length})")
    axes[0].set_xlabel("")
    axes[1].set_xlabel("")
    _mel(axes[2], samples, params)
    axes[2].set_title(f"log-mel spectrogram ({params.n_mels} bands, fmax {params.fmax:g} Hz)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def genre_examples(examples: Sequence[tuple[str, np.ndarray]], sr: int, title: str, params: MelParams = MelParams()) -> matplotlib.figure.Figure:
    """One row per (label, samples): waveform on the left, log-mel on the right."""
    fig, axes = plt.subplots(len(examples), 2, figsize=(10, 1.6 * len(examples) + 0.6), squeeze=False)
    for row, (label, samples) in enumerate(examples):
        _waveform(axes[row, 0], samples, sr)
        _mel(axes[row, 1], samples, params)
        axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=10)
        axes[row, 1].set_ylabel("")
        for ax in axes[row]:
            if row < len(examples) - 1:
                ax.set_xlabel("")
            ax.tick_params(labelsize=7)
    axes[0, 0].set_title("waveform")
    axes[0, 1].set_title("log-mel spectrogram")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def box_by_genre(table: pd.DataFrame, column: str, title: str, ylabel: str) -> matplotlib.figure.Figure:
    """Box plot of ``column`` per genre (genres in alphabetical order), with the clip count in each label."""
    import seaborn as sns

    order = sorted(table["genre"].unique())
    counts = table.groupby("genre")[column].count()
    fig, ax = plt.subplots(figsize=(9, 3.8))
    sns.boxplot(data=table, x="genre", y=column, hue="genre", order=order, hue_order=order, palette=GENRE_PALETTE, legend=False, ax=ax)
    ax.set_xticks(range(len(order)), [f"{g}\n(n={counts.get(g, 0)})" for g in order], fontsize=8)
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def image_grid(paths: Sequence[str | Path], labels: Sequence[str], title: str, columns: int = 5) -> matplotlib.figure.Figure:
    """Show image files in a grid, each titled by its label; grayscale images are drawn in gray."""
    from PIL import Image

    rows = int(np.ceil(len(paths) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(2.0 * columns, 2.2 * rows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, path, label in zip(axes.flat, paths, labels):
        image = Image.open(path)
        ax.imshow(np.asarray(image), cmap="gray" if image.mode == "L" else None, vmin=0, vmax=255, aspect="auto")
        ax.set_title(label, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
