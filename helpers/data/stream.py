"""Decode a file block by block, so that memory is bounded by the block, not by the file's length.

``audio.load`` holds the whole decoded file and a resampled copy: about 320 MB per hour of
22050-Hz mono, after 1.3 GB for the 44.1-kHz stereo it was decoded from. :func:`blocks`
yields the same samples as ``audio.load(path, sr)`` (the channels averaged, then
resampled with soxr's HQ quality, whose streaming resampler gives exactly its one-shot
result) in blocks of about ``block_seconds``, with the same checks: an unreadable,
truncated or NaN-holding file raises ``audio.AudioError`` naming it, when the problem is met.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from . import audio

DEFAULT_BLOCK_SECONDS = 10.0
# Files longer than this are read block by block where it matters (feature extraction, predict): a song of a few
# minutes, an hour-long mix or a whole album in one file then needs no more memory than a clip.
LONG_FILE_SECONDS = 60.0


def blocks(path: str | Path, sr: int | None = audio.DEFAULT_SAMPLE_RATE,
           block_seconds: float = DEFAULT_BLOCK_SECONDS) -> Iterator[np.ndarray]:
    """Mono float32 blocks of ``path`` at ``sr`` (``None``: the file's own rate) whose concatenation is
    ``audio.load(path, sr)[0]``. Raises ``audio.AudioError`` for an unreadable or damaged file."""
    path = Path(path)
    header = audio.info(path)
    native = header.sample_rate
    return _blocks(path, header, native if sr is None else int(sr), max(1, int(block_seconds * native)))


def sample_rate(path: str | Path, sr: int | None) -> int:
    """The rate :func:`blocks` yields ``path`` at: ``sr``, or the file's own rate for ``None``."""
    return audio.info(path).sample_rate if sr is None else int(sr)


def _blocks(path: Path, header: audio.AudioInfo, sr: int, block_frames: int) -> Iterator[np.ndarray]:
    import soxr  # librosa's resampler (res_type "soxr_hq"), installed with it

    resampler = None if sr == header.sample_rate else soxr.ResampleStream(header.sample_rate, sr, 1, dtype="float32",
                                                                           quality="HQ")
    decoded = yielded = 0
    try:
        handle = sf.SoundFile(str(path))
    except Exception as error:  # libsndfile raises several types
        raise audio.AudioError(f"{path}: {audio._reason(error)}") from error
    with handle:
        while True:
            try:
                data = handle.read(block_frames, dtype="float32", always_2d=True)
            except Exception as error:
                raise audio.AudioError(f"{path}: {audio._reason(error)}") from error
            last = len(data) < block_frames
            if not np.all(np.isfinite(data)):
                raise audio.AudioError(f"{path}: decoded samples contain NaN or infinity")
            decoded += len(data)
            if last:
                _check_complete(path, header, decoded)
            mono = np.ascontiguousarray(data.mean(axis=1), dtype=np.float32)
            out = mono if resampler is None else resampler.resample_chunk(mono, last=last)
            if last and resampler is not None:
                # librosa.resample fixes the length to ceil(n * ratio), padding with zeros or cutting.
                wanted = int(np.ceil(decoded * (float(sr) / header.sample_rate))) - yielded
                out = np.pad(out, (0, max(0, wanted - len(out))))[:max(0, wanted)]
            if len(out):
                yielded += len(out)
                yield np.ascontiguousarray(out, dtype=np.float32)
            if last:
                return


def _check_complete(path: Path, header: audio.AudioInfo, decoded: int) -> None:
    """``audio.load``'s checks of a whole decode: samples at all, and not much fewer than the header announces."""
    if decoded == 0:
        raise audio.AudioError(f"{path}: no audio samples could be decoded")
    if decoded < header.frames * (1 - audio.TRUNCATION_TOLERANCE):
        raise audio.AudioError(f"{path}: truncated: decoded {decoded / header.sample_rate:.2f} s of the "
                               f"{header.frames / header.sample_rate:.2f} s its header announces")
