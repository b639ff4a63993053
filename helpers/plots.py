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

# helpers.spectrograms (and librosa behind it) is imported by the figures that draw
# spectrograms only, so that plotting results stays light and free of import cycles.

GENRE_PALETTE = "tab10"
DPI = 90  # saved figures
plt.rcParams["figure.dpi"] = 80  # inline figures: keeps rendered notebooks small


def save(fig: matplotlib.figure.Figure, folder: str | Path, name: str) -> None:
    """Save ``fig`` as ``folder/name.png`` (compact, so rendered notebooks stay small).

    Returns nothing on purpose: a notebook cell ending in this call would otherwise echo
    the file's absolute path, which means nothing on another machine.
    """
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")


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


def _mel(ax: plt.Axes, samples: np.ndarray, params, colorbar: bool = False) -> None:
    import librosa.display

    from .spectrograms import log_mel

    image = librosa.display.specshow(
        log_mel(samples, params), sr=params.sample_rate, hop_length=params.hop_length,
        x_axis="time", y_axis="mel", fmax=params.fmax, ax=ax, cmap="magma",
    )
    if colorbar:
        plt.colorbar(image, ax=ax, format="%+2.0f dB")
    ax.set_xlabel("time (s)")


def clip_overview(samples: np.ndarray, sr: int, title: str, params=None) -> matplotlib.figure.Figure:
    """Waveform, linear-frequency STFT and log-mel spectrogram of one clip (``params``: a
    ``spectrograms.MelParams``, default settings when ``None``)."""
    import librosa
    import librosa.display

    from .spectrograms import MelParams

    params = MelParams() if params is None else params
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


def genre_examples(examples: Sequence[tuple[str, np.ndarray]], sr: int, title: str, params=None) -> matplotlib.figure.Figure:
    """One row per (label, samples): waveform on the left, log-mel on the right (``params`` as in :func:`clip_overview`)."""
    from .spectrograms import MelParams

    params = MelParams() if params is None else params
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


def confusion(record: dict, title: str | None = None, normalize: bool = True) -> matplotlib.figure.Figure:
    """Confusion matrix of a results record (rows: true genre; normalised per row by default)."""
    import seaborn as sns

    labels = record["confusion"]["labels"]
    matrix = np.array(record["confusion"]["matrix"], dtype=float)
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalize else matrix
    fig, ax = plt.subplots(figsize=(6.4, 5.4))
    sns.heatmap(shown, annot=matrix.astype(int), fmt="d", cmap="Blues", vmin=0, vmax=1 if normalize else None,
                xticklabels=labels, yticklabels=labels, cbar_kws={"label": "share of the true genre" if normalize else "clips"}, ax=ax)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    accuracy = record["metrics"]["accuracy"]
    ax.set_title(title or f"{record['dataset']}, {record['protocol']}: {record['model']} "
                 f"(accuracy {accuracy['value']:.3f}, n={record['sizes']['test']})", fontsize=10)
    fig.tight_layout()
    return fig


