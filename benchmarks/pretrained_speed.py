"""musicnn window outputs: a straightforward per-window loop vs this repository's batched path.

    python benchmarks/pretrained_speed.py [--clips 8] [--models msd-musicnn mtt-musicnn msd-vgg mtt-vgg]
        [--hop-seconds 1] [--audio DIR] [--out benchmarks/results/pretrained_speed.json]

On the same 16-kHz clips, in one run, it times

(a) the per-window loop of musicnn's own extractor (``musicnn/extractor.py``,
    ``BATCH_SIZE = 1``): for each checkpoint separately the clip's log-mel is
    computed again, then its windows go through the Keras model one at a time
    (``predict_on_batch(w[i:i + 1])``);
(b) ``helpers.models.pretrained.window_outputs``: one log-mel per clip, shared by every
    checkpoint, and all the windows of a clip through each model in batches.

Decoding is left out of both: each clip is decoded (``pretrained.waveform``) or
synthesised once up front. Every model is warmed up before any timing (both paths
run once, untimed, on the first clip: graph tracing for batches of one window and
of a whole clip); (a) and (b) alternate which goes first from clip to clip so that
a change in machine load hits both alike. Both must give the same taggrams (largest absolute difference below 1e-4) or the script stops.
After the headline timing, a separate pass runs (b) piece by piece (the shared mel,
then ``run_windows`` per checkpoint) to split its cost per checkpoint.

Default clips: deterministic 30-s synthetic ones (seeded noise, tones and a pulse),
so it runs offline anywhere; ``--audio DIR`` takes the first N readable audio files
under DIR instead (e.g. ``../shared/data/gtzan/genres_original``). It prints a
table and writes JSON (clips per second, speed-up, per-checkpoint seconds, the
projected cost of all of GTZAN, the machine). A benchmark, not a test: timing on
shared machines is noisy, and the load average is recorded with the numbers.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from helpers import cli
from helpers.data import audio
from helpers.models import pretrained
from helpers.models.pretrained_port import CHECKPOINTS, SAMPLE_RATE, PretrainedError, hop_frames, log_mel, windows
from helpers.runtime import display_path, library_versions

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "pretrained_speed.json"
CLIP_SECONDS = 30.0
GTZAN_CLIPS = 1000
TOLERANCE = 1e-4


# ---------------------------------------------------------------------------- clips

def synthetic_clip(index: int, seconds: float = CLIP_SECONDS) -> np.ndarray:
    """A deterministic 16-kHz clip: seeded low-passed noise, three tones with vibrato and a pulse at a seeded tempo."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(1000 + index)
    t = np.arange(int(seconds * SAMPLE_RATE), dtype=np.float64) / SAMPLE_RATE
    noise = lfilter([0.05], [1.0, -0.95], rng.standard_normal(t.size))  # one-pole low-pass: more bass than treble
    tones = sum(np.sin(2 * np.pi * f * t + 3 * np.sin(2 * np.pi * 5 * t)) / (k + 1)
                for k, f in enumerate(rng.uniform(110, 1760, 3)))
    beat = (np.sin(np.pi * t * rng.uniform(1.5, 3.0)) ** 16)  # a pulse of 90-180 per minute
    clip = 0.3 * tones * (0.4 + beat) + noise + 0.02 * rng.standard_normal(t.size) * beat
    return (0.5 * clip / np.abs(clip).max()).astype(np.float32)


def audio_clips(folder: Path, count: int) -> tuple[list[str], list[np.ndarray], list[str]]:
    """The first ``count`` decodable audio files under ``folder`` (sorted paths), at 16 kHz; and the ones skipped."""
    names, clips, skipped = [], [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and audio.is_audio_file(p)):
        if len(clips) == count:
            break
        try:
            clips.append(pretrained.waveform(path))
        except audio.AudioError as error:
            skipped.append(str(error))
            continue
        names.append(display_path(path))
    return names, clips, skipped


# ---------------------------------------------------------------------------- the two paths

def per_window(samples: np.ndarray, names: list[str], hop: int) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict]]:
    """(a): per checkpoint, the clip's mel again, then one window per network call. Outputs and seconds per checkpoint."""
    outputs, seconds = {}, {}
    for name in names:
        start = time.perf_counter()
        batch = windows(log_mel(samples), hop)
        mel_done = time.perf_counter()
        net = pretrained.model(name)
        parts = [net.predict_on_batch(batch[i:i + 1]) for i in range(len(batch))]
        outputs[name] = {key: np.concatenate([np.asarray(p[key], dtype=np.float32) for p in parts]) for key in parts[0]}
        end = time.perf_counter()
        seconds[name] = {"mel": mel_done - start, "network": end - mel_done}
    return outputs, seconds


