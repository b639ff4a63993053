# %% [markdown]
# # 08 · Waveform and fusion networks: NNET1, NNET2, MixNet and late fusion, tuned with Optuna
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mgc-reports/music-genre-classification/blob/main/notebooks/08_waveform_fusion.ipynb)
#
# Two seed reports trained networks that read the audio more directly than a spectrogram PNG.
# The FMA report (FMA-small, 8 genres) built **NNET1**, a 1D CNN on the raw samples, **NNET2**, a
# small residual 2D CNN on MFCC or log-mel frames, and **MixNet**, both trained encoders side by side
# under a new classifier; it trained on random 6-s crops drawn anew every epoch, tested on the crop
# that starts at the middle of each track, and searched the learning rate and weight decay with
# Optuna. The slides report (GTZAN) fused two ResNet18 encoders, one on the mel-spectrogram image and
# one on an image of the waveform, and found no significant difference from the spectrogram network alone.
#
# Splits are decided per track: the dataset's fixed split (GTZAN: fault-filtered; FMA: official)
# and the seeds' random 70/10/20. A test asserts that no training crop comes from a validation or test track.
#
# ## What you will learn
#
# 1. how a **crop** differs from a segment: one random window per track and epoch, so an epoch sees
#    every training track once, in a new place each time (`helpers.models.crops`);
# 2. what each network reads (`helpers.models.waveform_nets`), and how late fusion is compared
#    with its own baseline on the same tracks;
# 3. how **Optuna** searches hyperparameters: a seeded TPE sampler, a median pruner that stops a
#    trial whose validation loss falls behind, and a study kept in a SQLite file, so that a study
#    interrupted resumes, and several processes or machines can share one (`helpers.models.optuna_search`);
# 4. when a difference between two networks is a finding: only when it holds over several
#    training seeds on the same test tracks (`helpers.results.comparisons`).

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
# **Parameters.** `run_all.sh` and papermill override this cell; see `helpers/config.py` (`WAVEFORM`) for what each profile sets.

# %% tags=["parameters"]
PROFILE = None  # "smoke" | "report" | "paper"; None reads $MGC_PROFILE (default "report")
DATASET = None  # a dataset folder (GTZAN, FMA-small, genre folders) or "synthetic"; None: $MGC_DATASET, $GTZAN_DIR, data/gtzan or synthetic

# %%
import pandas as pd
from IPython.display import Markdown, display

from helpers import config, data, plots
from helpers.data import audio
from helpers.models import networks, optuna_search
from helpers.results import seed_reports
from helpers.studies import waveform_fusion as study

cfg = config.setup(PROFILE, DATASET)
W = cfg.profile.waveform
WAV2VEC2 = study.wav2vec2_weights(W)  # section 7 runs only with real weights: this line says which, or why none
pd.set_option("display.max_colwidth", 80)

# %%
layout = data.discover(cfg.dataset.root)
tracks = data.limit_per_genre(data.readable(data.load_tracks(layout)), cfg.profile.max_clips_per_genre)
subset = data.balanced_subset(tracks, cfg.dataset.name, cfg.dataset.label)
TRACKS, NAME, LABEL = subset if subset is not None else (tracks, cfg.dataset.name, cfg.dataset.label)
FIXED = cfg.dataset.fixed_split_name
PROTOCOLS = ([FIXED] if FIXED else []) + ["random-70/10/20"]
CROP = study.recipe(W, audio.DEFAULT_SAMPLE_RATE)
found = study.study_data(TRACKS, PROTOCOLS, sample_rate=CROP.sample_rate, seed=cfg.seed, cache_dir=cfg.cache_for("waveforms"))
HONEST = study.honest_protocol(found, FIXED)
print(f"{LABEL}: {len(found.tracks)} tracks decoded at {CROP.sample_rate} Hz; {len(found.failed)} could not be decoded"
      + (": " + "; ".join(found.failed) if found.failed else ""))
