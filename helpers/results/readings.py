"""Conclusions computed from tables that are not results records, as Markdown.

Results records are read by :mod:`helpers.results.report`; everything else a notebook concludes
is written here from the tables it shows: the inventory and splits (00), the descriptors'
effect sizes (01), this repository's images against Kaggle's (02), feature parity and the
bootstrap and training-size studies (03). Nothing in a conclusion is typed by hand, so a
synthetic or smoke run states its own numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..inputs.features import eta_squared
from ..plots.style import format_params

PARTS = ("train", "valid", "test")


def _genres(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def split_gaps(tracks: pd.DataFrame, split: pd.Series | Sequence[str], genres: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Per part (train, valid, test): the genres of ``genres`` (default: those in ``tracks``) with no clip in it.

    Only parts the split uses at all are reported (a train/test split has no valid gaps).
    """
    frame = pd.DataFrame({"genre": tracks["genre"].to_numpy(), "split": np.asarray(split)})
    genres = sorted(set(frame["genre"])) if genres is None else list(genres)
    gaps = {}
    for part in PARTS:
        present = set(frame.loc[frame["split"] == part, "genre"])
        if present:
            gaps[part] = [g for g in genres if g not in present]
    return gaps


def gaps_sentence(gaps: Mapping[str, Sequence[str]], split_name: str) -> str:
    """"Under the fault-filtered split, country has no training clip; ..." (or "every genre has ...")."""
    words = {"train": "training", "valid": "validation", "test": "test"}
    missing = [f"{_genres(genres)} {'has' if len(genres) == 1 else 'have'} no {words[part]} clip"
               for part, genres in gaps.items() if genres]
    if not missing:
        return f"Under the {split_name} split every genre has clips in each of its parts ({', '.join(gaps)})."
    return f"Under the {split_name} split, " + "; ".join(missing) + "."


def data_reading(tracks: pd.DataFrame, label: str, fixed_split_name: str | None = None) -> str:
    """Notebook 00's conclusion: size, balance, skipped files, and the fixed split's gaps."""
    readable = tracks[tracks["ok"]]
    counts = readable.groupby("genre").size().sort_values(ascending=False)
    lines = [f"**What we learned about {label}.**", ""]
    lines.append(f"* {len(readable)} readable clips in {len(counts)} genres; "
                 f"{int((~tracks['ok']).sum())} file(s) skipped as unreadable or duplicated.")
    if len(counts) and counts.max() > counts.min():
        top = counts[counts == counts.max()]
        share = top.sum() / counts.sum()
        lines.append(f"* The genres are **imbalanced**: {_genres(list(top.index))} hold {int(counts.max())} clips each "
                     f"({share:.0%} of all), the smallest genre has {int(counts.min())}. Accuracy alone would reward a model "
                     f"that learns only the large genres: later notebooks show balanced accuracy and macro-F1 beside it, a "
                     f"majority-class baseline, and results on the {len(top)} balanced genres alone.")
    elif len(counts):
        lines.append(f"* The genres are balanced: {int(counts.max())} clips each.")
    durations = readable["duration"]
    if len(durations):
        lines.append(f"* Clip durations range from {durations.min():.2f} s to {durations.max():.2f} s "
                     f"(median {durations.median():.2f} s).")
    if fixed_split_name and "fixed_split" in readable:
        listed = readable[readable["fixed_split"].fillna("") != ""]
        lines.append(f"* {len(listed)} of the {len(readable)} readable clips lie in the {fixed_split_name} lists. "
                     + gaps_sentence(split_gaps(listed, listed["fixed_split"], list(counts.index)), fixed_split_name)
                     + " A genre without training clips cannot be learned, and one without test clips is not measured: "
                       "per-genre results below say which.")
    return "\n".join(lines)


