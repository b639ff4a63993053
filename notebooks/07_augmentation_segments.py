# %% [markdown]
# # 07 · Augmentation, segment length and leakage: the seeds' data-side experiments, on honest splits
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mgc-reports/music-genre-classification/blob/main/notebooks/07_augmentation_segments.ipynb)
#
# Three seed reports changed the *data* rather than the network. One multiplied its training set
# six-fold with time stretching (two factors slower, two faster: `helpers.inputs.augment.STRETCH_FACTORS`) and a 5-s
# circular shift; one cut every
# 30-s clip into 3-, 5- or 10-s segments and found the shorter ones better for ResNet18; one added
# gaussian noise and a silenced band to waveforms and masked bands of spectrograms. Some of those
# splits put segments or augmented copies of one clip on both sides of the split. This notebook:
#
# 1. **shows the copies** (made with `audiomentations`, cached per clip) and the masks;
# 2. **measures leakage**: the same network under the seeds' segment-level random split, a
#    clip-level random split and the fault-filtered split, and with augmentation before versus
#    after the split; intervals resample whole clips (a clip's segments are not independent);
# 3. **measures augmentation** on the honest split, paired on the same test clips (each
#    comparison is one training run per condition, so not yet a finding, unless it is repeated
#    over training seeds: exercise 3);
# 4. **measures segment length** (3, 5, 10 s) with the base CNN, ResNet18 and the head on the
#    music-pretrained network (MSD-musicnn), per segment and per clip (mean of segment probabilities).
#
# Main evidence: the balanced real subset (the genres with the most clips); second view: every
# genre. Splits are decided per clip; a test asserts that no validation or test clip, nor a copy
# of one, is trained on, except in the two leaky conditions that exist to measure it.
#
# ## What you will learn
#
# * **Augmentation**: training on altered copies (slower, faster, shifted, noisier, with masked
#   bands) so that a network learns what stays the same across them; only training clips may be
#   copied.
# * **Leakage**: when segments or copies of one clip land on both sides of a split, the test
#   set holds near-duplicates of training data and the score measures memory, not
#   generalisation. Splitting clips first, then cutting and copying, prevents it.
# * **Paired comparisons**: two runs scored on the same test clips are compared clip by clip;
#   one training run per condition is not yet a finding, whatever its interval.

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
# **Parameters.** `run_all.sh` and papermill override this cell; see `helpers/config.py` (`STUDY`) for what each profile sets.

# %% tags=["parameters"]
PROFILE = None  # "smoke" | "report" | "paper"; None reads $MGC_PROFILE (default "report")
DATASET = None  # a dataset folder (GTZAN, FMA-small, genre folders) or "synthetic"; None: $MGC_DATASET, $GTZAN_DIR, data/gtzan or synthetic

# %%
import pandas as pd
from IPython.display import Markdown, display

from helpers import config, data, plots
from helpers.models import networks
from helpers.results import seed_reports
from helpers.studies import augmentation_segments as study

cfg = config.setup(PROFILE, DATASET)
pd.set_option("display.max_colwidth", 120)  # the seed reports' notes and the failure reasons in full
S = cfg.profile.study

# %%
layout = data.discover(cfg.dataset.root)
tracks = data.limit_per_genre(data.readable(data.load_tracks(layout)), cfg.profile.max_clips_per_genre)
FIXED = cfg.dataset.fixed_split_name
subset = data.balanced_subset(tracks, cfg.dataset.name, cfg.dataset.label)
MAIN_TRACKS, MAIN, MAIN_LABEL = subset if subset is not None else (tracks, cfg.dataset.name, cfg.dataset.label)
CACHE = cfg.cache_for("network-inputs")
# What every run of every study shares: the seed, the intervals' resamples, where records go, the dataset's fixed split.
RUN = dict(seed=cfg.seed, resamples=cfg.profile.ci_resamples, results_dir=cfg.results_dir, profile=cfg.profile.name, fixed_protocol=FIXED)
print(f"main evidence: {MAIN_LABEL}: {len(MAIN_TRACKS)} clips; second view: {cfg.dataset.label}: {len(tracks)} readable clips "
      f"({', '.join(f'{g} {n}' for g, n in tracks['genre'].value_counts().sort_index().items())})")
print(f"honest split: {FIXED or 'random 70/10/20 by clip (no fixed split in this dataset)'}; segments per clip: "
      f"{S['per_clip'] or 'all'} (leakage and segment studies), {S['augment_per_clip'] or 'all'} per copy (augmentation runs); "
      f"at most {S['epochs']} epochs, patience {S['patience']} on validation loss")

# %% [markdown]
# ## 1. The copies and the masks
#
# The six-fold set keeps the original and adds four time stretches (tempo changes, pitch kept,
# the clip gets longer or shorter) and a 5-s circular shift; the noise-and-mask copies add quiet
# gaussian noise and silence 10 % to 15 % of the clip, each half of the time (`helpers.inputs.augment.NOISE`,
# `helpers.inputs.augment.TIME_MASK`); spectrogram masks zero a band of frames and a band of mel bands in each
# training batch (`helpers.inputs.augment.SPEC_MASKS`). Look at the first 3-s segment of one clip under each.

