"""Figures of results: confusion matrices, scores by protocol, curves and grid searches (resampling studies:
:mod:`helpers.plots.resampling`).

Re-exported by :mod:`helpers.plots` (call them as ``plots.confusion`` and so on). Bars start
at zero, so their lengths compare honestly; points and lines get axes fitted to the data.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.container import ErrorbarContainer
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .pretrained import ranking
from .style import TITLE_PT, data_limits, format_params, protocol_label, set_suptitle, set_title, styled, tick_label

METRIC_NAMES = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "macro_f1": "macro F1"}
FAILED_COLOR = "0.85"
INTERVAL_LABEL = "95 % bootstrap interval over test clips"
FAILED_LABEL = "failed run (record's failure)"


@styled
def confusion(record: dict, title: str | None = None, normalize: bool = True) -> matplotlib.figure.Figure:
    """Confusion matrix of a results record (rows: true genre; normalised per row by default)."""
    import seaborn as sns

    labels = record["confusion"]["labels"]
    matrix = np.array(record["confusion"]["matrix"], dtype=float)
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalize else matrix
    fig, ax = plt.subplots(figsize=(6.8, 5.8))
    sns.heatmap(shown, annot=matrix.astype(int), fmt="d", cmap="Blues", vmin=0, vmax=1 if normalize else None,
                xticklabels=labels, yticklabels=labels, cbar_kws={"label": "share of the true genre" if normalize else "clips"}, ax=ax)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    accuracy = record["metrics"]["accuracy"]
    set_title(ax, title or f"{record['dataset']}, {record['protocol']}: {record['model']} "
                           f"(accuracy {accuracy['value']:.3f}, n={record['sizes']['test']})")
    fig.tight_layout()
    return fig


def _failed(record: dict) -> bool:
    """A record of a failed run: ``record["failure"]`` says why (a non-empty string)."""
    failure = record.get("failure")
    return isinstance(failure, str) and bool(failure.strip())


@styled
def accuracy_by_protocol(records: Sequence[dict], title: str, metric: str = "accuracy") -> matplotlib.figure.Figure:
    """Grouped bars: one group per model (per model and dataset when the records hold several datasets), one
    bar per protocol, with 95 % bootstrap intervals over test clips. ``metric``: accuracy, balanced_accuracy or
    macro_f1. A failed run (``record["failure"]`` set) is a hatched grey bar marked "failed": at its score
    when it has one, over the whole axis when it has none; a record without ``metric`` (written before it
    existed) is marked "no <metric>". The axis runs from 0 to 1 so that bar lengths compare honestly."""
    if metric not in METRIC_NAMES:
        raise ValueError(f"unknown metric {metric!r}; valid: {', '.join(METRIC_NAMES)}")
    several = len({r.get("dataset", "") for r in records}) > 1
    inputs = {m: {r.get("representation", "") for r in records if r["model"] == m} for m in {r["model"] for r in records}}

    def group(r: dict) -> tuple[str, str, str]:  # model, dataset where several, input where one model ran on several
        return r["model"], r.get("dataset", "") if several else "", r.get("representation", "") if len(inputs[r["model"]]) > 1 else ""

    groups = list(dict.fromkeys(group(r) for r in records))
    protocols = list(dict.fromkeys(r["protocol"] for r in records))
    width = 0.8 / max(1, len(protocols))
    fig, ax = plt.subplots(figsize=(max(7.5, 1.75 * len(groups)), 4.8), layout="constrained")
    labelled: set[str] = set()  # legend entries beyond the protocols
    for p, protocol in enumerate(protocols):
        for g, key in enumerate(groups):
            match = [r for r in records if group(r) == key and r["protocol"] == protocol]
            if not match:
                continue
            x = g + (p - (len(protocols) - 1) / 2) * width
            record, failed = match[0], _failed(match[0])
            value = record.get("metrics", {}).get(metric)
            if value is None and not failed:  # a record written before the metric existed
                ax.text(x, 0.02, f"no {METRIC_NAMES[metric]}", rotation=90, ha="center", va="bottom", color="0.35")
                continue
            color = plt.get_cmap("tab10")(p)
            if failed:  # grey, hatched in the protocol's colour
                ax.bar(x, 1.0 if value is None else value["value"], width, color=FAILED_COLOR, edgecolor=color, hatch="///",
                       linewidth=0.8)
                labelled.add(FAILED_LABEL)
                ax.text(x, 0.5 if value is None else min(0.97, value["ci_high"] + 0.02), "failed", rotation=90,
                        ha="center", va="center" if value is None else "bottom", color="0.25",
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
            else:
                ax.bar(x, value["value"], width, color=color)
            if value is not None:
                ax.errorbar(x, value["value"], yerr=[[value["value"] - value["ci_low"]], [value["ci_high"] - value["value"]]],
                            color="black", capsize=3, label=INTERVAL_LABEL)
                labelled.add(INTERVAL_LABEL)
    names = [tick_label(model) + (f"\n({dataset})" if several else "") + (f"\n{tick_label(rep)}" if rep else "")
             for model, dataset, rep in groups]
    ax.set_xticks(range(len(groups)), names)
    ax.set_ylabel(f"test {METRIC_NAMES[metric]} (axis from 0)")
    ax.set_ylim(0, 1)  # bars from 0, so that their lengths compare honestly
    handles = {protocol_label(protocol, records): Patch(color=plt.get_cmap("tab10")(p)) for p, protocol in enumerate(protocols)}
    if INTERVAL_LABEL in labelled:
        handles[INTERVAL_LABEL] = next(c for c in ax.containers if isinstance(c, ErrorbarContainer))
    if FAILED_LABEL in labelled:
        handles[FAILED_LABEL] = Patch(facecolor=FAILED_COLOR, edgecolor="0.3", hatch="///")
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=min(4, len(handles)), frameon=False)
    set_title(ax, title)
    return fig


@styled
def parity_bars(table: pd.DataFrame, title: str, threshold: float = 0.02) -> matplotlib.figure.Figure:
    """Per feature, median |ours - reference| in units of the feature's std, with the target line."""
    column = "median |deviation| / std"
    fig, ax = plt.subplots(figsize=(13, 4.2))
    ax.bar(range(len(table)), table[column], color="tab:blue")
    ax.axhline(threshold, color="tab:red", linestyle="--", label=f"target {threshold:.0%} of std")
    ax.set_xticks(range(len(table)), table.index, rotation=90)
    ax.set_xlim(-0.7, len(table) - 0.3)
    ax.set_ylabel("median |dev.| / std")
    ax.set_yscale("symlog", linthresh=1e-4)
    ax.set_ylim(0, 8 * max(threshold, float(np.nanmax(table[column], initial=0.0))))  # the target and a legend row in view
    ax.legend(loc="upper right")
    set_title(ax, title)
    fig.tight_layout()
    return fig


