"""The Kaggle GTZAN feature set (57 descriptors), computed fast, faithfully and with a cache.

Per clip (or per segment): mean and variance of chroma_stft, rms, spectral
centroid, bandwidth, rolloff, zero-crossing rate, the harmonic and percussive
waveforms (HPSS), the tempo, and mean and variance of MFCC 1-20, in the column
order of ``features_30_sec.csv`` (``filename, length, ..., label``).

How it stays faithful and gets fast (:func:`clip_features`):

* one STFT per clip (n_fft 2048, hop 512) feeds chroma, centroid, bandwidth,
  rolloff, the mel spectrogram (MFCC and tempo) and the HPSS, instead of one
  STFT per librosa call;
* HPSS uses librosa's masks on that STFT, with the two median filters (31 bins
  along time, 31 along frequency) computed by an exact running median compiled
  with numba instead of ``scipy.ndimage.median_filter``: the same numbers,
  several times faster;
* the tempo is librosa's estimate from the median-aggregated onset envelope,
  which is what ``librosa.beat.beat_track`` (used for the Kaggle CSV) reports,
  without running the beat tracker itself.

:func:`clip_features_reference` is the straightforward version (one librosa
call per feature); tests and ``benchmarks/features_speed.py`` compare the two.

Command line::

    python -m helpers.features extract DIR --out FILE.csv [--segment-seconds S] [--jobs N]
    python -m helpers.features parity DIR [--csv features_30_sec.csv]
    python -m helpers.features eda DIR --out FILE.csv
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numba
import numpy as np
import pandas as pd

from . import audio
from .config import CACHE_DIR
from .config import progress as progress_bar

EDA_COLUMNS = ("spectral_centroid_mean", "tempo")
_STATS = ("chroma_stft", "rms", "spectral_centroid", "spectral_bandwidth", "rolloff", "zero_crossing_rate", "harmony", "perceptr")
FEATURE_COLUMNS: tuple[str, ...] = (
    *(f"{name}_{stat}" for name in _STATS for stat in ("mean", "var")),
    "tempo",
    *(f"mfcc{i}_{stat}" for i in range(1, 21) for stat in ("mean", "var")),
)
KAGGLE_COLUMNS: tuple[str, ...] = ("filename", "length", *FEATURE_COLUMNS, "label")


@dataclass(frozen=True)
class FeatureParams:
    """Everything that shapes the numbers; part of the cache key."""

    sample_rate: int = audio.DEFAULT_SAMPLE_RATE
    n_fft: int = 2048
    hop_length: int = 512
    n_mfcc: int = 20
    hpss_kernel: int = 31
    segment_seconds: float | None = None  # None: whole clip
    version: int = 1  # bump when the computation changes


# ----------------------------------------------------------------------------- running median


@numba.njit(cache=True)
def _reflect(j: int, n: int) -> int:
    """scipy.ndimage 'reflect' border: (d c b a | a b c d | d c b a), repeated for any j."""
    period = 2 * n
    m = j % period
    if m < 0:
        m += period
    return m if m < n else period - 1 - m


@numba.njit(cache=True, boundscheck=False)
def _running_median_rows(x: np.ndarray, width: int) -> np.ndarray:
    """Median over a centred window of ``width`` (odd) along each row, 'reflect' borders.

    Equals ``scipy.ndimage.median_filter(x, size=(1, width), mode="reflect")``.
    The window is kept sorted; each step removes one value and inserts one, which
    for a window of 31 is several times faster than scipy's generic rank filter.
    """
    rows, n = x.shape
    half = width // 2
    out = np.empty_like(x)
    window = np.empty(width, dtype=x.dtype)
    for r in range(rows):
        row = x[r]
        for k in range(width):  # window of output 0: padded positions -half..half
            window[k] = row[_reflect(k - half, n)]
        window.sort()
        out[r, 0] = window[half]
        for i in range(1, n):
            j_old, j_new = i - 1 - half, i + half
            # reflect only near the borders: a modulo per sample costs more than the median itself
            old = row[j_old] if j_old >= 0 else row[_reflect(j_old, n)]
            new = row[j_new] if j_new < n else row[_reflect(j_new, n)]
            if old == new:
                out[r, i] = window[half]
                continue
            # Replace `old` by `new`, shifting the values in between: a linear scan
            # beats a binary search at this window size (fewer mispredicted branches).
            pos = 0
            while window[pos] < old:
                pos += 1
            if new > old:
                while pos + 1 < width and window[pos + 1] < new:
                    window[pos] = window[pos + 1]
                    pos += 1
            else:
                while pos > 0 and window[pos - 1] > new:
                    window[pos] = window[pos - 1]
                    pos -= 1
            window[pos] = new
            out[r, i] = window[half]
    return out


def median_filter_time(S: np.ndarray, width: int) -> np.ndarray:
    """Median along the last axis (time)."""
    return _running_median_rows(np.ascontiguousarray(S), width)


def median_filter_freq(S: np.ndarray, width: int) -> np.ndarray:
    """Median along the first axis (frequency)."""
    return _running_median_rows(np.ascontiguousarray(S.T), width).T


def hpss_masks(magnitude: np.ndarray, kernel: int = 31) -> tuple[np.ndarray, np.ndarray]:
    """librosa.decompose.hpss's soft masks (margin 1, power 2), with the fast median filters.

    With margin 1 the two masks sum to one, so the percussive mask is ``1 - harmonic``.
    """
    import librosa

    harm = median_filter_time(magnitude, kernel)
    perc = median_filter_freq(magnitude, kernel)
    mask_harm = librosa.util.softmask(harm, perc, power=2.0, split_zeros=True)
    return mask_harm, 1.0 - mask_harm


def hpss_from_stft(D: np.ndarray, kernel: int = 31) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic and percussive STFTs, as ``librosa.decompose.hpss(D)`` returns them."""
    mask_harm, mask_perc = hpss_masks(np.abs(D), kernel)
    # librosa computes (|D| * mask) * phase; D * mask is the same up to float rounding.
    return D * mask_harm, D * mask_perc


