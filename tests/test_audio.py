import warnings

import numpy as np
import pytest
import soundfile as sf

from helpers.data import audio

from .conftest import write_corrupt, write_tone


@pytest.mark.parametrize("suffix", [".wav", ".au", ".flac", ".ogg"])
def test_load_formats_to_22050_mono(tmp_path, suffix):
    path = write_tone(tmp_path / f"tone{suffix}", seconds=1.5, sr=22050)
    samples, sr = audio.load(path)
    assert sr == 22050
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(len(samples) - 1.5 * 22050) <= 1
    assert 0.4 < np.max(np.abs(samples)) < 0.6


def test_stereo_44k_mp3_is_resampled_and_mixed_down(tmp_path):
    path = write_tone(tmp_path / "song.mp3", seconds=2.0, sr=44100, channels=2, freq=440.0, format="MP3")
    meta = audio.info(path)
    assert (meta.sample_rate, meta.channels) == (44100, 2)
    samples, sr = audio.load(path)
    assert sr == 22050 and samples.ndim == 1
    assert abs(len(samples) / sr - 2.0) < 0.1  # mp3 encoders add some padding
    spectrum = np.abs(np.fft.rfft(samples))
    assert abs(np.argmax(spectrum) * sr / len(samples) - 440.0) < 5.0  # still a 440 Hz tone
    stereo, _ = audio.load(path, mono=False, sr=None)
    assert stereo.shape[0] == 2


def test_other_sample_rates_are_resampled(tmp_path):
    path = write_tone(tmp_path / "tone.flac", seconds=1.0, sr=48000)
    samples, sr = audio.load(path)
    assert sr == 22050 and abs(len(samples) - 22050) <= 2
    native, native_sr = audio.load(path, sr=None)
    assert native_sr == 48000 and len(native) == 48000


def test_offset_and_duration(tmp_path):
    path = write_tone(tmp_path / "tone.wav", seconds=3.0)
    samples, _ = audio.load(path, offset=1.0, duration=1.0)
    assert len(samples) == 22050


def test_corrupt_file_raises_audio_error_naming_it(tmp_path):
    path = write_corrupt(tmp_path / "jazz.00054.wav")
    with pytest.raises(audio.AudioError, match="jazz.00054.wav"):
        audio.load(path)


def test_empty_and_missing_and_unsupported(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(audio.AudioError):
        audio.load(empty)
    with pytest.raises(audio.AudioError, match="no such file"):
        audio.load(tmp_path / "missing.wav")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(audio.AudioError, match="supported"):
        audio.info(text)


def test_silent_clip_loads_as_zeros(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(str(path), np.zeros(22050), 22050)
    samples, _ = audio.load(path)
    assert len(samples) == 22050 and not np.any(samples)


def test_segments_drop_the_tail_and_short_clips_give_none():
    sr = 100
    samples = np.arange(950, dtype=np.float32)
    parts = audio.segment(samples, sr, 3.0)
    assert parts.shape == (3, 300)
    assert parts[1, 0] == 300
    assert audio.segment(samples[:250], sr, 3.0).shape == (0, 300)
    assert audio.segment(samples, sr, 3.0, hop_seconds=1.5).shape == (5, 300)
    assert audio.segment_count(30.013, 3.0) == 10
    assert audio.segment_count(29.99999999, 3.0) == 10
    assert audio.segment_count(2.0, 3.0) == 0
    with pytest.raises(ValueError):
        audio.segment(samples, sr, 0)


def test_load_many_skips_and_lists_unreadable_files(tmp_path):
    good = write_tone(tmp_path / "a.wav")
    bad = write_corrupt(tmp_path / "b.wav")
    skipped = []
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        loaded = list(audio.load_many([good, bad], skipped=skipped))
    assert [p.name for p, _, _ in loaded] == ["a.wav"]
    assert len(skipped) == 1 and "b.wav" in skipped[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(audio.load_many([good]))) == 1


def test_cli_info(tmp_path, capsys):
    good = write_tone(tmp_path / "a.wav")
    bad = write_corrupt(tmp_path / "b.wav")
    assert audio.main(["info", str(good)]) == 0
    assert "22050 Hz" in capsys.readouterr().out
    assert audio.main(["info", str(good), str(bad)]) == 1
    assert "UNREADABLE" in capsys.readouterr().out
