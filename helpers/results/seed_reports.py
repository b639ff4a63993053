"""The numbers the seed (student) reports state, each with where it comes from: one table.

This repository does not hold the reports' full text. The values, protocols and inputs
below are as restated in this repository's issue tracker, and each row's ``where`` says
only what is known of its place in the report (its results table, its model comparison),
never a table number. Quoted for comparison only (``helpers.results.report.seed_comparison``);
never used in a computation.

``model_key`` is our model of the same name (``None``: we have none); ``our_protocol``
is our protocol that matches the report's (``None``: the report's split is not
restated, or we run none like it); ``reason`` says why a number has no run of ours beside it
(for example, ImageNet weights cannot be downloaded here), so that the README's comparison
lists every number, compared or not.

The features report trained every one of its models (the features classifiers, the LSTM, its
CNN and CRNN, the ImageNet networks with and without augmentation, Wav2Vec2) on **one random
80/20 split with the same seed** (200 test clips of GTZAN's 1000). Its text and its results
table disagree for two models (CNN: 62.5 % in the text, 55 % in the table; CRNN: 53.5 % vs
45.5 %); the table's values are used, because the table gives every model under that one
split, and each such row says so in its note.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import pandas as pd


@dataclass(frozen=True)
class SeedResult:
    """One number a seed report states."""

    report: str  # which report
    where: str  # where in it, as far as known
    model: str  # the model as the report names it
    model_key: str | None  # our model key, or None
    protocol: str  # the split as the report describes it
    our_protocol: str | None  # our protocol that matches it, or None
    dataset: str  # our dataset key
    input: str  # what the model sees, as the report describes it
    metric: str  # our metric key
    value: float
    note: str = ""
    test_clips: int | None = None  # the report's test set, when stated
    reason: str = ""  # why no run of ours stands beside it (when none does)


FEATURES = dict(report="features report", where="model comparison", protocol="random 80/20 split",
                our_protocol="random-80/20", dataset="gtzan", input="Kaggle features CSV (features_30_sec.csv)", metric="accuracy",
                test_clips=200)
# the same report's networks on spectrograms, with and without augmentation: the same split
FEATURES_NETWORKS = dict(FEATURES, where="results table", input="mel spectrograms (details not restated)", our_protocol=None,
                         model_key=None)
IMAGENET = ("ImageNet weights cannot be downloaded here: notebook 06 trains VGG16 and ResNet50 from random initialisation "
            "instead (labelled -random-init); MSD-VGG is its transfer learning done offline")
TABLE_NOT_TEXT = "the results table's value; the report's text says {text} %"
W2V = ("no Wav2Vec2 weights offline; notebook 08 runs it, where weights are available, under its own random 70/10/20 "
       "and the fixed split (fine-tuning needs validation clips), not the report's 80/20")
MAIN = dict(report="main seed report", where="CNN results table", protocol="random 70/10/20 split", our_protocol="random-70/10/20",
            dataset="gtzan", input="128x128 grayscale mel-spectrogram PNGs, 50 epochs", metric="accuracy")
AUGMENTATION = dict(FEATURES_NETWORKS, where="augmentation experiments", reason=IMAGENET)
AUGMENTED = "six-fold augmentation: time stretch 0.81 / 0.93 / 1.07 / 1.23 and a 5-s shift"
NOT_ON_THIS_SPLIT = ("not run under the report's 80/20 split: notebook 07 applies the six-fold set to the base CNN under "
                     "random 70/10/20 and the fixed split")

FMA_REPORT = dict(report="FMA report", where="test results table", protocol="official 80/10/10 split of FMA-small",
                  our_protocol="official", dataset="fma-small",
                  reason="FMA-small's audio is not available here; notebook 08 runs on it with --dataset")
FMA_CROPS = "random 6-s crops (2^18 samples at 44.1 kHz) for training, the mid-track crop for test"


def _fma_rows(model: str, model_key: str, input_: str, accuracy: float, loss: float, f1: float) -> tuple[SeedResult, ...]:
    """A network's three numbers in the FMA report's table: test accuracy, test loss and F1."""
    return tuple(SeedResult(model=model, model_key=model_key, input=f"{input_}; {FMA_CROPS}", metric=metric, value=value,
                            note=note, **FMA_REPORT)
                 for metric, value, note in (("accuracy", accuracy, ""), ("test_loss", loss, "cross-entropy"),
                                             ("f1", f1, "F1 as the report states it (its averaging is not restated)")))


SEED_RESULTS: tuple[SeedResult, ...] = (
    SeedResult(model="tuned XGBoost", model_key="xgboost-tuned", value=0.79, **FEATURES),
    SeedResult(model="XGBoost", model_key="xgboost", value=0.775, **FEATURES),
    SeedResult(model="random forest", model_key="random-forest", value=0.755, **FEATURES),
    SeedResult(model="dense network", model_key="dense-net", value=0.755, **FEATURES),
    SeedResult(model="KNN", model_key="knn", value=0.645, **FEATURES),
    SeedResult(model="LSTM", model_key="lstm", value=0.54,
               **{**FEATURES, "input": "per-frame feature sequences of the audio (details not restated)"}),
    SeedResult(model="base CNN", model_key="base-cnn", value=0.585, **MAIN),
    SeedResult(model="tuned CNN", model_key="tuned-cnn", value=0.62, note="after a 551-trial grid search", **MAIN),
    SeedResult(report="3-s segment report", where="reported result", model="small CNN", model_key="small-cnn",
               protocol="random 50/20/30 split", our_protocol="random-50/20/30", dataset="gtzan",
               input="64-band log-mel spectrograms of 3-s segments", metric="accuracy", value=0.48),
    SeedResult(model="CRNN", value=0.455, note=TABLE_NOT_TEXT.format(text=53.5),
               **{**FEATURES_NETWORKS, "model_key": "crnn", "our_protocol": "random-80/20",
                  "reason": "not run under the report's 80/20 split: notebook 04 trains its CRNN under random 70/10/20 "
                            "(early stopping needs validation clips) and the fixed split"}),
    SeedResult(model="VGG16 from ImageNet, frozen base + dense 128 / dropout 0.5 / softmax",
               model_key="vgg16-imagenet · frozen base + head", value=0.665,
               note="train 70.96 %, validation 62 % (as the report states)", reason=IMAGENET, **MAIN),
    SeedResult(report="main seed report", where="multi-genre experiment", model="VGG16 from ImageNet, sigmoid outputs, threshold 0.2",
               model_key=None, protocol="50 songs that mix two genres (how they were chosen is not restated)", our_protocol=None,
               dataset="gtzan", input="128x128 grayscale mel-spectrogram PNGs", metric="exact_set_accuracy", value=0.40,
               note="both genres predicted, and no other",
               reason="its 50 songs are not available; notebook 06 scores its multi-genre models on two-genre items made "
                      "from test clips (exact-set accuracy there)"),
    SeedResult(model="VGG16 from ImageNet, every layer fine-tuned", value=0.76, note="without augmentation", **AUGMENTATION),
    SeedResult(model="VGG16 from ImageNet, every layer fine-tuned", value=0.84, note=f"with {AUGMENTED}", **AUGMENTATION),
    SeedResult(model="VGG16 from ImageNet, last layer only", value=0.635, note="its best last-layer variant (variants 62-63.5 %)",
               **AUGMENTATION),
    SeedResult(model="AlexNet from ImageNet, every layer fine-tuned", value=0.67, **AUGMENTATION),
    SeedResult(model="AlexNet from ImageNet, last layer only", value=0.595, note="its best last-layer variant (variants 57-59.5 %)",
               **AUGMENTATION),
    SeedResult(model="ResNet from ImageNet, every layer fine-tuned", value=0.59, **AUGMENTATION),
    SeedResult(model="custom CNN", value=0.55, note="without augmentation; " + TABLE_NOT_TEXT.format(text=62.5),
               **{**AUGMENTATION, "reason": NOT_ON_THIS_SPLIT}),
    SeedResult(model="custom CNN", value=0.66, note=f"with {AUGMENTED}", **{**AUGMENTATION, "reason": NOT_ON_THIS_SPLIT}),
    SeedResult(report="segment-length report", where="reported results", model="ResNet18 from ImageNet", model_key=None,
               protocol="not restated", our_protocol=None, dataset="gtzan", input="3-s segments", metric="accuracy", value=0.80,
               reason="ImageNet weights cannot be downloaded here: notebook 07's ResNet18 is trained from scratch"),
    SeedResult(report="segment-length report", where="reported results", model="ResNet18 from ImageNet", model_key=None,
               protocol="not restated", our_protocol=None, dataset="gtzan", input="5-s segments", metric="accuracy", value=0.80,
               note="worse with 10-s segments",
               reason="ImageNet weights cannot be downloaded here: notebook 07's ResNet18 is trained from scratch"),
    SeedResult(model="Wav2Vec2-base, frozen, head 768-128-10", model_key="wav2vec2-frozen", value=0.61,
               note="classical and metal recall 0.8, rock and disco 0.3",
               **{**FEATURES, "our_protocol": None, "input": "raw waveform at 16 kHz, features pooled over time", "reason": W2V}),
    SeedResult(model="Wav2Vec2-base, fine-tuned", model_key="wav2vec2-fine-tune", value=0.68,
               **{**FEATURES, "our_protocol": None, "input": "raw waveform at 16 kHz", "reason": W2V}),
    *_fma_rows("NNET1", "nnet1", "raw waveform", 0.47, 1.73, 0.33),
    *_fma_rows("NNET2", "nnet2-mfcc", "20 MFCCs per frame (256 x 20)", 0.51, 1.70, 0.38),
    *_fma_rows("MixNet", "mixnet", "the encoders of NNET1 and NNET2", 0.55, 1.65, 0.35),
)


def table() -> pd.DataFrame:
    """Every seed number, one row each, with its citation."""
    return pd.DataFrame([asdict(row) for row in SEED_RESULTS], columns=[f.name for f in fields(SeedResult)])


def report_rows(report: str, where: str | None = None) -> pd.DataFrame:
    """One report's numbers (model, input, protocol, value, note), for a notebook to show beside its own runs; only
    those of one part of it with ``where`` (``"augmentation experiments"``)."""
    reports = sorted({row.report for row in SEED_RESULTS})
    if report not in reports:
        raise ValueError(f"unknown seed report {report!r}; valid: {', '.join(reports)}")
    found = table()
    found = found.loc[found["report"] == report]
    if where is not None:
        parts = sorted(set(found["where"]))
        if where not in parts:
            raise ValueError(f"the {report} has no part {where!r}; valid: {', '.join(parts)}")
        found = found.loc[found["where"] == where]
    return found[["report", "where", "model", "input", "protocol", "value", "note"]].reset_index(drop=True)


def value(model_key: str, metric: str = "accuracy") -> float:
    """The seed's ``metric`` for our model ``model_key``; ``KeyError`` when no report states one."""
    found = [row.value for row in SEED_RESULTS if row.model_key == model_key and row.metric == metric]
    if len(found) != 1:  # two would be ambiguous; no model key has two rows today
        raise KeyError(f"{len(found)} seed-report values of {metric} for {model_key!r}; "
                       f"models with one: {', '.join(sorted({r.model_key for r in SEED_RESULTS if r.model_key}))}")
    return found[0]


def report_metrics(report: str) -> pd.DataFrame:
    """One report's numbers with one column per metric it states (its results table as it reads), one row per model."""
    report_rows(report)  # an unknown report names the valid ones
    found = table().loc[table()["report"] == report]
    wide = found.pivot_table(index=["model", "input", "protocol"], columns="metric", values="value", sort=False).reset_index()
    return wide[["model", *dict.fromkeys(found["metric"]), "protocol", "input"]].rename_axis(columns=None)