print(f"crops of {CROP.length} samples ({CROP.seconds:.2f} s); at most {W['epochs']} epochs, patience {W['patience']} on the "
      f"validation loss; {W['trials']} Optuna trials per study; {W['seeds']} training seeds for {', '.join(W['seeded_runs'])}")
print(f"{LABEL}: tracks per part of each split (splits decided per track)")
display(study.split_sizes(found))

# %% [markdown]
# ## 1. What the networks read
#
# From one crop: NNET1 reads the samples themselves; NNET2 reads MFCC or log-mel frames
# (2048-sample frames at 44.1 kHz with half-frame hops, scaled to the rate read, so the report's
# 5.94-s crop, 2^18 samples at 44.1 kHz, gives its 256 frames), standardised with statistics of the training tracks; late fusion
# reads the seed's mel image and the waveform drawn as an image (`helpers.models.crops.waveform_image`:
# time left to right, each column lit between its lowest and highest sample, scaled to the crop's peak).
# Look at how little of the waveform image changes from column to column: it shows loudness over time, not pitch.
#
# **Raw waveforms and fusion.** A raw-waveform network such as NNET1 slides 1-D convolutions
# along the samples themselves. Its first layers learn their own filterbank, where a spectrogram
# network is handed a fixed one (the mel bands); that freedom costs data and compute, since each
# second holds many more values than a spectrogram's frames and the network must find the
# frequency structure itself. *Fusion* combines networks that read different inputs. Its
# simplest form, often called late fusion, averages the genre probabilities of separately trained
# networks; the slides' late fusion run here joins a little earlier: the two ResNet18 encoders'
# pooled features are concatenated under one head and trained together. By that definition it is
# feature-level (intermediate) fusion; the name `late-fusion` follows the seed report's slides.
# MixNet joins the encoders of NNET1 and NNET2 the same way, but starts from their trained weights.

# %%
first = found.splits[HONEST].query("split == 'test'")["track_id"].iloc[0]
views = study.crop_views(found, first, CROP)
fig = plots.array_grid([v for _, v in views], [n for n, _ in views], f"{LABEL}: {first} (a test track of {HONEST}), mid-track "
                       f"crop of {CROP.seconds:.2f} s, what each network reads", columns=4)
plots.save(fig, cfg.figures_dir, "08_inputs")

# %% [markdown]
# ## 2. The seeds' numbers
#
# The FMA report's test results on FMA-small's official split (`helpers.results.seed_reports`).
# They are quoted, not compared: its dataset, crop rate and tuning budget differ from this run's.
# The reading checks only its ranking (MixNet above NNET2 above NNET1) against ours.

# %%
display(seed_reports.report_metrics("FMA report"))

# %% [markdown]
# ## 3. Training every network under both splits
#
# NNET1 and NNET2 on MFCC are tuned with Optuna on each split's validation tracks; the best trial is
# the run. NNET2 on log-mel takes NNET2-on-MFCC's best parameters; MixNet starts from that split's
# two trained encoders and trains only its classifier; the two ResNet18 networks train from scratch.
# Look at the test loss column beside accuracy (the report's table has both) and at runs marked failed.
# The *test loss* is the mean cross-entropy on the test tracks' mid-track crops: minus the log of
# the probability the network gave the true genre, averaged over the test tracks; lower is better,
# and unlike accuracy it also counts how sure a right or wrong answer was.
#
# Each training prints a progress line that shows the *last* epoch trained, while the record and
# the table keep the epoch restored by early stopping (the one with the lowest validation loss;
# the `epochs (best)` column gives both). So a run whose progress line shows a decent accuracy can
# still be reported as "did not learn": the verdict is made on the restored epoch.

# %%
storage = optuna_search.default_storage(study.study_file(cfg.results_dir, NAME, cfg.profile.name))
runs = study.run_study(found, CROP, W, dataset=NAME, honest=HONEST, storage=storage, seed=cfg.seed,
                       resamples=cfg.profile.ci_resamples, results_dir=cfg.results_dir, profile=cfg.profile.name)
