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

EXPERIMENT = "pretrained_music"
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
    """Per-window outputs of one layer for the readable clips (``rows`` index into ``tracks``, which has ``source``)."""

    tracks: pd.DataFrame
    X: np.ndarray
    rows: np.ndarray
    layer: str = ""


def window_embeddings(tracks: pd.DataFrame, name: str, hop_seconds: float = 1.0, layer: str | None = None,
                      reference: dict | None = None, reference_tracks: pd.DataFrame | None = None,
                      progress: bool = True) -> WindowSet:
    """One row per window of every readable clip: the layer a head sits on (default: musicnn's penultimate, VGG's
    pool5). With ``layer="taggram"``, MSD-musicnn's published ``reference`` taggrams stand in for the clips of
    ``reference_tracks`` whose audio is absent (their windows have the same 1-s hop)."""
    layer = layer or head_layer(name)
    result = extract(tracks, [name], hop_seconds, progress=progress)
    values = result.values[WindowOutputs((name,), hop_seconds).name]
    keep = [v is not None for v in values]
    clips = result.tracks[keep].assign(source="port")
    arrays = [v[name][layer] for v in values if v is not None]
    if reference:
        if (name, layer, hop_seconds) != ("msd-musicnn", "taggram", 1.0) or reference_tracks is None:
            raise ValueError("reference taggrams stand in for msd-musicnn taggram windows at a 1-s hop only, "
                             "and need reference_tracks (genre and split of each clip)")
        extra = reference_tracks[reference_tracks["track_id"].isin(reference.keys())
                                 & ~reference_tracks["track_id"].isin(clips["track_id"])]
        arrays += [reference[t] for t in extra["track_id"]]
        clips = pd.concat([clips, extra.assign(source="reference")], ignore_index=True)
    rows = np.concatenate([np.full(len(a), i) for i, a in enumerate(arrays)])
    return WindowSet(clips.reset_index(drop=True), np.concatenate(arrays), rows, layer)


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
    truth, predicted = _clip_predictions(net, X, windows, part, "test", labels)
    layer = windows.layer or head_layer(name)
    record = evaluate.evaluate(truth, predicted, labels, experiment=EXPERIMENT, model=f"{name} {layer} · frozen head",
                               dataset=dataset, protocol=protocol, representation=f"{name} {layer} per window",
                               train_seconds=seconds, params={"seed": seed, **HEAD, "patience": patience},
                               resamples=resamples, seed=seed,
                               train_genres=tracks["genre"][split == "train"].tolist(),
                               valid_genres=tracks["genre"][split == "valid"].tolist(),
                               extra={**_fit_summary(history), **_validation_scores(net, X, windows, part, labels),
                                      "windows": int(len(windows.X)), "sources": sources(tracks)})
    return record, Head(net, mean, std, labels, layer)


