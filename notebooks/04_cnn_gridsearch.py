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
# 4. **A CRNN** (convolution blocks, then an LSTM over time: a long short-term memory, a recurrent
#    layer that reads the sequence of frames one step at a time and carries a memory of the earlier
#    ones) and **the small CNN** of the 3-s-segment report (64 mel bands; clip accuracy by averaging
#    segment probabilities). The networks on audio also run on the balanced genres alone, under
#    their own dataset label.
# 5. **Saved models** that classify new audio files (`python -m helpers.predict`).
#
# Image size, epochs and the grid depend on the profile (`helpers/config.py`, `NETWORKS`): the
# seed used 128 x 128 images and 50 epochs (`paper`); the committed run (`report`) uses 64 x 64
# images and a reduced grid to fit a CPU budget. What each cell runs is in
# `helpers/studies/cnn_gridsearch.py` (imported as `study`); the networks, splits and tuner
# themselves are in `helpers/models/`.
#
# ## What you will learn
#
# * **Convolution on a spectrogram.** A spectrogram is an image whose axes are time and
#   frequency. A convolution layer slides small filters (3 x 3 cells here) over it, so a
#   pattern (a drum onset, a stack of harmonics) is detected wherever it occurs in time; pooling
#   then keeps the strongest response of each neighbourhood, trading exact position for
#   robustness. Stacked blocks see ever larger stretches of time and frequency.
# * **A grid search chooses on validation clips only**: every setting of the grid is trained and
#   scored on the protocol's validation clips; the winner is retrained and scored once on test
#   clips it never saw, so its test score stays an honest estimate.
# * **Why the split matters**: the same network under the seed's random split and under the
#   fault-filtered (artist-conditional) split, with a majority baseline for each.

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
from helpers.results import evaluate, report
from helpers.studies import cnn_gridsearch as study

cfg = config.setup(PROFILE, DATASET)
LABEL, NET, FIXED = cfg.dataset.label, cfg.profile.networks, cfg.dataset.fixed_split_name
layout = data.discover(cfg.dataset.root)
tracks = data.limit_per_genre(data.readable(data.load_tracks(layout)), cfg.profile.max_clips_per_genre)
# Each report's random split, then the dataset's own split (GTZAN: fault-filtered; FMA-small: official) when it has one.
CLIP_PROTOCOLS, SEGMENT_PROTOCOLS = study.protocols(FIXED)
FIT = study.fit_settings(NET, cfg.profile.ci_resamples, cfg.seed)
RUN = dict(experiment=study.EXPERIMENT, dataset=cfg.dataset.name, results_dir=cfg.results_dir, profile=cfg.profile.name)
INPUT_CACHE = cfg.cache_for("network-inputs")
print(f"{len(tracks)} readable audio clips; 30-s protocols: {', '.join(CLIP_PROTOCOLS)}; profile {cfg.profile.name}: "
      f"{NET['image_size']}x{NET['image_size']} images, at most {NET['epochs']} epochs, grid {NET['grid']!r}")

# %% [markdown]
# ## 1. Inputs
#
# This repository's PNGs of the audio clips (`study.own_images`: rendered by notebook 02, or now if
# missing: the cache is shared), and the Kaggle images when the dataset has them
# (`study.kaggle_images`). Both become `(n, size, size, 1)` arrays in [0, 1] (`size`: the profile's
# `image_size`), cached on disk under a key of the files and settings.
#
# On GTZAN the two counts printed below differ: the audio here is a partial copy of GTZAN, with
# some genres holding fewer clips than others (notebook 00 counts them), while the Kaggle image
# set covers nearly every clip (it lacks the damaged jazz clip). Sections 2-4 train on the Kaggle
# images when there are some; the networks on the audio (section 5) see only the clips present.

# %%
own = study.own_images(tracks, NET["image_size"], cfg.cache_for("spectrograms"), INPUT_CACHE, cfg.jobs)
kaggle = study.kaggle_images(layout.images_dir, NET["image_size"], NET["image_color"], cfg.profile.max_clips_per_genre,
                             cfg.dataset.fixed_split, INPUT_CACHE)
