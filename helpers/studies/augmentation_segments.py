"""Notebook 07's experiments: augmentation, segment length and leakage, on splits decided per track.

* Inputs: :func:`segment_inputs` (log-mel arrays of a clip's segments, ``helpers.inputs.network_inputs``),
  :func:`copy_inputs` (the same of augmented copies, ``helpers.inputs.augment.WaveformPolicy``, cached per
  clip by content and parameters) and :func:`musicnn_segment_inputs` (MSD-musicnn's penultimate
  layer averaged over the 3-s windows inside each segment: the music-pretrained network's head).
* :func:`with_training_copies`: a split's training tracks get their copies; validation and test
  stay original; :func:`helpers.inputs.augment.assert_training_only` checks it on every honest run.
* :func:`run_condition`: one network under one condition of ``CONDITIONS``. The two leaky ones
  (the seeds' protocols) split *units*, not tracks: segments, or augmented copies; a clip's
  siblings then sit on both sides, which is what they measure. Every record keeps its test
  predictions per clip and per segment, so intervals can resample whole source tracks
  (:func:`segment_score`) and differences can be paired on the same clips (:func:`paired_difference`)
  or compared across test sets (:func:`leakage_effect`).
* The studies as notebook 07 runs them, one call each: :func:`study_inputs` (every input, once),
  :func:`leakage_runs`, :func:`augmentation_runs`, :func:`segment_length_runs` and :func:`every_genre_runs`
  (the second view); each record stores its segment length (``extra.segment_seconds``).

Why this module is long: the three studies share one set of inputs, one notion of a condition
and one way to score segments by source track; split apart, each would restate them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import data
from ..data import audio, cache
from ..inputs import augment, network_inputs, representations
from ..inputs.spectrograms import LIBRARIES, MelParams, log_mel, normalize
from ..models import networks
from ..results import comparisons, evaluate
from ..results.comparisons import paired_difference  # noqa: F401 (its readers and tests call it from here too)

EXPERIMENT = "augmentation_segments"
SEGMENT_MEL = MelParams(n_mels=64)
HONEST_PROTOCOLS = ("random-70/10/20", "fault-filtered", "official")
# Condition -> (how units are split, what one unit is); the leaky ones are the seeds' protocols.
CONDITIONS: dict[str, str] = {
    "segment-random": "segments split at random (70/10/20): a clip's segments on both sides (the seeds' split)",
    "track-random": "clips split at random (70/10/20); segments follow their clip",
    "fixed": "the dataset's fixed split (GTZAN: fault-filtered, artist-conditional); segments follow their clip",
    "augment-after-split": "clips split at random (70/10/20), then the training clips copied",
    "augment-before-split": "every clip copied, then the copies split at random (70/10/20): a clip's copies on both sides",
}
LEAKY = ("segment-random", "augment-before-split")


# --- inputs --------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class SegmentInputs:
    """Network inputs ``X`` aligned with ``table`` (``track_id, genre, segment, copy``), the clips that failed, and
    the segment length in seconds (``None`` when not known), which every record made from them stores."""

    X: np.ndarray
    table: pd.DataFrame
    failed: list[str]
    seconds: float | None = None

    def subset(self, keep: np.ndarray) -> SegmentInputs:
        return SegmentInputs(self.X[keep], self.table[keep].reset_index(drop=True), self.failed, self.seconds)


def _with_fixed_split(table: pd.DataFrame, tracks: pd.DataFrame) -> pd.DataFrame:
    return data.attach_fixed_split(table, tracks) if "fixed_split" in tracks else table


def segment_inputs(tracks: pd.DataFrame, seconds: float, per_clip: int | None = None, cache_dir: Path | None = None,
                   jobs: int = 1) -> SegmentInputs:
    """The normalised log-mel arrays (64 bands) of each clip's ``seconds``-long segments (``per_clip`` evenly spaced),
    each row with its clip's fixed split (``fixed_split``, when ``tracks`` has one)."""
    found = network_inputs.log_mel_segments(tracks, seconds, SEGMENT_MEL, per_clip=per_clip, cache_dir=cache_dir, jobs=jobs)
    return SegmentInputs(found.X, _with_fixed_split(found.table.assign(copy="original"), tracks), found.failed, float(seconds))


