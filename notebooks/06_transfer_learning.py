# %% [markdown]
# # 06 · Transfer learning as the seeds ran it: ImageNet networks, music networks, several genres per song
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mgc-reports/music-genre-classification/blob/main/notebooks/06_transfer_learning.ipynb)
#
# The main seed report turned its grayscale mel-spectrogram PNGs into three channels, froze
# VGG16's ImageNet convolutional base and trained the head it used everywhere (dense 128,
# dropout 0.5, softmax). Another report fine-tuned every layer of VGG16, AlexNet and ResNet; a
# third trained ResNet18 on segments. This notebook runs those networks from one definition
# (`helpers.models.transfer_nets`) on the same clips and per-track splits:
#
# 1. **Where the weights come from.** ImageNet weights are downloaded by Keras once and reused
#    offline; without them a network starts from random weights, and every output says so
#    (`-random-init`). AlexNet and ResNet18 have no published Keras ImageNet weights and are
#    trained from scratch. MSD-VGG, musicnn's VGG-like network pretrained on music tags, needs
#    no download: it is the offline counterpart, run under the same recipes.
# 2. **The recipes**: the frozen base with the seed's head (the base's features computed once and
#    cached), and full fine-tuning at a low learning rate (the `paper` profile adds the seeds'
#    last-layer variants: the last block and the head trained); the seed-style table (train,
#    validation, test accuracy) with 95 % intervals, under the seed's random split and the
#    fault-filtered split.
# 3. **Several genres per song**: a sigmoid head trained on single-genre clips, as the seed did,
#    scored on two-genre items made from test clips (mixed, or 15 s + 15 s), with the threshold
#    chosen on validation items.

# %% [markdown]
# ## What you will learn
#
# * **Transfer learning**: reusing weights learned on another task (ImageNet photos, music tags)
#   to classify genres, and what the same network scores without them.
# * **Three ways to train**: a frozen base with a new head, full fine-tuning at a low learning
#   rate (in two stages), and training from random initialisation.
# * **Inputs for borrowed networks**: a grayscale mel PNG repeated to three channels for the
#   image networks, 3-s log-mel windows for the music network.
# * **Several genres per song**: sigmoid outputs, a threshold chosen on validation items, and
#   scores for sets of genres (exact set, Jaccard, both true genres in the top two).

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
# `VGG16_WEIGHTS` / `RESNET50_WEIGHTS` name a Keras notop weights file (as `$MGC_VGG16_WEIGHTS` does).

# %% tags=["parameters"]
PROFILE = None  # "smoke" | "report" | "paper"; None reads $MGC_PROFILE (default "report")
DATASET = None  # a dataset folder (GTZAN, FMA-small, genre folders) or "synthetic"; None: $MGC_DATASET, $GTZAN_DIR, data/gtzan or synthetic
VGG16_WEIGHTS = None  # a weights file, "random", or None: $MGC_VGG16_WEIGHTS, Keras' cache, a download when online
RESNET50_WEIGHTS = None  # the same for ResNet50
THRESHOLD = 0.2  # the fixed multi-genre threshold reported beside the one chosen on validation items (the seed's 0.2)

# %%
from pathlib import Path

from IPython.display import Markdown, display

from helpers import config, data, plots, predict
from helpers.inputs import network_inputs, spectrograms
from helpers.models import artifacts, heads, multigenre, networks, pretrained, transfer_nets
from helpers.results import evaluate
from helpers.studies import transfer_learning as study

# Resolved first, so that the notebook's first line says which ImageNet weights were unavailable.
SETTINGS = config.get_profile(PROFILE).transfer
sources = study.weight_sources(SETTINGS, {"vgg16": VGG16_WEIGHTS, "resnet50": RESNET50_WEIGHTS})
print(transfer_nets.weights_line(sources))

# %%
cfg = config.setup(PROFILE, DATASET)
LABEL, NAME, SIZE = cfg.dataset.label, cfg.dataset.name, SETTINGS["image_size"]
layout = data.discover(cfg.dataset.root)
tracks = data.limit_per_genre(data.readable(data.load_tracks(layout)), cfg.profile.max_clips_per_genre)
FIXED = cfg.dataset.fixed_split_name
protocols = ["random-70/10/20"] + ([FIXED] if FIXED else [])
print(f"{LABEL}: {len(tracks)} readable audio clips; protocols {', '.join(protocols)}; images {SIZE}x{SIZE} "
      f"(the seeds used 128x128: a CPU budget); epochs at most {SETTINGS['head_epochs']} for a head, {SETTINGS['tune_epochs']} "
      f"for fine-tuning, {SETTINGS['scratch_epochs']} from scratch (early stopping on validation clips)")
