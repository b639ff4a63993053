"""Saved networks classify new audio with the preprocessing they were trained on."""

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from helpers import artifacts, cli, data, models, network_inputs, predict, spectrograms

from .conftest import REPO, write_corrupt, write_tone


@pytest.fixture
def clip_model(tmp_path):
    """A tiny untrained base CNN on 16x16 mel images, saved with its sidecar."""
    model = models.spectrogram_model("base-cnn", (16, 16, 1), 3, seed=0, filters=(2, 2, 2), dense_units=4)
    prep = predict.preprocessing("mel-image", image_size=16, window_seconds=7.0)
    path = artifacts.save_artifact(model, tmp_path / "models", name="clip", genres=["blues", "jazz", "rock"],
                                  preprocessing=prep, dataset="synthetic", protocol="random-70/10/20")
    return path, model


def test_preprocessing_names_valid_kinds():
    with pytest.raises(ValueError, match="valid: mel-image, log-mel, kaggle-image"):
        predict.preprocessing("mfcc")


def test_input_rebuilt_from_audio_equals_the_training_png(synthetic_dir, tmp_path):
    tracks = data.limit_per_genre(data.load_tracks(synthetic_dir), 1).head(2)
    index = spectrograms.render_pngs(tracks, tmp_path / "png", progress=False).index
    from_png = network_inputs.image_arrays(index["path"], 32, progress=False)
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
    loaded, sidecar = artifacts.load_artifact(path)
    good = write_tone(tmp_path / "song.wav", seconds=8.0)
    bad = write_corrupt(tmp_path / "broken.wav")
    inputs = predict.prepare_file(good, sidecar["preprocessing"])
    assert np.allclose(loaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0), atol=1e-6)
    table = predict.classify([good, bad], loaded, sidecar, top=2)
    assert table.loc[0, "genre"] in {"blues", "jazz", "rock"} and table.loc[0, "top"].count(",") == 1
    assert table.loc[0, "note"] == "" and table.loc[0, "windows"] == 1
    assert table.loc[1, "genre"] == "" and table.loc[1, "error"]


def test_classify_notes_padded_and_silent_files(clip_model, tmp_path):
    path, model = clip_model
    sidecar = artifacts.read_sidecar(path)[1]
    short = write_tone(tmp_path / "short.wav", seconds=1.0)
    silent = tmp_path / "silent.wav"
    sf.write(str(silent), np.zeros(8 * 22050, np.float32), 22050)
    long = write_tone(tmp_path / "long.wav", seconds=20.0)
    table = predict.classify([short, silent, long], model, sidecar).set_index("file")
    assert table.loc[str(short), "note"] == "shorter than one 7-s window: padded with silence"
    assert table.loc[str(silent), "note"] == "digital silence: the prediction means nothing"
    assert table.loc[str(long), "note"] == "" and table.loc[str(long), "windows"] == 2  # windows averaged
    assert (table["genre"] != "").all()  # a note is a warning, not a refusal


