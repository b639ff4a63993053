"""Peak memory of ``features extract`` and ``predict`` on one file of 30 s, 10 min and 60 min.

    python benchmarks/long_file_memory.py [--minutes 0.5 10 60] [--model MODEL.keras] [--keep DIR]

Each length is a mono 16-bit WAV at 22050 Hz of synthetic music (``helpers.data.synth``
clips one after another), alone in a genre folder. Each command runs in a process of its
own (``python -m helpers.inputs.features extract DIR --jobs 1`` and ``python -m
helpers.predict MODEL FILE``); its peak resident memory is the operating system's
account of that process (``os.wait4``), with its wall time. The target: the 60-min file
needs at most about 1.5 times the memory of the 10-min one (bounded, not growing with the
length). ``--model``: the saved model predict uses (default: predict's default model;
without one, predict is left out and the script says why). A benchmark, not a test:
memory and time on shared machines vary a little from run to run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from helpers import cli, predict
from helpers.data import synth
from helpers.runtime import display_path

GENRES = ("jazz", "metal", "reggae", "classical", "disco")


def write_file(path: Path, minutes: float) -> Path:
    """``minutes`` of synthetic music, 30-s clips of changing genres, written block by block."""
    clips = max(1, int(np.ceil(minutes * 2)))
    seconds_left = minutes * 60
    with sf.SoundFile(path, "w", samplerate=synth.SAMPLE_RATE, channels=1, subtype="PCM_16") as out:
        for index in range(clips):
            seconds = min(30.0, seconds_left)
            out.write(synth.render_clip(GENRES[index % len(GENRES)], index, seconds))
            seconds_left -= seconds
    return path


def peak(command: list[str]) -> tuple[float, float, int]:
    """``(peak resident memory in MB, wall seconds, exit status)`` of ``command`` run as a child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    failed = process.returncode != 0
    if failed:  # a failed run measured nothing: NaN, and its last words
        print(f"  {' '.join(command[2:4])} failed (exit {process.returncode}): {process.stderr.read().decode()[-300:]}")
    process.stderr.close()
    megabytes = usage.ru_maxrss / 1024  # ru_maxrss is in kB on Linux
    return (float("nan"), float("nan"), process.returncode) if failed else (megabytes, seconds, 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=cli.positive_float, nargs="+", default=[0.5, 10, 60])
    parser.add_argument("--model", type=Path, default=None, help="the model predict uses (default: predict's default)")
    parser.add_argument("--keep", type=Path, default=None, help="write the audio files here and keep them")
    args = parser.parse_args(argv)
    try:
        model = args.model or predict.default_model()
    except cli.UserError as error:
        model = None
        print(f"predict left out: {error}")
    folder = Path(tempfile.mkdtemp(prefix="long-files-")) if args.keep is None else args.keep
    rows = []
    for minutes in args.minutes:
        library = folder / f"{minutes:g}min"
        (library / "long").mkdir(parents=True, exist_ok=True)
        audio_file = library / "long" / "music.wav"
        if not audio_file.is_file():
            write_file(audio_file, minutes)
        size_mb = audio_file.stat().st_size / 2**20
        extract = [sys.executable, "-m", "helpers.inputs.features", "extract", str(library), "--out",
                   str(folder / f"{minutes:g}min.csv"), "--jobs", "1", "--no-cache"]
        row = dict(minutes=minutes, file_mb=size_mb)
        row["extract_mb"], row["extract_s"], _ = peak(extract)
        if model is not None:
            row["predict_mb"], row["predict_s"], _ = peak([sys.executable, "-m", "helpers.predict", str(model), str(audio_file)])
        rows.append(row)
        print(", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)
    print(f"\nfiles in {display_path(folder)}; model: {display_path(model) if model else 'none'}")
    print("| file | size (MB) | features extract: peak MB | seconds | predict: peak MB | seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['minutes']:g} min | {row['file_mb']:.0f} | {row['extract_mb']:.0f} | {row['extract_s']:.0f} | "
              f"{row.get('predict_mb', float('nan')):.0f} | {row.get('predict_s', float('nan')):.0f} |")
    by_length = {row["minutes"]: row for row in rows}
    if 10 in by_length and 60 in by_length:
        for command in ("extract", "predict"):
            if np.isfinite(by_length[60].get(f"{command}_mb", np.nan) * by_length[10].get(f"{command}_mb", np.nan)):
                ratio = by_length[60][f"{command}_mb"] / by_length[10][f"{command}_mb"]
                print(f"{command}: peak memory 60 min / 10 min = {ratio:.2f} (target: at most about 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
