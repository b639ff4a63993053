# %% [markdown]
# # 00 · Data: inventory, examples and splits
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mgc-reports/music-genre-classification/blob/main/notebooks/00_data.ipynb)
#
# Which dataset this run uses, what is in it (genres, formats, sample rates, durations),
# which files cannot be read, what one clip looks like, and how tracks are split.
#
# This course reproduces five student reports on genre classification, the *seed reports*
# (the README lists them, and `helpers/results/seed_reports.py` restates their numbers); their
# choices, such as a random 70/10/20 split, are followed first and then checked against an
# honest split.
#
# The dataset is chosen in this order: the `DATASET` parameter, `$MGC_DATASET`, `$GTZAN_DIR`,
# `data/gtzan`, then the embedded synthetic dataset (generated on first use). Any dataset of
# the registry in `helpers.data.registry` works (GTZAN, FMA-small, plain genre folders). Every
# figure names it.

# %% [markdown]
# ## What you will learn
#
# * **How a run finds its data**: the order in which the dataset is chosen, and what the
#   inventory says about it (genres, formats, sample rates, durations, unreadable files).
# * **Three pictures of one clip**: the waveform, the linear-frequency spectrogram and the
#   log-mel spectrogram that the CNN notebooks read, and why the mel scale and decibels are used.
# * **How the genres sound**: one short excerpt per genre, to set beside the pictures.
# * **Why splits are decided per track**, and why GTZAN needs an artist-conditional
#   (fault-filtered) split beside a random one.

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
from helpers.data import audio, registry, splits
from helpers.results import report

cfg = config.setup(PROFILE, DATASET)
LABEL = cfg.dataset.label

# %% [markdown]
# ## Inventory
#
# One row per genre, from the file headers. Unreadable files stay in the table (flagged) so
# that they can be listed; every later step skips them. Look at the `readable` column: the
# genres need not be balanced, and every later notebook has to take that into account.

# %%
layout = data.discover(cfg.dataset.root)
print(layout.describe())
tracks = data.load_tracks(layout)
inventory = data.inventory(tracks, cfg.dataset.genres)
inventory

# %%
print(data.completeness(tracks, cfg.dataset.name))
fig = plots.genre_counts(inventory, f"{LABEL}: clips per genre ({len(tracks)} audio files)")
plots.save(fig, cfg.figures_dir, "00_clips_per_genre")

# %% [markdown]
# ## Skipped files
#
# The Kaggle copy of GTZAN ships `jazz.00054.wav` without a valid header, FMA-small has three
# empty tracks, and a folder may hold one track twice (`.wav` and `.flac`): every such file is
# listed here and skipped everywhere else.

# %%
skipped = tracks.loc[~tracks["ok"], ["track_id", "error"]]
print(f"{len(skipped)} skipped file(s)" + ("" if len(skipped) else ": every file has a valid header and its own track id"))
skipped if len(skipped) else None

# %% [markdown]
# ## One clip up close
#
# The waveform, the linear-frequency STFT (short-time Fourier transform: the spectrum of each
# short window of the signal, one column per window) and the log-mel spectrogram that the CNN notebooks
# use (128 mel bands up to 8 kHz); the colour bars give the level in dB relative to the loudest bin.
#
# **Mel scale and decibels.** Above about 1 kHz we hear pitch roughly on a logarithmic scale:
# the step from 1 to 2 kHz sounds about as large as the step from 4 to 8 kHz. The mel scale
# follows this (nearly linear below 1 kHz, logarithmic above), so mel bands are narrow at low
# frequencies and wide at high ones, and bass lines and melodies get more rows of the image than
# the hiss above them. Loudness is heard roughly on a logarithmic scale too, so each bin's power
# is shown in decibels (10 log10 of its power relative to the loudest bin), which keeps quiet
# detail visible beside loud hits. This log-mel spectrogram is what the networks read.

# %%
usable = data.readable(tracks)
example = usable.iloc[0]
samples, sr = audio.load(example["path"])
print(f"{example['track_id']}: {len(samples) / sr:.2f} s at {sr} Hz (decoded from {example['format']}, "
      f"{example['sample_rate']} Hz, {example['channels']} channel(s))")
fig = plots.clip_overview(samples, sr, f"{LABEL}: {example['track_id']}")
plots.save(fig, cfg.figures_dir, "00_clip_overview")

# %% [markdown]
# Listen to one clip per genre (seconds 10 to 14 of the first readable clip of each genre, mono and
# at a low sample rate to keep the notebook small). What do you hear that a spectrogram should
# show: a steady beat, held notes, a voice, distorted guitars?

# %%
plots.genre_excerpts(usable)