def effect_sizes(tables: Mapping[str, pd.DataFrame], columns: Sequence[str], resamples: int = 1000,
                 seed: int = 42) -> pd.DataFrame:
    """η² of each descriptor per table (share of its variance explained by genre) with a 95 % bootstrap
    interval over clips: columns ``source, descriptor, clips, eta_squared, ci_low, ci_high``."""
    rng = np.random.default_rng(seed)
    rows = []
    for source, table in tables.items():
        for column in columns:
            values = table[["genre", column]].dropna().reset_index(drop=True)
            draws = [eta_squared(values.iloc[rng.integers(0, len(values), len(values))], column) for _ in range(resamples)]
            low, high = np.nanpercentile(draws, [2.5, 97.5]) if resamples and len(values) else (np.nan, np.nan)
            rows.append(dict(source=source, descriptor=column, clips=len(values), eta_squared=eta_squared(values, column),
                             ci_low=float(low), ci_high=float(high)))
    return pd.DataFrame(rows)


def eda_reading(effects: pd.DataFrame, medians: pd.DataFrame, label: str) -> str:
    """Notebook 01's conclusion: which descriptor separates genres more, with intervals, and the extremes."""
    lines = [f"**What we learned about {label}.**", ""]
    for source, part in effects.groupby("source", sort=False):
        ranked = part.sort_values("eta_squared", ascending=False)
        cells = [f"{r.descriptor} η² = {r.eta_squared:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]" for r in ranked.itertuples()]
        first, second = ranked.iloc[0], ranked.iloc[-1]
        apart = first.ci_low > second.ci_high
        lines.append(f"* {source} ({int(first.clips)} clips): {'; '.join(cells)}. "
                     + (f"Genre explains more of the {first.descriptor} than of the {second.descriptor}, and the "
                        f"intervals do not overlap." if apart and len(ranked) > 1 else
                        "The intervals overlap: these clips do not tell the descriptors apart."))
    for column in medians.columns:
        source, descriptor = column if isinstance(column, tuple) else ("", column)
        ordered = medians[column].dropna().sort_values()
        if len(ordered) > 1:
            lines.append(f"* {descriptor} ({source}): lowest median {ordered.index[0]} ({ordered.iloc[0]:.0f}), "
                         f"highest {ordered.index[-1]} ({ordered.iloc[-1]:.0f}).")
    return "\n".join(lines)


def image_agreement(ours: Sequence[str | Path], kaggle: Sequence[str | Path], track_ids: Sequence[str],
                    size: int = 128) -> pd.DataFrame:
    """Per track: Spearman correlation between this repository's mel PNG and the cropped Kaggle image
    (both grayscale, resized to ``size`` x ``size``), pixel by pixel and per frequency row.

    The Kaggle images use a colour map and their own scaling, so raw pixel values are not
    comparable; ranks are. The row profile (mean over time per image row) compares the
    spectral envelope the two images show.
    """
    from scipy.stats import spearmanr

    from ..inputs.network_inputs import load_image

    rows = []
    for track_id, mine, theirs in zip(track_ids, ours, kaggle):
        a, b = load_image(mine, size)[..., 0], load_image(theirs, size)[..., 0]
        rows.append(dict(track_id=track_id, pixels=float(spearmanr(a.ravel(), b.ravel()).statistic),
                         frequency_profile=float(spearmanr(a.mean(axis=1), b.mean(axis=1)).statistic)))
    return pd.DataFrame(rows, columns=["track_id", "pixels", "frequency_profile"])


def spectrogram_reading(rendered: int, up_to_date: int, failed: int, images: int, agreement: pd.DataFrame | None,
                        label: str) -> str:
    """Notebook 02's conclusion: what was rendered, and how our images relate to Kaggle's."""
    lines = [f"**What we learned about {label}.**", "",
             f"* {images} images in the cache ({rendered} drawn in this run, {up_to_date} already up to date, "
             f"{failed} failed); a second pass drew none, so the cache is reused by notebook 04."]
    if agreement is None or agreement.empty:
        lines.append("* This dataset has no Kaggle images to compare with.")
    else:
        lines.append(
            f"* On {len(agreement)} clips, this repository's images and Kaggle's agree in rank pixel by pixel with median "
            f"Spearman ρ = {agreement['pixels'].median():.2f} (range {agreement['pixels'].min():.2f} to "
            f"{agreement['pixels'].max():.2f}) and in their frequency profile with median ρ = "
            f"{agreement['frequency_profile'].median():.2f} (1: same order, 0: unrelated). "
            + ("Nearly the same ranks: little beyond a colour map or a monotonic scaling differs"
               if agreement["pixels"].median() >= 0.9 else
               "The agreement is partial: the same musical events, rendered with other choices than a colour map "
               "alone (dB scaling, frequency range, resolution)")
            + "; a network trained on one kind of image is not expected to work on the other.")
    return "\n".join(lines)