# %%
inputs = study.study_inputs(MAIN_TRACKS, S, seed=cfg.seed, cache_dir=CACHE, jobs=cfg.jobs)
failed = inputs.failed
print(f"{len(failed)} clip(s) could not be decoded and are left out" + (": " + "; ".join(failed) if failed else ""))
first = MAIN_TRACKS["track_id"].iloc[0]
shown = study.first_segments(inputs, first, seed=cfg.seed)
fig = plots.array_grid([a for _, a in shown], [n for n, _ in shown], f"{MAIN_LABEL}: {first}, first 3-s segment of each copy "
                       f"(log-mel, 64 bands)", columns=4, low_first=True)
plots.save(fig, cfg.figures_dir, "07_copies")

# %% [markdown]
# ## 2. Leakage: what the seeds' splits add
#
# The same base CNN on 3-s segments under each split condition of the table below. *Segment-random* splits segments, so a
# test segment's neighbours from the same clip are in training; *augment-before-split* copies every
# clip and splits the copies, so a test copy's siblings are in training. Both are compared with
# their honest twin (clips split first). Segment accuracy is the one score every condition has; its
# interval resamples whole clips. In a leaky row a clip counts on both sides of the split (some of
# its segments or copies train, others are tested), so its test clips are not unseen clips. Look
# at the distance between each leaky point and its twin.

# %%
leakage = study.leakage_runs(inputs, S, dataset=MAIN, model_params=cfg.profile.model_params, **RUN)
baselines = networks.majority_baselines(inputs.originals[study.SECONDS].table, ["random-70/10/20"] + ([FIXED] if FIXED else []),
                                        experiment=study.EXPERIMENT, dataset=MAIN, representation=study.LOG_MEL, seed=cfg.seed,
                                        resamples=cfg.profile.ci_resamples, results_dir=cfg.results_dir, profile=cfg.profile.name)
display(study.study_table([*baselines.values(), *leakage.values()], cfg.profile.ci_resamples))

# %%
MAJORITY = baselines["random-70/10/20"]["metrics"]["accuracy"]["value"]
rows = study.figure_rows(list(leakage.values()), "segment", label=study.leakage_label, resamples=cfg.profile.ci_resamples)
fig = plots.interval_rows(rows, f"{MAIN_LABEL}: base CNN, test segment accuracy by split condition (95 % intervals over clips)",
                          "segment accuracy", reference=MAJORITY, reference_label="majority baseline (random split)")
plots.save(fig, cfg.figures_dir, "07_leakage")

# %% [markdown]
# ## 3. Augmentation on the honest split
#
# The same network and segments (as many segments per clip and per copy as the set-up cell
# printed for the augmentation runs, as in the leakage runs with copies) on the honest split: no
# augmentation, the six-fold copies, the noise-and-mask copies, and spectrogram masks on training
# batches. Only training clips are copied. Differences are paired on the same test clips; look at
# whether an interval leaves zero. Each condition is one training run, so a difference here is
# not yet a finding, whatever its interval.
#
# Two rows are both the base CNN on 3-s segments under the honest split without augmentation,
# yet their scores differ: the *none* row here, and the leakage table's honest row without copies
# (reused as the base CNN's 3-s row of section 4). This one trains and tests on the capped number
# of segments per clip printed above for the augmentation runs (the model name says how many per
# clip), the other on as many segments per clip as printed for the leakage and segment studies;
# and each is one training run.
#
# The features report's augmentation numbers come first (`helpers.results.seed_reports`: its one
# random 80/20 split, ImageNet weights we cannot download here, so they are quoted, not compared).

# %%
display(seed_reports.report_rows("features report", where="augmentation experiments"))

# %%
# Without a fixed split the honest split is section 2's random one: its control and six-fold runs are reused.
augmentation = study.augmentation_runs(inputs, leakage, S, dataset=MAIN, model_params=cfg.profile.model_params, **RUN)
display(study.study_table(list(augmentation.values()), cfg.profile.ci_resamples))
display(study.differences_table(list(augmentation.values()), augmentation["none"], cfg.profile.ci_resamples))

# %%
rows = study.figure_rows(list(augmentation.values()), "clip", group=lambda r: r["extra"]["augmentation"])
fig = plots.interval_rows(rows, f"{MAIN_LABEL}: base CNN on 3-s segments, {augmentation['none']['protocol']} split: test clip "
                          f"accuracy by augmentation (95 % intervals)", "clip accuracy")
plots.save(fig, cfg.figures_dir, "07_augmentation")

# %% [markdown]
# ## 4. Segment length: 3, 5 and 10 s
#
# Three networks on the honest split: the base CNN and ResNet18 (from scratch) on log-mel segments,
# and the seed's head on MSD-musicnn's penultimate layer averaged over the 3-s windows inside each
# segment. A clip is scored by the mean of its segments' probabilities. Look at both levels:
# shorter segments give more training examples from the same audio. ResNet18 sees as many segments
# per clip as its row names (a CPU budget in the report profile), so compare its lengths with each
# other, not with the base CNN's. The segment-length report's numbers first (its ResNet18 started from
# ImageNet weights; ours from scratch, as Keras publishes none).

