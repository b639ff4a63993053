"""What notebook 04 runs: spectrogram CNNs, a keras-tuner grid search per protocol, and saved models for new audio.

* Inputs (:class:`Inputs`: a table, its network inputs and what they are called): this repository's
  mel PNGs (:func:`own_images`), the Kaggle images when the dataset has them (:func:`kaggle_images`)
  and 3-s log-mel segments (:func:`segment_inputs`); :func:`input_figures` shows them and what
  training-time augmentation does.
* Networks on the images under the 30-s protocols (:func:`protocols`): :func:`baselines` (majority class),
  :func:`network_runs` (the base CNN, with the equal-size control of :func:`equal_train_size`; the CRNN),
  :func:`grid_searches` and :func:`save_searches` (the grid searched once per protocol on its own
  validation clips), :func:`tuned_runs` (each protocol's best setting retrained) and :func:`tuned_confusions`.
* Networks on the audio (:class:`AudioNetwork`, :func:`audio_networks`) on every clip and on the
  balanced genres (:func:`audio_sets`): :func:`audio_runs`, with a majority baseline for each.
* :func:`save_audio_models`: the audio networks that ``python -m helpers.predict`` can run on new files.

The networks, splits and tuner live in ``helpers.models``; each function here is one cell's worth of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import data, plots
from ..inputs import augment, network_inputs, spectrograms
from ..models import artifacts, network_splits, networks, tuning, zoo
from ..results import evaluate, report
from ..runtime import display_path
from .prepare import SEGMENT_MEL, SEGMENT_SECONDS

EXPERIMENT = "cnn_gridsearch"
SEED_PROTOCOL = "random-70/10/20"  # the main seed report's split of the 30-s clips
SEGMENT_PROTOCOL = "random-50/20/30"  # the 3-s-segment report's split
GRID_MODEL = "base-cnn"  # the network the grid search tunes
# Saved model name -> (audio network label, protocol): the runs whose inputs can be rebuilt from an audio file.
SAVED_MODELS = {"base-cnn-own-png": ("base-cnn (own PNGs)", SEED_PROTOCOL), "small-cnn-log-mel-3s": ("small-cnn", SEGMENT_PROTOCOL)}

Run = tuple[dict, pd.DataFrame, networks.NetworkFit]  # (record, test predictions per clip, fit), as networks returns


class Inputs(NamedTuple):
    """Network inputs ``X`` whose rows are ``table``'s (``track_id, genre`` [``segment``], ``fixed_split``), and
    what they are called in records (their ``representation``)."""

    table: pd.DataFrame
    X: np.ndarray
    name: str


def protocols(fixed: str | None) -> tuple[list[str], list[str]]:
    """The protocols of the 30-s clips and of the 3-s segments: each report's random split, then the dataset's
    fixed split when it has one."""
    extra = [fixed] if fixed else []
    return [SEED_PROTOCOL, *extra], [SEGMENT_PROTOCOL, *extra]


def fit_settings(net: Mapping, resamples: int, seed: int) -> dict:
    """The fit settings every network of the notebook shares (from the profile's ``NETWORKS``)."""
    return dict(epochs=net["epochs"], batch_size=net["batch_size"], patience=net["patience"], augment=augment.AUGMENT,
                resamples=resamples, seed=seed)


# --- inputs ----------------------------------------------------------------------------------

def own_images(tracks: pd.DataFrame, size: int, png_dir: str | Path, cache_dir: str | Path | None = None, jobs: int = 1) -> Inputs:
    """This repository's mel PNG of every readable clip (rendered now when missing: notebook 02 shares the
    folder) as ``size`` x ``size`` grayscale arrays in [0, 1]."""
    index = spectrograms.render_pngs(tracks, png_dir, jobs=jobs).index
    table = data.attach_fixed_split(index[["track_id", "genre"]], tracks)
    return Inputs(table, network_inputs.image_arrays(index["path"], size, cache_dir=cache_dir), f"own mel PNGs {size}x{size}")


def kaggle_images(images_dir: str | Path | None, size: int, color: str, max_per_genre: int | None,
                  fixed_split: Callable[[pd.DataFrame], pd.Series], cache_dir: str | Path | None = None) -> Inputs | None:
    """The Kaggle ``images_original`` PNGs (white border cropped) at most ``max_per_genre`` per genre, with the
    dataset's fixed split; ``None`` when the dataset has no such folder."""
    if images_dir is None:
        return None
    table = data.limit_per_genre(spectrograms.kaggle_image_table(images_dir), max_per_genre)
    table = table.assign(fixed_split=fixed_split(table))
    X = network_inputs.image_arrays(table["path"], size, color, crop_border=True, cache_dir=cache_dir)
    return Inputs(table, X, f"Kaggle images {size}x{size} {color}")


def segment_inputs(tracks: pd.DataFrame, per_clip: int | None, cache_dir: str | Path | None = None, jobs: int = 1) -> Inputs:
    """The small CNN's input: 64-band log-mel arrays of 3-s segments (``per_clip`` per clip, ``None``: all),
    each row carrying its clip's fixed split (segments follow their clip)."""
    segmented = network_inputs.log_mel_segments(tracks, SEGMENT_SECONDS, SEGMENT_MEL, per_clip=per_clip, cache_dir=cache_dir,
                                                jobs=jobs)
    return Inputs(data.attach_fixed_split(segmented.table, tracks), segmented.X,
                  f"log-mel {SEGMENT_SECONDS:g} s x {SEGMENT_MEL.n_mels} bands ({per_clip or 'all'} per clip)")


def input_figures(images: Inputs, label: str, seed: int, figures_dir: str | Path) -> None:
    """One input per genre, and four training-time augmentations of the first (saved and shown)."""
    first = images.table.groupby("genre").head(1).index
    fig = plots.array_grid(images.X[first], images.table.loc[first, "track_id"], f"{label}: {images.name}, one per genre")
    plots.save(fig, figures_dir, "04_inputs_per_genre")
    augmenter = augment.spectrogram_augmenter(**augment.AUGMENT, seed=seed)
    variants = np.asarray(augmenter(np.repeat(images.X[first[:1]], 4, axis=0), training=True))
    fig = plots.array_grid(np.concatenate([images.X[first[:1]], variants]), ["original"] + [f"augmented {i + 1}" for i in range(4)],
                           f"{label}: training-time augmentation of {images.table.loc[first[0], 'track_id']} "
                           f"({plots.format_params(augment.AUGMENT)})")
    plots.save(fig, figures_dir, "04_augmentation")


# --- networks on the images ------------------------------------------------------------------

def equal_train_size(table: pd.DataFrame, fixed: str | None, seed: int) -> int | None:
    """The training size of the equal-size control: the fixed split's training clips, or ``None`` when there is
    no fixed split or it trains on no fewer clips than the seed's random split (nothing to control for)."""
    equal = network_splits.fixed_train_size(table, fixed) if fixed else None
    if equal is not None and equal >= (network_splits.network_split(table, SEED_PROTOCOL, seed=seed) == "train").sum():
        return None
    return equal


def baselines(inputs: Inputs, protocols: Sequence[str], **settings) -> dict[str, dict]:
    """The majority-class baseline of each protocol on ``inputs``' clips (``network_splits.majority_baselines``;
    ``settings``: its run settings): the floor every network of that protocol is read against."""
    return network_splits.majority_baselines(inputs.table, protocols, representation=inputs.name, **settings)


def network_runs(name: str, inputs: Inputs, protocols: Sequence[str], *, params: dict | None, label: str | None = None,
                 equal_size: int | None = None, **settings) -> dict[str, Run]:
    """Network ``name`` on ``inputs`` under each protocol (``networks.run_network_protocols``; ``settings``: its
    run and fit settings); with ``equal_size``, then also under the seed's random split cut to that many
    training clips (keyed ``random-70/10/20@<n>``)."""
    runs = networks.run_network_protocols(name, inputs.X, inputs.table, protocols, representation=inputs.name, label=label,
                                          params=params, **settings)
    if equal_size:
        runs.update(networks.run_network_protocols(name, inputs.X, inputs.table, [SEED_PROTOCOL], representation=inputs.name,
                                                   label=label, params=params, train_size=equal_size, **settings))
    return runs


def records(*runs: Mapping[object, Run]) -> list[dict]:
    """The records of several ``{key: (record, predictions, fit)}``, in order."""
    return [run[0] for found in runs for run in found.values()]


def histories(runs: Mapping[str, Run]) -> dict[str, pd.DataFrame]:
    """Each protocol's training history (one row per epoch), for ``plots.training_curves``."""
    return {protocol: fit.history for protocol, (_, _, fit) in runs.items()}


# --- the grid search -------------------------------------------------------------------------

def grid_summary(grid_name: str, tuner_epochs: int) -> str:
    """One line: the grid's values per parameter, the trials per protocol and the epochs per trial."""
    grid = zoo.grid(grid_name)
    return (f"grid {grid_name!r}: " + "; ".join(f"{key} in {values}" for key, values in grid.items())
            + f" ({int(np.prod([len(v) for v in grid.values()]))} trials per protocol, at most {tuner_epochs} epochs each)")


def grid_searches(grid_name: str, images: Inputs, protocols: Sequence[str], *, net: Mapping, dataset: str, directory: str | Path,
                  overwrite: bool, seed: int, params: dict | None) -> dict[str, tuple[pd.DataFrame, dict]]:
    """The base CNN's grid ``grid_name`` searched once per protocol on that protocol's train and valid clips
    (``tuning.grid_search_per_protocol``; settings from the profile's ``NETWORKS``). The tuner's folder is named
    after the dataset, grid and image size, so that another run never reloads this one's trials."""
    return tuning.grid_search_per_protocol(
        GRID_MODEL, zoo.grid(grid_name), images.X, images.table, protocols, directory=directory,
        project_prefix=f"{dataset}-{GRID_MODEL}-{grid_name}-{net['image_size']}px", overwrite=overwrite,
        epochs=net["tuner_epochs"], batch_size=net["batch_size"], patience=net["patience"], augment=augment.AUGMENT,
        seed=seed, params=params)


def save_searches(searches: Mapping[str, tuple[pd.DataFrame, dict]], *, dataset: str, grid_name: str, results_dir: str | Path,
                  title: str, figures_dir: str | Path) -> list[Path]:
    """Each protocol's trial table as a CSV beside the records, and its figure (saved and shown); the CSV paths."""
    paths = []
    for protocol, (trials, _) in searches.items():
        paths.append(Path(results_dir) / EXPERIMENT / f"{dataset}__{GRID_MODEL}__grid-{grid_name}__{evaluate.slug(protocol)}__trials.csv")
        paths[-1].parent.mkdir(parents=True, exist_ok=True)  # a search reloaded before any record was written
        trials.to_csv(paths[-1], index=False)
        fig = plots.trial_scores(trials, f"{title}, {protocol}: validation accuracy per grid trial ({len(trials)} trials)")
        plots.save(fig, figures_dir, f"04_grid_trials_{evaluate.slug(protocol)}")
    return paths


def grid_reading(searches: Mapping[str, tuple[pd.DataFrame, dict]]) -> str:
    """What each protocol's search chose, against the base CNN's own settings."""
    return report.grid_reading(searches, zoo.spectrogram_defaults(GRID_MODEL))


def tuned_runs(searches: Mapping[str, tuple[pd.DataFrame, dict]], images: Inputs, *, params: dict | None, **settings) -> dict[str, Run]:
    """Each protocol's best setting retrained from scratch under that protocol only (model ``tuned-cnn``), so that
    no setting is scored on test clips of the protocol that chose another one."""
    tuned = {}
    for protocol, (trials, best) in searches.items():
        runs = network_runs(GRID_MODEL, images, [protocol], label="tuned-cnn", params={**(params or {}), **best}, **settings)
        for record, _, _ in runs.values():  # how large the search was, for a reader who compares it with the seed's
            record.setdefault("extra", {})["grid_trials"] = int(len(trials))
            if settings.get("results_dir") is not None:
                evaluate.save(record, settings["results_dir"], profile=settings.get("profile"))
        tuned.update(runs)
    return tuned


def tuned_confusions(tuned: Mapping[str, Run], title: str, figures_dir: str | Path) -> tuple[pd.DataFrame, str]:
    """Per protocol: the tuned CNN's confusion matrix (saved and shown); the per-genre precision and recall of
    every protocol in one table (genres as rows, a column group per protocol) and a line each on its three most frequent mistakes."""
    tables, lines = {}, []
    for protocol, (record, _, _) in tuned.items():
        fig = plots.confusion(record, f"{title}, {protocol}: tuned CNN "
                                      f"(accuracy {record['metrics']['accuracy']['value']:.3f}, n={record['sizes']['test']})")
        plots.save(fig, figures_dir, f"04_confusion_tuned_cnn_{evaluate.slug(protocol)}")
        tables[protocol] = evaluate.per_genre_table(record)[["precision", "recall", "support"]]
        lines.append(f"{protocol}: most frequent mistakes: " + "; ".join(
            f"{m.true} as {m.predicted} ({m.count} of the {m.true} clips, {m.share:.0%})"
            for m in evaluate.top_confusions(record, 3).itertuples()))
    return (pd.concat(tables, axis=1, names=["protocol"]) if tables else pd.DataFrame()), "\n".join(lines)


def headline_record(tuned: Mapping[str, Run], fixed: str | None) -> dict:
    """The tuned CNN's record under the dataset's fixed (honest) protocol, else under its last protocol: the run
    whose mistakes the notebook plays."""
    protocol = fixed if fixed in tuned else list(tuned)[-1]
    return tuned[protocol][0]


# --- networks on the audio -------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class AudioNetwork:
    """A network on inputs computed from audio: the model name its records carry, the ``zoo`` network it builds,
    its inputs, protocols and the fit settings it overrides."""

    label: str
    network: str
    inputs: Inputs
    protocols: list[str]
    fit: dict = field(default_factory=dict)


def audio_networks(segments: Inputs, segment_protocols: Sequence[str], own: Inputs, clip_protocols: Sequence[str],
                   small_patience: int) -> list[AudioNetwork]:
    """The small CNN on 3-s segments (its own patience) and the base CNN on this repository's PNGs, in that order."""
    return [AudioNetwork("small-cnn", "small-cnn", segments, list(segment_protocols), {"patience": small_patience}),
            AudioNetwork("base-cnn (own PNGs)", "base-cnn", own, list(clip_protocols))]


def audio_sets(tracks: pd.DataFrame, dataset: str, label: str) -> dict[str, set[str] | None]:
    """``{dataset name: the track ids it keeps}``: the whole dataset (``None``: every clip), then, when its
    genres are imbalanced, the balanced subset of the largest genres (``data.balanced_subset``) under its own name."""
    sets: dict[str, set[str] | None] = {dataset: None}
    subset = data.balanced_subset(tracks, dataset, label)
    if subset is not None:
        subset_tracks, subset_name, _ = subset
        sets[subset_name] = set(subset_tracks["track_id"])
    return sets


def audio_runs(audio: Sequence[AudioNetwork], sets: Mapping[str, set[str] | None], *, experiment: str, results_dir: str | Path | None,
               profile: str | None,
               model_params: Mapping[str, dict], fit: Mapping) -> dict[tuple[str, str, str], tuple]:
    """Per dataset of ``sets`` and network of ``audio``: the majority baselines, then the network, under each of the
    network's protocols (``fit``: :func:`fit_settings`, whose seed and resamples the baselines share).

    Returns ``{(dataset, label, protocol): (record, predictions, fit)}``; the baseline on a network's inputs is
    keyed ``(dataset, "<label> baseline", protocol)`` with ``None`` for predictions and fit: the networks read
    different inputs (whole-clip PNGs, 3-s segments), so each has a baseline record of its own."""
    runs: dict[tuple[str, str, str], tuple] = {}
    for name, keep in sets.items():
        run = dict(experiment=experiment, dataset=name, results_dir=results_dir, profile=profile)
        for net in audio:
            rows = net.inputs.table if keep is None else net.inputs.table[net.inputs.table["track_id"].isin(keep)]
            # The rows of X kept, taken before the table is renumbered.
            kept = Inputs(rows.reset_index(drop=True), net.inputs.X[rows.index.to_numpy()], net.inputs.name)
            runs.update({(name, f"{net.label} baseline", p): (r, None, None) for p, r in baselines(
                kept, net.protocols, seed=fit["seed"], resamples=fit["resamples"], **run).items()})
            found = network_runs(net.network, kept, net.protocols, label=net.label, params=model_params.get(net.network),
                                 **run, **{**fit, **net.fit})
            runs.update({(name, net.label, p): r for p, r in found.items()})
    return runs


def audio_preprocessing(tracks: pd.DataFrame, image_size: int) -> dict[str, dict]:
    """The sidecar's input description of each saved audio network: the base CNN reads one mel PNG of a whole clip
    (the clips' median length), the small CNN 3-s log-mel segments."""
    clip_seconds = float(tracks["duration"].median().round())
    return {"base-cnn-own-png": artifacts.preprocessing("mel-image", image_size=image_size, window_seconds=clip_seconds),
            "small-cnn-log-mel-3s": artifacts.preprocessing("log-mel", mel=SEGMENT_MEL, window_seconds=SEGMENT_SECONDS)}


def save_audio_models(runs: Mapping[tuple[str, str, str], tuple], audio: Sequence[AudioNetwork], dataset: str,
                      preprocessing: Mapping[str, dict], models_dir: str | Path) -> dict[str, tuple[object, dict]]:
    """Save each model of ``preprocessing`` (a name of ``SAVED_MODELS`` -> :func:`audio_preprocessing`'s
    description of its input) trained on all of ``dataset`` with its sidecar, reload it and check (assert) that it
    predicts the same probabilities on its first eight inputs. Returns ``{name: (reloaded model, sidecar)}``."""
    inputs = {net.label: net.inputs.X for net in audio}
    saved = {}
    for name, prep in preprocessing.items():
        label, protocol = SAVED_MODELS[name]
        record, _, trained = runs[dataset, label, protocol]
        path = artifacts.save_artifact(trained.model, models_dir, name=name, genres=record["confusion"]["labels"],
                                       preprocessing=prep, dataset=dataset, protocol=record["protocol"], profile=record["profile"],
                                       metrics=record["metrics"])
        saved[name] = artifacts.load_artifact(path)
        X = inputs[label][:8]
        same = np.allclose(saved[name][0].predict(X, verbose=0), trained.model.predict(X, verbose=0), atol=1e-6)
        print(f"{display_path(path)}: reloaded model predicts the same probabilities: {same}")
        assert same, f"{name}: the reloaded model predicts other probabilities than the trained one"
    return saved


def example_clips(runs: Mapping[tuple[str, str, str], tuple], tracks: pd.DataFrame, dataset: str, name: str, n: int = 5) -> pd.DataFrame:
    """Test clips of saved model ``name``'s run (``track_id, genre``), the first of each genre, at most ``n``, with
    their audio ``path``."""
    predictions = runs[(dataset, *SAVED_MODELS[name])][1].groupby("genre", sort=False).head(1).head(n)
    paths = tracks.set_index("track_id").loc[predictions["track_id"], "path"].to_numpy()
    return predictions[["track_id", "genre"]].assign(path=paths)
