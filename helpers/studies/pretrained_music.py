"""What notebook 05 runs: the four musicnn checkpoints as pretrained music networks, from the port's check to the
default model of ``python -m helpers.predict``.

* :func:`port_parity`: the Keras port against musicnn's published GTZAN taggrams (when the dataset has them);
* :func:`embedding_records`: every checkpoint x clip embedding x classifier under every protocol, alone, fused
  with the 57 handcrafted features and the handcrafted features alone (``helpers.models.transfer``), on the
  whole dataset and, where the audio is uneven, on its balanced genres;
* :func:`head_records`, :func:`fine_tune_best`: the main seed's head on each frozen checkpoint, then full
  fine-tuning of the head with the best validation balanced accuracy (``helpers.models.heads``);
* :func:`test_set_rankings`, :func:`best_record`, :func:`embedding_map`: the rankings per test set, the best
  record and the t-SNE map of the embeddings;
* :func:`default_candidates`, :func:`candidate_table`, :func:`seeded_table`, :func:`candidates_reading`: beyond one
  head, on the chosen head's windows (``helpers.models.head_ensembles``): heads of more training seeds and their
  means, regressions on clip statistics with and without the handcrafted features, blends, fewer windows per clip;
  each against one head over several seeds, paired on the same test clips;
* :func:`save_default`, :func:`demo_clips`: the default model chosen by validation among one head,
  the mean of heads and the fine-tuned model, saved, scored by itself, marked in its record, and the clips it
  classifies for the reader.

Why this module is long: it is notebook 05's one study module (one per notebook), and the notebook has eight
sections; each function below is one of its cells, so splitting it would split the notebook's code across modules.

Each function is one cell of the notebook: it saves the records it makes (``helpers.results.evaluate.save``)
and the figures it draws, and returns what the cell displays. Seeding stays in the notebook, at the top of
each cell that trains, so that a reader sees where every random stream starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import data, plots
from ..inputs import features
from ..models import head_ensembles, heads, pretrained, transfer
from ..results import comparisons, evaluate, published
from ..results.records import metric_cell

EXPERIMENT = transfer.EXPERIMENT
RANKED_TEST_SETS = 2  # the largest test sets of the headline protocol that get a ranking of their own
RANKED_RUNS = 20  # runs per ranking table and figure
DEMO_CLIPS = 4  # clips the default model classifies in the notebook


def protocols(fixed: str | None) -> list[str]:
    """The protocols of every experiment here: the dataset's fixed split first (when it has one), then the seeds'."""
    return ([fixed] if fixed else []) + ["random-80/20", "5-fold-cv"]


def handcrafted_features(layout: data.Layout, tracks: pd.DataFrame, jobs: int | None = None) -> pd.DataFrame:
    """The 57 handcrafted features per clip: the dataset's Kaggle CSV when it has one (it covers clips whose audio is
    absent), else computed from ``tracks``' audio with the fixed split attached."""
    handcrafted = data.features_table(layout)
    if handcrafted is None:
        extracted = features.extract(tracks, jobs=jobs)
        handcrafted = data.attach_fixed_split(extracted.table, tracks)
    return handcrafted


def port_parity(tracks: pd.DataFrame, reference: dict, label: str, figures_dir: Path) -> pd.DataFrame | None:
    """The port against the published MSD-musicnn taggrams, one row per clip (``pretrained.parity``), with its figure
    saved as ``05_port_parity``; ``None`` (and a line saying why) when the dataset has no reference."""
    if not reference:
        print(f"{label} has no reference taggrams (reference/musicnn_msd_taggram_*.npz): the parity check needs GTZAN")
        return None
    parity = pretrained.parity(tracks, reference)
    fig = plots.port_parity(parity, f"{label}: Keras port vs published MSD-musicnn taggrams, {len(parity)} clips "
                                    f"(1-s hop, 3-s windows)")
    plots.save(fig, figures_dir, "05_port_parity")
    return parity


