"""What notebook 08 runs: the seeds' waveform and fusion networks (``helpers.models.waveform_nets``) on crops of the
audio (``helpers.models.crops``), tuned with Optuna (``helpers.models.optuna_search``), under the dataset's fixed
split and the seeds' random one.

The runs (:data:`RUNS`), each on the same tracks and split:

``nnet1``          the FMA report's 1D CNN on the raw crop;
``nnet2-mfcc``     its residual 2D CNN on 20 MFCCs per frame; ``nnet2-log-mel``: the same on 128 log-mel bands;
``mixnet``         the encoders of that split's trained ``nnet1`` and ``nnet2-mfcc`` side by side, a new classifier;
``resnet18-mel``   the slides' spectrogram ResNet18 alone: late fusion's baseline;
``late-fusion``    the slides' two ResNet18 encoders, on the crop's mel image and on its waveform image.

Optuna searches the learning rate and weight decay of ``nnet1`` and ``nnet2-mfcc`` (:data:`TUNED`) on each split's
validation clips, in one study per network and split kept in a SQLite file beside the records (an interrupted
study resumes); the best trial is that run, and ``nnet2-log-mel`` trains with ``nnet2-mfcc``'s best parameters (the
report tuned NNET2 on MFCC). Every run stops early on its validation loss; the test score is on each test
track's mid-track crop. The ``seeded_runs`` of a profile are trained again with further training seeds on the
honest split, so that their difference can be judged over seeds (``helpers.results.comparisons``).

Why this module is long: one run of any network (crops, standardiser, fit, mid-track test scores, record), the
Optuna-tuned run, the order of the runs (MixNet after its encoders, the seeded repeats) and the tables and reading
read from the same run objects; split, the parts would pass those objects back and forth.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import splits
from ..inputs import waveforms as waveform_inputs
from ..models import crops, networks, optuna_search
from ..models import waveform_nets as nets
from ..results import comparisons, evaluate
from ..results.records import failure, metric_cell

EXPERIMENT = "waveform_fusion"
# run name: (network, NNET2 features)
RUNS: dict[str, tuple[str, str]] = {"nnet1": ("nnet1", "mfcc"), "nnet2-mfcc": ("nnet2", "mfcc"), "nnet2-log-mel": ("nnet2", "log-mel"),
                                    "mixnet": ("mixnet", "mfcc"), "resnet18-mel": ("resnet18-mel", "mfcc"),
                                    "late-fusion": ("late-fusion", "mfcc")}
TUNED: tuple[str, ...] = ("nnet1", "nnet2-mfcc")
TUNED_FROM: dict[str, str] = {"nnet2-log-mel": "nnet2-mfcc"}  # a run that takes another run's best parameters
INPUT_TEXT = {"waveform": "raw crop", "mfcc": "MFCC", "log-mel": "log-mel", "mel-image": "mel image",
              "waveform-image": "waveform image"}
SEED_PAIRS: tuple[tuple[str, str], ...] = (("late-fusion", "resnet18-mel"), ("mixnet", "nnet2-mfcc"), ("nnet2-mfcc", "nnet2-log-mel"),
                                           ("nnet2-mfcc", "nnet1"))


def recipe(settings: Mapping, sample_rate: int) -> crops.CropRecipe:
    """The crop recipe of a profile's ``config.WAVEFORM`` settings at ``sample_rate``."""
    lengths = {} if settings["crop_seconds"] is None else {"seconds": float(settings["crop_seconds"])}
    return crops.CropRecipe(sample_rate=sample_rate, n_mfcc=settings["n_mfcc"], n_mels=settings["n_mels"],
                            image_size=settings["image_size"], **lengths)


def representation(run: str, crop: crops.CropRecipe) -> str:
    """What run ``run`` reads, for its record: its inputs and the crop length."""
    network, features = RUNS[run]
    kinds = nets.model_inputs(network, features)
    return f"{' + '.join(INPUT_TEXT[k] for k in kinds)}, {crop.seconds:.2f}-s crops"