@dataclass(frozen=True)
class CopySegments:
    """A representation (``helpers.inputs.representations``): the log-mel segments of every copy of a clip but the original.

    Value: ``(X, segment, copy)`` arrays; cached per clip under ``cache_dir`` keyed by the file's content,
    the policy's parameters (``audiomentations`` version included), segment length, mel settings and seed.
    """

    policy: augment.WaveformPolicy
    seconds: float
    per_clip: int | None = None
    seed: int = 42
    cache_dir: Path | None = None
    params: MelParams = SEGMENT_MEL

    @property
    def name(self) -> str:
        return f"{self.policy.name} copies"

    @property
    def sample_rate(self) -> int:
        return self.params.sample_rate

    def _entry(self, track) -> Path:
        key = cache.key("augmented-segments", self.policy.params, self.seconds, self.per_clip, self.seed, self.params,
                        files=[track["path"]], libraries=LIBRARIES)
        return cache.entry("augmented-segments", key, ".npz", root=self.cache_dir)

    def cached(self, track):
        if self.cache_dir is None:
            return None
        try:
            stored = cache.read_arrays(self._entry(track), ["X", "segment", "copy"])
        except OSError:
            return None  # the decode reports the missing file
        return None if stored is None else (stored["X"], stored["segment"], stored["copy"])

    def compute(self, samples, sr, track):
        arrays, segments, copies = [], [], []
        for number, variant in enumerate(self.policy.variants[1:], start=1):
            copied = self.policy.apply(samples, sr, variant, augment.copy_seed(track["track_id"], variant, self.seed))
            pieces = audio.segment(copied, sr, self.seconds)
            for i in network_inputs.pick_segments(len(pieces), self.per_clip):
                arrays.append(normalize(log_mel(pieces[i], self.params)))
                segments.append(i)
                copies.append(number)
        frames = 1 + int(self.seconds * self.params.sample_rate) // self.params.hop_length
        X = np.stack(arrays) if arrays else np.zeros((0, self.params.n_mels, frames), np.float32)
        return X, np.array(segments, np.int64), np.array(copies, np.int64)

    def store(self, track, value) -> None:
        if self.cache_dir is not None:
            X, segment, copy = value
            cache.write_arrays(self._entry(track), X=X, segment=segment, copy=copy)


def copy_inputs(tracks: pd.DataFrame, policy: augment.WaveformPolicy, seconds: float, per_clip: int | None = None,
                seed: int = 42, cache_dir: Path | None = None, jobs: int = 1) -> SegmentInputs:
    """The augmented copies' segments of every readable track (originals excluded: see :func:`segment_inputs`)."""
    rep = CopySegments(policy, float(seconds), per_clip, seed, None if cache_dir is None else Path(cache_dir))
    result = representations.compute(tracks, [rep], jobs=jobs, progress=True, desc=f"{policy.name} copies, {seconds:g}-s segments")
    arrays, rows = [], []
    for track, value in zip(result.tracks.to_dict("records"), result.values[rep.name]):
        if value is None:
            continue
        X, segment, copy = value
        arrays.append(X)
        rows += [dict(track_id=track["track_id"], genre=track["genre"], segment=int(s), copy=policy.variants[int(c)])
                 for s, c in zip(segment, copy)]
    frames = 1 + int(seconds * SEGMENT_MEL.sample_rate) // SEGMENT_MEL.hop_length
    X = np.concatenate(arrays)[..., None] if rows else np.zeros((0, SEGMENT_MEL.n_mels, frames, 1), np.float32)
    return SegmentInputs(X, pd.DataFrame(rows, columns=["track_id", "genre", "segment", "copy"]), list(result.failed), float(seconds))


def musicnn_segment_inputs(tracks: pd.DataFrame, seconds: float) -> SegmentInputs:
    """MSD-musicnn's penultimate layer averaged over the 3-s windows (1-s hop) that lie inside each segment."""
    from ..models import heads

    windows = heads.window_embeddings(tracks, "msd-musicnn", hop_seconds=1.0)
    rows, vectors = [], []
    for row, clip in windows.tracks.iterrows():
        X = windows.X[windows.rows == row]  # window i covers [i, i + 3) s
        for s in range(audio.segment_count(float(clip["duration"]), seconds)):
            inside = [i for i in range(len(X)) if i >= s * seconds and i + 3 <= (s + 1) * seconds]
            if inside:
                vectors.append(X[inside].mean(axis=0))
                rows.append(dict(track_id=clip["track_id"], genre=clip["genre"], segment=s, copy="original"))
    table = pd.DataFrame(rows, columns=["track_id", "genre", "segment", "copy"])
    return SegmentInputs(np.asarray(vectors, np.float32), _with_fixed_split(table, tracks), [], float(seconds))


LOG_MEL = "log-mel 64 bands"
# The segment-length study's models (``config.STUDY["segment_models"]``): the network of
# ``helpers.models.zoo`` each trains and the representation it sees.
SEGMENT_MODELS: dict[str, tuple[str, str]] = {
    "base-cnn": ("base-cnn", LOG_MEL),
    "resnet18": ("resnet18", LOG_MEL),
    "msd-musicnn-head": ("dense-head", "MSD-musicnn penultimate, mean per segment"),
}