# ----------------------------------------------------------------------------- per clip


def _mean_var(name: str, values: np.ndarray) -> dict[str, float]:
    return {f"{name}_mean": float(np.mean(values)), f"{name}_var": float(np.var(values))}


def clip_features(samples: np.ndarray, sr: int = audio.DEFAULT_SAMPLE_RATE, params: FeatureParams = FeatureParams()) -> dict[str, float]:
    """The 57 Kaggle features of one mono signal from a single STFT (see the module docstring)."""
    import warnings

    import librosa

    n_fft, hop = params.n_fft, params.hop_length
    with warnings.catch_warnings():
        # Silence and pure tones have no pitch to estimate tuning from; librosa then uses 0.
        warnings.filterwarnings("ignore", message="Trying to estimate tuning")
        return _clip_features(samples, sr, params, n_fft, hop)


def _clip_features(samples: np.ndarray, sr: int, params: FeatureParams, n_fft: int, hop: int) -> dict[str, float]:
    import librosa

    D = librosa.stft(samples, n_fft=n_fft, hop_length=hop)
    magnitude = np.abs(D)
    power = magnitude**2
    row: dict[str, float] = {}
    row |= _mean_var("chroma_stft", librosa.feature.chroma_stft(S=power, sr=sr, n_fft=n_fft, hop_length=hop))
    row |= _mean_var("rms", librosa.feature.rms(y=samples, frame_length=n_fft, hop_length=hop))
    centroid = librosa.feature.spectral_centroid(S=magnitude, sr=sr, n_fft=n_fft, hop_length=hop)
    row |= _mean_var("spectral_centroid", centroid)
    row |= _mean_var("spectral_bandwidth", librosa.feature.spectral_bandwidth(S=magnitude, sr=sr, n_fft=n_fft, hop_length=hop, centroid=centroid))
    row |= _mean_var("rolloff", librosa.feature.spectral_rolloff(S=magnitude, sr=sr, n_fft=n_fft, hop_length=hop))
    row |= _mean_var("zero_crossing_rate", librosa.feature.zero_crossing_rate(samples, frame_length=n_fft, hop_length=hop))
    mask_harm, _ = hpss_masks(magnitude, params.hpss_kernel)
    harmonic = librosa.istft(D * mask_harm, hop_length=hop, n_fft=n_fft, length=len(samples), dtype=samples.dtype)
    row |= _mean_var("harmony", harmonic)
    # The masks sum to one and the STFT inverts exactly, so the percussive waveform is the
    # rest of the signal: one inverse STFT instead of two, same numbers up to float rounding.
    row |= _mean_var("perceptr", samples - harmonic)
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sr, n_fft=n_fft, hop_length=hop))
    envelope = librosa.onset.onset_strength(S=mel_db, sr=sr, hop_length=hop, aggregate=np.median)
    row["tempo"] = float(librosa.feature.tempo(onset_envelope=envelope, sr=sr, hop_length=hop)[0])
    mfcc = librosa.feature.mfcc(S=mel_db, sr=sr, n_mfcc=params.n_mfcc)
    for i, coefficient in enumerate(mfcc, start=1):
        row |= _mean_var(f"mfcc{i}", coefficient)
    return row


