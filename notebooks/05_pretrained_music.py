# %% [markdown]
# # 05 · Pretrained music networks: musicnn in Keras 3, checked against its published outputs
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mgc-reports/music-genre-classification/blob/main/notebooks/05_pretrained_music.ipynb)

# %% [markdown]
# ## What you will learn
#
# * **How to reuse a pretrained network**: musicnn's four checkpoints rebuilt in Keras, and how a
#   port is checked against the outputs its authors published.
# * **Taggrams and embeddings as features**: tag probabilities and inner layers, pooled per clip,
#   classified with logistic regression and an RBF SVM, alone and beside handcrafted features.
# * **Frozen base or fine-tuned**: a new head trained on a fixed network's features, then every
#   weight trained further at a low learning rate.
# * **Choosing on validation, reporting on test**: heads of several training seeds, ensembles
#   and stacking, each compared with one head over seed groups on the same test clips, and a
#   default model chosen on validation clips only.
# * **Listening to mistakes**: the test clips the default model gets wrong.

# %% [markdown]
# The seed reports' best numbers come from networks pretrained on ImageNet, whose weights have
# to be downloaded. Networks pretrained on *music* are a source that works offline (whether they
# beat ImageNet weights is not measured here: notebook 06 has no ImageNet weights offline):
# musicnn (Pons and Serra, 2019) ships four checkpoints in its PyPI wheel, trained to tag 3-s
# excerpts of the Million Song Dataset (MSD, 50 tags) or MagnaTagATune (MTT, 50 tags), each as
# the musically motivated *musicnn* architecture and as a VGG-like CNN. Their TF1 code does not
# run on TensorFlow 2, so `helpers.models.pretrained_port` rebuilds both architectures from Keras layers
# and copies every variable from the checkpoints.
#
# 1. **The port, checked**: our taggrams against the ones musicnn itself published for GTZAN.
# 2. **Clip embeddings** (taggram statistics, the penultimate layer, the mid-end's pooled
#    features) of every checkpoint with logistic regression and an RBF SVM, regularisation
#    chosen by cross-validation on the training clips; alone, fused with the 57 handcrafted
#    features, and the handcrafted features alone on the same clips.
# 3. **The main seed report's head on a frozen base** (dense 128, dropout 0.5, softmax) trained on 3-s
#    windows, early-stopped on validation clips, clip probabilities averaged over windows; then
#    **full fine-tuning** of the best checkpoint at a low learning rate.
# 4. **Beyond one head**: heads of more training seeds and their means, regressions on clip
#    statistics with the handcrafted features, fewer windows per clip; chosen on validation,
#    each compared with one head over several training seeds on the same test clips.
# 5. **The fault-filtered table** of every experiment, the best model's confusion matrix, a map
#    of the embeddings, and **the default model** that `python -m helpers.predict` uses.
#
# Words used below: the **port** is our Keras rebuild of musicnn; a **taggram** is the network's
# 50 tag probabilities per 3-s window. MSD's 50 tags include genre words (rock, pop, jazz, metal,
# blues, hip-hop, country, ...), so a classifier on the taggram partly reads genre tags the
# network was trained to output. **taggram-stats** are each clip's mean and standard deviation of
# the taggram over its windows; **midlevel** is the pooled output of musicnn's mid-end. The
# **reference** is the set of taggrams musicnn's authors published for GTZAN: where our audio is
# absent it stands in for it, and a dataset named `gtzan+reference` uses both. The **fixed split**
# of GTZAN is its fault-filtered, artist-conditional split (notebook 00); the **penultimate**
# layer is the one before the tag outputs (VGG: `pool5`).
#
# **Pretrained, frozen, fine-tuned, from scratch.** A pretrained network has weights learned on
# another, larger task: here, tagging songs of the Million Song Dataset or MagnaTagATune. With a
# *frozen base* those weights stay fixed: the base turns each window into features, and only a
# new head on top learns the genres, which is cheap and needs few clips. *Fine-tuning* trains
# every weight further at a low learning rate, so that the base adapts to the genres without
# losing what it learned. Training *from scratch* starts from random weights and learns
# everything from the genre clips alone, as notebook 04's CNNs do.

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

