# %% [markdown]
# # 04 · Spectrogram CNNs and a keras-tuner grid search
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mgc-reports/music-genre-classification/blob/main/notebooks/04_cnn_gridsearch.ipynb)
#
# The seed reports' spectrogram networks, trained and tested on real GTZAN spectrograms:
#
# 1. **Inputs**: the Kaggle `images_original` PNGs (white border cropped, grayscale), this
#    repository's own mel PNGs of the audio (notebook 02's recipe) and in-memory log-mel arrays
#    of 3-s segments. A `tf.data` pipeline caches and prefetches them; training batches (only)
#    are augmented by Keras preprocessing layers.
# 2. **The main seed's base CNN** (three convolution blocks, dense 128; Adam 1e-3, early stopping
#    with patience 10 restoring the best weights, learning rate x0.1 on plateaus), under the
#    seed's random split, the same split shrunk to the fault-filtered training size, and the
#    fault-filtered split; a majority-class baseline for each.
# 3. **A keras-tuner grid search** over the profile's grid (listed below), run separately under
#    each protocol on that protocol's own validation clips, then the tuned CNN under each.
# 4. **A CRNN** (convolution blocks, then an LSTM over time) and **the small CNN** of the
#    3-s-segment report (64 mel bands; clip accuracy by averaging segment probabilities). The
#    networks on audio also run on the balanced genres alone, under their own dataset label.
# 5. **Saved models** that classify new audio files (`python -m helpers.predict`).
#
# Image size, epochs and the grid depend on the profile (`helpers/config.py`, `NETWORKS`): the
# seed used 128 x 128 images and 50 epochs (`paper`); the committed run (`report`) uses 64 x 64
# images and a reduced grid to fit a CPU budget.

# %%
# Colab set-up: clone the repository, install its pinned requirements and fetch GTZAN.
# Anywhere else (JupyterLab, papermill, nbval) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    # Written from helpers.colab.REPOSITORY by `python -m helpers.colab`.
    REPOSITORY, CHECKOUT = "https://github.com/mgc-reports/music-genre-classification", "/content/music-genre-classification"
    if not os.path.isdir(CHECKOUT):
        subprocess.run(["git", "clone", "--depth", "1", "--branch", "main", REPOSITORY, CHECKOUT], check=True)
    sys.path.insert(0, CHECKOUT)
    from helpers import colab

    colab.setup(CHECKOUT)

# %% [markdown]
# **Parameters.** `run_all.sh` and papermill override this cell; see `helpers/config.py` for what each profile sets.

# %% tags=["parameters"]
PROFILE = None  # "smoke" | "report" | "paper"; None reads $MGC_PROFILE (default "report")
DATASET = None  # a dataset folder (GTZAN, FMA-small, genre folders) or "synthetic"; None: $MGC_DATASET, $GTZAN_DIR, data/gtzan or synthetic
OVERWRITE_TUNER = True  # False: reload a finished grid search, resume an interrupted one

# %%
import numpy as np
from IPython.display import Markdown, display

from helpers import config, data, plots, predict
from helpers.inputs import augment, network_inputs, spectrograms
from helpers.models import artifacts, networks, tuning, zoo
from helpers.results import evaluate, readings, report
from helpers.studies import prepare

cfg = config.setup(PROFILE, DATASET)
LABEL, NET, EXPERIMENT = cfg.dataset.label, cfg.profile.networks, "cnn_gridsearch"
SIZE = NET["image_size"]
layout = data.discover(cfg.dataset.root)
tracks = data.limit_per_genre(data.readable(data.load_tracks(layout)), cfg.profile.max_clips_per_genre)
# The dataset's own split (GTZAN: fault-filtered; FMA-small: official), when it has one.
FIXED = cfg.dataset.fixed_split_name
CLIP_PROTOCOLS = ["random-70/10/20"] + ([FIXED] if FIXED else [])
FIT = dict(epochs=NET["epochs"], batch_size=NET["batch_size"], patience=NET["patience"], augment=augment.AUGMENT,
           resamples=cfg.profile.ci_resamples, seed=cfg.seed)
RUN = dict(experiment=EXPERIMENT, dataset=cfg.dataset.name, results_dir=cfg.results_dir)
INPUT_CACHE = cfg.cache_for("network-inputs")
print(f"{len(tracks)} readable audio clips; 30-s protocols: {', '.join(CLIP_PROTOCOLS)}; profile {cfg.profile.name}: "
      f"{SIZE}x{SIZE} images, at most {NET['epochs']} epochs, grid {NET['grid']!r}")