def clip_features_reference(samples: np.ndarray, sr: int = audio.DEFAULT_SAMPLE_RATE) -> dict[str, float]:
    """The straightforward computation: one librosa call per feature, each from the waveform."""
    import librosa

    row: dict[str, float] = {}
    row |= _mean_var("chroma_stft", librosa.feature.chroma_stft(y=samples, sr=sr))
    row |= _mean_var("rms", librosa.feature.rms(y=samples))
    row |= _mean_var("spectral_centroid", librosa.feature.spectral_centroid(y=samples, sr=sr))
    row |= _mean_var("spectral_bandwidth", librosa.feature.spectral_bandwidth(y=samples, sr=sr))
    row |= _mean_var("rolloff", librosa.feature.spectral_rolloff(y=samples, sr=sr))
    row |= _mean_var("zero_crossing_rate", librosa.feature.zero_crossing_rate(samples))
    harmonic, percussive = librosa.effects.hpss(samples)
    row |= _mean_var("harmony", harmonic)
    row |= _mean_var("perceptr", percussive)
    tempo, _ = librosa.beat.beat_track(y=samples, sr=sr)
    row["tempo"] = float(np.atleast_1d(tempo)[0])
    for i, coefficient in enumerate(librosa.feature.mfcc(y=samples, sr=sr, n_mfcc=20), start=1):
        row |= _mean_var(f"mfcc{i}", coefficient)
    return row


def _defined(row: dict[str, float]) -> dict[str, float]:
    """Replace NaN/inf (a silent clip has no centroid, no tempo) by 0 so that no NaN reaches a CSV."""
    return {k: (v if np.isfinite(v) else 0.0) for k, v in row.items()}


# ----------------------------------------------------------------------------- per-frame sequences (LSTM input)

SEQUENCE_FEATURES: tuple[str, ...] = (
    *(f"mfcc{i}" for i in range(1, 21)), *(f"chroma{i}" for i in range(1, 13)),
    "spectral_centroid", "spectral_bandwidth", "rolloff", "zero_crossing_rate", "rms",
)