def accuracy_by_protocol(records: Sequence[dict], title: str, metric: str = "accuracy") -> matplotlib.figure.Figure:
    """Grouped bars: one group per model, one bar per protocol, with 95 % bootstrap intervals."""
    models = list(dict.fromkeys(r["model"] for r in records))
    protocols = list(dict.fromkeys(r["protocol"] for r in records))
    width = 0.8 / max(1, len(protocols))
    fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(models)), 3.8))
    for p, protocol in enumerate(protocols):
        labelled = False  # one legend entry per protocol, whichever model has it first
        for m, model in enumerate(models):
            match = [r for r in records if r["model"] == model and r["protocol"] == protocol]
            if not match:
                continue
            value = match[0]["metrics"][metric]
            x = m + (p - (len(protocols) - 1) / 2) * width
            ax.bar(x, value["value"], width, color=plt.get_cmap("tab10")(p), label=None if labelled else protocol)
            labelled = True
            ax.errorbar(x, value["value"], yerr=[[value["value"] - value["ci_low"]], [value["ci_high"] - value["value"]]],
                        color="black", capsize=3)
    ax.set_xticks(range(len(models)), models, rotation=20)
    ax.set_ylabel(f"test {metric.replace('_', ' ')}")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, loc="upper left", ncol=len(protocols))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def bootstrap_box(study: pd.DataFrame, title: str) -> matplotlib.figure.Figure:
    """Box plots of accuracy and macro F1 over retrained models."""
    fig, ax = plt.subplots(figsize=(5, 3.8))
    ax.boxplot([study["accuracy"], study["macro_f1"]], tick_labels=["accuracy", "macro F1"], widths=0.5)
    for i, column in enumerate(("accuracy", "macro_f1"), start=1):
        jitter = np.random.default_rng(0).normal(i, 0.04, len(study))
        ax.scatter(jitter, study[column], s=8, alpha=0.4, color="tab:blue")
    ax.set_ylabel("test score")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def learning_curve(curve: pd.DataFrame, title: str) -> matplotlib.figure.Figure:
    """Test accuracy against training-set size with its interval."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.plot(curve["train_size"], curve["accuracy"], marker="o")
    ax.fill_between(curve["train_size"], curve["ci_low"], curve["ci_high"], alpha=0.25, label="95% interval")
    ax.set_xlabel("training clips")
    ax.set_ylabel("test accuracy")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def parity_bars(table: pd.DataFrame, title: str, threshold: float = 0.02) -> matplotlib.figure.Figure:
    """Per feature, median |ours - reference| in units of the feature's std, with the target line."""
    column = "median |deviation| / std"
    fig, ax = plt.subplots(figsize=(12, 3.6))
    ax.bar(range(len(table)), table[column], color="tab:blue")
    ax.axhline(threshold, color="tab:red", linestyle="--", label=f"target {threshold:.0%} of std")
    ax.set_xticks(range(len(table)), table.index, rotation=90, fontsize=7)
    ax.set_ylabel("median |dev.| / std")
    ax.set_yscale("symlog", linthresh=1e-4)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def training_curves(histories: dict[str, pd.DataFrame], title: str) -> matplotlib.figure.Figure:
    """Accuracy and loss per epoch (training solid, validation dashed) for one or more fits; a dot marks
    the epoch whose weights were kept (lowest validation loss)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    for i, (label, history) in enumerate(histories.items()):
        color = plt.get_cmap("tab10")(i)
        best = history["val_loss"].idxmin()
        for ax, metric in zip(axes, ("accuracy", "loss")):
            ax.plot(history.index, history[metric], color=color, label=f"{label} train")
            ax.plot(history.index, history[f"val_{metric}"], color=color, linestyle="--", label=f"{label} valid")
            ax.plot([best], [history.loc[best, f"val_{metric}"]], "o", color=color)
    for ax, metric in zip(axes, ("accuracy", "loss")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def trial_scores(trials: pd.DataFrame, title: str, top: int = 30) -> matplotlib.figure.Figure:
    """Best validation accuracy of each tuner trial (best first), labelled by its parameters."""
    shown = trials.head(top)
    parameters = [c for c in shown.columns if c not in ("trial", "val_accuracy", "best_epoch", "status")]
    labels = [", ".join(f"{c}={row[c]}" for c in parameters) for _, row in shown.iterrows()]
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * len(shown) + 1.2))
    ax.barh(range(len(shown)), shown["val_accuracy"], color="tab:blue")
    ax.set_yticks(range(len(shown)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("best validation accuracy")
    ax.set_xlim(0, 1)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def array_grid(arrays: np.ndarray, labels: Sequence[str], title: str, columns: int = 5,
               low_first: bool = False) -> matplotlib.figure.Figure:
    """Show network inputs ``(n, height, width, channels)`` in [0, 1]; ``low_first``: row 0 is the lowest
    frequency (log-mel arrays), drawn at the bottom (PNG images are stored flipped already)."""
    rows = int(np.ceil(len(arrays) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(2.0 * columns, 2.0 * rows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, array, label in zip(axes.flat, arrays, labels):
        ax.imshow(array[..., 0] if array.shape[-1] == 1 else array, cmap="gray", vmin=0, vmax=1, aspect="auto",
                  origin="lower" if low_first else "upper")
        ax.set_title(label, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