display(study.sources_table(sources))

# %% [markdown]
# ## 1. The inputs: the seed's mel PNGs, and musicnn's log-mel windows
#
# Every network sees the same clips. The ImageNet and from-scratch networks get the main seed's
# PNG of each whole clip (128 mel bands, grayscale, resized to the profile's image size and
# repeated to three channels); MSD-VGG gets 3-s log-mel windows of the same clips (its training
# input), whose probabilities are averaged per clip. Each protocol's split is decided once per
# clip, and both inputs follow it. Look at what a network is asked to read: one image per genre.

# %%
rendered = spectrograms.render_pngs(tracks, cfg.cache_for("spectrograms"), jobs=cfg.jobs).index
images = data.attach_fixed_split(rendered[["track_id", "genre"]], tracks).sort_values("track_id").reset_index(drop=True)
X_images = network_inputs.image_arrays(rendered.set_index("track_id").loc[images["track_id"], "path"], SIZE,
                                       cache_dir=cfg.cache_for("network-inputs"))
windows = heads.mel_windows(tracks[tracks["track_id"].isin(images["track_id"])], SETTINGS["window_hop_seconds"])
window_rows = data.attach_fixed_split(study.window_table(windows.tracks, windows.rows), tracks)
split_by_protocol = study.clip_splits(images, protocols, seed=cfg.seed)
IMAGES = study.NetworkInput(X_images, images, f"mel PNG {SIZE}x{SIZE} (grey to RGB)")
WINDOWS = study.NetworkInput(windows.X, window_rows, f"log-mel 3-s windows every {SETTINGS['window_hop_seconds']:g} s")
first = images.groupby("genre").head(1).index
fig = plots.array_grid(X_images[first], images.loc[first, "genre"], f"{LABEL}: {IMAGES.representation}, one clip per genre")
plots.save(fig, cfg.figures_dir, "06_inputs")
display(study.split_sizes(split_by_protocol))

# %% [markdown]
# ## 2. Every network, weight source and recipe
#
# The frozen base with the seed's head (a base without learned weights gives random features:
# a baseline, not transfer learning), and full training: a pretrained base is fine-tuned at a
# low learning rate starting from the head its frozen run trained (two stages, so that the low
# rate does not have to train a random head), a network without learned weights trains from
# scratch. Early stopping and the kept epoch come from the validation clips of the same
# protocol; the test clips are scored once. The majority-class baselines give the floor.
#
# **Why weights learned elsewhere can help.** A pretrained network's weights were learned on
# another, larger task: VGG16 and ResNet50 on ImageNet's photos, MSD-VGG on tagging songs of the
# Million Song Dataset from their spectrograms. The early layers of such networks respond to
# general patterns (edges, textures, onsets), which a genre classifier needs too, so the genre
# clips only have to train a head (frozen base) or adjust the weights a little (fine-tuning, at a
# learning rate low enough not to erase them). A network from random initialisation has to learn
# all of it from the genre clips alone: for VGG16 and ResNet50, the same architecture from random
# initialisation is the control that shows what their ImageNet weights add (when those weights
# are available); MSD-VGG has no such twin here, so its rows compare whole pipelines.

# %%
# Every source under every recipe, each on its input: a music network on its windows, the others on the images.
runs = study.run_sources(sources, IMAGES, WINDOWS, split_by_protocol, SETTINGS, dataset=NAME, cache_dir=cfg.cache_for("base-features"),
                         results_dir=cfg.results_dir, profile=cfg.profile.name, resamples=cfg.profile.ci_resamples, seed=cfg.seed)
study.same_test_clips(list(runs.values()))  # ImageNet, scratch and music networks scored the same clips
baselines = networks.majority_baselines(images, protocols, experiment=study.EXPERIMENT, dataset=NAME,
                                        representation=IMAGES.representation, results_dir=cfg.results_dir, profile=cfg.profile.name,
                                        seed=cfg.seed, resamples=cfg.profile.ci_resamples)
records = list(baselines.values()) + study.run_records(runs)
display(evaluate.accuracy_table(records))

# %% [markdown]
# One training run per network cannot say which network is better: another seed gives another
# network and other scores. Two runs are trained again with further seeds (`SETTINGS["seeds"]`, from
# the profile) on the headline split: the music network's frozen base with the seed report's head, and
# the fully trained image network with the best validation accuracy (chosen without the test
# clips). Their difference
# counts as a finding only if it keeps its sign in every seed and its paired bootstrap interval
# over the same test clips excludes zero. Look at the spread between seeds before the mean.