@dataclass
class StudyData:
    """The decoded tracks of the study and the splits it runs under."""

    waveforms: Mapping[str, np.ndarray]
    tracks: pd.DataFrame  # track_id, genre, fixed_split (when the dataset has one)
    failed: list[str]
    splits: dict[str, pd.DataFrame] = field(default_factory=dict)  # protocol: track_id, genre, split

    @property
    def labels(self) -> list[str]:
        return sorted(self.tracks["genre"].unique())


def study_data(tracks: pd.DataFrame, protocols: Sequence[str], *, sample_rate: int, seed: int = 42,
               cache_dir: str | os.PathLike | None = None) -> StudyData:
    """Decode every track once (cached per clip under ``cache_dir``) and split the decoded ones under each protocol
    (per track; a protocol that leaves a part empty is skipped with a message)."""
    waveforms, failed = waveform_inputs.track_waveforms(tracks, sample_rate, cache_dir)
    kept = tracks[tracks["track_id"].isin(set(waveforms))].reset_index(drop=True)
    columns = ["track_id", "genre"] + (["fixed_split"] if "fixed_split" in kept.columns else [])
    found = StudyData(waveforms, kept[columns], failed)
    for protocol in protocols:
        table = kept[["track_id", "genre"]].assign(split=networks.row_split(found.tracks, protocol, seed=seed).to_numpy())
        table = table[table["split"] != ""].reset_index(drop=True)
        try:
            networks.split_parts(table, protocol)
        except networks.EmptySplitError as error:
            print(f"skipped {protocol}: {error}")
            continue
        splits.assert_no_leakage(table)
        found.splits[protocol] = table
    return found


def split_sizes(found: StudyData) -> pd.DataFrame:
    """Tracks per part under each protocol."""
    rows = [{"protocol": protocol, **table["split"].value_counts().reindex(list(splits.SPLITS), fill_value=0).to_dict()}
            for protocol, table in found.splits.items()]
    return pd.DataFrame(rows).rename(columns={"train": "train tracks", "valid": "valid tracks", "test": "test tracks"})


# --- one run -------------------------------------------------------------------------------

@dataclass
class Run:
    """A trained network and its record."""

    record: dict
    fit: networks.NetworkFit


def _batches(found: StudyData, table: pd.DataFrame, part: str, kinds: Sequence[str], crop: crops.CropRecipe,
             standardiser: crops.Standardiser, settings: Mapping, seed: int) -> crops.CropBatches:
    return crops.CropBatches(found.waveforms, table, part, kinds, crop, found.labels, batch_size=settings["batch_size"],
                             standardiser=standardiser, seed=seed)


