"""Saved networks classify new audio with the preprocessing they were trained on."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from helpers import cli, data, predict
from helpers.inputs import network_inputs, spectrograms
from helpers.models import artifacts, pretrained, zoo

from .conftest import REPO, write_corrupt, write_tone


@pytest.fixture
def clip_model(tmp_path):
    """A tiny untrained base CNN on 16x16 mel images, saved with its sidecar."""
    model = zoo.spectrogram_model("base-cnn", (16, 16, 1), 3, seed=0, filters=(2, 2, 2), dense_units=4)
    prep = predict.preprocessing("mel-image", image_size=16, window_seconds=7.0)
    path = artifacts.save_artifact(model, tmp_path / "models", name="clip", genres=["blues", "jazz", "rock"],
                                  preprocessing=prep, dataset="gtzan", protocol="random-70/10/20", profile="report")
    return path, model


def test_preprocessing_names_valid_kinds():
    with pytest.raises(ValueError, match="valid: mel-image, log-mel, kaggle-image, musicnn-mel"):
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


# ---------------------------------------------------------------------------- musicnn-mel models and the default model

MUSICNN_GENRES = ["blues", "jazz", "rock"]
METRICS = {"accuracy": {"value": 0.78, "ci_low": 0.72, "ci_high": 0.835},
           "balanced_accuracy": {"value": 0.77, "ci_low": 0.71, "ci_high": 0.83},
           "macro_f1": {"value": 0.76, "ci_low": 0.7, "ci_high": 0.82}}
CARD = {"summary": "A genre classifier on MSD-musicnn windows.", "training_data": "GTZAN, 10 genres x 100 clips",
        "sizes": {"train": 700, "valid": 100, "test": 200},
        "limitations": ["It knows only these 3 genres: other music gets one of them.",
                        "It has heard only 30-s excerpts of commercial recordings."]}


def save_musicnn_model(folder, card=CARD):
    """A tiny untrained stand-in for the default model: one (187, 96) musicnn window -> softmax over 3 genres."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((187, 96))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.GlobalAveragePooling1D()(inputs))
    return artifacts.save_artifact(keras.Model(inputs, outputs), folder, name=predict.DEFAULT_MODEL, genres=MUSICNN_GENRES,
                                   preprocessing=predict.musicnn_preprocessing("msd-musicnn"), dataset="gtzan",
                                   protocol="random-70/10/20", profile="report", metrics=METRICS, card=card)


@pytest.fixture
def musicnn_model(tmp_path):
    return save_musicnn_model(tmp_path / "models")


@pytest.fixture
def no_default(tmp_path, monkeypatch):
    """A repository without a default model and no $MGC_MODEL: the lookup must not find the real repository's."""
    monkeypatch.delenv("MGC_MODEL", raising=False)
    monkeypatch.delenv("MGC_MULTI_MODEL", raising=False)
    monkeypatch.setattr(predict, "REPO_ROOT", tmp_path / "repo")
    return tmp_path / "repo"


def test_musicnn_preprocessing_is_the_sidecar_recipe():
    assert predict.musicnn_preprocessing("msd-musicnn") == {
        "input": "musicnn-mel", "checkpoint": "msd-musicnn", "sample_rate": 16000, "window_seconds": 3.0,
        "hop_seconds": 1.0, "resampler": pretrained.RESAMPLER}
    assert predict.musicnn_preprocessing("mtt-vgg", hop_seconds=3)["hop_seconds"] == 3.0
    with pytest.raises(ValueError, match="unknown model 'musicnn'"):
        predict.musicnn_preprocessing("musicnn")