def segment_study_inputs(model: str, tracks: pd.DataFrame, seconds: float, settings: dict, cache_dir: Path | None = None,
                         jobs: int = 1) -> tuple[SegmentInputs, int | None]:
    """One segment-length run's inputs and its segments per clip (None: all). ``settings``: a profile's
    ``config.STUDY`` (``per_clip``; ``resnet_per_clip`` for ResNet18, which costs more per segment)."""
    if model not in SEGMENT_MODELS:
        raise ValueError(f"unknown segment-study model {model!r}; valid: {', '.join(SEGMENT_MODELS)}")
    if model == "msd-musicnn-head":
        return musicnn_segment_inputs(tracks, seconds), None
    per_clip = settings["resnet_per_clip"] if model == "resnet18" else settings["per_clip"]
    return segment_inputs(tracks, seconds, per_clip, cache_dir, jobs), per_clip


def with_training_copies(originals: SegmentInputs, copies: SegmentInputs, split: pd.Series) -> tuple[SegmentInputs, pd.Series]:
    """The originals plus the copies of the training tracks only; ``split`` is per row of ``originals``.

    Returns the combined inputs and their split (copies inherit ``train``); asserted with
    ``augment.assert_training_only``.
    """
    per_track = dict(zip(originals.table["track_id"], np.asarray(split)))
    train_tracks = {t for t, part in per_track.items() if part == "train"}
    keep = copies.table["track_id"].isin(train_tracks).to_numpy()
    table = pd.concat([originals.table, copies.table[keep]], ignore_index=True)
    combined_split = pd.Series(list(np.asarray(split)) + ["train"] * int(keep.sum()), name="split")
    augment.assert_training_only(table.assign(split=combined_split.to_numpy()))
    combined = SegmentInputs(np.concatenate([originals.X, copies.X[keep]]), table, originals.failed + copies.failed, originals.seconds)
    return combined, combined_split


# --- conditions ----------------------------------------------------------------------------

def _units(table: pd.DataFrame, condition: str) -> pd.DataFrame:
    """``table`` with ``track_id`` the unit a condition splits (``source_track``: the clip it came from)."""
    frame = table.assign(source_track=table["track_id"])
    if condition == "segment-random":
        frame["track_id"] = frame["track_id"] + "#" + frame["copy"] + "#" + frame["segment"].astype(str)
    elif condition == "augment-before-split":
        frame["track_id"] = frame["track_id"] + "#" + frame["copy"]
    return frame


def condition_split(table: pd.DataFrame, condition: str, fixed_protocol: str | None = None,
                    seed: int = 42) -> tuple[pd.DataFrame, pd.Series, str]:
    """The unit table, its split per row and the protocol name a record of ``condition`` carries."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; valid: {', '.join(CONDITIONS)}")
    frame = _units(table, condition)
    if condition == "fixed":
        if fixed_protocol is None:
            raise ValueError("the fixed condition needs the dataset's fixed protocol (fault-filtered, official)")
        return frame, networks.row_split(frame, fixed_protocol, seed=seed), fixed_protocol
    split = networks.row_split(frame.drop(columns=["fixed_split"], errors="ignore"), "random-70/10/20", seed=seed)
    protocol = "random-70/10/20" if condition in ("track-random", "augment-after-split") else f"{condition} 70/10/20"
    return frame, split, protocol


def run_condition(
    model: str, inputs: SegmentInputs, *, condition: str, dataset: str, representation: str, label: str,
    copies: SegmentInputs | None = None, augmentation: str = "none", fixed_protocol: str | None = None,
    params: dict | None = None, seed: int = 42, resamples: int = 1000, results_dir: Path | None = None, profile: str | None = None,
    **fit_settings,
) -> tuple[dict, object]:
    """Train ``model`` (``helpers.models.zoo``) under ``condition``: one record (saved under ``results_dir``) and the fit.

    ``copies`` are added to the training tracks (honest conditions) or split with the originals
    (``augment-before-split``). ``inputs.table`` needs ``fixed_split`` for ``fixed``.
    """
    if condition in ("augment-after-split", "augment-before-split") and copies is None:
        raise ValueError(f"{condition} needs the augmented copies")
    table = inputs.table
    X = inputs.X
    if condition == "augment-before-split":
        table = pd.concat([table, copies.table.assign(fixed_split=None)], ignore_index=True)
        X = np.concatenate([X, copies.X])
    frame, split, protocol = condition_split(table, condition, fixed_protocol, seed)
    if copies is not None and condition != "augment-before-split":
        combined, split = with_training_copies(SegmentInputs(X, table, inputs.failed, inputs.seconds), copies, split)
        X, frame = combined.X, _units(combined.table, condition)
    record, predictions, fit = networks.run_network(
        model, X, frame[["track_id", "genre"]], split, experiment=EXPERIMENT, dataset=dataset, protocol=protocol,
        representation=representation, label=label, params=params, seed=seed, resamples=resamples, **fit_settings)
    test = (np.asarray(split) == "test")
    probabilities = networks.predict_proba(fit.model, X[test])
    labels = record["confusion"]["labels"]
    tested = frame[test]
    parts = {part: frame[np.asarray(split) == part] for part in ("train", "valid", "test")}
    record["extra"].update(evaluate.jsonable(dict(
        condition=condition, condition_text=CONDITIONS[condition], leaky=condition in LEAKY, augmentation=augmentation,
        unit={"segment-random": "segment", "augment-before-split": "copy"}.get(condition, "clip"),
        segments_per_clip=int(inputs.table.groupby("track_id").size().max()), segment_seconds=inputs.seconds,
        source_tracks={part: int(rows["source_track"].nunique()) for part, rows in parts.items()},
        rows={part: len(rows) for part, rows in parts.items()},
        test_segments_by_source=dict(source=tested["source_track"].tolist(),
                                     truth=[labels.index(g) for g in tested["genre"]],
                                     predicted=probabilities.argmax(axis=1).tolist()),
        test_clips=dict(id=predictions["track_id"].tolist(), truth=predictions["genre"].tolist(),
                        predicted=predictions["predicted"].tolist()))))
    if results_dir is not None:
        evaluate.save(record, results_dir, profile=profile)
    return record, fit


# --- the studies, as notebook 07 runs them -------------------------------------------------

SECONDS = 3.0  # the leakage and augmentation runs' segment length: the seeds' 3-s segments
AUGMENTATIONS = ("none", "six-fold", "noise-mask", "spectrogram masks")  # "none" first: the control


def fit_settings(settings: dict, head: bool = False) -> dict:
    """:func:`run_condition`'s fit settings from a profile's ``config.STUDY``; ``head``: the seed's dense head,
    which keeps its own epochs and patience (a head on fixed embeddings trains for longer)."""
    prefix = "head_" if head else ""
    return dict(epochs=settings[f"{prefix}epochs"], patience=settings[f"{prefix}patience"], batch_size=settings["batch_size"])


def honest_condition(fixed_protocol: str | None) -> str:
    """The condition reported as honest: the dataset's fixed split when it has one, else clips split at random."""
    return "fixed" if fixed_protocol else "track-random"