def _save_all(records: Sequence[dict], results_dir: Path | None, profile: str | None) -> None:
    for record in records if results_dir is not None else ():
        evaluate.save(record, results_dir, profile=profile)


def embedding_records(tracks: pd.DataFrame, settings: dict, protocols: Sequence[str], *, dataset: str, label: str,
                      handcrafted: pd.DataFrame, reference: dict, seed: int, jobs: int | None = None,
                      resamples: int = 1000, results_dir: Path | None = None, profile: str | None = None) -> list[dict]:
    """Section 2: ``transfer.embedding_records`` on ``tracks`` (with the fusion, the handcrafted control and, when
    ``reference`` taggrams exist, the ``+reference`` tables), then, where the audio's genres are uneven, on the
    balanced genres alone under their own dataset name (as notebooks 03 and 04 do). ``settings``: the profile's
    ``pretrained`` settings. Every record is saved under ``results_dir`` when given."""
    grid = dict(names=settings["checkpoints"], embeddings=settings["embeddings"], methods=settings["methods"],
                protocols=protocols, seed=seed, jobs=jobs, resamples=resamples)
    records = transfer.embedding_records(tracks, dataset=dataset, handcrafted=handcrafted,
                                         handcrafted_columns=features.FEATURE_COLUMNS, reference=reference,
                                         reference_tracks=handcrafted, **grid)
    balanced = data.balanced_subset(tracks, dataset, label)
    if balanced is not None:
        subset, subset_name, _ = balanced
        # the window outputs are cached by the run above, so no progress bar: nothing new is computed
        records += transfer.embedding_records(subset, dataset=subset_name, progress=False, **grid)
    _save_all(records, results_dir, profile)
    return records


def largest_test_set(records: Sequence[dict], protocol: str, top: int = 15) -> tuple[str, pd.DataFrame]:
    """A caption naming the largest test set under ``protocol`` (its size and datasets) and its ``top`` most accurate
    runs (baselines left out): only runs scored on the same test clips compare directly."""
    size, group = transfer.test_sets(records, protocol)[0]
    table = transfer.ranking(group, protocol).head(top)
    datasets = ", ".join(sorted({r["dataset"] for r in group}))
    return f"{protocol}, the largest test set ({size} clips; dataset {datasets}): its {len(table)} most accurate runs", table


def head_records(tracks: pd.DataFrame, settings: dict, protocols: Sequence[str], *, dataset: str, reference: dict,
                 reference_tracks: pd.DataFrame, seed: int, resamples: int = 1000, results_dir: Path | None = None,
                 profile: str | None = None) -> tuple[list[dict], dict[tuple[str, str], heads.Head]]:
    """Section 3: the seed's head on every frozen checkpoint under every protocol (``heads.head_records``), saved under
    ``results_dir`` when given. Returns the records and the trained heads by ``(record model, protocol)``."""
    records, trained = heads.head_records(
        tracks, names=settings["checkpoints"], protocols=protocols, dataset=dataset, seed=seed, epochs=settings["head_epochs"],
        patience=settings["head_patience"], resamples=resamples, reference=reference, reference_tracks=reference_tracks,
        progress=False)  # the window outputs are cached by embedding_records
    _save_all(records, results_dir, profile)
    return records, trained


@dataclass
class FineTuned:
    """The head chosen by validation (its checkpoint ``name``, record ``chosen`` and ``head``) and its fine-tuned
    version (``record``, ``model``, scored on windows every ``hop_seconds``)."""

    name: str
    chosen: dict
    head: heads.Head
    record: dict
    model: object
    hop_seconds: float = 1.0


