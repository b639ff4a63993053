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
from ..models import crops, networks, optuna_search, wav2vec2, wav2vec2_transfer
from ..models import waveform_nets as nets
from ..results import comparisons, evaluate
from ..results.records import failure, metric_cell, training_seed

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
    tracks: pd.DataFrame  # track_id, genre, path, fixed_split (when the dataset has one)
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
    columns = ["track_id", "genre", "path"] + (["fixed_split"] if "fixed_split" in kept.columns else [])
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


@dataclass
class Trained:
    """A fit and what scoring it needs: the table, the inputs read, the standardiser of its training tracks."""

    run: str
    protocol: str
    fit: networks.NetworkFit
    table: pd.DataFrame
    kinds: tuple[str, ...]
    standardiser: crops.Standardiser
    padded: int


def fit_run(run: str, found: StudyData, protocol: str, crop: crops.CropRecipe, settings: Mapping, *,
            params: Mapping | None = None, seed: int = 42, encoders: Sequence | None = None, callbacks: Sequence = ()) -> Trained:
    """Train run ``run`` (:data:`RUNS`) on ``protocol``'s training tracks (random crops), stopping early on the loss
    of its validation tracks' mid-track crops; nothing of the test tracks is read.

    ``params`` override the network's parameters (``settings["model_params"]`` first); ``encoders``: MixNet's trained
    NNET1 and NNET2; ``callbacks``: an Optuna pruner.
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
    training = dict(epochs=settings["epochs"], patience=settings["patience"], batch_size=settings["batch_size"], seed=seed,
                    crop_seconds=crop.seconds, sample_rate=crop.sample_rate)
    fit = nets.fit(model, crops.crop_dataset(train), crops.crop_dataset(valid), epochs=settings["epochs"],
                   patience=settings["patience"], callbacks=callbacks, desc=f"{run} {protocol}",
                   settings={"model": {**nets.defaults(network), **chosen}, "training": training})
    return Trained(run, protocol, fit, table, tuple(kinds), standardiser, len(train.padded))


def _mid_crop_scores(found: StudyData, trained: Trained, crop: crops.CropRecipe, settings: Mapping, part: str):
    """Probabilities and integer truth of ``part``'s tracks on their mid-track crops, never augmented (the training
    tracks are read as a held-out part would be, so that their accuracy is not that of augmented crops)."""
    rows = trained.table[trained.table["split"] == part].assign(split="test")
    batches = _batches(found, rows, "test", trained.kinds, crop, trained.standardiser, settings, 0)
    probabilities, truth = _test_scores(trained.fit.model, batches)
    return probabilities, truth, batches.track_ids


def score_run(found: StudyData, trained: Trained, crop: crops.CropRecipe, settings: Mapping, *, dataset: str, seed: int = 42,
              resamples: int = 1000, extra: Mapping | None = None) -> Run:
    """The record of a trained run: test metrics on the mid-track crops of the test tracks, the test loss, accuracy on
    the training tracks' mid-track crops (what the failed-run rule reads), the history and the test predictions."""
    fit, table, labels = trained.fit, trained.table, found.labels
    probabilities, truth, test_ids = _mid_crop_scores(found, trained, crop, settings, "test")
    train_probabilities, train_truth, _ = _mid_crop_scores(found, trained, crop, settings, "train")
    predicted = np.asarray(labels)[probabilities.argmax(axis=1)]
    true_genres = np.asarray(labels)[truth]
    best = fit.history.loc[fit.best_epoch]
    test_loss = float(-np.mean(np.log(np.clip(probabilities[np.arange(len(truth)), truth], 1e-7, 1.0))))
    network = RUNS[trained.run][0]
    record = evaluate.evaluate(
        true_genres, predicted, labels, experiment=EXPERIMENT, model=trained.run, dataset=dataset, protocol=trained.protocol,
        representation=representation(trained.run, crop), train_seconds=fit.seconds, params=fit.settings, resamples=resamples,
        seed=seed, train_genres=table.loc[table["split"] == "train", "genre"].tolist(),
        valid_genres=table.loc[table["split"] == "valid", "genre"].tolist(),
        extra=dict(network=network, inputs=list(trained.kinds), test_loss=test_loss,
                   train_accuracy=float(np.mean(train_probabilities.argmax(axis=1) == train_truth)),
                   valid_accuracy=float(best["val_accuracy"]), valid_loss=float(best["val_loss"]),
                   epochs_run=len(fit.history), best_epoch=fit.best_epoch, unit="clip",
                   test_crop="mid-track", train_crops="random, drawn anew each epoch", padded_tracks=trained.padded,
                   history={column: fit.history[column].astype(float).tolist() for column in
                            ("loss", "accuracy", "val_loss", "val_accuracy")},
                   test_clips=dict(id=list(test_ids), truth=true_genres.tolist(), predicted=predicted.tolist()),
                   **dict(extra or {})))
    return Run(record, fit)