def test_command_line_classifies_a_folder_and_explains_bad_input(clip_model, tmp_path, capsys):
    path, _ = clip_model
    write_tone(tmp_path / "music" / "a.flac", seconds=7.0)
    write_tone(tmp_path / "music" / "sub" / "b.wav", seconds=20.0, freq=220.0)
    write_tone(tmp_path / "music" / "c.wav", seconds=2.0)
    assert cli.run(predict.main, [str(path), str(tmp_path / "music")]) == 0
    out = capsys.readouterr().out
    assert "a.flac" in out and "b.wav" in out
    assert "c.wav: shorter than one 7-s window: padded with silence" in out
    assert cli.run(predict.main, [str(path), str(tmp_path / "nowhere.wav")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli.run(predict.main, [str(path), str(tmp_path / "empty")]) == 2
    assert "no audio files" in capsys.readouterr().err
    (tmp_path / "notes.csv").write_text("a,b\n")
    assert cli.run(predict.main, [str(path), str(tmp_path / "notes.csv")]) == 2  # only non-audio files
    assert "no audio files" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        predict.main([str(path), str(tmp_path / "music"), "--top", "0"])
    assert "--top" in capsys.readouterr().err
    path.with_suffix(".json").unlink()
    assert cli.run(predict.main, [str(path), str(tmp_path / "music")]) == 2
    assert "clip.json is missing" in capsys.readouterr().err


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def no_tensorflow(monkeypatch):
    """Fail the test if a saved model is loaded (and TensorFlow imported) before the checks."""
    def refuse():
        raise AssertionError("TensorFlow was imported before the saved model's files were checked")

    monkeypatch.setattr(artifacts, "quiet_tensorflow", refuse)


def test_a_missing_model_is_reported_before_tensorflow_loads(tmp_path, capsys, no_tensorflow):
    song = write_tone(tmp_path / "song.wav")
    assert cli.run(predict.main, [str(tmp_path / "MISSING.keras"), str(song)]) == 2
    assert "no such model file" in one_error_line(capsys)
    assert cli.run(predict.main, [str(tmp_path / "model.h5"), str(song)]) == 2
    assert "give the .keras file" in one_error_line(capsys)


def test_broken_sidecars_name_the_file_and_the_key(clip_model, tmp_path, capsys, no_tensorflow):
    path, _ = clip_model
    song = write_tone(tmp_path / "song.wav")
    sidecar_path = path.with_suffix(".json")
    good = json.loads(sidecar_path.read_text())
    sidecar_path.write_text('{"model_file": "clip.keras", "genres": [')
    assert cli.run(predict.main, [str(path), str(song)]) == 2
    assert "clip.json is not valid JSON" in one_error_line(capsys)
    for key in artifacts.SIDECAR_KEYS:
        sidecar_path.write_text(json.dumps({k: v for k, v in good.items() if k != key}))
        assert cli.run(predict.main, [str(path), str(song)]) == 2
        line = one_error_line(capsys)
        assert "clip.json" in line and repr(key) in line
    sidecar_path.write_text(json.dumps({**good, "preprocessing": {**good["preprocessing"], "input": "mfcc"}}))
    assert cli.run(predict.main, [str(path), str(song)]) == 2
    assert "'mfcc' is not one of mel-image" in one_error_line(capsys)
    sidecar_path.write_text(json.dumps({**good, "model_file": "other.keras"}))
    with pytest.raises(artifacts.ArtifactError, match="no such model file: .*other.keras"):
        artifacts.read_sidecar(path)


def test_a_damaged_model_file_is_one_line(clip_model, tmp_path, capsys):
    path, _ = clip_model
    path.write_bytes(b"not a zip archive")
    assert cli.run(predict.main, [str(path), str(write_tone(tmp_path / "song.wav"))]) == 2
    assert "clip.keras is not a readable Keras model" in one_error_line(capsys)


def test_ctrl_c_during_classification_is_one_line(clip_model, tmp_path, capsys, monkeypatch):
    path, _ = clip_model

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(predict, "classify", interrupted)
    assert cli.run(predict.main, [str(path), str(write_tone(tmp_path / "song.wav"))]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err


def test_python_m_predict_with_a_missing_model_exits_fast_with_one_line(tmp_path):
    """The module's __main__ path: one line on stderr, exit 2, TensorFlow never imported."""
    song = write_tone(tmp_path / "song.wav")
    script = ("import runpy, sys\n"
              "try:\n"
              "    runpy.run_module('helpers.predict', run_name='__main__')\n"
              "finally:\n"
              "    print('tensorflow imported:', 'tensorflow' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "MISSING.keras"), str(song)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no such model file:") and result.stderr.count("\n") == 1, result.stderr
    assert "MISSING.keras" in result.stderr and "tensorflow imported: False" in result.stdout
