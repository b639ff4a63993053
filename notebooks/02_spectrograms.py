# %% [markdown]
# # 02 · Mel-spectrogram images
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mgc-reports/music-genre-classification/blob/main/notebooks/02_spectrograms.ipynb)
#
# The PNG images the CNN notebooks train on, made as the main seed report made them:
# 128 mel bands up to 8000 Hz, power in dB relative to the maximum, min-max normalised,
# no axes, resized to 128 x 128 grayscale, one folder per genre. Besides whole clips,
# 3-, 5- and 10-s segment variants (one image per whole segment).
#
# Images live in a cache folder outside git. Re-running skips every image that is a complete
# PNG, newer than its audio file and made with the same parameters; an empty or damaged
# image is drawn again.

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
from helpers.inputs import spectrograms
from helpers.results import readings

cfg = config.setup(PROFILE, DATASET)
LABEL = cfg.dataset.label
tracks = data.limit_per_genre(data.readable(data.load_tracks(cfg.dataset.root)), cfg.profile.max_clips_per_genre)
out_dir = cfg.cache_for("spectrograms")
params = spectrograms.MelParams()
print(f"{len(tracks)} clips -> {config.display_path(out_dir)}\n{params}")

# %% [markdown]
# ## Render
#
# Whole clips plus the profile's segment lengths, in parallel, with a progress bar.

# %%
rendering = spectrograms.render_pngs(tracks, out_dir, cfg.profile.segment_seconds, params=params, jobs=cfg.jobs)
index = rendering.index
print(f"rendered {rendering.rendered}, already up to date {rendering.up_to_date}, failed {len(rendering.failed)}")
for failure in rendering.failed:
    print(f"  skipped: {failure}")
index.to_csv(out_dir / "index.csv", index=False)
index.pivot_table(index="genre", columns="variant", values="path", aggfunc="count")

# %% [markdown]
# A second call finds every image up to date and renders nothing:

# %%
again = spectrograms.render_pngs(tracks, out_dir, cfg.profile.segment_seconds, params=params, jobs=cfg.jobs,
                                 progress=False)
print(f"second run: rendered {again.rendered}, up to date {again.up_to_date}")
assert again.rendered == 0

# %% [markdown]
# ## What the network sees
#
# One whole-clip image per genre (128 x 128, low frequencies at the bottom):

# %%
clips = index[index["variant"] == spectrograms.CLIP_VARIANT].groupby("genre").head(1)
fig = plots.image_grid(clips["path"], clips["track_id"], f"{LABEL}: whole-clip mel-spectrogram PNGs (128x128)")
plots.save(fig, cfg.figures_dir, "02_png_per_genre")

# %% [markdown]
# The segment variants of one clip: each segment is its own training example and inherits its
# clip's split.

# %%
first = index["track_id"].iloc[0]
for variant in [v for v in index["variant"].unique() if v != spectrograms.CLIP_VARIANT]:
    segs = index[(index["track_id"] == first) & (index["variant"] == variant)]
    fig = plots.image_grid(segs["path"], [f"segment {s:.0f}" for s in segs["segment"]],
                           f"{LABEL}: {first} cut into {variant} segments ({len(segs)} images)",
                           columns=min(10, len(segs)))
    plots.save(fig, cfg.figures_dir, f"02_segments_{variant}")

# %% [markdown]
# ## Compared with the Kaggle images
#
# The Kaggle `images_original` PNGs were drawn with matplotlib inside a white border (432 x 288
# RGBA), in a colour map and with their own scaling. `helpers.inputs.spectrograms.crop_kaggle_image`
# removes the border; the CNN notebook can train on either kind of image. Look at whether the
# same structures (onsets, bass lines, bright passages) appear at the same places.

# %%
layout = data.discover(cfg.dataset.root)
agreement = None
if layout.images_dir is None:
    print("This dataset has no images_original folder.")
else:
    pairs = clips.head(4)
    cropped = spectrograms.cropped_kaggle_images(layout.images_dir, pairs["track_id"], out_dir / "kaggle_cropped")
    fig = plots.image_grid(list(pairs["path"]) + cropped,
                           [f"ours: {t}" for t in pairs["track_id"]] + [f"Kaggle, cropped: {t}" for t in pairs["track_id"]],
                           f"{LABEL}: this repository's PNGs (top row) and Kaggle images_original (bottom row)", columns=4)
    plots.save(fig, cfg.figures_dir, "02_ours_vs_kaggle")

# %% [markdown]
# The same comparison in numbers, on every clip that has both images: Spearman rank
# correlation between the two grayscale images (both at 128 x 128), over all pixels and over
# the mean level of each frequency row. A colour map or a monotonic rescaling leaves ranks
# unchanged; a different frequency axis or time alignment does not.

# %%
if layout.images_dir is not None:
    whole = index[index["variant"] == spectrograms.CLIP_VARIANT]
    whole = whole[[spectrograms.kaggle_image_path(layout.images_dir, t).exists() for t in whole["track_id"]]]
    kaggle_crops = spectrograms.cropped_kaggle_images(layout.images_dir, whole["track_id"], out_dir / "kaggle_cropped")
    agreement = readings.image_agreement(whole["path"], kaggle_crops, whole["track_id"])
    display(agreement.describe().loc[["count", "min", "25%", "50%", "75%", "max"]].round(3))

# %% [markdown]
# ## What we learned
#
# Written from the rendering counts and the agreement table above (`helpers.results.readings`).

# %%
display(Markdown(readings.spectrogram_reading(rendering.rendered, rendering.up_to_date, len(rendering.failed),
                                              len(index), agreement, LABEL)))
