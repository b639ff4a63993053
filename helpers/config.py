"""Profiles, dataset resolution and output folders: the first cell of every notebook.

Profiles
    ``smoke``  tiny settings, seconds per notebook (tests, CI);
    ``report`` CPU settings used to render the committed notebooks from real data;
    ``paper``  the seed reports' full settings (GPU or Colab).
    Chosen by the notebook's ``PROFILE`` parameter, else ``$MGC_PROFILE``, else ``report``.

Dataset (first match wins); any dataset of the registry in ``helpers.data.registry``
(GTZAN, FMA-small, plain genre folders) is recognised from its folder layout
    1. the notebook's ``DATASET`` parameter (a folder, or ``"synthetic"``);
    2. ``$MGC_DATASET`` (a folder; ``synthetic`` forces the embedded default, used by the tests);
    3. ``$GTZAN_DIR``;
    4. ``data/gtzan`` in this repository;
    5. the embedded synthetic dataset, generated on first use under ``data/synthetic/``.
    A folder that was asked for but holds no dataset is an error, never a silent fallback.

Outputs
    ``$MGC_OUTPUT_DIR`` if set (``run_all.sh --in-place`` sets it to the repository
    root, which renders into the committed ``figures/`` and ``results/``), else
    ``runs/<profile>-<run label>/`` (the label names the dataset and, but for the
    synthetic set, a hash of its folder), so that a user's run never overwrites the
    committed results and two dataset folders never share outputs.

Command line (used by ``run_all.sh``)::

    python -m helpers.config dataset [--no-create]

Why this module is long: the three profiles hold every setting that scales a notebook's
work (clips, segments, networks, pretrained transfer), side by side so that a reader sees
what ``smoke``, ``report`` and ``paper`` change in one place.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from . import cli
from .data import registry, synth, synthetic
from .runtime import CACHE_DIR, DATA_DIR, DEFAULT_SEED, REPO_ROOT, display_path, progress, quiet_tensorflow, seed_everything  # noqa: F401 (re-exported for notebooks)


@dataclass(frozen=True)
class Profile:
    """Settings that scale a notebook's work. Notebooks read them, never hard-code them."""

    name: str
    synthetic_per_genre: int  # clips per genre of the embedded dataset
    synthetic_seconds: float  # clip length of the embedded dataset
    max_clips_per_genre: int | None  # cap on clips processed per genre (None: all)
    segment_seconds: tuple[float, ...]  # segment variants of the spectrogram PNGs
    examples_per_genre: int  # clips shown in example figures
    description: str = ""
    ci_resamples: int = 1000  # bootstrap resamples of the test set for 95 % intervals
    retrain_resamples: int = 100  # bootstrap study: models refit on resampled training sets
    curve_repeats: int = 3  # training-size curve: subsets drawn per size
    model_params: dict = field(default_factory=dict)  # per-model overrides (smoke: tiny models)
    networks: dict = field(default_factory=dict)  # spectrogram CNN settings, see NETWORKS below
    pretrained: dict = field(default_factory=dict)  # musicnn transfer settings, see PRETRAINED below
    transfer: dict = field(default_factory=dict)  # transfer-learning settings, see TRANSFER below
    study: dict = field(default_factory=dict)  # augmentation / segment / leakage settings, see STUDY below
    waveform: dict = field(default_factory=dict)  # waveform and fusion networks, see WAVEFORM below


