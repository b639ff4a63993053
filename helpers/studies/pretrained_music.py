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
* :func:`save_default`, :func:`demo_clips`, :func:`demo_table`: the default model chosen by validation, saved,
  marked in its record, and the clips it classifies for the reader.

Each function is one cell of the notebook: it saves the records it makes (``helpers.results.evaluate.save``)
and the figures it draws, and returns what the cell displays. Seeding stays in the notebook, at the top of
each cell that trains, so that a reader sees where every random stream starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import data, plots
from ..inputs import features
from ..models import heads, pretrained, transfer
from ..results import evaluate

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


def largest_test_set(records: Sequence[dict], protocol: str, top: int = 15) -> tuple[int, pd.DataFrame]:
    """The size of the largest test set under ``protocol`` and its ``top`` most accurate runs (baselines left out):
    only runs scored on the same test clips compare directly."""
    size, group = transfer.test_sets(records, protocol)[0]
    return size, transfer.ranking(group, protocol).head(top)


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
    version (``record``, ``model``)."""

    name: str
    chosen: dict
    head: heads.Head
    record: dict
    model: object


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
    return FineTuned(name, chosen, head, tuned, model)


def test_set_rankings(records: Sequence[dict], protocol: str, label: str, figures_dir: Path, *,
                      sets: int = RANKED_TEST_SETS, top: int = RANKED_RUNS) -> list[tuple[str, pd.DataFrame]]:
    """Section 4: the ``sets`` largest test sets under ``protocol``, each as a heading (Markdown) and its ``top`` most
    accurate runs; each set's bar chart with intervals is saved as ``05_ranking_<n>``. Runs are ranked per test set
    because only runs scored on the same test clips compare directly."""
    shown = []
    for number, (size, group) in enumerate(transfer.test_sets(records, protocol)[:sets]):
        datasets = ", ".join(sorted({r["dataset"] for r in group}))
        shown.append((f"**{protocol}, {size} test clips** ({len(group)} runs; datasets {datasets})",
                      transfer.ranking(group, protocol).head(top)))
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
    """Section 6: a t-SNE map of ``checkpoint``'s taggram statistics, one dot per clip (the reference standing in for
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


def save_default(best: FineTuned, models_dir: Path, results_dir: Path, profile: str) -> tuple[dict, Path]:
    """Section 7: the frozen head or its fine-tuned version, whichever has the better validation balanced accuracy,
    saved as the default model (``heads.save_default_model``); its record is marked ``extra["default_model"]`` and
    saved again, because the README names it: the one result chosen without test data. Returns the record and the
    model's path."""
    record, model = heads.choose_default([(best.chosen, None), (best.record, best.model)])
    path = heads.save_default_model(best.name, record, best.head, models_dir, model=model, head_record=best.chosen)
    record["extra"]["default_model"] = True  # the same dict the notebook's lists hold, so the reading sees the mark
    evaluate.save(record, results_dir, profile=profile)
    return record, path


def demo_clips(tracks: pd.DataFrame, n: int = DEMO_CLIPS) -> pd.DataFrame:
    """The clips the default model classifies in the notebook: one test clip of the fixed split per genre (the first
    clips of any part when the dataset has no fixed test part), at most ``n``, in the tracks' order."""
    has_test = "fixed_split" in tracks and (tracks["fixed_split"] == "test").any()
    test_clips = tracks[tracks["fixed_split"] == "test"] if has_test else tracks
    return test_clips.groupby("genre").head(1).head(n)


def demo_table(shown: pd.DataFrame, examples: pd.DataFrame) -> pd.DataFrame:
    """``helpers.predict.classify``'s table of ``examples`` for reading: file names without folders, the true genre
    beside the prediction, and without the ``note`` and ``error`` columns."""
    shown = shown.drop(columns=["note", "error"])
    return shown.assign(file=shown["file"].map(lambda f: Path(f).name), true=examples["genre"].to_numpy())