def split_conditions(fixed_protocol: str | None) -> list[str]:
    """The split conditions without copies, the seeds' segment split first (``fixed`` only with a fixed split)."""
    return ["segment-random", "track-random"] + (["fixed"] if fixed_protocol else [])


@dataclass(frozen=True, eq=False)
class StudyInputs:
    """What the studies share: the segments of each length (``originals``), the :data:`SECONDS` segments capped per
    clip as the runs with copies see them (``capped``), and each waveform policy's copies (``copies``, by name)."""

    originals: dict[float, SegmentInputs]
    capped: SegmentInputs
    copies: dict[str, SegmentInputs]

    @property
    def failed(self) -> list[str]:
        """The clips that could not be decoded (left out of every run)."""
        found = self.originals[SECONDS].failed + self.capped.failed + [f for c in self.copies.values() for f in c.failed]
        return sorted(set(found))


def study_inputs(tracks: pd.DataFrame, settings: dict, *, seed: int = 42, cache_dir: Path | None = None,
                 jobs: int = 1) -> StudyInputs:
    """Every input of the studies from a profile's ``config.STUDY``: segments of each length of ``seconds``
    (``per_clip`` per clip), the capped 3-s segments (``augment_per_clip``) and the six-fold and noise-and-mask
    copies (``noise_copies`` each) of the same capped segments. Cached under ``cache_dir``."""
    six_fold = augment.WaveformPolicy("six-fold")
    noise_mask = augment.WaveformPolicy("noise-mask", copies=settings["noise_copies"])
    per_copy = settings["augment_per_clip"]
    originals = {seconds: segment_inputs(tracks, seconds, settings["per_clip"], cache_dir, jobs) for seconds in settings["seconds"]}
    capped = segment_inputs(tracks, SECONDS, per_copy, cache_dir, jobs)
    copies = {p.name: copy_inputs(tracks, p, SECONDS, per_copy, seed, cache_dir, jobs) for p in (six_fold, noise_mask)}
    return StudyInputs(originals, capped, copies)


def first_segments(inputs: StudyInputs, track_id: str, seed: int = 42) -> list[tuple[str, np.ndarray]]:
    """``(name, log-mel array)`` of one clip's first segment: the original, each copy, and the original under the
    spectrogram masks a training batch gets (drawn from ``seed``)."""
    capped = inputs.capped
    shown = [("original", capped.X[(capped.table["track_id"] == track_id).to_numpy()][0])]
    for found in inputs.copies.values():
        rows = found.table[(found.table["track_id"] == track_id) & (found.table["segment"] == found.table["segment"].min())]
        shown += [(row.copy, found.X[i]) for i, row in zip(rows.index, rows.itertuples())]
    masker = augment.spectrogram_masker(**augment.SPEC_MASKS, seed=seed)
    shown.append(("spectrogram masks", masker(shown[0][1][None], training=True)[0].numpy()))
    return shown