# Spectrogram networks per profile. ``image_size``: side of the square input images
# (the seed used 128; 64 keeps the report profile within a CPU budget); ``image_color``:
# "grayscale" (the seed's choice) or "rgb" for the Kaggle images; ``epochs``,
# ``patience``: early stopping (best weights restored); ``grid``: which keras-tuner
# grid of helpers.models.zoo.GRIDS; ``tuner_epochs``: epochs per trial; ``segments_per_clip``:
# 3-s segments per clip for the small CNN (evenly spaced; None: all); ``small_patience``:
# the small CNN's early-stopping patience (5 in its seed report).
NETWORKS: dict[str, dict] = {
    "smoke": dict(image_size=32, image_color="grayscale", epochs=2, patience=1, small_patience=1, batch_size=32,
                  grid="smoke", tuner_epochs=1, segments_per_clip=2),
    "report": dict(image_size=64, image_color="grayscale", epochs=40, patience=10, small_patience=5, batch_size=32,
                   grid="report", tuner_epochs=15, segments_per_clip=5),
    "paper": dict(image_size=128, image_color="grayscale", epochs=50, patience=10, small_patience=5, batch_size=32,
                  grid="paper", tuner_epochs=50, segments_per_clip=None),
}

# Pretrained musicnn networks per profile (notebook 05): which ``checkpoints``, clip
# ``embeddings`` (helpers.models.pretrained.EMBEDDINGS) and classifiers (``methods``,
# helpers.models.zoo.EMBEDDING_MODELS) run; the frozen-base head's ``head_epochs`` and
# ``head_patience`` (early stopping on validation clips); full fine-tuning of the chosen
# checkpoint: ``tune_epochs``, ``tune_patience`` and ``tune_hop_seconds`` (its 3-s windows
# start every so many seconds: 10 s gives 3 windows per 30-s clip, what a CPU affords);
# candidates for the default beyond one head: ``ensemble_groups`` groups of ``ensemble_heads``
# training seeds (at least 3 groups, so that a candidate's gain over one head can be a finding).
_ALL_CHECKPOINTS = ("msd-musicnn", "mtt-musicnn", "msd-vgg", "mtt-vgg")
PRETRAINED: dict[str, dict] = {
    "smoke": dict(checkpoints=("msd-musicnn", "mtt-vgg"), embeddings=("taggram-stats",), methods=("logreg-cv",),
                  head_epochs=3, head_patience=1, tune_epochs=1, tune_patience=1, tune_hop_seconds=3.0,
                  ensemble_heads=2, ensemble_groups=3),
    "report": dict(checkpoints=_ALL_CHECKPOINTS, embeddings=("taggram-stats", "penultimate", "midlevel"),
                   methods=("logreg-cv", "svm-rbf-cv"), head_epochs=100, head_patience=10, tune_epochs=8, tune_patience=2,
                   tune_hop_seconds=10.0, ensemble_heads=3, ensemble_groups=3),
    "paper": dict(checkpoints=_ALL_CHECKPOINTS, embeddings=("taggram-stats", "penultimate", "midlevel"),
                  methods=("logreg-cv", "svm-rbf-cv"), head_epochs=200, head_patience=20, tune_epochs=30, tune_patience=5,
                  tune_hop_seconds=1.0, ensemble_heads=5, ensemble_groups=3),
}

# Transfer learning per profile (notebook 06): ``image_networks`` (helpers.models.transfer_nets) on the
# seed's mel PNGs at ``image_size``; ``recipes``; ``music_networks`` (the offline counterpart, on
# 3-s log-mel windows every ``window_hop_seconds``); epochs and early-stopping patience of the
# frozen-base head, of fine-tuning pretrained weights and of training from scratch;
# ``multi_items``: two-genre items per mode built from the validation and the test clips; ``seeds``: training seeds of
# the two runs the reading compares on the headline split (the music network's frozen base, and the fully trained image
# network with the best validation accuracy): a difference is a finding only over 3 or more.
TRANSFER: dict[str, dict] = {
    "smoke": dict(image_networks=("vgg16", "resnet18"), recipes=("frozen", "fine-tune"), music_networks=("msd-vgg",),
                  image_size=32, window_hop_seconds=3.0, batch_size=32, head_epochs=2, head_patience=1, tune_epochs=1,
                  tune_patience=1, scratch_epochs=1, scratch_patience=1, multi_items=dict(valid=6, test=8), seeds=2),
    "report": dict(image_networks=("vgg16", "resnet50", "resnet18", "alexnet"), recipes=("frozen", "fine-tune"),
                   music_networks=("msd-vgg",), image_size=64, window_hop_seconds=10.0, batch_size=32, head_epochs=100,
                   head_patience=10, tune_epochs=10, tune_patience=3, scratch_epochs=40, scratch_patience=8,
                   multi_items=dict(valid=60, test=100), seeds=3),
    "paper": dict(image_networks=("vgg16", "resnet50", "resnet18", "alexnet"), recipes=("frozen", "last-block", "fine-tune"),
                  music_networks=("msd-vgg", "mtt-vgg"), image_size=128, window_hop_seconds=1.0, batch_size=32,
                  head_epochs=50, head_patience=10, tune_epochs=50, tune_patience=10, scratch_epochs=50, scratch_patience=10,
                  multi_items=dict(valid=100, test=200), seeds=3),
}