def test_a_musicnn_model_averages_its_windows_and_notes_short_and_silent_files(musicnn_model, tmp_path):
    model, sidecar = artifacts.load_artifact(musicnn_model)
    assert sidecar["card"] == CARD and sidecar["metrics"] == METRICS and sidecar["input_shape"] == [187, 96]
    song = write_tone(tmp_path / "song.wav", seconds=5.0)
    inputs = predict.prepare_file(song, sidecar["preprocessing"])
    assert inputs.shape == (3, 187, 96) and inputs.dtype == np.float32  # 3-s windows at 0, 1 and 2 s
    assert np.allclose(model.predict(inputs, verbose=0).sum(axis=1), 1.0, atol=1e-5)
    short = write_tone(tmp_path / "short.wav", seconds=1.0)
    silent = tmp_path / "silent.wav"
    sf.write(str(silent), np.zeros(4 * 22050, np.float32), 22050)
    broken = write_corrupt(tmp_path / "broken.mp3")
    table = predict.classify([song, short, silent, broken], model, sidecar, top=3).set_index("file")
    row = table.loc[str(song)]
    assert row["windows"] == 3 and row["note"] == "" and row["genre"] in MUSICNN_GENRES
    assert 1 / 3 <= row["probability"] <= 1
    assert abs(sum(float(part.split()[-1]) for part in row["top"].split(", ")) - 1.0) < 0.02  # all 3 genres listed
    assert table.loc[str(short), "note"] == "shorter than one 3-s window: padded by repeating it"
    assert table.loc[str(short), "windows"] == 1
    assert table.loc[str(silent), "note"] == "digital silence: the prediction means nothing"
    assert table.loc[str(broken), "genre"] == "" and table.loc[str(broken), "error"]


def test_default_model_lookup_order(tmp_path, no_default, monkeypatch):
    with pytest.raises(cli.UserError, match=r"build it with \./run_all\.sh \(notebook 05_pretrained_music"):
        predict.default_model()
    older, newer = (save_musicnn_model(no_default / "runs" / run / "models") for run in ("report-gtzan-1a2b3c", "report-gtzan"))
    for path, mtime in ((older, 1_000_000), (newer, 2_000_000)):
        os.utime(path, (mtime, mtime))
    assert predict.default_model() == newer  # the most recently modified run
    os.utime(older, (3_000_000, 3_000_000))
    assert predict.default_model(no_default) == older
    in_place = save_musicnn_model(no_default / "models")
    assert predict.default_model() == in_place  # ./run_all.sh --in-place wins over runs/
    monkeypatch.setenv("MGC_MODEL", str(tmp_path / "mine.keras"))
    assert predict.default_model() == tmp_path / "mine.keras"  # $MGC_MODEL wins, even when it is missing (reported later)


def test_no_default_model_is_one_line_with_the_way_to_build_it(tmp_path, no_default, capsys, no_tensorflow):
    song = write_tone(tmp_path / "song.wav")
    assert cli.run(predict.main, [str(song)]) == 2
    line = one_error_line(capsys)
    assert "no default model" in line and "./run_all.sh" in line and "name a model file" in line
    assert cli.run(predict.main, ["--about"]) == 2
    assert "./run_all.sh" in one_error_line(capsys)
    with pytest.raises(SystemExit):
        predict.main([])  # neither inputs nor --about
    assert "give audio files or folders" in capsys.readouterr().err


