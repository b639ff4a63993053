"""Log-mel spectrograms as arrays and as the seed report's PNG images.

The seed recipe: 128 mel bands up to 8000 Hz, power converted to dB relative to
the maximum, min-max normalised to [0, 1], drawn without axes, resized to
128 x 128 grayscale, one folder per genre. Segment variants (3, 5, 10 s) cut
the decoded waveform first and compute one image per whole segment.

Rendering is idempotent: an image is re-rendered only when it is missing, older
than its audio file, or was made with other parameters (each variant folder
keeps a ``params.json``).

Command line::

    python -m helpers.spectrograms render DATASET_DIR --out DIR [--segments 3 5 10] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import audio
from .config import progress as progress_bar

CLIP_VARIANT = "clip"  # whole clip (30 s in GTZAN)


@dataclass(frozen=True)
class MelParams:
    sample_rate: int = audio.DEFAULT_SAMPLE_RATE
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    fmax: float = 8000.0
    image_size: int = 128


def log_mel(samples: np.ndarray, params: MelParams = MelParams()) -> np.ndarray:
    """Mel power spectrogram in dB relative to its maximum, shape ``(n_mels, frames)``."""
    import librosa

    power = librosa.feature.melspectrogram(
        y=samples, sr=params.sample_rate, n_fft=params.n_fft, hop_length=params.hop_length,
        n_mels=params.n_mels, fmax=params.fmax,
    )
    if not np.any(power > 0):  # digital silence: define the image as all zeros
        return np.full(power.shape, -80.0, dtype=np.float32)
    return librosa.power_to_db(power, ref=np.max).astype(np.float32)


def normalize(db: np.ndarray) -> np.ndarray:
    """Min-max to [0, 1]; a constant input (silence) maps to zeros."""
    low, high = float(db.min()), float(db.max())
    if high - low < 1e-9:
        return np.zeros_like(db, dtype=np.float32)
    return ((db - low) / (high - low)).astype(np.float32)


def to_image(normalized: np.ndarray, size: int = 128):
    """A grayscale PIL image, low frequencies at the bottom, resized to ``size`` x ``size``."""
    from PIL import Image

    pixels = np.flipud(np.clip(normalized, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return Image.fromarray(pixels, mode="L").resize((size, size), Image.Resampling.BILINEAR)


def variant_name(seconds: float | None) -> str:
    return CLIP_VARIANT if seconds is None else f"{seconds:g}s"


def _image_path(out_dir: Path, variant: str, genre: str, track_id: str, segment: int | None) -> Path:
    name = track_id if segment is None else f"{track_id}.s{segment:02d}"
    return out_dir / variant / genre / f"{name}.png"


def _expected_images(track: pd.Series, out_dir: Path, variants: Sequence[float | None]) -> list[tuple[str, int | None, Path]]:
    images = []
    for seconds in variants:
        variant = variant_name(seconds)
        if seconds is None:
            images.append((variant, None, _image_path(out_dir, variant, track["genre"], track["track_id"], None)))
        else:
            for s in range(audio.segment_count(float(track["duration"]), seconds)):
                images.append((variant, s, _image_path(out_dir, variant, track["genre"], track["track_id"], s)))
    return images


def _render_track(path: str, images: list[tuple[str, int | None, Path]], params: MelParams) -> tuple[int, str]:
    """Decode once, write every image of one track. Returns (images written, error message)."""
    try:
        samples, _ = audio.load(path, sr=params.sample_rate)
    except audio.AudioError as error:
        return 0, str(error)
    written = 0
    for variant, segment, target in images:
        if segment is None:
            piece = samples
        else:
            seconds = float(variant.rstrip("s"))
            pieces = audio.segment(samples, params.sample_rate, seconds)
            if segment >= len(pieces):  # header longer than the decodable audio
                continue
            piece = pieces[segment]
        image = to_image(normalize(log_mel(piece, params)), params.image_size)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        image.save(tmp, format="PNG")
        tmp.replace(target)
        written += 1
    return written, ""


def render_pngs(
    tracks: pd.DataFrame,
    out_dir: str | Path,
    segment_seconds: Sequence[float] = (),
    include_clip: bool = True,
    params: MelParams = MelParams(),
    jobs: int = 1,
    progress: bool = True,
) -> pd.DataFrame:
    """Render the PNGs of every readable track; skip images that are up to date.

    Returns one row per image (``track_id, genre, variant, segment, path``) with
    ``attrs`` ``rendered``, ``skipped`` (image counts) and ``failed`` (messages).
    """
    from joblib import Parallel, delayed
    out_dir = Path(out_dir)
    variants: list[float | None] = ([None] if include_clip else []) + [float(s) for s in segment_seconds]
    wanted = asdict(params)
    for seconds in variants:  # a changed parameter invalidates the whole variant folder
        folder = out_dir / variant_name(seconds)
        manifest = folder / "params.json"
        current = json.loads(manifest.read_text()) if manifest.is_file() else None
        if current != wanted:
            for stale in folder.glob("*/*.png"):
                stale.unlink()
            folder.mkdir(parents=True, exist_ok=True)
            manifest.write_text(json.dumps(wanted, indent=2) + "\n")

    rows, todo, skipped = [], [], 0
    for _, track in tracks[tracks["ok"]].iterrows():
        images = _expected_images(track, out_dir, variants)
        source_mtime = Path(track["path"]).stat().st_mtime
        stale = [img for img in images if not img[2].is_file() or img[2].stat().st_mtime < source_mtime]
        skipped += len(images) - len(stale)
        if stale:
            todo.append((track["path"], stale))
        rows += [dict(track_id=track["track_id"], genre=track["genre"], variant=v, segment=s, path=str(p)) for v, s, p in images]

    rendered, failed = 0, []
    if todo:
        results = Parallel(n_jobs=jobs, return_as="generator_unordered")(
            delayed(_render_track)(path, images, params) for path, images in todo
        )
        for written, error in progress_bar(results, total=len(todo), desc="rendering spectrograms", unit="track", disable=not progress):
            rendered += written
            if error:
                failed.append(error)
    index = pd.DataFrame(rows, columns=["track_id", "genre", "variant", "segment", "path"])
    index = index[[Path(p).is_file() for p in index["path"]]].reset_index(drop=True)
    index.attrs.update(rendered=rendered, skipped=skipped, failed=failed)
    return index


def crop_kaggle_image(image, threshold: int = 250):
    """Remove the white matplotlib border around a Kaggle ``images_original`` PNG (returns RGB)."""
    rgb = np.asarray(image.convert("RGB"))
    content = np.where(rgb.min(axis=2) < threshold)
    if content[0].size == 0:
        return image.convert("RGB")
    top, bottom = content[0].min(), content[0].max() + 1
    left, right = content[1].min(), content[1].max() + 1
    return image.convert("RGB").crop((left, top, right, bottom))


def kaggle_image_path(images_dir: str | Path, track_id: str) -> Path:
    """``images_original/<genre>/<genre>000NN.png`` for track ``<genre>.000NN`` (the Kaggle naming drops the dot)."""
    genre = track_id.split(".")[0]
    return Path(images_dir) / genre / f"{track_id.replace('.', '')}.png"


def cropped_kaggle_images(images_dir: str | Path, track_ids: Sequence[str], out_dir: str | Path) -> list[Path]:
    """Crop the white border off the Kaggle images of ``track_ids``; returns the cropped PNGs' paths."""
    from PIL import Image

    written = []
    for track_id in track_ids:
        target = Path(out_dir) / f"{track_id}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        crop_kaggle_image(Image.open(kaggle_image_path(images_dir, track_id))).save(target)
        written.append(target)
    return written