def split_runs(inputs: SegmentInputs, per_clip: int | None, *, dataset: str, params: dict | None = None,
               fixed_protocol: str | None = None, **run) -> dict[str, dict]:
    """The base CNN on ``inputs`` (:data:`SECONDS` segments, ``per_clip`` per clip) under each condition of
    :func:`split_conditions`: records by condition. ``run``: :func:`run_condition`'s seed, resamples, results_dir
    and fit settings."""
    label = run_name("base-cnn", SECONDS, per_clip)
    return {condition: run_condition("base-cnn", inputs, condition=condition, dataset=dataset, representation=LOG_MEL, label=label,
                                     params=params, fixed_protocol=fixed_protocol, **run)[0]
            for condition in split_conditions(fixed_protocol)}


def leakage_runs(inputs: StudyInputs, settings: dict, *, dataset: str, model_params: dict | None = None,
                 fixed_protocol: str | None = None, seed: int = 42, resamples: int = 1000,
                 results_dir: Path | None = None, profile: str | None = None) -> dict[str, dict]:
    """The leakage study: the base CNN under each split condition (:func:`split_runs`), then on the capped
    segments clips split at random (``track-random-control``) and the six-fold copies added after
    (``augment-after-split``) and before (``augment-before-split``) the split. Records by condition, in that order."""
    params = (model_params or {}).get("base-cnn")
    run = dict(seed=seed, resamples=resamples, results_dir=results_dir, profile=profile, **fit_settings(settings))
    leakage = split_runs(inputs.originals[SECONDS], settings["per_clip"], dataset=dataset, params=params,
                         fixed_protocol=fixed_protocol, **run)
    per_copy = settings["augment_per_clip"]
    leakage["track-random-control"], _ = run_condition(
        "base-cnn", inputs.capped, condition="track-random", dataset=dataset, representation=LOG_MEL,
        label=run_name("base-cnn", SECONDS, per_copy), params=params, fixed_protocol=fixed_protocol, **run)
    for condition in ("augment-after-split", "augment-before-split"):
        leakage[condition], _ = run_condition(
            "base-cnn", inputs.capped, condition=condition, dataset=dataset, representation=LOG_MEL,
            copies=inputs.copies["six-fold"], augmentation="six-fold", label=run_name("base-cnn", SECONDS, per_copy, "six-fold"),
            params=params, fixed_protocol=fixed_protocol, **run)
    return leakage


def augmentation_runs(inputs: StudyInputs, leakage: dict[str, dict], settings: dict, *, dataset: str,
                      model_params: dict | None = None, fixed_protocol: str | None = None, seed: int = 42,
                      resamples: int = 1000, results_dir: Path | None = None, profile: str | None = None) -> dict[str, dict]:
    """The augmentation study: the base CNN on the capped segments under the honest condition with each of
    :data:`AUGMENTATIONS` (copies of the training clips, or spectrogram masks on training batches). Without a
    fixed split the honest split is the leakage study's random one, so its control and six-fold runs (same
    network, segments and split) are reused rather than trained twice. Records by augmentation."""
    params = (model_params or {}).get("base-cnn")
    reused = {} if fixed_protocol else {"none": "track-random-control", "six-fold": "augment-after-split"}
    runs = {}
    for name in AUGMENTATIONS:
        if name in reused:
            runs[name] = leakage[reused[name]]
            continue
        runs[name], _ = run_condition(
            "base-cnn", inputs.capped, condition=honest_condition(fixed_protocol), dataset=dataset, representation=LOG_MEL,
            copies=inputs.copies.get(name), augmentation=name, label=run_name("base-cnn", SECONDS, settings["augment_per_clip"], name),
            params=params, augment=augment.SPEC_MASKS if name == "spectrogram masks" else None, fixed_protocol=fixed_protocol,
            seed=seed, resamples=resamples, results_dir=results_dir, profile=profile, **fit_settings(settings))
    return runs


def segment_length_runs(tracks: pd.DataFrame, leakage: dict[str, dict], settings: dict, *, dataset: str,
                        model_params: dict | None = None, fixed_protocol: str | None = None, seed: int = 42,
                        resamples: int = 1000, results_dir: Path | None = None, profile: str | None = None, cache_dir: Path | None = None,
                        jobs: int = 1) -> list[dict]:
    """The segment-length study: each model of ``settings["segment_models"]`` (:data:`SEGMENT_MODELS`) at each
    length of ``settings["seconds"]`` under the honest condition, by length, then model. The base CNN's 3-s run is
    the leakage study's honest run (same network, segments and split), reused; the seed's head keeps its own
    settings (``zoo.DENSE_HEAD``) and fit (:func:`fit_settings`)."""
    honest = honest_condition(fixed_protocol)
    runs = []
    for seconds in settings["seconds"]:
        for model in settings["segment_models"]:
            if model == "base-cnn" and seconds == SECONDS and honest in leakage:
                runs.append(leakage[honest])
                continue
            inputs, per_clip = segment_study_inputs(model, tracks, seconds, settings, cache_dir, jobs)
            network, representation = SEGMENT_MODELS[model]
            head = model == "msd-musicnn-head"
            record, _ = run_condition(
                network, inputs, condition=honest, dataset=dataset, representation=representation,
                label=run_name(model, seconds, per_clip), params=None if head else (model_params or {}).get(model),
                fixed_protocol=fixed_protocol, seed=seed, resamples=resamples, results_dir=results_dir, profile=profile,
                **fit_settings(settings, head=head))
            runs.append(record)
    return runs