def _test_scores(model, batches: crops.CropBatches) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities of every test track (mid-track crops, table order) and the integer truth."""
    probabilities, truth = [], []
    for index in range(len(batches)):
        x, y = batches.batch(index)
        probabilities.append(np.asarray(model.predict_on_batch(x)))
        truth.append(y)
    return np.concatenate(probabilities), np.concatenate(truth)


def _model(run: str, crop: crops.CropRecipe, n_classes: int, params: Mapping, seed: int, encoders: Sequence | None):
    network, features = RUNS[run]
    if network == "mixnet":
        if encoders is None:
            raise ValueError("mixnet starts from a trained nnet1 and nnet2-mfcc of the same split: pass encoders=(nnet1, nnet2)")
        return nets.mixnet(*encoders, n_classes, seed=seed, **params)
    shapes = [crop.shape(kind) for kind in nets.model_inputs(network, features)]
    return nets.build(network, shapes, n_classes, seed=seed, **params)


def train_run(run: str, found: StudyData, protocol: str, crop: crops.CropRecipe, settings: Mapping, *, dataset: str,
              params: Mapping | None = None, seed: int = 42, resamples: int = 1000, encoders: Sequence | None = None,
              callbacks: Sequence = (), extra: Mapping | None = None) -> Run:
    """Train run ``run`` (:data:`RUNS`) on ``protocol``'s training tracks, stop early on its validation tracks, score
    the mid-track crops of its test tracks: the record (not saved) and the fit.

    ``params`` override the network's parameters (``settings["model_params"]`` first); ``encoders``: MixNet's trained
    NNET1 and NNET2; ``callbacks``: an Optuna pruner; ``extra``: added to the record's ``extra``.
    """
    if run not in RUNS:
        raise ValueError(f"unknown run {run!r}; valid: {', '.join(RUNS)}")
    network, features = RUNS[run]
    table = found.splits[protocol]
    kinds = nets.model_inputs(network, features)
    # statistics of the training tracks only, computed on each call: cheap next to a fit, and never shared by mistake
    standardiser = crops.fit_standardiser(found.waveforms, table, crop, kinds)
    chosen = {**settings["model_params"].get(network, {}), **(params or {})}
    model = _model(run, crop, len(found.labels), chosen, seed, encoders)
    train = _batches(found, table, "train", kinds, crop, standardiser, settings, seed)
    valid = _batches(found, table, "valid", kinds, crop, standardiser, settings, seed)
    model_settings = {**nets.defaults(network), **chosen}
    training = dict(epochs=settings["epochs"], patience=settings["patience"], batch_size=settings["batch_size"], seed=seed,
                    crop_seconds=crop.seconds, sample_rate=crop.sample_rate)
    fit = nets.fit(model, crops.crop_dataset(train), crops.crop_dataset(valid), epochs=settings["epochs"],
                   patience=settings["patience"], callbacks=callbacks, desc=f"{run} {protocol}",
                   settings={"model": model_settings, "training": training})
    test = _batches(found, table, "test", kinds, crop, standardiser, settings, seed)
    probabilities, truth = _test_scores(fit.model, test)
    labels = found.labels
    predicted = np.asarray(labels)[probabilities.argmax(axis=1)]
    true_genres = np.asarray(labels)[truth]
    best = fit.history.loc[fit.best_epoch]
    test_loss = float(-np.mean(np.log(np.clip(probabilities[np.arange(len(truth)), truth], 1e-7, 1.0))))
    record = evaluate.evaluate(
        true_genres, predicted, labels, experiment=EXPERIMENT, model=run, dataset=dataset, protocol=protocol,
        representation=representation(run, crop), train_seconds=fit.seconds, params=fit.settings, resamples=resamples,
        seed=seed, train_genres=table.loc[table["split"] == "train", "genre"].tolist(),
        valid_genres=table.loc[table["split"] == "valid", "genre"].tolist(),
        extra=dict(network=network, inputs=list(kinds), test_loss=test_loss, train_accuracy=float(best["accuracy"]),
                   valid_accuracy=float(best["val_accuracy"]), valid_loss=float(best["val_loss"]),
                   epochs_run=len(fit.history), best_epoch=fit.best_epoch, unit="clip",
                   test_crop="mid-track", train_crops="random, drawn anew each epoch", padded_tracks=len(train.padded),
                   history={column: fit.history[column].astype(float).tolist() for column in
                            ("loss", "accuracy", "val_loss", "val_accuracy")},
                   test_clips=dict(id=test.track_ids, truth=true_genres.tolist(), predicted=predicted.tolist()),
                   **dict(extra or {})))
    return Run(record, fit)


# --- Optuna --------------------------------------------------------------------------------

def study_file(results_dir: str | os.PathLike, dataset: str, profile: str) -> Path:
    """The SQLite file of the notebook's Optuna studies: one per dataset and profile, beside the records."""
    return Path(results_dir) / EXPERIMENT / f"optuna__{evaluate.slug(dataset)}__{profile}.sqlite3"


def study_name(run: str, protocol: str, seed: int) -> str:
    return f"{run} · {protocol} · seed {seed}"


@dataclass
class TunedRun:
    run: Run
    search: optuna_search.Search