# ----------------------------------------------------------------------------- network inputs

IMAGE_COLORS: tuple[str, ...] = ("grayscale", "rgb")


def image_to_array(image, size: int, color: str = "grayscale") -> np.ndarray:
    """A PIL image as ``(size, size, channels)`` float32 in [0, 1]: 1 channel for grayscale, 3 for RGB."""
    from PIL import Image

    if color not in IMAGE_COLORS:
        raise ValueError(f"unknown color mode {color!r}; valid: {', '.join(IMAGE_COLORS)}")
    image = image.convert("L" if color == "grayscale" else "RGB")
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR)
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    return pixels[..., None] if pixels.ndim == 2 else pixels


def load_image(path: str | Path, size: int, color: str = "grayscale", crop_border: bool = False) -> np.ndarray:
    """One PNG as a network input (see :func:`image_to_array`); ``crop_border`` removes the Kaggle white frame."""
    from PIL import Image

    with Image.open(path) as image:
        return image_to_array(crop_kaggle_image(image) if crop_border else image, size, color)


def _content_key(paths: Sequence[str | Path], *extra) -> str:
    """A cache key from file names, sizes and modification times plus parameters."""
    import hashlib

    digest = hashlib.sha1(repr(extra).encode())
    for path in paths:
        stat = Path(path).stat()
        digest.update(f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def image_arrays(
    paths: Sequence[str | Path], size: int, color: str = "grayscale", crop_border: bool = False,
    cache_dir: str | Path | None = None, progress: bool = True,
) -> np.ndarray:
    """Stack PNGs into ``(n, size, size, channels)`` float32, cached as ``.npy`` under ``cache_dir``.

    The cache key covers every file's path, size and modification time and the
    parameters, so a changed image or setting never reuses a stale array.
    """
    cache = None
    if cache_dir is not None:
        cache = Path(cache_dir) / f"images-{_content_key(paths, size, color, crop_border)}.npy"
        if cache.is_file():
            return np.load(cache)
    arrays = [load_image(p, size, color, crop_border)
              for p in progress_bar(paths, desc="loading images", unit="image", disable=not progress)]
    stacked = np.stack(arrays) if arrays else np.zeros((0, size, size, 1 if color == "grayscale" else 3), np.float32)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, stacked)
    return stacked