# %%
HEADLINE = FIXED or protocols[0]
seeded = study.seeded_runs(runs, sources, IMAGES, WINDOWS, split_by_protocol, SETTINGS, HEADLINE, dataset=NAME,
                           cache_dir=cfg.cache_for("base-features"), results_dir=cfg.results_dir, profile=cfg.profile.name,
                           resamples=cfg.profile.ci_resamples, seed=cfg.seed)
display(study.seeded_table(seeded))

# %% [markdown]
# Test accuracy of every run with its 95 % interval, one colour per protocol; a hatched grey bar
# is a run that did not learn. The two protocols differ in their test clips, in training size and
# in what they keep apart (the fault-filtered split holds each artist on one side and drops faulty
# clips), so the gap between them has no single cause here; notebook 03 runs the equal-size control.

# %%
fig = plots.accuracy_by_protocol(records, f"{LABEL}: transfer networks, test accuracy per protocol "
                                 f"({study.test_clips_text(split_by_protocol)})")
plots.save(fig, cfg.figures_dir, "06_accuracy")

# %% [markdown]
# Training curves of the runs that trained the whole network. Early stopping keeps the weights of
# the epoch with the lowest validation loss (the dot): where the validation loss rises afterwards
# while the training loss keeps falling, the network has begun to memorise its training clips.

# %%
fig = plots.training_curves(study.training_curves(runs, HEADLINE),
                            f"{LABEL}, {HEADLINE}: accuracy and loss per epoch of the fully trained networks")
plots.save(fig, cfg.figures_dir, "06_training_curves")

# %% [markdown]
# The confusion matrix of the run with the best *validation* accuracy under the headline
# protocol (chosen without the test clips).

# %%
chosen = study.best_by_validation(records, HEADLINE)
fig = plots.confusion(chosen)
plots.save(fig, cfg.figures_dir, "06_best_confusion")
display(evaluate.per_genre_table(chosen))

# %% [markdown]
# Listen to some of its mistakes, one clip per confusion (the most frequent first): is the
# predicted genre a plausible hearing of the clip, or a plain error?

# %%
plots.mistaken_excerpts(chosen["extra"]["test_clips"], tracks, n=3)

# %% [markdown]
# ## 3. Several genres per song
#
# The seed's multi-genre recipe: the softmax replaced by sigmoid outputs trained with binary
# cross-entropy on single-genre clips, every genre above a threshold predicted. Two-genre items
# are built reproducibly from clips of two different genres, balanced across the genres present,
# both by mixing at equal loudness and by joining 15 s of one to 15 s of the other; the items for
# choosing the threshold come from validation clips, the scored ones from test clips. It runs on
# MSD-musicnn's taggram windows (the input of notebook 05's strongest runs, and the one that
# works offline; a taggram is musicnn's 50 tag probabilities per 3-s window, and MSD's tags
# include genre words such as rock, pop, jazz, metal, blues, hip-hop and country, so this input
# is already close to a genre prediction) and on VGG16's frozen base (whatever its weights).
# Look at the exact-set accuracy (both genres, nothing else) beside the seed's, and at how often
# both true genres are the two most probable. The intervals resample the items as if they were
# independent; a genre with few clips lends the same clip to several items
# (the table's `test items (clips)`), so there they are narrower than they should be. Reading the
# columns: `chance exact set` is the exact-set accuracy of always answering the two commonest
# training genres (the floor to beat); `threshold` says where it was chosen (on validation items,
# or the seed's fixed 0.2); `(port + reference)` in a model's name means its training clips went
# through our port of musicnn where we have their audio and used the published taggrams where
# we do not. The last row is the seed report's own number, with `n/a (not reported)` where it
# states none.

# %%
MULTI_PROTOCOL = HEADLINE
# Published MSD-musicnn taggrams (GTZAN only) stand in for training clips whose audio is absent, as in notebook 05;
# the two-genre items are always made from audio.
reference = pretrained.reference_taggrams(cfg.dataset.root / "reference")
reference_tracks = data.features_table(layout)
candidates = study.multi_candidates(sources, tracks, IMAGES, SIZE, reference=reference, reference_tracks=reference_tracks,
                                    cache_dir=cfg.cache_for("base-features"), seed=cfg.seed)