from helpers import config, data, plots, predict
from helpers.models import artifacts, heads, pretrained, transfer
from helpers.results import evaluate, report
from helpers.studies import pretrained_music as study

cfg = config.setup(PROFILE, DATASET)
LABEL, NAME, SETTINGS = cfg.dataset.label, cfg.dataset.name, cfg.profile.pretrained
layout = data.discover(cfg.dataset.root)
tracks = data.limit_per_genre(data.readable(data.load_tracks(layout)), cfg.profile.max_clips_per_genre)
# the Kaggle CSV when the dataset has one, else computed from the audio
handcrafted = study.handcrafted_features(layout, tracks, jobs=cfg.jobs)
# Published MSD-musicnn taggrams (GTZAN only): the parity check, and a stand-in for clips whose audio is absent.
reference = pretrained.reference_taggrams(cfg.dataset.root / "reference")
FIXED = cfg.dataset.fixed_split_name
protocols = study.protocols(FIXED)
print(f"{LABEL}: {len(tracks)} readable audio clips; reference taggrams for {len(reference)} clips; "
      f"checkpoints {', '.join(SETTINGS['checkpoints'])}; protocols {', '.join(protocols)}")

# %% [markdown]
# ## 1. The port against musicnn's own outputs
#
# musicnn's authors published the MSD-musicnn taggrams of 733 GTZAN clips (3-s windows every
# second); no outputs of the other three checkpoints were published, so they share the loader and
# the layers checked here but not a check of their own. For every clip we have audio for, the port computes the same windows from the audio
# file. Look at the lossless files against the bounds we hold the port to (the table's column
# names and the dashed lines: one for the clip-mean taggram, one for any window); the lossy (Ogg
# Vorbis) copies differ from the original audio, so their distance measures the codec, not the port.

# %%
parity = study.port_parity(tracks, reference, LABEL, cfg.figures_dir)  # None (and why) without the reference
if parity is not None:
    display(pretrained.parity_summary(parity))

# %% [markdown]
# ## 2. Clip embeddings with linear and kernel classifiers
#
# Every checkpoint x embedding x classifier under every protocol, then the same fused with the 57
# handcrafted features, and the handcrafted features alone on exactly the same clips (the
# controlled comparison). Where the reference taggrams exist, the MSD-musicnn taggram embeddings
# also run on the port's clips plus the reference's (dataset `+reference`): a clip with audio
# always goes through the port, the reference stands in only for absent audio. Where the audio is
# uneven, the balanced genres also run alone (dataset `-4genres`). The table shows the largest
# test set; section 5 ranks each test set apart.

# %%
config.seed_everything(cfg.seed)
# the whole dataset, then its balanced genres alone where the audio is uneven (as in notebooks 03 and 04); saved
records = study.embedding_records(tracks, SETTINGS, protocols, dataset=NAME, label=LABEL, handcrafted=handcrafted,
                                  reference=reference, seed=cfg.seed, jobs=cfg.jobs, resamples=cfg.profile.ci_resamples,
                                  results_dir=cfg.results_dir, profile=cfg.profile.name)
print(f"{len(records)} records")
caption, largest = study.largest_test_set(records, protocols[0], top=15)
print(caption)
display(largest)

# %% [markdown]
# ## 3. The seed report's head on a frozen base
#
# The main seed report's recipe on top of each checkpoint: its penultimate layer (VGG: pool5) per 3-s
# window, a dense layer of 128, dropout 0.5 and a softmax, trained on the training clips' windows
# with early stopping on the validation clips of the same protocol (the fixed split's own
# validation part; a tenth of the random split's training clips). Where the reference exists, the
# same head also runs on MSD-musicnn's taggram windows of the port's clips plus the reference's,
# which gives it every genre's training clips. Look at the validation balanced accuracy (in the
# records, `extra`): it, not the test score, chooses the head to fine-tune and the default model.