# %% [markdown]
# ## 1. Inputs
#
# This repository's PNGs of the audio clips (rendered by notebook 02, or now if missing: the
# cache is shared), and the Kaggle images when the dataset has them. Both become
# `(n, SIZE, SIZE, 1)` arrays in [0, 1], cached on disk under a key of the files and settings.

# %%
own_index = spectrograms.render_pngs(tracks, cfg.cache_for("spectrograms"), jobs=cfg.jobs).index
own = data.attach_fixed_split(own_index[["track_id", "genre"]], tracks)
X_own = network_inputs.image_arrays(own_index["path"], SIZE, cache_dir=INPUT_CACHE)
OWN_INPUT = f"own mel PNGs {SIZE}x{SIZE}"
if layout.images_dir is not None:
    kaggle = data.limit_per_genre(spectrograms.kaggle_image_table(layout.images_dir), cfg.profile.max_clips_per_genre)
    kaggle = kaggle.assign(fixed_split=cfg.dataset.fixed_split(kaggle))
    X_kaggle = network_inputs.image_arrays(kaggle["path"], SIZE, NET["image_color"], crop_border=True, cache_dir=INPUT_CACHE)
    IMAGES, X_IMAGES, IMAGE_INPUT = kaggle, X_kaggle, f"Kaggle images {SIZE}x{SIZE} {NET['image_color']}"
else:  # no Kaggle images (the synthetic dataset): sections 2-4 run on this repository's PNGs
    IMAGES, X_IMAGES, IMAGE_INPUT = own, X_own, OWN_INPUT
print(f"{LABEL}: {IMAGE_INPUT}: {X_IMAGES.shape}; {OWN_INPUT}: {X_own.shape}")
IMAGES.groupby("genre").size().rename("images").to_frame().T

# %% [markdown]
# What the networks see, one image per genre, and what training-time augmentation does to one
# of them (shifts in time and a slight zoom; no flips, which would reverse time or swap bass
# and treble):

# %%
first = IMAGES.groupby("genre").head(1).index
fig = plots.array_grid(X_IMAGES[first], IMAGES.loc[first, "track_id"], f"{LABEL}: {IMAGE_INPUT}, one per genre")
plots.save(fig, cfg.figures_dir, "04_inputs_per_genre")
augmenter = augment.spectrogram_augmenter(**augment.AUGMENT, seed=cfg.seed)
variants = np.asarray(augmenter(np.repeat(X_IMAGES[first[:1]], 4, axis=0), training=True))
fig = plots.array_grid(np.concatenate([X_IMAGES[first[:1]], variants]), ["original"] + [f"augmented {i + 1}" for i in range(4)],
                       f"{LABEL}: training-time augmentation of {IMAGES.loc[first[0], 'track_id']} "
                       f"({plots.format_params(augment.AUGMENT)})")
plots.save(fig, cfg.figures_dir, "04_augmentation")

# %% [markdown]
# ## 2. The base CNN
#
# The main seed report's network on the images, under its random split (70 % train, 10 %
# validation for early stopping, 20 % test; per track), under the same split with its training
# set shrunk to the fault-filtered training size (`@n`: the equal-size control), and under the
# fault-filtered split (train / validation / test lists with no artist on two sides). Look at
# the `status` column before the numbers: a run that did not learn is marked as failed.

# %%
EQUAL = networks.fixed_train_size(IMAGES, FIXED) if FIXED else None
if EQUAL is not None and EQUAL >= (networks.network_split(IMAGES, "random-70/10/20", seed=cfg.seed) == "train").sum():
    EQUAL = None  # the fixed split trains on no fewer clips than the random one: nothing to control for
baselines = networks.majority_baselines(IMAGES, CLIP_PROTOCOLS, experiment=EXPERIMENT, dataset=cfg.dataset.name,
                                        representation=IMAGE_INPUT, seed=cfg.seed, resamples=cfg.profile.ci_resamples,
                                        results_dir=cfg.results_dir)
base = networks.run_network_protocols("base-cnn", X_IMAGES, IMAGES, CLIP_PROTOCOLS, representation=IMAGE_INPUT,
                                      params=cfg.profile.model_params.get("base-cnn"), **RUN, **FIT)
