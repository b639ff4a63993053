"""Centred analysis frames of a signal that arrives in blocks: any range of frames, without the whole signal.

librosa's centred STFT (``center=True``) pads the signal with ``n_fft // 2`` samples on
each side and takes frame ``t`` from samples ``t * hop - n_fft // 2`` to ``+ n_fft``.
:class:`FramedSignal` keeps only the samples still needed and gives, for frames
``[start, stop)``, the padded samples that cover them exactly (:meth:`FramedSignal.samples`):
``librosa.stft(..., center=False)`` of those is the same as columns ``start:stop`` of
the whole signal's centred STFT, so a long file can be analysed block by block with the
numbers of a whole-signal computation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np


def frame_count(n_samples: int, n_fft: int, hop: int) -> int:
    """Frames of a centred STFT of ``n_samples`` (librosa: ``1 + (n + 2 * (n_fft // 2) - n_fft) // hop``)."""
    return 1 + (n_samples + 2 * (n_fft // 2) - n_fft) // hop


class FramedSignal:
    """The frames of a signal given as an iterable of 1-D blocks, read on demand.

    Frames must be asked for in increasing order (``start`` never below an earlier
    :meth:`forget_before`). ``length`` and ``frames`` are known once the blocks are
    exhausted, which :meth:`frames_until` reads far enough to decide."""

    def __init__(self, blocks: Iterable[np.ndarray], n_fft: int, hop: int):
        self.n_fft, self.hop, self.centre = n_fft, hop, n_fft // 2
        self._blocks = iter(blocks)
        self._buffer = np.zeros(0, np.float32)
        self._start = 0  # the signal position of _buffer[0]
        self.length: int | None = None  # samples, once the blocks are exhausted
        self.peak = 0.0  # largest absolute sample read so far

    @property
    def frames(self) -> int | None:
        """Frames of the whole signal, once its length is known."""
        return None if self.length is None else frame_count(self.length, self.n_fft, self.hop)

    def _read_to(self, end: int) -> None:
        parts, have = [self._buffer], self._start + len(self._buffer)
        while self.length is None and have < end:
            block = next(self._blocks, None)
            if block is None:
                self.length = have
                break
            block = np.asarray(block, dtype=np.float32)
            if len(block):
                self.peak = max(self.peak, float(np.max(np.abs(block))))
            parts.append(block)
            have += len(block)
        if len(parts) > 1:
            self._buffer = np.concatenate(parts)

    def frames_until(self, stop: int) -> int:
        """``stop`` or, when the signal ends before frame ``stop - 1`` is complete, the number of frames it has."""
        self._read_to((stop - 1) * self.hop - self.centre + self.n_fft)
        return stop if self.frames is None else min(stop, self.frames)

    def samples(self, start: int, stop: int, pad_mode: str = "constant") -> np.ndarray:
        """The centred-padded samples covering frames ``[start, stop)``: ``(stop - start - 1) * hop + n_fft`` values.

        ``pad_mode`` is the padding beyond the signal's ends, as ``numpy.pad`` names it ("constant": zeros, librosa's
        STFT default; "edge": librosa's zero-crossing rate; "reflect": musicnn's librosa 0.7)."""
        first = start * self.hop - self.centre
        end = (stop - 1) * self.hop - self.centre + self.n_fft
        self._read_to(end)
        if max(first, 0) < self._start:
            raise ValueError(f"samples from {first} were forgotten (kept from {self._start})")
        available = self._start + len(self._buffer)
        left, right = max(0, -first), max(0, end - available)
        if right and self.length is None:
            raise ValueError(f"frames up to {stop} lie beyond the signal read so far")
        piece = self._buffer[max(first, 0) - self._start: min(end, available) - self._start]
        return np.pad(piece, (left, right), mode=pad_mode) if left or right else piece

    def signal(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)`` of the signal itself (no padding), clipped to its end."""
        self._read_to(stop)
        if start < self._start:
            raise ValueError(f"samples from {start} were forgotten (kept from {self._start})")
        return self._buffer[start - self._start: stop - self._start]

    def frame_blocks(self, size: int, context: int = 0) -> Iterator[tuple[int, int, int, int]]:
        """``(start, stop, first, last)`` per block of ``size`` frames: the block's frames ``[start, stop)`` and, with
        ``context`` frames on either side (clipped to the signal), ``[first, last)``. The signal is read as far as each
        block needs and forgotten up to what the next one needs."""
        start = 0
        while True:
            stop = self.frames_until(start + size)
            if stop <= start:
                return
            first, last = max(0, start - context), self.frames_until(stop + context)
            yield start, stop, first, last
            self.forget_before_frame(max(0, stop - context))
            start = stop

    def forget_before_frame(self, frame: int) -> None:
        """Drop the samples that no frame from ``frame`` on needs."""
        self.forget_before(frame * self.hop - self.centre)

    def forget_before(self, position: int) -> None:
        """Drop the samples before signal position ``position``."""
        cut = position - self._start
        if cut > 0:
            self._buffer = self._buffer[cut:].copy()
            self._start = position