# %%
config.seed_everything(cfg.seed)
head_results, trained_heads = study.head_records(tracks, SETTINGS, protocols, dataset=NAME, reference=reference,
                                                 reference_tracks=handcrafted, seed=cfg.seed,
                                                 resamples=cfg.profile.ci_resamples, results_dir=cfg.results_dir, profile=cfg.profile.name)
display(heads.head_table(head_results))

# %% [markdown]
# ### Full fine-tuning
#
# The head with the best validation balanced accuracy, with every weight of its checkpoint
# trained further at a low learning rate (1e-5), early-stopped on the same validation clips;
# batch normalisation keeps the checkpoint's statistics. Fine-tuning needs audio, so it trains on
# the port's clips only, even when the head was trained with the reference's (the record keeps
# `initialised_from`). On a CPU the windows start every `tune_hop_seconds` (the profile's
# setting) instead of every second. Compare the two rows by validation balanced accuracy: their
# test sets differ when the head's table included the reference, and the line under the table
# says how evenly the fine-tuned model's test clips cover the genres.

# %%
config.seed_everything(cfg.seed)
best_head = study.fine_tune_best(tracks, head_results, trained_heads, SETTINGS, protocols[0], dataset=NAME, seed=cfg.seed,
                                 resamples=cfg.profile.ci_resamples, results_dir=cfg.results_dir, profile=cfg.profile.name)
head_results.append(best_head.record)
display(heads.head_table([best_head.chosen, best_head.record]))
# the port's test clips may miss genres: then accuracy and balanced accuracy part ways
print(f"fine-tuned, test clips: {report.coverage_text(best_head.record)}")

# %% [markdown]
# ## 4. Beyond one head: more seeds, ensembles, stacking, fewer windows
#
# The head above was trained once, with one training seed (42). Could a better default come from
# the same windows? Candidates, on the chosen head's windows and the same train/validation/test clips:
#
# * **one head** per training seed: how much the seed alone moves the score;
# * **mean of N heads**: the window probabilities of N heads (different seeds) averaged, an
#   *ensemble*;
# * **stats regression**: logistic regression on each clip's mean and standard deviation of the
#   layer over its windows; **stats+features regression**: the same with the 57 handcrafted
#   features of notebook 03 appended: *stacking* here means two kinds of input side by side in
#   one classifier; the regularisation of each chosen on validation;
# * **blend**: the mean of heads and the better regression averaged, the weight chosen on
#   validation;
# * **mean, 3-s hop**: the mean of heads on one window in three (a 3-s hop instead of 1 s): a
#   third of the network's work when classifying a music library.
#
# The seeds come in groups, each group the same recipe with other seeds, so every candidate can
# be compared with one head group by group on the same test clips. Look first at the validation
# columns (they choose), then at the test columns (they only report). Of these candidates, only
# one head and the mean of heads can become the default model (section 8, beside the fine-tuned
# model of section 3): the others need inputs that one network on audio windows does not
# compute, or are another way of running the same model.

# %%
config.seed_everything(cfg.seed)
candidates = study.default_candidates(tracks, best_head, handcrafted, SETTINGS, protocols[0], reference=reference,
                                      seed=cfg.seed, resamples=cfg.profile.ci_resamples, results_dir=cfg.results_dir,
                                      profile=cfg.profile.name)
print(f"{candidates.dataset}, {candidates.protocol}: {len(candidates.groups)} groups of "
      f"{SETTINGS['ensemble_heads']} training seeds; the first group's candidates:")
display(study.candidate_table(candidates))

