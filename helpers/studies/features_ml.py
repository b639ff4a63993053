"""What notebook 03 runs: handcrafted features against the Kaggle CSV, every tabular model under every
protocol with its majority baseline and the equal-size control, an LSTM on the audio, and the
bootstrap-retrain and training-size studies.

Each function is one cell of the notebook; the models, metrics and splits themselves live in
``helpers.models.training`` and ``helpers.results``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import data, plots
from ..inputs import features
from ..models import training, zoo
from ..results import evaluate, report

EXPERIMENT = "features_ml"
CSV_REPRESENTATION = "features_30_sec.csv"
AUDIO_REPRESENTATION = "features extracted from the audio"
SEQUENCE_REPRESENTATION = "per-frame feature sequences from audio"
# Which formats measure the code (lossless) and which add a codec's own error (lossy): reported apart.
PARITY_KINDS = {"lossless": ("flac", "wav", "au"), "lossy": ("ogg", "mp3")}
SEED_PROTOCOL = "random-80/20"


@dataclass(frozen=True)
class Parity:
    """Our features against the Kaggle CSV on one kind of clip (lossless or lossy)."""

    kind: str
    parity: features.Parity
    clips: int
    formats: list[str]


def feature_parities(tracks: pd.DataFrame, reference: pd.DataFrame | None, jobs: int | None = None) -> dict[str, Parity]:
    """Per kind of clip (lossless, lossy): the parity of our 57 features with the CSV's rows; kinds without
    clips (or a dataset without the CSV) are said and left out. Unreadable clips are listed as skipped."""
    parities = {}
    for kind, formats in PARITY_KINDS.items():
        clips = tracks[tracks["format"].isin(formats)]
        if reference is None or clips.empty:
            print(f"{kind}: no features CSV or no {kind} audio here; the parity check needs both")
            continue
        extracted = features.extract(clips, jobs=jobs)
        for failure in extracted.skipped:
            print(f"skipped: {failure}")
        parities[kind] = Parity(kind, features.parity(extracted.table, reference), len(extracted.table),
                                sorted(clips["format"].unique()))
    return parities


def model_table(tracks: pd.DataFrame, reference: pd.DataFrame | None, max_clips_per_genre: int | None,
                jobs: int | None = None) -> tuple[pd.DataFrame, str]:
    """The table the models learn from and its name: the Kaggle CSV (every clip, so that the numbers compare
    with the seed report) when the dataset has it, else the features this repository extracts from the audio."""
    if reference is not None:
        return data.limit_per_genre(reference, max_clips_per_genre), CSV_REPRESENTATION
    extracted = features.extract(tracks, jobs=jobs)
    for failure in extracted.skipped:
        print(f"skipped: {failure}")
    return data.attach_fixed_split(extracted.table, tracks), AUDIO_REPRESENTATION


@dataclass(frozen=True)
class Plan:
    """The protocols of the run and the equal-size control (the seed's random split with its training set
    shrunk to the fixed split's size; ``None`` when there is no fixed split or it trains on no fewer clips)."""

    protocols: list[str]
    fixed: str | None
    equal_size: int | None

    def runs(self) -> list[tuple[str, int | None]]:
        """(protocol, training size) of every run: each protocol at full size, then the control."""
        return [(protocol, None) for protocol in self.protocols] + ([(SEED_PROTOCOL, self.equal_size)] if self.equal_size else [])

    def describe(self, label: str, table: pd.DataFrame, representation: str) -> str:
        return (f"{label}: {len(table)} clips x {len(features.FEATURE_COLUMNS)} features ({representation}); "
                f"protocols: {', '.join(self.protocols)}"
                + (f"; {SEED_PROTOCOL} also at the {self.fixed} training size, {self.equal_size} clips" if self.equal_size else ""))


def plan(table: pd.DataFrame, fixed: str | None, seed: int = 42) -> Plan:
    """The seed's random split, 5-fold cross-validation and the dataset's fixed split (when it has one)."""
    protocols = [SEED_PROTOCOL, "5-fold-cv"] + ([fixed] if fixed else [])
    equal = training.fixed_train_size(table, fixed) if fixed else None
    if equal is not None and equal >= (training.protocol_split(table, SEED_PROTOCOL, seed=seed) == "train").sum():
        equal = None  # the fixed split trains on no fewer clips than the random one: nothing to control for
    return Plan(protocols, fixed, equal)


def run_models(table: pd.DataFrame, run_plan: Plan, results_dir: Path, *, profile: str, dataset: str, representation: str, seed: int,
               resamples: int, model_params: dict, jobs: int | None = None,
               models: Sequence[str] = zoo.FEATURE_MODELS) -> tuple[list[dict], dict]:
    """Every model under every run of the plan, a majority-class baseline first under each full-size protocol;
    each record saved as it is made (a record of a ``profile`` run). Returns the records and the test predictions
    by (model, protocol, size)."""
    run = dict(experiment=EXPERIMENT, dataset=dataset, representation=representation, seed=seed, resamples=resamples)
    records, predictions = [], {}
    for protocol, size in run_plan.runs():
        if size is None:
            records.append(training.majority_baseline(table, protocol, **run))
            evaluate.save(records[-1], results_dir, profile=profile)
        for name in models:
            record, predictions[name, protocol, size] = training.run_protocol(
                table, features.FEATURE_COLUMNS, name, protocol, jobs=jobs, params=model_params.get(name),
                train_size=size, **run)
            evaluate.save(record, results_dir, profile=profile)
            records.append(record)
    return records, predictions


def best_runs(records: Sequence[dict], fixed: str | None) -> list[dict]:
    """The records of the model with the best seed-split balanced accuracy (failed runs and baselines aside),
    under the seed's split and the fixed split."""
    scored = [r for r in records if r["protocol"] == SEED_PROTOCOL and not evaluate.failure(r) and not evaluate.is_baseline(r)]
    if not scored:
        return []
    best = max(scored, key=lambda r: r["metrics"]["balanced_accuracy"]["value"])["model"]
    return [r for r in records if r["model"] == best and r["protocol"] in (SEED_PROTOCOL, fixed)]


def sequence_sets(tracks: pd.DataFrame, rows: pd.DataFrame, dataset: str, label: str) -> dict[str, tuple[str, np.ndarray]]:
    """Dataset name -> (label, row numbers of ``rows``) the LSTM runs on: every clip, and, when the audio is
    imbalanced, the balanced subset of the genres with the most clips under its own dataset name."""
    sets = {dataset: (label, rows.index.to_numpy())}
    subset = data.balanced_subset(tracks, dataset, label)
    if subset is not None:
        subset_tracks, subset_name, subset_label = subset
        sets[subset_name] = (subset_label, rows.index[rows["track_id"].isin(subset_tracks["track_id"])].to_numpy())
    return sets


def run_lstm(tracks: pd.DataFrame, protocols: Sequence[str], results_dir: Path, *, profile: str, dataset: str, label: str, seed: int,
             resamples: int, params: dict | None, pool: int, jobs: int | None = None) -> list[dict]:
    """The seed's LSTM over per-frame feature sequences of the audio, with majority baselines, under every
    protocol but cross-validation, on every clip and on the balanced subset; records saved. A fixed split that
    leaves a part empty on a subset is said and skipped."""
    frames = features.sequences(tracks, pool=pool, jobs=jobs)
    X, rows = frames.X, data.attach_fixed_split(frames.rows, tracks)
    for failure in frames.skipped:
        print(f"skipped: {failure}")
    records = []
    for name, (set_label, chosen) in sequence_sets(tracks, rows, dataset, label).items():
        part = rows.loc[chosen].reset_index(drop=True)
        print(f"{set_label}: {len(part)} clips x {X.shape[1]} steps x {X.shape[2]} features")
        for protocol in [p for p in protocols if p != "5-fold-cv"]:
            run = dict(experiment=EXPERIMENT, dataset=name, representation=SEQUENCE_REPRESENTATION, seed=seed, resamples=resamples)
            try:
                records.append(training.majority_baseline(part, protocol, **run))  # kept when the LSTM cannot run
                record, _ = training.run_protocol(part, [], "lstm", protocol, params=params, X=X[chosen], **run)
            except ValueError as error:  # a fixed split that leaves a part empty on this subset
                print(f"skipped lstm under {protocol} on {set_label}: {error}")
                continue
            records.append(record)
    for record in records:
        evaluate.save(record, results_dir, profile=profile)
    return records


def parity_figures(parities: dict[str, Parity], label: str, figures_dir: Path) -> None:
    """One bar chart per kind of clip: each feature's median deviation from the CSV, against the 2 % line."""
    for kind, found in parities.items():
        fig = plots.parity_bars(found.parity.table, f"{label}, {found.clips} {kind} clips ({', '.join(found.formats)}): "
                                                    "our features vs features_30_sec.csv")
        plots.save(fig, figures_dir, f"03_feature_parity_{kind}")


def confusion_figures(runs: Sequence[dict], label: str, figures_dir: Path) -> str:
    """The confusion matrix of each of :func:`best_runs` (saved and shown); their descriptions as Markdown."""
    for record in runs:
        fig = plots.confusion(record, f"{label}, {record['protocol']}: {record['model']} "
                                      f"(accuracy {record['metrics']['accuracy']['value']:.3f}, n={record['sizes']['test']})")
        plots.save(fig, figures_dir, f"03_confusion_{record['model']}_{record['protocol'].replace('/', '-')}")
    return "\n\n".join(report.describe(record) for record in runs)


def bootstrap_figure(retrain: pd.DataFrame, split: pd.Series, label: str, figures_dir: Path) -> None:
    """The bootstrap refits' scores (``training.bootstrap_retrain``) as a box plot titled with the split's sizes."""
    fig = plots.bootstrap_box(retrain, f"{label}, random 80/20: tuned XGBoost refit on {len(retrain)} bootstrap resamples "
                                       f"({int((split == 'train').sum())} training clips each, "
                                       f"{int((split == 'test').sum())} test clips)")
    plots.save(fig, figures_dir, "03_bootstrap_retrain")


def training_size_figure(curve: pd.DataFrame, split: pd.Series, label: str, figures_dir: Path) -> None:
    """The training-size curve (``training.training_size_curve``) titled with the split's test size."""
    fig = plots.learning_curve(curve, f"{label}, random 80/20: tuned XGBoost test accuracy by training size "
                                      f"({int((split == 'test').sum())} test clips)")
    plots.save(fig, figures_dir, "03_training_size")
