"""Several genres per song: the seed's sigmoid head, tested on songs made of two genres, with its threshold chosen honestly.

A seed report replaced the softmax of its genre head by sigmoid outputs trained with
binary cross-entropy on single-genre clips, then called every genre whose probability
is at least 0.2 a genre of the song; on 50 songs mixing two genres it reported 40 %
exact-set accuracy. This module repeats that experiment so that the number means
something:

* :func:`two_genre_set` builds the two-genre songs reproducibly from the clips of
  **one** split part (validation or test clips, never both): pairs of different
  genres, every genre as often as the others (give or take one), each clip drawn
  without reuse until its genre runs out; ``mix`` sums both clips at equal loudness
  (RMS), ``concat`` plays the first half of one and then the first half of the other;
* :func:`fit_sigmoid_head` is the seed's head (dense 128, dropout 0.5, sigmoid per
  genre, binary cross-entropy on one-hot targets), trained on the windows of
  single-genre clips and early-stopped on validation clips' windows;
* :func:`clip_probabilities` scores a song by the mean of its windows' probabilities,
  :func:`predict_sets` keeps the genres at or above a threshold;
* :func:`set_metrics`: exact-set accuracy (the seed's number), mean Jaccard overlap,
  whether the two true genres are the two most probable ones (a score without a
  threshold) and multi-label macro F1; :func:`multi_genre_record` writes them as a
  results record with 95 % bootstrap intervals over the songs;
* :func:`evaluate_multi_genre` chooses the threshold on a validation two-genre set
  (never on the test songs) and records the test songs at that threshold and at the
  seed's 0.2; :func:`save_multi_model` saves the checkpoint and head as
  ``musicnn-multi.keras`` for ``python -m helpers.predict --multi``.

The songs of the test set are made here, so the measurement says how well single-genre
training separates two overlaid or consecutive genres, not how the model fares on
real music that blends genres.

Why this module is long: building the two-genre songs, the head, the set metrics with
their bootstrap, the choice of threshold and the saved model share one notion of a
two-genre item and its genre set; split apart, each would restate it.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import audio
from ..results import evaluate
from ..runtime import progress as progress_bar
from .heads import HEAD, WindowSet

EXPERIMENT = "multi_genre"
MODES = ("mix", "concat")
DEFAULT_THRESHOLD = 0.2  # the seed's
THRESHOLDS = tuple(np.round(np.arange(0.05, 0.96, 0.05), 2))
CURVE_METRICS = ("exact_set_accuracy", "jaccard", "macro_f1")  # what choose_threshold can optimise
RECORD_METRICS = evaluate.MULTI_LABEL_METRICS  # exact_set_accuracy, jaccard, both_in_top2, macro_f1
PEAK = 0.99  # a mix louder than this is scaled down, never clipped


# ---------------------------------------------------------------------------- two-genre songs

@dataclass
class TwoGenreSet:
    """Two-genre songs: ``items`` (item, track_a, track_b, genre_a, genre_b, mode), their waveforms at ``sr``,
    and ``failed`` ("path: reason" of every clip that could not be decoded; skipped, another clip drawn)."""

    items: pd.DataFrame
    waveforms: list[np.ndarray]
    sr: int
    failed: list[str]

    def truth_sets(self) -> list[list[str]]:
        return [[a, b] for a, b in zip(self.items["genre_a"], self.items["genre_b"])]


def _one_factorization(n: int) -> list[list[tuple[int, int]]]:
    """Even ``n``: the circle method's ``n - 1`` rounds, each pairing every vertex once."""
    rounds = []
    for r in range(n - 1):
        pairs = [(n - 1, r)] + [((r + k) % (n - 1), (r - k) % (n - 1)) for k in range(1, n // 2)]
        rounds.append(pairs)
    return rounds


def _hamiltonian_cycles(n: int) -> list[list[int]]:
    """Odd ``n``: Walecki's ``(n - 1) / 2`` Hamiltonian cycles, which together hold every pair once."""
    m = (n - 1) // 2
    cycles = []
    for i in range(m):
        zigzag = [i]
        for k in range(1, m + 1):
            zigzag.append((i + k) % (2 * m))
            if k < m:
                zigzag.append((i - k) % (2 * m))
        cycles.append([n - 1, *zigzag])
    return cycles


def _balanced_cycle(n: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Every unordered pair of ``n`` vertices once, in an order after which, at every prefix, vertex counts differ by
    at most one (a plain shuffle would not: 5 pairs of 10 genres could all contain blues)."""
    if n % 2 == 0:
        rounds = _one_factorization(n)
        order = []
        for r in rng.permutation(len(rounds)):
            order += [rounds[r][j] for j in rng.permutation(len(rounds[r]))]
        return order
    order = []
    for c in rng.permutation(len(cycles := _hamiltonian_cycles(n))):
        cycle = np.roll(cycles[c], int(rng.integers(n)))[:: 1 if rng.random() < 0.5 else -1].tolist()
        # every second edge (all vertices but the last once), the closing edge, then the rest: each vertex twice
        order += [(cycle[j], cycle[j + 1]) for j in range(0, n - 1, 2)] + [(cycle[-1], cycle[0])]
        order += [(cycle[j], cycle[j + 1]) for j in range(1, n - 1, 2)]
    return order


def genre_pairs(genres: Sequence[str], n_items: int, seed: int = 42) -> list[tuple[str, str]]:
    """``n_items`` ordered pairs of two different genres: all unordered pairs in a seeded order, again and again,
    so that every genre occurs as often as any other, give or take one, after any number of items; which genre
    comes first is drawn per pair (it plays first in ``concat``)."""
    genres = sorted(set(genres))
    if len(genres) < 2:
        raise ValueError(f"a two-genre set needs clips of at least 2 genres; these clips have {len(genres)} ({', '.join(genres)})")
    rng = np.random.default_rng(seed)
    pairs: list[tuple[str, str]] = []
    while len(pairs) < n_items:
        names = [genres[i] for i in rng.permutation(len(genres))]  # a fresh vertex -> genre map per cycle
        for a, b in _balanced_cycle(len(genres), rng):
            pairs.append((names[a], names[b]) if rng.random() < 0.5 else (names[b], names[a]))
    return pairs[:n_items]


def _fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    return np.pad(samples[:length], (0, max(0, length - len(samples)))).astype(np.float32)


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def mix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Both clips scaled to the same RMS (the mean of their two) and summed; scaled down if the peak exceeds ``PEAK``."""
    level = (_rms(a) + _rms(b)) / 2
    scaled = [x * (level / _rms(x)) if _rms(x) > 0 else x for x in (a, b)]  # a silent clip stays silent
    out = scaled[0] + scaled[1]
    peak = float(np.max(np.abs(out))) if len(out) else 0.0
    return (out * (PEAK / peak) if peak > PEAK else out).astype(np.float32)


def concat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The first half-length of ``a``, then the first half-length of ``b`` (15 s + 15 s of two 30-s clips)."""
    half = len(a) // 2
    return np.concatenate([a[:half], b[: len(b) - half]]).astype(np.float32)


def _combine(mode: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return mix(a, b) if mode == "mix" else concat(a, b)


def two_genre_set(tracks: pd.DataFrame, n_items: int, mode: str, *, seed: int = 42, sr: int = 22050, seconds: float = 30.0,
                  progress: bool = True) -> TwoGenreSet:
    """``n_items`` two-genre songs from the clips of ``tracks`` (track_id, genre, path: the clips of ONE split part).

    Pairs come from :func:`genre_pairs`; per genre the clips are drawn in a seeded
    order without reuse until the genre's clips are exhausted (then in a new order).
    Each clip is decoded at ``sr`` and trimmed or padded (with silence) to ``seconds``.
    A clip that cannot be decoded is skipped, listed in ``failed`` and never drawn
    again; a genre with no readable clip left stops the build (ValueError).
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; valid modes: {', '.join(MODES)}")
    pairs = genre_pairs(tracks["genre"], n_items, seed)
    rng = np.random.default_rng([seed, 1])  # the clip draws, apart from the pair order
    pools = {g: part.reset_index(drop=True) for g, part in tracks.groupby("genre", sort=True)}
    queues: dict[str, list[int]] = {g: [] for g in pools}
    bad: dict[str, set[int]] = {g: set() for g in pools}
    decoded: dict[tuple[str, int], np.ndarray] = {}  # a clip drawn again after its genre ran out is decoded once
    failed: list[str] = []
    length = int(round(seconds * sr))

    def draw(genre: str) -> tuple[str, np.ndarray]:
        pool = pools[genre]
        while True:
            if not queues[genre]:
                usable = [i for i in range(len(pool)) if i not in bad[genre]]
                if not usable:
                    raise ValueError(f"no readable clip of {genre} left among the given tracks; unreadable: {'; '.join(failed)}")
                queues[genre] = [usable[j] for j in rng.permutation(len(usable))]
            i = queues[genre].pop(0)
            if (genre, i) not in decoded:
                try:
                    decoded[genre, i] = _fit_length(audio.load(pool.loc[i, "path"], sr=sr)[0], length)
                except audio.AudioError as error:
                    failed.append(str(error) if str(pool.loc[i, "path"]) in str(error) else f"{pool.loc[i, 'path']}: {error}")
                    bad[genre].add(i)
                    continue
            return str(pool.loc[i, "track_id"]), decoded[genre, i]

    rows, waveforms = [], []
    for item, (genre_a, genre_b) in enumerate(progress_bar(pairs, desc=f"two-genre songs ({mode})", unit="song",
                                                           disable=not progress)):
        (track_a, a), (track_b, b) = draw(genre_a), draw(genre_b)
        rows.append(dict(item=item, track_a=track_a, track_b=track_b, genre_a=genre_a, genre_b=genre_b, mode=mode))
        waveforms.append(_combine(mode, a, b))
    items = pd.DataFrame(rows, columns=["item", "track_a", "track_b", "genre_a", "genre_b", "mode"])
    known = set(tracks["track_id"].astype(str))
    assert set(items["track_a"]) <= known and set(items["track_b"]) <= known, "a clip from outside the given split part"
    return TwoGenreSet(items, waveforms, sr, failed)


# ---------------------------------------------------------------------------- the head

def multi_hot(genre_sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """``(items, labels)`` 0/1 matrix: 1 where the label is in the item's set (a genre outside ``labels``: ValueError)."""
    index = {label: j for j, label in enumerate(labels)}
    out = np.zeros((len(genre_sets), len(index)), dtype=np.int64)
    for i, genres in enumerate(genre_sets):
        unknown = [g for g in genres if g not in index]
        if unknown:
            raise ValueError(f"genres {unknown} are not in labels {list(labels)}")
        out[i, [index[g] for g in genres]] = 1
    return out


@dataclass
class SigmoidHead:
    """The seed's sigmoid head and the standardisation of its inputs; ``train_counts``: training windows per genre."""

    net: object
    mean: np.ndarray
    std: np.ndarray
    labels: list[str]
    layer: str = ""
    train_counts: dict[str, int] = field(default_factory=dict)


def window_split(windowset: WindowSet, split: pd.Series,
                 labels: Sequence[str] | None = None) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Part (train, valid, test, as in ``split``, aligned with ``windowset.tracks``) -> ``(X, y, rows)`` of its windows:
    ``y`` the genre code of each window in ``labels`` (default: the genres of ``windowset.tracks`` in alphabetical
    order), ``rows`` the clip (row of ``windowset.tracks``) of each window."""
    labels = list(labels) if labels is not None else sorted(set(windowset.tracks["genre"]))
    codes = np.array([labels.index(g) for g in windowset.tracks["genre"]])
    part = np.asarray(split)[windowset.rows]
    return {name: (windowset.X[part == name], codes[windowset.rows][part == name], windowset.rows[part == name])
            for name in dict.fromkeys(np.asarray(split).tolist())}


def fit_sigmoid_head(X: np.ndarray, y: np.ndarray, labels: Sequence[str], *, X_valid: np.ndarray, y_valid: np.ndarray,
                     seed: int = 42, epochs: int = 100, patience: int = 10, layer: str = "") -> tuple[SigmoidHead, dict]:
    """The seed's multi-label head on single-genre windows: dense 128 (relu), dropout 0.5, one sigmoid per genre,
    binary cross-entropy on one-hot targets, Adam 1e-3, batch 64; inputs standardised with the training mean and
    standard deviation; early stopping on the validation loss, the best epoch's weights kept.

    ``y`` / ``y_valid``: the genre code (index into ``labels``) of each row. Returns the head and
    ``{epochs, best_epoch, train_loss, valid_loss, train_seconds}`` (losses at the best epoch).
    """
    from ..runtime import quiet_tensorflow, seed_everything

    quiet_tensorflow()
    import keras

    labels = list(labels)
    mean, std = X.mean(0), X.std(0) + 1e-6
    one_hot = np.eye(len(labels), dtype=np.float32)  # single-genre clips: one positive label each
    seed_everything(seed)
    net = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(HEAD["dense_units"], activation="relu"),
                            keras.layers.Dropout(HEAD["dropout"]), keras.layers.Dense(len(labels), activation="sigmoid")])
    net.compile(keras.optimizers.Adam(HEAD["learning_rate"]), "binary_crossentropy")
    stop = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
    start = time.perf_counter()
    history = net.fit((X - mean) / std, one_hot[y], epochs=epochs, batch_size=HEAD["batch_size"], verbose=0,
                      validation_data=((X_valid - mean) / std, one_hot[y_valid]), callbacks=[stop])
    seconds = time.perf_counter() - start
    best = int(np.argmin(history.history["val_loss"]))
    counts = Counter(np.asarray(y).tolist())
    head = SigmoidHead(net, mean, std, labels, layer, {label: int(counts.get(j, 0)) for j, label in enumerate(labels)})
    return head, {"epochs": len(history.history["loss"]), "best_epoch": best + 1,
                  "train_loss": float(history.history["loss"][best]), "valid_loss": float(history.history["val_loss"][best]),
                  "train_seconds": seconds}


def clip_probabilities(head: SigmoidHead, X: np.ndarray, rows: np.ndarray, n_clips: int) -> np.ndarray:
    """``(n_clips, labels)``: the mean of each clip's windows' sigmoid outputs (``rows[i]``: the clip of row ``i``)."""
    rows = np.asarray(rows)
    windows = np.bincount(rows, minlength=n_clips)
    if len(windows) > n_clips or (windows[:n_clips] == 0).any():
        raise ValueError(f"every clip needs at least one window and rows must lie in 0..{n_clips - 1}")
    outputs = np.asarray(head.net.predict((X - head.mean) / head.std, verbose=0), dtype=np.float64)
    sums = np.zeros((n_clips, outputs.shape[1]))
    np.add.at(sums, rows, outputs)
    return sums / windows[:, None]


# ---------------------------------------------------------------------------- sets and their metrics

def predict_sets(probabilities: np.ndarray, labels: Sequence[str], threshold: float) -> list[list[str]]:
    """Per item, the genres whose probability is at least ``threshold``, most probable first. An item may get an
    empty set: it is kept and counts as wrong (it never equals a true set of two genres)."""
    probabilities = np.asarray(probabilities)
    return [[labels[j] for j in np.argsort(-p, kind="stable") if p[j] >= threshold] for p in probabilities]


def _per_item(truth: np.ndarray, predicted: np.ndarray, probabilities: np.ndarray) -> dict[str, np.ndarray]:
    """Per item: exact set, Jaccard, top-k (k true genres the k most probable), and per label TP, FP, FN."""
    exact = (truth == predicted).all(axis=1).astype(float)
    union = (truth | predicted).sum(axis=1)
    jaccard = np.divide((truth & predicted).sum(axis=1), union, out=np.ones(len(truth)), where=union > 0)
    order = np.argsort(-probabilities, axis=1, kind="stable")
    top = np.array([set(order[i, : t.sum()]) == set(np.flatnonzero(t)) for i, t in enumerate(truth)], dtype=float)
    return {"exact_set_accuracy": exact, "jaccard": jaccard, "both_in_top2": top,
            "tp": truth & predicted, "fp": predicted & ~truth, "fn": truth & ~predicted}


def _macro_f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """Macro F1 over the labels that occur in the truth, from per-label counts (last axis: labels)."""
    present = (tp + fn) > 0
    f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros(tp.shape), where=present)
    return np.divide(f1.sum(axis=-1), present.sum(axis=-1), out=np.full(f1.shape[:-1], np.nan), where=present.sum(axis=-1) > 0)


def set_metrics(truth_sets: Sequence[Sequence[str]], predicted_sets: Sequence[Sequence[str]], probabilities: np.ndarray,
                labels: Sequence[str]) -> dict:
    """Exact-set accuracy (the seed's number), mean Jaccard overlap, ``both_in_top2`` (the true genres are the most
    probable ones: a score without a threshold), multi-label macro F1 over the genres that occur in the truth,
    ``mean_set_size``, ``empty_sets`` (share of items with no genre predicted: each counts as wrong) and ``per_genre``
    precision, recall, F1 and support (items that contain the genre)."""
    from sklearn.metrics import precision_recall_fscore_support

    labels = list(labels)
    truth, predicted = multi_hot(truth_sets, labels).astype(bool), multi_hot(predicted_sets, labels).astype(bool)
    items = _per_item(truth, predicted, np.asarray(probabilities))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, average=None, zero_division=0)
    sizes = predicted.sum(axis=1)
    return {
        **{name: float(items[name].mean()) for name in ("exact_set_accuracy", "jaccard", "both_in_top2")},
        "macro_f1": float(_macro_f1(items["tp"].sum(0), items["fp"].sum(0), items["fn"].sum(0))),
        "mean_set_size": float(sizes.mean()), "empty_sets": float((sizes == 0).mean()),
        "per_genre": {label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                      for label, p, r, f, s in zip(labels, precision, recall, f1, support)},
    }


def threshold_curve(probabilities: np.ndarray, truth_sets: Sequence[Sequence[str]], labels: Sequence[str],
                    thresholds: Sequence[float] = THRESHOLDS) -> pd.DataFrame:
    """One row per threshold: exact-set accuracy, Jaccard, macro F1 and the mean number of genres predicted."""
    rows = []
    for threshold in thresholds:
        m = set_metrics(truth_sets, predict_sets(probabilities, labels, threshold), probabilities, labels)
        rows.append({"threshold": float(threshold), **{k: m[k] for k in (*CURVE_METRICS, "mean_set_size")}})
    return pd.DataFrame(rows, columns=["threshold", *CURVE_METRICS, "mean_set_size"])


def choose_threshold(curve: pd.DataFrame, metric: str = "exact_set_accuracy") -> float:
    """The threshold with the best ``metric`` on ``curve`` (give it a validation curve, never a test one); ties go to
    the threshold closest to the seed's ``DEFAULT_THRESHOLD``, then to the lower one."""
    if metric not in CURVE_METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid: {', '.join(CURVE_METRICS)}")
    values = curve[metric].to_numpy(dtype=float)
    best = np.isclose(values, np.nanmax(values), rtol=0, atol=1e-12)
    tied = curve["threshold"].to_numpy(dtype=float)[best]
    return float(min(tied, key=lambda t: (round(abs(t - DEFAULT_THRESHOLD), 9), t)))


# ---------------------------------------------------------------------------- results records

def _bootstrap(items: dict[str, np.ndarray], resamples: int, seed: int, level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile intervals of the four record metrics over resamples of the items (one draw shared by all four)."""
    n = len(items["exact_set_accuracy"])
    if n == 0 or resamples < 1:
        return {name: (float("nan"),) * 2 for name in RECORD_METRICS}
    index = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    scores = {name: items[name][index].mean(axis=1) for name in ("exact_set_accuracy", "jaccard", "both_in_top2")}
    counts = {k: items[k].astype(np.int64)[index].sum(axis=1) for k in ("tp", "fp", "fn")}  # (resamples, labels)
    scores["macro_f1"] = _macro_f1(counts["tp"], counts["fp"], counts["fn"])
    tail = (1 - level) / 2 * 100
    return {name: tuple(float(v) for v in np.nanpercentile(s, [tail, 100 - tail])) for name, s in scores.items()}


def chance_exact_set_accuracy(truth_sets: Sequence[Sequence[str]], counts: dict[str, int]) -> float:
    """Exact-set accuracy of always answering the two most frequent genres of ``counts`` (training clips or windows)."""
    if len(counts) < 2 or not sum(counts.values()):
        return 0.0
    guess = set(sorted(counts, key=lambda g: -counts[g])[:2])  # stable: equal counts keep the labels' order
    return float(np.mean([set(t) == guess for t in truth_sets])) if len(truth_sets) else 0.0


def _pair_counts(truth_sets: Sequence[Sequence[str]]) -> dict[str, int]:
    return dict(sorted(Counter(" + ".join(sorted(t)) for t in truth_sets).items()))


def multi_genre_record(truth_sets: Sequence[Sequence[str]], probabilities: np.ndarray, labels: Sequence[str], threshold: float,
                       *, model: str, dataset: str, protocol: str, mode: str, sizes: dict, threshold_source: str,
                       resamples: int = 1000, seed: int = 42, extra: dict | None = None, representation: str = "",
                       train_seconds: float | None = None, params: dict | None = None, notes: str = "",
                       train_genres: Sequence[str] | None = None, valid_genres: Sequence[str] | None = None,
                       chance_counts: dict[str, int] | None = None) -> dict:
    """A results record (schema of ``helpers.results.evaluate``) of two-genre test items at ``threshold``.

    ``metrics``: exact_set_accuracy, jaccard, both_in_top2 and macro_f1, each with a
    95 % percentile bootstrap interval over items. There is no ``accuracy``: the
    record's ``confusion`` is empty (a set prediction has no confusion matrix).
    ``sizes``: train/valid clips of the head (``test`` is set to the items);
    ``sizes_per_genre.test``: how often each genre occurs in the items (train/valid
    from ``train_genres``/``valid_genres``, the genre of each clip, when given).
    ``extra`` holds the threshold and where it was chosen, the mode, the items per
    genre pair and ``chance_exact_set_accuracy``: always answering the two most
    frequent training genres (of ``train_genres``, else ``chance_counts``; 0 when
    neither is given), the level a reader compares exact-set accuracy with.
    """
    from ..runtime import library_versions

    labels = list(labels)
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; valid modes: {', '.join(MODES)}")
    probabilities = np.asarray(probabilities)
    predicted_sets = predict_sets(probabilities, labels, threshold)
    values = set_metrics(truth_sets, predicted_sets, probabilities, labels)
    truth, predicted = multi_hot(truth_sets, labels).astype(bool), multi_hot(predicted_sets, labels).astype(bool)
    intervals = _bootstrap(_per_item(truth, predicted, probabilities), resamples, seed)
    occurrences = Counter(g for t in truth_sets for g in t)
    per_genre_sizes = {"test": {g: int(occurrences.get(g, 0)) for g in labels}}
    for part, genres in (("train", train_genres), ("valid", valid_genres)):
        if genres is not None:
            per_part = Counter(genres)
            per_genre_sizes[part] = {g: int(per_part.get(g, 0)) for g in labels}
    counts = per_genre_sizes.get("train") or chance_counts or {}
    basis = "training clips per genre" if "train" in per_genre_sizes else ("given counts" if chance_counts else "not computable")

    record = {
        "schema": evaluate.SCHEMA_VERSION, "task": "multi-label", "experiment": EXPERIMENT, "model": model, "dataset": dataset,
        "representation": representation, "protocol": protocol,
        "sizes": {"train": 0, "valid": 0, **{k: int(v) for k, v in (sizes or {}).items()}, "test": int(len(truth_sets))},
        "sizes_per_genre": per_genre_sizes,
        "metrics": {name: {"value": values[name], "ci_low": intervals[name][0], "ci_high": intervals[name][1]}
                    for name in RECORD_METRICS},
        "per_genre": values["per_genre"],
        "confusion": {"labels": labels, "matrix": []},  # no confusion matrix for sets of genres
        "train_seconds": None if train_seconds is None else float(train_seconds),
        "params": evaluate.jsonable(params or {}),
        "bootstrap": {"resamples": resamples, "level": 0.95, "seed": seed},
        "versions": library_versions(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profile": None,  # the profile of the run that saves it: evaluate.save() stamps it
        "notes": notes,
        "extra": evaluate.jsonable({
            "threshold": float(threshold), "threshold_source": threshold_source, "mode": mode, "items": len(truth_sets),
            "pairs_per_genre_pair": _pair_counts(truth_sets), "mean_set_size": values["mean_set_size"],
            "empty_sets": values["empty_sets"], "chance_exact_set_accuracy": chance_exact_set_accuracy(truth_sets, counts),
            "chance_basis": basis, **(extra or {})}),
        "failure": None,
    }
    return record


def threshold_text(threshold: float, source: str) -> str:
    """A threshold with where it comes from: ``0.20 (validation)``, ``0.20 (seed's)`` or ``0.20 (fixed)``."""
    where = "validation" if source.startswith("validation") else "seed's" if source.startswith("seed's") else "fixed"
    return f"{threshold:.2f} ({where})"


def record_table(records: Sequence[dict]) -> pd.DataFrame:
    """One row per multi-genre record (at most eight columns): model, mode, threshold, exact-set accuracy with its
    95 % interval beside its chance level, both true genres in the top two, Jaccard, training and validation clips
    with the test items (distinct clips); the dataset and split name the table when the records share them.
    Macro-F1 and the mean set size stay in the records."""
    from ..results.records import metric_cell

    # the name ends with " · <mode> · <threshold>": both have their own columns
    table = pd.DataFrame([{"model": r["model"].rsplit(" · ", 2)[0], "mode": r["extra"]["mode"],
                          "threshold": threshold_text(r["extra"]["threshold"], r["extra"].get("threshold_source", "")),
                          "exact set [95 % CI]": metric_cell(r, "exact_set_accuracy"),
                          "chance exact set": f"{r['extra']['chance_exact_set_accuracy']:.3f}",
                          "both in top 2": f"{r['metrics']['both_in_top2']['value']:.3f}",
                          "Jaccard": f"{r['metrics']['jaccard']['value']:.3f}",
                          "train/valid clips · test items (clips)": f"{r['sizes'].get('train', 0)}/{r['sizes'].get('valid', 0)} · "
                                                                   f"{r['sizes']['test']} ({r['extra'].get('distinct_test_clips', '-')})"}
                         for r in records])
    # the dataset and split as the table's caption (its index name) when the records share them
    where = sorted({f"{r['dataset']}, {r['protocol']}" for r in records})
    return table.rename_axis(where[0]) if len(where) == 1 else table


# ---------------------------------------------------------------------------- features, the experiment

def musicnn_windows(waveforms: Sequence[np.ndarray], sr: int, *, name: str = "msd-musicnn", layer: str = "taggram",
                    hop_seconds: float = 1.0, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """One row per 3-s window of every waveform (resampled to 16 kHz with musicnn's resampler, as the training clips
    were): the ``layer`` output of checkpoint ``name``; returns ``(X, rows)``, ``rows`` the item of each window."""
    from .pretrained import resample, window_outputs
    from .pretrained_port import hop_frames

    hop = hop_frames(hop_seconds)
    arrays = [window_outputs(resample(w, sr), [name], hop)[name][layer]
              for w in progress_bar(waveforms, desc=f"{name} windows", unit="song", disable=not progress)]
    rows = np.concatenate([np.full(len(a), i) for i, a in enumerate(arrays)])
    return np.concatenate(arrays).astype(np.float32), rows


def _distinct_clips(items: TwoGenreSet) -> int:
    return len(set(items.items["track_a"]) | set(items.items["track_b"]))


def _fixed_name(threshold: float) -> str:
    return f"seed's threshold {threshold:g}" if np.isclose(threshold, DEFAULT_THRESHOLD) else f"fixed threshold {threshold:g}"


def evaluate_multi_genre(label: str, featurize: Callable[[list[np.ndarray], int], tuple[np.ndarray, np.ndarray]],
                         head: SigmoidHead, valid_tracks: pd.DataFrame, test_tracks: pd.DataFrame, *, dataset: str,
                         protocol: str, sizes: dict, n_valid: int, n_test: int, seed: int = 42, resamples: int = 1000,
                         sr: int = 22050, seconds: float = 30.0, metric: str = "exact_set_accuracy", representation: str = "",
                         train_seconds: float | None = None, params: dict | None = None,
                         train_genres: Sequence[str] | None = None, valid_genres: Sequence[str] | None = None,
                         modes: Sequence[str] = MODES, progress: bool = True, fixed_threshold: float = DEFAULT_THRESHOLD
                         ) -> tuple[list[dict], dict[str, pd.DataFrame]]:
    """Per mode: a validation two-genre set from ``valid_tracks`` chooses the threshold (best ``metric``, see
    :func:`choose_threshold`); the test set from ``test_tracks`` is recorded at that threshold and at
    ``fixed_threshold`` (the seed's 0.2 by default).

    ``featurize(waveforms, sr) -> (X, rows)`` gives the head's input rows and the item
    of each row (e.g. :func:`musicnn_windows`). Returns the records (two per mode,
    models ``"{label} · {mode} · threshold chosen on validation"`` and ``"{label} ·
    {mode} · seed's threshold 0.2"``) and per mode the threshold curves of both sets
    (column ``part``: valid, test; the test curve is for the figure, it chooses nothing).
    """
    if not 0 < fixed_threshold < 1:
        raise ValueError(f"threshold must lie in (0, 1), got {fixed_threshold}")
    records, curves = [], {}
    for mode in modes:
        sets, probabilities = {}, {}
        for part, tracks, n in (("valid", valid_tracks, n_valid), ("test", test_tracks, n_test)):
            sets[part] = two_genre_set(tracks, n, mode, seed=seed, sr=sr, seconds=seconds, progress=progress)
            X, rows = featurize(sets[part].waveforms, sr)
            probabilities[part] = clip_probabilities(head, X, rows, len(sets[part].waveforms))
        truth = {part: s.truth_sets() for part, s in sets.items()}
        valid_curve = threshold_curve(probabilities["valid"], truth["valid"], head.labels)
        chosen = choose_threshold(valid_curve, metric)  # validation songs only: the test songs never choose
        curves[mode] = pd.concat([valid_curve.assign(part="valid"),
                                  threshold_curve(probabilities["test"], truth["test"], head.labels).assign(part="test")],
                                 ignore_index=True)
        common = dict(dataset=dataset, protocol=protocol, mode=mode, sizes=sizes, resamples=resamples, seed=seed,
                      representation=representation or f"{head.layer or 'head input'} per window", train_seconds=train_seconds,
                      params={"seed": seed, **HEAD, "loss": "binary_crossentropy", **(params or {})},
                      train_genres=train_genres, valid_genres=valid_genres, chance_counts=head.train_counts)
        # Rare genres lend the same clip to several items: the intervals treat items as independent, so say how many
        # distinct clips the items hold.
        shared = {"valid_items": len(truth["valid"]), "failed_clips": sets["valid"].failed + sets["test"].failed,
                  "threshold_metric": metric, "distinct_test_clips": _distinct_clips(sets["test"]),
                  "distinct_valid_clips": _distinct_clips(sets["valid"])}
        for threshold, name, source in ((chosen, "threshold chosen on validation",
                                         f"validation two-genre set ({mode}), best {metric.replace('_', ' ')}"),
                                        (fixed_threshold, _fixed_name(fixed_threshold), _fixed_name(fixed_threshold))):
            valid_at = valid_curve.loc[np.isclose(valid_curve["threshold"], threshold), metric]
            records.append(multi_genre_record(
                truth["test"], probabilities["test"], head.labels, threshold, model=f"{label} · {mode} · {name}",
                threshold_source=source, **common,
                extra={**shared, f"valid_{metric}": float(valid_at.iloc[0]) if len(valid_at) else None}))
    return records, curves


# ---------------------------------------------------------------------------- the saved model

LIMITATIONS = (
    "It knows the genres it was trained on only; any other music is described with them.",
    "It was trained on single-genre clips only: several genres per file come from independent sigmoid outputs above "
    "a threshold, not from examples of mixed music.",
    "Its test songs were made here by mixing or joining two clips of different genres; real music that blends "
    "genres was not tested, and the songs' genres are balanced, unlike most music collections.",
    "A file is cut into 3-s windows whose probabilities are averaged; an empty set (no genre above the threshold) is possible.",
)


def deployable_multi(name: str, head: SigmoidHead):
    """One Keras model from a musicnn window ``(187, 96)`` to the sigmoid genre probabilities: the ported checkpoint
    up to ``head.layer``, the standardisation, the head (standard layers only: it loads in safe mode)."""
    from ..runtime import quiet_tensorflow
    from .pretrained_port import build

    quiet_tensorflow()
    import keras

    base = build(name)
    features = base.get_layer(head.layer).output
    scaled = keras.layers.Normalization(mean=head.mean, variance=head.std ** 2, name="standardise")(features)
    return keras.Model(base.input, head.net(scaled), name=f"{name}-multi-genre")


def save_multi_model(name: str, head: SigmoidHead, threshold: float, record: dict, folder: str | os.PathLike, *,
                     hop_seconds: float = 1.0, training_data: str = "") -> Path:
    """Checkpoint ``name`` + ``head`` as ``folder/musicnn-multi.keras`` with its sidecar and card; the card's
    ``multi_label`` (threshold and where it was chosen) is what ``python -m helpers.predict --multi`` reads."""
    from . import artifacts, pretrained

    if not 0 < threshold < 1:
        raise ValueError(f"threshold must lie in (0, 1), got {threshold}")
    extra = record.get("extra", {})
    card = {
        "summary": (f"{name} (musicnn checkpoint, frozen) and the seed's sigmoid head on its {head.layer} layer: every "
                    f"genre whose mean window probability is at least {threshold:g} is a genre of the file"),
        "training_data": training_data or (f"{record['sizes'].get('train')} training and {record['sizes'].get('valid')} "
                                           f"validation single-genre clips of {record['dataset']}'s {record['protocol']} split"),
        "sizes": record["sizes"],
        "limitations": list(LIMITATIONS),
        "multi_label": {"threshold": float(threshold), "threshold_source": extra.get("threshold_source", "not recorded"),
                        "test_mode": extra.get("mode"), "chance_exact_set_accuracy": extra.get("chance_exact_set_accuracy")},
    }
    return artifacts.save_artifact(deployable_multi(name, head), folder, name=artifacts.MULTI_MODEL, genres=head.labels,
                                   preprocessing=pretrained.musicnn_preprocessing(name, hop_seconds), dataset=record["dataset"],
                                   protocol=record["protocol"], profile=record["profile"], metrics=record["metrics"], card=card)