# Augmentation, segment length and leakage per profile (notebook 07): segment lengths (s) and the
# networks of the segment-length study (``msd-musicnn-head``: the seed's head on MSD-musicnn's
# penultimate layer averaged per segment); ``per_clip``: segments per clip in the segment-length and
# leakage studies (None: all, the seeds' choice); ``augment_per_clip``: segments per clip and per copy
# in the augmentation runs and their controls (a CPU cannot train on every segment of six copies);
# ``noise_copies``: copies per clip of the noise-and-mask augmentation; ``resnet_per_clip``: segments per
# clip for ResNet18 in the segment-length study (it costs three times the base CNN per segment); epochs and early-stopping
# patience (on validation clips) of the convolutional networks and of the head. The base CNN sits at chance for its
# first four or five epochs on a few hundred clips: a patience under 8 stops it there (measured on real GTZAN).
STUDY: dict[str, dict] = {
    "smoke": dict(seconds=(3.0, 5.0), segment_models=("base-cnn", "resnet18", "msd-musicnn-head"), per_clip=2,
                  augment_per_clip=1, noise_copies=1, resnet_per_clip=2, epochs=2, patience=1, head_epochs=3, head_patience=1,
                  batch_size=32),
    "report": dict(seconds=(3.0, 5.0, 10.0), segment_models=("base-cnn", "resnet18", "msd-musicnn-head"), per_clip=None,
                   augment_per_clip=2, noise_copies=2, resnet_per_clip=2, epochs=30, patience=8, head_epochs=100, head_patience=10,
                   batch_size=32),
    "paper": dict(seconds=(3.0, 5.0, 10.0), segment_models=("base-cnn", "resnet18", "msd-musicnn-head"), per_clip=None,
                  augment_per_clip=None, noise_copies=5, resnet_per_clip=None, epochs=50, patience=10, head_epochs=200, head_patience=20,
                  batch_size=32),
}

