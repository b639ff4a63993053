# %% [markdown]
# # 03 · Handcrafted features and classical models
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mgc-reports/music-genre-classification/blob/main/notebooks/03_features_ml.ipynb)
#
# The seed report's strongest line of work: models on the 57 Kaggle GTZAN features (mean and
# variance of chroma, RMS, spectral centroid, bandwidth, roll-off, zero-crossing rate, harmonic
# and percussive parts, tempo and 20 MFCCs). It found a tuned XGBoost (79 % on a random 80/20
# split) ahead of its spectrogram CNNs.
#
# 1. **Faithful features**: this repository's extraction against the Kaggle CSV.
# 2. **Models x protocols**: KNN, random forest, XGBoost (defaults and the seed's tuned
#    parameters), RBF SVM and the seed's dense network, each under the seed's random 80/20
#    split, 5-fold cross-validation and the fault-filtered artist-conditional split, with 95 %
#    bootstrap intervals; and an LSTM over per-frame features of the audio.
# 3. **Studies**: the tuned XGBoost refit on bootstrap resamples of its training set, and a
#    training-size curve.

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
from helpers import config, data, evaluate, features, models, plots, prepare, training

cfg = config.setup(PROFILE, DATASET)
LABEL = cfg.dataset.label
layout = data.discover(cfg.dataset.root)
tracks = data.limit_per_genre(data.readable(data.load_tracks(layout)), cfg.profile.max_clips_per_genre)
reference = data.features_table(layout)  # the Kaggle CSV, when the dataset has one
print(f"{len(tracks)} readable audio clips; features CSV: {'absent' if reference is None else f'{len(reference)} rows'}")

# %% [markdown]
# ## 1. Our features against the Kaggle CSV
#
# `helpers.features` computes one STFT per clip and derives every spectral feature from it,
# runs the HPSS median filters as SciPy's 1-D median row by row, and reads the tempo from
# the median-aggregated onset envelope, as `librosa.beat.beat_track` (used for the CSV) does.
# `benchmarks/features_speed.py` times it against one librosa call per feature on the same clips.
#
# The scale of the comparison: for each feature, the median absolute difference between our value
# and the CSV's, divided by that feature's standard deviation over all CSV rows (a scale that
# also works for features whose mean is near zero, such as `harmony_mean`). Target: at most 2 %.
# Lossless clips (flac) measure the code; lossy clips (ogg) add the codec's own error.

# %%
lossless = tracks[tracks["format"].isin(["flac", "wav", "au"])]
if reference is None or lossless.empty:
    print("No features CSV or no lossless audio here: the parity check needs both.")
else:
    extracted = features.extract(lossless, jobs=cfg.jobs)
    ours = extracted.table
    for failure in extracted.skipped:
        print(f"skipped: {failure}")
    if extracted.too_short:
        print(f"too short, no row: {', '.join(extracted.too_short)}")
    parity = features.parity(ours, reference)
    worst = parity.table["median |deviation| / std"]
    print(f"{LABEL}, {len(ours)} lossless clips: worst feature {worst.idxmax()} at {worst.max():.2%} of its std; "
          f"tempo within 1 % on {parity.tempo_within_1pct:.0%} of clips")
    fig = plots.parity_bars(parity.table, f"{LABEL}, {len(ours)} lossless clips: our features vs features_30_sec.csv")
    plots.save(fig, cfg.figures_dir, "03_feature_parity_lossless")

# %%
lossy = tracks[tracks["format"].isin(["ogg", "mp3"])]
if reference is not None and len(lossy):
    extracted = features.extract(lossy, jobs=cfg.jobs)
    for failure in extracted.skipped:
        print(f"skipped: {failure}")
    if extracted.too_short:
        print(f"too short, no row: {', '.join(extracted.too_short)}")
    lossy_parity = features.parity(extracted.table, reference)
    column = lossy_parity.table["median |deviation| / std"]
    print(f"{LABEL}, {len(lossy)} lossy clips ({', '.join(sorted(lossy['format'].unique()))}): median over features {column.median():.2%} of std, worst {column.idxmax()} "
          f"{column.max():.2%}; tempo within 1 % on {lossy_parity.tempo_within_1pct:.0%}")
    display(column.sort_values(ascending=False).head(8).to_frame("lossy: median |dev.| / std").round(4))

# %% [markdown]
# ## 2. The table the models learn from
#
# With GTZAN, the models use the full Kaggle CSV (all 1000 clips: the audio available here is
# partial) so that the numbers compare with the seed report; without it, they use the features
# this repository extracts from the audio.

# %%
if reference is not None:
    table, representation = data.limit_per_genre(reference, cfg.profile.max_clips_per_genre), "features_30_sec.csv"
