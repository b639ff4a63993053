"""The main seed's head on a frozen pretrained checkpoint, full fine-tuning, and the default model of ``helpers.predict``.

* :func:`frozen_head`: dense 128, dropout 0.5, softmax on one layer of a checkpoint (musicnn:
  penultimate, VGG: pool5, or MSD-musicnn's taggram, where the published reference taggrams
  can stand in for absent audio), trained on 3-s windows of the training clips, early-stopped
  on the validation clips' windows (the fixed split's own, a tenth of a random split's
  training clips), test clips scored by their windows' mean probabilities;
* :func:`fine_tune`: every weight of the checkpoint and its trained head at a low learning
  rate, batch normalisation kept in inference mode;
* :func:`choose_head`, :func:`choose_default`: by validation balanced accuracy, never by a
  test score; :func:`save_default_model` writes one Keras model (standard layers, safe mode)
  with its sidecar and card.

Why this module is long: training a head, fine-tuning it and choosing and saving the default
model share one notion of a window set, its validation part and clip-level scoring; split
apart, each would restate them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import splits
from ..results import evaluate
from . import training
from .pretrained import LogMel, checkpoint, reference_error, window_values
from .transfer import EXPERIMENT, REFERENCE_SUFFIX, sources

HEAD = dict(dense_units=128, dropout=0.5, learning_rate=1e-3, batch_size=64)
FINE_TUNE = dict(learning_rate=1e-5, batch_size=32)


@dataclass
class WindowSet:
    """Per-window outputs of one layer for the readable clips (``rows`` index into ``tracks``, which has ``source``)."""

    tracks: pd.DataFrame
    X: np.ndarray
    rows: np.ndarray
    layer: str = ""


def window_embeddings(tracks: pd.DataFrame, name: str, hop_seconds: float = 1.0, layer: str | None = None,
                      reference: dict | None = None, reference_tracks: pd.DataFrame | None = None,
                      progress: bool = True) -> WindowSet:
    """One row per window of :func:`helpers.models.pretrained.window_values`' clips: the layer a head sits on
    (default: musicnn's penultimate, VGG's pool5). With ``layer="taggram"``, MSD-musicnn's published ``reference``
    taggrams stand in for the clips of ``reference_tracks`` whose audio is absent (their windows have the same 1-s hop)."""
    layer = layer or head_layer(name)
    if reference and layer != "taggram":
        raise reference_error(f"{name} {layer} windows")
    found = window_values(tracks, name, hop_seconds, reference, reference_tracks, progress=progress)
    arrays = [v[layer] for v in found.values]
    rows = np.concatenate([np.full(len(a), i) for i, a in enumerate(arrays)])
    return WindowSet(found.table, np.concatenate(arrays), rows, layer)


def _hold_out_validation(tracks: pd.DataFrame, split: pd.Series, seed: int) -> pd.Series:
    """``split`` with a tenth of its training clips (stratified, at least one per genre) marked ``valid``."""
    train = tracks[(split == "train").to_numpy()]
    valid_ids = set(train["track_id"][splits.stratified_subsample(train.reset_index(drop=True),
                                                                  max(len(train) // 10, train["genre"].nunique()),
                                                                  seed=seed).to_numpy()])
    return split.where(~tracks["track_id"].isin(valid_ids).to_numpy(), "valid")


def validation_split(tracks: pd.DataFrame, protocol: str, seed: int) -> pd.Series:
    """``train``/``valid``/``test`` per clip: a fixed split's own parts, or 10 % of a random split's training clips."""
    if protocol in splits.FIXED_PROTOCOLS:
        split = training.fixed_protocol_split(tracks, protocol)
        if (split == "valid").any():
            return split
    else:
        split = training.protocol_split(tracks, protocol, seed=seed).copy()
    return _hold_out_validation(tracks, split, seed)


def _fold_splits(tracks: pd.DataFrame, seed: int) -> list[pd.Series]:
    """5-fold-cv as train/valid/test splits: each fold once the test part, a tenth of the rest for early stopping."""
    folds = splits.kfold(tracks, k=5, seed=seed)
    return [_hold_out_validation(tracks, pd.Series(np.where(folds == fold, "test", "train"), index=tracks.index), seed)
            for fold in sorted(folds.unique())]


@dataclass
class Head:
    """A trained head and the standardisation of its inputs (for :func:`deployable`)."""

    net: object
    mean: np.ndarray
    std: np.ndarray
    labels: list[str]
    layer: str


def head_layer(name: str) -> str:
    return "penultimate" if checkpoint(name).architecture == "musicnn" else "pool5"


def frozen_head(windows: WindowSet, name: str, protocol: str, *, dataset: str, seed: int = 42, epochs: int = 100,
                patience: int = 10, resamples: int = 1000) -> tuple[dict, Head]:
    """The seed's head on a frozen checkpoint: trained on windows, early-stopped on validation clips' windows.

    The epoch kept is the one with the lowest validation loss; test clips are scored
    by the mean of their windows' probabilities. Under ``5-fold-cv`` one head per fold
    scores its fold and the pooled out-of-fold predictions make the record (the head
    returned is the last fold's). Returns the record and the head.
    """
    tracks = windows.tracks
    y, labels = training.encode_labels(tracks["genre"])
    plans = _fold_splits(tracks, seed) if protocol == "5-fold-cv" else [validation_split(tracks, protocol, seed)]
    clip_ids, truths, predictions, fits, seconds = [], [], [], [], 0.0
    for split in plans:
        head, history, fit_seconds, part, X = train_head(windows, split.to_numpy(), y, labels, seed, epochs, patience)
        ids, truth, predicted = _clip_predictions(head.net, X, windows, part, "test", labels)
        clip_ids.append(ids)
        truths.append(truth)
        predictions.append(predicted)
        fits.append({**_fit_summary(history), **_validation_scores(head.net, X, windows, part, labels)})
        seconds += fit_seconds
    split = plans[0].to_numpy()
    layer = windows.layer or head_layer(name)
    head.layer = layer
    summary = fits[0] if len(fits) == 1 else {key: float(np.mean([f[key] for f in fits])) for key in fits[0]}
    record = evaluate.evaluate(np.concatenate(truths), np.concatenate(predictions), labels, experiment=EXPERIMENT,
                               model=f"{name} {layer} · frozen head", dataset=dataset, protocol=protocol,
                               representation=f"{name} {layer} per window", train_seconds=seconds,
                               params={"seed": seed, **HEAD, "patience": patience}, resamples=resamples, seed=seed,
                               train_genres=tracks["genre"][split == "train"].tolist(),
                               valid_genres=tracks["genre"][split == "valid"].tolist(),
                               sizes={"test": int(sum(len(t) for t in truths))},
                               extra={**summary, "folds": len(fits), "windows": int(len(windows.X)),
                                      **sources_per_part(tracks, split),
                                      "test_clips": test_clips(np.concatenate(clip_ids), np.concatenate(truths),
                                                              np.concatenate(predictions))})
    return record, head


def train_head(windows: WindowSet, split: np.ndarray, y: np.ndarray, labels: list[str], seed: int, epochs: int,
                patience: int):
    """One head trained on the ``train`` clips' windows, early-stopped on the ``valid`` clips' windows."""
    from ..runtime import quiet_tensorflow, seed_everything

    quiet_tensorflow()
    import keras

    part = split[windows.rows]
    mean, std = windows.X[part == "train"].mean(0), windows.X[part == "train"].std(0) + 1e-6
    X = (windows.X - mean) / std
    seed_everything(seed)
    net = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(HEAD["dense_units"], activation="relu"),
                            keras.layers.Dropout(HEAD["dropout"]), keras.layers.Dense(len(labels), activation="softmax")])
    net.compile(keras.optimizers.Adam(HEAD["learning_rate"]), "sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
    start = time.perf_counter()
    history = net.fit(X[part == "train"], y[windows.rows][part == "train"], epochs=epochs, batch_size=HEAD["batch_size"],
                      validation_data=(X[part == "valid"], y[windows.rows][part == "valid"]), callbacks=[stop], verbose=0)
    head = Head(net, mean, std, labels, windows.layer or "")
    return head, history, time.perf_counter() - start, part, X


def sources_per_part(tracks: pd.DataFrame, split: np.ndarray) -> dict:
    """Clips per source (port, reference) of the whole table and of its training and test parts."""
    return {"sources": sources(tracks), "train_sources": sources(tracks[split == "train"]),
            "test_sources": sources(tracks[split == "test"])}


def clip_truth(windows: WindowSet, ids: np.ndarray) -> np.ndarray:
    """The genre of each clip in ``ids``."""
    return windows.tracks.set_index("track_id").loc[ids, "genre"].to_numpy()


def test_clips(ids: np.ndarray, truth: np.ndarray, predicted: np.ndarray) -> dict:
    """A record's ``extra.test_clips`` (what :mod:`helpers.results.comparisons` pairs runs on)."""
    return dict(id=[str(i) for i in ids], truth=list(map(str, truth)), predicted=list(map(str, predicted)))


def _clip_predictions(net, X: np.ndarray, windows: WindowSet, part: np.ndarray, which: str,
                      labels: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Id, true and predicted genre of every ``which`` clip (``valid``/``test``), window probabilities averaged per clip."""
    chosen = part == which
    ids, probabilities = evaluate.clip_probabilities(net.predict(X[chosen], verbose=0),
                                                     windows.tracks["track_id"].to_numpy()[windows.rows[chosen]])
    return ids, clip_truth(windows, ids), np.array(labels)[probabilities.argmax(1)]


def _fit_summary(history) -> dict:
    best = int(np.argmin(history.history["val_loss"]))
    return {"epochs": len(history.history["loss"]), "best_epoch": best + 1,
            "train_accuracy": float(max(history.history["accuracy"])),
            "valid_window_accuracy": float(history.history["val_accuracy"][best])}


def _validation_scores(net, X: np.ndarray, windows: WindowSet, part: np.ndarray, labels: list[str]) -> dict:
    """Clip-level accuracy and balanced accuracy on the validation clips: what chooses between models (balanced,
    because the validation clips of partial audio are as uneven as its training clips)."""
    from ..results.metrics import accuracy, balanced_accuracy

    _, truth, predicted = _clip_predictions(net, X, windows, part, "valid", labels)
    return {"valid_accuracy": float(accuracy(truth, predicted)), "valid_balanced_accuracy": float(balanced_accuracy(truth, predicted))}


def deployable(name: str, head: Head | Sequence[Head]):
    """One Keras model from a window's log-mel to genre probabilities: the ported checkpoint up to the
    head's layer, the standardisation, the head; with several heads (on one layer), the mean of their
    probabilities, the checkpoint computed once. Standard layers only, so it loads in safe mode."""
    from ..runtime import quiet_tensorflow
    from .pretrained_port import build

    quiet_tensorflow()
    import keras

    members = [head] if isinstance(head, Head) else list(head)
    if len({m.layer for m in members}) != 1:
        raise ValueError(f"the heads read different layers: {sorted({m.layer for m in members})}")
    base = build(name)
    features = base.get_layer(members[0].layer).output
    outputs = []
    for i, member in enumerate(members):
        scaled = keras.layers.Normalization(mean=member.mean, variance=member.std ** 2,
                                            name="standardise" + (f"_{i}" if i else ""))(features)
        outputs.append(member.net(scaled))
    probabilities = outputs[0] if len(outputs) == 1 else keras.layers.Average(name="mean_of_heads")(outputs)
    return keras.Model(base.input, probabilities, name=f"{name}-genre")




def head_records(tracks: pd.DataFrame, *, names: Sequence[str], protocols: Sequence[str], dataset: str, seed: int = 42,
                 epochs: int = 100, patience: int = 10, resamples: int = 1000, reference: dict | None = None,
                 reference_tracks: pd.DataFrame | None = None, progress: bool = True) -> tuple[list[dict], dict[tuple[str, str], Head]]:
    """The frozen-base head of every checkpoint under every protocol (under 5-fold-cv one head per fold, see
    :func:`frozen_head`); with ``reference`` taggrams, also a head on MSD-musicnn's taggram windows of the port's
    clips plus the reference's (dataset ``<dataset>+reference``). Returns the records and the heads by
    ``(record model, protocol)``."""
    sets = [(dataset, name, window_embeddings(tracks, name, progress=progress)) for name in names]
    if reference and "msd-musicnn" in names:
        sets.append((dataset + REFERENCE_SUFFIX, "msd-musicnn",
                     window_embeddings(tracks, "msd-musicnn", layer="taggram", reference=reference,
                                       reference_tracks=reference_tracks, progress=progress)))
    records, heads = [], {}
    for label, name, windows in sets:
        for protocol in protocols:
            record, head = frozen_head(windows, name, protocol, dataset=label, seed=seed, epochs=epochs,
                                       patience=patience, resamples=resamples)
            heads[record["model"], protocol] = head
            records.append(record)
    return records, heads


from .artifacts import DEFAULT_MODEL  # noqa: E402 (one name for the default model: artifacts)

LIMITATIONS = (
    "It knows the ten GTZAN genres only (blues, classical, country, disco, hiphop, jazz, metal, pop, reggae, rock); "
    "any other music is forced into one of them.",
    "GTZAN's clips are 30-s excerpts of recordings mostly from before 2002, with repeated artists and known faults; "
    "music unlike them (recent production styles, non-Western music, speech) is outside what it was tested on.",
    "One genre per file: it gives the probability of each genre, not several labels.",
    "A file is cut into 3-s windows whose probabilities are averaged; a file shorter than 3 s is repeated to fill one window.",
    "Its accuracy was measured on the fault-filtered test clips available here, with the interval shown; some genres "
    "are recognised less reliably than others (per-genre test recall below).",
)


def choose_head(records: Sequence[dict], heads: dict[tuple[str, str], Head], protocol: str) -> tuple[str, dict, Head]:
    """The head under ``protocol`` with the best validation balanced accuracy (never the test score), and its checkpoint."""
    chosen = [r for r in records if r["protocol"] == protocol]
    if not chosen:
        raise ValueError(f"no frozen-head record under {protocol!r}")
    best = max(chosen, key=lambda r: (r["extra"]["valid_balanced_accuracy"], r["extra"]["valid_accuracy"]))
    return best["model"].split()[0], best, heads[best["model"], protocol]


def choose_default(candidates: Sequence[tuple[dict, object]]) -> tuple[dict, object]:
    """The ``(record, model)`` with the best validation balanced accuracy (``model`` None: build it from the head)."""
    return max(candidates, key=lambda pair: (pair[0]["extra"]["valid_balanced_accuracy"], pair[0]["extra"]["valid_accuracy"]))


def _per_source(counts: dict) -> str:
    return ", ".join(f"{n} through the {s}" for s, n in counts.items()) or "all through the port"


def _training_data(record: dict) -> str:
    per_genre = ", ".join(f"{g} {n}" for g, n in record["sizes_per_genre"]["train"].items())
    extra = record.get("extra", {})
    return (f"{record['sizes'].get('train')} training clips ({_per_source(extra.get('train_sources', {}))}; per genre: "
            f"{per_genre}) and {record['sizes'].get('valid')} validation clips of {record['dataset']}'s {record['protocol']} "
            f"split; its {record['sizes'].get('test')} test clips: {_per_source(extra.get('test_sources', {}))}"
            + (" (the reference: musicnn's published taggrams of clips whose audio is not here)"
               if "reference" in extra.get("sources", {}) else ""))


def save_default_model(name: str, record: dict, head: Head | Sequence[Head], folder, *, model=None,
                       head_record: dict | None = None, hop_seconds: float = 1.0, seeds: Sequence[int] = ()):
    """The checkpoint + head (or the mean of several ``head``s, trained with ``seeds``; or the fine-tuned ``model``,
    whose head came from ``head_record``) as one Keras model with its sidecar and card
    (``folder/musicnn-default.keras``). ``model``, when given, is what is saved (built by :func:`deployable` otherwise)."""
    from . import artifacts, pretrained

    members = [head] if isinstance(head, Head) else list(head)
    tuned = model is not None and head_record is not None
    model = model if model is not None else deployable(name, members)
    training_data = _training_data(record)
    if tuned:
        training_data = f"head: {_training_data(head_record)}; then every weight fine-tuned on {training_data}"
    heads_text = (f"the mean of {len(members)} dense heads on its {members[0].layer} layer (training seeds "
                  f"{', '.join(map(str, seeds))}), " if len(members) > 1 else f"a dense head on its {members[0].layer} layer, ")
    card = {
        "summary": (f"{name} (musicnn checkpoint) and {heads_text}"
                    + ("then every weight fine-tuned; " if tuned else "the checkpoint frozen; ")
                    + "chosen by validation balanced accuracy; test scores are this saved model's own"),
        "training_data": training_data,
        "sizes": record["sizes"],
        "validation": {k: record["extra"][k] for k in ("valid_accuracy", "valid_balanced_accuracy")},
        "limitations": list(LIMITATIONS),
        "per_genre_test_recall": {g: round(v["recall"], 3) for g, v in record["per_genre"].items()},
    }
    return artifacts.save_artifact(model, folder, name=DEFAULT_MODEL, genres=members[0].labels,
                                   preprocessing=pretrained.musicnn_preprocessing(name, hop_seconds), dataset=record["dataset"],
                                   protocol=record["protocol"], profile=record["profile"], metrics=record["metrics"],
                                   card=card)


def head_table(records: Sequence[dict]) -> pd.DataFrame:
    """The heads' (and fine-tuned models') summary with the validation balanced accuracy that chooses between them."""
    table = evaluate.summary_table(records).drop(columns="input", errors="ignore")  # the model's name says its input
    table.insert(len(table.columns) - 1, "valid balanced acc.",
                 [evaluate.score_text(r["extra"].get("valid_balanced_accuracy")) for r in evaluate._sorted(records)])
    return table


def mel_windows(tracks: pd.DataFrame, hop_seconds: float, progress: bool = True) -> WindowSet:
    """musicnn's log-mel windows of every readable clip, one starting every ``hop_seconds`` (the input of fine-tuning).

    The log-mel is cached per clip (:class:`helpers.models.pretrained.LogMel`); the windows are cut from it here,
    because they repeat its frames (3x at a 1-s hop) and every hop can share one entry.
    """
    from ..inputs import representations
    from .pretrained_port import hop_frames, windows

    hop = hop_frames(hop_seconds)
    result = representations.compute(tracks, [LogMel()], jobs=1, progress=progress)
    mels = result.values[LogMel().name]
    arrays = [windows(mel, hop) for mel in mels if mel is not None]
    rows = np.concatenate([np.full(len(a), j) for j, a in enumerate(arrays)])
    kept = result.tracks[[mel is not None for mel in mels]].reset_index(drop=True)
    return WindowSet(kept, np.concatenate(arrays), rows)


def fine_tune(windows: WindowSet, name: str, head: Head, protocol: str, *, dataset: str, seed: int = 42, epochs: int = 10,
              patience: int = 3, resamples: int = 1000, initialised_from: str = ""):
    """Every weight of checkpoint ``name`` and its trained ``head`` fine-tuned together at a low learning rate on
    the training clips' windows, early-stopped on the validation clips' windows (the best epoch kept); batch
    normalisation keeps the checkpoint's statistics (its layers stay in inference mode). Returns the record
    and the fine-tuned model (a complete window classifier, see :func:`deployable`). ``initialised_from`` names the
    head's record (model and dataset), which the record keeps: the head may have been trained on other clips."""
    from ..runtime import quiet_tensorflow, seed_everything

    quiet_tensorflow()
    import keras

    tracks = windows.tracks
    split = validation_split(tracks, protocol, seed).to_numpy()
    y, labels = training.encode_labels(tracks["genre"])
    if labels != head.labels:
        raise ValueError(f"the head was trained on genres {head.labels}, these clips have {labels}")
    part, yw = split[windows.rows], y[windows.rows]
    seed_everything(seed)
    model = deployable(name, head)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False  # inference mode: a few hundred clips cannot re-estimate the checkpoint's statistics
    model.compile(keras.optimizers.Adam(FINE_TUNE["learning_rate"]), "sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(windows.X[part == "train"], yw[part == "train"], epochs=epochs, batch_size=FINE_TUNE["batch_size"],
                        validation_data=(windows.X[part == "valid"], yw[part == "valid"]), callbacks=[stop], verbose=0)
    seconds = time.perf_counter() - start
    ids, truth, predicted = _clip_predictions(model, windows.X, windows, part, "test", labels)
    record = evaluate.evaluate(truth, predicted, labels, experiment=EXPERIMENT,
                               model=f"{name} · fine-tuned", dataset=dataset, protocol=protocol,
                               representation=f"{name} log-mel windows", train_seconds=seconds,
                               params={"seed": seed, **FINE_TUNE, "epochs": epochs, "patience": patience},
                               resamples=resamples, seed=seed, train_genres=tracks["genre"][split == "train"].tolist(),
                               valid_genres=tracks["genre"][split == "valid"].tolist(),
                               extra={**_fit_summary(history), **_validation_scores(model, windows.X, windows, part, labels),
                                      "windows": int(len(windows.X)), **sources_per_part(tracks.assign(source="port"), split),
                                      "initialised_from": initialised_from, "test_clips": test_clips(ids, truth, predicted)})
    return record, model