def batched_parts(samples: np.ndarray, names: list[str], hop: int) -> dict[str, float]:
    """(b) piece by piece, for its per-checkpoint split: seconds of the shared mel and of each checkpoint's batches."""
    start = time.perf_counter()
    batch = windows(log_mel(samples), hop)
    seconds = {"mel": time.perf_counter() - start}
    for name in names:
        start = time.perf_counter()
        pretrained.run_windows(name, batch)
        seconds[name] = time.perf_counter() - start
    return seconds


def warm_up(samples: np.ndarray, names: list[str], hop: int) -> None:
    """Both timed paths once, untimed: every model traced for a batch of one window and of a whole clip."""
    per_window(samples, names, hop)
    pretrained.window_outputs(samples, names, hop)


# ---------------------------------------------------------------------------- report

def machine() -> dict:
    cores = os.cpu_count()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    model = next((line.split(":", 1)[1].strip() for line in _read_lines("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor() or platform.machine())
    import tensorflow as tf

    return {
        "cpu": model,
        "os_cpu_count": cores,
        "usable_cpus": affinity,
        "affinity_restricted": bool(affinity is not None and cores is not None and affinity < cores),
        "tensorflow_threads": {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                               "inter_op": tf.config.threading.get_inter_op_parallelism_threads()},  # 0: TensorFlow's default
        "platform": platform.platform(),
    }


def _read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=cli.positive_int, default=8)
    parser.add_argument("--models", nargs="+", default=list(CHECKPOINTS), choices=list(CHECKPOINTS), metavar="MODEL",
                        help=f"checkpoints to run (default: all of {', '.join(CHECKPOINTS)})")
    parser.add_argument("--hop-seconds", type=cli.positive_float, default=1.0, help="window hop (1 s: musicnn's 61 frames)")
    parser.add_argument("--audio", type=Path, default=None, help="folder of audio files (default: synthetic 30-s clips)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON to write")
    args = parser.parse_args(argv)
    names = list(dict.fromkeys(args.models))
    try:
        hop = hop_frames(args.hop_seconds)
    except ValueError as error:
        raise cli.UserError(f"--hop-seconds: {error}") from None

    skipped: list[str] = []
    if args.audio is None:
        source = f"synthetic {CLIP_SECONDS:g}-s 16-kHz clips (seeded; benchmarks/pretrained_speed.py synthetic_clip)"
        ids = [f"synthetic.{i:05d}" for i in range(args.clips)]
        clips = [synthetic_clip(i) for i in range(args.clips)]
    else:
        if not args.audio.is_dir():
            raise cli.UserError(f"--audio {args.audio}: not a folder")
        source = display_path(args.audio)
        ids, clips, skipped = audio_clips(args.audio, args.clips)
        if not clips:
            raise cli.UserError(f"--audio {args.audio}: no decodable audio file ({', '.join(audio.SUPPORTED_EXTENSIONS)})")
    durations = [len(c) / SAMPLE_RATE for c in clips]
    load_before = _load()
    print(f"{len(clips)} clips from {source}; models {', '.join(names)}; hop {args.hop_seconds:g} s ({hop} frames)")
    for message in skipped:
        print(f"skipped: {message}", file=sys.stderr)

    try:
        start = time.perf_counter()
        warm_up(clips[0], names, hop)
        warm_seconds = time.perf_counter() - start
    except PretrainedError as error:
        raise cli.UserError(str(error)) from None

    loop_seconds = {name: {"mel": 0.0, "network": 0.0} for name in names}
    clip_seconds: dict[str, list[float]] = {"a": [], "b": []}
    worst_taggram = worst_any = 0.0
    window_counts: list[int] = []
    for i, samples in enumerate(clips):
        order = ("a", "b") if i % 2 == 0 else ("b", "a")
        for which in order:
            start = time.perf_counter()
            if which == "a":
                ours_a, split = per_window(samples, names, hop)
                for name in names:
                    for part in ("mel", "network"):
                        loop_seconds[name][part] += split[name][part]
            else:
                ours_b = pretrained.window_outputs(samples, names, hop)
            clip_seconds[which].append(time.perf_counter() - start)
        for name in names:
            a, b = ours_a[name], ours_b[name]
            worst_taggram = max(worst_taggram, float(np.abs(a["taggram"] - b["taggram"]).max()))
            worst_any = max(worst_any, max(float(np.abs(a[k] - b[k]).max()) for k in b))
        window_counts.append(len(ours_b[names[0]]["taggram"]))
        print(f"  clip {i + 1}/{len(clips)} {ids[i]}: {window_counts[-1]} windows, "
              f"largest taggram difference so far {worst_taggram:.1e}", flush=True)
        if not worst_taggram < TOLERANCE:
            raise SystemExit(f"error: the two paths disagree: taggram difference {worst_taggram:.2e} >= {TOLERANCE:g}; "
                             "no timing is reported")

    parts = {key: 0.0 for key in ("mel", *names)}
    for samples in clips:
        for key, value in batched_parts(samples, names, hop).items():
            parts[key] += value
    load_after = _load()

    n = len(clips)
    loop_total, batched_total = sum(clip_seconds["a"]), sum(clip_seconds["b"])
    per_clip_a, per_clip_b = loop_total / n, batched_total / n
    full = sorted(names) == sorted(CHECKPOINTS) and hop == hop_frames(1.0)
    result = {
        "what": __doc__.split("\n\n")[0],
        "command": "python benchmarks/pretrained_speed.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_1_5_15_min": {"before": load_before, "after": load_after},
        "libraries": library_versions(),
        "clips": {"source": source, "count": n, "ids": ids, "skipped": skipped,
                  "seconds": [round(d, 2) for d in durations], "windows": window_counts},
        "models": names,
        "hop_seconds": args.hop_seconds,
        "hop_frames": hop,
        "warm_up_seconds": round(warm_seconds, 2),
        "per_window_loop": {
            "about": "(a) per checkpoint: log-mel again, then predict_on_batch on one window at a time",
            "seconds_total": round(loop_total, 3),
            "seconds_per_clip": round(per_clip_a, 3),
            "clips_per_second": round(n / loop_total, 4),
            "each_clip_seconds": [round(x, 3) for x in clip_seconds["a"]],
            "per_checkpoint_seconds_per_clip": {k: {"mel": round(v["mel"] / n, 4), "network": round(v["network"] / n, 4),
                                                    "total": round((v["mel"] + v["network"]) / n, 4)}
                                                for k, v in loop_seconds.items()},
        },
        "batched": {
            "about": "(b) pretrained.window_outputs: one log-mel per clip, every window of a clip per checkpoint in batches "
                     f"of up to {pretrained.BATCH_WINDOWS}",
            "seconds_total": round(batched_total, 3),
            "seconds_per_clip": round(per_clip_b, 3),
            "clips_per_second": round(n / batched_total, 4),
            "each_clip_seconds": [round(x, 3) for x in clip_seconds["b"]],
            "split_seconds_per_clip": {k: round(v / n, 4) for k, v in parts.items()},
            "split_note": "a separate pass of the same work piece by piece: the shared mel once per clip, then run_windows per "
                          "checkpoint; its sum is the per-clip cost of that pass, not of the headline timing",
        },
        "speed_up": round(loop_total / batched_total, 2),
        "speed_up_of_medians": round(float(np.median(clip_seconds["a"]) / np.median(clip_seconds["b"])), 2),
        "largest_taggram_difference": worst_taggram,
        "largest_difference_any_output": worst_any,
        "projected_gtzan": {
            "clips": GTZAN_CLIPS,
            "per_window_loop_hours": round(GTZAN_CLIPS * per_clip_a / 3600, 2),
            "batched_hours": round(GTZAN_CLIPS * per_clip_b / 3600, 2),
            "note": (f"{GTZAN_CLIPS} x the measured seconds per clip, decoding excluded; "
                     + ("all four checkpoints at a 1-s hop, as asked" if full else
                        f"for the checkpoints and hop measured here ({', '.join(names)}; {args.hop_seconds:g} s), "
                        "not all four at 1 s"))
                    + ("" if all(abs(d - CLIP_SECONDS) < 1 for d in durations) else "; the clips measured are not all ~30 s"),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")

    m = result["machine"]
    cpus = f"{m['os_cpu_count']} cores" + (f", {m['usable_cpus']} usable (affinity)" if m["affinity_restricted"] else "")
    print(f"\n{m['cpu']}, {cpus}; load average before {load_before}, after {load_after}")
    print(f"{'':<28}{'s/clip':>9}{'clips/s':>10}{'GTZAN h':>9}")
    print(f"{'(a) per-window loop':<28}{per_clip_a:>9.2f}{n / loop_total:>10.3f}{GTZAN_CLIPS * per_clip_a / 3600:>9.2f}")
    print(f"{'(b) window_outputs':<28}{per_clip_b:>9.2f}{n / batched_total:>10.3f}{GTZAN_CLIPS * per_clip_b / 3600:>9.2f}")
    print(f"speed-up {loop_total / batched_total:.2f}x (of per-clip medians {result['speed_up_of_medians']:.2f}x); "
          f"largest taggram difference {worst_taggram:.1e} (any output {worst_any:.1e})")
    print(f"\n{'per clip, seconds':<20}{'(a) mel':>9}{'(a) net':>9}{'(a) sum':>9}{'(b) net':>9}")
    for k, v in result["per_window_loop"]["per_checkpoint_seconds_per_clip"].items():
        print(f"{k:<20}{v['mel']:>9.3f}{v['network']:>9.3f}{v['total']:>9.3f}{parts[k] / n:>9.3f}")
    print(f"{'(b) shared mel':<20}{'':>27}{parts['mel'] / n:>9.3f}")
    print(f"\nwrote {display_path(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