else:
    extracted = features.extract(tracks, jobs=cfg.jobs)
    table, representation = data.attach_fixed_split(extracted.table, tracks), "features extracted by helpers.features"
    for failure in extracted.skipped:
        print(f"skipped: {failure}")
# The dataset's own split (GTZAN: fault-filtered; FMA-small: official), when it has one.
FIXED = cfg.dataset.fixed_split_name
protocols = ["random-80/20", "5-fold-cv"] + ([FIXED] if FIXED else [])
print(f"{LABEL}: {len(table)} clips x {len(features.FEATURE_COLUMNS)} features ({representation}); protocols: {', '.join(protocols)}")

# %% [markdown]
# ## 3. Every model under every protocol
#
# Scaling is part of each model's pipeline, so it is fit on training clips only. Under the
# fault-filtered protocol the models train on its train and validation lists together (none of
# these models is tuned on validation data here) and are tested on its test list.

# %%
records, predictions = [], {}
for protocol in protocols:
    for name in models.FEATURE_MODELS:
        record, predicted = training.run_protocol(
            table, features.FEATURE_COLUMNS, name, protocol, experiment="features_ml", dataset=cfg.dataset.name,
            representation=representation, seed=cfg.seed, jobs=cfg.jobs, params=cfg.profile.model_params.get(name),
            resamples=cfg.profile.ci_resamples)
        evaluate.save(record, cfg.results_dir)
        records.append(record)
        predictions[name, protocol] = predicted
        print(f"{protocol:15s} {name:14s} accuracy {record['metrics']['accuracy']['value']:.3f}  ({record['train_seconds']:.1f} s)")

# %%
print(f"{LABEL}, {representation}: test accuracy [95 % bootstrap interval]")
display(evaluate.side_by_side(records))
fig = plots.accuracy_by_protocol(records, f"{LABEL}, {representation}: accuracy by model and split protocol")
plots.save(fig, cfg.figures_dir, "03_accuracy_by_protocol")

# %%
evaluate.summary_table(records).round(3)

# %% [markdown]
# ### The gap between protocols
#
# The random split and cross-validation put clips of the same artist (and GTZAN's repeated
# clips) on both sides; the fault-filtered split does not. The drop from the first two columns
# to the last is the share of the random-split accuracy that came from recognising artists and
# recordings rather than genres.

# %%
import pandas as pd

accuracy = evaluate.metric_matrix(records)
if FIXED in accuracy:
    gap = (accuracy["random-80/20"] - accuracy[FIXED]).rename(f"random minus {FIXED}")
    display(pd.concat([accuracy, gap], axis=1).round(3))
else:
    display(accuracy.round(3))

# %% [markdown]
# ### Confusions of the best model
#
# The model with the best random-split accuracy, under the random split and under the fault-filtered split.

# %%
best = max((r for r in records if r["protocol"] == "random-80/20"), key=lambda r: r["metrics"]["accuracy"]["value"])["model"]
for record in (r for r in records if r["model"] == best and r["protocol"] != "5-fold-cv"):
    fig = plots.confusion(record, f"{LABEL}, {record['protocol']}: {best} (accuracy {record['metrics']['accuracy']['value']:.3f}, n={record['sizes']['test']})")
    plots.save(fig, cfg.figures_dir, f"03_confusion_{best}_{record['protocol'].replace('/', '-')}")
    recall = pd.Series({g: v["recall"] for g, v in record["per_genre"].items()})
    print(f"{record['protocol']}: best recalled {recall.idxmax()} ({recall.max():.2f}), worst {recall.idxmin()} ({recall.min():.2f})")

# %% [markdown]
# ### Against the seed report
#
# The seed report's numbers, as it reported them (random 80/20 split), beside ours on the same
# protocol. Our interval covers the sampling of *this* test set only; the seed report used
# another random split, and which clips land in a 200-clip test set moves accuracy by several
# points on its own. The 5-fold column (every clip tested once) is the steadier estimate of the
# same protocol, and the last column says whether the seed's number lies within our interval.

# %%
seed_report = {"xgboost-tuned": 0.79, "xgboost": 0.775, "random-forest": 0.755, "dense-net": 0.755, "knn": 0.645}
ours_random = {r["model"]: r["metrics"]["accuracy"] for r in records if r["protocol"] == "random-80/20"}
pd.DataFrame({
    "seed report (quoted)": seed_report,
    f"ours, random 80/20 ({cfg.dataset.name})": {m: v["value"] for m, v in ours_random.items()},
    "95% CI": {m: f"{v['ci_low']:.3f}-{v['ci_high']:.3f}" for m, v in ours_random.items()},
    "ours, 5-fold CV": accuracy.get("5-fold-cv"),
    "seed within our CI": {m: v["ci_low"] <= seed_report[m] <= v["ci_high"] for m, v in ours_random.items() if m in seed_report},
}).round(3)