def every_genre_runs(tracks: pd.DataFrame, settings: dict, *, dataset: str, model_params: dict | None = None,
                     fixed_protocol: str | None = None, seed: int = 42, resamples: int = 1000, results_dir: Path | None = None,
                     profile: str | None = None, cache_dir: Path | None = None, jobs: int = 1) -> dict[str, dict]:
    """The second view: :func:`split_runs` on every clip of ``tracks``, with the capped number of segments per clip
    of the runs with copies (a CPU budget). Records by condition."""
    per_copy = settings["augment_per_clip"]
    every = segment_inputs(tracks, SECONDS, per_copy, cache_dir, jobs)
    return split_runs(every, per_copy, dataset=dataset, params=(model_params or {}).get("base-cnn"), fixed_protocol=fixed_protocol,
                      seed=seed, resamples=resamples, results_dir=results_dir, profile=profile, **fit_settings(settings))


# --- scores --------------------------------------------------------------------------------

def _segment_frame(record: dict) -> pd.DataFrame:
    seg = record["extra"]["test_segments_by_source"]
    return pd.DataFrame(dict(source=seg["source"], truth=seg["truth"], predicted=seg["predicted"]))


def _cluster_draws(sources: np.ndarray, resamples: int, seed: int) -> list[np.ndarray]:
    """Row indices of each bootstrap resample of whole source tracks."""
    names, codes = np.unique(sources, return_inverse=True)
    members = [np.flatnonzero(codes == i) for i in range(len(names))]
    rng = np.random.default_rng(seed)
    return [np.concatenate([members[i] for i in rng.integers(0, len(names), len(names))]) for _ in range(resamples)]


SEGMENT_METRICS = comparisons.CLIP_METRICS


def segment_score(record: dict, metric: str = "accuracy", resamples: int = 1000, seed: int = 42) -> tuple[float, float, float]:
    """A test metric over segments with a 95 % interval that resamples whole source tracks (a clip's segments,
    or its copies, are not independent): ``(value, low, high)``."""
    frame = _segment_frame(record)
    labels = list(range(len(record["confusion"]["labels"])))
    score = SEGMENT_METRICS[metric]
    t, p = frame["truth"].to_numpy(), frame["predicted"].to_numpy()
    draws = [score(t[i], p[i], labels) for i in _cluster_draws(frame["source"].to_numpy(), resamples, seed)]
    return score(t, p, labels), float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def leakage_effect(leaky: dict, honest: dict, resamples: int = 1000, seed: int = 42) -> tuple[float, float, float]:
    """Segment accuracy of ``leaky`` minus ``honest`` (different test sets) with a 95 % interval from independent
    resamples of each record's source tracks."""
    a, b = _segment_frame(leaky), _segment_frame(honest)
    hit_a, hit_b = (a["truth"] == a["predicted"]).to_numpy(), (b["truth"] == b["predicted"]).to_numpy()
    draws_a = _cluster_draws(a["source"].to_numpy(), resamples, seed)
    draws_b = _cluster_draws(b["source"].to_numpy(), resamples, seed + 1)
    diffs = [hit_a[i].mean() - hit_b[j].mean() for i, j in zip(draws_a, draws_b)]
    return float(hit_a.mean() - hit_b.mean()), float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5))


def _cell(value: float, low: float, high: float) -> str:
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def _signed(value: float) -> str:
    """A difference, signed; ``-0.000`` written ``+0.000`` (the rounding of a tiny value, not a sign)."""
    text = f"{value:+.3f}"
    return "+0.000" if text == "-0.000" else text


def _signed_cell(value: float, low: float, high: float) -> str:
    return f"{_signed(value)} [{_signed(low)}, {_signed(high)}]"


def condition_label(record: dict) -> str:
    """A record's condition as tables and figures name it (``fixed`` says which split it is)."""
    condition = record["extra"].get("condition", record["protocol"])
    return f"fixed ({record['protocol']})" if condition == "fixed" else condition


LEAKY_CELL = "n/a (leaky)"  # a clip's segments or copies on both sides of the split: no clip-level score


