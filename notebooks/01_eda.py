# %% [markdown]
# # 01 · Exploratory analysis: brightness and tempo by genre
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mgc-reports/music-genre-classification/blob/main/notebooks/01_eda.ipynb)
#
# The main seed report's figures 2 and 3: box plots of the **spectral-centroid mean** (how
# bright a clip sounds) and of the **tempo** per genre, then one waveform and mel-spectrogram
# example per genre.
#
# When the dataset ships the Kaggle `features_30_sec.csv`, the box plots use all of its rows;
# the same two descriptors are also computed by this repository from the audio that is present.

# %% [markdown]
# ## What you will learn
#
# * **Two descriptors of a clip**: the spectral centroid (the centre of mass of the spectrum:
#   how bright a clip sounds) and the tempo (beats per minute), and how they spread within and
#   between genres in box plots.
# * **How much a descriptor says about the genre**: η², the share of its variance that genre
#   explains, with a 95 % bootstrap interval over clips.
# * **Computed versus published values**: the same descriptors from the audio here and from the
#   Kaggle CSV, and what makes them differ (lossy coding, library versions).
# * **Reading a log-mel spectrogram** of each genre beside its waveform: what the mel bands and
#   the decibel scale show, and where the beat and held notes appear.

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

# %%
from IPython.display import Markdown, display

from helpers import config, data, plots
from helpers.inputs import features
from helpers.results import report
from helpers.studies import eda as study
from helpers.studies import prepare

cfg = config.setup(PROFILE, DATASET)
LABEL = cfg.dataset.label
layout = data.discover(cfg.dataset.root)
tracks = prepare.clips_of_run(cfg)
print(f"{len(tracks)} readable audio clips used here")

# %% [markdown]
# ## Every per-clip representation, one decode per clip
#
# This is the first notebook that reads audio, so it computes, in one pass, everything the
# notebooks compute per clip: the 57 handcrafted features of the Kaggle table (spectral and
# rhythm descriptors, MFCCs; here and in 03), the frame-by-frame sequences of 03's recurrent
# network (an LSTM), the mel PNGs (02, 04) and the 3-s log-mel segments (04). Each clip is decoded once;
# the results are cached by the content of the file, the parameters and the library versions,
# so later notebooks and later runs decode nothing (`helpers.studies.prepare`).

# %%
prepared = prepare.prepare(cfg, tracks)
print(f"{', '.join(prepare.clip_representations(cfg))} of {LABEL}\n{prepare.summary(prepared)}")

# %% [markdown]
# ## From the features CSV
#
# All rows of the Kaggle features table, when the dataset has one (`helpers.studies.eda.box_plots`).
# Compare how far apart the genres' boxes sit with how tall each box is: a descriptor separates
# genres when the gaps between boxes are large beside their heights.

# %%
csv_eda = study.csv_descriptors(data.features_table(layout))
if csv_eda is None:
    print("No features_30_sec.csv in this dataset: the box plots below are computed from the audio only.")
else:
    study.box_plots(csv_eda, f"{LABEL}, features_30_sec.csv ({len(csv_eda)} clips)", "csv", cfg.figures_dir)

# %% [markdown]
# ## From the audio, computed here
#
# The same descriptors computed with librosa from the clips present (`helpers.studies.eda.audio_descriptors`,
# which calls `helpers.inputs.features.eda_table`); silent clips give NaN, unreadable ones are listed and skipped.

# %%
audio_eda = study.audio_descriptors(tracks, jobs=cfg.jobs)
study.box_plots(audio_eda, f"{LABEL}, computed from {len(audio_eda)} audio clips", "audio", cfg.figures_dir)

# %% [markdown]
# How much does each descriptor tell about the genre? Below: the genre medians (sorted by the
# first column), then η², the share of the descriptor's variance explained by genre (0: none,
# 1: genre determines it), with a 95 % bootstrap interval over clips. Compare the two
# descriptors' intervals: if they do not overlap, genre separates one more than the other.
# Tempo estimates also suffer from octave errors (half or double the felt tempo), which
# widens its boxes, and they fall on a grid of values (librosa's estimate is one of a set of
# beat periods in whole frames), so several genres can share the very same median tempo.