def frame_sequence(samples: np.ndarray, sr: int = audio.DEFAULT_SAMPLE_RATE, pool: int = 8, params: FeatureParams = FeatureParams()) -> np.ndarray:
    """Per-frame descriptors (``SEQUENCE_FEATURES``) averaged over ``pool`` frames: shape ``(steps, 37)``.

    The same STFT-derived features as the clip summary, kept in time order for
    a recurrent model; pooling 8 frames of 23 ms gives one step per 0.19 s.
    """
    import warnings

    import librosa

    n_fft, hop = params.n_fft, params.hop_length
    D = np.abs(librosa.stft(samples, n_fft=n_fft, hop_length=hop))
    power = D**2
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Trying to estimate tuning")
        chroma = librosa.feature.chroma_stft(S=power, sr=sr, n_fft=n_fft, hop_length=hop)
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sr, n_fft=n_fft, hop_length=hop))
    centroid = librosa.feature.spectral_centroid(S=D, sr=sr, n_fft=n_fft, hop_length=hop)
    frames = np.vstack([
        librosa.feature.mfcc(S=mel_db, sr=sr, n_mfcc=20),
        chroma,
        centroid,
        librosa.feature.spectral_bandwidth(S=D, sr=sr, n_fft=n_fft, hop_length=hop, centroid=centroid),
        librosa.feature.spectral_rolloff(S=D, sr=sr, n_fft=n_fft, hop_length=hop),
        librosa.feature.zero_crossing_rate(samples, frame_length=n_fft, hop_length=hop),
        librosa.feature.rms(y=samples, frame_length=n_fft, hop_length=hop),
    ])
    steps = frames.shape[1] // pool
    pooled = frames[:, : steps * pool].reshape(frames.shape[0], steps, pool).mean(axis=2)
    return np.nan_to_num(pooled.T.astype(np.float32))


def _sequence_of(path: str, pool: int) -> np.ndarray | str:
    try:
        samples, sr = audio.load(path)
    except audio.AudioError as error:
        return str(error)
    return frame_sequence(samples, sr, pool)


def sequences(tracks: pd.DataFrame, pool: int = 8, jobs: int = 1, progress: bool = True) -> tuple[np.ndarray, pd.DataFrame]:
    """Per-frame sequences of every readable track, cut to the shortest: ``(X[n, steps, 37], rows)``.

    ``rows`` holds ``track_id`` and ``genre`` aligned with ``X``; unreadable
    files are left out and listed in ``rows.attrs["skipped"]``.
    """
    from joblib import Parallel, delayed

    usable = tracks[tracks["ok"]].reset_index(drop=True)
    results = Parallel(n_jobs=jobs, return_as="generator")(delayed(_sequence_of)(p, pool) for p in usable["path"])
    arrays, keep, skipped = [], [], []
    for i, result in enumerate(progress_bar(results, total=len(usable), desc="frame sequences", unit="clip", disable=not progress)):
        if isinstance(result, str):
            skipped.append(result)
        else:
            arrays.append(result)
            keep.append(i)
    steps = min((len(a) for a in arrays), default=0)
    X = np.stack([a[:steps] for a in arrays]) if arrays else np.zeros((0, 0, len(SEQUENCE_FEATURES)), np.float32)
    rows = usable.loc[keep, ["track_id", "genre"]].reset_index(drop=True)
    rows.attrs["skipped"] = skipped
    return X, rows


# ----------------------------------------------------------------------------- many files, cached


def _file_key(path: str | Path, params: FeatureParams) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    digest.update(json.dumps(asdict(params), sort_keys=True).encode())
    return digest.hexdigest()


def file_rows(path: str | Path, params: FeatureParams = FeatureParams(), cache_dir: Path | None = None) -> list[dict] | str:
    """Feature rows of one file (one per segment, or one for the clip); an error message if unreadable.

    Rows carry ``segment`` (``-1`` for a whole clip), ``length`` (samples) and
    ``silent`` besides the features. Results are cached under ``cache_dir`` by
    file content and parameters.
    """
    cache_file = None
    if cache_dir is not None:
        try:
            key = _file_key(path, params)
        except OSError as error:
            return f"{path}: {error}"
        cache_file = Path(cache_dir) / key[:2] / f"{key}.json"
        if cache_file.is_file():
            return json.loads(cache_file.read_text())
    try:
        samples, sr = audio.load(path, sr=params.sample_rate)
    except audio.AudioError as error:
        return str(error)
    if params.segment_seconds is None:
        pieces, indices = [samples], [-1]
    else:
        pieces = list(audio.segment(samples, sr, params.segment_seconds))
        indices = list(range(len(pieces)))
    rows = []
    for index, piece in zip(indices, pieces):
        silent = not np.any(piece)
        row = _defined(clip_features(piece, sr, params))
        rows.append({"segment": index, "length": len(piece), "silent": silent, **row})
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(rows))
        tmp.replace(cache_file)
    return rows