if EQUAL:
    base.update(networks.run_network_protocols("base-cnn", X_IMAGES, IMAGES, ["random-70/10/20"], representation=IMAGE_INPUT,
                                               params=cfg.profile.model_params.get("base-cnn"), train_size=EQUAL, **RUN, **FIT))
evaluate.accuracy_table([*baselines.values(), *(record for record, _, _ in base.values())])

# %% [markdown]
# Accuracy and loss per epoch; the dot marks the epoch whose weights were kept (lowest
# validation loss). A validation curve that stays flat from the first epoch is a run that did
# not learn.

# %%
fig = plots.training_curves({protocol: fit.history for protocol, (_, _, fit) in base.items()},
                            f"{LABEL}, {IMAGE_INPUT}: base CNN per epoch")
plots.save(fig, cfg.figures_dir, "04_curves_base_cnn")

# %% [markdown]
# ## 3. Grid search with keras-tuner, per protocol
#
# `keras_tuner.GridSearch` tries every combination of the profile's grid (`helpers.models.zoo.GRIDS`)
# and scores each by its best validation accuracy. It runs once per protocol, on that
# protocol's own training and validation clips, so the setting evaluated under a protocol was
# never chosen on any of its test clips. Tuner state lives under the run's output folder
# (`tuner/`, not committed); `OVERWRITE_TUNER = False` reloads a finished search.

# %%
grid = zoo.grid(NET["grid"])
print(f"grid {NET['grid']!r}: " + "; ".join(f"{key} in {values}" for key, values in grid.items())
      + f" ({int(np.prod([len(v) for v in grid.values()]))} trials per protocol, at most {NET['tuner_epochs']} epochs each)")
searches = tuning.grid_search_per_protocol(
    "base-cnn", grid, X_IMAGES, IMAGES, CLIP_PROTOCOLS, directory=cfg.tuner_dir,
    project_prefix=f"{cfg.dataset.name}-base-cnn-{NET['grid']}-{SIZE}px", overwrite=OVERWRITE_TUNER,
    epochs=NET["tuner_epochs"], batch_size=NET["batch_size"], patience=NET["patience"], augment=augment.AUGMENT,
    seed=cfg.seed, params=cfg.profile.model_params.get("base-cnn"))
for protocol, (trials, _) in searches.items():
    trials.to_csv(cfg.results_dir / EXPERIMENT / f"{cfg.dataset.name}__base-cnn__grid-{NET['grid']}__{protocol.replace('/', '-')}"
                  "__trials.csv", index=False)
    fig = plots.trial_scores(trials, f"{LABEL}, {IMAGE_INPUT}, {protocol}: validation accuracy per grid trial "
                                     f"({len(trials)} trials)")
    plots.save(fig, cfg.figures_dir, f"04_grid_trials_{protocol.replace('/', '-')}")
display(Markdown(readings.grid_reading(searches, zoo.spectrogram_defaults("base-cnn"))))

# %% [markdown]
# Each protocol's best setting, retrained from scratch under that protocol and set beside the
# base CNN, as in the seed's results table:

# %%
tuned = {}
for protocol, (_, best) in searches.items():
    tuned.update(networks.run_network_protocols("base-cnn", X_IMAGES, IMAGES, [protocol], representation=IMAGE_INPUT,
                                                label="tuned-cnn", params={**cfg.profile.model_params.get("base-cnn", {}), **best},
                                                **RUN, **FIT))
evaluate.accuracy_table([run[0] for run in [*base.values(), *tuned.values()]])

# %%
fig = plots.training_curves({protocol: fit.history for protocol, (_, _, fit) in tuned.items()},
                            f"{LABEL}, {IMAGE_INPUT}: tuned CNN per epoch (each protocol's own best setting)")
plots.save(fig, cfg.figures_dir, "04_curves_tuned_cnn")

# %% [markdown]
# ## 4. CRNN and the small 3-s CNN
#
# The CRNN replaces the dense head with an LSTM over the time axis of the last feature map.
# The small CNN of the 3-s-segment report sees 64-band log-mel arrays of 3-s segments (in memory,
# not images) with its own 50/20/30 split and under the fixed split; segments inherit their
# clip's split, and a clip's prediction averages its segments' probabilities.

# %%
crnn = networks.run_network_protocols("crnn", X_IMAGES, IMAGES, CLIP_PROTOCOLS, representation=IMAGE_INPUT,
                                      params=cfg.profile.model_params.get("crnn"), **RUN, **FIT)