# %%
tables = study.descriptor_tables(audio_eda, csv_eda)
medians = study.genre_medians(tables)
display(medians.round(1).sort_values(medians.columns[0]))
effects = report.effect_sizes(tables, features.EDA_COLUMNS, resamples=cfg.profile.ci_resamples, seed=cfg.seed)
effects.round(3)

# %% [markdown]
# The two column groups cover different clips: the CSV has all clips of every genre, the
# audio here may hold fewer for some genres (notebook 00 lists them), so their medians can
# differ. On the clips both have, the same descriptor should agree; differences come from
# lossy coding (the tables below give the measured difference per format) and from library
# versions. Lossless clips (flac) show the agreement the code itself reaches;
# the full feature-parity study belongs to the features notebook. One table per audio format
# (`helpers.studies.eda.show_format_agreement`); none without the features CSV.

# %%
study.show_format_agreement(audio_eda, csv_eda, tracks, LABEL, show=display)

# %% [markdown]
# ## One example per genre
#
# The first readable clip of each genre: waveform on the left, log-mel spectrogram (128 bands,
# up to 8 kHz, dB relative to the clip's loudest bin) on the right (`helpers.studies.eda.genre_examples`).
#
# How to read the right column (notebook 00 says more): the mel scale spaces its bands as we hear
# pitch, nearly evenly below about 1 kHz and logarithmically above, so low bands are narrow and
# high bands wide. The decibel scale compresses power as hearing compresses loudness, so quiet
# detail stays visible beside loud hits. Thin vertical stripes are drum hits (one instant, all
# frequencies), horizontal lines are held notes and their harmonics, and energy high up is
# cymbals, noise or distortion: what a high spectral centroid in the box plots above means.

# %%
examples, sr = study.genre_examples(tracks, cfg.profile.examples_per_genre)
fig = plots.genre_examples(examples, sr, f"{LABEL}: one clip per genre")
plots.save(fig, cfg.figures_dir, "01_examples_per_genre")

# %% [markdown]
# ## What we learned
#
# Written from the effect sizes and medians above (`helpers.results.report.eda_reading`).

# %%
display(Markdown(report.eda_reading(effects, medians, LABEL)))

# %% [markdown]
# ## Try it yourself
#
# 1. **Another descriptor.** The 57 features of notebook 03 are computed per clip (and cached):
#    `table = features.extract(tracks, jobs=cfg.jobs).table`. Draw the zero-crossing rate per genre
#    with `plots.box_by_genre(table, "zero_crossing_rate_mean", f"{LABEL}: zero-crossing rate", "crossings per sample")`
#    and compute its η² with
#    `report.effect_sizes({"audio": table}, ["zero_crossing_rate_mean"], resamples=cfg.profile.ci_resamples, seed=cfg.seed)`.
#
#    <details><summary>Hint</summary>
#
#    The zero-crossing rate rises with noisy and bright sounds (cymbals, distorted guitars), so its
#    genre order should resemble the centroid's. Compare the two η² intervals: if they overlap,
#    this data cannot tell which descriptor separates the genres better.
#
#    </details>
#
# 2. **More than one example per genre.** Run the "One example per genre" cell with
#    `study.genre_examples(tracks, 3)` instead of `cfg.profile.examples_per_genre` (the paper
#    profile shows two per genre).
#
#    <details><summary>Hint</summary>
#
#    Look at how much two clips of one genre differ. If they differ as much as clips of two
#    genres do, a single example per genre says little, and the box plots (every clip) are the
#    better guide.
#
#    </details>
#
# 3. **Find tempo octave errors.** List the clips whose tempo is furthest from their genre's median:
#    `audio_eda.assign(ratio=audio_eda["tempo"] / audio_eda.groupby("genre")["tempo"].transform("median")).sort_values("ratio")`.
#    Listen to one of them with
#    `plots.excerpts(plots.listen.track_rows(tracks, ["TRACK_ID"]), lambda row: f"{row['track_id']} ({row['genre']})")`.
#
#    <details><summary>Hint</summary>
#
#    The list is sorted by ratio, so halved tempi come first and doubled ones last. A ratio near
#    0.5 or 2 is a likely octave error: the estimator locked on half or double the beat you tap
#    along to. Tap along while it plays and compare with the `tempo` column.
#
#    </details>
