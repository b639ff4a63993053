"""Figures of the pretrained-network notebook: port parity, a ranking with intervals, a 2-D map of embeddings."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .style import GENRE_PALETTE, set_suptitle, set_title, styled

EXPERIMENT_COLORS = {"features_ml": "#4c72b0", "cnn_gridsearch": "#dd8452", "pretrained_music": "#55a868"}


@styled
def port_parity(table: pd.DataFrame, title: str, clip_bound: float = 0.02, frame_bound: float = 0.1) -> matplotlib.figure.Figure:
    """Per clip, the port's largest difference from the reference (clip-mean taggram, and any window),
    lossless and lossy files apart, on a log scale with the bounds drawn."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    kinds = [("lossless", True, "#4c72b0"), ("lossy", False, "#c44e52")]
    for ax, column, bound, label in ((axes[0], "clip_mean_error", clip_bound, "clip-mean taggram"),
                                     (axes[1], "frame_error", frame_bound, "any window")):
        for y, (name, lossless, color) in enumerate(kinds):
            values = table.loc[table["lossless"] == lossless, column].to_numpy()
            if len(values) == 0:
                continue
            jitter = np.random.default_rng(0).uniform(-0.25, 0.25, len(values))
            ax.scatter(np.maximum(values, 1e-6), y + jitter, s=12, color=color, alpha=0.6,
                       label=f"{name} ({len(values)} clips, {int((values <= bound).sum())} within {bound:g})")
        ax.axvline(bound, color="black", linestyle="--", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlabel(f"largest absolute difference over the 50 tags ({label})")
        ax.legend(loc="upper left", fontsize=8)
    axes[0].set_yticks([0, 1], [k[0] for k in kinds])
    set_suptitle(fig, title)
    fig.tight_layout()
    return fig


@styled
def ranking(records: Sequence[dict], title: str, metric: str = "accuracy") -> matplotlib.figure.Figure:
    """One bar per record, best first, with its 95 % interval; colour = experiment, label = model, dataset, test size."""
    chosen = sorted(records, key=lambda r: r["metrics"][metric]["value"])
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(chosen) + 1.5))
    for i, record in enumerate(chosen):
        value = record["metrics"][metric]
        color = EXPERIMENT_COLORS.get(record["experiment"], "#8c8c8c")
        failed = bool(str(record.get("failure") or "").strip())
        ax.barh(i, value["value"], color=color, hatch="//" if failed else None, alpha=0.85)
        ax.errorbar(value["value"], i, xerr=[[value["value"] - value["ci_low"]], [value["ci_high"] - value["value"]]],
                    color="black", capsize=2, linewidth=1)
    ax.set_yticks(range(len(chosen)), [f"{r['model']} [{r['dataset']}, n={r['sizes']['test']}]" for r in chosen], fontsize=9)
    ax.set_xlabel(f"{metric.replace('_', ' ')} with 95 % bootstrap interval")
    ax.set_xlim(0, 1)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for e, c in EXPERIMENT_COLORS.items() if any(r["experiment"] == e for r in chosen)]
    ax.legend(handles, [e for e in EXPERIMENT_COLORS if any(r["experiment"] == e for r in chosen)], loc="lower right", fontsize=8)
    set_title(ax, title)
    fig.tight_layout()
    return fig


@styled
def embedding_map(X: np.ndarray, genres: Sequence[str], title: str, seed: int = 42) -> matplotlib.figure.Figure:
    """A t-SNE map of clip embeddings (standardised), one dot per clip coloured by its genre."""
    from sklearn.manifold import TSNE
    from sklearn.preprocessing import StandardScaler

    genres = np.asarray(genres)
    perplexity = float(min(30, max(2, (len(X) - 1) // 3)))
    points = TSNE(n_components=2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(StandardScaler().fit_transform(X))
    fig, ax = plt.subplots(figsize=(7.5, 6))
    colors = plt.get_cmap(GENRE_PALETTE)
    for i, genre in enumerate(sorted(set(genres))):
        mask = genres == genre
        ax.scatter(*points[mask].T, s=14, alpha=0.8, label=f"{genre} ({mask.sum()})", color=colors(i % colors.N))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=8, markerscale=1.5, loc="best")
    set_title(ax, title)
    fig.tight_layout()
    return fig
