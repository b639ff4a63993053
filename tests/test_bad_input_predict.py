"""Bad input to ``python -m helpers.predict`` and to saved models (issue 21): smoke or synthetic models never chosen by
default, damaged sidecars refused in one line, options between the model and the files, files that are no Keras
model, very short files, and ImageNet weights files that do not hold the network's weights."""

import json
import os
import warnings
import zipfile

import numpy as np
import pytest
import soundfile as sf

from helpers import cli, config, predict
from helpers.models import artifacts, pretrained, transfer_nets

from . import test_predict
from .conftest import write_tone

GENRES = ["blues", "jazz", "rock"]
METRICS = {"accuracy": {"value": 0.78, "ci_low": 0.72, "ci_high": 0.835}}
CARD = {"summary": "A stand-in.", "training_data": "GTZAN", "sizes": {"train": 7, "valid": 1, "test": 2},
        "limitations": ["It knows only these 3 genres."]}
WARNING = "its predictions mean nothing for real music"
no_default = test_predict.no_default  # the fixture: an empty repository, no $MGC_MODEL or $MGC_MULTI_MODEL
NO_PROFILE = ...  # as a field of write_model: no "profile" key, as in sidecars written before it was recorded


def write_model(folder, name=predict.DEFAULT_MODEL, mtime=None, **fields) -> os.PathLike:
    """A saved model's two files without TensorFlow: a zip archive as ``name.keras`` (never loaded: see
    ``fake_keras``) and a sidecar as ``save_artifact`` writes it, with ``fields`` replacing its values."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", "{}")
    sidecar = {"model_file": path.name, "genres": GENRES, "input_shape": [None, 96],
               "preprocessing": pretrained.musicnn_preprocessing("msd-musicnn"), "dataset": "gtzan",
               "protocol": "random-70/10/20", "profile": "report", "metrics": METRICS, "versions": {}, "card": CARD}
    sidecar.update(fields)
    path.with_suffix(".json").write_text(json.dumps({k: v for k, v in sidecar.items() if v is not NO_PROFILE}))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


class FixedModel:
    """Stands in for a loaded Keras model: the same probabilities for every window."""

    def predict(self, inputs, verbose=0):
        return np.tile(np.array([0.5, 0.3, 0.2], np.float32), (len(inputs), 1))


@pytest.fixture
def fake_keras(monkeypatch):
    """``load_artifact`` checks the files as always, then gives a :class:`FixedModel` (no TensorFlow)."""
    monkeypatch.setattr(artifacts, "load_artifact", lambda path: (FixedModel(), artifacts.read_sidecar(path)[1]))


@pytest.fixture
def no_tensorflow(monkeypatch):
    """Fail the test if a model is loaded: every check here comes before (and before any large array)."""
    def refuse():
        raise AssertionError("the saved model was loaded before its files were checked")

    monkeypatch.setattr(artifacts, "quiet_tensorflow", refuse)


def error_line(err: str) -> str:
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def one_error_line(capsys) -> str:
    return error_line(capsys.readouterr().err)


# ---------------------------------------------------------------------------- 1. smoke and synthetic models

def test_the_default_model_is_never_one_of_the_smoke_profile_or_the_synthetic_set(no_default):
    report = write_model(no_default / "runs" / "report-gtzan-1a2b3c" / "models", mtime=1_000_000)
    # newer, but each trained on the synthetic set or on the smoke profile
    write_model(no_default / "runs" / "smoke-synthetic" / "models", mtime=2_000_000, dataset="synthetic", profile=NO_PROFILE)
    write_model(no_default / "runs" / "smoke-gtzan-4d5e6f" / "models", mtime=3_000_000, profile=NO_PROFILE)  # a smoke run
    write_model(no_default / "runs" / "mine" / "models", mtime=4_000_000, profile="smoke")
    write_model(no_default / "runs" / "report-synthetic" / "models", mtime=5_000_000, dataset="synthetic")
    write_model(no_default / "models", dataset="synthetic+reference")  # in place, but synthetic
    assert predict.default_model() == report
    multi = write_model(no_default / "runs" / "report-gtzan-1a2b3c" / "models", name=predict.MULTI_MODEL, mtime=1_000_000)
    write_model(no_default / "runs" / "smoke-synthetic" / "models", name=predict.MULTI_MODEL, mtime=2_000_000, profile="smoke")
    assert predict.default_model(name=predict.MULTI_MODEL) == multi


def test_only_smoke_or_synthetic_models_is_one_line_saying_so_and_how_to_name_one(no_default, tmp_path, capsys, fake_keras):
    write_model(no_default / "runs" / "smoke-synthetic" / "models", dataset="synthetic", profile=NO_PROFILE)
    song = str(write_tone(tmp_path / "song.wav"))
    assert cli.run(predict.main, [song]) == 2
    line = one_error_line(capsys)
    assert "synthetic set or on the smoke profile" in line and "name one explicitly" in line and "MODEL.keras" in line
    assert cli.run(predict.main, ["--about"]) == 2
    assert "name one explicitly" in one_error_line(capsys)


def test_a_named_smoke_or_synthetic_model_is_used_with_one_warning_and_about_says_it(no_default, tmp_path, capsys, fake_keras,
                                                                                     monkeypatch):
    smoke = write_model(no_default / "runs" / "smoke-synthetic" / "models", dataset="synthetic", profile=NO_PROFILE)
    song = str(write_tone(tmp_path / "song.wav", seconds=4.0))
    assert cli.run(predict.main, [str(smoke), song]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith("warning: ") and WARNING in captured.err
    assert "trained on the synthetic set and the smoke profile" in captured.err and "song.wav" in captured.out
    monkeypatch.setenv("MGC_MODEL", str(smoke))  # named through the environment: also explicit
    assert cli.run(predict.main, [song]) == 0
    assert WARNING in capsys.readouterr().err
    assert cli.run(predict.main, [str(smoke), "--about"]) == 0
    assert f"Warning: trained on the synthetic set and the smoke profile: {WARNING}" in capsys.readouterr().out
    real = write_model(tmp_path / "models")
    assert cli.run(predict.main, [str(real), "--about"]) == 0
    assert WARNING not in capsys.readouterr().out


def test_save_artifact_records_the_run_profile(tmp_path):
    import keras

    assert artifacts.RUN_PROFILES == tuple(config.PROFILES)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    saved = dict(name="m", genres=GENRES, preprocessing=pretrained.musicnn_preprocessing("msd-musicnn"), dataset="gtzan",
                 protocol="random-70/10/20")
    path = artifacts.save_artifact(model, tmp_path, profile="smoke", **saved)
    assert json.loads(path.with_suffix(".json").read_text())["profile"] == "smoke"
    assert artifacts.smoke_or_synthetic(*artifacts.read_sidecar(path)) == "trained on the smoke profile"
    with pytest.raises(ValueError, match="unknown profile 'fast'; valid: smoke, report, paper"):
        artifacts.save_artifact(model, tmp_path, profile="fast", **saved)
    with pytest.raises(TypeError, match="profile"):  # required: every caller says which run saved it
        artifacts.save_artifact(model, tmp_path, **saved)


# ---------------------------------------------------------------------------- 2. damaged sidecars

MEL_IMAGE = artifacts.preprocessing("mel-image", image_size=16, window_seconds=7.0)
MUSICNN = pretrained.musicnn_preprocessing("msd-musicnn")
DAMAGED = {  # what the sidecar holds instead -> the key the error names
    "absolute model_file": ({"model_file": "/etc/passwd"}, "model_file"),
    "input_shape of booleans": ({"input_shape": [True]}, "input_shape"),
    "whole number as float": ({"preprocessing": {**MEL_IMAGE, "mel": {**MEL_IMAGE["mel"], "n_mels": 128.0}}},
                              "preprocessing.mel.n_mels"),
    "model_file outside": ({"model_file": "../../../etc/passwd"}, "model_file"),
    "empty model_file": ({"model_file": ""}, "model_file"),
    "mel with an extra key": ({"preprocessing": {**MEL_IMAGE, "mel": {**MEL_IMAGE["mel"], "colour": 1}}}, "preprocessing.mel.colour"),
    "mel as a string": ({"preprocessing": {**MEL_IMAGE, "mel": "128 bands"}}, "preprocessing.mel"),
    "genres as a dict": ({"genres": {"0": "blues", "1": "jazz", "2": "rock"}}, "genres"),
    "genres as ints": ({"genres": [0, 1, 2]}, "genres"),
    "huge window": ({"preprocessing": {**MUSICNN, "window_seconds": 1e308}}, "preprocessing.window_seconds"),
    "metrics as strings": ({"metrics": {"accuracy": {"value": "0.78", "ci_low": "0.7", "ci_high": "0.8"}}}, "metrics.accuracy"),
    "metric as a string": ({"metrics": {"accuracy": "high"}}, "metrics.accuracy"),
    "metrics as a string": ({"metrics": "0.78"}, "metrics"),
    "hop as a word": ({"preprocessing": {**MUSICNN, "hop_seconds": "fast"}}, "preprocessing.hop_seconds"),
    "sample rate 1e9": ({"preprocessing": {**MEL_IMAGE, "mel": {**MEL_IMAGE["mel"], "sample_rate": 1_000_000_000}}},
                        "preprocessing.mel.sample_rate"),
    "a million mel bands": ({"preprocessing": {**MEL_IMAGE, "mel": {**MEL_IMAGE["mel"], "n_mels": 1_000_000}}},
                            "preprocessing.mel.n_mels"),
    "musicnn sample rate 1e9": ({"preprocessing": {**MUSICNN, "sample_rate": 1e9}}, "preprocessing.sample_rate"),
    "negative threshold": ({"card": {**CARD, "multi_label": {"threshold": -5}}}, "card.multi_label.threshold"),
    "NaN threshold": ({"card": {**CARD, "multi_label": {"threshold": float("nan")}}}, "card.multi_label.threshold"),
    "threshold true": ({"card": {**CARD, "multi_label": {"threshold": True}}}, "card.multi_label.threshold"),
    "test size as text": ({"card": {**CARD, "sizes": {"test": "two hundred"}}}, "card.sizes"),
    "profile unknown": ({"profile": "fast"}, "profile"),
}


@pytest.mark.parametrize("damage", DAMAGED, ids=list(DAMAGED))
def test_a_damaged_sidecar_is_one_line_naming_the_file_the_key_and_the_valid_values(damage, tmp_path, capsys, no_tensorflow):
    fields, key = DAMAGED[damage]
    model = write_model(tmp_path / "models", **fields)
    song = str(write_tone(tmp_path / "song.wav"))
    for argv in ([str(model), song], [str(model), "--about"]):
        assert cli.run(predict.main, argv) == 2, argv
        line = one_error_line(capsys)
        assert "musicnn-default.json" in line and key in line and "is not" in line, line
    with pytest.raises(artifacts.ArtifactError, match="save the model again"):
        artifacts.read_sidecar(model)


def test_the_repositorys_saved_models_still_load_without_a_profile():
    from helpers.runtime import REPO_ROOT

    sidecars = sorted(REPO_ROOT.glob("models/*.json")) + sorted(REPO_ROOT.glob("runs/*/models/*.json"))
    for sidecar in sidecars:
        model_path, _ = artifacts.read_sidecar(sidecar)
        assert model_path.suffix == ".keras"


# ---------------------------------------------------------------------------- 3.-5. the command line

def test_options_may_come_between_the_model_and_the_files(tmp_path, capsys, fake_keras):
    model = write_model(tmp_path / "models")
    song = str(write_tone(tmp_path / "song.wav", seconds=4.0))
    assert cli.run(predict.main, [str(model), "--top", "2", song]) == 0
    out = capsys.readouterr().out
    assert "song.wav" in out and "blues 0.50, jazz 0.30" in out and "rock" not in out


@pytest.mark.parametrize("content", [b"", b"this is a text file\n"], ids=["empty", "text"])
def test_a_keras_file_that_is_no_zip_archive_is_not_a_keras_model_file(content, tmp_path, capsys, no_tensorflow):
    model = write_model(tmp_path / "models")
    model.write_bytes(content)
    song = str(write_tone(tmp_path / "song.wav"))
    for argv in ([str(model), song], [str(model.with_suffix(".json")), song]):
        assert cli.run(predict.main, argv) == 2
        line = one_error_line(capsys)
        assert "musicnn-default.keras is not a readable Keras model" in line and "not a Keras model file" in line
        assert "File not found" not in line
    model.with_suffix(".json").unlink()  # a stray file named .keras, without a sidecar
    assert cli.run(predict.main, [str(model), song]) == 2
    assert "not a Keras model file" in one_error_line(capsys)


@pytest.mark.parametrize("preprocessing", [MUSICNN, MEL_IMAGE], ids=["musicnn-mel", "mel-image"])
def test_a_file_of_a_hundredth_of_a_second_gets_the_padding_note_only(preprocessing, tmp_path, capsys, fake_keras):
    model = write_model(tmp_path / "models", preprocessing=preprocessing)
    tiny = tmp_path / "tiny.wav"
    t = np.arange(int(0.01 * 22050)) / 22050
    sf.write(str(tiny), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 22050)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cli.run(predict.main, [str(model), str(tiny)]) == 0
    captured = capsys.readouterr()
    assert not [str(w.message) for w in caught], [str(w.message) for w in caught]
    assert "n_fft" not in captured.err and "warning" not in captured.err, captured.err
    [note] = [line for line in captured.out.splitlines() if line.startswith("note: ")]
    assert "tiny.wav: shorter than one" in note and "padded" in note


# ---------------------------------------------------------------------------- 6. ImageNet weights files

def test_a_weights_file_without_the_networks_weights_is_one_line(tmp_path, capsys, monkeypatch):
    import h5py

    empty = tmp_path / "empty.h5"
    h5py.File(empty, "w").close()
    other = tmp_path / "other.weights.h5"
    with h5py.File(other, "w") as weights:
        weights["layers/dense/vars/0"] = np.zeros((10, 3), np.float32)
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(other.read_bytes()[:100])
    for path, problem in ((empty, "does not hold vgg16's notop weights: it has 0 weight values"),
                          (other, "does not hold vgg16's notop weights: it has 30 weight values"),
                          (truncated, "is not a readable HDF5 file")):
        monkeypatch.setenv("MGC_VGG16_WEIGHTS", str(path))
        assert cli.run(transfer_nets.main, ["weights", "vgg16"]) == 2
        captured = capsys.readouterr()
        line = error_line(captured.err)
        assert str(path) in line and problem in line and "$MGC_VGG16_WEIGHTS" in line, line
        assert "pretrained" not in captured.out  # never labelled ImageNet


# ---------------------------------------------------------------------------- files that cannot be read

def test_a_folder_named_like_audio_and_a_symlink_loop_are_said_not_left_out(tmp_path, capsys, fake_keras):
    model = write_model(tmp_path / "models")
    music = tmp_path / "music"
    write_tone(music / "song.wav", seconds=4.0)
    (music / "x.wav").mkdir()
    (music / "l1.wav").symlink_to(music / "l2.wav")
    (music / "l2.wav").symlink_to(music / "l1.wav")
    assert cli.run(predict.main, [str(model), str(music)]) == 0
    captured = capsys.readouterr()
    assert "song.wav" in captured.out
    skipped = [line for line in captured.err.splitlines() if line.startswith("skipped: ")]
    assert f"skipped: {music / 'x.wav'}: a folder, not a file" in skipped
    assert f"skipped: {music / 'l1.wav'}: a symlink loop" in skipped and f"skipped: {music / 'l2.wav'}: a symlink loop" in skipped


def test_the_sidecar_schema_is_a_valid_json_schema():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(artifacts.SIDECAR_SCHEMA)