@styled
def training_curves(histories: dict[str, pd.DataFrame], title: str) -> matplotlib.figure.Figure:
    """Accuracy (left) and loss (right) per epoch for one or more fits, one colour per fit, training solid and
    validation dashed; a dot marks the epoch whose weights were kept (lowest validation loss). The legend names
    each fit once, below the panels, so that it never covers a curve."""
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.2))
    handles = []
    for i, (label, history) in enumerate(histories.items()):
        color = plt.get_cmap("tab10")(i)
        best = history["val_loss"].idxmin()
        for ax, metric in zip(axes, ("accuracy", "loss")):
            line, = ax.plot(history.index, history[metric], color=color)
            ax.plot(history.index, history[f"val_{metric}"], color=color, linestyle="--")
            ax.plot([best], [history.loc[best, f"val_{metric}"]], "o", color=color)
        handles.append((line, label))
    for ax, metric in zip(axes, ("accuracy", "loss")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    set_suptitle(fig, title)
    handles += [(Line2D([], [], color="0.3"), "training"), (Line2D([], [], color="0.3", linestyle="--"), "validation"),
                (Line2D([], [], color="0.3", marker="o", linestyle=""), "epoch kept")]
    columns = 3 if len(handles) > 8 else 4
    rows = -(-len(handles) // columns)
    fig.set_size_inches(11.5, 4.2 + 0.25 * rows)
    fig.legend(*zip(*handles), loc="lower center", ncol=columns, frameon=False)
    fig.tight_layout(rect=(0, 0.3 * rows / (4.2 + 0.25 * rows) + 0.02, 1, 1))
    return fig


@styled
def trial_scores(trials: pd.DataFrame, title: str, top: int = 30) -> matplotlib.figure.Figure:
    """Best validation accuracy of each tuner trial (best first), labelled by its parameters in words.

    Points, not bars, on an axis fitted to the scores: trials often differ by a few points, which a
    0-1 axis would hide. The best trial is drawn in orange; a trial without a score is marked so.
    """
    shown = trials.head(top).reset_index(drop=True)
    parameters = [c for c in shown.columns if c not in ("trial", "val_accuracy", "best_epoch", "status")]
    labels = [format_params({c: row[c] for c in parameters}) for _, row in shown.iterrows()]
    scores = pd.to_numeric(shown["val_accuracy"], errors="coerce")
    fig, ax = plt.subplots(figsize=(8.5, 0.36 * len(shown) + 1.6))
    low, high = data_limits(scores, margin=0.25)
    best = scores.idxmax() if scores.notna().any() else None
    for y, score in enumerate(scores):
        if np.isnan(score):
            ax.text(low, y, " no score", va="center", color="0.45")
            continue
        ax.hlines(y, low, score, color="0.85", linewidth=1)
        ax.plot(score, y, "o", color="tab:orange" if y == best else "tab:blue")
        ax.text(score, y, f"  {score:.3f}", va="center", fontsize=9.5)
    ax.set_yticks(range(len(shown)), labels)
    ax.set_ylim(len(shown) - 0.5, -0.5)  # best first, at the top
    ax.set_xlim(low, high + 0.12 * (high - low))  # room for the values
    ax.set_xlabel("best validation accuracy (axis fitted to the trials)")
    ax.grid(axis="x", alpha=0.3)
    set_suptitle(fig, title, size_pt=TITLE_PT)  # over the figure: the long labels push the axes right
    fig.tight_layout()
    return fig


@styled
def threshold_curves(curves: dict[str, pd.DataFrame], title: str, chosen: dict[str, float] | None = None,
                     metrics: Sequence[str] = ("exact_set_accuracy", "macro_f1"), seed_threshold: float = 0.2
                     ) -> matplotlib.figure.Figure:
    """Multi-genre scores over decision thresholds, one row per metric and one column per mode: per model the
    validation items (solid) and the test items (dashed: shown, never used to choose); a dot at the threshold
    chosen on validation (``chosen``), a grey line at the seed's threshold. ``curves``: ``{"<model> · <mode>":
    frame}`` with ``threshold``, ``part`` (valid, test) and one column per metric; ``chosen`` has the same keys."""
    modes = list(dict.fromkeys(name.rsplit(" · ", 1)[-1] for name in curves))
    models = list(dict.fromkeys(name.rsplit(" · ", 1)[0] for name in curves))
    fig, axes = plt.subplots(len(metrics), len(modes), figsize=(5.2 * len(modes), 3.4 * len(metrics)), sharex=True,
                             sharey=True, squeeze=False, layout="constrained")
    for row, metric in enumerate(metrics):
        for ax, mode in zip(axes[row], modes):
            for i, model in enumerate(models):
                frame = curves.get(f"{model} · {mode}")
                if frame is None:
                    continue
                color = plt.get_cmap("tab10")(i)
                for part, style in (("valid", "-"), ("test", "--")):
                    rows = frame[frame["part"] == part]
                    ax.plot(rows["threshold"], rows[metric], style, color=color, label=f"{model}: {part} items")
                threshold = (chosen or {}).get(f"{model} · {mode}")
                if threshold is not None:
                    rows = frame[frame["part"] == "valid"]
                    point = rows.iloc[int((rows["threshold"] - threshold).abs().argmin())]
                    ax.plot([point["threshold"]], [point[metric]], "o", color=color, markersize=7)
            ax.axvline(seed_threshold, color="0.6", linewidth=1, label=f"the seed's threshold {seed_threshold:g}")
            ax.set_ylim(0, 1)
            if row == 0:
                set_title(ax, f"{mode} items")
            if row == len(metrics) - 1:
                ax.set_xlabel("threshold (a genre is predicted at or above it)")
        axes[row][0].set_ylabel(metric.replace("_", " "))
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False, fontsize=8)
    set_suptitle(fig, title + " (dot: the threshold chosen on validation items)")
    return fig


LEGEND_INCHES = 0.35  # the strip under interval_rows' axes that holds its legend


@styled
def interval_rows(table: pd.DataFrame, title: str, xlabel: str, reference: float | None = None,
                  reference_label: str = "") -> matplotlib.figure.Figure:
    """One horizontal row per line of ``table`` (columns ``label, value, low, high, group``, optional ``note``):
    a point with its 95 % interval, coloured by ``group``, the ``note`` (sizes) at the right. ``reference``: a
    dashed vertical line (a majority baseline, a zero difference)."""
    colors = dict(zip(dict.fromkeys(table["group"]), plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    fig, ax = plt.subplots(figsize=(9.5, 1.2 + LEGEND_INCHES + 0.42 * len(table)))
    y = np.arange(len(table))[::-1]
    for row, position in zip(table.itertuples(index=False), y):
        ax.errorbar(row.value, position, xerr=[[row.value - row.low], [row.high - row.value]], fmt="o", capsize=3,
                    color=colors[row.group], label=row.group)
        if "note" in table.columns and row.note:
            ax.annotate(row.note, (1.01, position), xycoords=("axes fraction", "data"), va="center", fontsize=8.5, color="0.35")
    if reference is not None:
        ax.axvline(reference, ls="--", color="0.5", lw=1, label=reference_label or None)
    ax.set_yticks(y, table["label"])
    ax.set_xlabel(xlabel)
    low = min(table["low"].min(), reference if reference is not None else np.inf)
    high = max(table["high"].max(), reference if reference is not None else -np.inf)
    ax.set_xlim(*data_limits([low, high], floor=-1.0, ceiling=1.0))
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    # At the foot of the figure: above the axes it would cover the title (which names dataset and split).
    fig.legend(unique.values(), unique.keys(), loc="lower center", ncol=3, frameon=False, fontsize=8.5)
    set_title(ax, title)
    fig.tight_layout(rect=(0, LEGEND_INCHES / fig.get_figheight(), 1, 1))
    return fig


def experiment_overview(records: Sequence[dict], title: str, metric: str = "balanced_accuracy",
                        max_models: int = 12) -> matplotlib.figure.Figure:
    """One experiment at a glance: bars per model and protocol (:func:`accuracy_by_protocol`), or, when it has more
    than ``max_models`` models (too many bars to label), a ranking of the runs on its largest test set under its
    fixed protocol (else its first), with intervals (:func:`ranking`)."""
    if len({r["model"] for r in records}) <= max_models:
        return accuracy_by_protocol(records, title, metric=metric)
    protocols = [r["protocol"] for r in records]
    protocol = next((p for p in ("fault-filtered", "official") if p in protocols), protocols[0])  # the honest one first
    runs = [r for r in records if r["protocol"] == protocol and not r.get("extra", {}).get("baseline")]
    largest = max(r["sizes"]["test"] for r in runs)
    best = sorted((r for r in runs if r["sizes"]["test"] == largest), key=lambda r: -r["metrics"][metric]["value"])[:max_models]
    return ranking(best, f"{title}: the {len(best)} best runs under {protocol}, {largest} test clips", metric=metric)


@styled
def seed_comparison(overview: pd.DataFrame, title: str) -> matplotlib.figure.Figure:
    """One row per seed-report accuracy that has a run of ours (``helpers.results.report.seed_overview``): the
    report's number (a diamond), ours under the report's split and under the fixed split (points with their 95 %
    intervals); each label gives our test clips under both (and says when ours has uneven test genres)."""
    shown = overview[(overview["metric"] == "accuracy") & (overview["ours"].notna() | overview["fixed"].notna())]
    shown = shown.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9.5, 1.4 + LEGEND_INCHES + 0.5 * len(shown)))
    y = np.arange(len(shown))[::-1].astype(float)
    ax.scatter(shown["seed"], y, marker="D", color="0.15", zorder=3, label="seed report (its split)")
    for column, offset, name, color in (("ours", 0.17, "ours, the report's split", "C0"),
                                        ("fixed", -0.17, "ours, fault-filtered split", "C1")):
        present = shown[column].notna().to_numpy()
        values, low, high = (shown[c].to_numpy(float)[present] for c in (column, f"{column}_low", f"{column}_high"))
        ax.errorbar(values, y[present] + offset, xerr=[values - low, high - values], fmt="o", capsize=3, color=color, label=name)
    sizes = [" / ".join("–" if pd.isna(n) else f"{int(n)}" + (" (failed)" if "(failed)" in text else "")
                        for n, text in ((ours_n, ours_t), (fixed_n, fixed_t)))
             for ours_n, ours_t, fixed_n, fixed_t in zip(shown["ours_test"], shown["ours_text"], shown["fixed_test"],
                                                         shown["fixed_text"])]
    ax.set_yticks(y, [f"{m} ({r})\n{n} test clips" + ("" if ok or pd.isna(o) else ", uneven genres")
                      for m, r, n, ok, o in zip(shown["model"], shown["report"].str.replace(" report", ""), sizes,
                                                shown["comparable"], shown["ours"])])
    ax.set_xlabel("test accuracy")
    ax.set_xlim(*data_limits([np.nanmin(shown[["seed", "ours_low", "fixed_low"]].to_numpy(float)),
                              np.nanmax(shown[["seed", "ours_high", "fixed_high"]].to_numpy(float))], floor=0.0, ceiling=1.0))
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=3, frameon=False, fontsize=8.5)
    set_title(ax, title)
    fig.tight_layout(rect=(0, LEGEND_INCHES / fig.get_figheight(), 1, 1))
    return fig
