# %% [markdown]
# # 09 · Results: every experiment, the seed reports beside them
#
# [![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mgc-reports/music-genre-classification/blob/main/notebooks/09_results.ipynb)
#
# Built only from the results records (`results/**/*.json`) that notebooks 03 to 08 wrote:
# nothing here trains or reads audio. The experiment tables show accuracy with its 95 % bootstrap
# interval, balanced accuracy and macro-F1 as values in one cell (their intervals are in the
# records and in `python -m helpers.results.evaluate summary results/`), the train / validation /
# test sizes, and mark failed runs. The README's results table is made by the same function
# (`python -m helpers.results.report readme`).
#
# ## What you will learn
#
# * how far each seed report's number survives: the same model under the report's own split
#   and under GTZAN's fault-filtered, artist-conditional split;
# * how to read a table of runs: accuracy beside balanced accuracy and macro-F1, intervals over
#   test clips, test sizes, a majority baseline, and failed runs marked rather than ranked.

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

from helpers import config
from helpers.models import multigenre
from helpers.results import report
from helpers.studies import results_overview as study

cfg = config.setup(PROFILE, DATASET)
records, multi_label = study.load_records(cfg.results_dir)
print(f"{len(records)} results records of one genre per clip and {len(multi_label)} of several genres per item "
      f"under {config.display_path(cfg.results_dir)}")

# %% [markdown]
# ## The seed reports' numbers beside ours
#
# Each row is one number a seed report states (`helpers.results.seed_reports` says where), beside this
# repository's result for the same model on the seed's split and on the dataset's fixed split,
# with intervals and test sizes; where we have no such run, the note says why (ImageNet weights
# cannot be downloaded here, FMA-small's audio is absent, ...). In the figure, look at how far each
# orange point (the fixed split) sits from the black diamond (the report's number): how much of
# it survives an honest split.

# %%
overview = study.seed_comparison(records, cfg.dataset.label, cfg.figures_dir)
display(Markdown(report.overview_markdown(overview)))

# %% [markdown]
# ## Every experiment, per dataset and protocol
#
# One table per experiment; baselines first in each protocol, failed runs marked in `status`.
# Each table shows, per dataset and protocol, the baselines and only the few most accurate runs
# (`helpers.studies.results_overview.TABLE_RUNS`), so that a table stays readable; its heading says
# how many of the experiment's records are shown, and
# `python -m helpers.results.evaluate summary results/` lists all of them. A run repeated over
# training seeds (notebooks 06 and 08) is read per seed in those notebooks' own tables.
#
# Some rows of notebook 07 use leaky protocols (*segment-random*, *augment-before-split*):
# segments or augmented copies of one clip sit on both sides of the split. Their sizes count
# segments or copies rather than clips, and their scores measure memory, not generalisation:
# read them only against their honest twins, never as a model's result.

# %%
study.show_experiment_tables(records, show=display)

# %% [markdown]
# Balanced accuracy per model and protocol, one figure per experiment (at most the six most
# accurate runs of each dataset and protocol): bars of failed runs are hatched, and a figure that
# mixes datasets names each bar's dataset. An experiment with more models than a figure can label
# (notebook 05) is shown as a ranking of its runs on one test set instead
# (`helpers.studies.results_overview.experiment_figures`).

# %%
study.experiment_figures(records, cfg.figures_dir)

# %% [markdown]
# ## Several genres per song
#
# Notebook 06's two-genre items (two test clips of different genres, mixed or joined), scored as
# sets of genres: exact set (both genres and no other), Jaccard, both true genres in the top two,
# with 95 % intervals over items and the chance level of always answering the two commonest
# training genres. Look at the threshold column: chosen on validation items, or the seed's 0.2.

# %%
display(multigenre.record_table(multi_label) if multi_label else Markdown("No multi-genre records yet: run notebook 06 first."))

# %% [markdown]
# ## What we learned
#
# Written from the records above (`helpers.studies.results_overview.reading`, from
# `helpers.results.report.protocol_reading` per experiment).

# %%
display(Markdown(study.reading(records)))

# %% [markdown]
# ## Try it yourself
#
# 1. **Every metric of every run**: `python -m helpers.results.evaluate summary results/` prints
#    one line per record, every metric with its interval. Sort the runs by balanced accuracy and
#    compare the order with accuracy's.
#
#    <details><summary>Hint</summary>
#
#    The same table in the notebook: `from helpers.results import evaluate`, then
#    `evaluate.summary_table(records, full=True).sort_values("balanced accuracy", ascending=False)`.
#    Each metric cell is the text `value [low, high]`, so the sort orders by the value. Where do
#    runs move between the two orders, and are they runs on uneven genres?
#
#    </details>
#
# 2. **Your own run**: render a notebook on another dataset (`./run_all.sh --dataset DIR --only 03`),
#    then this notebook on that run's records (`./run_all.sh --dataset DIR --only 09`).
#
#    <details><summary>Hint</summary>
#
#    The seed comparison shows only GTZAN rows; the experiment tables show yours.
#
#    </details>
