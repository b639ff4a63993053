"""Log-mel spectrograms as the seed report's PNG images, and the Kaggle images beside them.

The seed recipe: 128 mel bands up to 8000 Hz, power converted to dB relative to
the maximum, min-max normalised to [0, 1], drawn without axes, resized to
128 x 128 grayscale, one folder per genre. Segment variants (3, 5, 10 s) cut
the decoded waveform first and compute one image per whole segment.

The PNGs are a representation (:class:`MelImages`, see ``helpers.inputs.representations``)
whose cache is the PNG files themselves, so one pass over the clips can render them
and compute other representations (log-mel segment arrays, features) with one decode
per clip. An image counts as up to date only when it is a complete PNG of the
expected size, newer than its audio file, and its variant folder's ``params.json``
names the same parameters; anything else is re-rendered. Every file is written
atomically (``helpers.data.cache``). Network-input arrays built from the images live in
``helpers.inputs.network_inputs``.

Command line::

    python -m helpers.inputs.spectrograms render DATASET_DIR --out DIR [--segments 3 5 10] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from .. import cli
from ..data import audio, cache
from . import representations

if TYPE_CHECKING:  # PIL is imported where it is used: it is slow to import
    from PIL import Image

CLIP_VARIANT = "clip"  # whole clip (30 s in GTZAN)
# The libraries whose versions shape a spectrogram (cache keys of derived arrays include them).
LIBRARIES: tuple[str, ...] = ("librosa", "numpy", "soundfile", "soxr", "pillow")

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk every complete PNG ends with


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


def to_image(normalized: np.ndarray, size: int = 128) -> Image.Image:
    """A grayscale PIL image, low frequencies at the bottom, resized to ``size`` x ``size``."""
    from PIL import Image

    pixels = np.flipud(np.clip(normalized, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return Image.fromarray(pixels, mode="L").resize((size, size), Image.Resampling.BILINEAR)


def image_from_audio(samples: np.ndarray, params: MelParams = MelParams()) -> Image.Image:
    """The PIL image :func:`render_pngs` would write for ``samples`` (no file written)."""
    return to_image(normalize(log_mel(samples, params)), params.image_size)


def variant_name(seconds: float | None) -> str:
    return CLIP_VARIANT if seconds is None else f"{seconds:g}s"


def is_complete_png(path: str | Path, size: int | None = None) -> bool:
    """Whether ``path`` is a whole PNG file (signature, header, final IEND chunk), ``size`` x ``size`` when given."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(24)
            handle.seek(0, os.SEEK_END)
            if handle.tell() < len(head) + len(_PNG_END):
                return False
            handle.seek(-len(_PNG_END), os.SEEK_END)
            tail = handle.read()
    except OSError:
        return False
    if head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR" or tail != _PNG_END:
        return False
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    return size is None or (width, height) == (size, size)


def _up_to_date(image: Path, source_mtime: float, size: int | None) -> bool:
    return is_complete_png(image, size) and image.stat().st_mtime >= source_mtime


def _save_png(image: Image.Image, target: Path) -> None:
    cache.atomic_write(target, lambda handle: image.save(handle, format="PNG"))


class _Image(NamedTuple):
    variant: str
    seconds: float | None  # segment length; None for the whole clip
    segment: int | None
    path: Path


@dataclass(frozen=True)
class ClipImages:
    """The PNGs of one clip: ``(variant, segment, path)`` each, and how many of them this pass drew."""

    images: tuple[tuple[str, int | None, str], ...]
    rendered: int = 0