# %% [markdown]
# ### An LSTM over per-frame features
#
# The seed report also trained an LSTM (54 %). A recurrent model needs the features frame by
# frame, which the CSV does not have, so it runs on the audio present here: 20 MFCCs, 12 chroma
# bins, centroid, bandwidth, roll-off, zero-crossing rate and RMS per 23-ms frame, averaged over
# 8 frames (one step per 0.19 s). With the partial development audio this is a smaller and
# unbalanced dataset: compare it with the models above only through its own intervals.

# %%
frames = features.sequences(tracks, pool=prepare.SEQUENCE_POOL, jobs=cfg.jobs)
X_seq, seq_rows = frames.X, data.attach_fixed_split(frames.rows, tracks)
for failure in frames.skipped:
    print(f"skipped: {failure}")
if frames.too_short:
    print(f"too short, no row: {', '.join(frames.too_short)}")
print(f"{LABEL}: {X_seq.shape[0]} clips x {X_seq.shape[1]} steps x {X_seq.shape[2]} features; per genre: "
      + ", ".join(f"{g} {n}" for g, n in seq_rows["genre"].value_counts().sort_index().items()))
lstm_records = []
for protocol in [p for p in protocols if p != "5-fold-cv"]:
    record, _ = training.run_protocol(seq_rows, [], "lstm", protocol, experiment="features_ml", dataset=cfg.dataset.name,
                                      representation="per-frame feature sequences from audio", seed=cfg.seed,
                                      params=cfg.profile.model_params.get("lstm"),
                                      resamples=cfg.profile.ci_resamples, X=X_seq)
    evaluate.save(record, cfg.results_dir)
    lstm_records.append(record)
evaluate.summary_table(lstm_records).round(3)

# %% [markdown]
# ## 4. Bootstrap study: how much does the training sample matter?
#
# As in the seed report: the tuned XGBoost refit on bootstrap resamples of the random split's
# training set (drawn with replacement), each scored on the same test set.

# %%
random_split = training.protocol_split(table, "random-80/20", seed=cfg.seed)
study = training.bootstrap_retrain(table, features.FEATURE_COLUMNS, random_split, "xgboost-tuned",
                                   resamples=cfg.profile.retrain_resamples, seed=cfg.seed, jobs=cfg.jobs,
                                   params=cfg.profile.model_params.get("xgboost-tuned"))
study.to_csv(cfg.results_dir / "features_ml" / f"{cfg.dataset.name}__bootstrap_retrain.csv", index=False)
fig = plots.bootstrap_box(study, f"{LABEL}, random 80/20: tuned XGBoost refit on {len(study)} bootstrap resamples")
plots.save(fig, cfg.figures_dir, "03_bootstrap_retrain")
study[["accuracy", "macro_f1"]].describe(percentiles=[0.025, 0.5, 0.975]).round(3)

# %% [markdown]
# ## 5. Training-size curve
#
# The tuned XGBoost trained on stratified subsets of the random split's training set (9 sizes
# from 10 % to 100 %), scored on the same test set. The band combines the spread over subsets
# with the test-set bootstrap interval.

# %%
curve = training.training_size_curve(table, features.FEATURE_COLUMNS, random_split, "xgboost-tuned",
                                     repeats=cfg.profile.curve_repeats, seed=cfg.seed, jobs=cfg.jobs,
                                     params=cfg.profile.model_params.get("xgboost-tuned"), resamples=cfg.profile.ci_resamples)
curve.to_csv(cfg.results_dir / "features_ml" / f"{cfg.dataset.name}__training_size.csv", index=False)
fig = plots.learning_curve(curve, f"{LABEL}, random 80/20: tuned XGBoost test accuracy by training size")
plots.save(fig, cfg.figures_dir, "03_training_size")
curve.round(3)

# %% [markdown]
# ## Reading the results
#
# * The features are the Kaggle ones to within a fraction of a percent of their spread, so the
#   models here and the seed report's start from the same table.
# * On the random split and in cross-validation the models sit close together, and their
#   intervals overlap: with 200 test clips, differences of a few points are not evidence.
# * The fault-filtered split is the honest number. Every model loses a large share of its
#   random-split accuracy there: that share came from artists and repeated clips seen in
#   training, not from genre.
# * The bootstrap box shows how much one training sample moves the score, and the size curve
#   whether more data of the same kind would still help (a curve still rising at 100 %).
