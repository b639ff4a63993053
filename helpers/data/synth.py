"""The embedded default dataset: deterministic synthetic music in the GTZAN layout.

Each of the 10 GTZAN genres is a recipe of musically motivated traits drawn
per clip from overlapping ranges:

============  =========  ===========================================  ==============================
genre         tempo bpm  rhythm                                       timbre and harmony
============  =========  ===========================================  ==============================
blues         66-100     shuffle (swung eighths), backbeat            dominant-7th chords, warm
classical     56-96      no drums                                     sustained strings, vibrato, dark
country       88-124     boom-chick (bass on 1/3, chord on 2/4)       plucked major triads
disco         108-132    four-on-the-floor, open hats on off-beats    bright, octave bass
hiphop        76-100     heavy kick, snare on 2/4, sparse             sub bass, dark, vinyl noise
jazz          96-180     ride swing pattern, brushed snare            maj7/min7 chords, walking bass
metal         100-200    double kick, dense hats                      heavily distorted power chords
pop           96-126     clean kick/snare backbeat                    bright synth triads, lead
reggae        64-92      one-drop (kick+snare on 3), off-beat skank   muted chords on the "and"
rock          100-144    backbeat, eighth-note hats                   mildly distorted power chords
============  =========  ===========================================  ==============================

Per clip, tempo, key, brightness, noise, mix levels and distortion are drawn at
random; with some probability a clip borrows the drum pattern or the timbre of
another genre. The overlap keeps a features classifier well above chance and
below 100 %, like real data. A clip depends only on ``(seed, genre, index)``,
so a larger dataset contains the smaller one.

Rendering places precomputed drum hits and wavetable notes by slicing: about
0.05 s per 30-s clip.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..cli import UserError
from ..runtime import progress as progress_bar
from . import cache
from .gtzan import GENRES as GTZAN_GENRES

SAMPLE_RATE = 22050
MARKER_FILE = "SYNTHETIC.json"


@dataclass(frozen=True)
class GenreRecipe:
    tempo: tuple[float, float]
    drums: str  # pattern name in _DRUM_PATTERNS ("none" for no drums)
    chord: str  # chord quality in _CHORDS
    harmonics: tuple[float, float]  # spectral slope range: larger is darker
    distortion: tuple[float, float]  # tanh drive range (0: clean)
    noise: tuple[float, float]  # background noise level range
    bass: str  # "root", "octave", "walking", "sub", "none"
    comp: str  # chord rhythm: "sustain", "beats", "offbeat", "pluck"
    vibrato: float = 0.0


RECIPES: dict[str, GenreRecipe] = {
    "blues": GenreRecipe((66, 100), "shuffle", "dom7", (1.1, 1.6), (0.0, 0.8), (0.003, 0.01), "root", "beats"),
    "classical": GenreRecipe((56, 96), "none", "triad", (1.6, 2.4), (0.0, 0.0), (0.001, 0.004), "none", "sustain", 0.006),
    "country": GenreRecipe((88, 124), "boomchick", "triad", (0.9, 1.3), (0.0, 0.3), (0.002, 0.008), "root", "pluck"),
    "disco": GenreRecipe((108, 132), "four", "min7", (0.6, 1.0), (0.0, 0.4), (0.002, 0.008), "octave", "offbeat"),
    "hiphop": GenreRecipe((76, 100), "hiphop", "min7", (1.5, 2.2), (0.0, 0.5), (0.01, 0.03), "sub", "sustain"),
    "jazz": GenreRecipe((96, 180), "swing", "maj7", (1.3, 1.9), (0.0, 0.0), (0.002, 0.006), "walking", "beats"),
    "metal": GenreRecipe((100, 200), "double", "power", (0.5, 0.9), (4.0, 9.0), (0.01, 0.03), "root", "beats"),
    "pop": GenreRecipe((96, 126), "backbeat", "triad", (0.6, 1.0), (0.0, 0.4), (0.002, 0.008), "root", "beats"),
    "reggae": GenreRecipe((64, 92), "onedrop", "triad", (1.0, 1.5), (0.0, 0.5), (0.003, 0.01), "sub", "offbeat"),
    "rock": GenreRecipe((100, 144), "backbeat8", "power", (0.7, 1.1), (1.5, 4.0), (0.005, 0.02), "root", "beats"),
}

# Chord intervals in semitones above the root.
_CHORDS = {
    "triad": (0, 4, 7),
    "dom7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11, 14),
    "min7": (0, 3, 7, 10),
    "power": (0, 7, 12),
}
# Progressions as scale degrees in semitones, one chord a bar.
_PROGRESSIONS = ((0, 5, 7, 0), (0, 0, 5, 7), (0, 9, 5, 7), (0, 7, 9, 5), (0, 5, 0, 7), (2, 7, 0, 0))

# Drum patterns on a 16-step grid per bar: (kick, snare, hat). "swing"-type
# patterns are rendered with swung eighths.
_DRUM_PATTERNS: dict[str, tuple[str, str, str]] = {
    "shuffle": ("1000000010000000", "0000100000001000", "1010101010101010"),
    "boomchick": ("1000000010000000", "0000100000001000", "0010001000100010"),
    "four": ("1000100010001000", "0000100000001000", "0010001000100010"),
    "hiphop": ("1000000110100000", "0000100000001000", "1010101010101010"),
    "swing": ("1000000000000000", "0000000000001000", "1000101110001011"),
    "double": ("1111111111111111", "0000100000001000", "1010101010101010"),
    "backbeat": ("1000000010000000", "0000100000001000", "1010101010101010"),
    "onedrop": ("0000000010000000", "0000000010000000", "0010001000100010"),
    "backbeat8": ("1000000010100000", "0000100000001000", "1010101010101010"),
    "none": ("0" * 16, "0" * 16, "0" * 16),
}
_SWUNG = {"shuffle", "swing"}


def _decay(n: int, rate: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (rate * SAMPLE_RATE)).astype(np.float32)


def _drum_kit(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Kick (pitch-swept sine), snare (noise + tone), hat (high-passed noise)."""
    n = int(0.25 * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    f0 = rng.uniform(45, 65)
    kick = np.sin(2 * np.pi * (f0 * t + 60 * (1 - np.exp(-t * 30)) / 30)) * _decay(n, 0.07)
    noise = rng.standard_normal(n).astype(np.float32)
    snare = (0.6 * noise + 0.4 * np.sin(2 * np.pi * 190 * t)) * _decay(n, rng.uniform(0.03, 0.08))
    hat_noise = np.diff(rng.standard_normal(n // 4 + 1)).astype(np.float32)  # first difference: high-pass
    hat = hat_noise * _decay(n // 4, rng.uniform(0.008, 0.03))
    return {"kick": kick.astype(np.float32), "snare": snare.astype(np.float32), "hat": hat.astype(np.float32)}


def _wavetable(slope: float, odd_only: bool, size: int = 2048) -> np.ndarray:
    """One period of a tone whose harmonic k has amplitude k**-slope."""
    phase = 2 * np.pi * np.arange(size) / size
    ks = np.arange(1, 24)
    if odd_only:
        ks = ks[ks % 2 == 1]
    table = sum(k ** -slope * np.sin(k * phase) for k in ks)
    return (table / np.max(np.abs(table))).astype(np.float32)


def _add(out: np.ndarray, start: int, sound: np.ndarray, gain: float) -> None:
    if start >= len(out) or start < 0:
        return
    end = min(len(out), start + len(sound))
    out[start:end] += gain * sound[: end - start]


def _envelope(n: int, attack: float, decay: float | None, cache: dict) -> np.ndarray:
    key = (n, attack, decay)
    if key not in cache:
        t = np.arange(n, dtype=np.float32)
        env = np.minimum(1.0, t / max(1.0, attack * SAMPLE_RATE))
        if decay is not None:
            env = env * np.exp(-t / (decay * SAMPLE_RATE))
        else:
            env = env * np.minimum(1.0, (n - t) / (0.05 * SAMPLE_RATE))  # release
        cache[key] = env.astype(np.float32)
    return cache[key]


def _tone(table: np.ndarray, freqs: list[float], n: int, env: np.ndarray, vibrato: float) -> np.ndarray:
    """Sum of wavetable notes at ``freqs`` (a chord) sharing one envelope."""
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
    if vibrato:
        # Phase of a frequency-modulated tone: integral of f * (1 + v sin(2 pi 5.5 t)).
        t = t - vibrato * np.cos(2 * np.pi * 5.5 * t) / (2 * np.pi * 5.5)
    size = len(table)
    wave = np.zeros(n, np.float32)
    for f in freqs:
        wave += table[(t * (f * size)).astype(np.int64) % size]
    return wave * env


def render_clip(genre: str, index: int, seconds: float = 30.0, seed: int = 0) -> np.ndarray:
    """Render one clip as float32 samples at 22050 Hz. Deterministic in its arguments."""
    if genre not in RECIPES:
        raise ValueError(f"unknown genre {genre!r}; valid genres: {', '.join(RECIPES)}")
    genre_index = GTZAN_GENRES.index(genre)
    rng = np.random.default_rng([seed, genre_index, index])
    recipe = RECIPES[genre]
    # Overlap between genres: borrow the drums or the timbre of a random other genre.
    drums_from = recipe if rng.random() > 0.25 else RECIPES[GTZAN_GENRES[rng.integers(10)]]
    timbre_from = recipe if rng.random() > 0.25 else RECIPES[GTZAN_GENRES[rng.integers(10)]]

    n = int(seconds * SAMPLE_RATE)
    out_drums = np.zeros(n, np.float32)
    out_tonal = np.zeros(n, np.float32)
    tempo = rng.uniform(*recipe.tempo)
    beat = 60.0 / tempo
    step = beat / 4  # 16th notes
    bar = 4 * beat
    swing = 0.33 * step if drums_from.drums in _SWUNG else 0.0

    kick, snare, hat = _DRUM_PATTERNS[drums_from.drums]
    kit = _drum_kit(rng)
    humanize = rng.uniform(0.002, 0.012)
    for bar_start in np.arange(0.0, seconds, bar):
        for i in range(16):
            t = bar_start + i * step + (swing if i % 4 == 2 else 0.0)
            for pattern, name, gain in ((kick, "kick", 0.9), (snare, "snare", 0.5), (hat, "hat", 0.25)):
                if pattern[i] == "1":
                    jitter = rng.normal(0, humanize)
                    _add(out_drums, int((t + jitter) * SAMPLE_RATE), kit[name], gain * rng.uniform(0.7, 1.0))

    root_midi = rng.integers(40, 52)
    progression = _PROGRESSIONS[rng.integers(len(_PROGRESSIONS))]
    slope = rng.uniform(*timbre_from.harmonics)
    table = _wavetable(slope, odd_only=rng.random() < 0.3)
    bass_table = _wavetable(2.5, odd_only=False)
    chord = _CHORDS[recipe.chord]
    n_bar = int(bar * SAMPLE_RATE)
    n_beat = int(beat * SAMPLE_RATE)
    envelopes: dict = {}
    for b, bar_start in enumerate(np.arange(0.0, seconds, bar)):
        chord_root = root_midi + progression[b % len(progression)]
        freqs = [440.0 * 2 ** ((chord_root + 12 + iv - 69) / 12) for iv in chord]
        start = int(bar_start * SAMPLE_RATE)
        if recipe.comp == "sustain":
            hits = [(0, n_bar, 0.2, None)]
        elif recipe.comp == "pluck":
            hits = [(k * n_beat, n_beat, 0.002, 0.25) for k in range(4)]
        elif recipe.comp == "offbeat":
            hits = [(k * n_beat + n_beat // 2, n_beat // 2, 0.005, 0.08) for k in range(4)]
        else:
            hits = [(k * n_beat, n_beat, 0.01, 0.5) for k in range(4)]
        for offset, length, attack, decay in hits:
            env = _envelope(length, attack, decay, envelopes)
            _add(out_tonal, start + offset, _tone(table, freqs, length, env, timbre_from.vibrato), 0.18)
        bass_root = 440.0 * 2 ** ((chord_root - 12 - 69) / 12)
        if recipe.bass == "walking":
            for k in range(4):
                f = bass_root * 2 ** (rng.choice((0, 2, 4, 5, 7, 9)) / 12)
                env = _envelope(n_beat, 0.005, 0.4, envelopes)
                _add(out_tonal, start + k * n_beat, _tone(bass_table, [f], n_beat, env, 0.0), 0.45)
        elif recipe.bass in ("root", "octave", "sub"):
            octave = 0.5 if recipe.bass == "sub" else 1.0
            for k in range(4 if recipe.bass != "sub" else 2):
                f = bass_root * octave * (2 if recipe.bass == "octave" and k % 2 else 1)
                length = n_beat * (1 if recipe.bass != "sub" else 2)
                env = _envelope(length, 0.005, 0.35, envelopes)
                _add(out_tonal, start + k * length, _tone(bass_table, [f], length, env, 0.0), 0.5)

    drive = rng.uniform(*timbre_from.distortion)
    if drive > 0:
        out_tonal = np.tanh(drive * out_tonal) / np.tanh(drive)
    mix = rng.uniform(0.4, 1.0) * out_drums + rng.uniform(0.5, 1.0) * out_tonal
    mix += rng.uniform(*recipe.noise) * rng.standard_normal(n).astype(np.float32)
    peak = float(np.max(np.abs(mix))) or 1.0
    return (mix / peak * rng.uniform(0.3, 0.9)).astype(np.float32)


def write_dataset(out: str | Path, per_genre: int = 20, seconds: float = 30.0, seed: int = 0, progress: bool = True) -> Path:
    """Write ``out/genres_original/<genre>/<genre>.000NN.wav`` (16-bit, 22050 Hz mono) and a marker file.

    ``out`` must be new, empty or an earlier output of this function (see :func:`_clips_to_keep`);
    anything else raises :class:`~helpers.cli.UserError` before a byte is written, so real
    data is never overwritten. Each file is written atomically; a full disk or an unwritable
    folder raises ``OSError`` naming the file.
    """
    if per_genre < 1:
        raise ValueError(f"per_genre must be at least 1, got {per_genre}")
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    if seed < 0:
        raise ValueError(f"seed must be 0 or more, got {seed}")
    out = Path(out)
    keep = _clips_to_keep(out, seconds, seed, progress)
    jobs = [(g, i) for g in GTZAN_GENRES for i in range(per_genre) if (g, i) not in keep]
    for genre, index in progress_bar(jobs, desc="synthesizing clips", disable=not progress, unit="clip"):
        clip = out / "genres_original" / genre / f"{genre}.{index:05d}.wav"
        cache.write_bytes(clip, _wav_bytes(render_clip(genre, index, seconds, seed)))
    marker = {"generator": "helpers.data.synth", "per_genre": per_genre, "seconds": seconds, "seed": seed, "sample_rate": SAMPLE_RATE}
    # Written last: a folder without the marker is an interrupted generation, continued by the next call.
    cache.write_text(out / MARKER_FILE, json.dumps(marker, indent=2) + "\n")
    return out


def is_complete(out: str | Path, per_genre: int, seconds: float, seed: int) -> bool:
    """Whether ``out`` holds a finished :func:`write_dataset` with these settings (its marker says so); reads only."""
    try:
        meta = json.loads((Path(out) / MARKER_FILE).read_text())
    except (OSError, ValueError):  # no marker (not generated, or interrupted), or a damaged one
        return False
    wanted = {"per_genre": per_genre, "seconds": seconds, "seed": seed}
    return isinstance(meta, dict) and all(meta.get(key) == value for key, value in wanted.items())


def _wav_bytes(samples: np.ndarray) -> bytes:
    """A clip as the bytes of its WAV file (the same bytes ``soundfile`` writes to disk)."""
    buffer = io.BytesIO()
    sf.write(buffer, samples, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def _clips_to_keep(out: Path, seconds: float, seed: int, progress: bool) -> set[tuple[str, int]]:
    """The clips of an interrupted earlier generation that are already what this call writes.

    Raises :class:`~helpers.cli.UserError` when ``out`` is a file or holds anything this
    module does not write: only the marker, ``genres_original/<genre>/<genre>.NNNNN.wav`` and
    their hidden temporary files, all plain files (no links), are allowed. With the marker,
    the folder is an earlier generation and its clips are written over. Without it, the
    clips are taken for an interrupted generation only if each holds exactly the bytes this
    call writes under its name (same seed and length), so a real GTZAN file with a GTZAN
    name is never written over; those clips are kept, and the generation continues.
    """
    if not out.exists():
        return set()
    if not out.is_dir():
        raise UserError(f"{out} is a file; give a new or empty folder for the synthetic dataset")
    foreign = _not_written_here(out)
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise UserError(f"{out} holds what the synthetic generator did not write ({foreign[0].relative_to(out)}{more}); "
                        "nothing was written: give a new or empty folder")
    if (out / MARKER_FILE).exists():
        return set()
    clips = sorted(out.glob("genres_original/*/*.wav"))
    length = len(_wav_bytes(np.zeros(int(seconds * SAMPLE_RATE), np.float32)))
    wrong_length = next((clip for clip in clips if clip.stat().st_size != length), None)
    if wrong_length is not None:  # found at once, before any clip is rendered to compare
        raise _not_its_clip(out, wrong_length, seed, seconds)
    kept = set()
    for clip in progress_bar(clips, desc="checking earlier clips", disable=not progress or not clips, unit="clip"):
        genre, index = clip.parent.name, int(clip.name.split(".")[1])
        if clip.read_bytes() != _wav_bytes(render_clip(genre, index, seconds, seed)):
            raise _not_its_clip(out, clip, seed, seconds)
        kept.add((genre, index))
    return kept


def _not_its_clip(out: Path, clip: Path, seed: int, seconds: float) -> UserError:
    return UserError(f"{out} has no {MARKER_FILE} and {clip.relative_to(out)} is not the clip this generator writes "
                    f"with seed {seed} and {seconds:g} s (real data?); nothing was written: give a new or empty folder, "
                    "or the seed and length of the interrupted generation")


def _not_written_here(out: Path) -> list[Path]:
    """What the folder ``out`` holds that :func:`write_dataset` does not write, judged by name and kind."""
    foreign = []
    for path in sorted(out.iterdir()):
        if path.name == "genres_original" and path.is_dir() and not path.is_symlink():
            for folder in sorted(path.iterdir()):
                if folder.name in GTZAN_GENRES and folder.is_dir() and not folder.is_symlink():
                    foreign += [f for f in sorted(folder.iterdir()) if not _written_here(f, rf"{folder.name}\.\d{{5}}\.wav")]
                else:
                    foreign.append(folder)
        elif not _written_here(path, re.escape(MARKER_FILE)):
            foreign.append(path)
    return foreign


def _written_here(path: Path, name: str) -> bool:
    """``path`` is a plain file (no link) named ``name`` (a pattern), or a hidden temporary file of one:
    ``.<name>.<random>.tmp`` from :func:`helpers.data.cache.atomic_write`, ``.<name>.tmp`` from older versions."""
    return path.is_file() and not path.is_symlink() and re.fullmatch(rf"{name}|\.{name}(?:\.\w+)?\.tmp", path.name) is not None
