"""Candidates for the default model beyond one head, chosen on validation clips only.

Notebook 05's default starts as one head (dense 128) on a frozen checkpoint's layer, trained with the main seed.
Here, on the same windows and the same train/valid/test split of the clips:

* :func:`seeded_heads`: that head trained with more seeds, in groups (the first group starts at the main seed);
* an **ensemble** per group: the mean of the group's window probabilities. One ensemble per group, so that "an
  ensemble beats one head" can be checked over several training seeds, each group against its first head
  (``helpers.results.comparisons.seeded_difference``);
* **regression**: logistic regression on each clip's mean and standard deviation of the layer over its windows, alone
  and with the 57 handcrafted features (its regularisation chosen on validation balanced accuracy). Its fit draws
  nothing at random, so every seed gets the same predictions;
* a **blend** per group: the group's ensemble and that regression averaged, the weight chosen on validation;
* **fewer windows**: each ensemble scored on one window in three (a 3-s hop instead of 1 s: a third of the network
  passes, what ``helpers.library`` would save).

Every candidate becomes a results record with its validation scores (what chooses) and its test predictions per clip
(what the paired comparisons read). Only heads and their ensembles run inside one Keras model on audio, so only they
can become ``helpers.predict``'s default: :func:`deployed_record` scores that saved model itself.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..results import evaluate
from ..results.metrics import accuracy, balanced_accuracy
from . import training
from .heads import HEAD, Head, WindowSet, clip_truth, sources_per_part, test_clips, train_head
from .transfer import EXPERIMENT

REGRESSION_C = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)  # inverse regularisation strengths tried on validation
BLEND_WEIGHTS = (0.25, 0.5, 0.75)  # the regression's share in a blend, tried on validation
THIN = 3  # "fewer windows": one window in THIN, a 3-s hop from windows at a 1-s hop


@dataclass
class Scored:
    """One candidate's clip probabilities: ``valid`` and ``test`` clip ids with their probabilities (one column per
    label), and what it is made of."""

    name: str
    kind: str  # "head", "ensemble", "regression", "blend", "fewer windows"
    seeds: tuple[int, ...]
    valid: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    heads: tuple[Head, ...] = ()
    params: dict = field(default_factory=dict)

    @property
    def deployable(self) -> bool:
        return self.kind in ("head", "ensemble")


def _clip_mean(P: np.ndarray, windows: WindowSet, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ids, probabilities = evaluate.clip_probabilities(P[chosen], windows.tracks["track_id"].to_numpy()[windows.rows[chosen]])
    return np.asarray(ids), probabilities


def window_positions(windows: WindowSet) -> np.ndarray:
    """Each window's position within its clip (0 for a clip's first window); a clip's windows are contiguous."""
    starts = np.r_[0, np.flatnonzero(np.diff(windows.rows)) + 1]
    lengths = np.diff(np.r_[starts, len(windows.rows)])
    return np.arange(len(windows.rows)) - np.repeat(starts, lengths)


def _scored(name: str, kind: str, seeds: Sequence[int], P: np.ndarray, windows: WindowSet, part: np.ndarray,
            keep: np.ndarray | None = None, **extra) -> Scored:
    keep = np.ones(len(P), bool) if keep is None else keep
    return Scored(name, kind, tuple(seeds), _clip_mean(P, windows, (part == "valid") & keep),
                  _clip_mean(P, windows, (part == "test") & keep), **extra)


def seeded_heads(windows: WindowSet, split: np.ndarray, seeds: Sequence[int], *, epochs: int,
                 patience: int) -> list[tuple[int, Head, np.ndarray]]:
    """One head per seed on the same windows and split (:func:`helpers.models.heads.train_head`), with its
    probabilities on every window."""
    y, labels = training.encode_labels(windows.tracks["genre"])
    trained = []
    for seed in seeds:
        head, _, _, _, X = train_head(windows, split, y, labels, seed, epochs, patience)
        trained.append((seed, head, head.net.predict(X, verbose=0, batch_size=1024)))
    return trained