baselines = networks.majority_baselines(found.tracks, list(found.splits), experiment=study.EXPERIMENT, dataset=NAME,
                                        representation="track genres", seed=cfg.seed, resamples=cfg.profile.ci_resamples,
                                        results_dir=cfg.results_dir, profile=cfg.profile.name)
records = list(baselines.values()) + [r.record for protocol in runs.main.values() for r in protocol.values()]
print(f"wrote {len(records) + sum(len(r) - 1 for r in runs.seeded.values())} results records to "
      f"{config.display_path(cfg.results_dir / study.EXPERIMENT)}; {LABEL}, first training seed ({cfg.seed}):")
display(study.seed_style_table(records))

# %% [markdown]
# ## 4. The Optuna searches
#
# Every trial of every study: its validation loss (lower is better), its parameters and what
# became of it (`PRUNED`: stopped by the median rule). With few trials the sampler is still in its
# random start-up, so this is a seeded random search; the paper profile runs 30 trials per study.
# A `PRUNED` trial's validation loss is the one of the epoch where it was stopped, earlier than a
# completed trial's, so it does not compare with the completed trials' losses.
# The two figures are Optuna's own, for NNET2 on MFCC under the honest split. The importance panel
# needs several completed trials: with fewer than two it is a placeholder that says so, and with
# a handful its importances are rough.

# %%
print(f"{LABEL}: every Optuna trial (validation loss on each split's validation tracks)")
display(study.optuna_table(runs.searches, found))
searched = runs.searches[("nnet2-mfcc", HONEST)]
TRIALS = f"{len(searched.trials)} trials, {study.part_sizes(found, HONEST)}"
fig = optuna_search.history_figure(searched.study, f"{LABEL}, {HONEST}: nnet2-mfcc, validation loss of each trial ({TRIALS})")
plots.save(fig, cfg.figures_dir, "08_optuna_history")
fig = optuna_search.importance_figure(searched.study, f"{LABEL}, {HONEST}: nnet2-mfcc, parameter importances ({TRIALS})",
                                      seed=cfg.seed)
plots.save(fig, cfg.figures_dir, "08_optuna_importance")

# %% [markdown]
# ## 5. Learning curves and confusions
#
# Training (solid, on random crops, augmented for NNET1, NNET2 and MixNet) and validation (dashed,
# on mid-track crops) per epoch under the honest split; the dot marks the epoch whose weights were kept. Then the confusion matrix
# of the run with the lowest validation loss. Look for a validation curve that never leaves chance.

# %%
fig = plots.training_curves(study.histories(runs.main[HONEST]), f"{LABEL}, {HONEST} ({study.part_sizes(found, HONEST)}): "
                            "every network, per epoch")
plots.save(fig, cfg.figures_dir, "08_training_curves")
chosen = min((r.record for r in runs.main[HONEST].values()), key=lambda r: r["extra"]["valid_loss"])
fig = plots.confusion(chosen)
plots.save(fig, cfg.figures_dir, "08_best_confusion")

# %% [markdown]
# ## 6. Over training seeds
#
# The profile's seeded runs trained again with further seeds on the honest split, all tested on the
# same tracks. A difference is a finding only when it keeps its sign in every seed and its interval
# (resampling the test tracks, each track's correctness averaged over the seeds) excludes zero.
# A model that failed in any seed is not compared (the verdict says so): its mean and interval
# are not a result.

# %%
print(f"{LABEL}: test accuracy per training seed, and each pair's difference on the same test tracks")
display(study.seed_accuracies(runs))
display(study.seeded_table(runs, cfg.profile.ci_resamples, cfg.seed))

