"""Transfer networks: where weights come from (a file the test writes, the environment, Keras' cache, offline),
what trains under each recipe, the ImageNet preprocessing of grey images, cached base features, and the study's
labels and splits."""

import hashlib
import socket
import time

import numpy as np
import pandas as pd
import pytest

from helpers.models import transfer_nets, zoo
from helpers.models.transfer_nets import WeightsError, WeightSource
from helpers.results import evaluate
from helpers.studies import transfer_learning as study


@pytest.fixture(scope="module")
def vgg16_weights_file(tmp_path_factory):
    """A VGG16 notop weights file, written by this test (random weights, seeded): stands in for ImageNet's."""
    import keras

    keras.utils.set_random_seed(3)
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path_factory.mktemp("weights") / "vgg16_notop.weights.h5"
    base.save_weights(path)
    return path, [w.copy() for w in base.get_weights()]


def test_offline_means_random_init_said_in_one_line_within_seconds(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty Keras cache
    monkeypatch.delenv("MGC_VGG16_WEIGHTS", raising=False)
    with socket.socket() as server:  # a port that listens, then the same port closed
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert transfer_nets.host_reachable(("127.0.0.1", port), seconds=2) is True
    start = time.perf_counter()
    assert transfer_nets.host_reachable(("127.0.0.1", port), seconds=2) is False
    assert transfer_nets.host_reachable(("no-such-host.invalid", 443), seconds=2) is False
    assert time.perf_counter() - start < 5  # no long hang
    monkeypatch.setattr(transfer_nets, "host_reachable", lambda *a, **k: False)
    source = transfer_nets.resolve_weights("vgg16")
    assert (source.kind, source.path, source.label, source.pretrained) == ("random-init", None, "vgg16-random-init", False)
    assert "unreachable" in source.origin and str(tmp_path) in source.origin
    assert "no download tried" in transfer_nets.resolve_weights("vgg16", online=False).origin
    line = transfer_nets.weights_line([source, transfer_nets.resolve_weights("resnet18")])
    assert "\n" not in line and line.startswith("ImageNet weights unavailable for vgg16") and "MGC_VGG16_WEIGHTS" in line


def test_a_weights_file_named_by_argument_or_environment_is_loaded(vgg16_weights_file, monkeypatch):
    path, saved = vgg16_weights_file
    source = transfer_nets.resolve_weights("vgg16", path)
    assert (source.kind, source.path, source.pretrained) == ("imagenet", str(path), True)
    monkeypatch.setenv("MGC_VGG16_WEIGHTS", str(path))
    assert transfer_nets.resolve_weights("vgg16", online=False).origin.endswith("(from $MGC_VGG16_WEIGHTS)")
    base = transfer_nets.base_model("vgg16", (32, 32, 1), source.path)
    vgg = next(layer for layer in base.layers if layer.name.startswith("vgg16"))
    loaded = vgg.get_weights()
    assert len(loaded) == len(saved) and all(np.array_equal(a, b) for a, b in zip(loaded, saved))


def test_keras_cache_is_used_and_bad_files_are_errors(vgg16_weights_file, monkeypatch, tmp_path):
    path, _ = vgg16_weights_file
    monkeypatch.delenv("MGC_VGG16_WEIGHTS", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cached = transfer_nets.keras_cache_file("vgg16")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(path.read_bytes())
    published = transfer_nets.KERAS_WEIGHTS["vgg16"]
    monkeypatch.setitem(transfer_nets.KERAS_WEIGHTS, "vgg16", (*published[:3], hashlib.md5(cached.read_bytes()).hexdigest()))
    source = transfer_nets.resolve_weights("vgg16", online=False)
    assert source.kind == "imagenet" and source.origin.startswith("Keras' cache")
    with pytest.raises(WeightsError, match="does not exist"):
        transfer_nets.resolve_weights("vgg16", tmp_path / "missing.h5")
    monkeypatch.setenv("MGC_VGG16_WEIGHTS", str(tmp_path / "nowhere.h5"))
    with pytest.raises(WeightsError, match=r"from \$MGC_VGG16_WEIGHTS"):
        transfer_nets.resolve_weights("vgg16")
    junk = tmp_path / "junk.weights.h5"
    junk.write_bytes(b"not hdf5")
    monkeypatch.setenv("MGC_VGG16_WEIGHTS", str(junk))  # never labelled ImageNet: refused before any run
    with pytest.raises(WeightsError, match="is not an HDF5 weights file"):
        transfer_nets.resolve_weights("vgg16")
    monkeypatch.setenv("MGC_VGG16_WEIGHTS", str(tmp_path))
    with pytest.raises(WeightsError, match="is a folder, not a file"):
        transfer_nets.resolve_weights("vgg16")
    monkeypatch.delenv("MGC_VGG16_WEIGHTS")
    assert transfer_nets.resolve_weights("vgg16", online=False).origin.startswith("Keras' cache")
    # a cache file that is HDF5 but not Keras' download (wrong MD5): damaged, delete it
    monkeypatch.setitem(transfer_nets.KERAS_WEIGHTS, "vgg16", published)  # the real MD5: this file is not Keras' download
    with pytest.raises(WeightsError, match="is damaged .*delete it"):
        transfer_nets.resolve_weights("vgg16", online=False)
    other = tmp_path / "resnet.weights.h5"
    import keras

    keras.applications.ResNet50(include_top=False, weights=None, input_shape=(32, 32, 3)).save_weights(other)
    with pytest.raises(WeightsError, match="does not hold vgg16's notop weights"):
        transfer_nets.base_model("vgg16", (32, 32, 1), str(other))


def test_networks_without_imagenet_weights_are_from_scratch_and_names_are_checked():
    source = transfer_nets.resolve_weights("alexnet")
    assert (source.kind, source.label, source.pretrained) == ("scratch", "alexnet-scratch", False)
    with pytest.raises(WeightsError, match="no published Keras ImageNet weights"):
        transfer_nets.resolve_weights("resnet18", "some.h5")
    assert transfer_nets.resolve_weights("msd-vgg").pretrained
    with pytest.raises(ValueError, match="valid: vgg16, resnet50"):
        transfer_nets.resolve_weights("vgg19")
    with pytest.raises(ValueError, match="valid: frozen, last-block, fine-tune"):
        transfer_nets.build("alexnet", (32, 32, 1), 3, recipe="everything")
    with pytest.raises(ValueError, match="do not match weights_kind"):
        transfer_nets.build("vgg16", (32, 32, 1), 3, weights="some.h5", weights_kind="random-init")
    with pytest.raises(ValueError, match="do not match weights_kind"):
        transfer_nets.build("vgg16", (32, 32, 1), 3, weights_kind="imagenet")


def test_grey_images_become_caffe_style_rgb():
    import keras

    base = transfer_nets.base_model("vgg16", (32, 32, 1))
    scaled = keras.Model(base.input, base.get_layer("imagenet_mean").output)
    out = np.asarray(scaled(np.full((1, 32, 32, 1), 0.5, np.float32)))
    assert out.shape == (1, 32, 32, 3)
    assert np.allclose(out[0, 0, 0], 127.5 - np.array(transfer_nets.IMAGENET_BGR_MEAN), atol=1e-3)
    with pytest.raises(ValueError, match="at least 32 x 32"):
        transfer_nets.base_model("vgg16", (16, 16, 1))


def _trainable(model) -> set[str]:
    return {w.path.split("/")[0] for w in model.trainable_weights}


def test_recipes_decide_what_trains(vgg16_weights_file):
    path = str(vgg16_weights_file[0])
    frozen = zoo.spectrogram_model("vgg16", (32, 32, 1), 4, weights=path, weights_kind="imagenet", recipe="frozen")
    assert _trainable(frozen) == {"head_dense", "genre"}
    last = zoo.spectrogram_model("vgg16", (32, 32, 1), 4, weights=path, weights_kind="imagenet", recipe="last-block")
    assert {w.path.split("/")[-2] for w in last.trainable_weights if "block" in w.path} == {"block5_conv1", "block5_conv2", "block5_conv3"}
    tuned = transfer_nets.build("msd-vgg", (187, 96), 4, weights_kind="msd", recipe="fine-tune")
    import keras

    norms = [layer for layer in transfer_study_layers(tuned) if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and not any(layer.trainable for layer in norms)  # pretrained statistics kept
    assert any("CNN/kernel" in w.path for w in tuned.trainable_weights)
    assert float(tuned.optimizer.learning_rate) == pytest.approx(transfer_nets.LEARNING_RATES["fine-tune"])
    scratch = transfer_nets.build("resnet18", (32, 32, 1), 4, weights_kind="scratch")
    assert float(scratch.optimizer.learning_rate) == pytest.approx(transfer_nets.LEARNING_RATES["scratch"])
    scratch_norms = [layer for layer in transfer_study_layers(scratch) if isinstance(layer, keras.layers.BatchNormalization)]
    assert scratch_norms and all(layer.trainable for layer in scratch_norms)
    # PyTorch's momentum: Keras' 0.99 leaves the moving statistics at their start after a small set's few hundred steps
    assert {layer.momentum for layer in scratch_norms} == {transfer_nets.RESNET18["bn_momentum"]} == {0.9}


def transfer_study_layers(model):
    return list(transfer_nets._all_layers(model))


def test_dense_head_and_unknown_parameters():
    head = zoo.spectrogram_model("dense-head", (20,), 3)
    assert head.output_shape == (None, 3)
    with pytest.raises(ValueError, match="valid: weights, weights_kind, recipe"):
        zoo.spectrogram_model("alexnet", (32, 32, 1), 3, filters=8)
    with pytest.raises(ValueError, match="dense-head, vgg16"):
        zoo.spectrogram_model("vgg99", (32, 32, 1), 3)


def test_base_features_are_cached_by_content(tmp_path, monkeypatch):
    source = transfer_nets.resolve_weights("resnet18")
    X = np.random.default_rng(0).random((5, 32, 32, 1), dtype=np.float32)
    first = transfer_nets.base_features(source, X, cache_dir=tmp_path, progress=False)
    assert first.shape[0] == 5 and first.ndim == 2
    # a random base is drawn from the seed: the same features without the cache, others with another seed
    assert np.allclose(transfer_nets.base_features(source, X, progress=False), first, atol=1e-5)
    assert not np.allclose(transfer_nets.base_features(source, X, seed=7, progress=False), first, atol=1e-3)
    def recompute(*args, **kwargs):
        raise LookupError("recomputed")

    monkeypatch.setattr(transfer_nets, "base_model", recompute)
    assert np.array_equal(transfer_nets.base_features(source, X, cache_dir=tmp_path, progress=False), first)
    with pytest.raises(LookupError, match="recomputed"):  # other inputs, another entry
        transfer_nets.base_features(source, X[::-1].copy(), cache_dir=tmp_path, progress=False)


def test_labels_never_call_random_weights_transfer_learning():
    assert study.run_label(WeightSource("vgg16", "imagenet", "w.h5", "x"), "frozen") == "vgg16-imagenet · frozen base + head"
    random_frozen = study.run_label(WeightSource("vgg16", "random-init", None, "x"), "frozen")
    assert "random-init" in random_frozen and "random features" in random_frozen
    assert study.run_label(WeightSource("alexnet", "scratch", None, "x"), "fine-tune") == "alexnet-scratch · trained from scratch"
    labels = {study.run_label(WeightSource(n, k, None, "x"), r) for n, k in (("vgg16", "random-init"), ("alexnet", "scratch"))
              for r in transfer_nets.RECIPES}
    assert len(labels) == 6  # every recipe its own name: no record overwrites another


def _clips(n_per_genre=6, genres=("a", "b", "c")):
    return pd.DataFrame([{"track_id": f"{g}{i:02d}", "genre": g} for g in genres for i in range(n_per_genre)])


def test_splits_are_per_track_whatever_the_order_and_windows_follow():
    clips = _clips()
    forward = study.clip_splits(clips, ["random-70/10/20"], seed=1)["random-70/10/20"]
    backward = study.clip_splits(clips.iloc[::-1], ["random-70/10/20"], seed=1)["random-70/10/20"]
    assert forward.equals(backward) and set(forward) == {"train", "valid", "test"}
    rows = np.repeat(np.arange(len(clips)), 3)
    windows = study.window_table(clips, rows)
    assert windows.groupby("track_id")["segment"].apply(list).map(lambda s: s == [0, 1, 2]).all()
    same = {"random-70/10/20": (None, pd.DataFrame({"track_id": ["a00", "b01"]}), None)}
    other = {"random-70/10/20": (None, pd.DataFrame({"track_id": ["a00", "c01"]}), None)}
    study.same_test_clips([same, same])
    with pytest.raises(AssertionError, match="different test clips"):
        study.same_test_clips([same, other])


def test_run_recipe_records_weights_and_scores_each_protocol(tmp_path):
    clips = _clips(8)
    rng = np.random.default_rng(0)
    X = (rng.random((len(clips), 32, 32, 1)) * 0.2 + np.array([0.0, 0.4, 0.8])[clips["genre"].map("abc".index)][:, None, None, None]
         ).astype(np.float32)  # genres differ in brightness: learnable
    splits = study.clip_splits(clips, ["random-70/10/20"], seed=0)
    source = transfer_nets.resolve_weights("resnet18")
    runs = study.run_recipe(source, "frozen", X, clips, splits, dataset="toy", representation="toy images",
                                     fit=dict(epochs=3, patience=2, batch_size=8), cache_dir=tmp_path, results_dir=tmp_path,
                                     profile="smoke",
                                     resamples=20, progress=False)
    record, predictions, _ = runs["random-70/10/20"]
    assert record["experiment"] == study.EXPERIMENT and record["model"].startswith("resnet18-scratch · frozen random")
    assert record["extra"]["transfer_learning"] is False and record["extra"]["weights"] == "scratch"
    assert set(predictions["track_id"]) == set(splits["random-70/10/20"].index[splits["random-70/10/20"] == "test"])
    assert (tmp_path / study.EXPERIMENT).is_dir()
    table = evaluate.accuracy_table([record])
    assert list(table.columns[:3]) == ["model", "protocol", "train / valid acc."] and len(table.columns) <= 8


def test_command_line_says_where_weights_come_from(capsys, monkeypatch, tmp_path):
    from helpers import cli

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("MGC_VGG16_WEIGHTS", raising=False)
    assert cli.run(transfer_nets.main, ["weights", "vgg16", "alexnet", "msd-vgg"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("vgg16-random-init")
    assert out[1].startswith("alexnet-scratch") and out[2].startswith("msd-vgg") and "pretrained" in out[2]
    assert "never downloads" in out[0] and "unreachable" not in out[0]  # `weights` checks nothing online
    assert cli.run(transfer_nets.main, ["weights", "vgg19"]) == 2
    assert "unknown network vgg19; valid: vgg16" in capsys.readouterr().err
    monkeypatch.setattr(transfer_nets, "host_reachable", lambda *a, **k: False)
    assert cli.run(transfer_nets.main, ["fetch", "vgg16"]) == 2  # nothing fetched: not a success
    assert "could not fetch vgg16" in capsys.readouterr().err
    assert cli.run(transfer_nets.main, ["fetch", "alexnet"]) == 2
    assert "has no ImageNet weights to fetch" in capsys.readouterr().err


def _tone_clips(folder, genres=("a", "b", "c"), per_genre=6, sr=8000):
    import soundfile

    rows = []
    for g, genre in enumerate(genres):
        for i in range(per_genre):
            path = folder / f"{genre}{i}.wav"
            t = np.arange(sr) / sr
            soundfile.write(path, (0.3 * np.sin(2 * np.pi * (300 + 500 * g + 10 * i) * t)).astype(np.float32), sr)
            rows.append({"track_id": f"{genre}{i:02d}", "genre": genre, "path": str(path)})
    return pd.DataFrame(rows)


def _spectrum(waveforms, sr):
    """A toy featurizer: a coarse magnitude spectrum per waveform (one row per item)."""
    edges = np.linspace(0, 4000, 41)  # 40 bands of 100 Hz, whatever the sample rate
    rows = []
    for w in waveforms:
        spectrum = np.abs(np.fft.rfft(w[:sr]))
        band = np.digitize(np.fft.rfftfreq(len(w[:sr]), 1 / sr), edges)
        rows.append([spectrum[band == b].mean() for b in range(1, 41)])
    X = np.asarray(rows, np.float32)
    return X, np.arange(len(X))


def test_multi_genre_runs_train_on_training_clips_and_choose_thresholds_on_validation_items(tmp_path):
    clips = _tone_clips(tmp_path)
    split = study.clip_splits(clips, ["random-50/20/30"], seed=0)["random-50/20/30"]
    X, _ = _spectrum([__import__("soundfile").read(p)[0] for p in clips["path"]], 8000)
    candidate = study.MultiCandidate("toy · sigmoid head", X, clips["track_id"].to_numpy(), clips["genre"].to_numpy(), _spectrum)
    settings = dict(head_epochs=30, head_patience=5, multi_items=dict(valid=6, test=6))
    records, curves, heads = study.multi_genre_runs([candidate], clips, split, protocol="random-50/20/30", dataset="toy",
                                                             settings=settings, resamples=20, results_dir=tmp_path / "results",
                                                             profile="smoke")
    assert len(records) == 4 and set(curves) == {"toy · sigmoid head · mix", "toy · sigmoid head · concat"}
    assert len(list((tmp_path / "results").rglob("*.json"))) == 4  # every record saved, none overwriting another
    assert all(r["task"] == "multi-label" for r in records)
    assert records[0]["sizes"]["train"] == int((split == "train").sum())  # clips, not windows
    for record in records:
        if record["extra"]["threshold_source"].startswith("validation"):
            curve = curves[record["model"].rsplit(" · ", 1)[0]]
            valid = curve[curve["part"] == "valid"]
            best = valid["exact_set_accuracy"].max()
            assert valid.loc[np.isclose(valid["threshold"], record["extra"]["threshold"]), "exact_set_accuracy"].item() == best
    chosen = study.chosen_thresholds(records)
    assert set(chosen) == set(curves)
    table = study.multi_table(records)
    assert table["model"].iloc[-1].startswith("seed: ") and len(table) == 5


def test_reference_clips_keep_their_fixed_split_and_audio_clips_theirs():
    audio = pd.DataFrame({"track_id": ["a1", "b1", "a2"], "genre": ["a", "b", "a"], "fixed_split": ["train", "valid", "test"]})
    reference = pd.DataFrame({"track_id": ["a1", "b9", "c9"], "genre": ["a", "b", "c"], "fixed_split": ["train", "test", "train"]})
    split = study.split_with_reference(audio, reference, {"a1": 0, "b9": 0, "c9": 0}, "fault-filtered")
    assert split.to_dict() == {"a1": "train", "a2": "test", "b1": "valid", "b9": "test", "c9": "train"}
    assert set(study.split_with_reference(audio, reference, None, "fault-filtered").index) == {"a1", "a2", "b1"}


def test_fine_tuning_starts_from_the_frozen_runs_head(tmp_path):
    head = zoo.spectrogram_model("dense-head", (256,), 4, seed=5)
    path = transfer_nets.save_head(head, tmp_path / "head.npz")
    tuned = transfer_nets.build("msd-vgg", (187, 96), 4, weights_kind="msd", recipe="fine-tune", head_weights=path)
    dense = [layer for layer in head.layers if layer.__class__.__name__ == "Dense"]
    for ours, theirs in zip(("head_dense", "genre"), dense):
        assert all(np.array_equal(a, b) for a, b in zip(tuned.get_layer(ours).get_weights(), theirs.get_weights()))
    with pytest.raises(ValueError, match="two dense layers"):
        transfer_nets.save_head(transfer_nets.base_model("resnet18", (32, 32, 1)), tmp_path / "x.npz")
