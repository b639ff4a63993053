"""Throughput and memory of ``python -m helpers.library classify`` with the shipped models, on this machine.

    python benchmarks/library_throughput.py [--clips 96] [--small 200 2000] [--out benchmarks/results/library_throughput.json]

1. **Throughput**: a library of ``--clips`` 30-s clips (the real GTZAN clips of ``$GTZAN_DIR`` or
   ``../shared/data/gtzan`` when present, else generated noise-and-tone clips at 22050 Hz), classified into a
   new catalogue by one process and by ``--workers 2`` (a Dask ``LocalCluster``). Files per second exclude the
   start-up (TensorFlow and the models loading, the cluster starting): they come from the time between the
   first and the last catalogue part. Both again with ``--hop-seconds 3`` (3-s windows every 3 s instead of every
   second: a third of the network passes; its accuracy is measured in notebook 05). Also the seconds per clip in
   decoding (and resampling to 16 kHz), musicnn's mel windows and the two networks, summed over the workers.
2. **Memory**: generated libraries of ``--small`` short files (2 s each), each classified with ``--workers 2``;
   the peak resident memory of the client process and of the largest worker, sampled every 0.1 s.

Every run is a separate ``python -m helpers.library`` process, so nothing is cached between runs. A benchmark,
not a test: timings on shared machines are noisy, so compare numbers from one run only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
REAL = Path(os.environ.get("GTZAN_DIR", ROOT.parent / "shared" / "data" / "gtzan")) / "genres_original"


def clip_library(folder: Path, clips: int) -> str:
    """``clips`` 30-s files: real GTZAN clips when available (every genre in turn), else generated ones."""
    folder.mkdir(parents=True)
    if REAL.is_dir():
        by_genre = [sorted(g.iterdir()) for g in sorted(REAL.iterdir()) if g.is_dir()]
        chosen = [files[i // len(by_genre)] for i in range(clips) for files in [by_genre[i % len(by_genre)]]]
        for path in chosen:
            shutil.copy(path, folder / path.name)
        return f"{clips} real GTZAN clips of 30 s ({', '.join(sorted({p.suffix for p in chosen}))})"
    rng = np.random.default_rng(0)
    for i in range(clips):
        t = np.arange(30 * 22050) / 22050
        sf.write(folder / f"{i:04d}.wav", (0.3 * np.sin(2 * np.pi * (100 + 7 * i) * t) + 0.05 * rng.standard_normal(len(t)))
                 .astype(np.float32), 22050)
    return f"{clips} generated clips of 30 s (wav, 22050 Hz)"


def short_library(folder: Path, files: int) -> None:
    rng = np.random.default_rng(1)
    for i in range(files):
        sub = folder / f"artist{i % 20}"
        sub.mkdir(parents=True, exist_ok=True)
        sf.write(sub / f"{i:05d}.wav", (0.2 * rng.standard_normal(2 * 16000)).astype(np.float32), 16000)


class PeakMemory:
    """Peak resident memory of a process and of each of its descendants, sampled every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.root, self.interval, self.peaks, self._stop = psutil.Process(pid), interval, {}, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for process in processes:
                try:
                    self.peaks[process.pid] = max(self.peaks.get(process.pid, 0), process.memory_info().rss)
                except psutil.NoSuchProcess:
                    continue
            time.sleep(self.interval)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        client = self.peaks.get(self.root.pid, 0)
        others = [v for pid, v in self.peaks.items() if pid != self.root.pid and v > 200e6]  # workers load TensorFlow
        return {"client_mb": round(client / 1e6), "largest_worker_mb": round(max(others, default=0) / 1e6),
                "workers_seen": len(others)}


BATCH = 8  # files per task: a dozen tasks or more per run, so the start-up and the last task weigh little


def classify(library: Path, catalog: Path, workers: int | None, hop_seconds: float | None = None) -> dict:
    command = [sys.executable, "-m", "helpers.library", "classify", str(library), "--catalog", str(catalog),
               "--batch-size", str(BATCH)]
    command += ["--workers", str(workers)] if workers else []
    command += ["--hop-seconds", str(hop_seconds)] if hop_seconds else []
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "MGC_BATCH": "1"})
    memory = PeakMemory(process.pid)
    _, err = process.communicate()
    peaks = memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"classify failed ({process.returncode}): {err.strip().splitlines()[-1:]}")
    return peaks


def throughput(library: Path, catalog: Path, workers: int | None, clips: int, hop_seconds: float | None = None) -> dict:
    """Files per second once every worker finished its first batch (start-up excluded): the files of the later
    batches over the time from then to the last batch."""
    times: list[float] = []
    parts = catalog.with_name(catalog.name + ".parts")
    watching = threading.Event()

    def watch() -> None:  # the moments each part appears (the merge removes them at the end)
        seen: set[str] = set()
        while not watching.is_set():
            if parts.is_dir():
                for part in parts.glob("part-*.parquet"):
                    if part.name not in seen:
                        seen.add(part.name)
                        times.append(time.monotonic())
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    start = time.monotonic()
    run = classify(library, catalog, workers, hop_seconds)
    watching.set()
    thread.join()
    total = time.monotonic() - start
    import pyarrow.parquet as pq

    table = pq.read_table(catalog).to_pandas()
    ready = workers or 1  # the parts that mark every worker's first finished batch
    steady = (len(times) - ready) * BATCH / (times[-1] - times[ready - 1]) if len(times) > ready else float("nan")
    return {"workers": workers or 0, "hop_seconds": hop_seconds or 1.0, "clips": clips, "wall_s": round(total, 1),
            "first_batch_s": round(times[0] - start, 1),
            "files_per_s_steady": round(steady, 3), "clips_per_hour_steady": round(3600 * steady),
            "ok": int((table["status"] == "ok").sum()), "client_mb": run["client_mb"], "largest_worker_mb": run["largest_worker_mb"]}


def stage_seconds(library: Path, catalog: Path) -> dict:
    """Seconds per clip in each stage, from one in-process run (``classify_library`` returns them)."""
    code = ("import json, sys; from helpers.library import classify_library; "
            f"c = classify_library({str(library)!r}, {str(catalog)!r}); print(json.dumps(c['seconds'] | {{'n': c['classified']}}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "MGC_BATCH": "1"}).stdout.strip().splitlines()[-1]
    seconds = json.loads(out)
    n = seconds.pop("n")
    return {stage: round(value / n, 3) for stage, value in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=96)
    parser.add_argument("--small", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "library_throughput.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        described = clip_library(tmp / "clips", args.clips)
        print(f"library: {described}", flush=True)
        runs = [throughput(tmp / "clips", tmp / f"clips-{w or 1}-{hop or 1}.parquet", w, args.clips, hop)
                for hop in (None, 3.0) for w in (None, 2)]
        for run in runs:
            print(json.dumps(run), flush=True)
        stages = stage_seconds(tmp / "clips", tmp / "stages.parquet")
        print(f"seconds per clip: {stages}", flush=True)
        memory = []
        for n in args.small:
            short_library(tmp / f"short{n}", n)
            run = classify(tmp / f"short{n}", tmp / f"short{n}.parquet", 2)
            memory.append({"files": n, "client_mb": run["client_mb"], "largest_worker_mb": run["largest_worker_mb"]})
            print(json.dumps(memory[-1]), flush=True)
    result = {
        "benchmark": "library_throughput", "library": described, "throughput": runs, "seconds_per_clip": stages,
        "memory": memory, "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                      "load_average": [round(x, 2) for x in os.getloadavg()]},
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