# Waveform and fusion networks per profile (notebook 08): ``crop_seconds`` (None: the FMA report's 2^18 samples at
# 44.1 kHz, 5.94 s), ``image_size`` of the mel and waveform images of late fusion and its baseline, ``n_mfcc`` /
# ``n_mels`` of NNET2's inputs; ``epochs`` and early-stopping ``patience`` on the validation loss (best weights
# restored), ``batch_size`` (the report's 64); ``trials``: finished Optuna trials per study (learning rate and weight
# decay of NNET1 and NNET2 on MFCC, one study per split; the report gives no count, see
# helpers.models.optuna_search.TRIALS); ``seeds``: training seeds of the ``seeded_runs`` on the honest split (a
# difference is read as a finding only over 3 or more); ``model_params``: overrides of
# helpers.models.waveform_nets' parameters per network (smoke: tiny networks). The report profile keeps the seed's
# crop and 128 mel bands, halves the ResNet18 images (64 px, as notebook 06's report profile), takes batches of 32
# (one crop per track and epoch: 64 would leave 3 steps per epoch on 168 training tracks), a patience of 8 epochs (NNET1
# and ResNet18 sit at chance for their first 4 or 5 epochs on these tracks, as notebook 07's base CNN), 3 trials per study, and
# repeats only the ResNet18 pair (the slides' comparison) over 3 seeds. Measured on the 380 clips of the balanced
# GTZAN audio, 2 cores, in a report render (training and validation): per epoch on the 168 fault-filtered training
# tracks about 1.5 s for NNET1, 3 s for NNET2 on MFCC and for MixNet, 10 s for NNET2 on log-mel, 6 s for each
# ResNet18 network (training steps alone: benchmarks/waveform_training.py).
# ``wav2vec2``: the features report's Wav2Vec2 runs, only with real weights (helpers.models.wav2vec2_transfer):
# ``hub`` (may they come from the Hub; the smoke profile uses only a folder named in $MGC_WAV2VEC2), ``layer`` (the
# hidden state; None: the last), ``excerpt_seconds`` of each clip for the frozen embeddings (None: the whole clip),
# ``fine_tune`` with its ``crop_seconds``, epochs, patience, learning rate and batch. wav2vec2-base costs about 4 s
# per 30-s clip frozen and 11 s per 10-s crop and epoch to fine-tune on 2 CPU cores (benchmarks/wav2vec2_cost.py: half
# an hour per epoch on 168 training tracks), so the report profile embeds a 10-s excerpt and does not fine-tune.
WAVEFORM: dict[str, dict] = {
    "smoke": dict(crop_seconds=1.0, image_size=32, n_mfcc=8, n_mels=16, epochs=2, patience=1, batch_size=16, trials=2,
                  seeds=2, seeded_runs=("resnet18-mel", "late-fusion"),
                  model_params={"nnet1": dict(filters=(4, 4, 4, 4), kernel_sizes=(16, 3, 3, 3), strides=(4, 1, 1, 1), dense_units=(8,)),
                                "nnet2": dict(filters=4, pool_size=2, dense_units=(8, 8, 8)), "mixnet": dict(dense_units=(8, 8, 8)),
                                "late-fusion": dict(blocks=(1, 1), filters=(4, 8)),
                                "resnet18-mel": dict(blocks=(1, 1), filters=(4, 8))},
                  wav2vec2=dict(hub=False, layer=None, excerpt_seconds=1.0, fine_tune=True, crop_seconds=0.5, tune_epochs=1,
                                tune_patience=1, tune_learning_rate=1e-5, batch_size=4)),
    "report": dict(crop_seconds=None, image_size=64, n_mfcc=20, n_mels=128, epochs=40, patience=8, batch_size=32, trials=3,
                   seeds=3, seeded_runs=("resnet18-mel", "late-fusion"), model_params={},
                   wav2vec2=dict(hub=True, layer=None, excerpt_seconds=10.0, fine_tune=False, crop_seconds=10.0, tune_epochs=10,
                                 tune_patience=3, tune_learning_rate=1e-5, batch_size=8)),
    "paper": dict(crop_seconds=None, image_size=128, n_mfcc=20, n_mels=128, epochs=100, patience=10, batch_size=64, trials=30,
                  seeds=3, seeded_runs=("nnet1", "nnet2-mfcc", "nnet2-log-mel", "mixnet", "resnet18-mel", "late-fusion"),
                  model_params={}, wav2vec2=dict(hub=True, layer=None, excerpt_seconds=None, fine_tune=True, crop_seconds=10.0,
                                                 tune_epochs=10, tune_patience=3, tune_learning_rate=1e-5, batch_size=8)),
}

PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        synthetic_per_genre=4,
        synthetic_seconds=10.0,
        max_clips_per_genre=3,
        segment_seconds=(3.0, 5.0),
        examples_per_genre=1,
        description="tiny settings for tests and CI (seconds per notebook)",
        ci_resamples=100,
        retrain_resamples=3,
        curve_repeats=1,
        model_params={
            "random-forest": {"n_estimators": 50},
            "xgboost": {"n_estimators": 20},
            "xgboost-tuned": {"n_estimators": 40},
            "dense-net": {"epochs": 3},
            "lstm": {"epochs": 2},
            "base-cnn": {"filters": (8, 16, 16), "dense_units": 16},
            "crnn": {"filters": (8, 16, 16), "lstm_units": 8},
            "small-cnn": {"filters": (8, 8), "dense_units": 8},
        },
        networks=NETWORKS["smoke"],
        pretrained=PRETRAINED["smoke"],
        transfer=TRANSFER["smoke"],
        study=STUDY["smoke"],
        waveform=WAVEFORM["smoke"],
    ),
    "report": Profile(
        name="report",
        synthetic_per_genre=20,
        synthetic_seconds=30.0,
        max_clips_per_genre=None,
        segment_seconds=(3.0, 5.0, 10.0),
        examples_per_genre=1,
        description="CPU settings used to render the committed notebooks",
        networks=NETWORKS["report"],
        pretrained=PRETRAINED["report"],
        transfer=TRANSFER["report"],
        study=STUDY["report"],
        waveform=WAVEFORM["report"],
    ),
    "paper": Profile(
        name="paper",
        synthetic_per_genre=100,
        synthetic_seconds=30.0,
        max_clips_per_genre=None,
        segment_seconds=(3.0, 5.0, 10.0),
        examples_per_genre=2,
        description="the seed reports' full settings (GPU or Colab)",
        curve_repeats=5,
        networks=NETWORKS["paper"],
        pretrained=PRETRAINED["paper"],
        transfer=TRANSFER["paper"],
        study=STUDY["paper"],
        waveform=WAVEFORM["paper"],
    ),
}


class ProfileError(cli.UserError, ValueError):
    """An unknown profile name (from a parameter or ``$MGC_PROFILE``)."""


def get_profile(name: str | None = None) -> Profile:
    """Profile by name; ``None`` reads ``$MGC_PROFILE`` (default ``report``)."""
    name = name or os.environ.get("MGC_PROFILE") or "report"
    key = str(name).strip().lower()
    if key not in PROFILES:
        raise ProfileError(f"unknown profile {name!r}; valid profiles: {', '.join(PROFILES)}")
    return PROFILES[key]


@dataclass(frozen=True)
class DatasetChoice:
    """Which dataset a run uses and why."""

    name: str  # registry name ("gtzan", "fma-small", "synthetic", "folders"): what results records carry
    root: Path
    source: str  # how it was chosen, for the run's first printed line

    @property
    def label(self) -> str:
        """How figures and tables name the dataset ("GTZAN", "FMA-small", "synthetic")."""
        return registry.get(self.name).title

    @property
    def run_label(self) -> str:
        """Folder-safe and unique per dataset copy: ``synthetic`` (the embedded default), ``gtzan-1a2b3c`` or
        ``folders-my-music-4d5e6f``.

        Two different folders of one dataset never share a runs/ or cache folder.
        """
        if self.name == "synthetic" and self.root.parent == DATA_DIR.resolve() / "synthetic":
            return "synthetic"  # the embedded default of the profile (runs/ folders carry the profile too)
        digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:6]
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", self.root.name).strip("-").lower()
        return f"{self.name}-{digest}" if base in ("", self.name) else f"{self.name}-{base}-{digest}"

    @property
    def genres(self) -> tuple[str, ...]:
        """The dataset's full genre list (a copy on disk may lack some); empty for plain genre folders."""
        return registry.get(self.name).genres

    def fixed_split(self, table: pd.DataFrame) -> pd.Series:
        """The dataset's fixed split for each row of any table with ``track_id`` (a features CSV, image lists)."""
        return registry.get(self.name).fixed_split(table)

    @property
    def fixed_split_name(self) -> str | None:
        """The protocol name of the dataset's own split ("fault-filtered", "official"), if it has one."""
        return registry.get(self.name).fixed_split_name