def _clip_predictions(net, X: np.ndarray, windows: WindowSet, part: np.ndarray, which: str,
                      labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted genre of every ``which`` clip (``valid``/``test``), window probabilities averaged per clip."""
    chosen = part == which
    ids, probabilities = evaluate.clip_probabilities(net.predict(X[chosen], verbose=0),
                                                     windows.tracks["track_id"].to_numpy()[windows.rows[chosen]])
    truth = windows.tracks.set_index("track_id").loc[ids, "genre"].to_numpy()
    return truth, np.array(labels)[probabilities.argmax(1)]


def _fit_summary(history) -> dict:
    best = int(np.argmin(history.history["val_loss"]))
    return {"epochs": len(history.history["loss"]), "best_epoch": best + 1,
            "train_accuracy": float(max(history.history["accuracy"])),
            "valid_window_accuracy": float(history.history["val_accuracy"][best])}


def _validation_scores(net, X: np.ndarray, windows: WindowSet, part: np.ndarray, labels: list[str]) -> dict:
    """Clip-level accuracy and balanced accuracy on the validation clips: what chooses between models (balanced,
    because the validation clips of partial audio are as uneven as its training clips)."""
    from .metrics import accuracy, balanced_accuracy

    truth, predicted = _clip_predictions(net, X, windows, part, "valid", labels)
    return {"valid_accuracy": float(accuracy(truth, predicted)), "valid_balanced_accuracy": float(balanced_accuracy(truth, predicted))}


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
                      resamples: int = 1000, progress: bool = True) -> list[dict]:
    """Records of every checkpoint x embedding x method x protocol on the readable ``tracks`` (through the port),
    the same with the ``handcrafted`` features appended, the handcrafted features alone on the same clips (the
    controlled comparison) and a majority baseline; then, when ``reference`` taggrams are given, the MSD-musicnn
    taggram embeddings on the port's clips plus the reference's (dataset ``<dataset>+reference``)."""
    from .pretrained import clip_embeddings

    records: list[dict] = []
    tables: list[tuple[str, ClipEmbeddings]] = []
    for name in names:
        for embedding in embeddings:
            # the first embedding of a checkpoint runs the network (or reads its cache); the others pool the same outputs
            emb = clip_embeddings(tracks, name, embedding, progress=progress and embedding == embeddings[0])
            emb.representation = f"{name} {embedding}"
            tables.append((dataset, emb))
    if reference:
        for embedding in (e for e in embeddings if e.startswith("taggram")):
            emb = clip_embeddings(tracks, "msd-musicnn", embedding, reference=reference, reference_tracks=reference_tracks,
                                  progress=False)
            emb.representation = f"msd-musicnn {embedding}"
            tables.append((dataset + REFERENCE_SUFFIX, emb))
    seen: set[str] = set()
    for label, emb in tables:
        first = label not in seen
        seen.add(label)
        records += run_protocols(emb, emb.representation, dataset=label, methods=methods, protocols=protocols, seed=seed,
                                 jobs=jobs, baseline=first, resamples=resamples)
        if handcrafted is not None:
            fused = fuse(emb, handcrafted, handcrafted_columns)
            records += run_protocols(fused, f"{emb.representation} + handcrafted", dataset=label, methods=methods,
                                     protocols=protocols, seed=seed, jobs=jobs, baseline=False, resamples=resamples)
            if first:
                alone = ClipEmbeddings(fused.table, fused.X[:, emb.X.shape[1]:], [])
                records += run_protocols(alone, "handcrafted (57)", dataset=label, methods=methods, protocols=protocols,
                                         seed=seed, jobs=jobs, baseline=False, resamples=resamples)
    return records


def head_table(records: Sequence[dict]) -> pd.DataFrame:
    """The heads' (and fine-tuned models') summary with the validation scores that choose between them."""
    table = evaluate.summary_table(records)
    extra = {r["model"] + r["dataset"] + r["protocol"]: r["extra"] for r in records}
    keys = table["model"] + table["dataset"] + table["protocol"]
    for column, name in (("valid_balanced_accuracy", "valid balanced accuracy"), ("best_epoch", "best epoch")):
        table.insert(len(table.columns) - 2, name, [extra[k].get(column) for k in keys])
    return table.drop(columns=["experiment", "input"])


def test_sets(records: Sequence[dict], protocol: str) -> list[tuple[int, list[dict]]]:
    """The runs under ``protocol`` grouped by test-set size, largest first (baselines left out): runs compare
    directly only within one group."""
    groups: dict[int, list[dict]] = {}
    for r in records:
        if r["protocol"] == protocol and not r.get("extra", {}).get("baseline"):
            groups.setdefault(int(r["sizes"]["test"]), []).append(r)
    return sorted(groups.items(), reverse=True)


def ranking(records: Sequence[dict], protocol: str, metric: str = "accuracy") -> pd.DataFrame:
    """The records of one protocol, best first: model, dataset, representation, test size, metrics with intervals."""
    chosen = [r for r in records if r["protocol"] == protocol]
    table = evaluate.summary_table(chosen) if chosen else pd.DataFrame()
    if table.empty:
        return table
    order = np.argsort([-r["metrics"][metric]["value"] for r in evaluate._sorted(chosen)], kind="stable")
    columns = ["model", "dataset", "train", "valid", "test", "accuracy", "balanced accuracy", "macro F1", "status"]
    return table.iloc[order][[c for c in columns if c in table.columns]].reset_index(drop=True)


def head_records(tracks: pd.DataFrame, *, names: Sequence[str], protocols: Sequence[str], dataset: str, seed: int = 42,
                 epochs: int = 100, patience: int = 10, resamples: int = 1000, reference: dict | None = None,
                 reference_tracks: pd.DataFrame | None = None, progress: bool = True) -> tuple[list[dict], dict[tuple[str, str], Head]]:
    """The frozen-base head of every checkpoint under every protocol (5-fold-cv excepted: one head per fold would
    not give one model); with ``reference`` taggrams, also a head on MSD-musicnn's taggram windows of the port's
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
            if protocol == "5-fold-cv":
                continue
            record, head = frozen_head(windows, name, protocol, dataset=label, seed=seed, epochs=epochs,
                                       patience=patience, resamples=resamples)
            heads[record["model"], protocol] = head
            records.append(record)
    return records, heads