IMAGES = own if kaggle is None else kaggle  # no Kaggle images (the synthetic dataset): sections 2-4 run on our PNGs
print(f"{LABEL}: {IMAGES.name}: {IMAGES.X.shape}; {own.name}: {own.X.shape}")
print("images per genre: " + ", ".join(f"{genre} {n}" for genre, n in IMAGES.table.groupby("genre").size().items()))

# %% [markdown]
# What the networks see, one image per genre, and what training-time augmentation does to one
# of them (shifts in time and a slight zoom; no flips, which would reverse time or swap bass
# and treble):

# %%
study.input_figures(IMAGES, LABEL, cfg.seed, cfg.figures_dir)

# %% [markdown]
# ## 2. The base CNN
#
# The main seed report's network on the images, under its random split (70 % train, 10 %
# validation for early stopping, 20 % test; per track), under the same split with its training
# set shrunk to the fault-filtered training size (`@n`: the equal-size control, run only when the
# fixed split trains on fewer clips), and under the fault-filtered split (train / validation /
# test lists with no artist on two sides). Look at the `status` column before the numbers: a run
# that did not learn is marked as failed.
#
# Each training prints a progress line that shows the *last* epoch trained, while the record and
# the table keep the epoch restored by early stopping (the one with the lowest validation loss).
# So a run whose progress line shows a decent accuracy can still be reported as "did not learn":
# the verdict is made on the restored epoch.

# %%
EQUAL = study.equal_train_size(IMAGES.table, FIXED, cfg.seed)
baselines = study.baselines(IMAGES, CLIP_PROTOCOLS, seed=cfg.seed, resamples=cfg.profile.ci_resamples, **RUN)
base = study.network_runs("base-cnn", IMAGES, CLIP_PROTOCOLS, params=cfg.profile.model_params.get("base-cnn"), equal_size=EQUAL,
                          **RUN, **FIT)
evaluate.accuracy_table([*baselines.values(), *study.records(base)])

# %% [markdown]
# Accuracy and loss per epoch; the dot marks the epoch whose weights were kept (lowest
# validation loss). A validation curve that stays flat from the first epoch is a run that did
# not learn.

# %%
fig = plots.training_curves(study.histories(base), f"{LABEL}, {IMAGES.name}: base CNN per epoch")
plots.save(fig, cfg.figures_dir, "04_curves_base_cnn")

# %% [markdown]
# ## 3. Grid search with keras-tuner, per protocol
#
# `keras_tuner.GridSearch` tries every combination of the profile's grid (`helpers.models.zoo.GRIDS`)
# and scores each by its best validation accuracy. It runs once per protocol, on that
# protocol's own training and validation clips, so the setting evaluated under a protocol was
# never chosen on any of its test clips. Tuner state lives under the run's output folder
# (`tuner/`, not committed); `OVERWRITE_TUNER = False` reloads a finished search. Each
# protocol's trials are saved beside the records (`results/cnn_gridsearch/*__trials.csv`).
#
# The validation accuracy a trial reports is its best epoch within the short budget of epochs
# per trial (printed below), and the winner is the best of many trials: an optimistic number. The
# table after the search shows the chosen setting retrained in a longer run, with the validation
# accuracy of the epoch restored by early stopping, so the two validation numbers differ; only
# that table's test column scores the setting on clips that played no part in choosing it.

# %%
print(study.grid_summary(NET["grid"], NET["tuner_epochs"]))
searches = study.grid_searches(NET["grid"], IMAGES, CLIP_PROTOCOLS, net=NET, dataset=cfg.dataset.name, directory=cfg.tuner_dir,
                               overwrite=OVERWRITE_TUNER, seed=cfg.seed, params=cfg.profile.model_params.get("base-cnn"))
study.save_searches(searches, dataset=cfg.dataset.name, grid_name=NET["grid"], results_dir=cfg.results_dir,
                    title=f"{LABEL}, {IMAGES.name}", figures_dir=cfg.figures_dir)
display(Markdown(study.grid_reading(searches)))

# %% [markdown]
# Each protocol's best setting, retrained from scratch under that protocol and set beside the
# base CNN, as in the seed's results table:

# %%
tuned = study.tuned_runs(searches, IMAGES, params=cfg.profile.model_params.get("base-cnn"), **RUN, **FIT)
evaluate.accuracy_table(study.records(base, tuned))