def ensembles(windows: WindowSet, split: np.ndarray, trained: Sequence[tuple[int, Head, np.ndarray]],
              group: int) -> list[tuple[Scored, Scored, Scored]]:
    """Per group of ``group`` consecutive seeds: its first head alone, the mean of its heads, and that mean on one
    window in :data:`THIN`."""
    part = split[windows.rows]
    thin = window_positions(windows) % THIN == 0
    found = []
    for start in range(0, len(trained) - group + 1, group):
        members = trained[start:start + group]
        seeds = [s for s, _, _ in members]
        mean = np.mean([P for _, _, P in members], axis=0)
        label = f"{seeds[0]}-{seeds[-1]}"
        found.append((_scored("one head", "head", seeds[:1], members[0][2], windows, part, heads=(members[0][1],)),
                      _scored(f"mean of {group} heads", "ensemble", seeds, mean, windows, part,
                              heads=tuple(h for _, h, _ in members), params={"seeds": label}),
                      _scored("mean, 3-s hop", "fewer windows", seeds, mean, windows, part, keep=thin,
                              params={"seeds": label, "window_hop_seconds": 3.0})))
    return found


def clip_statistics(windows: WindowSet) -> pd.DataFrame:
    """Each clip's mean and standard deviation of the layer over its windows, one row per clip id."""
    frame = pd.DataFrame(windows.X).groupby(windows.tracks["track_id"].to_numpy()[windows.rows]).agg(["mean", "std"])
    frame.columns = [f"{statistic}_{column}" for column, statistic in frame.columns]
    return frame.fillna(0.0)  # one window: no spread


