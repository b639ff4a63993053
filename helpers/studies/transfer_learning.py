"""Notebook 06's experiment: every transfer network x weight source x recipe x protocol on the same per-track splits.

* :func:`clip_splits` decides each protocol's split once per track; the images (one per clip)
  and the music network's windows (several per clip) both follow it, so ImageNet transfer and
  music transfer are scored on the same test clips (asserted).
* :func:`run_recipe` trains one network under one recipe (``helpers.models.transfer_nets``) with the
  seed's fit loop (``helpers.models.networks.run_network``: early stopping on the validation clips,
  test clips scored by mean window probabilities) and labels every record with where its
  weights came from: a run from random weights is never called transfer learning.
  :func:`run_sources` runs every weight source (:func:`weight_sources`) under every recipe, each on
  its input (:func:`input_for`); :func:`run_records` and :func:`training_curves` read its runs.
* :func:`multi_genre_runs`: the same sources' inputs (:func:`multi_candidates`) under sigmoid heads, scored
  on two-genre items (``helpers.models.multigenre``); :func:`deployed_record` picks the run a user's
  multi-genre model deploys; :func:`reading` reads both studies.

Why this module is long: the single-genre runs and the multi-genre runs of notebook 06 share one
per-track split, one set of weight sources and one reading; split apart, each would restate them.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import splits
from ..inputs import network_inputs, spectrograms
from ..models import networks, transfer_nets
from ..models.transfer_nets import WeightSource
from ..results import comparisons, evaluate, report
from ..results.records import training_seed
from ..runtime import seed_everything

EXPERIMENT = "transfer_learning"
RECIPE_NAMES = {"frozen": "frozen base + head", "last-block": "last block + head trained", "fine-tune": "fine-tuned"}


def weight_sources(settings: dict, asked: dict[str, str | None] | None = None) -> list[WeightSource]:
    """Where each network of the profile's transfer settings (``image_networks``, then ``music_networks``) gets its
    starting weights (``transfer_nets.resolve_weights``); ``asked``: a weights file or ``"random"`` by network."""
    asked = asked or {}
    return [transfer_nets.resolve_weights(n, asked.get(n)) for n in settings["image_networks"] + settings["music_networks"]]


def run_label(source: WeightSource, recipe: str) -> str:
    """The model name of a run: network, weight source and what trained (``vgg16-imagenet · fine-tuned``)."""
    if source.pretrained:
        return f"{source.label} · {RECIPE_NAMES[recipe]}"
    if recipe == "frozen":
        return f"{source.label} · frozen random base + head (random features)"
    if recipe == "last-block":
        return f"{source.label} · last block + head trained on a frozen random base"
    return f"{source.label} · trained from {'scratch' if source.kind == 'scratch' else 'random initialisation'}"


def clip_splits(table: pd.DataFrame, protocols: Sequence[str], seed: int = 42) -> dict[str, pd.Series]:
    """Per protocol, each clip's part (``train``/``valid``/``test``/``""``) indexed by track id (sorted, so that the
    same clips give the same split whatever order a table lists them in)."""
    clips = table.drop_duplicates("track_id").sort_values("track_id").reset_index(drop=True)
    return {p: pd.Series(networks.row_split(clips, p, seed=seed).to_numpy(), index=clips["track_id"], name=p) for p in protocols}


def window_table(tracks: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """One row per window: its clip's ``track_id`` and ``genre`` and the window's number within the clip."""
    table = tracks.iloc[rows][["track_id", "genre"]].reset_index(drop=True)
    return table.assign(segment=table.groupby("track_id").cumcount())


def run_recipe(source: WeightSource, recipe: str, X: np.ndarray, table: pd.DataFrame, split_by_protocol: dict[str, pd.Series], *,
               dataset: str, representation: str, fit: dict, cache_dir=None, results_dir=None, profile: str | None = None,
               resamples: int = 1000, seed: int = 42, progress: bool = True,
               heads_from: dict | None = None) -> dict[str, tuple[dict, pd.DataFrame, object]]:
    """``source``'s network under ``recipe`` on ``X`` (rows of ``table``: ``track_id, genre`` [``segment``]) under
    each protocol of ``split_by_protocol`` (see :func:`clip_splits`). ``frozen``: the base's features are computed
    once (cached under ``cache_dir``) and the seed's head trains on them; otherwise the whole network trains per
    ``recipe``. ``fit``: ``epochs, patience, batch_size`` (``fit_network``'s settings). ``heads_from``: the
    ``frozen`` runs of the same source (``{protocol: (record, predictions, fit)}``): a pretrained base is then
    fine-tuned from the head trained on its frozen features under the same protocol (two stages). Returns
    ``{protocol: (record, predictions, fit)}`` and saves each record under ``results_dir`` when given."""
    if recipe not in transfer_nets.RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; valid: {', '.join(transfer_nets.RECIPES)}")
    if recipe == "frozen":
        inputs = transfer_nets.base_features(source, X, seed=seed, cache_dir=cache_dir, progress=progress)
        name, params = "dense-head", None
    else:
        inputs, name = X, source.network
        params = dict(weights=source.path, weights_kind=source.kind, recipe=recipe)
    label = run_label(source, recipe)
    runs = {}
    for protocol, per_track in split_by_protocol.items():
        split = table["track_id"].map(per_track).fillna("")
        head_from = (heads_from or {}).get(protocol) if source.pretrained and recipe != "frozen" else None
        try:
            # Without a cache folder the head file lives in a temporary folder removed once the network is built.
            with contextlib.ExitStack() as cleanup:
                run_params = params
                if head_from is not None:
                    folder = Path(cache_dir) if cache_dir is not None else Path(cleanup.enter_context(tempfile.TemporaryDirectory()))
                    head_file = folder / "transfer-heads" / f"{evaluate.slug(label)}-{evaluate.slug(protocol)}.npz"
                    run_params = {**params, "head_weights": transfer_nets.save_head(head_from[2].model, head_file)}
                record, predictions, trained = networks.run_network(
                    name, inputs, table, split, experiment=EXPERIMENT, dataset=dataset, protocol=protocol,
                    representation=representation, label=label, params=run_params, resamples=resamples, seed=seed, **fit)
        except networks.EmptySplitError as error:
            print(f"skipped {label} under {protocol}: {error}")
            continue
        record["extra"].update(network=source.network, weights=source.kind, weights_origin=source.origin, recipe=recipe,
                               transfer_learning=source.pretrained)
        if head_from is not None:  # the head file is a cache path: the record names the run it came from instead
            record["params"]["model"]["head_weights"] = f"head of {head_from[0]['model']} ({protocol})"
            record["extra"]["head_from"] = head_from[0]["model"]
        if recipe == "frozen":
            record["params"]["model"].update(base=source.network, weights=source.kind)
        runs[protocol] = (record, predictions, trained)
        if results_dir is not None:
            evaluate.save(record, results_dir, profile=profile)
    return runs


@dataclass(frozen=True, eq=False)
class NetworkInput:
    """One input of the study: arrays ``X`` whose rows are those of ``table`` (``track_id, genre`` [``segment``]),
    and what a record calls it (``representation``)."""

    X: np.ndarray
    table: pd.DataFrame
    representation: str


def input_for(source: WeightSource, images: NetworkInput, windows: NetworkInput) -> NetworkInput:
    """What ``source``'s network reads: a music network its training input (log-mel windows), every other network
    the seed's mel images (one per clip)."""
    return windows if source.network in transfer_nets.MUSIC_NETWORKS else images


Runs = dict[tuple[str, str], dict[str, tuple[dict, pd.DataFrame, object]]]


def run_sources(sources: Sequence[WeightSource], images: NetworkInput, windows: NetworkInput,
                split_by_protocol: dict[str, pd.Series], settings: dict, *, dataset: str, cache_dir=None, results_dir=None,
                profile: str | None = None, resamples: int = 1000, seed: int = 42) -> Runs:
    """Every source under every recipe of ``settings["recipes"]`` (the profile's ``config.TRANSFER``), each on its
    input (:func:`input_for`) with the recipe's fit (:func:`default_fit`): :func:`run_recipe`'s runs by
    ``(source label, recipe)``. The random state is reset before each run, so a run does not depend on which ran
    before it; ``frozen`` comes first in the recipes, so that a pretrained base is fine-tuned from its frozen
    run's head."""
    runs: Runs = {}
    for source in sources:
        given = input_for(source, images, windows)
        for recipe in settings["recipes"]:
            seed_everything(seed)
            runs[source.label, recipe] = run_recipe(
                source, recipe, given.X, given.table, split_by_protocol, dataset=dataset, representation=given.representation,
                fit=default_fit(settings, recipe, source.pretrained), cache_dir=cache_dir, results_dir=results_dir, profile=profile,
                resamples=resamples, seed=seed, heads_from=runs.get((source.label, "frozen")))
    return runs


def seeded_pair(runs: Runs, sources: Sequence[WeightSource], protocol: str) -> list[tuple[WeightSource, str]]:
    """The two runs the reading compares over training seeds, as ``(source, recipe)``: the music network's frozen base
    with the seed's head, and the image network trained in full (fine-tuned, or from scratch) with the best
    validation accuracy under ``protocol`` (chosen without the test clips); empty when either is missing."""
    music = next((s for s in sources if s.network in transfer_nets.MUSIC_NETWORKS
                  and protocol in runs.get((s.label, "frozen"), {})), None)
    trained = [(s, recipe) for s in sources if s.network not in transfer_nets.MUSIC_NETWORKS
               for recipe in transfer_nets.RECIPES if recipe != "frozen" and protocol in runs.get((s.label, recipe), {})]
    if music is None or not trained:
        return []

    def valid_accuracy(pair: tuple[WeightSource, str]) -> float:
        return runs[pair[0].label, pair[1]][protocol][0]["extra"].get("valid_accuracy") or 0.0

    return [(music, "frozen"), max(trained, key=valid_accuracy)]


def seeded_runs(runs: Runs, sources: Sequence[WeightSource], images: NetworkInput, windows: NetworkInput,
                split_by_protocol: dict[str, pd.Series], settings: dict, protocol: str, *, dataset: str, cache_dir=None,
                results_dir=None, profile: str | None = None, resamples: int = 1000, seed: int = 42) -> dict[str, list[dict]]:
    """The runs of :func:`seeded_pair` under ``protocol``, trained again with ``settings["seeds"] - 1`` further seeds
    (``seed + 1``, ...): ``{run name: [record per seed]}``, the first seed's record taken from ``runs``. A fine-tuned
    pretrained base starts each seed from the head its first seed's frozen run trained."""
    seeded = {}
    for source, recipe in seeded_pair(runs, sources, protocol):
        given = input_for(source, images, windows)
        records = [runs[source.label, recipe][protocol][0]]
        for extra_seed in range(seed + 1, seed + settings["seeds"]):
            seed_everything(extra_seed)
            again = run_recipe(source, recipe, given.X, given.table, {protocol: split_by_protocol[protocol]},
                               dataset=dataset, representation=given.representation,
                               fit=default_fit(settings, recipe, source.pretrained), cache_dir=cache_dir,
                               results_dir=results_dir, profile=profile, resamples=resamples, seed=extra_seed,
                               heads_from=runs.get((source.label, "frozen")))
            records.append(again[protocol][0])
        seeded[run_label(source, recipe)] = records
    return seeded


def seeded_table(seeded: dict[str, list[dict]]) -> pd.DataFrame:
    """Test accuracy of each of the two seeded runs per training seed (columns), and their difference per seed."""
    if len(seeded) != 2:
        return pd.DataFrame()
    (name, records), (reference, references) = seeded.items()
    table = pd.DataFrame({run: [f"{r['metrics']['accuracy']['value']:.3f}" + (" (failed)" if evaluate.failure(r) else "")
                                for r in group] for run, group in ((name, records), (reference, references))},
                         index=[f"seed {training_seed(r)}" for r in records]).T
    table.loc["difference"] = [f"{a['metrics']['accuracy']['value'] - b['metrics']['accuracy']['value']:+.3f}"
                               for a, b in zip(records, references)]
    return table.rename_axis(f"test accuracy, {records[0]['protocol']} ({records[0]['sizes']['test']} test clips)")


def run_records(runs: Runs) -> list[dict]:
    """The records of :func:`run_sources`' runs, in the order they ran."""
    return [record for per_protocol in runs.values() for record, _, _ in per_protocol.values()]


def training_curves(runs: Runs, protocol: str) -> dict[str, pd.DataFrame]:
    """The Keras training history of each run under ``protocol`` that trained the whole network (every recipe but
    ``frozen``), by its record's model name (the name every table gives the run)."""
    curves = {}
    for (_, recipe), per_protocol in runs.items():
        if recipe != "frozen" and protocol in per_protocol:
            record, _, fit = per_protocol[protocol]
            if record["model"] in curves:
                raise ValueError(f"two runs are named {record['model']!r}: their curves would share a label")
            curves[record["model"]] = fit.history
    return curves


def same_test_clips(runs: Sequence[dict[str, tuple]]) -> None:
    """Assert that runs meant to be compared scored the same test clips under each protocol."""
    for protocol in {p for r in runs for p in r}:
        sets = {frozenset(r[protocol][1]["track_id"]) for r in runs if protocol in r}
        assert len(sets) <= 1, f"runs under {protocol} scored different test clips"


def image_featurizer(source: WeightSource, size: int, seed: int = 42, mel: spectrograms.MelParams = spectrograms.MelParams()
                     ) -> Callable[[Sequence[np.ndarray], int], tuple[np.ndarray, np.ndarray]]:
    """For multi-genre items: waveforms -> the seed's mel PNG recipe -> ``size`` images -> ``source``'s frozen
    base features (a random base drawn from ``seed``, the same as :func:`run_recipe`'s), one row per waveform."""
    from ..data import audio

    built = []  # the base, built once on first use

    def featurize(waveforms: Sequence[np.ndarray], sr: int) -> tuple[np.ndarray, np.ndarray]:
        images = []
        for samples in waveforms:
            samples = samples if sr == mel.sample_rate else audio.resample(samples, sr, mel.sample_rate)
            images.append(network_inputs.image_to_array(spectrograms.image_from_audio(samples, mel), size))
        X = np.stack(images) if images else np.zeros((0, size, size, 1), np.float32)
        if not built:
            built.append(transfer_nets.base_model(source.network, X.shape[1:], source.path, seed=None if source.pretrained else seed))
        return transfer_nets.base_features(source, X, seed=seed, progress=False, base=built[0]), np.arange(len(X))

    return featurize


def default_fit(settings: dict, recipe: str, pretrained: bool) -> dict:
    """The fit settings of a recipe from the profile's transfer settings (``config.TRANSFER``)."""
    if recipe == "frozen":
        epochs, patience = settings["head_epochs"], settings["head_patience"]
    elif pretrained:
        epochs, patience = settings["tune_epochs"], settings["tune_patience"]
    else:
        epochs, patience = settings["scratch_epochs"], settings["scratch_patience"]
    return dict(epochs=epochs, patience=patience, batch_size=settings["batch_size"])



def sources_table(sources: Sequence[WeightSource]) -> pd.DataFrame:
    """One row per network: what its outputs are called, whether it is transfer learning, where its weights came from."""
    return pd.DataFrame([{"network": s.label, "transfer learning": "yes" if s.pretrained else "no", "weights": s.origin}
                         for s in sources])


def split_sizes(split_by_protocol: dict[str, pd.Series]) -> pd.DataFrame:
    """Clips per part under each protocol."""
    return pd.DataFrame({f"{part} clips": {p: int((s == part).sum()) for p, s in split_by_protocol.items()}
                         for part in ("train", "valid", "test")}).rename_axis("protocol")


def test_clips_text(split_by_protocol: dict[str, pd.Series]) -> str:
    """Test clips per protocol, for a figure's title: ``random-70/10/20: 20 test clips, fault-filtered: 18 test clips``."""
    return ", ".join(f"{p}: {n} test clips" for p, n in split_sizes(split_by_protocol)["test clips"].items())


def best_by_validation(records: Sequence[dict], protocol: str) -> dict:
    """The run under ``protocol`` with the best clip-level validation accuracy (never chosen by a test score).

    When no run learned (a smoke run's few epochs), the best failed run is shown instead and one printed line says
    so: its tables carry its FAILED status. Raises ``ValueError`` when no run has a validation accuracy at all."""
    scored = [r for r in records if r["protocol"] == protocol and not evaluate.is_baseline(r)
              and r.get("extra", {}).get("valid_accuracy") is not None]
    learned = [r for r in scored if not evaluate.failure(r)]
    if not scored:
        raise ValueError(f"no run under {protocol!r} has a validation accuracy")
    best = max(learned or scored, key=lambda r: (r["extra"]["valid_accuracy"], r["extra"].get("train_accuracy", 0)))
    if not learned:
        print(f"No run under {protocol} learned; shown is the failed run with the best validation accuracy, "
              f"{best['model']} ({evaluate.failure(best)}).")
    return best


# ----------------------------------------------------------------------------- several genres per song

@dataclass(frozen=True, eq=False)
class MultiCandidate:
    """A model for the multi-genre study: its name, the head's input rows of single-genre clips (``X``; the clip and
    genre of each row in ``row_tracks``, ``row_genres``), and how to compute the same rows for two-genre items
    (``featurize``)."""

    label: str
    X: np.ndarray
    row_tracks: np.ndarray
    row_genres: np.ndarray
    featurize: Callable[[Sequence[np.ndarray], int], tuple[np.ndarray, np.ndarray]]
    layer: str = ""  # the checkpoint layer the head sits on, for a deployable model (musicnn: "taggram")


def musicnn_candidate(tracks: pd.DataFrame, reference: dict | None = None, reference_tracks: pd.DataFrame | None = None
                      ) -> MultiCandidate:
    """The best offline model's input for the sigmoid head: MSD-musicnn taggram windows of the audio clips, plus the
    published reference taggrams of clips whose audio is absent (so that every genre has training clips)."""
    from ..models import heads, multigenre

    windows = heads.window_embeddings(tracks, "msd-musicnn", layer="taggram", reference=reference or None,
                                      reference_tracks=reference_tracks, progress=False)
    rows = windows.tracks.iloc[windows.rows]
    label = "msd-musicnn taggram" + (" (port + reference)" if reference else "") + " · sigmoid head"
    return MultiCandidate(label, windows.X, rows["track_id"].to_numpy(), rows["genre"].to_numpy(), multigenre.musicnn_windows,
                          "taggram")


def image_candidate(source: WeightSource, X_images: np.ndarray, images: pd.DataFrame, size: int, cache_dir=None,
                    seed: int = 42) -> MultiCandidate:
    """``source``'s frozen base features of the clips' mel images as the sigmoid head's input (a random base drawn
    from ``seed``, the same for the training clips and the two-genre items)."""
    features = transfer_nets.base_features(source, X_images, seed=seed, cache_dir=cache_dir)
    return MultiCandidate(f"{source.label} frozen base · sigmoid head", features, images["track_id"].to_numpy(),
                          images["genre"].to_numpy(), image_featurizer(source, size, seed))


def multi_candidates(sources: Sequence[WeightSource], tracks: pd.DataFrame, images: NetworkInput, size: int, *,
                     reference: dict | None = None, reference_tracks: pd.DataFrame | None = None, cache_dir=None,
                     seed: int = 42) -> list[MultiCandidate]:
    """The multi-genre study's models: MSD-musicnn's taggram windows first (the deployable one, and the one that
    works offline), then VGG16's frozen base on the mel images when VGG16 is among ``sources`` (whatever its
    weights: a random base is labelled as such)."""
    candidates = [musicnn_candidate(tracks, reference, reference_tracks)]
    vgg = next((s for s in sources if s.network == "vgg16"), None)
    if vgg is not None:
        candidates.append(image_candidate(vgg, images.X, images.table, size, cache_dir=cache_dir, seed=seed))
    return candidates


def deployed_record(records: Sequence[dict], candidate: MultiCandidate, mode: str = "mix") -> dict:
    """The record of ``candidate`` on ``mode`` items at the threshold chosen on validation items: the threshold a
    deployed multi-genre model uses (a fixed threshold was not chosen on anything)."""
    for record in records:
        extra = record["extra"]
        if (record["model"].startswith(candidate.label) and extra["mode"] == mode
                and extra["threshold_source"].startswith("validation")):
            return record
    raise ValueError(f"no record of {candidate.label} on {mode} items with a threshold chosen on validation items")


def demo_items(tracks: pd.DataFrame, folder, n_items: int = 2, seed: int = 42) -> pd.DataFrame:
    """``n_items`` mixed two-genre items of ``tracks`` written as WAV files under ``folder`` (to classify as a user
    would): ``file, true genres``."""
    import soundfile

    from ..models import multigenre

    items = multigenre.two_genre_set(tracks, n_items, "mix", seed=seed, progress=False)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for row, samples in zip(items.items.to_dict("records"), items.waveforms):
        path = folder / f"mix_{row['track_a']}+{row['track_b']}.wav"
        soundfile.write(path, samples, items.sr)
        rows.append({"file": str(path), "true genres": f"{row['genre_a']} + {row['genre_b']}"})
    return pd.DataFrame(rows)


def multi_genre_runs(candidates: Sequence[MultiCandidate], tracks: pd.DataFrame, split: pd.Series, *, protocol: str,
                     dataset: str, settings: dict, seed: int = 42, resamples: int = 1000, fixed_threshold: float = 0.2,
                     results_dir=None, profile: str | None = None) -> tuple[list[dict], dict[str, pd.DataFrame], dict[str, object]]:
    """Each candidate's sigmoid head (``multigenre.fit_sigmoid_head``) trained on the training clips of ``split``
    (per track id; it may cover clips beyond ``tracks``, such as reference taggrams), early-stopped on its
    validation clips, then scored on two-genre items made from the validation (threshold) and test clips of
    ``tracks`` (audio; ``multigenre.evaluate_multi_genre``), at the threshold chosen on validation items and at
    ``fixed_threshold`` (the seed's 0.2 by default). Returns the records, the threshold curves by
    ``"<label> · <mode>"`` and the heads by label; saves the records under ``results_dir`` when given."""
    from ..models import multigenre

    labels = sorted(tracks["genre"].unique())
    part_tracks = {part: tracks[tracks["track_id"].map(split).eq(part).to_numpy()] for part in ("train", "valid", "test")}
    records, curves, heads = [], {}, {}
    for candidate in candidates:
        part = split.reindex(candidate.row_tracks).fillna("").to_numpy()
        y = np.array([labels.index(g) for g in candidate.row_genres])
        head, summary = multigenre.fit_sigmoid_head(candidate.X[part == "train"], y[part == "train"], labels,
                                                    X_valid=candidate.X[part == "valid"], y_valid=y[part == "valid"], seed=seed,
                                                    epochs=settings["head_epochs"], patience=settings["head_patience"],
                                                    layer=candidate.layer)
        found, by_mode = multigenre.evaluate_multi_genre(
            candidate.label, candidate.featurize, head, part_tracks["valid"], part_tracks["test"], dataset=dataset,
            protocol=protocol, sizes={p: len(_clip_genres(candidate, part, p)) for p in ("train", "valid")},
            n_valid=settings["multi_items"]["valid"],
            n_test=settings["multi_items"]["test"], seed=seed, resamples=resamples, train_seconds=summary.get("train_seconds"),
            train_genres=_clip_genres(candidate, part, "train"), valid_genres=_clip_genres(candidate, part, "valid"),
            progress=False, fixed_threshold=fixed_threshold)
        records += found
        curves.update({f"{candidate.label} · {mode}": frame for mode, frame in by_mode.items()})
        heads[candidate.label] = head
    if results_dir is not None:
        for record in records:
            evaluate.save(record, results_dir, profile=profile)
    return records, curves, heads


def _clip_genres(candidate: MultiCandidate, part: np.ndarray, which: str) -> list[str]:
    """The genre of each clip (not row) of one part of a candidate's training table."""
    chosen = pd.DataFrame({"track": candidate.row_tracks, "genre": candidate.row_genres})[part == which]
    return chosen.drop_duplicates("track")["genre"].tolist()


def split_with_reference(table: pd.DataFrame, reference_tracks: pd.DataFrame | None, reference: dict | None, protocol: str,
                         seed: int = 42) -> pd.Series:
    """Each clip's part under a *fixed* ``protocol`` for the clips of ``table`` and the reference clips whose audio
    is absent (their own fixed split; per track, so the audio clips keep theirs); under any other protocol, or
    without a reference, the clips of ``table`` only."""
    columns = ["track_id", "genre", "fixed_split"]
    if reference and reference_tracks is not None and protocol in splits.FIXED_PROTOCOLS:
        ids = reference_tracks["track_id"]
        extra = reference_tracks[ids.isin(reference.keys()) & ~ids.isin(table["track_id"])]
        table = pd.concat([table[columns], extra[columns]], ignore_index=True)
    return clip_splits(table, [protocol], seed=seed)[protocol]


def multi_table(records: Sequence[dict]) -> pd.DataFrame:
    """The multi-genre records' table (``multigenre.record_table``) and, last, the seed's number as it states it."""
    from ..models import multigenre
    from ..results import seed_reports

    table = multigenre.record_table(records)
    seeds = [s for s in seed_reports.SEED_RESULTS if s.metric == "exact_set_accuracy"]
    rows = [{"model": f"seed: {s.model} ({s.report})", "mode": s.protocol,
             "threshold": multigenre.threshold_text(multigenre.DEFAULT_THRESHOLD, "seed's"),
             "exact set [95 % CI]": f"{s.value:.3f}"} for s in seeds]
    # the seed report states one number: its other cells were not reported
    return (pd.concat([table.astype(object), pd.DataFrame(rows, dtype=object)], ignore_index=True).fillna("n/a (not reported)")
            .rename_axis(table.index.name))  # the records' dataset and split stay the caption


def chosen_thresholds(records: Sequence[dict]) -> dict[str, float]:
    """The threshold each ``"<label> · <mode>"`` chose on its validation items."""
    return {r["model"].rsplit(" · ", 1)[0]: r["extra"]["threshold"] for r in records
            if r["extra"].get("threshold_source", "").startswith("validation")}


def _cell(record: dict, metric: str = "accuracy") -> str:
    return evaluate.metric_cell(record, metric)


def reading(records: Sequence[dict], multi_records: Sequence[dict], sources: Sequence[WeightSource], protocol: str,
            seeded: dict[str, list[dict]] | None = None, resamples: int = 1000, seed: int = 42) -> str:
    """What this run's records say, in prose: weights, the best run by validation, the best of each kind (one run
    each), the music network against VGG16 over training seeds (``seeded``, :func:`seeded_runs`), failed runs, the
    protocols' gap, and the multi-genre scores beside the seed's."""
    from ..results import seed_reports

    lines = []
    missing = [s.network for s in sources if s.kind == "random-init"]
    transfer = [s.label for s in sources if s.pretrained]
    if missing:
        lines.append(f"- **Weights.** No ImageNet weights were available for {', '.join(missing)} in this run: they trained "
                     "from random initialisation, so their rows measure the architectures, not transfer learning. "
                     f"Transfer learning here: {', '.join(transfer) or 'none'}.")
    else:
        lines.append(f"- **Weights.** Pretrained bases in this run: {', '.join(transfer)}.")
    ours = [r for r in records if r["protocol"] == protocol and not evaluate.is_baseline(r)]
    baseline = next((r for r in records if r["protocol"] == protocol and evaluate.is_baseline(r)), None)
    failed = [r["model"] for r in ours if evaluate.failure(r)]
    try:
        best = best_by_validation(records, protocol)
        lines.append(f"- **Best by validation accuracy under {protocol}**: {best['model']}, test accuracy {_cell(best)} "
                     f"(balanced {_cell(best, 'balanced_accuracy')}, macro-F1 {_cell(best, 'macro_f1')}) on "
                     f"{best['sizes']['test']} test clips"
                     + (f" ({report.test_coverage(best)}: not like for like with a full test set)"
                        if report.test_coverage(best) else "")
                     + (f"; the majority-class baseline scores {_cell(baseline)}" if baseline else "") + ".")
    except ValueError:
        lines.append(f"- **No run under {protocol} learned**: none is reported as a result.")
    by_kind = {}
    for r in ours:
        if not evaluate.failure(r):
            key = "music" if r["extra"].get("network") in transfer_nets.MUSIC_NETWORKS else (
                "imagenet" if r["extra"].get("transfer_learning") else "other")
            if key not in by_kind or r["metrics"]["accuracy"]["value"] > by_kind[key]["metrics"]["accuracy"]["value"]:
                by_kind[key] = r
    names = {"music": "music-pretrained", "imagenet": "ImageNet-pretrained", "other": "from random weights or scratch"}
    if len(by_kind) > 1:
        # the seeded repeats (seeds 43, 44) are read below, over seeds; this line compares the first seed's runs
        seeds = sorted({evaluate.identity(r)["seed"] for r in by_kind.values()}, key=str)
        among = f" among the runs of training seed {seeds[0]}" if len(seeds) == 1 else ""
        lines.append(f"- **Side by side, same test clips** (the best of each kind by test accuracy{among}, a best case each; "
                     "one training run each, so an order between them is not a finding): "
                     + "; ".join(f"{names[k]}: {r['model']} {_cell(r)}" for k, r in by_kind.items()) + ".")
    if seeded and len(seeded) == 2:
        (name, group), (reference, references) = seeded.items()
        failed_seeds = comparisons.failed_in_seeds(group, references)
        if failed_seeds:
            lines.append(f"- **Over training seeds**: {name} against {reference} is not compared: failed: {failed_seeds}.")
        else:
            diff = comparisons.seeded_difference(group, references, resamples=resamples, seed=seed)
            lines.append("- **Over training seeds**: " + comparisons.difference_sentence(
                name, reference, diff, protocol, group[0]["sizes"]["test"]) + ". The two runs differ in their input "
                f"({group[0].get('representation')} vs {references[0].get('representation')}), their architecture and "
                "where their weights come from, all at once: the difference is between these two pipelines, not a "
                "measure of what pretraining alone adds.")
    if failed:
        lines.append(f"- **Did not learn under {protocol}** (reported as failed, not as numbers): {', '.join(failed)}.")
    gaps = []
    for model in dict.fromkeys(r["model"] for r in records if not evaluate.is_baseline(r)):
        pair = {r["protocol"]: r for r in records if r["model"] == model}
        comparable = protocol in pair and "random-70/10/20" in pair and protocol != "random-70/10/20"
        if comparable and not any(map(evaluate.failure, pair.values())):
            gaps.append(pair["random-70/10/20"]["metrics"]["accuracy"]["value"] - pair[protocol]["metrics"]["accuracy"]["value"])
    if gaps:
        over = (f"the median over {len(gaps)} networks that learned under both" if len(gaps) > 1 else
                "for the one network that learned under both")
        lines.append(f"- **Random split vs {protocol}**: the random split scores {np.median(gaps):+.3f} in accuracy ({over}; "
                     f"spread {min(gaps):+.3f} to {max(gaps):+.3f}). Each network is one training run per split and the "
                     "splits test different clips, so no paired test is possible: a description of these runs, not a finding "
                     "(the fault-filtered split keeps each artist on one side; notebook 03 measures the split at equal "
                     "training size).")
    seed = next((s for s in seed_reports.SEED_RESULTS if s.metric == "exact_set_accuracy"), None)
    for r in multi_records:
        if r["extra"].get("threshold_source", "").startswith("validation"):
            lines.append(f"- **Two genres, {r['extra']['mode']}** ({r['model'].split(' · ')[0]}, threshold {r['extra']['threshold']:g} "
                         f"chosen on validation items): exact set {_cell(r, 'exact_set_accuracy')}, both true genres in the top two "
                         f"{_cell(r, 'both_in_top2')}, Jaccard {_cell(r, 'jaccard')} on {r['sizes']['test']} test items"
                         + (f" (the seed states {seed.value:g} on its own {seed.protocol.split(' (')[0]}: other songs)" if seed else "")
                         + ".")
    return "\n".join(lines)
