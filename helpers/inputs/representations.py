"""One pass over the clips: decode each clip once and compute every representation it still lacks.

A *representation* (the 57 features, per-frame sequences, mel-spectrogram PNGs,
log-mel segment arrays, ...) is anything computed per clip from its decoded
waveform and cached per clip by the content of its file (``helpers.data.cache``).
:func:`compute` asks each representation for its cached value first and decodes
a clip only when one of them misses, so the first run of the notebooks decodes
each clip once however many representations they use (:func:`compute` with all of
them, as ``prepare`` does), and later runs decode nothing.

A representation is any object with:

``name``            a short label for progress bars;
``sample_rate``     the rate it needs the waveform at;
``cached(track)``   its value for the tracks-table row ``track`` from the cache, or ``None``;
``compute(samples, sr, track)``  the value from the decoded mono waveform;
``store(track, value)``          write the value to the cache (atomically).

and, optionally, ``compute_blocks(blocks, sr, track)``: the same value from ``blocks()``, a
function that yields the waveform in blocks each time it is called
(``helpers.data.stream.blocks``). A file longer than :data:`helpers.data.stream.LONG_FILE_SECONDS` is then never
decoded whole: memory stays bounded by a block however long the file is (an hour-long mix,
a whole album in one file).

Objects must be picklable: clips are processed in parallel worker processes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from ..data import audio, stream
from ..runtime import progress as progress_bar


class Representation(Protocol):
    name: str
    sample_rate: int

    def cached(self, track: Mapping) -> Any | None: ...

    def compute(self, samples, sr: int, track: Mapping) -> Any: ...

    def store(self, track: Mapping, value: Any) -> None: ...


@dataclass
class PassResult:
    """What :func:`compute` produced, aligned with the readable rows of the tracks table it was given."""

    tracks: pd.DataFrame  # the readable rows, in order
    values: dict[str, list[Any]]  # per representation name: one value per row (None where the clip failed)
    failed: list[str] = field(default_factory=list)  # "path: reason" of every clip that could not be decoded
    decoded: int = 0  # clips this pass decoded (0 when everything came from the cache)


def _one_clip(track: dict, representations: Sequence[Representation]) -> tuple[list[Any], str, int]:
    values = [rep.cached(track) for rep in representations]
    missing = [i for i, value in enumerate(values) if value is None]
    if not missing:
        return values, "", 0
    decoded: dict[int, tuple] = {}
    long = _is_long(track["path"])
    for i in missing:
        rep = representations[i]
        if long and hasattr(rep, "compute_blocks"):
            def blocks(rate: int = rep.sample_rate):
                return stream.blocks(track["path"], rate)
            try:
                values[i] = rep.compute_blocks(blocks, rep.sample_rate, track)
            except audio.AudioError as error:
                return [None] * len(representations), str(error), 0
            rep.store(track, values[i])
            continue
        if rep.sample_rate not in decoded:
            try:
                decoded[rep.sample_rate] = audio.load(track["path"], sr=rep.sample_rate)
            except audio.AudioError as error:
                return [None] * len(representations), str(error), 0
        samples, sr = decoded[rep.sample_rate]
        values[i] = rep.compute(samples, sr, track)
        rep.store(track, values[i])
    return values, "", 1  # decoded (once per sample rate the representations need)


def _is_long(path) -> bool:
    """Whether the file's header announces more than ``stream.LONG_FILE_SECONDS`` (an unreadable header: no, the whole
    decode then fails and says why)."""
    try:
        return audio.info(path).duration > stream.LONG_FILE_SECONDS
    except audio.AudioError:
        return False


def compute(tracks: pd.DataFrame, representations: Sequence[Representation], jobs: int = 1,
            progress: bool = True, desc: str | None = None) -> PassResult:
    """Every representation of every readable track, decoding each clip at most once per sample rate.

    Unreadable clips (``ok`` False in the table, or failing to decode now) get ``None``
    values; the ones that failed to decode are listed in ``failed``.
    """
    from joblib import Parallel, delayed

    usable = tracks[tracks["ok"]].reset_index(drop=True) if "ok" in tracks else tracks.reset_index(drop=True)
    records = usable.to_dict("records")
    results = Parallel(n_jobs=jobs, return_as="generator")(delayed(_one_clip)(track, representations) for track in records)
    label = desc or ", ".join(rep.name for rep in representations)
    values: dict[str, list[Any]] = {rep.name: [] for rep in representations}
    failed, decoded = [], 0
    for clip_values, error, count in progress_bar(results, total=len(records), desc=label, unit="clip", disable=not progress):
        if error:
            failed.append(error)
        decoded += count
        for rep, value in zip(representations, clip_values):
            values[rep.name].append(value)
    return PassResult(usable, values, failed, decoded)
