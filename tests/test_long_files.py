"""Long files in bounded memory: block-by-block decoding, framing, features and musicnn windows equal the whole-signal
computations (the memory itself is measured by benchmarks/long_file_memory.py, not here)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from helpers.data import audio, stream, synth
from helpers.inputs import framing
from helpers.inputs.features import clip as features_clip
from helpers.inputs.features import long as features_long
from helpers.models import pretrained, pretrained_port


def _music(seconds: float, seed: int = 3) -> np.ndarray:
    """Synthetic music (three genres one after the other): beats, chords and silence-free, so that tempo, tuning and
    HPSS have something to find."""
    parts = [synth.render_clip(genre, seed, seconds / 3, seed=seed) for genre in ("jazz", "metal", "reggae")]
    return np.concatenate(parts).astype(np.float32)


def _blocks(x: np.ndarray, size: int):
    return lambda: (x[i: i + size] for i in range(0, len(x), size))


@pytest.mark.parametrize("native, channels", [(44100, 2), (48000, 1), (22050, 1), (8000, 1)])
def test_streamed_blocks_are_the_samples_of_a_whole_decode(tmp_path, native, channels):
    rng = np.random.default_rng(native)
    path = tmp_path / "x.flac"
    sf.write(path, (0.1 * rng.standard_normal((native * 4 + 37, channels))).astype(np.float32), native)
    for sr in (22050, 16000, None):
        whole, _ = audio.load(path, sr=sr)
        for seconds in (0.01, 1.3, 100.0):
            assert np.array_equal(np.concatenate(list(stream.blocks(path, sr=sr, block_seconds=seconds))), whole)


def test_streamed_blocks_report_a_damaged_file_like_a_whole_decode(tmp_path):
    good = tmp_path / "cut.wav"
    sf.write(good, np.zeros(22050 * 4, np.float32), 22050, subtype="PCM_16")
    good.write_bytes(good.read_bytes()[: 22050])  # the header announces 4 s
    with pytest.raises(audio.AudioError, match="truncated"):
        list(stream.blocks(good))
    text = tmp_path / "text.wav"
    text.write_text("not audio")
    with pytest.raises(audio.AudioError, match="text.wav"):
        list(stream.blocks(text))


@pytest.mark.parametrize("pad_mode", ["constant", "edge", "reflect"])
def test_framed_signal_gives_the_padded_samples_of_any_frames(pad_mode):
    x = np.arange(10_000, dtype=np.float32)
    n_fft, hop = 512, 128
    padded = np.pad(x, n_fft // 2, mode=pad_mode)
    signal = framing.FramedSignal(_blocks(x, 777)(), n_fft, hop)
    seen = []
    for start, stop, first, last in signal.frame_blocks(20, context=3):
        piece = signal.samples(first, last, pad_mode)
        assert np.array_equal(piece, padded[first * hop: (last - 1) * hop + n_fft])
        seen.append((start, stop))
    assert signal.frames == framing.frame_count(len(x), n_fft, hop) == seen[-1][1]
    assert [a for a, _ in seen] == [0, *[b for _, b in seen[:-1]]]  # consecutive blocks, every frame once


def test_long_clip_features_equal_the_whole_signal_features_block_by_block():
    x = _music(45.0)  # several blocks of 300 frames, and an end that is not a whole block
    whole = features_clip.clip_features(x, 22050)
    blocked = features_long.long_clip_features(_blocks(x, 30_000), 22050, frames_per_block=300)
    assert list(blocked) == list(whole)
    for name in whole:
        assert blocked[name] == pytest.approx(whole[name], rel=1e-4, abs=1e-7), name


def test_long_feature_rows_give_the_rows_of_the_whole_signal():
    x = _music(12.0)
    params = features_clip.FeatureParams(segment_seconds=3.0)
    rows = features_long.long_feature_rows(_blocks(x, 10_000), 22050, params)
    pieces = features_clip.pieces(x, params)
    assert [(index, length) for index, length, _, _ in rows] == [(i, len(p)) for i, p in pieces]
    for (_, _, silent, row), (_, piece) in zip(rows, pieces):
        assert not silent and row == features_clip.clip_features(piece, 22050, params)
    short = features_long.long_feature_rows(_blocks(x[:1000], 300), 22050)
    assert short == []  # shorter than one frame: no row, as FeatureRows gives
    [(segment, length, silent, _)] = features_long.long_feature_rows(_blocks(np.zeros(5000, np.float32), 300), 22050)
    assert (segment, length, silent) == (-1, 5000, True)


@pytest.mark.parametrize("sr", [22050, 44100, 8000])
def test_musicnn_resampling_block_by_block_is_bit_for_bit_the_whole_resampling(sr):
    x = (0.1 * np.random.default_rng(sr).standard_normal(sr * 5 + 37)).astype(np.float32)
    whole = pretrained.resample(x, sr)
    for size in (7, 4410, 10**6):
        assert np.array_equal(np.concatenate(list(pretrained.resample_blocks(_blocks(x, size)(), sr))), whole)


@pytest.mark.parametrize("hop", [61, 187, 1000])
def test_musicnn_windows_block_by_block_equal_the_windows_of_the_whole_log_mel(hop):
    x = _music(20.0)[: 16000 * 20 + 12345]
    whole = pretrained_port.windows(pretrained_port.log_mel(x), hop)
    for frames in (100, 4096):
        batches = list(pretrained_port.log_mel_window_batches(_blocks(x, 5000)(), hop, frames))
        np.testing.assert_allclose(np.concatenate(batches), whole, rtol=0, atol=1e-5)


def test_a_long_file_is_never_decoded_whole_and_gives_the_rows_of_a_whole_decode(tmp_path, monkeypatch):
    from helpers.inputs import representations
    from helpers.inputs.features import FeatureRows

    path = tmp_path / "jazz" / "mix.wav"
    path.parent.mkdir()
    sf.write(path, _music(9.0), 22050, subtype="PCM_16")
    track = dict(track_id="jazz.mix", genre="jazz", path=str(path))
    tracks = __import__("pandas").DataFrame([track])
    rows = FeatureRows(cache_dir=None)
    whole = representations.compute(tracks, [rows], progress=False).values["features"]  # 9 s: decoded whole
    monkeypatch.setattr(stream, "LONG_FILE_SECONDS", 5.0)
    monkeypatch.setattr(audio, "load", lambda *a, **k: pytest.fail("a long file was decoded whole"))
    streamed = representations.compute(tracks, [rows], progress=False).values["features"]
    [[whole_row]], [[streamed_row]] = whole, streamed
    assert set(streamed_row) == set(whole_row)
    for key, value in whole_row.items():
        assert streamed_row[key] == pytest.approx(value, rel=1e-4, abs=1e-7), key


def test_predict_reads_a_long_file_block_by_block_with_the_probabilities_of_a_whole_decode(tmp_path, monkeypatch):
    from helpers import predict
    from helpers.models import artifacts, zoo

    from .test_predict import save_musicnn_model

    music, silent = tmp_path / "music.flac", tmp_path / "silent.wav"
    sf.write(music, _music(21.0), 22050)
    sf.write(silent, np.zeros(22050 * 21, np.float32), 22050)
    image_model = zoo.spectrogram_model("base-cnn", (16, 16, 1), 3, seed=0, filters=(2, 2, 2), dense_units=4)
    models = [save_musicnn_model(tmp_path / "musicnn"),
              artifacts.save_artifact(image_model, tmp_path / "image", name="clip", genres=["blues", "jazz", "rock"],
                                      preprocessing=predict.preprocessing("mel-image", image_size=16, window_seconds=7.0),
                                      dataset="gtzan", protocol="random-70/10/20", profile="report")]
    for path in models:
        model, sidecar = artifacts.load_artifact(path)
        whole = predict.classify([music, silent], model, sidecar)
        with monkeypatch.context() as patched:
            patched.setattr(stream, "LONG_FILE_SECONDS", 5.0)
            patched.setattr(audio, "load", lambda *a, **k: pytest.fail("a long file was decoded whole"))
            streamed = predict.classify([music, silent], model, sidecar)
        assert streamed[["file", "genre", "windows", "note", "error"]].equals(whole[["file", "genre", "windows", "note", "error"]])
        np.testing.assert_allclose(streamed["probability"], whole["probability"], rtol=1e-5)
        assert list(whole["windows"]) == ([19, 19] if "musicnn" in str(path) else [3, 3])
        assert whole["note"].iloc[1] == "digital silence: the prediction means nothing"