def tuned_run(run: str, found: StudyData, protocol: str, crop: crops.CropRecipe, settings: Mapping, *, dataset: str,
              storage: str | os.PathLike, seed: int = 42, resamples: int = 1000) -> TunedRun:
    """Search the learning rate and weight decay of ``run`` with Optuna on ``protocol``'s validation tracks
    (``settings["trials"]`` finished trials, median pruning on the validation loss per epoch, the study kept in
    ``storage``); the run is the best trial, trained again with its parameters when this process did not train it
    (a study resumed from its storage)."""
    best: dict = {}
    name = study_name(run, protocol, seed)

    def objective(params: dict[str, float], report_epoch) -> float:
        trained = train_run(run, found, protocol, crop, settings, dataset=dataset, params=params, seed=seed,
                            resamples=resamples, callbacks=[optuna_search.pruning_callback(report_epoch)])
        value = float(trained.fit.history["val_loss"].min())
        if not best or value < best["value"]:
            best.update(value=value, params=dict(params), run=trained)
        return value

    trials = settings["trials"]
    # Pruning waits for half the trials; TPE models the results after as many random trials as the search holds
    # at most 10 (so a 4-trial report search is a seeded random search, and says so in the notebook).
    search = optuna_search.search(objective, study_name=name, storage=storage, trials=trials, seed=seed,
                                  startup_trials=min(10, trials), pruner_startup_trials=max(1, trials // 2))
    chosen = search.best_params
    if best.get("params") == chosen:
        trained = best["run"]
    else:
        trained = train_run(run, found, protocol, crop, settings, dataset=dataset, params=chosen, seed=seed,
                            resamples=resamples)
    states = search.trials["state"].value_counts().to_dict()
    trained.record["extra"]["optuna"] = evaluate.jsonable(dict(
        study=name, storage=Path(os.fspath(storage)).name if "://" not in os.fspath(storage) else "database URL",
        trials=int(len(search.trials)), complete=int(states.get("COMPLETE", 0)), pruned=int(states.get("PRUNED", 0)),
        best_params=chosen, best_valid_loss=search.best_value, ran_here=search.ran))
    return TunedRun(trained, search)


# --- the study, as notebook 08 runs it -----------------------------------------------------

@dataclass
class StudyRuns:
    """Every run of the notebook: per protocol, per run name (first seed), plus the further seeds' runs."""

    main: dict[str, dict[str, Run]] = field(default_factory=dict)  # protocol: run: Run
    seeded: dict[str, list[Run]] = field(default_factory=dict)  # run: runs of every seed on the honest split, first seed first
    searches: dict[tuple[str, str], optuna_search.Search] = field(default_factory=dict)  # (run, protocol): search

    def records(self) -> list[dict]:
        seen = [r.record for runs in self.main.values() for r in runs.values()]
        return seen + [r.record for runs in self.seeded.values() for r in runs[1:]]


def _save(record: dict, results_dir, profile: str) -> None:
    if results_dir is not None:
        evaluate.save(record, results_dir, profile=profile)


def run_protocol(found: StudyData, protocol: str, crop: crops.CropRecipe, settings: Mapping, *, dataset: str, storage,
                 seed: int = 42, resamples: int = 1000, results_dir=None, profile: str = "report",
                 runs: Sequence[str] = tuple(RUNS)) -> tuple[dict[str, Run], dict[tuple[str, str], optuna_search.Search]]:
    """Every run of ``runs`` under ``protocol`` at training seed ``seed``, in :data:`RUNS` order (MixNet after its two
    encoders; a tuned run's parameters from its Optuna study, or the study of the run it takes them from)."""
    done: dict[str, Run] = {}
    searches = {}
    for run in (r for r in RUNS if r in runs):
        if run in TUNED:
            tuned = tuned_run(run, found, protocol, crop, settings, dataset=dataset, storage=storage, seed=seed, resamples=resamples)
            done[run], searches[(run, protocol)] = tuned.run, tuned.search
        else:
            source = TUNED_FROM.get(run)
            params = done[source].record["extra"]["optuna"]["best_params"] if source in done else None
            encoders = (done["nnet1"].fit.model, done["nnet2-mfcc"].fit.model) if run == "mixnet" else None
            extra = {"tuned_from": source} if params else {}
            if run == "mixnet":
                extra["weights_origin"] = "encoders of this split's trained nnet1 and nnet2-mfcc (same seed), frozen"
            done[run] = train_run(run, found, protocol, crop, settings, dataset=dataset, params=params, seed=seed,
                                  resamples=resamples, encoders=encoders, extra=extra)
        _save(done[run].record, results_dir, profile)
    return done, searches


def run_study(found: StudyData, crop: crops.CropRecipe, settings: Mapping, *, dataset: str, honest: str, storage,
              seed: int = 42, resamples: int = 1000, results_dir=None, profile: str = "report") -> StudyRuns:
    """Every run under every protocol of ``found`` (``honest`` first), then the profile's ``seeded_runs`` again on the
    honest split with ``settings["seeds"] - 1`` further training seeds (``seed + 1``, ...)."""
    study = StudyRuns()
    for protocol in sorted(found.splits, key=lambda p: p != honest):
        study.main[protocol], searches = run_protocol(found, protocol, crop, settings, dataset=dataset, storage=storage, seed=seed,
                                                      resamples=resamples, results_dir=results_dir, profile=profile)
        study.searches.update(searches)
    seeded = [r for r in RUNS if r in settings["seeded_runs"]]
    if honest not in study.main:
        return study
    for run in seeded:
        study.seeded[run] = [study.main[honest][run]]
    needed = set(seeded) | ({"nnet1", "nnet2-mfcc"} if "mixnet" in seeded else set())
    for extra_seed in range(seed + 1, seed + settings["seeds"]):
        runs, _ = run_protocol(found, honest, crop, settings, dataset=dataset, storage=storage, seed=extra_seed,
                               resamples=resamples, results_dir=results_dir, profile=profile, runs=sorted(needed))
        for run in seeded:
            study.seeded[run].append(runs[run])
    return study


# --- tables, figures' data and the reading -------------------------------------------------

def _loss(record: dict) -> str:
    value = record.get("extra", {}).get("test_loss")
    return "" if value is None else f"{value:.2f}"


def seed_style_table(records: Sequence[dict]) -> pd.DataFrame:
    """The FMA report's table from records: test accuracy (95 % interval), test loss, macro-F1, balanced accuracy,
    tracks per part, epochs (best)."""
    rows = []
    for r in records:
        extra = r.get("extra", {})
        rows.append({"network": r["model"], "split": r["protocol"],
                     "test accuracy [95 % CI]": metric_cell(r, "accuracy") + (" (failed)" if failure(r) else ""),
                     "test loss": _loss(r), "macro F1": metric_cell(r, "macro_f1"),
                     "balanced accuracy": metric_cell(r, "balanced_accuracy"),
                     "tracks train/valid/test": "/".join(str(r["sizes"].get(p, 0)) for p in ("train", "valid", "test")),
                     "epochs (best)": f"{extra['epochs_run']} ({extra['best_epoch']})" if "epochs_run" in extra else "baseline"})
    return pd.DataFrame(rows)


def optuna_table(searches: Mapping[tuple[str, str], optuna_search.Search]) -> pd.DataFrame:
    """One row per trial of every study: network, split, trial, state, validation loss, parameters, seconds."""
    frames = []
    for (run, protocol), search in searches.items():
        trials = search.trials.assign(network=run, split=protocol)
        frames.append(trials)
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    table["value"] = table["value"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
    for name in optuna_search.SEARCH_SPACE:
        table[name] = table[name].map(lambda v: f"{v:.1e}")
    table["seconds"] = table["seconds"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
    return table.rename(columns={"number": "trial", "value": "valid loss"})[
        ["network", "split", "trial", "state", "valid loss", *optuna_search.SEARCH_SPACE, "seconds"]]


def histories(runs: Mapping[str, Run]) -> dict[str, pd.DataFrame]:
    """Each run's history per epoch, for ``plots.training_curves``."""
    return {name: run.fit.history for name, run in runs.items()}


def seeded_table(study: StudyRuns, resamples: int = 1000, seed: int = 42) -> pd.DataFrame:
    """Each seed's test accuracy of the seeded runs, their spread, and each pair's difference over the seeds with
    its verdict (``helpers.results.comparisons``)."""
    rows = []
    for a, b in SEED_PAIRS:
        if a not in study.seeded or b not in study.seeded:
            continue
        diff = comparisons.seeded_difference([r.record for r in study.seeded[a]], [r.record for r in study.seeded[b]],
                                             resamples=resamples, seed=seed)
        rows.append({"comparison": f"{a} minus {b}", "seeds": diff.seeds,
                     "per seed": ", ".join(f"{d:+.3f}" for d in diff.per_seed),
                     "mean [95 % CI over clips]": f"{diff.mean:+.3f} [{diff.low:+.3f}, {diff.high:+.3f}]", "verdict": diff.verdict})
    return pd.DataFrame(rows)


def seed_accuracies(study: StudyRuns) -> pd.DataFrame:
    """Test accuracy of each seeded run per training seed, with the spread (max minus min)."""
    rows = []
    for run, runs in study.seeded.items():
        values = [r.record["metrics"]["accuracy"]["value"] for r in runs]
        rows.append({"network": run, **{f"seed {r.fit.settings['training']['seed']}": f"{v:.3f}" for r, v in zip(runs, values)},
                     "spread": f"{max(values) - min(values):.3f}"})
    return pd.DataFrame(rows)


def reading(study: StudyRuns, baselines: Mapping[str, dict], honest: str, label: str, resamples: int = 1000,
            seed: int = 42) -> str:
    """The generated reading: what learned, how the networks rank on the honest split (one run each, unless a pair
    was repeated over seeds), the split gap, the slides' fusion question and the FMA report's ranking."""
    lines = [f"**Reading ({label}; generated from the records above).**", ""]
    for protocol, runs in study.main.items():
        base = baselines.get(protocol)
        floor = base["metrics"]["accuracy"]["value"] if base else None
        failed = [name for name, r in runs.items() if failure(r.record)]
        ok = {name: r.record for name, r in runs.items() if not failure(r.record)}
        head = f"- *{protocol}* ({runs[next(iter(runs))].record['sizes']['test']} test tracks"
        head += f", majority baseline {floor:.3f})" if floor is not None else ")"
        if ok:
            best = max(ok, key=lambda n: ok[n]["metrics"]["accuracy"]["value"])
            head += f": best on test {best} {metric_cell(ok[best])}"
        if failed:
            head += f"; did not learn (reported as failed): {', '.join(failed)}"
        lines.append(head + ". Each is one run: a ranking between single runs is not a finding.")
    if honest in study.main and len(study.main) > 1:
        other = next(p for p in study.main if p != honest)
        gaps = [f"{name} {study.main[other][name].record['metrics']['accuracy']['value'] - r.record['metrics']['accuracy']['value']:+.3f}"
                for name, r in study.main[honest].items() if name in study.main[other]]
        lines.append(f"- *{other}* minus *{honest}*, test accuracy per network (one run each, different test tracks): "
                     + ", ".join(gaps) + ".")
    for row in seeded_table(study, resamples, seed).to_dict("records"):
        words = {"finding": "a finding: it holds in every seed and its interval excludes zero",
                 "not measurable": "not measurable: the seeds disagree or the interval includes zero",
                 "one run": f"fewer than {comparisons.MIN_SEEDS} seeds, so one run each, not a finding"}[row["verdict"]]
        lines.append(f"- {row['comparison']} on {honest} over {row['seeds']} training seeds: {row['mean [95 % CI over clips]']} "
                     f"(per seed {row['per seed']}): {words}.")
    return "\n".join(lines).rstrip() + "\n"


def crop_views(found: StudyData, track_id: str, crop: crops.CropRecipe) -> list[tuple[str, np.ndarray]]:
    """What each network reads from ``track_id``'s mid-track crop, as images in [0, 1] with time running left to
    right and the highest coefficient on top: MFCC, log-mel, the mel image, the waveform image."""
    samples = crops.mid_crop(found.waveforms[track_id], crop.length)
    views = []
    for kind in ("mfcc", "log-mel", "mel-image", "waveform-image"):
        values = crops.crop_input(kind, samples, crop)
        if kind in crops.STANDARDISED_KINDS:  # (frames, coefficients, 1): coefficients up, scaled to [0, 1]
            values = np.flipud(np.transpose(values, (1, 0, 2)))
            values = (values - values.min()) / max(float(values.max() - values.min()), 1e-9)
        views.append((f"{INPUT_TEXT[kind]} {values.shape[0]}x{values.shape[1]}", values))
    return views