# %%
fig = plots.training_curves(study.histories(tuned),
                            f"{LABEL}, {IMAGES.name}: tuned CNN per epoch (each protocol's own best setting)")
plots.save(fig, cfg.figures_dir, "04_curves_tuned_cnn")

# %% [markdown]
# ## 4. CRNN and the small 3-s CNN
#
# The CRNN replaces the dense head with an LSTM over the time axis of the last feature map.
# The small CNN of the 3-s-segment report sees 64-band log-mel arrays of 3-s segments (in memory,
# not images; `study.segment_inputs`) with its own 50/20/30 split and under the fixed split;
# segments inherit their clip's split, and a clip's prediction averages its segments'
# probabilities. It trains in section 5, with the other network on the audio.

# %%
crnn = study.network_runs("crnn", IMAGES, CLIP_PROTOCOLS, params=cfg.profile.model_params.get("crnn"), **RUN, **FIT)
segments = study.segment_inputs(tracks, NET["segments_per_clip"], INPUT_CACHE, cfg.jobs)
evaluate.accuracy_table(study.records(crnn))

# %% [markdown]
# ## 5. Networks on the audio: every clip, and the balanced genres
#
# The small CNN on 3-s segments and the base CNN on this repository's PNGs learn from the audio
# clips present. When those are imbalanced (notebook 00), accuracy rewards the large genres, so
# both networks also run on the balanced subset of the genres with the most clips, under its
# own dataset label (`study.audio_sets`). `study.audio_runs` trains each network with its
# majority baseline under each of its protocols. The sentence above the table says which genres
# each protocol leaves without training or test clips.

# %%
AUDIO = study.audio_networks(segments, SEGMENT_PROTOCOLS, own, CLIP_PROTOCOLS, NET["small_patience"])
audio_runs = study.audio_runs(AUDIO, study.audio_sets(tracks, cfg.dataset.name, LABEL), experiment=study.EXPERIMENT,
                              results_dir=cfg.results_dir, profile=cfg.profile.name, model_params=cfg.profile.model_params, fit=FIT)
audio_records = study.records(audio_runs)
display(Markdown(report.coverage(audio_records, "the audio")))
evaluate.accuracy_table(audio_records)

# %% [markdown]
# ## 6. All networks, every protocol
#
# Accuracy, balanced accuracy and macro-F1 with 95 % bootstrap intervals over test clips, from
# the results records this notebook wrote (`results/cnn_gridsearch/`). The balanced-accuracy
# figure marks failed runs and names each bar's dataset when they differ.

# %%
records = [*baselines.values(), *study.records(base, tuned, crnn), *audio_records]
print(f"{LABEL}: inputs {IMAGES.name} (CNNs, CRNN), {segments.name} (small CNN), {own.name}")
display(evaluate.summary_table(records))
fig = plots.accuracy_by_protocol(records, f"{LABEL}: spectrogram networks by protocol", metric="balanced_accuracy")
plots.save(fig, cfg.figures_dir, "04_balanced_accuracy_by_protocol")

# %% [markdown]
# ### Against the seed reports
#
# The accuracies the seed reports state (`helpers.results.seed_reports`: their own random splits
# and settings, named row by row in the third column) beside this run's, on the seed's protocol
# and on the fixed split. Test sets, inputs and training budgets differ from row to row and from
# the seeds': read each row as a rough comparison, not a test, and our interval as the
# uncertainty of ours alone.

# %%
display(Markdown(report.readme_table(records)))

# %% [markdown]
# ### Which genres are confused
#
# The tuned CNN under each protocol: confusion matrix, per-genre precision and recall (genres as
# rows, worst recall first under the first protocol; one column group per protocol; `n/a` where a
# score is undefined) and its most frequent mistakes.

# %%
per_genre, mistakes = study.tuned_confusions(tuned, f"{LABEL}, {IMAGES.name}", cfg.figures_dir)
display(per_genre)
print(mistakes)

# %% [markdown]
# Listen to some of the tuned CNN's mistakes under the fixed split (the last protocol where the
# dataset has none; one clip per confusion, the most frequent first, among the test clips whose
# audio is here): can you hear why it hesitated?

