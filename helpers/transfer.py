"""Genre classifiers on pretrained musicnn embeddings, under the same protocols as every other experiment.

Three ways to use a checkpoint (``helpers.pretrained`` computes its outputs):

* **clip embeddings + linear/kernel classifier**: each clip's window outputs pooled
  (``helpers.pretrained.EMBEDDINGS``), then logistic regression or an RBF SVM whose
  regularisation is chosen by 5-fold cross-validation on the training clips
  (``models.EMBEDDING_MODELS``);
* **fusion**: the same with the 57 handcrafted features appended;
* **frozen base + the seed's head** (:func:`frozen_head`): dense 128, dropout 0.5,
  softmax, trained on the per-window embeddings of the training clips, early-stopped
  on validation clips of the same protocol, clip probabilities averaged over windows.

Every record names its inputs: ``representation`` is ``<checkpoint> <embedding>``
(``+ handcrafted`` for fusion) and ``extra["sources"]`` counts the clips that went
through the port and those whose published reference taggrams stood in for absent
audio. Records of port-only tables carry the dataset label; a table that mixes in
the reference is labelled ``<label>+reference``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import evaluate, splits, training
from .pretrained import ClipEmbeddings, WindowOutputs, checkpoint, extract

EXPERIMENT = "pretrained"
REFERENCE_SUFFIX = "+reference"
HEAD = dict(dense_units=128, dropout=0.5, learning_rate=1e-3, batch_size=64)


def sources(table: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in table["source"].value_counts().items()} if "source" in table else {}


def fuse(emb: ClipEmbeddings, handcrafted: pd.DataFrame, columns: Sequence[str]) -> ClipEmbeddings:
    """``emb`` with the handcrafted ``columns`` of each clip appended (clips without them are dropped)."""
    values = handcrafted.drop_duplicates("track_id").set_index("track_id")[list(columns)]
    keep = emb.table["track_id"].isin(values.index).to_numpy()
    table = emb.table[keep].reset_index(drop=True)
    X = np.hstack([emb.X[keep], values.loc[table["track_id"]].to_numpy(np.float32)])
    return ClipEmbeddings(table, X, emb.failed, emb.representation)


def stack(parts: Sequence[ClipEmbeddings]) -> ClipEmbeddings:
    """Embeddings of several checkpoints side by side, on the clips every part has."""
    common = set.intersection(*(set(p.table["track_id"]) for p in parts))
    table = parts[0].table[parts[0].table["track_id"].isin(common)].reset_index(drop=True)
    blocks = []
    for part in parts:
        index = pd.Series(np.arange(len(part.table)), index=part.table["track_id"])
        blocks.append(part.X[index.loc[table["track_id"]].to_numpy()])
    return ClipEmbeddings(table, np.hstack(blocks), [f for p in parts for f in p.failed], " + ".join(p.representation for p in parts))


def run_protocols(emb: ClipEmbeddings, representation: str, *, dataset: str, methods: Sequence[str],
                  protocols: Sequence[str], seed: int = 42, jobs: int = 1, baseline: bool = True,
                  resamples: int = 1000) -> list[dict]:
    """One record per method and protocol (plus a majority baseline per protocol) on clip embeddings ``emb``."""
    records = []
    table = emb.table
    for protocol in protocols:
        if baseline:
            records.append(training.majority_baseline(table, protocol, experiment=EXPERIMENT, dataset=dataset,
                                                      representation=representation, seed=seed, resamples=resamples))
        for method in methods:
            record, _ = training.run_protocol(table, [], method, protocol, experiment=EXPERIMENT, dataset=dataset,
                                              representation=representation, seed=seed, jobs=jobs, X=emb.X,
                                              resamples=resamples)
            records.append(_named(record, f"{representation} · {method}", table))
    return records


def _named(record: dict, model: str, table: pd.DataFrame) -> dict:
    record["model"] = model
    record["extra"] = {**record.get("extra", {}), "sources": sources(table)}
    return record


# ---------------------------------------------------------------------------- frozen base + head

@dataclass
class WindowSet:
    """Per-window embeddings of the readable clips (``rows`` index into ``tracks``)."""

    tracks: pd.DataFrame
    X: np.ndarray
    rows: np.ndarray


def window_embeddings(tracks: pd.DataFrame, name: str, hop_seconds: float = 1.0, progress: bool = True) -> WindowSet:
    """The layer a head sits on (musicnn: penultimate, VGG: pool5), one row per window of every readable clip."""
    layer = head_layer(name)
    result = extract(tracks, [name], hop_seconds, progress=progress)
    values = result.values[WindowOutputs((name,), hop_seconds).name]
    keep = [v is not None for v in values]
    clips = result.tracks[keep].reset_index(drop=True)
    arrays = [v[name][layer] for v in values if v is not None]
    rows = np.concatenate([np.full(len(a), i) for i, a in enumerate(arrays)])
    return WindowSet(clips, np.concatenate(arrays), rows)


def _validation_split(tracks: pd.DataFrame, protocol: str, seed: int) -> pd.Series:
    """``train``/``valid``/``test`` per clip: a fixed split's own parts, or 10 % of a random split's training clips."""
    if protocol in splits.FIXED_PROTOCOLS:
        split = training.fixed_protocol_split(tracks, protocol)
        if (split == "valid").any():
            return split
    else:
        split = training.protocol_split(tracks, protocol, seed=seed).copy()
    train = tracks[(split == "train").to_numpy()]
    valid_ids = set(train["track_id"][splits.stratified_subsample(train.reset_index(drop=True),
                                                                  max(len(train) // 10, train["genre"].nunique()),
                                                                  seed=seed).to_numpy()])
    return split.where(~tracks["track_id"].isin(valid_ids).to_numpy(), "valid")


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
    by the mean of their windows' probabilities. Returns the record and the head.
    """
    from .config import seed_everything
    from .runtime import quiet_tensorflow

    quiet_tensorflow()
    import keras

    tracks = windows.tracks
    split = _validation_split(tracks, protocol, seed).to_numpy()
    y, labels = training.encode_labels(tracks["genre"])
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
    seconds = time.perf_counter() - start
    test = part == "test"
    ids, probabilities = evaluate.clip_probabilities(net.predict(X[test], verbose=0), tracks["track_id"].to_numpy()[windows.rows[test]])
    truth = tracks.set_index("track_id").loc[ids, "genre"].to_numpy()
    predicted = np.array(labels)[probabilities.argmax(1)]
    layer = head_layer(name)
    record = evaluate.evaluate(truth, predicted, labels, experiment=EXPERIMENT, model=f"{name} {layer} · frozen head",
                               dataset=dataset, protocol=protocol, representation=f"{name} {layer} per window",
                               train_seconds=seconds, params={"seed": seed, **HEAD, "patience": patience},
                               resamples=resamples, seed=seed,
                               train_genres=tracks["genre"][split == "train"].tolist(),
                               valid_genres=tracks["genre"][split == "valid"].tolist(),
                               extra={"epochs": len(history.history["loss"]), "best_epoch": int(np.argmin(history.history["val_loss"])) + 1,
                                      "train_accuracy": float(max(history.history["accuracy"])),
                                      "valid_accuracy": float(history.history["val_accuracy"][int(np.argmin(history.history["val_loss"]))]),
                                      "windows": int(len(windows.X)), "sources": {"port": int(len(tracks))}})
    return record, Head(net, mean, std, labels, layer)