def train_run(run: str, found: StudyData, protocol: str, crop: crops.CropRecipe, settings: Mapping, *, dataset: str,
              params: Mapping | None = None, seed: int = 42, resamples: int = 1000, encoders: Sequence | None = None,
              extra: Mapping | None = None) -> Run:
    """:func:`fit_run` then :func:`score_run`: the record (not saved) and the fit."""
    trained = fit_run(run, found, protocol, crop, settings, params=params, seed=seed, encoders=encoders)
    return score_run(found, trained, crop, settings, dataset=dataset, seed=seed, resamples=resamples, extra=extra)


# --- Optuna --------------------------------------------------------------------------------

def study_file(results_dir: str | os.PathLike, dataset: str, profile: str) -> Path:
    """The SQLite file of the notebook's Optuna studies: one per dataset and profile, beside the records."""
    return Path(results_dir) / EXPERIMENT / f"optuna__{evaluate.slug(dataset)}__{profile}.sqlite3"


def study_name(run: str, found: StudyData, protocol: str, crop: crops.CropRecipe, settings: Mapping, *, dataset: str,
               profile: str, seed: int) -> str:
    """The name of ``run``'s study under ``protocol``: run, split, dataset, profile and seed in words, then a digest of
    everything else that shapes a trial (crop recipe, epochs, patience, batch, the network's parameters, the training
    and validation tracks), so that a study shared through ``$MGC_OPTUNA_STORAGE`` is resumed only by the same search."""
    from ..data import cache

    network = RUNS[run][0]
    table = found.splits[protocol]
    digest = cache.key(crop, {k: settings[k] for k in ("epochs", "patience", "batch_size")},
                       settings["model_params"].get(network, {}),
                       {part: sorted(table.loc[table["split"] == part, "track_id"]) for part in ("train", "valid")})
    return f"{run} · {protocol} · {dataset} · {profile} · seed {seed} · {digest[:10]}"


@dataclass
class TunedRun:
    run: Run
    search: optuna_search.Search