DEFAULT_MODEL = "musicnn-default"
LIMITATIONS = (
    "It knows the ten GTZAN genres only (blues, classical, country, disco, hiphop, jazz, metal, pop, reggae, rock); "
    "any other music is forced into one of them.",
    "GTZAN's clips are 30-s excerpts of recordings mostly from before 2002, with repeated artists and known faults; "
    "music unlike them (recent production styles, non-Western music, speech) is outside what it was tested on.",
    "One genre per file: it gives the probability of each genre, not several labels.",
    "A file is cut into 3-s windows whose probabilities are averaged; a file shorter than 3 s is repeated to fill one window.",
    "Its accuracy was measured on the fault-filtered test clips that were available here, with the interval shown; "
    "genres with few training clips are recognised less reliably (see the per-genre support).",
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


def _training_data(record: dict) -> str:
    per_genre = ", ".join(f"{g} {n}" for g, n in record["sizes_per_genre"]["train"].items())
    sources_text = ", ".join(f"{n} through the {s}" for s, n in record.get("extra", {}).get("sources", {}).items())
    return (f"{record['sizes'].get('train')} training and {record['sizes'].get('valid')} validation clips of {record['dataset']}'s "
            f"{record['protocol']} split (of the table's clips, {sources_text}; training clips per genre: {per_genre})")


def save_default_model(name: str, record: dict, head: Head, folder, *, model=None, head_record: dict | None = None,
                       hop_seconds: float = 1.0):
    """The checkpoint + head (or the fine-tuned ``model``, whose head came from ``head_record``) as one Keras model
    with its sidecar and card (``folder/musicnn-default.keras``)."""
    from . import artifacts, predict

    tuned = model is not None
    model = model if tuned else deployable(name, head)
    training_data = _training_data(record)
    if tuned and head_record is not None:
        training_data = f"head: {_training_data(head_record)}; then every weight fine-tuned on {training_data}"
    card = {
        "summary": (f"{name} (musicnn checkpoint) and a dense head on its {head.layer} layer, "
                    + ("then every weight fine-tuned; " if tuned else "the checkpoint frozen; ")
                    + "chosen by validation balanced accuracy"),
        "training_data": training_data,
        "sizes": record["sizes"],
        "validation": {k: record["extra"][k] for k in ("valid_accuracy", "valid_balanced_accuracy")},
        "limitations": list(LIMITATIONS),
    }
    return artifacts.save_artifact(model, folder, name=DEFAULT_MODEL, genres=head.labels,
                                   preprocessing=predict.musicnn_preprocessing(name, hop_seconds), dataset=record["dataset"],
                                   protocol=record["protocol"], metrics=record["metrics"], card=card)


# ---------------------------------------------------------------------------- the reading

GOAL_ACCURACY = 0.85  # the target on the fault-filtered test set: CPU, offline, no choice made on test data


def _cell(record: dict, metric: str = "accuracy") -> str:
    value = record["metrics"][metric]
    return f"{value['value']:.3f} [{value['ci_low']:.3f}, {value['ci_high']:.3f}]"


def _best(records: Sequence[dict]) -> dict | None:
    usable = [r for r in records if not r.get("extra", {}).get("baseline") and not str(r.get("failure") or "").strip()]
    return max(usable, key=lambda r: r["metrics"]["accuracy"]["value"]) if usable else None


def _headline_lines(best: dict, same: Sequence[dict], protocol: str) -> list[str]:
    """The goal, the controlled comparison with the handcrafted features and the fusion gain, for the best record."""
    lines = []
    accuracy = best["metrics"]["accuracy"]
    if protocol == "fault-filtered":
        goal = "meets" if accuracy["value"] >= GOAL_ACCURACY else "falls short of"
        lines.append(f"* The goal of {GOAL_ACCURACY * 100:.0f} % accuracy on the fault-filtered test set: the best configuration "
                     f"{goal} it; its interval is [{accuracy['ci_low']:.3f}, {accuracy['ci_high']:.3f}].")
    method = best["model"].split(" · ")[-1]
    alone = [r for r in same if r.get("representation") == "handcrafted (57)" and r["model"].endswith(method)]
    if alone:
        gap = accuracy["value"] - alone[0]["metrics"]["accuracy"]["value"]
        lines.append(f"* Controlled comparison on the same clips and classifier ({method}): the 57 handcrafted features alone "
                     f"reach {_cell(alone[0])}, {gap:+.3f} from the best pretrained input.")
    base = best.get("representation", "").removesuffix(" + handcrafted")
    pair = {r.get("representation"): r for r in same
            if r["model"].endswith(method) and r.get("representation") in (base, base + " + handcrafted")}
    if len(pair) == 2:
        gain = pair[base + " + handcrafted"]["metrics"]["accuracy"]["value"] - pair[base]["metrics"]["accuracy"]["value"]
        lines.append(f"* Fusion: adding the handcrafted features to {base} changes accuracy by {gain:+.3f} "
                     f"({_cell(pair[base])} alone, {_cell(pair[base + ' + handcrafted'])} fused).")
    return lines


def reading(ours: Sequence[dict], everything: Sequence[dict], parity: pd.DataFrame | None, protocol: str,
            default: dict | None = None) -> str:
    """Markdown conclusions from this notebook's records (``ours``), all records of the run (``everything``), the
    parity table (or ``None``) and the record of the model saved as the default (or ``None``)."""
    lines = []
    if parity is not None and len(parity):
        for lossless, part in parity.groupby("lossless"):
            kind = "lossless" if lossless else "lossy"
            lines.append(f"* Port vs published taggrams, {len(part)} {kind} clips: clip-mean taggram within 0.02 on "
                         f"{int((part['clip_mean_error'] <= 0.02).sum())}, worst {part['clip_mean_error'].max():.4f}; any "
                         f"window within 0.1 on {int((part['frame_error'] <= 0.1).sum())}, worst {part['frame_error'].max():.4f}"
                         + (" (the codec's effect, not the port's)." if not lossless else "."))
    here = [r for r in ours if r["protocol"] == protocol]
    if not here:
        return "\n".join(lines + [f"* No {protocol} records in this run."])
    by_size = sorted({(r["sizes"]["test"], r["dataset"]) for r in here}, reverse=True)
    for rank, (size, dataset) in enumerate(by_size[:2]):
        group = [r for r in here if r["dataset"] == dataset and r["sizes"]["test"] == size]
        best = _best(group)
        if best is None:
            lines.append(f"* Every {protocol} run on {dataset} ({size} test clips) failed.")
            continue
        src = best.get("extra", {}).get("sources", {})
        runs = sum(not r.get("extra", {}).get("baseline") for r in group)
        lines.append(f"* Best pretrained model under {protocol} on {dataset} ({size} test clips"
                     f"{', the largest test set' if rank == 0 else ''}): {best['model']}, accuracy {_cell(best)}, balanced "
                     f"accuracy {_cell(best, 'balanced_accuracy')}; its clips: "
                     f"{', '.join(f'{n} through the {s}' for s, n in src.items()) or 'all through the port'}. It is the "
                     f"best of {runs} configurations scored on these test clips, so its number is a best case.")
        if rank == 0:
            lines += _headline_lines(best, group, protocol)
    largest = by_size[0][0]
    earlier = (("features_ml", "handcrafted features (notebook 03)"), ("cnn_gridsearch", "CNNs trained from scratch (notebook 04)"))
    for experiment, name in earlier:
        other = _best([r for r in everything if r["experiment"] == experiment and r["protocol"] == protocol
                       and r["sizes"]["test"] == largest])
        if other is not None:
            lines.append(f"* For comparison, the best {name} under {protocol} on {largest} test clips: {other['model']} "
                         f"on {other['dataset']}, accuracy {_cell(other)}.")
    failed = [r["model"] for r in ours if str(r.get("failure") or "").strip()]
    if failed:
        lines.append(f"* Failed runs (reported, not ranked): {', '.join(sorted(set(failed)))}.")
    if default is not None:
        lines.append(f"* The default model (`python -m helpers.predict`) is {default['model']} on {default['dataset']}, chosen by "
                     f"validation balanced accuracy ({default['extra']['valid_balanced_accuracy']:.3f} on "
                     f"{default['sizes'].get('valid')} validation clips); its "
                     f"test accuracy is {_cell(default)} on {default['sizes']['test']} clips, balanced accuracy "
                     f"{_cell(default, 'balanced_accuracy')}.")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- full fine-tuning

FINE_TUNE = dict(learning_rate=1e-5, batch_size=32)


def mel_windows(tracks: pd.DataFrame, hop_seconds: float, progress: bool = True) -> WindowSet:
    """musicnn's log-mel windows of every readable clip (for fine-tuning; not cached: 16 kB per window)."""
    from .audio import AudioError
    from .pretrained import waveform
    from .pretrained_port import hop_frames, log_mel, windows
    from .runtime import progress as progress_bar

    hop = hop_frames(hop_seconds)
    kept, arrays = [], []
    for i, path in enumerate(progress_bar(tracks["path"], desc="log-mel windows", unit="clip", disable=not progress)):
        try:
            arrays.append(windows(log_mel(waveform(path)), hop))
        except AudioError:
            continue
        kept.append(i)
    rows = np.concatenate([np.full(len(a), j) for j, a in enumerate(arrays)])
    return WindowSet(tracks.iloc[kept].reset_index(drop=True), np.concatenate(arrays), rows)


def fine_tune(windows: WindowSet, name: str, head: Head, protocol: str, *, dataset: str, seed: int = 42, epochs: int = 10,
              patience: int = 3, resamples: int = 1000):
    """Every weight of checkpoint ``name`` and its trained ``head`` fine-tuned together at a low learning rate on
    the training clips' windows, early-stopped on the validation clips' windows (the best epoch kept); batch
    normalisation keeps the checkpoint's statistics (its layers stay in inference mode). Returns the record
    and the fine-tuned model (a complete window classifier, see :func:`deployable`)."""
    from .config import seed_everything
    from .runtime import quiet_tensorflow

    quiet_tensorflow()
    import keras

    tracks = windows.tracks
    split = _validation_split(tracks, protocol, seed).to_numpy()
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
    truth, predicted = _clip_predictions(model, windows.X, windows, part, "test", labels)
    record = evaluate.evaluate(truth, predicted, labels, experiment=EXPERIMENT,
                               model=f"{name} · fine-tuned", dataset=dataset, protocol=protocol,
                               representation=f"{name} log-mel windows", train_seconds=seconds,
                               params={"seed": seed, **FINE_TUNE, "epochs": epochs, "patience": patience},
                               resamples=resamples, seed=seed, train_genres=tracks["genre"][split == "train"].tolist(),
                               valid_genres=tracks["genre"][split == "valid"].tolist(),
                               extra={**_fit_summary(history), **_validation_scores(model, windows.X, windows, part, labels),
                                      "windows": int(len(windows.X)), "sources": sources(tracks.assign(source="port"))})
    return record, model