def regression(table: pd.DataFrame, windows: WindowSet, split: np.ndarray, name: str,
               reference: Scored) -> Scored:
    """Logistic regression on ``table`` (one row per clip id), standardised on the training clips (a clip missing
    from ``table`` gets the training mean), its ``C`` chosen on validation balanced accuracy; probabilities for
    ``reference``'s validation and test clips, in its order."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    ids = windows.tracks["track_id"].to_numpy()
    labels = training.encode_labels(windows.tracks["genre"])[1]
    train_ids = ids[split == "train"]
    table = table.reindex(ids)
    table = table.fillna(table.loc[train_ids].mean()).fillna(0.0)
    scaler = StandardScaler().fit(table.loc[train_ids])

    def probabilities(model, clip_ids):
        found = model.predict_proba(scaler.transform(table.loc[clip_ids]))
        full = np.zeros((len(clip_ids), len(labels)))  # a genre without training clips gets probability 0
        full[:, [labels.index(c) for c in model.classes_]] = found
        return full

    valid_ids, test_ids = reference.valid[0], reference.test[0]
    valid_truth = clip_truth(windows, valid_ids)
    best = None
    for c in REGRESSION_C:
        model = LogisticRegression(C=c, max_iter=5000).fit(scaler.transform(table.loc[train_ids]), clip_truth(windows, train_ids))
        valid = probabilities(model, valid_ids)
        score = balanced_accuracy(valid_truth, np.array(labels)[valid.argmax(1)])
        if best is None or score > best[0]:
            best = (score, c, valid, probabilities(model, test_ids))
    _, c, valid, test = best
    return Scored(name, "regression", (), (valid_ids, valid), (test_ids, test), params={"C": c})


def blend(ensemble: Scored, regressed: Scored, windows: WindowSet) -> Scored:
    """``ensemble`` and ``regressed`` averaged, the regression's weight (:data:`BLEND_WEIGHTS`) chosen on validation
    balanced accuracy."""
    labels = np.array(training.encode_labels(windows.tracks["genre"])[1])
    truth = clip_truth(windows, ensemble.valid[0])
    best = max(BLEND_WEIGHTS, key=lambda w: balanced_accuracy(
        truth, labels[((1 - w) * ensemble.valid[1] + w * regressed.valid[1]).argmax(1)]))
    mix = lambda a, b: (a[0], (1 - best) * a[1] + best * b[1])  # noqa: E731
    return Scored("blend", "blend", ensemble.seeds, mix(ensemble.valid, regressed.valid),
                  mix(ensemble.test, regressed.test), params={**ensemble.params, **regressed.params, "weight": best})


def validation_scores(scored: Scored, windows: WindowSet) -> dict:
    """Clip-level accuracy and balanced accuracy on the validation clips (what chooses between candidates)."""
    labels = np.array(training.encode_labels(windows.tracks["genre"])[1])
    truth, predicted = clip_truth(windows, scored.valid[0]), labels[scored.valid[1].argmax(1)]
    return {"valid_accuracy": float(accuracy(truth, predicted)), "valid_balanced_accuracy": float(balanced_accuracy(truth, predicted))}


def _evaluate(scored: Scored, windows: WindowSet, split: np.ndarray, *, model: str, dataset: str, protocol: str,
              params: dict, seed: int | None, resamples: int, extra: dict) -> dict:
    labels = training.encode_labels(windows.tracks["genre"])[1]
    ids, probabilities = scored.test
    truth, predicted = clip_truth(windows, ids), np.array(labels)[probabilities.argmax(1)]
    tracks = windows.tracks
    return evaluate.evaluate(truth, predicted, labels, experiment=EXPERIMENT, model=model, dataset=dataset,
                             protocol=protocol, representation=f"{model.split()[0]} {windows.layer} per window",
                             params=params, resamples=resamples, seed=seed if seed is not None else 42,
                             train_genres=tracks["genre"][split == "train"].tolist(),
                             valid_genres=tracks["genre"][split == "valid"].tolist(),
                             extra={**extra, **validation_scores(scored, windows), **sources_per_part(tracks, split),
                                    "test_clips": test_clips(ids, truth, predicted)})


def record(scored: Scored, windows: WindowSet, split: np.ndarray, *, checkpoint: str, dataset: str, protocol: str,
           seed: int | None, resamples: int = 1000, epochs: int = 0, patience: int = 0) -> dict:
    """The results record of one candidate: test scores, validation scores, test predictions per clip. ``seed``: the
    training seed its comparisons pair it by (its first seed; for a regression, the seed it is paired with)."""
    params = {"seed": seed, **({**HEAD, "epochs": epochs, "patience": patience} if scored.seeds else {}), **scored.params}
    seeds = scored.seeds
    named = scored.name + (f" (seed {seeds[0]})" if len(seeds) == 1 else f" (seeds {seeds[0]}-{seeds[-1]})" if seeds else "")
    return _evaluate(scored, windows, split, model=f"{checkpoint} {windows.layer} · {named}", dataset=dataset,
                     protocol=protocol, params=params, seed=seed, resamples=resamples,
                     extra={"candidate": scored.kind, "deployable": scored.deployable, "seeds": list(scored.seeds)})


def as_seed(regressed: dict, seed: int) -> dict:
    """A copy of a regression's record paired with training seed ``seed``: its fit draws nothing at random, so every
    seed would give these predictions (what lets ``seeded_difference`` pair it with each seed's head)."""
    paired = copy.deepcopy(regressed)
    paired["params"]["seed"] = seed
    return paired


def deployed_record(model, windows: WindowSet, split: np.ndarray, *, name: str, dataset: str, protocol: str,
                    seeds: Sequence[int], resamples: int = 1000, extra: dict | None = None) -> dict:
    """The record of a saved default model scored by itself: its layers after the windows' layer (the
    standardisation, the head or heads, their mean) applied to the windows' values, so that the card's test scores
    are the saved model's own, not the training code's (whose arithmetic can differ in the last digits). ``seeds``:
    its heads' training seeds."""
    import keras

    tail = keras.Model(model.get_layer(windows.layer).output, model.output)
    P = tail.predict(windows.X, verbose=0, batch_size=1024)
    scored = _scored(name, "deployed", seeds, P, windows, split[windows.rows])
    return _evaluate(scored, windows, split, model=name, dataset=dataset, protocol=protocol,
                     params={"seed": seeds[0], "seeds": list(seeds), **HEAD}, seed=seeds[0], resamples=resamples,
                     extra={**(extra or {}), "seeds": list(seeds)})