@dataclass(frozen=True)
class MelImages:
    """The PNG representation of a clip (whole clip and/or segments); its value is a :class:`ClipImages`.

    Build it with :func:`mel_images`, which makes the variant folders agree with
    ``params`` first. The PNG files are the cache: :meth:`compute` writes them as
    it draws them (only the stale ones), :meth:`store` has nothing left to do.
    """

    out_dir: Path
    variants: tuple[float | None, ...]
    params: MelParams = MelParams()
    name: str = "mel PNGs"

    @property
    def sample_rate(self) -> int:
        return self.params.sample_rate

    def images_of(self, track: Mapping) -> list[_Image]:
        """Every image the clip should have, from the duration in its header."""
        images = []
        for seconds in self.variants:
            variant = variant_name(seconds)
            folder = self.out_dir / variant / track["genre"]
            if seconds is None:
                images.append(_Image(variant, None, None, folder / f"{track['track_id']}.png"))
            else:
                images += [_Image(variant, seconds, s, folder / f"{track['track_id']}.s{s:02d}.png")
                           for s in range(audio.segment_count(float(track["duration"]), seconds))]
        return images

    def cached(self, track: Mapping) -> ClipImages | None:
        try:
            source_mtime = Path(track["path"]).stat().st_mtime
        except OSError:
            return None  # the decode reports the missing file
        images = self.images_of(track)
        if not all(_up_to_date(image.path, source_mtime, self.params.image_size) for image in images):
            return None
        return ClipImages(tuple((i.variant, i.segment, str(i.path)) for i in images))

    def compute(self, samples: np.ndarray, sr: int, track: Mapping) -> ClipImages:
        source_mtime = Path(track["path"]).stat().st_mtime
        pieces: dict[float, np.ndarray] = {}
        done, rendered = [], 0
        for image in self.images_of(track):
            if not _up_to_date(image.path, source_mtime, self.params.image_size):
                if image.seconds is None:
                    piece = samples
                else:
                    if image.seconds not in pieces:
                        pieces[image.seconds] = audio.segment(samples, self.params.sample_rate, image.seconds)
                    if image.segment >= len(pieces[image.seconds]):  # header longer than the decodable audio
                        continue
                    piece = pieces[image.seconds][image.segment]
                _save_png(image_from_audio(piece, self.params), image.path)
                rendered += 1
            done.append((image.variant, image.segment, str(image.path)))
        return ClipImages(tuple(done), rendered)

    def store(self, track: Mapping, value: ClipImages) -> None:
        """Nothing: :meth:`compute` wrote the PNGs, which are this representation's cache."""