# %%
plots.mistaken_excerpts(study.headline_record(tuned, cfg.dataset.fixed_split_name)["extra"]["test_clips"], tracks, n=3)

# %% [markdown]
# ## 7. Saved models for new music
#
# The networks trained on inputs computed from audio (this repository's PNGs, the 3-s log-mel
# arrays) are saved in Keras' native format with a JSON sidecar: genre order, the preprocessing
# parameters, dataset, split, metrics and library versions. `helpers.predict` rebuilds the
# preprocessing from the sidecar; the checks below confirm that a reloaded model gives the same
# probabilities, and that the input rebuilt from an audio file equals the training input.
# (The Kaggle-image models classify Kaggle-style images, not audio: the Kaggle rendering recipe
# is not published.)

# %%
saved = study.save_audio_models(audio_runs, AUDIO, cfg.dataset.name, study.audio_preprocessing(tracks, NET["image_size"]),
                                cfg.models_dir)

# %% [markdown]
# The saved base CNN on this repository's PNGs classifies a few of its test clips (the first of
# each genre, for the first five genres of its test set) from their audio files. Read each row's `true` genre (the clip's label) against
# `predicted` (the model's answer); `most probable` lists its three most probable genres with
# their probabilities (how sure it was). A handful of clips shows how to use the model, not how
# good it is: its test scores are in the tables above.

# %%
model, sidecar = saved["base-cnn-own-png"]
example = tracks.set_index("track_id").loc[own.table["track_id"].iloc[0]]
rebuilt = predict.prepare_file(example["path"], sidecar["preprocessing"])
same = np.allclose(rebuilt[0], own.X[0], atol=1e-6)
print(f"input rebuilt from {example.name} equals its training image: {same}")
assert same
clips = study.example_clips(audio_runs, tracks, cfg.dataset.name, "base-cnn-own-png")
predict.beside_truth(predict.classify(clips["path"], model, sidecar), clips["genre"])

# %% [markdown]
# From a shell, on any audio files or folders (MP3, FLAC, WAV, OGG, ...):
#
# ```bash
# python -m helpers.predict runs/<profile>-<dataset>/models/small-cnn-log-mel-3s.keras my_song.mp3 my_music/
# ```
#
# (Replace `runs/<profile>-<dataset>/models/` by the folder of the path the save cell above printed:
# the committed render saved its models under `models/`.)

# %% [markdown]
# ## What we learned
#
# Written from the results records of this run (`helpers.results.report`): a smoke or synthetic run
# states its own numbers, and failed runs are named as such, never quoted as results.

# %%
display(Markdown("\n\n".join([
    report.protocol_reading([*baselines.values(), *study.records(base, tuned, crnn)], f"{LABEL}, {IMAGES.name}"),
    study.grid_reading(searches),
    report.protocol_reading(audio_records, f"{LABEL}, networks on the audio"),
    report.profile_note(cfg.profile.name, cfg.results_dir, study.EXPERIMENT),
])))

# %% [markdown]
# ## Try it yourself
#
# 1. **A larger grid.** Add a value to one parameter of the grid your profile uses (the grid
#    line above names it) in `helpers/models/zoo.py` (`GRIDS`) and run `./run_all.sh --only 04`.
#
#    <details><summary>Hint</summary>
#
#    Try it with `--profile smoke` first (`./run_all.sh --only 04 --profile smoke`): it runs in
#    minutes, but it uses the `smoke` grid, so that is the grid to edit for that try; the `report`
#    profile uses the `report` grid. The number of trials is the product of the number of values
#    per parameter (the grid line above prints it); compare the chosen setting and its validation
#    accuracy with this render's.
#
#    </details>
#
# 2. **The seed's image size.** Run with `--profile paper` (128 x 128 images, 50 epochs; a GPU
#    helps).
#
#    <details><summary>Hint</summary>
#
#    Read the fault-filtered rows first: does a larger image change the gap to the random split?
#
#    </details>
#
# 3. **Your own song.** Classify a file with the small CNN saved above.
#
#    <details><summary>Hint</summary>
#
#    Solution: the `python -m helpers.predict` command in the previous section, with your file's path.
#
#    </details>