segmented = network_inputs.log_mel_segments(
    tracks, prepare.SEGMENT_SECONDS, prepare.SEGMENT_MEL, per_clip=NET["segments_per_clip"], cache_dir=INPUT_CACHE, jobs=cfg.jobs)
X_segments, segments = segmented.X, data.attach_fixed_split(segmented.table, tracks)
SEGMENT_INPUT = f"log-mel 3 s x 64 bands ({NET['segments_per_clip'] or 'all'} per clip)"
SEGMENT_PROTOCOLS = ["random-50/20/30"] + ([FIXED] if FIXED else [])
evaluate.accuracy_table([run[0] for run in crnn.values()])

# %% [markdown]
# ## 5. Networks on the audio: every clip, and the balanced genres
#
# The small CNN on 3-s segments and the base CNN on this repository's PNGs learn from the audio
# clips present. When those are imbalanced (notebook 00), accuracy rewards the large genres, so
# both networks also run on the balanced subset of the genres with the most clips, under its
# own dataset label. The sentence below the table says which genres each protocol leaves
# without training or test clips.

# %%
audio_sets = {cfg.dataset.name: (LABEL, own, segments)}
subset = data.balanced_subset(tracks, cfg.dataset.name, LABEL)
if subset is not None:
    subset_tracks, subset_name, subset_label = subset
    keep = set(subset_tracks["track_id"])
    audio_sets[subset_name] = (subset_label, own[own["track_id"].isin(keep)], segments[segments["track_id"].isin(keep)])
audio_runs = {}
for name, (_, own_rows, segment_rows) in audio_sets.items():
    run = {**RUN, "dataset": name}
    for model, X, rows, protocols, representation, extra in [
        ("small-cnn", X_segments, segment_rows, SEGMENT_PROTOCOLS, SEGMENT_INPUT, {"patience": NET["small_patience"]}),
        ("base-cnn (own PNGs)", X_own, own_rows, CLIP_PROTOCOLS, OWN_INPUT, {}),
    ]:
        index = rows.index.to_numpy()
        table = rows.reset_index(drop=True)
        audio_runs.update({(name, "baseline", p): (r, None, None) for p, r in networks.majority_baselines(
            table, protocols, experiment=EXPERIMENT, dataset=name, representation=representation, seed=cfg.seed,
            resamples=cfg.profile.ci_resamples, results_dir=cfg.results_dir).items()})
        found = networks.run_network_protocols(
            "small-cnn" if model == "small-cnn" else "base-cnn", X[index], table, protocols, representation=representation,
            label=model, params=cfg.profile.model_params.get("small-cnn" if model == "small-cnn" else "base-cnn"),
            **run, **{**FIT, **extra})
        audio_runs.update({(name, model, p): r for p, r in found.items()})
audio_records = [record for record, _, _ in audio_runs.values()]
display(Markdown(report.coverage(audio_records, "the audio")))
evaluate.accuracy_table(audio_records)

# %% [markdown]
# ## 6. All networks, every protocol
#
# Accuracy, balanced accuracy and macro-F1 with 95 % bootstrap intervals over test clips, from
# the results records this notebook wrote (`results/cnn_gridsearch/`). The balanced-accuracy
# figure marks failed runs and names each bar's dataset when they differ.

# %%
records = [*baselines.values(), *[run[0] for run in [*base.values(), *tuned.values(), *crnn.values()]], *audio_records]
print(f"{LABEL}: inputs {IMAGE_INPUT} (CNNs, CRNN), {SEGMENT_INPUT} (small CNN), {OWN_INPUT}")
display(evaluate.summary_table(records))
fig = plots.accuracy_by_protocol(records, f"{LABEL}: spectrogram networks by protocol", metric="balanced_accuracy")
plots.save(fig, cfg.figures_dir, "04_balanced_accuracy_by_protocol")

# %% [markdown]
# ### Against the seed reports
#
# The accuracies the seed reports state (`helpers.results.seed_reports`: their own random splits,
# 128 x 128 images, 50 epochs) beside this run's, on the seed's protocol and on the fixed
# split. Different test sets, image sizes and epochs: read the columns as orders of magnitude,
# and our interval as the uncertainty of ours alone.

# %%
display(Markdown(report.readme_table(records)))

# %% [markdown]
# ### Which genres are confused
#
# The tuned CNN under each protocol: confusion matrix, per-genre precision and recall (worst
# recall first) and its most frequent mistakes.

