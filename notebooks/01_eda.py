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
import pandas as pd
from IPython.display import Markdown, display

from helpers import config, data, plots
from helpers.data import audio
from helpers.inputs import features
from helpers.results import readings
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
# All rows of the Kaggle features table, when the dataset has one.

# %%
csv_table = data.features_table(layout)
if csv_table is None:
    print("No features_30_sec.csv in this dataset: the box plots below are computed from the audio only.")
else:
    csv_eda = csv_table[["track_id", "genre", *features.EDA_COLUMNS]]
    source = f"{LABEL}, features_30_sec.csv ({len(csv_eda)} clips)"
    fig = plots.box_by_genre(csv_eda, "spectral_centroid_mean", f"{source}: spectral centroid mean", "Hz")
    plots.save(fig, cfg.figures_dir, "01_centroid_by_genre_csv")
    fig = plots.box_by_genre(csv_eda, "tempo", f"{source}: tempo", "BPM")
    plots.save(fig, cfg.figures_dir, "01_tempo_by_genre_csv")

# %% [markdown]
# ## From the audio, computed here
#
# The same descriptors computed with librosa from the clips present (`helpers.inputs.features.eda_table`);
# silent clips give NaN, unreadable ones are listed and skipped.

# %%
computed = features.eda_table(tracks, jobs=cfg.jobs)
audio_eda = computed.table
print(f"computed for {len(audio_eda)} clips; skipped: {list(computed.skipped) or 'none'}; "
      f"too short: {list(computed.too_short) or 'none'}")
source = f"{LABEL}, computed from {len(audio_eda)} audio clips"
fig = plots.box_by_genre(audio_eda, "spectral_centroid_mean", f"{source}: spectral centroid mean", "Hz")
plots.save(fig, cfg.figures_dir, "01_centroid_by_genre_audio")
fig = plots.box_by_genre(audio_eda, "tempo", f"{source}: tempo", "BPM")
plots.save(fig, cfg.figures_dir, "01_tempo_by_genre_audio")

# %% [markdown]
# How much does each descriptor tell about the genre? Below: the genre medians (sorted by the
# first column), then η², the share of the descriptor's variance explained by genre (0: none,
# 1: genre determines it), with a 95 % bootstrap interval over clips. Compare the two
# descriptors' intervals: if they do not overlap, genre separates one more than the other.
# Tempo estimates also suffer from octave errors (half or double the felt tempo), which
# widens its boxes.

# %%
tables = {"audio (computed here)": audio_eda}
if csv_table is not None:
    tables = {"features CSV": csv_eda, **tables}
medians = pd.concat({name: t.groupby("genre")[list(features.EDA_COLUMNS)].median() for name, t in tables.items()}, axis=1)
display(medians.round(1).sort_values(medians.columns[0]))
effects = readings.effect_sizes(tables, features.EDA_COLUMNS, resamples=cfg.profile.ci_resamples, seed=cfg.seed)
effects.round(3)

# %% [markdown]
# The two column groups cover different clips: the CSV has all clips of every genre, the
# audio here may hold fewer for some genres (notebook 00 lists them), so their medians can
# differ. On the clips both have, the same descriptor should agree; differences come from
# lossy coding (the tables below give the measured difference per format) and from library
# versions. Lossless clips (flac) show the agreement the code itself reaches;
# the full feature-parity study belongs to the features notebook.

# %%
if csv_table is not None:
    with_format = audio_eda.merge(tracks[["track_id", "format"]], on="track_id")
    for audio_format, part in with_format.groupby("format"):
        print(f"{LABEL}, clips decoded from {audio_format}, ours vs features_30_sec.csv:")
        display(features.compare_with_reference(part, csv_eda, features.EDA_COLUMNS).round(4))

# %% [markdown]
# ## One example per genre
#
# The first readable clip of each genre: waveform on the left, log-mel spectrogram (128 bands,
# up to 8 kHz, dB relative to the clip's loudest bin) on the right.

# %%
examples = []
for _, group in tracks.groupby("genre"):
    for _, track in group.head(cfg.profile.examples_per_genre).iterrows():
        samples, sr = audio.load(track["path"])
        examples.append((track["track_id"], samples))
fig = plots.genre_examples(examples, sr, f"{LABEL}: one clip per genre")
plots.save(fig, cfg.figures_dir, "01_examples_per_genre")

# %% [markdown]
# ## What we learned
#
# Written from the effect sizes and medians above (`helpers.results.readings.eda_reading`).

# %%
display(Markdown(readings.eda_reading(effects, medians, LABEL)))
