"""Time per notebook of the report profile: run it, or read it from rendered notebooks, and compare two runs.

Not a test: these machines are noisy, so compare runs taken under the same conditions
and report ratios. Three uses::

    # render every notebook in the report profile on a dataset, with an empty cache, and time each
    python benchmarks/report_profile.py run --dataset ../shared/data/gtzan --out runs/bench/after.json

    # the durations papermill wrote into rendered notebooks (any commit: git worktree or git show)
    python benchmarks/report_profile.py read notebooks/ --out runs/bench/after.json

    # a Markdown table of two timings and their ratio (for the README)
    python benchmarks/report_profile.py compare runs/bench/before.json runs/bench/after.json

``run`` uses a fresh cache folder (``$MGC_CACHE_DIR`` and ``$MGC_DATA_DIR`` point into a
temporary folder), so the first notebook that decodes audio pays for it, as on a new clone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "load_average_at_start": os.getloadavg()[0]}


def run(dataset: Path, out: Path, only: list[str] | None, repo: Path) -> dict:
    notebooks = sorted((repo / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if only:
        notebooks = [n for n in notebooks if n.name[:2] in only]
    timings = {"source": f"run: report profile, {dataset}, empty cache", "machine": _machine(), "seconds": {}}
    with tempfile.TemporaryDirectory(prefix="mgc-bench-") as scratch:
        # PYTHONPATH puts the checkout's helpers/ first, so an older commit runs its own code.
        env = dict(os.environ, MGC_PROFILE="report", MGC_DATASET=str(dataset.resolve()), MGC_BATCH="1",
                   MGC_OUTPUT_DIR=f"{scratch}/out", MGC_CACHE_DIR=f"{scratch}/cache", MGC_DATA_DIR=f"{scratch}/data",
                   PYTHONPATH=str(repo.resolve()))
        for notebook in notebooks:
            executed = Path(scratch) / notebook.name
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "papermill", str(notebook), str(executed), "--cwd",
                            str(repo / "notebooks"), "--kernel", "python3", "--log-level", "ERROR"], env=env, check=True)
            wall = time.perf_counter() - start
            # papermill's own duration (cells only, as in rendered notebooks' metadata), so `run` and `read` agree
            meta = json.loads(executed.read_text())["metadata"].get("papermill", {})
            timings["seconds"][notebook.name] = round(float(meta.get("duration") or wall), 1)
            print(f"{notebook.name}: {timings['seconds'][notebook.name]:.0f} s (wall {wall:.0f} s)", flush=True)
            results = Path(scratch) / "out" / "results"
            if results.is_dir():  # keep the records, to compare the numbers of two commits
                shutil.copytree(results, out.parent / f"{out.stem}-results", dirs_exist_ok=True)
    timings["machine"]["load_average_at_end"] = os.getloadavg()[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(timings, indent=1) + "\n")
    return timings


def read(folder: Path, out: Path | None, label: str) -> dict:
    seconds = {}
    for notebook in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        meta = json.loads(notebook.read_text())["metadata"].get("papermill", {})
        if meta.get("duration") is not None:
            seconds[notebook.name] = round(float(meta["duration"]), 1)
    timings = {"source": label or f"papermill metadata of {folder}", "seconds": seconds}
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(timings, indent=1) + "\n")
    return timings


def compare(before: dict, after: dict) -> str:
    lines = ["| notebook | before (s) | after (s) | after / before |", "| --- | ---: | ---: | ---: |"]
    for name in sorted(set(before["seconds"]) | set(after["seconds"])):
        b, a = before["seconds"].get(name), after["seconds"].get(name)
        ratio = f"{a / b:.2f}" if a and b else "n/a"
        lines.append(f"| {name} | {b if b is not None else 'n/a'} | {a if a is not None else 'n/a'} | {ratio} |")
    total_b = sum(v for k, v in before["seconds"].items() if k in after["seconds"])
    total_a = sum(v for k, v in after["seconds"].items() if k in before["seconds"])
    if total_b and total_a:
        lines.append(f"| all | {total_b:.0f} | {total_a:.0f} | {total_a / total_b:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="render and time every notebook (report profile, empty cache)")
    p_run.add_argument("--dataset", type=Path, required=True)
    p_run.add_argument("--out", type=Path, required=True)
    p_run.add_argument("--only", nargs="*", help="notebook numbers, e.g. 00 03")
    p_run.add_argument("--repo", type=Path, default=REPO, help="checkout whose notebooks to run (default: this one)")
    p_read = sub.add_parser("read", help="durations from the papermill metadata of rendered notebooks")
    p_read.add_argument("folder", type=Path)
    p_read.add_argument("--out", type=Path)
    p_read.add_argument("--label", default="")
    p_compare = sub.add_parser("compare", help="Markdown table of two timing files")
    p_compare.add_argument("before", type=Path)
    p_compare.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "run":
        if not args.dataset.is_dir():
            parser.error(f"--dataset {args.dataset} is not a folder")
        run(args.dataset, args.out, args.only, args.repo)
    elif args.command == "read":
        print(json.dumps(read(args.folder, args.out, args.label), indent=1))
    else:
        print(compare(json.loads(args.before.read_text()), json.loads(args.after.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