def fine_tune_best(tracks: pd.DataFrame, head_results: Sequence[dict], trained_heads: dict, settings: dict, protocol: str,
                   *, dataset: str, seed: int, resamples: int = 1000, results_dir: Path | None = None,
                   profile: str | None = None) -> FineTuned:
    """The head under ``protocol`` with the best validation balanced accuracy, with every weight of its checkpoint
    fine-tuned on the port's log-mel windows (one every ``settings["tune_hop_seconds"]``); the record is saved under
    ``results_dir`` when given. Fine-tuning needs audio, so it trains on ``tracks`` even when the head was trained
    with the reference's clips too: the record names the head it started from (``initialised_from``)."""
    name, chosen, head = heads.choose_head(head_results, trained_heads, protocol)
    tuned, model = heads.fine_tune(heads.mel_windows(tracks, settings["tune_hop_seconds"]), name, head, protocol,
                                   dataset=dataset, seed=seed, epochs=settings["tune_epochs"],
                                   patience=settings["tune_patience"], resamples=resamples,
                                   initialised_from=f"{chosen['model']} ({chosen['dataset']})")
    _save_all([tuned], results_dir, profile)
    return FineTuned(name, chosen, head, tuned, model, settings["tune_hop_seconds"])


RANKED_EXPERIMENTS = ("features_ml", "cnn_gridsearch", "pretrained_music")  # notebooks 03, 04 and 05


def test_set_rankings(records: Sequence[dict], protocol: str, label: str, figures_dir: Path, *,
                      sets: int = RANKED_TEST_SETS, top: int = RANKED_RUNS) -> list[tuple[str, pd.DataFrame]]:
    """Section 5: the ``sets`` largest test sets under ``protocol``, each as a heading (Markdown) and its ``top`` most
    accurate runs; each set's bar chart with intervals is saved as ``05_ranking_<n>``. Runs are ranked per test set
    because only runs scored on the same test clips compare directly."""
    shown = []
    ranked = [r for r in records if r["experiment"] in RANKED_EXPERIMENTS]  # notebooks 03-05, as the titles say
    for number, (size, group) in enumerate(transfer.test_sets(ranked, protocol)[:sets]):
        table = transfer.ranking(group, protocol).head(top)
        datasets = ", ".join(sorted(set(table["dataset"]) if "dataset" in table else {r["dataset"] for r in group}))
        shown.append((f"**{protocol}, {size} test clips** ({len(table)} most accurate of {len(group)} runs of notebooks "
                      f"03-05; dataset {datasets})", table))
        fig = plots.ranking(sorted(group, key=lambda r: -r["metrics"]["accuracy"]["value"])[:top],
                            f"{label}, {protocol}, {size} test clips: the {min(top, len(group))} most accurate runs of notebooks 03-05")
        plots.save(fig, figures_dir, f"05_ranking_{number + 1}")
    return shown


def best_record(records: Sequence[dict], protocol: str) -> dict:
    """The most accurate non-baseline record under ``protocol`` on its largest test set: a best case, since it was
    picked on those test clips among many configurations."""
    ours = [r for r in records if r["protocol"] == protocol and not r.get("extra", {}).get("baseline")]
    if not ours:
        raise ValueError(f"no record under {protocol!r} other than baselines")
    largest = max(r["sizes"]["test"] for r in ours)
    return max((r for r in ours if r["sizes"]["test"] == largest), key=lambda r: r["metrics"]["accuracy"]["value"])


def embedding_map(tracks: pd.DataFrame, checkpoint: str, label: str, figures_dir: Path, *, reference: dict,
                  reference_tracks: pd.DataFrame, seed: int) -> pretrained.ClipEmbeddings:
    """Section 7: a t-SNE map of ``checkpoint``'s taggram statistics, one dot per clip (the reference standing in for
    absent audio when the checkpoint is MSD-musicnn, the only one it holds), saved as ``05_embedding_map``."""
    embedded = pretrained.clip_embeddings(tracks, checkpoint, "taggram-stats",
                                          reference=reference if checkpoint == "msd-musicnn" else None,
                                          reference_tracks=reference_tracks, progress=False)
    counts = transfer.sources(embedded.table)
    fig = plots.embedding_map(embedded.X, embedded.table["genre"],
                              f"{label}: t-SNE of {embedded.representation}, {len(embedded.table)} clips "
                              f"({', '.join(f'{n} from the {s}' for s, n in counts.items())})", seed=seed)
    plots.save(fig, figures_dir, "05_embedding_map")
    return embedded