# %% [markdown]
# Each candidate minus one head, group by group, on the same test clips. A gain counts as a
# finding only when every group shows it and the paired interval (test clips resampled once for
# all groups) excludes zero; otherwise it is within the noise of training seeds and test clips.

# %%
display(study.seeded_table(candidates, resamples=cfg.profile.ci_resamples, seed=cfg.seed))

# %% [markdown]
# ## 5. Every experiment on the fixed split
#
# Handcrafted features (notebook 03), CNNs trained from scratch (notebook 04) and the musicnn
# variants, ranked separately per test set: only runs scored on the same test clips compare
# directly. The largest test set is the fixed split's whole test list (the features CSV and the
# reference taggrams cover it); the audio here covers part of it, with uneven genres, so look at
# balanced accuracy there. Each bar has its 95 % interval. A status *same predictions as ...*
# marks one model listed under two names (section 3's frozen head is section 4's one head of
# seed 42; the default is a mean of heads): count it once.

# %%
everything = report.load_records(cfg.results_dir, cfg.profile.name)  # this profile's runs only
HEADLINE = FIXED or protocols[0]
# the two largest test sets, each a heading and its table (their figures follow at the end of the cell)
for heading, table in study.test_set_rankings(everything, HEADLINE, LABEL, cfg.figures_dir):
    display(Markdown(heading), table)

# %% [markdown]
# ## 6. The best pretrained model: confusion matrix and per-genre scores
#
# The most accurate record of this notebook on the largest test set of the fixed split. It is
# one of many configurations scored on the same test clips, so its number is a best case; the
# ranking above shows all of them. Look at the genres it confuses most (the largest
# off-diagonal cells) and at the per-genre recall of those genres below.

# %%
best = study.best_record(records + head_results + candidates.records, HEADLINE)
fig = plots.confusion(best)
plots.save(fig, cfg.figures_dir, "05_best_confusion")
display(evaluate.per_genre_table(best))

# %% [markdown]
# ## 7. A map of the embeddings
#
# A t-SNE map of MSD-musicnn's taggram statistics, one dot per clip (audio through the port, and
# the reference where audio is absent). t-SNE (t-distributed stochastic neighbour embedding) places
# the clips on a plane so that clips close in the 100-number statistics stay close; the distances
# between far-apart islands, and the axes, mean nothing. Look for genres that form their own islands and genres
# that overlap; the map is a 2-D picture of distances, so it suggests, but does not prove, which
# confusions a classifier will make (compare with the confusion matrix above).

# %%
embedded = study.embedding_map(tracks, SETTINGS["checkpoints"][0], LABEL, cfg.figures_dir, reference=reference,
                               reference_tracks=handcrafted, seed=cfg.seed)

# %% [markdown]
# ## 8. The default model for your own music
#
# One head, the mean of heads (section 4, first group of seeds) or the fine-tuned model,
# whichever reached the best validation balanced accuracy under the fixed split (balanced,
# because the validation clips of partial audio can be uneven across genres: the `valid clips`
# column below counts them, and a genre without one cannot sway the choice; the simplest on a
# tie), as one Keras model (standard layers only, so it loads in safe mode). The regressions
# and blends are not candidates here: they need clip statistics and handcrafted features that one
# network on audio windows does not compute. The 3-s hop is not a candidate either: it is a way of
# running the same model, not another model; `python -m helpers.library classify MUSIC_DIR --catalog
# catalog.parquet --hop-seconds 3` runs the default that way (section 4 gives its scores). Look at
# the choice table: the row with the highest validation balanced accuracy is the one saved. The
# saved model is scored again by itself, so its card's test scores are its own. It is saved with a
# card that `python -m helpers.predict --about` prints, and reloaded here to classify a few test
# clips as a user would: read the true genre beside the predicted one and the three most probable.

# %%
# saved, and marked in its record (the README names it): the model chosen on validation clips only
record, path = study.save_default(best_head, candidates, cfg.models_dir, cfg.results_dir, cfg.profile.name,
                                  resamples=cfg.profile.ci_resamples)
