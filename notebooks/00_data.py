# %% [markdown]
# # 00 · Data: inventory, examples and splits
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mgc-reports/music-genre-classification/blob/main/notebooks/00_data.ipynb)
#
# Which dataset this run uses, what is in it (genres, formats, sample rates, durations),
# which files cannot be read, what one clip looks like, and how tracks are split.
#
# The dataset is chosen in this order: the `DATASET` parameter, `$MGC_DATASET`, `$GTZAN_DIR`,
# `data/gtzan`, then the embedded synthetic dataset (generated on first use). Any dataset of
# the registry in `helpers.data.registry` works (GTZAN, FMA-small, plain genre folders). Every
# figure names it.

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
# The waveform, the linear-frequency STFT and the log-mel spectrogram that the CNN notebooks
# use (128 mel bands up to 8 kHz); the colour bars give the level in dB relative to the loudest bin.

# %%
usable = data.readable(tracks)
example = usable.iloc[0]
samples, sr = audio.load(example["path"])
print(f"{example['track_id']}: {len(samples) / sr:.2f} s at {sr} Hz (decoded from {example['format']}, "
      f"{example['sample_rate']} Hz, {example['channels']} channel(s))")
fig = plots.clip_overview(samples, sr, f"{LABEL}: {example['track_id']}")
plots.save(fig, cfg.figures_dir, "00_clip_overview")

# %% [markdown]
# ## Splits by track
#
# Splits are decided per track; segments inherit their track's split, so no clip can leak
# between training and test. Two protocols are reported side by side in the experiments:
#
# * the seed report's **random stratified split** (70/10/20, seed 42);
# * the dataset's **fixed split**: for GTZAN the fault-filtered, artist-conditional split of
#   Kereliuk, Sturm and Larsen (2015), whose lists ship in `helpers/data/gtzan_splits/` (read by `helpers.data.gtzan`): it removes
#   GTZAN's repeated and mislabelled clips and keeps each artist on one side, which random
#   splits do not; for FMA-small its official split. The tracks table carries it in
#   `fixed_split`.

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