def study_table(records: Sequence[dict], resamples: int = 1000) -> pd.DataFrame:
    """One row per run: condition, model, augmentation, source clips (and rows) in training and test, clip-level
    accuracy (``n/a (leaky)`` for a leaky condition: a clip's units are on both sides) and macro-F1, segment accuracy with
    its interval over source tracks, status; the dataset and augmentation columns only where they differ between
    rows (at most eight columns)."""
    rows = []
    for r in records:
        e = r["extra"]
        leaky = e.get("leaky", False)
        sources, counts = e.get("source_tracks", r["sizes"]), e.get("rows", {})
        rows.append({"dataset": r["dataset"], "condition": condition_label(r), "model": r["model"],
                     "augmentation": e.get("augmentation", "none"),
                     "clips train/test (rows)": f"{sources.get('train')}/{sources.get('test')} "
                                                f"({counts.get('train', '-')}/{counts.get('test', '-')})",
                     "clip accuracy": LEAKY_CELL if leaky else evaluate.metric_cell(r, "accuracy"),
                     "clip macro-F1": LEAKY_CELL if leaky else f"{r['metrics']['macro_f1']['value']:.3f}",
                     "segment accuracy": "n/a (baseline)" if e.get("baseline") else _cell(*segment_score(r, "accuracy", resamples)),
                     "status": evaluate.status(r)})
    return evaluate.drop_constant(pd.DataFrame(rows), ("dataset", "augmentation"))


# --- names, figures and the reading --------------------------------------------------------

def run_name(model: str, seconds: float, per_clip: int | None = None, augmentation: str = "none") -> str:
    """A record's model name: network, segment length (and segments per clip when capped), augmentation."""
    name = f"{model} · {seconds:g}-s segments" + (f" ({per_clip} per clip)" if per_clip else "")
    return name + (f" + {augmentation}" if augmentation != "none" else "")


def _note(record: dict) -> str:
    e = record["extra"]
    sources, rows = e.get("source_tracks", record["sizes"]), e.get("rows", {})
    return f"train {sources.get('train')} clips ({rows.get('train', '?')} rows), test {sources.get('test')} ({rows.get('test', '?')})"


def figure_rows(records: Sequence[dict], level: str = "segment", metric: str = "accuracy", label=None,
                group=None, resamples: int = 1000) -> pd.DataFrame:
    """The rows of ``plots.interval_rows``: ``level`` ``segment`` (interval over source tracks) or ``clip`` (the
    record's own); leaky runs have no clip level and are left out there. ``label``/``group``: record -> text."""
    rows = []
    for r in records:
        if r["extra"].get("baseline") or (level == "clip" and r["extra"].get("leaky")):
            continue
        value, low, high = (segment_score(r, metric, resamples) if level == "segment" else
                            (r["metrics"][metric]["value"], r["metrics"][metric]["ci_low"], r["metrics"][metric]["ci_high"]))
        rows.append(dict(label=label(r) if label else r["model"], value=value, low=low, high=high,
                         group=group(r) if group else ("leaky split" if r["extra"].get("leaky") else "split by clip"),
                         note=_note(r) + (" · failed" if evaluate.status(r) != "ok" else "")))
    return pd.DataFrame(rows, columns=["label", "value", "low", "high", "group", "note"])


def leakage_label(record: dict) -> str:
    """A leakage run's row in a figure: its condition and what it trained on (``segment-random · 3-s segments``)."""
    return f"{condition_label(record)} · {record['model'].split(' · ', 1)[1]}"


def level_rows(records: Sequence[dict], resamples: int = 1000) -> pd.DataFrame:
    """:func:`figure_rows` of each run per clip, then per segment, run after run (so that a run's two levels sit
    side by side), groups ``per clip`` and ``per segment``."""
    return pd.concat([pd.concat([figure_rows([r], "clip", group=lambda r: "per clip"),
                                 figure_rows([r], "segment", group=lambda r: "per segment", resamples=resamples)])
                      for r in records], ignore_index=True)


def differences_table(records: Sequence[dict], reference: dict, resamples: int = 1000) -> pd.DataFrame:
    """Each record minus ``reference`` on the same test clips (paired bootstrap): accuracy and macro-F1."""
    rows = []
    for r in records:
        if r is reference:
            continue
        cells = {f"{label} difference": _signed_cell(*paired_difference(r, reference, name, resamples))
                 for name, label in (("accuracy", "accuracy"), ("macro_f1", "macro-F1"))}
        rows.append({"model": r["model"], "minus": reference["model"], "test clips": r["sizes"]["test"], **cells})
    return pd.DataFrame(rows)


# every comparison of the reading is between single training runs; the interval covers test clips, not training noise
ONE_RUN = f"; {comparisons.VERDICT_WORDS['one run']} (the interval covers test clips, not training seeds)."


def _interval_words(value: float, low: float, high: float) -> str:
    side = "above zero" if low > 0 else "below zero" if high < 0 else "includes zero"
    return f"{_signed_cell(value, low, high)} (interval {side})"