# %%
for protocol, (record, _, _) in tuned.items():
    fig = plots.confusion(record, f"{LABEL}, {IMAGE_INPUT}, {protocol}: tuned CNN "
                                  f"(accuracy {record['metrics']['accuracy']['value']:.3f}, n={record['sizes']['test']})")
    plots.save(fig, cfg.figures_dir, f"04_confusion_tuned_cnn_{protocol.replace('/', '-')}")
    display(evaluate.per_genre_table(record).round(2).T)
    mistakes = evaluate.top_confusions(record, 3)
    print(f"{protocol}: most frequent mistakes: " + "; ".join(
        f"{m.true} as {m.predicted} ({m.count} of the {m.true} clips, {m.share:.0%})" for m in mistakes.itertuples()))

# %% [markdown]
# ## 7. Saved models for new music
#
# The networks trained on inputs computed from audio (this repository's PNGs, the 3-s log-mel
# arrays) are saved in Keras' native format with a JSON sidecar: genre order, the preprocessing
# parameters, dataset, split, metrics and library versions. `helpers.predict` rebuilds the
# preprocessing from the sidecar; the check below confirms that a reloaded model gives the same
# probabilities, and that the input rebuilt from an audio file equals the training input.
# (The Kaggle-image models classify Kaggle-style images, not audio: the Kaggle rendering recipe
# is not published.)

# %%
clip_seconds = float(tracks["duration"].median().round())
name = cfg.dataset.name
saved_models = {
    "base-cnn-own-png": (audio_runs[name, "base-cnn (own PNGs)", "random-70/10/20"], X_own,
                         predict.preprocessing("mel-image", image_size=SIZE, window_seconds=clip_seconds)),
    "small-cnn-log-mel-3s": (audio_runs[name, "small-cnn", "random-50/20/30"], X_segments,
                             predict.preprocessing("log-mel", mel=prepare.SEGMENT_MEL, window_seconds=prepare.SEGMENT_SECONDS)),
}
for model_name, ((record, _, fit), X, prep) in saved_models.items():
    path = artifacts.save_artifact(fit.model, cfg.models_dir, name=model_name, genres=record["confusion"]["labels"],
                                   preprocessing=prep, dataset=cfg.dataset.name, protocol=record["protocol"],
                                   metrics=record["metrics"])
    model, sidecar = artifacts.load_artifact(path)
    same = np.allclose(model.predict(X[:8], verbose=0), fit.model.predict(X[:8], verbose=0), atol=1e-6)
    print(f"{config.display_path(path)}: reloaded model predicts the same probabilities: {same}")
    assert same

# %%
model, sidecar = artifacts.load_artifact(cfg.models_dir / "base-cnn-own-png.keras")
example = tracks.set_index("track_id").loc[own["track_id"].iloc[0]]
rebuilt = predict.prepare_file(example["path"], sidecar["preprocessing"])
print(f"input rebuilt from {example.name} equals its training image: {np.allclose(rebuilt[0], X_own[0], atol=1e-6)}")
assert np.allclose(rebuilt[0], X_own[0], atol=1e-6)
test_clips = audio_runs[name, "base-cnn (own PNGs)", "random-70/10/20"][1].head(5)
paths = tracks.set_index("track_id").loc[test_clips["track_id"], "path"]
predict.classify(paths, model, sidecar).assign(file=test_clips["track_id"].to_numpy(), true=test_clips["genre"].to_numpy())

# %% [markdown]
# From a shell, on any audio files or folders (MP3, FLAC, WAV, OGG, ...):
#
# ```bash
# python -m helpers.predict runs/<profile>-<dataset>/models/small-cnn-log-mel-3s.keras my_song.mp3 my_music/
# ```
#
# (`<profile>-<dataset>` is the run folder this notebook printed in its first cell.)

# %% [markdown]
# ## What we learned
#
# Written from the results records of this run (`helpers.results.report`): a smoke or synthetic run
# states its own numbers, and failed runs are named as such, never quoted as results.

# %%
display(Markdown("\n\n".join([
    report.protocol_reading([*baselines.values(), *[run[0] for run in [*base.values(), *tuned.values(), *crnn.values()]]],
                            f"{LABEL}, {IMAGE_INPUT}"),
    readings.grid_reading(searches, zoo.spectrogram_defaults("base-cnn")),
    report.protocol_reading(audio_records, f"{LABEL}, networks on the audio"),
    readings.profile_note(cfg.profile.name, cfg.results_dir, EXPERIMENT),
])))