@dataclass
class RunConfig:
    """Everything a notebook needs to know about its run."""

    profile: Profile
    dataset: DatasetChoice
    output_dir: Path
    seed: int = DEFAULT_SEED
    jobs: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))

    @property
    def figures_dir(self) -> Path:
        return self.output_dir / "figures"

    @property
    def results_dir(self) -> Path:
        """``results/`` for the report profile; ``results/<profile>/`` for the others, so that an
        in-place render in the paper profile never replaces the committed report records."""
        base = self.output_dir / "results"
        return base if self.profile.name == "report" else base / self.profile.name

    @property
    def models_dir(self) -> Path:
        """Trained networks (``.keras`` + JSON sidecar). In place (``./run_all.sh --in-place``), the report profile on
        a real dataset writes ``models/``, where the shipped default and multi-genre models live (committed); any other
        profile or the synthetic set writes ``models/<profile>-<dataset>/``, so that it never replaces them."""
        base = self.output_dir / "models"
        in_place = self.output_dir.resolve() == REPO_ROOT.resolve()
        if in_place and (self.profile.name != "report" or self.dataset.name == "synthetic"):
            return base / f"{self.profile.name}-{self.dataset.run_label}"
        return base

    @property
    def tuner_dir(self) -> Path:
        """keras-tuner state (one folder per search); not committed."""
        return self.output_dir / "tuner"

    @property
    def cache_dir(self) -> Path:
        return CACHE_DIR

    def cache_for(self, kind: str) -> Path:
        """Cache folder for derived files of this run's dataset (PNG trees); never committed.

        Keyed by a hash of the dataset folder, so two copies (or two synthetic sets) never share one.
        """
        digest = hashlib.sha1(str(self.dataset.root).encode()).hexdigest()[:8]
        return CACHE_DIR / kind / f"{self.dataset.name}-{digest}"

    def describe(self) -> str:
        return (
            f"Profile: {self.profile.name} ({self.profile.description})\n"
            f"Dataset: {self.dataset.name} at {display_path(self.dataset.root)} ({self.dataset.source})\n"
            f"Outputs: {_outputs(self.output_dir)}"
        )


def _outputs(output_dir: Path) -> str:
    """Where a run writes: the repository itself for an in-place render, else its run folder."""
    where = display_path(output_dir)
    return "this repository (figures/, results/: the committed report)" if where == "." else where


def resolve_dataset(dataset: str | os.PathLike | None = None, profile: Profile | None = None,
                    create: bool = True) -> DatasetChoice:
    """Pick the dataset as described in the module docstring.

    ``create=False`` writes nothing: the embedded synthetic dataset, when not generated
    yet, is returned where a run would generate it, and ``source`` says so.

    Raises:
        registry.DatasetNotFoundError: a folder was asked for (parameter or environment)
            but holds no dataset; the message says how to get one.
    """
    profile = profile or get_profile()
    if dataset is not None and str(dataset).lower() != "synthetic":
        return _checked_choice(Path(dataset), "DATASET parameter")
    from_env = os.environ.get("MGC_DATASET", "")
    if dataset is None and from_env.lower() not in ("", "synthetic"):
        return _checked_choice(Path(from_env), os.environ.get("MGC_DATASET_SOURCE", "$MGC_DATASET"))
    force_synthetic = dataset is not None or from_env.lower() == "synthetic"
    if not force_synthetic:
        if os.environ.get("GTZAN_DIR"):
            return _checked_choice(Path(os.environ["GTZAN_DIR"]), "$GTZAN_DIR")
        local = DATA_DIR / "gtzan"
        if local.is_dir() and any(local.iterdir()):
            return _checked_choice(local, "data/gtzan")
    root = DATA_DIR / "synthetic" / f"{profile.synthetic_per_genre}x{profile.synthetic_seconds:g}s-seed{DEFAULT_SEED}"
    settings = dict(per_genre=profile.synthetic_per_genre, seconds=profile.synthetic_seconds, seed=DEFAULT_SEED)
    if not create and not synth.is_complete(root, **settings):
        clips, megabytes = 10 * profile.synthetic_per_genre, profile.synthetic_seconds * synth.SAMPLE_RATE * 2 / 1e6
        return DatasetChoice("synthetic", root, f"embedded default, not generated yet: a run first writes {clips} clips "
                                                f"of {profile.synthetic_seconds:g} s there, about {clips * megabytes:.0f} MB")
    root = synthetic.ensure(root, **settings)
    return DatasetChoice("synthetic", root, "embedded default, generated by helpers.data.synth")


