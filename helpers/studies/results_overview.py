"""What notebook 09 runs: every results record that notebooks 03 to 07 wrote, per experiment, as tables, figures
and a reading. Nothing here trains or reads audio.

* :func:`load_records`: the records of one genre per clip and those of several genres per item;
* :func:`seed_comparison`: every seed-report number beside ours, as a table and (where ours exist) the headline
  figure that the README shows;
* :func:`experiment_tables`, :func:`show_experiment_tables`: one summary table per experiment under a line that
  says how many of its records the table shows;
* :func:`experiment_figures`: one balanced-accuracy figure per experiment;
* :func:`reading`: the per-protocol reading of every experiment.

Each function is one cell's worth; the tables, the grouping and the readings live in ``helpers.results``, the
figures in ``helpers.plots``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from .. import plots
from ..results import evaluate, report

TABLE_RUNS = 4  # most accurate runs per dataset and protocol in a table (baselines always shown): tables stay readable
FIGURE_RUNS = 6  # ... in a figure, whose bars must stay legible
NO_RECORDS = "No results records yet: run notebooks 03 to 07 first."


def load_records(results_dir: str | Path) -> tuple[list[dict], list[dict]]:
    """The results records under ``results_dir``: those of one genre per clip, and the multi-label ones (several
    genres per item, notebook 06); both empty before any notebook has written one."""
    if not Path(results_dir).is_dir():
        return [], []
    return report.load_records(results_dir), evaluate.load_all(results_dir, "multi-label")


def seed_comparison(records: Sequence[dict], label: str, figures_dir: str | Path) -> pd.DataFrame:
    """Every seed-report number beside our runs (``report.seed_overview``); its figure saved as ``09_seed_comparison``
    when at least one of our runs matches a seed number (the README shows it), else one line saying why not."""
    overview = report.seed_overview(records)
    if overview[["ours", "fixed"]].notna().to_numpy().any():
        fig = plots.seed_comparison(overview, f"{label}: each seed report's test accuracy on its own split, beside ours "
                                              "on that split and on the fixed split (95 % intervals over test clips)")
        plots.save(fig, figures_dir, "09_seed_comparison")
    else:
        print(f"No run of ours matches a seed-report number on {label} (they are GTZAN's): no comparison figure")
    return overview


def experiment_tables(records: Sequence[dict], runs: int = TABLE_RUNS) -> dict[str, pd.DataFrame]:
    """Per experiment (``report.by_experiment``, in the records' order): a heading line with its record count (and
    how many are shown, when ``report.top`` leaves some out) -> the summary table of the records shown."""
    tables = {}
    for experiment, part in report.by_experiment(records).items():
        shown = report.top(part, runs)
        # Say "n shown" only when rows were left out, so that a complete table reads as complete.
        datasets = ", ".join(sorted({r["dataset"] for r in part}))
        heading = (f"{experiment}: {len(part)} records on {datasets}"
                   + (f", {len(shown)} shown" if len(shown) < len(part) else ""))
        tables[heading] = evaluate.summary_table(shown)
    return tables


def show_experiment_tables(records: Sequence[dict], show: Callable[[pd.DataFrame], object], runs: int = TABLE_RUNS) -> None:
    """Each table of :func:`experiment_tables` under its printed heading; ``show`` displays a table (the notebook
    passes IPython's ``display``, so that helpers need no IPython)."""
    for heading, table in experiment_tables(records, runs).items():
        print(heading)
        show(table)


def experiment_figures(records: Sequence[dict], figures_dir: str | Path, runs: int = FIGURE_RUNS) -> None:
    """One balanced-accuracy figure per experiment (``plots.experiment_overview`` of its ``runs`` most accurate runs
    per dataset and protocol), saved as ``09_<experiment>_balanced_accuracy``."""
    for experiment, part in report.by_experiment(records).items():
        datasets = ", ".join(sorted({r["dataset"] for r in part}))
        fig = plots.experiment_overview(report.top(part, runs), f"{experiment} on {datasets}: balanced accuracy",
                                        metric="balanced_accuracy")
        plots.save(fig, figures_dir, f"09_{experiment}_balanced_accuracy")


def reading(records: Sequence[dict]) -> str:
    """Markdown: ``report.protocol_reading`` of every experiment, or a line saying that there is nothing yet."""
    return "\n\n".join(report.protocol_reading(part, experiment) for experiment, part in report.by_experiment(records).items()) \
        or NO_RECORDS
