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
# notebooks compute per clip: the 57 features (here and in 03), the frame sequences (03's
# LSTM), the mel PNGs (02, 04) and the 3-s log-mel segments (04). Each clip is decoded once;
# the results are cached by the content of the file, the parameters and the library versions,
# so later notebooks and later runs decode nothing (`helpers.studies.prepare`).

# %%
prepared = prepare.prepare(cfg, tracks)
print(f"{', '.join(prepare.clip_representations(cfg))} of {LABEL}\n{prepare.summary(prepared)}")

# %% [markdown]
# ## From the features CSV
#
# All rows of the Kaggle features table, when the dataset has one (`helpers.studies.eda.box_plots`).

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
# widens its boxes.

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
