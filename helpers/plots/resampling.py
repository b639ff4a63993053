"""Figures of resampling studies: scores over retrained models (bootstrap) and over training-set sizes.

Re-exported by :mod:`helpers.plots` (``plots.bootstrap_box``, ``plots.learning_curve``).
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .results import INTERVAL_LABEL
from .style import data_limits, set_title, styled


@styled
def bootstrap_box(study: pd.DataFrame, title: str) -> matplotlib.figure.Figure:
    """Box plots of accuracy and macro F1 over retrained models (the axis fitted to the scores)."""
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    ax.boxplot([study["accuracy"], study["macro_f1"]], tick_labels=["accuracy", "macro F1"], widths=0.5)
    for i, column in enumerate(("accuracy", "macro_f1"), start=1):
        jitter = np.random.default_rng(0).normal(i, 0.04, len(study))
        ax.scatter(jitter, study[column], s=8, alpha=0.4, color="tab:blue")
    ax.set_ylim(*data_limits(np.concatenate([study["accuracy"], study["macro_f1"]])))
    ax.set_ylabel(f"test score ({len(study)} refits)")
    set_title(ax, title)
    fig.tight_layout()
    return fig


@styled
def learning_curve(curve: pd.DataFrame, title: str) -> matplotlib.figure.Figure:
    """Mean test accuracy against training-set size (``helpers.models.training.training_size_curve``): the band is the
    95 % bootstrap interval over test clips, the error bars the range over the training subsets of each size."""
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    x = curve["train_size"]
    ax.fill_between(x, curve["ci_low"], curve["ci_high"], alpha=0.25, color="tab:blue", linewidth=0, label=INTERVAL_LABEL)
    ax.plot(x, curve["accuracy"], marker="o", color="tab:blue", label="test accuracy (mean over subsets)")
    shown = [curve["ci_low"], curve["ci_high"], curve["accuracy"]]
    if {"subset_min", "subset_max"} <= set(curve.columns):
        fits = curve["fits"] if "fits" in curve.columns else pd.Series(2, index=curve.index)
        several = fits > 1
        counts = sorted({int(n) for n in fits[several]})
        if counts:
            n = str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
            ax.errorbar(x[several], curve["accuracy"][several],
                        yerr=[curve["accuracy"][several] - curve["subset_min"][several],
                              curve["subset_max"][several] - curve["accuracy"][several]],
                        fmt="none", ecolor="black", capsize=4, label=f"range over {n} training subsets")
            shown += [curve["subset_min"], curve["subset_max"]]
    ax.set_ylim(*data_limits(np.concatenate([np.asarray(s, float) for s in shown])))
    ax.set_xlabel("training clips")
    ax.set_ylabel("test accuracy")
    ax.legend(loc="best")
    set_title(ax, title)
    fig.tight_layout()
    return fig