# %% [markdown]
# ## 7. Wav2Vec2: a network pretrained on speech, on raw 16-kHz audio
#
# The features report also ran Facebook's Wav2Vec2-base: frozen, its features fed a small head
# (dense 128, dropout 0.3, softmax; Adam at 1e-3 for 10 epochs), and fine-tuned as a whole. Here the
# encoder is this repository's Keras 3 port (`helpers.models.wav2vec2`, checked against the reference
# implementation by `python -m helpers.models.wav2vec2 compare`), and the weights come from the
# Hugging Face Hub or a folder named in `$MGC_WAV2VEC2`. Without them nothing is trained: a randomly
# initialised Wav2Vec2 is not the report's model. The frozen runs embed each clip, or the excerpt the
# profile names (a hidden state averaged over time); fine-tuning, where the profile runs it, trains on
# random crops and stops early on the validation tracks (`helpers.models.wav2vec2_transfer`). The
# next line says what this profile does. The first output line of this notebook says where the weights came from.

# %%
print(study.wav2vec2_plan(W))
w2v_records = study.wav2vec2_runs(found, WAV2VEC2, W, dataset=NAME, seed=cfg.seed, resamples=cfg.profile.ci_resamples,
                                  results_dir=cfg.results_dir, profile=cfg.profile.name, cache_dir=cfg.cache_for("waveforms"))
if w2v_records:
    display(study.wav2vec2_seed_rows())
    display(study.seed_style_table(w2v_records))
else:
    print(f"no Wav2Vec2 runs and no records: {WAV2VEC2.message}")

# %% [markdown]
# ## What we learned
#
# Generated from the records above (`results/waveform_fusion/`).

# %%
display(Markdown(study.reading(runs, baselines, HONEST, LABEL, cfg.profile.ci_resamples, cfg.seed)))

# %% [markdown]
# ## Try it yourself
#
# 1. Run the notebook on FMA-small (`./run_all.sh --only 08 --dataset data/fma` after
#    `python -m helpers.data download fma-small --dest data/fma`): the official split, 8 genres.
#    The download needs a network connection (FMA-small is several gigabytes). Offline, try the
#    same pipeline on the embedded synthetic dataset first:
#    `./run_all.sh --only 08 --dataset synthetic --profile smoke` (minutes; it has no fixed split,
#    and synthetic results say nothing about music).
#
#    <details><summary>Hint</summary>
#
#    This is the FMA report's own dataset and split, so section 2's quoted numbers are the closest
#    comparison this repository can make (its crop rate and tuning budget still differ). Check
#    whether the reading finds the report's ranking: MixNet above NNET2 above NNET1.
#
#    </details>
#
# 2. Share one Optuna study between two terminals: set `MGC_OPTUNA_STORAGE=sqlite:///$PWD/optuna.sqlite3`
#    in both and run the notebook in each; the study stops at its number of trials, whoever ran them.
#
#    <details><summary>Hint</summary>
#
#    Each process asks the shared study for its next trial, so the trials are divided between
#    them; section 4's table lists them all with their state. A study's name carries a digest of
#    the crop, the settings and the tracks (`helpers.studies.waveform_fusion.study_name`), so both
#    runs must use the same dataset and profile to share one.
#
#    </details>
#
# 3. Train MixNet with its encoders unfrozen: set `W["model_params"]["mixnet"] = dict(train_encoders=True)`
#    after the set-up cell and run section 3 again. Its records are kept apart from the frozen ones
#    (`variant` `trained-encoders`); is one run enough to say which is better?
#
#    <details><summary>Hint</summary>
#
#    No. Section 6 reads a difference as a finding only when it keeps its sign in every training
#    seed and its paired interval over the same test tracks excludes zero. One run per variant
#    gives one seed; the paper profile includes MixNet in its `seeded_runs`.
#
#    </details>
#
# 4. Listen to the mistakes of the run whose confusion matrix section 5 shows:
#    `plots.mistaken_excerpts(chosen["extra"]["test_clips"], TRACKS, n=3)`.
#
#    <details><summary>Hint</summary>
#
#    An excerpt is a few seconds of the clip, not the exact crop the networks were tested on (the
#    one that starts at the middle of the track). Is each mistake one a listener could make (two
#    genres that share instruments or tempo), or one a listener would not make?
#
#    </details>