def segment_seconds(record: dict) -> float:
    """A run's segment length in seconds: ``extra.segment_seconds``; a record written before that was stored says it
    only in its model name (:func:`run_name`: ``base-cnn · 3-s segments``), read from there."""
    seconds = record.get("extra", {}).get("segment_seconds")
    return float(seconds) if seconds is not None else float(record["model"].split(" · ")[1].split("-s")[0])


def reading(leakage: dict[str, dict], augmentation: dict[str, dict], segments: Sequence[dict], label: str,
            resamples: int = 1000) -> str:
    """What the records say, in sentences built from them. ``leakage``: condition -> record (keys of
    ``CONDITIONS``, the augmentation pair under ``augment-*`` and their control under ``track-random-control``);
    ``augmentation``: augmentation name -> record (``none`` the control); ``segments``: the segment-length runs."""
    lines = [f"**Reading** ({label}; generated from the records of this run)."]
    every = list({id(r): r for r in [*leakage.values(), *augmentation.values(), *segments]}.values())
    failed = [f"{r['model']} under {r['protocol']}" for r in every if evaluate.status(r) != "ok"]

    def compared(a: dict, b: dict, what: str) -> bool:
        if evaluate.status(a) == "ok" and evaluate.status(b) == "ok":
            return True
        lines.append(f"- {what}: not measured, a run did not learn.")
        return False

    pairs = [("segment-random", "track-random", "**Leakage by segments**: the same network scored on segments of clips whose "
              "other segments it trained on, minus scored on unseen clips: segment accuracy {}; intervals resample whole "
              "clips, and the two test sets differ"),
             ("augment-before-split", "augment-after-split", "**Augmenting before the split** (copies of one clip on both "
              "sides) minus after it: segment accuracy {}; the leaky test set holds stretched and shifted copies, the "
              "honest one originals only, so the two test sets differ")]
    for leaky, honest, sentence in pairs:
        if leaky in leakage and honest in leakage and compared(leakage[leaky], leakage[honest], sentence.split(":")[0]):
            lines.append("- " + sentence.format(_interval_words(*leakage_effect(leakage[leaky], leakage[honest], resamples)))
                         + ONE_RUN)
    if "fixed" in leakage and "track-random" in leakage and compared(leakage["track-random"], leakage["fixed"], "Split gap"):
        gap = leakage_effect(leakage["track-random"], leakage["fixed"], resamples)
        lines.append(f"- Random clip split minus the {leakage['fixed']['protocol']} split, segment accuracy: {_interval_words(*gap)}; "
                     f"they differ in test clips and in training size ({leakage['track-random']['sizes']['train']} vs "
                     f"{leakage['fixed']['sizes']['train']} clips), so this gap has more than one cause{ONE_RUN}")
    control = augmentation.get("none")
    for name, r in augmentation.items():
        if control is None or name == "none" or not compared(r, control, f"**{name}** minus no augmentation"):
            continue
        diff = paired_difference(r, control, "accuracy", resamples)
        lines.append(f"- **{name}** minus no augmentation on the same {r['sizes']['test']} test clips ({r['protocol']}): "
                     f"clip accuracy {_interval_words(*diff)}{ONE_RUN}")
    by_model: dict[str, list[dict]] = {}
    most_per_clip = max((r["extra"].get("segments_per_clip", 0) for r in segments), default=0)
    for r in segments:
        by_model.setdefault(r["model"].split(" · ")[0], []).append(r)
    for model, runs in by_model.items():
        ok = [r for r in runs if evaluate.status(r) == "ok"]
        if len(ok) < 2:
            continue
        best = max(ok, key=lambda r: r["metrics"]["accuracy"]["value"])
        diffs = [(r, paired_difference(best, r, "accuracy", resamples)) for r in ok if r is not best]
        better = all(low > 0 for _, (_, low, _) in diffs)
        per_clip = max(r["extra"].get("segments_per_clip", 0) for r in runs)
        lines.append(f"- **{model}**: highest clip accuracy with {segment_seconds(best):g}-s segments "
                     f"({evaluate.metric_cell(best, 'accuracy')}); paired on the same {best['sizes']['test']} test clips, it minus " +
                     "; minus ".join(f"{segment_seconds(r):g} s {_interval_words(*d)}" for r, d in diffs) + ": " +
                     ("every interval above zero on these test clips, but from one training run per length: not a "
                      f"finding (that needs at least {comparisons.MIN_SEEDS} training seeds)." if better else
                      f"{sum(low <= 0 for _, (_, low, _) in diffs)} interval(s) reach zero: within the noise of these test "
                      "clips, and one training run per length.") +
                     (f" It saw at most {per_clip} segments per clip (a CPU budget), the others every segment: compare its "
                      "lengths with each other, not with them." if per_clip < most_per_clip else ""))
    if failed:
        lines.append(f"- Did not learn (reported as failed, not compared): {', '.join(failed)}.")
    return "\n".join(lines)