multi_split = study.split_with_reference(images, reference_tracks, reference, MULTI_PROTOCOL, seed=cfg.seed)
multi_records, curves, multi_heads = study.multi_genre_runs(
    candidates, tracks, multi_split, protocol=MULTI_PROTOCOL, dataset=NAME, settings=SETTINGS, seed=cfg.seed,
    resamples=cfg.profile.ci_resamples, fixed_threshold=THRESHOLD, results_dir=cfg.results_dir, profile=cfg.profile.name)
display(study.multi_table(multi_records))

# %% [markdown]
# Exact-set accuracy and macro-F1 over thresholds on the validation items (solid) and the test
# items (dashed, shown only to see how well the validation choice transfers; it chose nothing).
# The dot marks the threshold chosen on validation; the grey line is the seed's 0.2.

# %%
fig = plots.threshold_curves(curves, f"{LABEL}, {MULTI_PROTOCOL}: two-genre items, scores over thresholds",
                             chosen=study.chosen_thresholds(multi_records))
plots.save(fig, cfg.figures_dir, "06_thresholds")

# %% [markdown]
# The multi-genre model for your own music: MSD-musicnn with its sigmoid head and the threshold
# chosen on the mixed validation items, saved beside the default model. It prints a genre set per file:
# `python -m helpers.predict --multi FILE`. Here it reads two mixed test items written as WAV files, as a user's
# files would be read. Compare each file's `true` pair with the predicted `genres` (each with its
# probability): a set with one genre, or three, misses the exact set. Two items show how the
# command is used; the table above, not these two, measures how well it works.

# %%
deployed = study.deployed_record(multi_records, candidates[0], mode="mix")
path = multigenre.save_multi_model("msd-musicnn", multi_heads[candidates[0].label], deployed["extra"]["threshold"], deployed,
                                   cfg.models_dir)
model, sidecar = artifacts.load_artifact(path)
demo = study.demo_items(tracks[tracks["track_id"].map(multi_split).eq("test").to_numpy()], cfg.cache_for("multi-genre-demo"),
                        seed=cfg.seed)
shown = predict.classify_multi(demo["file"], model, sidecar, deployed["extra"]["threshold"])
print(shown.assign(file=[Path(f).name for f in shown["file"]], true=demo["true genres"])[["file", "true", "genres"]].to_string(index=False))

# %% [markdown]
# ## What we learned
#
# Written from the results records of this run (`helpers.studies.transfer_learning.reading`).

# %%
display(Markdown(study.reading(records, multi_records, sources, HEADLINE, seeded, resamples=cfg.profile.ci_resamples,
                              seed=cfg.seed)))

# %% [markdown]
# ## Try it yourself
#
# 1. **With ImageNet weights.** On a machine that can download them once, or with Keras' notop
#    file at hand, set `VGG16_WEIGHTS = "/path/to/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"`
#    (or `$MGC_VGG16_WEIGHTS`) in the parameters cell and run the notebook again.
#
#    <details><summary>Hint</summary>
#
#    VGG16's runs are then called `vgg16-imagenet`: its frozen run is transfer learning and its
#    full run fine-tunes. The gap to this render's `vgg16-random-init` rows (same architecture,
#    random weights) is what the ImageNet weights add; `VGG16_WEIGHTS = "random"` gives the
#    random-initialisation rows again on a machine that has the weights.
#
#    </details>
#
# 2. **Another fixed threshold.** Set `THRESHOLD = 0.5` and run section 3 again.
#
#    <details><summary>Hint</summary>
#
#    Only the fixed-threshold rows change; the threshold chosen on validation items does not
#    depend on it. Find 0.5 on the validation curves of the threshold figure: a higher threshold
#    predicts fewer genres per item, so an item's second genre is missed more often.
#
#    </details>
#
# 3. **Two genres in your own files.** From a shell: `python -m helpers.predict --multi my_song.mp3`,
#    then again with `--threshold 0.1` and `--threshold 0.5`.
#
#    <details><summary>Hint</summary>
#
#    The multi-genre model lists every genre whose probability is at least the threshold, most
#    probable first. A lower threshold lists more genres; with none above it, the model says so
#    and gives its most probable genre.
#
#    </details>
#
# 4. **The seeds' last-block recipe.** Run with `PROFILE = "paper"`: it adds the `last-block`
#    recipe (the last convolution block and the head trained) and uses 128 x 128 images. A GPU
#    helps.
#
#    <details><summary>Hint</summary>
#
#    Read the pretrained networks' three rows per protocol together: the last-block recipe trains
#    more weights than the frozen one and fewer than fine-tuning. Only the two runs of the seeded
#    table are trained over several seeds; the other rows have one seed each, so a ranking of them
#    is one run, not a finding.
#
#    </details>