def extract(
    tracks: pd.DataFrame,
    segment_seconds: float | None = None,
    jobs: int = 1,
    cache_dir: Path | None = CACHE_DIR / "features",
    params: FeatureParams | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Features of every readable track in the Kaggle CSV format (plus ``track_id`` and ``genre`` first).

    Unreadable files are left out and listed in ``attrs["skipped"]``; silent
    clips or segments get a defined row (zeros where a descriptor is undefined)
    and are listed in ``attrs["silent"]``; clips shorter than one segment are
    listed in ``attrs["too_short"]``.
    """
    from joblib import Parallel, delayed

    params = params or FeatureParams(segment_seconds=segment_seconds)
    usable = tracks[tracks["ok"]].reset_index(drop=True)
    results = Parallel(n_jobs=jobs, return_as="generator")(delayed(file_rows)(p, params, cache_dir) for p in usable["path"])
    rows, skipped, silent, too_short = [], [], [], []
    # The bar comes first in zip() so that it sees the end of its iterator and closes at 100 %.
    for result, (_, track) in zip(progress_bar(results, total=len(usable), desc="features", unit="clip", disable=not progress), usable.iterrows()):
        if isinstance(result, str):
            skipped.append(result)
            continue
        if not result:
            too_short.append(track["track_id"])
        path = Path(track["path"])
        for row in result:
            name = path.name if row["segment"] < 0 else f"{path.stem}.{row['segment']}{path.suffix}"
            if row["silent"]:
                silent.append(name)
            rows.append({"track_id": track["track_id"], "genre": track["genre"], "filename": name, **row, "label": track["genre"]})
    columns = ["track_id", "genre", *KAGGLE_COLUMNS]
    table = pd.DataFrame(rows, columns=columns + ["segment"])[columns]
    table.attrs.update(skipped=skipped, silent=silent, too_short=too_short, params=asdict(params))
    return table


def to_kaggle_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write exactly the Kaggle columns, in order."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table[list(KAGGLE_COLUMNS)].to_csv(path, index=False)
    return path


# ----------------------------------------------------------------------------- parity with the Kaggle CSV


def parity(ours: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Per feature: median |ours - reference| on shared tracks, divided by the feature's std over all reference rows.

    The scale (std across the whole reference table) also works for features
    whose mean is near zero (harmony_mean), where relative errors explode.
    Tempo also gets the share of clips within 1 %.
    """
    both = ours.merge(reference, on="track_id", suffixes=("_ours", "_ref"))
    rows = {}
    for column in FEATURE_COLUMNS:
        deviation = (both[f"{column}_ours"] - both[f"{column}_ref"]).abs()
        scale = reference[column].std()
        rows[column] = {"clips": len(both), "median |deviation| / std": float(deviation.median() / scale) if scale > 0 else float("nan")}
    table = pd.DataFrame(rows).T
    tempo_rel = (both["tempo_ours"] - both["tempo_ref"]).abs() / both["tempo_ref"]
    table.attrs["tempo_within_1pct"] = float((tempo_rel <= 0.01).mean())
    return table


# ----------------------------------------------------------------------------- exploratory descriptors


def eta_squared(table: pd.DataFrame, column: str, by: str = "genre") -> float:
    """Share of a descriptor's variance explained by genre (between-group / total sum of squares)."""
    values = table[[by, column]].dropna()
    grand = values[column].mean()
    total = ((values[column] - grand) ** 2).sum()
    groups = values.groupby(by)[column]
    between = (groups.count() * (groups.mean() - grand) ** 2).sum()
    return float(between / total) if total > 0 else float("nan")


def compare_with_reference(ours: pd.DataFrame, reference: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Per descriptor, on the tracks both tables share: count, median relative difference, share within 1 %."""
    both = ours.merge(reference, on="track_id", suffixes=("_ours", "_reference"))
    rows = {}
    for column in columns:
        a, b = both[f"{column}_ours"], both[f"{column}_reference"]
        relative = ((a - b).abs() / b.abs().where(b != 0)).dropna()
        rows[column] = {
            "clips": int(len(relative)),
            "median relative difference": float(relative.median()) if len(relative) else float("nan"),
            "share within 1 %": float((relative <= 0.01).mean()) if len(relative) else float("nan"),
        }
    return pd.DataFrame(rows).T


def eda_table(tracks: pd.DataFrame, jobs: int = 1, progress: bool = True, cache_dir: Path | None = CACHE_DIR / "features") -> pd.DataFrame:
    """``track_id, genre, spectral_centroid_mean, tempo`` for every readable track (from :func:`extract`).

    A silent clip gets NaN here (no brightness, no tempo), not a made-up number.
    """
    table = extract(tracks, jobs=jobs, cache_dir=cache_dir, progress=progress)
    eda = table[["track_id", "genre", *EDA_COLUMNS]].copy()
    silent = eda["track_id"].isin([Path(name).stem for name in table.attrs["silent"]])
    eda.loc[silent, list(EDA_COLUMNS)] = np.nan
    eda.attrs["skipped"] = table.attrs["skipped"]
    return eda


# ----------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    from . import data

    parser = argparse.ArgumentParser(prog="python -m helpers.features", description="Compute the Kaggle GTZAN features.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_extract = sub.add_parser("extract", help="57 features per clip or segment, Kaggle CSV format")
    p_extract.add_argument("root", type=Path)
    p_extract.add_argument("--out", type=Path, required=True)
    p_extract.add_argument("--segment-seconds", type=float, default=None)
    p_extract.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p_extract.add_argument("--no-cache", action="store_true")
    p_parity = sub.add_parser("parity", help="compare extracted features with a Kaggle features CSV")
    p_parity.add_argument("root", type=Path)
    p_parity.add_argument("--csv", type=Path, help="reference CSV (default: ROOT/features_30_sec.csv)")
    p_parity.add_argument("--formats", default="flac,wav,au", help="audio formats to compare (lossless by default)")
    p_parity.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p_eda = sub.add_parser("eda", help="spectral centroid mean and tempo per clip")
    p_eda.add_argument("root", type=Path)
    p_eda.add_argument("--out", type=Path, required=True)
    p_eda.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if getattr(args, "segment_seconds", None) is not None and args.segment_seconds <= 0:
        print("error: --segment-seconds must be positive", file=sys.stderr)
        return 2
    tracks = data.tracks_for_cli(args.root)
    if tracks is None:
        return 2
    if args.command == "extract":
        table = extract(tracks, args.segment_seconds, jobs=args.jobs, cache_dir=None if args.no_cache else CACHE_DIR / "features")
        to_kaggle_csv(table, args.out)
        print(f"wrote {len(table)} rows to {args.out}")
        for label in ("skipped", "silent", "too_short"):
            if table.attrs[label]:
                print(f"{label}: {len(table.attrs[label])}\n  " + "\n  ".join(map(str, table.attrs[label])))
        return 0
    if args.command == "parity":
        csv_path = args.csv or args.root / "features_30_sec.csv"
        if not csv_path.is_file():
            print(f"error: reference CSV {csv_path} not found; pass --csv", file=sys.stderr)
            return 2
        reference = data.read_features_csv(csv_path)
        chosen = tracks[tracks["format"].isin(args.formats.split(","))]
        if chosen.empty:
            print(f"error: no {args.formats} clips in {args.root}", file=sys.stderr)
            return 2
        table = parity(extract(chosen, jobs=args.jobs), reference)
        with pd.option_context("display.max_rows", 100):
            print(table.round(5).to_string())
        print(f"worst feature: {table['median |deviation| / std'].idxmax()} ({table['median |deviation| / std'].max():.4f} of its std)")
        print(f"tempo within 1 %: {table.attrs['tempo_within_1pct']:.1%} of {int(table['clips'].iloc[0])} clips")
        return 0
    table = eda_table(tracks, jobs=args.jobs)
    table.to_csv(args.out, index=False)
    print(f"wrote {len(table)} rows to {args.out}; skipped {len(table.attrs['skipped'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