def kaggle_image_table(images_dir: str | Path) -> pd.DataFrame:
    """One row per Kaggle ``images_original/<genre>/*.png``: ``track_id, genre, path``."""
    from .data import track_id_of

    rows = [dict(track_id=track_id_of(p.stem), genre=p.parent.name, path=str(p))
            for p in sorted(Path(images_dir).glob("*/*.png"))]
    return pd.DataFrame(rows, columns=["track_id", "genre", "path"])


def image_from_audio(samples: np.ndarray, params: MelParams = MelParams()):
    """The PIL image :func:`render_pngs` would write for ``samples`` (no file written)."""
    return to_image(normalize(log_mel(samples, params)), params.image_size)


def _segment_arrays(path: str, seconds: float, picks: Sequence[int], params: MelParams) -> tuple[list[np.ndarray], str]:
    try:
        samples, _ = audio.load(path, sr=params.sample_rate)
    except audio.AudioError as error:
        return [], str(error)
    pieces = audio.segment(samples, params.sample_rate, seconds)
    return [normalize(log_mel(pieces[i], params)) for i in picks if i < len(pieces)], ""


def pick_segments(count: int, per_clip: int | None) -> list[int]:
    """``per_clip`` evenly spaced segment numbers out of ``count`` (all when ``None``)."""
    if per_clip is None or per_clip >= count:
        return list(range(count))
    return sorted(set(np.linspace(0, count - 1, per_clip).round().astype(int).tolist()))


def log_mel_segments(
    tracks: pd.DataFrame, seconds: float, params: MelParams = MelParams(n_mels=64), per_clip: int | None = None,
    cache_dir: str | Path | None = None, jobs: int = 1, progress: bool = True,
) -> tuple[np.ndarray, pd.DataFrame]:
    """In-memory normalised log-mel arrays of ``seconds``-long segments (the small CNN's input).

    Returns ``X`` of shape ``(n, n_mels, frames, 1)`` in [0, 1] and a table
    (``track_id, genre, segment``) aligned with it; ``per_clip`` keeps that many
    evenly spaced segments of each clip. Unreadable files are skipped and listed
    in ``table.attrs["failed"]``. Cached as ``.npz`` under ``cache_dir``.
    """
    from joblib import Parallel, delayed

    tracks = tracks[tracks["ok"]] if "ok" in tracks else tracks
    cache = None
    if cache_dir is not None:
        key = _content_key(tracks["path"].tolist(), seconds, asdict(params), per_clip)
        cache = Path(cache_dir) / f"log-mel-{seconds:g}s-{key}.npz"
        if cache.is_file():
            stored = np.load(cache, allow_pickle=False)
            table = pd.DataFrame({"track_id": stored["track_id"], "genre": stored["genre"], "segment": stored["segment"]})
            table.attrs["failed"] = stored["failed"].tolist()
            return stored["X"], table
    jobs_list = [(t["path"], pick_segments(audio.segment_count(float(t["duration"]), seconds), per_clip), t)
                 for _, t in tracks.iterrows()]
    results = Parallel(n_jobs=jobs, return_as="generator")(
        delayed(_segment_arrays)(path, seconds, picks, params) for path, picks, _ in jobs_list)
    results = progress_bar(results, total=len(jobs_list), desc=f"log-mel {seconds:g}-s segments", unit="track", disable=not progress)
    arrays, rows, failed = [], [], []
    for (path, picks, track), (pieces, error) in zip(jobs_list, results):
        if error:
            failed.append(error)
        for segment, piece in zip(picks, pieces):
            arrays.append(piece)
            rows.append(dict(track_id=track["track_id"], genre=track["genre"], segment=segment))
    frames = 1 + int(seconds * params.sample_rate) // params.hop_length
    X = np.stack(arrays)[..., None] if arrays else np.zeros((0, params.n_mels, frames, 1), np.float32)
    table = pd.DataFrame(rows, columns=["track_id", "genre", "segment"])
    table.attrs["failed"] = failed
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, X=X, track_id=table["track_id"].to_numpy(str), genre=table["genre"].to_numpy(str),
                 segment=table["segment"].to_numpy(int), failed=np.array(failed, dtype=str))
    return X, table


def main(argv: list[str] | None = None) -> int:
    from . import data

    parser = argparse.ArgumentParser(prog="python -m helpers.spectrograms", description="Render mel-spectrogram PNGs.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_render = sub.add_parser("render", help="render clip and segment PNGs (skips up-to-date images)")
    p_render.add_argument("root", type=Path)
    p_render.add_argument("--out", type=Path, required=True)
    p_render.add_argument("--segments", type=float, nargs="*", default=[3.0, 5.0, 10.0], help="segment lengths in seconds")
    p_render.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    tracks = data.tracks_for_cli(args.root)
    if tracks is None:
        return 2
    index = render_pngs(tracks, args.out, args.segments, jobs=args.jobs)
    print(index.groupby("variant").size().to_string())
    print(f"rendered {index.attrs['rendered']}, up to date {index.attrs['skipped']}, failed {len(index.attrs['failed'])}")
    for error in index.attrs["failed"]:
        print(f"  {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