def mel_images(out_dir: str | Path, segment_seconds: Sequence[float] = (), include_clip: bool = True,
               params: MelParams = MelParams()) -> MelImages:
    """The :class:`MelImages` of the variants, after making their folders agree with ``params``.

    Each variant folder keeps a ``params.json``; when it names other parameters, the
    folder's PNGs are deleted so that every image is drawn again with ``params``. A
    folder with PNGs but without such a ``params.json``, or with a ``params.json`` that is
    not one, was not written here: ``cli.UserError`` then says so and nothing is changed.
    """
    for seconds in segment_seconds:
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"segment length must be a finite number of seconds above 0, got {seconds}")
    out_dir = Path(out_dir)
    variants = tuple(([None] if include_clip else []) + [float(s) for s in segment_seconds])
    wanted = asdict(params)
    for seconds in variants:
        folder = out_dir / variant_name(seconds)
        manifest = folder / "params.json"
        try:  # the parameters in a params.json this function wrote (a file of another kind is left alone)
            stored = json.loads(manifest.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            stored = None
        stored = stored if isinstance(stored, dict) and set(stored) == set(wanted) else None
        if stored != wanted:
            drawn = sorted(folder.glob("*/*.png"))
            if manifest.exists() and stored is None or drawn and stored is None:  # someone else's folder
                example = manifest if manifest.exists() else drawn[0]
                raise cli.UserError(f"{folder} holds files this renderer did not write (e.g. {example.relative_to(folder)}, "
                                    f"without a params.json of its own): nothing was changed; give another output folder")
            for stale in drawn:  # drawn here with other parameters: drawn again
                stale.unlink()
            cache.write_json(manifest, wanted)
    return MelImages(out_dir, variants, params)


@dataclass(frozen=True, eq=False)
class RenderedImages:
    """What :func:`render_pngs` did: one ``index`` row per image (``track_id, genre, variant, segment, path``),
    images drawn now, images already up to date, and the clips that could not be decoded (``"path: reason"``)."""

    index: pd.DataFrame
    rendered: int
    up_to_date: int
    failed: list[str]


def render_pngs(
    tracks: pd.DataFrame,
    out_dir: str | Path,
    segment_seconds: Sequence[float] = (),
    include_clip: bool = True,
    params: MelParams = MelParams(),
    jobs: int = 1,
    progress: bool = True,
) -> RenderedImages:
    """Render the PNGs of every readable track; skip images that are up to date (no decode when all are)."""
    images = mel_images(out_dir, segment_seconds, include_clip, params)
    result = representations.compute(tracks, [images], jobs=jobs, progress=progress, desc="rendering spectrograms")
    rows, rendered, total = [], 0, 0
    for track, clip in zip(result.tracks.to_dict("records"), result.values[images.name]):
        if clip is None:
            continue
        rendered += clip.rendered
        total += len(clip.images)
        rows += [dict(track_id=track["track_id"], genre=track["genre"], variant=v, segment=s, path=p) for v, s, p in clip.images]
    index = pd.DataFrame(rows, columns=["track_id", "genre", "variant", "segment", "path"])
    return RenderedImages(index, rendered, total - rendered, list(result.failed))


# ----------------------------------------------------------------------------- Kaggle images_original


def crop_kaggle_image(image: Image.Image, threshold: int = 250) -> Image.Image:
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


def kaggle_image_table(images_dir: str | Path) -> pd.DataFrame:
    """One row per Kaggle ``images_original/<genre>/*.png``: ``track_id, genre, path``."""
    from ..data.gtzan import track_id_of

    rows = [dict(track_id=track_id_of(p.stem), genre=p.parent.name, path=str(p))
            for p in sorted(Path(images_dir).glob("*/*.png"))]
    return pd.DataFrame(rows, columns=["track_id", "genre", "path"])


def cropped_kaggle_images(images_dir: str | Path, track_ids: Sequence[str], out_dir: str | Path) -> list[Path]:
    """Crop the white border off the Kaggle images of ``track_ids``; returns the cropped PNGs' paths.

    A crop that is a complete PNG newer than its Kaggle image is kept as it is.
    """
    from PIL import Image

    written = []
    for track_id in track_ids:
        source, target = kaggle_image_path(images_dir, track_id), Path(out_dir) / f"{track_id}.png"
        if not _up_to_date(target, source.stat().st_mtime, None):
            with Image.open(source) as image:
                _save_png(crop_kaggle_image(image), target)
        written.append(target)
    return written


# ----------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    from ..data.registry import readable_tracks

    parser = argparse.ArgumentParser(prog="python -m helpers.inputs.spectrograms", description="Render mel-spectrogram PNGs.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_render = sub.add_parser("render", help="render clip and segment PNGs (skips up-to-date images)")
    p_render.add_argument("root", type=Path, help="dataset folder")
    p_render.add_argument("--out", type=Path, required=True, help="folder for the PNGs (one sub-folder per variant)")
    p_render.add_argument("--segments", type=cli.positive_float, nargs="*", default=[3.0, 5.0, 10.0],
                          help="segment lengths in seconds")
    p_render.add_argument("--jobs", type=cli.positive_int, default=None,
                          help="parallel processes (default: every core this process may use; never more than cores or clips)")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.out.is_dir():
        raise cli.UserError(f"--out {args.out} is a file; give a folder for the images")
    tracks = readable_tracks(args.root)
    jobs = cli.worker_count(args.jobs, int(tracks["ok"].sum()) if "ok" in tracks else len(tracks))
    result = render_pngs(tracks, args.out, sorted(set(args.segments)), jobs=jobs)
    if len(result.index):
        print(result.index.groupby("variant").size().to_string())
    print(f"rendered {result.rendered}, up to date {result.up_to_date}, failed {len(result.failed)}")
    for error in result.failed:
        print(f"  {error}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