PARITY_TARGET = 0.02  # the features issue's target: median |deviation| at most 2 % of the feature's std


def parity_reading(parities: Mapping[str, object], label: str) -> str:
    """Feature parity per kind of clip (``{"lossless": Parity, "lossy": Parity}``): worst and median
    feature against the 2 % target, and tempo agreement; the two kinds are never merged."""
    lines = []
    for kind, parity in parities.items():
        column = parity.table["median |deviation| / std"]
        meets = int((column <= PARITY_TARGET).sum())
        lines.append(f"* {label}, {parity.clips} {kind} clips: median feature at {column.median():.2%} of its std, worst "
                     f"({column.idxmax()}) at {column.max():.2%}; {meets} of {len(column)} features within the "
                     f"{PARITY_TARGET:.0%} target; tempo within 1 % on {parity.tempo_within_1pct:.0%} of clips.")
    return "\n".join(lines)


def studies_reading(study: pd.DataFrame, curve: pd.DataFrame, label: str) -> str:
    """The bootstrap-retrain spread and whether the training-size curve still rises at full size."""
    low, median, high = study["accuracy"].quantile([0.025, 0.5, 0.975])
    lines = [f"* {label}: refit on {len(study)} bootstrap resamples of its training set, the tuned XGBoost's test accuracy "
             f"has median {median:.3f} and 95 % of refits within [{low:.3f}, {high:.3f}]: that much moves with the "
             f"training sample alone."]
    if len(curve) >= 2:
        last, before = curve.iloc[-1], curve.iloc[-2]
        rising = last["ci_low"] > before["accuracy"]
        lines.append(f"* Training size: from {int(curve.iloc[0]['train_size'])} to {int(last['train_size'])} clips the mean "
                     f"accuracy goes from {curve.iloc[0]['accuracy']:.3f} to {last['accuracy']:.3f}; the last step "
                     f"({int(before['train_size'])} to {int(last['train_size'])}) changes it by "
                     f"{last['accuracy'] - before['accuracy']:+.3f}, "
                     + ("beyond the interval of the full-size fit: more data of this kind would likely still help."
                        if rising else "within the interval of the full-size fit: these test clips cannot tell whether "
                                       "more data of this kind would help."))
    return "\n".join(lines)


def grid_reading(searches: Mapping[str, tuple[pd.DataFrame, dict]], defaults: Mapping[str, object]) -> str:
    """What each protocol's grid search chose, what it searched, and how far apart its trials were."""
    lines = []
    for protocol, (trials, best) in searches.items():
        scores = trials["val_accuracy"].dropna()
        searched = [c for c in trials.columns if c not in ("trial", "val_accuracy", "best_epoch", "status")]
        own = all(defaults.get(key) == value for key, value in best.items())
        lines.append(f"* Grid search under {protocol}: {len(trials)} trials over {', '.join(searched)} (nothing else was "
                     f"searched); validation accuracy from {scores.min():.3f} to {scores.max():.3f}. Best: {format_params(best)}"
                     + (", which is the base CNN's own setting, so the tuned CNN repeats the base CNN's training."
                        if own else "."))
    return "\n".join(lines)


def profile_note(profile: str, results_dir: Path, experiment: str) -> str:
    """Which profile this render used and where the seed's full settings (``paper``) stand."""
    paper = sorted((Path(results_dir) / "paper" / experiment).glob("*.json")) if profile != "paper" else []
    if profile == "paper":
        return "* This render used the `paper` profile: the seed reports' image size, epochs and full grid."
    if paper:
        return (f"* This render used the `{profile}` profile; {len(paper)} results records of the `paper` profile (the "
                f"seed's image size, epochs and full grid) are under `results/paper/{experiment}/` and in notebook 08.")
    return (f"* This render used the `{profile}` profile (smaller images, fewer epochs, a reduced grid, to fit a CPU). The "
            f"`paper` profile (the seed's 128 x 128 images, 50 epochs, the full grid) has not been run for these records: "
            f"it needs a GPU with TensorFlow (`./run_all.sh --profile paper --only 04`, or Colab).")
