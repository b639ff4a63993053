import numpy as np
import pytest

from helpers.models import zoo


@pytest.mark.parametrize("name, shape", [("base-cnn", (128, 128, 1)), ("small-cnn", (64, 130, 1)), ("crnn", (128, 128, 1))])
def test_spectrogram_models_build_and_predict(name, shape):
    model = zoo.spectrogram_model(name, shape, 10, seed=0)
    probabilities = model.predict(np.random.default_rng(0).random((2, *shape), dtype=np.float32), verbose=0)
    assert probabilities.shape == (2, 10)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_spectrogram_models_are_seeded_and_reject_unknown_names():
    shape = (32, 32, 1)
    a = zoo.spectrogram_model("base-cnn", shape, 3, seed=1, filters=(8, 8, 8)).get_weights()[0]
    b = zoo.spectrogram_model("base-cnn", shape, 3, seed=1, filters=(8, 8, 8)).get_weights()[0]
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="valid spectrogram models"):
        zoo.spectrogram_model("vgg99", shape, 3)
    with pytest.raises(ValueError, match="valid: filters"):
        zoo.spectrogram_model("base-cnn", shape, 3, filterz=(8,))


def test_artifact_round_trip_predicts_the_same(tmp_path):
    from helpers.inputs import spectrograms
    from helpers.models import artifacts

    model = zoo.spectrogram_model("small-cnn", (16, 32, 1), 3, seed=0, filters=(4, 4), dense_units=8)
    x = np.random.default_rng(1).random((4, 16, 32, 1), dtype=np.float32)
    path = artifacts.save_artifact(model, tmp_path, name="small", genres=["a", "b", "c"], preprocessing=artifacts.preprocessing(
                                      "log-mel", mel=spectrograms.MelParams(n_mels=16), window_seconds=3.0),
                                  dataset="synthetic", protocol="random-80/20", profile="smoke",
                                  metrics={"accuracy": np.float32(0.5)})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.json", "small.keras"]  # no partial files left
    loaded, sidecar = artifacts.load_artifact(path)
    assert sidecar["genres"] == ["a", "b", "c"] and sidecar["input_shape"] == [16, 32, 1]
    assert sidecar["metrics"] == {"accuracy": 0.5} and "keras" in sidecar["versions"]
    assert np.allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert artifacts.load_artifact(path.with_suffix(".json"))[1] == sidecar  # the sidecar's path works too
    path.with_suffix(".json").unlink()
    with pytest.raises(artifacts.ArtifactError, match="small.json is missing"):
        artifacts.load_artifact(path)