def _checked_choice(root: Path, source: str) -> DatasetChoice:
    root = root.expanduser()
    if not root.is_absolute() and not root.exists() and (REPO_ROOT / root).exists():
        root = REPO_ROOT / root  # a path given relative to the repository, used from notebooks/
    try:
        layout = registry.discover(root)
    except registry.DatasetNotFoundError as error:
        raise registry.DatasetNotFoundError(f"{source}: {error}") from None
    if layout.audio_dir is None and layout.features_csv is None:
        dataset = registry.get(layout.dataset)
        raise registry.DatasetNotFoundError(
            f"{source}: {root} holds {dataset.title} metadata but no audio and no features CSV: the notebooks "
            f"need one of them.\n{dataset.how_to_get}")
    return DatasetChoice(layout.dataset, root.resolve(), source)


def setup(
    profile: str | None = None,
    dataset: str | os.PathLike | None = None,
    seed: int = DEFAULT_SEED,
    output_dir: str | os.PathLike | None = None,
    **profile_overrides: Any,
) -> RunConfig:
    """Resolve profile, dataset and output folders, seed the generators and say what was chosen.

    ``profile_overrides`` replace single profile fields (for example
    ``max_clips_per_genre=5``); an unknown field name is an error naming the valid ones.
    """
    chosen = get_profile(profile)
    if profile_overrides:
        valid = set(Profile.__dataclass_fields__) - {"name"}
        unknown = set(profile_overrides) - valid
        if unknown:
            raise ValueError(f"unknown profile setting(s) {sorted(unknown)}; valid: {', '.join(sorted(valid))}")
        chosen = replace(chosen, **profile_overrides)
    choice = resolve_dataset(dataset, chosen)
    if output_dir is None:
        output_dir = os.environ.get("MGC_OUTPUT_DIR") or REPO_ROOT / "runs" / f"{chosen.name}-{choice.run_label}"
    cfg = RunConfig(profile=chosen, dataset=choice, output_dir=Path(output_dir).resolve(), seed=seed)
    for folder in (cfg.figures_dir, cfg.results_dir):
        folder.mkdir(parents=True, exist_ok=True)
    seed_everything(seed)
    # Tables show whole run names (pandas cuts cells at 50 characters, which makes "... threshold chosen on
    # validation" and "... seed's threshold 0.2" look alike); tables stay narrow by their columns instead.
    pd.set_option("display.max_colwidth", None)
    print(cfg.describe())
    return cfg


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.config", description="Show what a run would use.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_dataset = sub.add_parser("dataset", help="resolve the dataset as the notebooks do; the last line printed is the run label")
    p_dataset.add_argument("--no-create", action="store_true",
                           help="write nothing: say where the embedded synthetic dataset would be generated (run_all.sh --dry-run)")
    args = parser.parse_args(argv)
    choice = resolve_dataset(create=not args.no_create)
    print(f"dataset: {choice.name} at {display_path(choice.root)} ({choice.source})")
    print(choice.run_label)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