# %%
display(seed_reports.report_rows("segment-length report"))

# %%
# The base CNN's 3-s run is the leakage study's honest run (same network, segments and split), not trained again.
segment_runs = study.segment_length_runs(MAIN_TRACKS, leakage, S, dataset=MAIN, model_params=cfg.profile.model_params,
                                         cache_dir=CACHE, jobs=cfg.jobs, **RUN)
display(study.study_table(segment_runs, cfg.profile.ci_resamples))

# %%
# Each run's two levels side by side, in the order of the runs (by segment length, then network).
both = study.level_rows(segment_runs, cfg.profile.ci_resamples)
honest_baseline = baselines[FIXED or "random-70/10/20"]
fig = plots.interval_rows(both, f"{MAIN_LABEL}, {segment_runs[0]['protocol']} split: test accuracy by segment length, per "
                          "segment and per clip (95 % intervals over clips)", "accuracy",
                          reference=honest_baseline["metrics"]["accuracy"]["value"],
                          reference_label=f"majority baseline ({honest_baseline['protocol']})")
plots.save(fig, cfg.figures_dir, "07_segment_length")

# %% [markdown]
# ## 5. Second view: every genre
#
# The leakage conditions without augmentation on every readable clip, where genres are uneven
# (macro-F1 matters more here than accuracy), with the number of segments per clip printed above
# for the augmentation runs (a CPU budget). Skipped when the main evidence already is every clip.

# %%
second = {}
if subset is not None:
    second = study.every_genre_runs(tracks, S, dataset=cfg.dataset.name, model_params=cfg.profile.model_params, cache_dir=CACHE,
                                    jobs=cfg.jobs, **RUN)
    display(study.study_table(list(second.values()), cfg.profile.ci_resamples))
else:
    print(f"{cfg.dataset.label} is balanced: the main evidence is every clip, no second view")

# %% [markdown]
# ## What we learned
#
# Generated from the records above (`results/augmentation_segments/`): each effect with its 95 %
# interval, and the runs that did not learn.

# %%
display(Markdown(study.reading(leakage, augmentation, segment_runs, MAIN_LABEL, cfg.profile.ci_resamples)))
if second:
    display(Markdown(study.reading(second, {}, [], cfg.dataset.label, cfg.profile.ci_resamples)))

# %% [markdown]
# ## Try it yourself
#
# 1. **Leak on purpose.** In the leakage table, compare *segment-random* with its honest twin.
#
#    <details><summary>Hint</summary>
#
#    The gap is what a segment-level split adds; read it against the interval widths.
#
#    </details>
#
# 2. **Hear the copies.** `python -m helpers.inputs.augment FILE --policy six-fold --out augmented/`
#    writes notebook 07's copies of any audio file.
#
#    <details><summary>Hint</summary>
#
#    Listen for the stretch factors.
#
#    </details>
#
# 3. **More seeds.** Is the best segment length still best with another training seed? In the
#    set-up cell, write `cfg = config.setup(PROFILE, DATASET, seed=7)`, run the notebook again, then
#    once more with a third seed. Each record's file name carries its seed, so the runs of every
#    seed sit side by side in `cfg.results_dir / study.EXPERIMENT` (`results/augmentation_segments`
#    for the committed render). Then compare two lengths seed by seed:
#
#    ```python
#    from helpers.results import comparisons, evaluate
#    from helpers.results.records import training_seed
#
#    found = evaluate.load_all(cfg.results_dir / study.EXPERIMENT)
#    def per_seed(model):  # one record per training seed, in seed order, on the honest split
#        return sorted((r for r in found if r["model"] == model and r["dataset"] == MAIN
#                       and r["protocol"] == segment_runs[0]["protocol"]), key=training_seed)
#    names = [r["model"] for r in segment_runs if r["model"].startswith("base-cnn")]  # shortest segments first
#    a, b = per_seed(names[-1]), per_seed(names[0])  # the longest segments minus the shortest
#    print([evaluate.status(r) for r in a + b])  # "ok" in every seed, or the pair is not compared
#    diff = comparisons.seeded_difference(a, b, resamples=cfg.profile.ci_resamples)
#    print(comparisons.difference_sentence(names[-1], names[0], diff, a[0]["protocol"], a[0]["sizes"]["test"]))
#    ```
#
#    <details><summary>Hint</summary>
#
#    A difference must hold over at least 3 seeds to be a finding here: `difference_sentence`
#    says "a finding" only when it has 3 seeds or more, keeps its sign in every seed and its
#    paired interval excludes zero. The pairing needs the same test clips in every seed, which
#    the fixed split gives. A model that failed in any seed is not compared: its mean and
#    interval are not a result. The same check works for an augmentation against its *none* control.
#
#    </details>