def deployable(name: str, head: Head):
    """One Keras model from a window's log-mel to genre probabilities: the ported checkpoint up to the
    head's layer, the standardisation, the head. Standard layers only, so it loads in safe mode."""
    from .pretrained_port import build
    from .runtime import quiet_tensorflow

    quiet_tensorflow()
    import keras

    base = build(name)
    features = base.get_layer(head.layer).output
    scaled = keras.layers.Normalization(mean=head.mean, variance=head.std ** 2, name="standardise")(features)
    return keras.Model(base.input, head.net(scaled), name=f"{name}-genre")


# ---------------------------------------------------------------------------- the whole grid

def embedding_records(tracks: pd.DataFrame, *, names: Sequence[str], embeddings: Sequence[str], methods: Sequence[str],
                      protocols: Sequence[str], dataset: str, handcrafted: pd.DataFrame | None = None,
                      handcrafted_columns: Sequence[str] = (), reference: dict | None = None,
                      reference_tracks: pd.DataFrame | None = None, seed: int = 42, jobs: int = 1,
                      progress: bool = True) -> list[dict]:
    """Records of every checkpoint x embedding x method x protocol on the readable ``tracks`` (through the port),
    the same with the ``handcrafted`` features appended, the handcrafted features alone on the same clips (the
    controlled comparison) and a majority baseline; then, when ``reference`` taggrams are given, the MSD-musicnn
    taggram embeddings on the port's clips plus the reference's (dataset ``<dataset>+reference``)."""
    from .pretrained import clip_embeddings

    records: list[dict] = []
    tables: list[tuple[str, ClipEmbeddings]] = []
    for name in names:
        for embedding in embeddings:
            emb = clip_embeddings(tracks, name, embedding, progress=progress)
            emb.representation = f"{name} {embedding}"
            tables.append((dataset, emb))
    if reference:
        for embedding in (e for e in embeddings if e.startswith("taggram")):
            emb = clip_embeddings(tracks, "msd-musicnn", embedding, reference=reference, reference_tracks=reference_tracks,
                                  progress=progress)
            emb.representation = f"msd-musicnn {embedding}"
            tables.append((dataset + REFERENCE_SUFFIX, emb))
    seen: set[str] = set()
    for label, emb in tables:
        first = label not in seen
        seen.add(label)
        records += run_protocols(emb, emb.representation, dataset=label, methods=methods, protocols=protocols, seed=seed,
                                 jobs=jobs, baseline=first)
        if handcrafted is not None:
            fused = fuse(emb, handcrafted, handcrafted_columns)
            records += run_protocols(fused, f"{emb.representation} + handcrafted", dataset=label, methods=methods,
                                     protocols=protocols, seed=seed, jobs=jobs, baseline=False)
            if first:
                alone = ClipEmbeddings(fused.table, fused.X[:, emb.X.shape[1]:], [])
                records += run_protocols(alone, "handcrafted (57)", dataset=label, methods=methods, protocols=protocols,
                                         seed=seed, jobs=jobs, baseline=False)
    return records


def ranking(records: Sequence[dict], protocol: str, metric: str = "accuracy") -> pd.DataFrame:
    """The records of one protocol, best first: model, dataset, representation, test size, metrics with intervals."""
    chosen = [r for r in records if r["protocol"] == protocol]
    table = evaluate.summary_table(chosen) if chosen else pd.DataFrame()
    if table.empty:
        return table
    order = np.argsort([-r["metrics"][metric]["value"] for r in evaluate._sorted(chosen)], kind="stable")
    return table.iloc[order].reset_index(drop=True)