display(study.choice_table(candidates, best_head))  # validation scores: what chose it
model, sidecar = artifacts.load_artifact(path)
print(predict.about(path, sidecar))
# the first test clip of the fixed split of each genre that has one, for the first study.DEMO_CLIPS genres
examples = study.demo_clips(tracks)
shown = predict.classify(examples["path"].tolist(), model, sidecar)
print(predict.beside_truth(shown, examples["genre"]).to_string(index=False))

# %% [markdown]
# Listen to test clips that the default model gets wrong (from its record's test predictions: the
# most frequent confusions first, one clip each, among the clips whose audio is here). Would you
# have hesitated between the same two genres?

# %%
plots.mistaken_excerpts(record["extra"]["test_clips"], tracks, n=3)

# %% [markdown]
# What section 4's candidates added, and where the default stands against published results on
# this split (generated from the records above):

# %%
display(Markdown(study.candidates_reading(candidates, record, resamples=cfg.profile.ci_resamples, seed=cfg.seed)))

# %% [markdown]
# ## What we learned
#
# Written from the results records of this run (`helpers.models.transfer.reading`).

# %%
display(Markdown(transfer.reading(records + head_results + candidates.records, everything, parity, HEADLINE, record)))

# %% [markdown]
# ## Try it yourself
#
# 1. **Read a taggram.** Compute MSD-musicnn's windows for one clip per genre and print each
#    clip's three most probable tags:
#
#    ```python
#    import pandas as pd
#    found = pretrained.window_values(tracks.groupby("genre").head(1), "msd-musicnn")
#    tags = pretrained.checkpoint("msd-musicnn").tags
#    for row, values in zip(found.table.itertuples(), found.values):
#        print(row.genre, list(pd.Series(values["taggram"].mean(0), tags).nlargest(3).index))
#    ```
#
#    <details><summary>Hint</summary>
#
#    Print `tags`: MSD's 50 tags include genre words (rock, pop, jazz, metal, blues, Hip-Hop,
#    country) but none for classical, disco or reggae. For those genres a classifier has to read
#    the genre from other tags (instrumental, dance, ...), which is why the taggram is a strong
#    input but not a genre prediction for every genre.
#
#    </details>
#
# 2. **Another model's mistakes.** Every head record (section 3), the fine-tuned record and the
#    candidates of section 4 keep their test predictions per clip (`extra["test_clips"]`); the
#    embedding records of section 2 do not. Listen to the fine-tuned model's mistakes:
#    `plots.mistaken_excerpts(best_head.record["extra"]["test_clips"], tracks, n=5)`.
#
#    <details><summary>Hint</summary>
#
#    Compare its confusions with the default model's above and with the confusion matrix of
#    section 6. Confusions that every model makes (a pair of genres that share instruments or
#    tempo) point at the data rather than at one model.
#
#    </details>
#
# 3. **Your own music.** From a shell: `python -m helpers.predict --about` prints the default
#    model's card, and `python -m helpers.predict my_song.mp3` classifies a file.
#
#    <details><summary>Hint</summary>
#
#    The default is found in `models/`, else in the newest `runs/*/models/`. A model trained on
#    the synthetic set or in the smoke profile is never a default: name it explicitly (the
#    `path` printed in section 8) as the first argument. Read the card's "what it cannot do"
#    before trusting its answer on music far from GTZAN.
#
#    </details>
#
# 4. **Fewer windows per clip.** Classify a folder with one window in three:
#    `python -m helpers.library classify MUSIC_DIR --catalog my_music.parquet --hop-seconds 3`.
#
#    <details><summary>Hint</summary>
#
#    A 3-s hop runs the network on a third of the windows of a 1-s hop. Section 4's *mean, 3-s hop*
#    candidate measures what it costs in accuracy on the same test clips; compare its row with
#    the mean of heads.
#
#    </details>