@dataclass
class Candidates:
    """What section 4 trained: every candidate's record (``groups``: per group of seeds its one head, mean of heads,
    mean on fewer windows and blend; ``regressions``: one per input, seedless), and the windows and split they share."""

    name: str
    dataset: str
    protocol: str
    windows: heads.WindowSet
    split: np.ndarray
    groups: list[dict[str, dict]]
    regressions: dict[str, dict]
    scored: list[dict[str, head_ensembles.Scored]]

    @property
    def records(self) -> list[dict]:
        return [r for group in self.groups for r in group.values()] + list(self.regressions.values())


def default_candidates(tracks: pd.DataFrame, best: FineTuned, handcrafted: pd.DataFrame, settings: dict, protocol: str,
                       *, reference: dict, seed: int, resamples: int = 1000, results_dir: Path | None = None,
                       profile: str | None = None) -> Candidates:
    """Section 4: on the windows and split of the head chosen in section 3, ``settings["ensemble_groups"]`` groups of
    ``settings["ensemble_heads"]`` training seeds from ``seed`` on (``head_ensembles``): each group's first head, the
    mean of its heads, that mean on one window in three, and its blend with the better regression (chosen on
    validation) on the clips' window statistics, with and without the handcrafted features. Records saved under
    ``results_dir`` when given."""
    chosen, layer = best.chosen, best.head.layer
    with_reference = chosen["dataset"].endswith(transfer.REFERENCE_SUFFIX)
    windows = heads.window_embeddings(tracks, best.name, layer=layer, reference=reference if with_reference else None,
                                      reference_tracks=handcrafted if with_reference else None, progress=False)
    split = heads.validation_split(windows.tracks, protocol, seed).to_numpy()
    size, count = settings["ensemble_heads"], settings["ensemble_groups"]
    trained = head_ensembles.seeded_heads(windows, split, [seed + i for i in range(size * count)],
                                          epochs=settings["head_epochs"], patience=settings["head_patience"])
    grouped = head_ensembles.ensembles(windows, split, trained, size)
    statistics = head_ensembles.clip_statistics(windows)
    columns = [c for c in features.FEATURE_COLUMNS if c in handcrafted.columns]
    with_features = statistics.join(handcrafted.drop_duplicates("track_id").set_index("track_id")[columns])
    regressed = [head_ensembles.regression(statistics, windows, split, "stats regression", grouped[0][0]),
                 head_ensembles.regression(with_features, windows, split, "stats+features regression", grouped[0][0])]
    better = max(regressed, key=lambda r: head_ensembles.validation_scores(r, windows)["valid_balanced_accuracy"])
    common = dict(checkpoint=best.name, dataset=chosen["dataset"], protocol=protocol, resamples=resamples,
                  epochs=settings["head_epochs"], patience=settings["head_patience"])
    groups, scored = [], []
    for one, mean, fewer in grouped:
        mixed = head_ensembles.blend(mean, better, windows)
        members = {"one head": one, "mean of heads": mean, "fewer windows": fewer, "blend": mixed}
        scored.append(members)
        groups.append({key: head_ensembles.record(c, windows, split, seed=c.seeds[0], **common) for key, c in members.items()})
    regressions = {r.name: head_ensembles.record(r, windows, split, seed=None, **common) for r in regressed}
    found = Candidates(best.name, chosen["dataset"], protocol, windows, split, groups, regressions, scored)
    _save_all(found.records, results_dir, profile)
    return found


def _short(record: dict) -> str:
    """The candidate's name without the checkpoint, layer and seeds (``mean of 3 heads``)."""
    return re.sub(r" \(seeds? [\d-]+\)$", "", record["model"].split(" · ", 1)[-1])


