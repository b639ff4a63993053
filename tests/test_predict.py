"""Saved networks classify new audio with the preprocessing they were trained on."""

import numpy as np
import pytest

from helpers import audio, data, models, predict, spectrograms, training

from .conftest import write_corrupt, write_tone


@pytest.fixture
def clip_model(tmp_path):
    """A tiny untrained base CNN on 16x16 mel images, saved with its sidecar."""
    model = models.spectrogram_model("base-cnn", (16, 16, 1), 3, seed=0, filters=(2, 2, 2), dense_units=4)
    prep = predict.preprocessing("mel-image", image_size=16, window_seconds=7.0)
    path = training.save_artifact(model, tmp_path / "models", name="clip", genres=["blues", "jazz", "rock"],
                                  preprocessing=prep, dataset="synthetic", protocol="random-70/10/20")
    return path, model


def test_preprocessing_names_valid_kinds():
    with pytest.raises(ValueError, match="valid: mel-image, log-mel, kaggle-image"):
        predict.preprocessing("mfcc")


def test_input_rebuilt_from_audio_equals_the_training_png(synthetic_dir, tmp_path):
    tracks = data.limit_per_genre(data.load_tracks(synthetic_dir), 1).head(2)
    index = spectrograms.render_pngs(tracks, tmp_path / "png", progress=False)
    from_png = spectrograms.image_arrays(index["path"], 32)
    prep = predict.preprocessing("mel-image", image_size=32, window_seconds=7.0)
    for path, expected in zip(tracks["path"], from_png):
        rebuilt = predict.prepare_file(path, prep)
        assert rebuilt.shape == (1, 32, 32, 1) and np.allclose(rebuilt[0], expected, atol=1e-6)


def test_windows_cut_long_files_and_pad_short_ones():
    sr = 22050
    prep = predict.preprocessing("log-mel", mel=spectrograms.MelParams(n_mels=16), window_seconds=3.0)
    long = predict.prepare_audio(np.random.default_rng(0).normal(size=10 * sr).astype(np.float32), prep)
    short = predict.prepare_audio(np.ones(sr, np.float32) * 0.1, prep)
    assert long.shape == (3, 16, 130, 1) and short.shape == (1, 16, 130, 1)
    with pytest.raises(ValueError, match="Kaggle images_original"):
        predict.prepare_audio(np.zeros(sr, np.float32), predict.preprocessing("kaggle-image", image_size=16))


def test_reloaded_model_predicts_the_same_and_classify_lists_unreadable_files(clip_model, tmp_path):
    path, model = clip_model
    loaded, sidecar = training.load_artifact(path)
    good = write_tone(tmp_path / "song.wav", seconds=8.0)
    bad = write_corrupt(tmp_path / "broken.wav")
    inputs = predict.prepare_file(good, sidecar["preprocessing"])
    assert np.allclose(loaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0), atol=1e-6)
    table = predict.classify([good, bad], loaded, sidecar, top=2)
    assert table.loc[0, "genre"] in {"blues", "jazz", "rock"} and table.loc[0, "top"].count(",") == 1
    assert table.loc[1, "genre"] == "" and table.loc[1, "error"]


def test_command_line_classifies_a_folder_and_explains_bad_input(clip_model, tmp_path, capsys):
    path, _ = clip_model
    write_tone(tmp_path / "music" / "a.flac", seconds=7.0)
    write_tone(tmp_path / "music" / "sub" / "b.wav", seconds=20.0, freq=220.0)
    assert predict.main([str(path), str(tmp_path / "music")]) == 0
    out = capsys.readouterr().out
    assert "a.flac" in out and "b.wav" in out
    assert predict.main([str(path), str(tmp_path / "nowhere.wav")]) == 2
    assert "no such file" in capsys.readouterr().err
    path.with_suffix(".json").unlink()
    assert predict.main([str(path), str(tmp_path / "music")]) == 2
    assert "sidecar" in capsys.readouterr().err
