# %% [markdown]
# # 02 · Mel-spectrogram images
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mgc-reports/music-genre-classification/blob/main/notebooks/02_spectrograms.ipynb)
#
# The PNG images the CNN notebooks train on, made as the main seed report made them:
# 128 mel bands up to 8000 Hz, power in dB relative to the maximum, min-max normalised,
# no axes, resized to 128 x 128 grayscale, one folder per genre. Besides whole clips,
# segment variants at the profile's segment lengths (one image per whole segment; the table
# below lists them).
#
# Images live in a cache folder outside git. Re-running skips every image that is a complete
# PNG, newer than its audio file and made with the same parameters; an empty or damaged
# image is drawn again.

# %% [markdown]
# ## What you will learn
#
# * **How an audio clip becomes a training image**: the seed's recipe step by step (mel bands,
#   decibels relative to the loudest bin, min-max scaling, resizing to a square grayscale image)
#   and what each step keeps or throws away.
# * **Segments as examples**: one image per 3-, 5- or 10-s segment, each inheriting its clip's split.
# * **What to listen for in an image**: the beat as vertical lines, held notes as horizontal lines,
#   checked by ear on the clip shown.
# * **Caching derived files**: an image is drawn again only when it is missing, damaged, older than
#   its audio or made with other parameters.
# * **Comparing two recipes**: this repository's PNGs against the Kaggle images, by rank correlation.

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
from helpers.results import report
from helpers.studies import spectrogram_pngs as study

cfg = config.setup(PROFILE, DATASET)
LABEL = cfg.dataset.label
tracks = data.limit_per_genre(data.readable(data.load_tracks(cfg.dataset.root)), cfg.profile.max_clips_per_genre)
out_dir = cfg.cache_for("spectrograms")
params = spectrograms.MelParams()
print(f"{len(tracks)} clips -> {config.display_path(out_dir)}\n{params}")

# %% [markdown]
# ## Render
#
# Whole clips plus the profile's segment lengths, in parallel, with a progress bar; clips that
# cannot be decoded are listed, and the image index is saved beside the images
# (`helpers.studies.spectrogram_pngs.render`). Below: images per genre and variant.

# %%
rendering = study.render(tracks, out_dir, cfg.profile.segment_seconds, params=params, jobs=cfg.jobs)
index = rendering.index
study.variant_counts(index)

# %% [markdown]
# A second call finds every image up to date and renders nothing (when the cache was already
# complete, as in a re-render, the first call above rendered nothing either):

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
# The segment variants of one clip, one figure per segment length
# (`helpers.studies.spectrogram_pngs.segment_grids`): each segment is its own training example
# and inherits its clip's split.

# %%
study.segment_grids(index, LABEL, cfg.figures_dir)

# %% [markdown]
# Listen to seconds 10 to 14 of the clip cut into segments above, and look for what you hear: the
# beat appears as thin vertical lines (a drum hit covers many frequencies at one instant), held
# notes as horizontal lines (one pitch and its harmonics lasting in time).

# %%
first_clip = index["track_id"].iloc[0]  # the clip of the segment figures (study.segment_grids draws the index's first)
plots.excerpts(plots.listen.track_rows(tracks, [first_clip]),
               lambda row: f"`{row['track_id']}` ({row['genre']}): the clip cut into segments above")

# %% [markdown]
# ## Compared with the Kaggle images
#
# The Kaggle `images_original` PNGs were drawn with matplotlib inside a white border (432 x 288
# RGBA), in a colour map and with their own scaling. `helpers.inputs.spectrograms.crop_kaggle_image`
# removes the border; the CNN notebook can train on either kind of image
# (`helpers.studies.spectrogram_pngs.kaggle_figure` draws the first clips that have both). Look at
# whether the same structures (onsets, bass lines, bright passages) appear at the same places.

# %%
layout = data.discover(cfg.dataset.root)
study.kaggle_figure(clips, layout.images_dir, out_dir, LABEL, cfg.figures_dir)

# %% [markdown]
# The same comparison in numbers, on every clip that has both images: Spearman rank
# correlation between the two grayscale images (both at 128 x 128), over all pixels and over
# the mean level of each frequency row (`helpers.studies.spectrogram_pngs.kaggle_agreement`). A colour
# map or a monotonic rescaling leaves ranks unchanged; a different frequency axis or time alignment does not.

# %%
agreement = study.kaggle_agreement(index, layout.images_dir, out_dir)
if agreement is not None:
    display(study.agreement_summary(agreement))

# %% [markdown]
# ## What we learned
#
# Written from the rendering counts and the agreement table above (`helpers.results.report`).

# %%
display(Markdown(report.spectrogram_reading(rendering.rendered, rendering.up_to_date, len(rendering.failed),
                                              len(index), agreement, LABEL)))

# %% [markdown]
# ## Try it yourself
#
# 1. **Match sounds to images.** Play the clips of the "What the network sees" grid in a shuffled
#    order without captions that name them (GTZAN's track ids name the genre):
#    `shuffled = plots.listen.track_rows(tracks, clips["track_id"]).sample(frac=1, random_state=1)`, then
#    `plots.excerpts(shuffled, lambda row: "which image?")`. Write down the image you think each one
#    is, then check with `list(shuffled["genre"])`.
#
#    <details><summary>Hint</summary>
#
#    Look for a regular comb of vertical lines (a steady drum pattern), long horizontal lines
#    (sustained instruments or voices), and how much of the upper half is lit (cymbals,
#    distortion). The excerpt is only a few seconds of the clip; the image is the whole clip.
#
#    </details>
#
# 2. **Fewer mel bands.** Render whole-clip images with 64 mel bands into a folder of their own
#    (so that the images notebook 04 reads stay as they are) and show them:
#    `small = study.render(tracks, cfg.cache_for("spectrograms-64-bands"), (), params=spectrograms.MelParams(n_mels=64), jobs=cfg.jobs)`,
#    then `shown = small.index.groupby("genre").head(1)` and
#    `plots.image_grid(shown["path"], shown["track_id"], "64 mel bands")`.
#
#    <details><summary>Hint</summary>
#
#    The image stays 128 x 128, so each band now fills two pixel rows: the frequency detail
#    halves while the time axis is unchanged. Compare the harmonics of held notes with the grid
#    above.
#
#    </details>
#
# 3. **Another segment length.** From a shell, render 2-s segments into a folder of your own:
#    `python -m helpers.inputs.spectrograms render DATASET_DIR --out data/my_pngs --segments 2` (`data/` is ignored by git).
#    How many images does one clip give, and how much of a bar of music does one image hold?
#
#    <details><summary>Hint</summary>
#
#    A clip of 30 s gives 15 segment images besides its whole-clip image (only whole segments
#    are kept, so a clip a little shorter gives one less). Shorter segments give
#    more training examples, but each one holds only a few beats, and all of them come from the
#    same clip, so they are not independent. Notebook 07 measures the effect of segment length.
#
#    </details>