def candidate_table(found: Candidates) -> pd.DataFrame:
    """The first group's candidates and the regressions: seeds, validation scores (which choose) and test scores."""
    rows = []
    for r in list(found.groups[0].values()) + list(found.regressions.values()):
        seeds = r["extra"]["seeds"]
        rows.append({"candidate": _short(r), "seeds": f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else (seeds[0] if seeds else "none"),
                     "valid bal. acc.": f"{r['extra']['valid_balanced_accuracy']:.3f}",
                     "valid acc.": f"{r['extra']['valid_accuracy']:.3f}",
                     "test acc. [95 % CI]": metric_cell(r), "test bal. acc.": f"{r['metrics']['balanced_accuracy']['value']:.3f}"})
    return pd.DataFrame(rows)


def _differences(found: Candidates, resamples: int, seed: int) -> dict[str, comparisons.SeededDifference]:
    """Each candidate minus one head, group by group (a regression paired with every group's head)."""
    heads_ = [g["one head"] for g in found.groups]
    pairs = {_short(found.groups[0][key]): [g[key] for g in found.groups] for key in ("mean of heads", "fewer windows", "blend")}
    pairs.update({_short(r): [head_ensembles.as_seed(r, h["params"]["seed"]) for h in heads_] for r in found.regressions.values()})
    return {name: comparisons.seeded_difference(records, heads_, resamples=resamples, seed=seed) for name, records in pairs.items()}


def seeded_table(found: Candidates, resamples: int = 1000, seed: int = 42) -> pd.DataFrame:
    """Each candidate minus one head in test accuracy, group by group of training seeds on the same test clips: each
    group's difference, the mean with its paired interval over the clips, and the verdict
    (``helpers.results.comparisons.seeded_difference``)."""
    rows = []
    for name, diff in _differences(found, resamples, seed).items():
        rows.append({"candidate minus one head": name, "seed groups": diff.seeds,
                     "per group": ", ".join(f"{d:+.3f}" for d in diff.per_seed),
                     "mean [95 % CI over clips]": f"{diff.mean:+.3f} [{diff.low:+.3f}, {diff.high:+.3f}]",
                     "verdict": diff.verdict})
    return pd.DataFrame(rows)


def deployable_candidates(found: Candidates, best: FineTuned) -> list[tuple[str, dict]]:
    """What can become the default (one Keras model on audio windows), simplest first: the first group's one head and
    mean of heads, and the fine-tuned model."""
    return [("one head", found.groups[0]["one head"]), ("mean of heads", found.groups[0]["mean of heads"]),
            ("fine-tuned", best.record)]


def choice_table(found: Candidates, best: FineTuned) -> pd.DataFrame:
    """The deployable candidates' validation scores: what chooses the default."""
    return pd.DataFrame([{"candidate": key, "valid bal. acc.": f"{r['extra']['valid_balanced_accuracy']:.3f}",
                          "valid acc.": f"{r['extra']['valid_accuracy']:.3f}", "valid clips": r["sizes"]["valid"],
                          "windows every": f"{best.hop_seconds if key == 'fine-tuned' else 1.0:g} s", "dataset": r["dataset"]}
                         for key, r in deployable_candidates(found, best)])


def save_default(best: FineTuned, found: Candidates, models_dir: Path, results_dir: Path, profile: str,
                 resamples: int = 1000) -> tuple[dict, Path]:
    """Section 8: the deployable candidate with the best validation balanced accuracy (the simplest on a tie; never a
    test score) saved as the default model (``heads.save_default_model``). A frozen one is scored again by the saved
    model itself (``head_ensembles.deployed_record``), so the card's test scores are that model's own; its record is
    marked ``extra["default_model"]`` and saved, because the README names it. Returns the record and the model's path."""
    options = deployable_candidates(found, best)
    key, chosen = max(options, key=lambda o: (o[1]["extra"]["valid_balanced_accuracy"], o[1]["extra"]["valid_accuracy"]))
    hop = best.hop_seconds if key == "fine-tuned" else 1.0  # the hop its scores were measured at, written in its sidecar
    if key == "fine-tuned":
        record, members, model, seeds = chosen, [best.head], best.model, []
    else:
        members, seeds = list(found.scored[0][key].heads), list(found.scored[0][key].seeds)
        model = heads.deployable(best.name, members)
        record = head_ensembles.deployed_record(
            model, found.windows, found.split, name=f"{best.name} {found.windows.layer} · default ({key})",
            dataset=found.dataset, protocol=found.protocol, seeds=seeds, resamples=resamples,
            extra={"candidate": key})
    record["extra"]["default_model"] = True  # the same dict the notebook's lists hold, so the reading sees the mark
    evaluate.save(record, results_dir, profile=profile)  # first: it stamps the profile that the model's sidecar copies
    path = heads.save_default_model(best.name, record, members, models_dir, model=model, seeds=seeds, hop_seconds=hop,
                                    head_record=best.chosen if key == "fine-tuned" else None)
    return record, path