# %% [markdown]
# ## Splits by track
#
# Splits are decided per track; segments inherit their track's split, so no clip can leak
# between training and test.
#
# **Why a random split is not enough for GTZAN.** Bob Sturm's analysis of GTZAN listed its
# faults: clips repeated (the same recording twice), many clips by the same artist, and
# mislabelled or distorted clips. A random split puts songs of one artist, and sometimes the very
# same recording, in training and in test. A model can then score by recognising the artist or
# the recording rather than the genre, and its test accuracy overstates how it does on new music.
# An *artist-conditional* split keeps each artist on one side.
#
# Two protocols are therefore reported side by side in the experiments:
#
# * the seed report's **random stratified split** (70/10/20 of each genre, seed 42);
# * the dataset's **fixed split**: for GTZAN the fault-filtered, artist-conditional split of
#   Kereliuk, Sturm and Larsen (2015), whose lists ship in `helpers/data/gtzan_splits/` (read by
#   `helpers.data.gtzan`): it removes GTZAN's repeated and mislabelled clips and keeps each artist
#   on one side; for FMA-small its official split. The tracks table carries it in `fixed_split`.
#
# In the tables below, `unused` counts the clips a split leaves out (the faulty clips the
# fault-filtered lists drop); a zero in a genre's row means that genre cannot be trained or
# measured in that part.

# %%
random_split = splits.random_split(usable, "70/10/20", seed=cfg.seed)
print(f"{LABEL}, random stratified 70/10/20 split (seed {cfg.seed}):")
splits.summary(usable, random_split)

# %%
FIXED = cfg.dataset.fixed_split_name
if FIXED is None:
    print(f"{LABEL} has no fixed split; the experiments use random splits only.")
else:
    listed = registry.get(cfg.dataset.name).listed_split_sizes(layout)
    print(f"{LABEL}, {FIXED} split: clips per split in the complete dataset and present here")
    display(splits.list_coverage(usable["fixed_split"], listed))
    display(splits.summary(usable, usable["fixed_split"]))

# %% [markdown]
# Cutting every clip into 3-s segments: each segment carries its track's split, and the check
# below would fail if any track had segments on two sides.

# %%
segments, too_short = splits.segment_table(usable, 3.0, random_split)
splits.assert_no_leakage(segments)
print(f"{len(segments)} segments of 3 s from {segments['track_id'].nunique()} tracks; "
      f"clips shorter than 3 s: {len(too_short)}; no track spans two splits")
segments.groupby("split").size()

# %% [markdown]
# ## What we learned
#
# Written from the tables above (`helpers.results.report.data_reading`), so another dataset or
# profile states its own numbers.

# %%
display(Markdown(report.data_reading(tracks, LABEL, FIXED)))

# %% [markdown]
# ## Try it yourself
#
# 1. **Another clip up close.** In the "One clip up close" cell, replace `usable.iloc[0]` by the
#    first clip of another genre of the inventory, for example
#    `usable[usable["genre"] == "metal"].iloc[0]` on GTZAN or the synthetic set, and run the cell again.
#
#    <details><summary>Hint</summary>
#
#    Compare the two log-mel panels: is the energy in the low bands or spread up to the top? Is
#    the beat visible as vertical stripes? Then play that genre in the listening cell.
#
#    </details>
#
# 2. **Fewer mel bands.** Draw the same clip with 32 mel bands instead of 128:
#    `from helpers.inputs import spectrograms`, then
#    `plots.clip_overview(samples, sr, "32 mel bands", params=spectrograms.MelParams(n_mels=32))`.
#
#    <details><summary>Hint</summary>
#
#    Each band is now about four times as wide. Harmonics of held notes that were separate lines
#    merge into one. The low bands are still narrower than the high ones: the mel scale is kept,
#    only its resolution drops.
#
#    </details>
#
# 3. **Split segments instead of tracks.** Try
#    `splits.random_split(segments, "70/10/20", seed=cfg.seed)`. What does the error say, and why
#    does this repository refuse it?
#
#    <details><summary>Hint</summary>
#
#    A split is decided per track. If the 3-s segments of one clip were split at random, segments
#    of the same recording would sit in training and in test, and the test score would reward
#    remembering that recording rather than knowing the genre. Notebook 07 measures how much
#    this inflates accuracy.
#
#    </details>
#
# 4. **Your own music.** Put some audio files in one sub-folder per genre, check the folder from a
#    shell with `python -m helpers.data check DIR`, then set `DATASET = "DIR"` in the parameters
#    cell and run the notebook again.
#
#    <details><summary>Hint</summary>
#
#    The genres come from the folder names. Plain genre folders have no fixed split, so the
#    fixed-split cell says so and the later notebooks use random splits only. Keep one artist's
#    songs in one genre folder, and remember that a random split may still put one artist on
#    both sides.
#
#    </details>