def tuned_run(run: str, found: StudyData, protocol: str, crop: crops.CropRecipe, settings: Mapping, *, dataset: str,
              storage: str | os.PathLike, profile: str = "report", seed: int = 42, resamples: int = 1000) -> TunedRun:
    """Search the learning rate and weight decay of ``run`` with Optuna on ``protocol``'s validation tracks
    (``settings["trials"]`` finished trials, median pruning on the validation loss per epoch after the first
    ``patience`` epochs, the study kept in ``storage``); trials never read the test tracks. The run is the best trial,
    scored once; it is trained again with its parameters when this process did not train it (a resumed study)."""
    best: dict = {}
    name = study_name(run, found, protocol, crop, settings, dataset=dataset, profile=profile, seed=seed)

    def objective(params: dict[str, float], report_epoch) -> float:
        trained = fit_run(run, found, protocol, crop, settings, params=params, seed=seed,
                          callbacks=[optuna_search.pruning_callback(report_epoch)])
        value = float(trained.fit.history["val_loss"].min())
        if not best or value < best["value"]:
            best.update(value=value, params=dict(params), trained=trained)
        return value

    trials = settings["trials"]
    # Pruning waits for half the trials and, within a trial, for the early-stopping patience (a low learning rate
    # starts slowly); TPE models the results after its random start-up trials, at most 10: a 4-trial report search is
    # a seeded random search, and the notebook says so.
    search = optuna_search.search(objective, study_name=name, storage=storage, trials=trials, seed=seed,
                                  startup_trials=min(10, trials), pruner_startup_trials=max(1, trials // 2),
                                  warmup_epochs=min(settings["patience"], settings["epochs"] - 1))
    chosen = search.best_params
    trained = best["trained"] if best.get("params") == chosen else \
        fit_run(run, found, protocol, crop, settings, params=chosen, seed=seed)
    states = search.trials["state"].value_counts().to_dict()
    optuna = evaluate.jsonable(dict(
        study=name, storage=Path(os.fspath(storage)).name if "://" not in os.fspath(storage) else "database URL",
        trials=int(len(search.trials)), complete=int(states.get("COMPLETE", 0)), pruned=int(states.get("PRUNED", 0)),
        best_params=chosen, best_valid_loss=search.best_value, ran_here=search.ran))
    scored = score_run(found, trained, crop, settings, dataset=dataset, seed=seed, resamples=resamples, extra={"optuna": optuna})
    return TunedRun(scored, search)


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


def _mixnet_extra(settings: Mapping) -> dict:
    trained = {**nets.defaults("mixnet"), **settings["model_params"].get("mixnet", {})}["train_encoders"]
    extra = {"weights_origin": "encoders of this split's trained nnet1 and nnet2-mfcc (same seed), "
                               + ("trained further with the classifier" if trained else "frozen")}
    if trained:
        extra["variant"] = "trained-encoders"  # its own record: never replaces the frozen-encoder run
    return extra


def run_protocol(found: StudyData, protocol: str, crop: crops.CropRecipe, settings: Mapping, *, dataset: str, storage,
                 seed: int = 42, resamples: int = 1000, results_dir=None, profile: str = "report",
                 runs: Sequence[str] = tuple(RUNS), tuned_params: Mapping[str, dict] | None = None,
                 ) -> tuple[dict[str, Run], dict[tuple[str, str], optuna_search.Search]]:
    """Every run of ``runs`` under ``protocol`` at training seed ``seed``, in :data:`RUNS` order (MixNet after its two
    encoders). A tuned run searches its parameters with Optuna unless ``tuned_params`` gives them (a further seed
    trains with the first seed's best parameters, not a search of its own); a run of :data:`TUNED_FROM` takes its
    source's parameters."""
    done: dict[str, Run] = {}
    searches = {}
    tuned_params = dict(tuned_params or {})
    for run in (r for r in RUNS if r in runs):
        if run in TUNED and run not in tuned_params:
            tuned = tuned_run(run, found, protocol, crop, settings, dataset=dataset, storage=storage, profile=profile, seed=seed,
                              resamples=resamples)
            done[run], searches[(run, protocol)] = tuned.run, tuned.search
            tuned_params[run] = tuned.run.record["extra"]["optuna"]["best_params"]
        else:
            source = run if run in TUNED else TUNED_FROM.get(run)
            params = tuned_params.get(source)
            encoders = (done["nnet1"].fit.model, done["nnet2-mfcc"].fit.model) if run == "mixnet" else None
            # a further seed of a tuned run names the search it reuses; a run of TUNED_FROM names its source
            extra = {"tuned_from": f"{run}, the first training seed's search" if source == run else source} if params else {}
            if run == "mixnet":
                extra.update(_mixnet_extra(settings))
            done[run] = train_run(run, found, protocol, crop, settings, dataset=dataset, params=params, seed=seed,
                                  resamples=resamples, encoders=encoders, extra=extra)
        _save(done[run].record, results_dir, profile)
    return done, searches


def honest_protocol(found: StudyData, fixed: str | None) -> str:
    """The split read as honest: the dataset's fixed split when it left every part filled, else the random one (said
    in one line); a :class:`cli.UserError` when no split could be made at all."""
    from .. import cli

    if fixed and fixed in found.splits:
        return fixed
    if "random-70/10/20" in found.splits:
        if fixed:
            print(f"the {fixed} split leaves a part empty on these {len(found.tracks)} tracks: the honest split here is "
                  "random-70/10/20 (clips split at random, so its scores are optimistic)")
        return "random-70/10/20"
    raise cli.UserError(f"{len(found.tracks)} decoded tracks are too few to split into training, validation and test "
                        "tracks; give a dataset with more clips per genre")


def run_study(found: StudyData, crop: crops.CropRecipe, settings: Mapping, *, dataset: str, honest: str, storage,
              seed: int = 42, resamples: int = 1000, results_dir=None, profile: str = "report") -> StudyRuns:
    """Every run under every protocol of ``found`` (``honest`` first), then the profile's ``seeded_runs`` again on the
    honest split with ``settings["seeds"] - 1`` further training seeds (``seed + 1``, ...), each with the first
    seed's tuned parameters."""
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
    tuned = {run: study.main[honest][run].record["extra"]["optuna"]["best_params"] for run in TUNED}
    for extra_seed in range(seed + 1, seed + settings["seeds"]):
        runs, _ = run_protocol(found, honest, crop, settings, dataset=dataset, storage=storage, seed=extra_seed,
                               resamples=resamples, results_dir=results_dir, profile=profile, runs=sorted(needed),
                               tuned_params=tuned)
        for run in seeded:
            study.seeded[run].append(runs[run])
    return study


# --- tables, figures' data and the reading -------------------------------------------------

def _loss(record: dict) -> str:
    value = record.get("extra", {}).get("test_loss")
    return "n/a" if value is None else f"{value:.2f}"  # a baseline has no loss


def seed_style_table(records: Sequence[dict]) -> pd.DataFrame:
    """The FMA report's table from records: test accuracy (95 % interval), test loss, macro-F1, balanced accuracy,
    tracks per part, epochs (best). The records' dataset is the caption's (the notebook prints it above)."""
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


def optuna_table(searches: Mapping[tuple[str, str], optuna_search.Search], found: StudyData) -> pd.DataFrame:
    """One row per trial of every study: network, split (with its validation tracks), trial, state, validation
    loss, parameters, seconds."""
    frames = []
    for (run, protocol), search in searches.items():
        valid = int((found.splits[protocol]["split"] == "valid").sum())
        frames.append(search.trials.assign(network=run, split=f"{protocol} ({valid} valid)"))
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


def part_sizes(found: StudyData, protocol: str) -> str:
    """``n train / n valid / n test tracks`` of ``protocol``, for titles and captions."""
    counts = found.splits[protocol]["split"].value_counts()
    return " / ".join(f"{int(counts.get(part, 0))} {part}" for part in ("train", "valid", "test")) + " tracks"


def _seeded_pairs(study: StudyRuns) -> list[tuple[str, list[dict], str, list[dict]]]:
    """The pairs of :data:`SEED_PAIRS` that ran over seeds: ``(name, its records per seed, reference, its records)``."""
    return [(a, [r.record for r in study.seeded[a]], b, [r.record for r in study.seeded[b]])
            for a, b in SEED_PAIRS if a in study.seeded and b in study.seeded]


def seeded_table(study: StudyRuns, resamples: int = 1000, seed: int = 42) -> pd.DataFrame:
    """Each pair of seeded runs (``comparisons.seeded_row``): the split and its test tracks, each seed's difference in
    test accuracy, the mean with its paired interval, and the verdict (a pair with a failed run in any seed is not
    compared)."""
    return pd.DataFrame([comparisons.seeded_row(*pair[:2], *pair[2:], resamples=resamples, seed=seed)
                         for pair in _seeded_pairs(study)])


def seed_accuracies(study: StudyRuns) -> pd.DataFrame:
    """Test accuracy of each seeded run per training seed (failed runs marked), with the spread (max minus min)."""
    rows = []
    for run, runs in study.seeded.items():
        values = [r.record["metrics"]["accuracy"]["value"] for r in runs]
        learned = [v for r, v in zip(runs, values) if not failure(r.record)]
        first = runs[0].record
        rows.append({"network": run, "split": first["protocol"], "test tracks": first["sizes"]["test"],
                     **{f"seed {training_seed(r.record)}": f"{v:.3f}" + (" (failed)" if failure(r.record) else "")
                        for r, v in zip(runs, values)},
                     # over the seeds that learned: a failed run's score says how it failed, not how seeds vary
                     "spread (learned)": f"{max(learned) - min(learned):.3f}" if len(learned) > 1 else "n/a"})
    return pd.DataFrame(rows)


def _fma_ranking(records: Mapping[str, dict], protocol: str) -> str | None:
    """The FMA report's order (MixNet above NNET2 above NNET1 in test accuracy) against ours, one run each."""
    names = ("mixnet", "nnet2-mfcc", "nnet1")
    if not all(n in records for n in names):
        return None
    ours = sorted(names, key=lambda n: -records[n]["metrics"]["accuracy"]["value"])
    same = "the same order" if list(ours) == list(names) else "another order"
    return (f"- The FMA report ranked MixNet above NNET2 above NNET1; on *{protocol}* these runs give "
            f"{' > '.join(ours)} ({same}; one run each, so neither order is a finding here).")


def reading(study: StudyRuns, baselines: Mapping[str, dict], honest: str, label: str, resamples: int = 1000,
            seed: int = 42) -> str:
    """The generated reading: what learned and what failed per split (one run each), the split gap, the FMA report's
    ranking against ours, and each seeded pair's verdict (the slides' fusion question among them)."""
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
            head += f"; did not learn or predict one genre for most tracks (reported as failed): {', '.join(failed)}"
        lines.append(head + ". Each is one run: a ranking between single runs is not a finding.")
    if honest in study.main and len(study.main) > 1:
        other = next(p for p in study.main if p != honest)
        gaps = [f"{name} {study.main[other][name].record['metrics']['accuracy']['value'] - r.record['metrics']['accuracy']['value']:+.3f}"
                for name, r in study.main[honest].items() if name in study.main[other]]
        lines.append(f"- *{other}* minus *{honest}*, test accuracy per network (one run each, different test tracks): "
                     + ", ".join(gaps) + ".")
    if honest in study.main:
        ranking = _fma_ranking({n: r.record for n, r in study.main[honest].items() if not failure(r.record)}, honest)
        lines.append(ranking or "- The FMA report's ranking (MixNet > NNET2 > NNET1) cannot be checked here: one of the "
                                "three runs failed.")
    for name, records, reference, references in _seeded_pairs(study):
        failed = comparisons.failed_in_seeds(records, references)
        if failed:
            lines.append(f"- {name} minus {reference}: not compared, failed: {failed}; a score of the same network "
                         "from another seed is fragile.")
            continue
        diff = comparisons.seeded_difference(records, references, resamples=resamples, seed=seed)
        lines.append("- " + comparisons.difference_sentence(name, reference, diff, honest, records[0]["sizes"]["test"]) + ".")
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


# --- Wav2Vec2 (the features report's raw-waveform model) ------------------------------------

WAV2VEC2_RUNS = ("wav2vec2-frozen", "wav2vec2-fine-tune")


def wav2vec2_weights(settings: Mapping) -> wav2vec2_transfer.Weights:
    """The Wav2Vec2 weights of the profile (``settings["wav2vec2"]["hub"]``: may they come from the Hub), with the one
    line that says which, or why there are none, printed."""
    found = wav2vec2_transfer.weights(hub=settings["wav2vec2"]["hub"])
    print(found.message)
    return found


def wav2vec2_plan(settings: Mapping) -> str:
    """What the profile's Wav2Vec2 runs do, in one line (they run only with real weights)."""
    w2v = settings["wav2vec2"]
    layer = "the last hidden state" if w2v["layer"] is None else f"hidden state {w2v['layer']}"
    excerpt = "each whole clip" if w2v["excerpt_seconds"] is None else f"the mid-track {w2v['excerpt_seconds']:g} s of each clip"
    tune = (f"fine-tuning on random {w2v['crop_seconds']:g}-s crops at learning rate {w2v['tune_learning_rate']:g}, at most "
            f"{w2v['tune_epochs']} epochs, patience {w2v['tune_patience']}") if w2v["fine_tune"] else \
        "no fine-tuning in this profile (the paper profile fine-tunes; see benchmarks/wav2vec2_cost.py for its cost)"
    return f"Wav2Vec2 plan: frozen, {layer} averaged over {excerpt}, the report's head for 10 epochs; {tune}"


def wav2vec2_seed_rows():
    """The features report's two Wav2Vec2 numbers (``helpers.results.seed_reports``)."""
    from ..results import seed_reports

    rows = seed_reports.report_rows("features report")
    return rows[rows["model"].str.startswith("Wav2Vec2")].reset_index(drop=True)


def _w2v_record(run: str, probabilities: np.ndarray, truth: np.ndarray, table: pd.DataFrame, test_ids: Sequence[str],
                labels: Sequence[str], *, protocol: str, dataset: str, representation: str, fit: networks.NetworkFit,
                resamples: int, seed: int, extra: Mapping) -> dict:
    predicted = np.asarray(labels)[probabilities.argmax(axis=1)]
    true_genres = np.asarray(labels)[truth]
    best = fit.history.loc[fit.best_epoch]
    test_loss = float(-np.mean(np.log(np.clip(probabilities[np.arange(len(truth)), truth], 1e-7, 1.0))))
    return evaluate.evaluate(
        true_genres, predicted, labels, experiment=EXPERIMENT, model=run, dataset=dataset, protocol=protocol,
        representation=representation, train_seconds=fit.seconds, params=fit.settings, resamples=resamples, seed=seed,
        train_genres=table.loc[table["split"] == "train", "genre"].tolist(),
        valid_genres=table.loc[table["split"] == "valid", "genre"].tolist(),
        extra=dict(network=run, test_loss=test_loss, train_accuracy=float(best["accuracy"]), valid_accuracy=float(best["val_accuracy"]),
                   valid_loss=float(best["val_loss"]), epochs_run=len(fit.history), best_epoch=fit.best_epoch, unit="clip",
                   history={c: fit.history[c].astype(float).tolist() for c in ("loss", "accuracy", "val_loss", "val_accuracy")},
                   test_clips=dict(id=list(test_ids), truth=true_genres.tolist(), predicted=predicted.tolist()), **extra))


def _frozen_fit(X: np.ndarray, table: pd.DataFrame, labels: Sequence[str], seed: int) -> networks.NetworkFit:
    import time

    model = wav2vec2_transfer.frozen_head(X.shape[1], len(labels), seed)  # loads Keras quietly first
    import keras

    codes = table["genre"].map({g: i for i, g in enumerate(labels)}).to_numpy()
    train, valid = (table["split"] == "train").to_numpy(), (table["split"] == "valid").to_numpy()
    epochs = wav2vec2_transfer.HEAD["epochs"]
    keep_best = keras.callbacks.EarlyStopping(monitor="val_loss", patience=epochs, restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(X[train], codes[train], validation_data=(X[valid], codes[valid]), epochs=epochs, batch_size=32,
                        callbacks=[keep_best], verbose=0).history
    history = pd.DataFrame(history).rename_axis("epoch")
    history.index += 1
    settings = {"model": dict(wav2vec2_transfer.HEAD), "training": dict(epochs=epochs, batch_size=32, seed=seed)}
    return networks.NetworkFit(model, history, time.perf_counter() - start, int(history["val_loss"].idxmin()), settings)


def wav2vec2_runs(found: StudyData, weights: wav2vec2_transfer.Weights, settings: Mapping, *, dataset: str, seed: int = 42,
                  resamples: int = 1000, results_dir=None, profile: str = "report", cache_dir=None) -> list[dict]:
    """The report's frozen and fine-tuned Wav2Vec2 under every protocol of ``found``, when ``weights`` holds an encoder
    (none otherwise: no record is ever made of a model without real weights). Records name the weights' origin."""
    if weights.encoder is None:
        return []
    w2v = settings["wav2vec2"]
    layer = weights.encoder.config.num_hidden_layers if w2v["layer"] is None else w2v["layer"]
    waveforms, failed = waveform_inputs.track_waveforms(found.tracks, wav2vec2.SAMPLE_RATE, cache_dir)
    if failed:
        from .. import cli

        raise cli.UserError(f"{len(failed)} clip(s) that decoded for the other networks could not be decoded at "
                            f"{wav2vec2.SAMPLE_RATE} Hz for Wav2Vec2, e.g. {failed[0]}")
    ids = found.tracks["track_id"].tolist()
    X = wav2vec2_transfer.clip_embeddings(weights, waveforms, ids, layer, w2v["excerpt_seconds"])
    rows = {t: i for i, t in enumerate(ids)}
    excerpt = "whole clip" if w2v["excerpt_seconds"] is None else f"mid-track {w2v['excerpt_seconds']:g} s"
    # the weights' origin is part of a record's identity: two checkpoints of one shape never replace each other's records
    import hashlib

    common = dict(weights_origin=weights.origin, layer=layer, normalised_input=weights.normalise,
                  variant=f"weights-{hashlib.sha1(weights.origin.encode()).hexdigest()[:8]}")
    records = []
    for protocol, table in found.splits.items():
        index = table["track_id"].map(rows).to_numpy()
        fit = _frozen_fit(X[index], table, found.labels, seed)
        test = (table["split"] == "test").to_numpy()
        probabilities = np.asarray(fit.model.predict(X[index][test], verbose=0))
        truth = table.loc[test, "genre"].map({g: i for i, g in enumerate(found.labels)}).to_numpy()
        records.append(_w2v_record("wav2vec2-frozen", probabilities, truth, table, table.loc[test, "track_id"].tolist(), found.labels,
                                   protocol=protocol, dataset=dataset, representation=f"wav2vec2 layer {layer}, mean over time ({excerpt})",
                                   fit=fit, resamples=resamples, seed=seed, extra=dict(common, excerpt=excerpt)))
        _save(records[-1], results_dir, profile)
    if not w2v["fine_tune"]:
        return records
    crop = crops.CropRecipe(sample_rate=wav2vec2.SAMPLE_RATE, seconds=w2v["crop_seconds"])
    for protocol, table in found.splits.items():
        # every fine-tuning starts from the loaded weights, never from another protocol's tuned copy
        fresh = wav2vec2_transfer.Weights(wav2vec2.load(weights.encoder.folder), weights.origin, weights.normalise)
        model = wav2vec2_transfer.fine_tune_model(fresh, layer, crop.length, len(found.labels), w2v["tune_learning_rate"], seed)
        parts = {part: crops.CropBatches(waveforms, table, part, ("waveform",), crop, found.labels, batch_size=w2v["batch_size"],
                                         augment=False, seed=seed) for part in ("train", "valid", "test")}
        fit = nets.fit(model, crops.crop_dataset(parts["train"]), crops.crop_dataset(parts["valid"]), epochs=w2v["tune_epochs"],
                       patience=w2v["tune_patience"], desc=f"wav2vec2 fine-tune {protocol}",
                       settings={"model": dict(wav2vec2_transfer.HEAD, learning_rate=w2v["tune_learning_rate"]),
                                 "training": dict(epochs=w2v["tune_epochs"], patience=w2v["tune_patience"], seed=seed,
                                                  crop_seconds=crop.seconds, batch_size=w2v["batch_size"])})
        probabilities, truth = _test_scores(fit.model, parts["test"])
        records.append(_w2v_record("wav2vec2-fine-tune", probabilities, truth, table, parts["test"].track_ids, found.labels,
                                   protocol=protocol, dataset=dataset,
                                   representation=f"wav2vec2 up to layer {layer}, {crop.seconds:g}-s 16-kHz crops",
                                   fit=fit, resamples=resamples, seed=seed,
                                   extra=dict(common, test_crop="mid-track", train_crops="random, drawn anew each epoch")))
        _save(records[-1], results_dir, profile)
    return records