def candidates_reading(found: Candidates, default: dict, resamples: int = 1000, seed: int = 42) -> str:
    """The generated reading of section 4: what each candidate added over one head (seed groups, paired interval,
    verdict), which the validation clips choose, and the gap to the best published result on this split."""
    first = found.groups[0]
    test_clips = first["one head"]["sizes"]["test"]
    valid = first["one head"].get("sizes_per_genre", {}).get("valid", {})
    missing = [g for g, n in valid.items() if not n]
    lines = [f"- Every candidate is scored on the same {test_clips} test clips of *{found.protocol}* "
             f"({found.dataset}); the validation part has {first['one head']['sizes']['valid']} clips and chooses"
             + (f", but it has no clip of {', '.join(missing)}, so the choice cannot see those genres" if missing else "")
             + "."]
    regressions = {_short(r) for r in found.regressions.values()}
    for name, diff in _differences(found, resamples, seed).items():
        fit = ("; the regression draws nothing at random, so its one fit is compared with each group's head"
               if name in regressions else "")
        lines.append("- " + comparisons.difference_sentence(name, "one head", diff, found.protocol, test_clips,
                                                           unit="groups of training seeds") + f"{fit}.")
    everything = list(first.values()) + list(found.regressions.values())
    top = max(everything, key=lambda r: r["metrics"]["accuracy"]["value"])
    lines.append(f"- The most accurate candidate on the test clips is {_short(top)} ({metric_cell(top)}); choosing it "
                 f"that way would be a choice made on test data, so it is a best case, not the default.")
    system, target = published.best()
    value = default["metrics"]["accuracy"]["value"]
    line = (f"- The default chosen on validation ({_short(default)}) scores {metric_cell(default)} on "
            f"{default['sizes']['test']} test clips.")
    if found.protocol != published.PROTOCOL or not found.dataset.startswith(published.DATASET):
        lines.append(line + f" Published results on GTZAN's {published.PROTOCOL} split do not apply to {found.dataset}.")
        return "\n".join(lines)
    lines.append(line[:-1] + f". The best published result on this split is {system}'s "
                 f"{target:.3f}: " + (f"the default is {target - value:.3f} below it" if value < target else "the default reaches it")
                 + (f" and the most accurate candidate {target - top['metrics']['accuracy']['value']:.3f} below"
                    if top["metrics"]["accuracy"]["value"] < target else "")
                 + f". Published on the split's {published.TEST_CLIPS} test clips, each a classifier trained on a frozen "
                 "representation (MARBLE's probing protocol): "
                 + ", ".join(f"{name} {percent / 100:.3f}" for name, percent in published.FAULT_FILTERED_ACCURACY.items())
                 + f" ({published.SOURCE}).")
    return "\n".join(lines)


def demo_clips(tracks: pd.DataFrame, n: int = DEMO_CLIPS) -> pd.DataFrame:
    """The clips the default model classifies in the notebook: one test clip of the fixed split per genre (the first
    clips of any part when the dataset has no fixed test part), at most ``n``, in the tracks' order."""
    has_test = "fixed_split" in tracks and (tracks["fixed_split"] == "test").any()
    test_clips = tracks[tracks["fixed_split"] == "test"] if has_test else tracks
    return test_clips.groupby("genre").head(1).head(n)