def test_the_default_model_classifies_a_song_end_to_end(tmp_path, no_default, capsys, monkeypatch):
    run_model = save_musicnn_model(no_default / "runs" / "report-gtzan" / "models")
    song = write_tone(tmp_path / "song.wav", seconds=5.0)
    monkeypatch.chdir(tmp_path)
    assert cli.run(predict.main, ["song.wav", "--top", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ("model: repo/runs/report-gtzan/models/musicnn-default.keras "
                            "(the default; name a .keras file to use another)\n")
    assert "song.wav" in captured.out and any(g in captured.out for g in MUSICNN_GENRES)
    monkeypatch.setenv("MGC_MODEL", str(run_model))
    assert cli.run(predict.main, [str(song)]) == 0
    assert "(from $MGC_MODEL)" in capsys.readouterr().err
    monkeypatch.setenv("MGC_MODEL", str(tmp_path / "gone.keras"))
    assert cli.run(predict.main, [str(song)]) == 2
    assert "error: no such model file:" in capsys.readouterr().err


def test_about_prints_the_card_without_inputs_or_tensorflow(musicnn_model, tmp_path, no_default, capsys, no_tensorflow, monkeypatch):
    assert cli.run(predict.main, [str(musicnn_model), "--about"]) == 0
    out = capsys.readouterr().out
    for text in ("Model: musicnn-default", "Genres (3): blues, jazz, rock", "Training data: GTZAN, 10 genres x 100 clips",
                 "Protocol: random-70/10/20", "Test accuracy: 0.780 [0.720, 0.835] (95 % interval)",
                 "Test balanced accuracy: 0.770 [0.710, 0.830] (95 % interval)", "Test size: 200 clips (trained on train 700, valid 100)",
                 "What it cannot do:", "  - It knows only these 3 genres", "through msd-musicnn"):
        assert text in out, (text, out)
    assert "Card missing" not in out
    monkeypatch.setenv("MGC_MODEL", str(musicnn_model))  # the default model's card, inputs ignored
    assert cli.run(predict.main, ["--about", str(tmp_path / "not-read.wav")]) == 0
    assert "Test accuracy: 0.780" in capsys.readouterr().out
    sidecar_path = musicnn_model.with_suffix(".json")
    sidecar = json.loads(sidecar_path.read_text())
    sidecar_path.write_text(json.dumps({k: v for k, v in sidecar.items() if k not in ("card", "metrics")}))
    assert cli.run(predict.main, [str(musicnn_model), "--about"]) == 0
    out = capsys.readouterr().out
    assert "Card missing" in out and "Genres (3)" in out and "Test metrics: not recorded" in out
    del sidecar["preprocessing"]["hop_seconds"]
    sidecar_path.write_text(json.dumps(sidecar))
    assert cli.run(predict.main, [str(musicnn_model), "--about"]) == 2
    assert "musicnn-mel preprocessing lacks 'hop_seconds'" in one_error_line(capsys)


def test_save_artifact_refuses_a_card_without_a_list_of_limitations(tmp_path):
    with pytest.raises(ValueError, match="list of sentences"):
        save_musicnn_model(tmp_path, card={"limitations": "only GTZAN"})


def test_python_m_predict_about_never_imports_tensorflow(musicnn_model):
    script = ("import runpy, sys\n"
              "try:\n"
              "    runpy.run_module('helpers.predict', run_name='__main__')\n"
              "finally:\n"
              "    print('tensorflow imported:', 'tensorflow' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script, "--about"], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "MGC_MODEL": str(musicnn_model)})
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("model: ") and "(from $MGC_MODEL)" in result.stderr
    assert "Test accuracy: 0.780 [0.720, 0.835]" in result.stdout and "tensorflow imported: False" in result.stdout


# ---------------------------------------------------------------------------- several genres per file (--multi)

MULTI_CARD = {**CARD, "summary": "Sigmoid genre outputs on MSD-musicnn windows.",
              "multi_label": {"threshold": 0.3, "threshold_source": "validation two-genre set (mix)"}}


def save_multi_model(folder):
    """A tiny untrained stand-in for the multi-genre model: one (187, 96) musicnn window -> 3 sigmoid genre outputs."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((187, 96))
    outputs = keras.layers.Dense(3, activation="sigmoid")(keras.layers.GlobalAveragePooling1D()(inputs))
    return artifacts.save_artifact(keras.Model(inputs, outputs), folder, name=predict.MULTI_MODEL, genres=MUSICNN_GENRES,
                                   preprocessing=predict.musicnn_preprocessing("msd-musicnn"), dataset="gtzan",
                                   protocol="fault-filtered", profile="report", metrics={}, card=MULTI_CARD)


def test_genre_sets_list_every_genre_above_the_threshold_or_say_none():
    p = np.array([0.2, 0.7, 0.3])
    assert predict.genre_set_text(p, MUSICNN_GENRES, 0.3) == "jazz 0.70, rock 0.30"  # most probable first, >= threshold
    assert predict.genre_set_text(p, MUSICNN_GENRES, 0.8) == "none above threshold 0.8 (top: jazz 0.70)"
    assert predict.multi_label({"card": MULTI_CARD})["threshold"] == 0.3
    assert predict.multi_label({"card": CARD}) is None and predict.multi_label({}) is None


def test_multi_classifies_with_the_default_multi_genre_model_and_its_threshold(tmp_path, no_default, capsys, monkeypatch):
    with pytest.raises(cli.UserError, match=r"no multi-genre model \(musicnn-multi.keras\).*--multi MODEL.keras"):
        predict.default_model(name=predict.MULTI_MODEL)
    save_musicnn_model(no_default / "models")  # the softmax default: never used by --multi
    multi = save_multi_model(no_default / "runs" / "report-gtzan" / "models")
    assert predict.default_model(name=predict.MULTI_MODEL) == multi
    song = write_tone(tmp_path / "song.wav", seconds=5.0)
    write_corrupt(tmp_path / "broken.wav")
    monkeypatch.chdir(tmp_path)
    assert cli.run(predict.main, ["--multi", "song.wav", "broken.wav"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("model: repo/runs/report-gtzan/models/musicnn-multi.keras (the default")
    assert "skipped: " in captured.err and "broken.wav" in captured.err and "broken.wav" not in captured.out
    assert "genres with probability >= 0.3 (validation two-genre set (mix)), most probable first" in captured.out
    model, sidecar = artifacts.load_artifact(multi)
    probabilities = model.predict(predict.prepare_file(song, sidecar["preprocessing"]), verbose=0).mean(0)
    assert predict.genre_set_text(probabilities, MUSICNN_GENRES, 0.3) in captured.out
    assert cli.run(predict.main, ["--multi", "song.wav", "--threshold", "0.999"]) == 0
    out = capsys.readouterr().out
    assert "none above threshold 0.999 (top: " in out and "given with --threshold" in out
    assert cli.run(predict.main, ["--multi", "song.wav", "--threshold", "0.001"]) == 0
    out = capsys.readouterr().out
    assert all(g in out for g in MUSICNN_GENRES)  # every genre above a tiny threshold
    assert cli.run(predict.main, [str(multi), "song.wav"]) == 0  # a multi-genre model named without --multi
    captured = capsys.readouterr()
    assert "is a multi-genre model" in captured.err and "genres with probability >= 0.3 " in captured.out
    monkeypatch.setenv("MGC_MULTI_MODEL", str(tmp_path / "gone.keras"))
    assert cli.run(predict.main, ["--multi", "song.wav"]) == 2
    assert "(from $MGC_MULTI_MODEL)" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "1", "1.5", "-0.2", "nan", "high"])
def test_a_threshold_outside_zero_to_one_is_one_line(value, tmp_path, capsys, no_tensorflow):
    multi = tmp_path / "models" / "musicnn-multi.keras"  # never read: the threshold is checked first
    assert cli.run(predict.main, ["--multi", str(multi), str(write_tone(tmp_path / "song.wav")), "--threshold", value]) == 2
    line = one_error_line(capsys)
    assert f"--threshold {value} is not allowed" in line and "between 0 and 1" in line


def test_multi_with_a_softmax_model_names_the_multi_genre_model(musicnn_model, tmp_path, capsys, no_tensorflow):
    song = str(write_tone(tmp_path / "song.wav"))
    assert cli.run(predict.main, ["--multi", str(musicnn_model), song]) == 2
    line = one_error_line(capsys)
    assert "trained for one genre per file" in line and "musicnn-multi.keras" in line
    assert cli.run(predict.main, [str(musicnn_model), song, "--threshold", "0.3"]) == 2
    assert "--threshold applies to a multi-genre model only" in one_error_line(capsys)
    assert cli.run(predict.main, ["--multi", str(musicnn_model), "--about"]) == 0  # its card, and what --multi needs
    assert "not a multi-genre model: --multi needs musicnn-multi.keras" in capsys.readouterr().out


def test_about_a_multi_genre_model_states_its_threshold(tmp_path, capsys, no_tensorflow):
    multi = save_multi_model(tmp_path / "models")
    assert cli.run(predict.main, [str(multi), "--about"]) == 0
    out = capsys.readouterr().out
    assert "Several genres per file (--multi): those with probability >= 0.3 (threshold: validation two-genre set (mix))" in out
    assert "Test size: 200 two-genre songs" in out and "multi_label" not in out


def test_beside_truth_puts_the_true_genre_beside_the_prediction_and_keeps_notes_only_when_there_are_some():
    import pandas as pd

    shown = pd.DataFrame({"file": ["/data/x/a.wav", "/data/y/b.wav"], "genre": ["jazz", "pop"], "probability": [0.9, 0.4],
                          "top": ["jazz 0.90", "pop 0.40"], "windows": [3, 3], "note": ["", ""], "error": ["", ""]})
    table = predict.beside_truth(shown, pd.Series(["jazz", "rock"], index=[5, 9]))  # aligned by position, not index
    assert table.columns.tolist() == ["file", "true", "predicted", "most probable", "windows"]
    assert table["file"].tolist() == ["a.wav", "b.wav"] and table["true"].tolist() == ["jazz", "rock"]
    noted = predict.beside_truth(shown.assign(note=["padded to one window", ""]), ["jazz", "rock"])
    assert noted["note"].tolist() == ["padded to one window", ""] and "error" not in noted
