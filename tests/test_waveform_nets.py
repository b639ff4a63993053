"""The waveform and fusion networks and their crops: every network built from parameters with its output shape, the
deterministic mid-track crop, random training crops from training tracks only (refused in the dataset itself),
MixNet starting from the trained encoders, and one training step under another Keras backend where one is installed.
Tiny crops and networks throughout."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.models import crops
from helpers.models import waveform_nets as nets

REPO = Path(__file__).resolve().parents[1]
GENRES = ["blues", "jazz", "rock"]
# 4096-sample crops at 22050 Hz: 1024-sample frames, hop 512, 8 frames; 32 x 32 images
RECIPE = crops.CropRecipe.of_samples(4096, 22050, n_mfcc=8, n_mels=16, image_size=32)
TINY = {"nnet1": dict(filters=(4, 4, 4, 4), kernel_sizes=(16, 3, 3, 3), strides=(4, 1, 1, 1), dense_units=(8,)),
        "nnet2": dict(filters=4, pool_size=2, dense_units=(8, 8, 8)), "mixnet": dict(dense_units=(8, 8, 8)),
        "late-fusion": dict(blocks=(1, 1), filters=(4, 8)), "resnet18-mel": dict(blocks=(1, 1), filters=(4, 8))}


@pytest.fixture(scope="module")
def tracks():
    """12 tracks of 2 s (6 train, 3 valid, 3 test); each track's samples hover around its own level, so a crop
    tells which track it came from."""
    table = pd.DataFrame({"track_id": [f"t{i:02d}" for i in range(12)], "genre": [GENRES[i % 3] for i in range(12)],
                          "split": ["train"] * 6 + ["valid"] * 3 + ["test"] * 3})
    rng = np.random.default_rng(0)
    waveforms = {t: (0.01 * (i + 1) + rng.normal(0, 0.001, 44100)).astype(np.float32) for i, t in enumerate(table["track_id"])}
    return table, waveforms


def _batches(tracks, part, inputs, **settings):
    table, waveforms = tracks
    standardiser = crops.fit_standardiser(waveforms, table, RECIPE)
    return crops.CropBatches(waveforms, table, part, inputs, RECIPE, GENRES, batch_size=4, standardiser=standardiser, **settings)


def test_the_recipe_scales_the_seeds_crop_and_frames_to_the_rate_read():
    for rate, length, frame in ((22050, 2**17, 1024), (44100, 2**18, 2048)):
        recipe = crops.CropRecipe(sample_rate=rate)
        assert (recipe.length, recipe.n_fft, recipe.hop_length, recipe.frames) == (length, frame, frame // 2, 256)
        assert recipe.shape("mfcc") == (256, 20, 1) and recipe.shape("log-mel") == (256, 128, 1)
    assert crops.CropRecipe(seconds=3.0).length == 66150 and crops.CropRecipe.of_samples(1000, 8000).seconds == 0.125
    with pytest.raises(ValueError, match="unknown crop input"):
        RECIPE.shape("chroma")


def test_every_network_builds_from_parameters_with_the_expected_output_shape(tracks):
    for name, features in (("nnet1", "mfcc"), ("nnet2", "mfcc"), ("nnet2", "log-mel"), ("late-fusion", "mfcc"),
                           ("resnet18-mel", "mfcc")):
        inputs = nets.model_inputs(name, features)
        model = nets.build(name, [RECIPE.shape(kind) for kind in inputs], len(GENRES), **TINY[name])
        x, y = _batches(tracks, "valid", inputs).batch(0)
        probabilities = np.asarray(model(list(x) if isinstance(x, tuple) else x, training=False))  # eager: no tracing
        assert model.output_shape == (None, 3) and probabilities.shape == (3, 3), (name, features)
        assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    seed_length = crops.CropRecipe()  # the default parameters on the seed's crop: only built
    for name in ("nnet1", "nnet2", "late-fusion", "resnet18-mel"):
        model = nets.build(name, [seed_length.shape(kind) for kind in nets.model_inputs(name)], 8)
        assert model.output_shape == (None, 8), name
    with pytest.raises(ValueError, match="unknown parameter"):
        nets.build("nnet1", [RECIPE.shape("waveform")], 3, dropout=0.5)
    with pytest.raises(ValueError, match="reads 2 input"):
        nets.build("late-fusion", [RECIPE.shape("mel-image")], 3)
    with pytest.raises(ValueError, match="mixnet starts from a trained nnet1"):
        nets.build("mixnet", [RECIPE.shape("waveform")], 3)


def test_the_mid_track_crop_is_deterministic(tracks):
    samples = np.arange(10_000, dtype=np.float32)
    assert np.array_equal(crops.mid_crop(samples, 1000), samples[5000:6000])
    assert np.array_equal(crops.mid_crop(samples, 8000), samples[2000:])  # moved back to end with the track
    assert np.array_equal(crops.mid_crop(samples[:500], 1000), np.pad(samples[:500], (0, 500)))  # padded with silence
    table, waveforms = tracks
    short = crops.CropBatches({**waveforms, "t09": waveforms["t09"][:1000]}, table, "test", ("waveform",), RECIPE, GENRES)
    assert short.padded == ["t09"] and short.batch(0)[0][0, 1000:].sum() == 0  # said, and padded with silence
    for part in ("valid", "test"):
        batches = _batches(tracks, part, ("waveform", "mfcc"))
        assert batches.starts(0, epoch=0) == batches.starts(0, epoch=5) == [crops.mid_start(44100, RECIPE.length)] * 3
        first, again = batches.batch(0, epoch=0), _batches(tracks, part, ("waveform", "mfcc")).batch(0, epoch=3)
        assert all(np.array_equal(a, b) for a, b in zip(first[0], again[0])) and np.array_equal(first[1], again[1])
        expected = [crops.mid_crop(waveforms[t], RECIPE.length) for t in batches.tracks(0)]
        assert np.array_equal(first[0][0][..., 0], np.stack(expected))  # never augmented


def test_training_crops_are_random_drawn_anew_each_epoch_and_seeded(tracks):
    batches = _batches(tracks, "train", ("waveform",))
    starts = [batches.starts(0, epoch) for epoch in range(4)]
    assert len({tuple(s) for s in starts}) == 4  # new crops each epoch ...
    assert starts[1] == _batches(tracks, "train", ("waveform",)).starts(0, 1)  # ... the same ones for the same seed
    assert all(0 <= s <= 44100 - RECIPE.length for epoch in starts for s in epoch)
    x, _ = batches.batch(1, epoch=2)
    assert np.array_equal(x, _batches(tracks, "train", ("waveform",)).batch(1, epoch=2)[0])  # augmentation seeded too
    assert not np.array_equal(x, _batches(tracks, "train", ("waveform",), seed=1).batch(1, epoch=2)[0])


def test_no_training_crop_comes_from_a_validation_or_test_track(tracks):
    table, waveforms = tracks
    level = {round(0.01 * (i + 1), 2): t for i, t in enumerate(table["track_id"])}
    training = sorted(table.loc[table["split"] == "train", "track_id"])
    batches = _batches(tracks, "train", ("waveform",), augment=False)
    make, seen = batches.batch, []

    def recorded(index, epoch=0):  # what fit actually trains on: the track each crop's samples come from
        x, y = make(index, epoch)
        seen.extend((epoch, level[round(float(np.median(crop)), 2)]) for crop in x)
        return x, y

    batches.batch = recorded
    model = nets.build("nnet1", [RECIPE.shape("waveform")], 3, **TINY["nnet1"])
    model.fit(crops.crop_dataset(batches), epochs=2, verbose=0, shuffle=False)
    epochs = sorted({epoch for epoch, _ in seen})[-2:]
    for epoch in epochs:  # every training track once per epoch, nothing else
        assert sorted(track for e, track in seen if e == epoch) == training
    assert {track for _, track in seen} == set(training)
    batches.batch = make
    batches.track_ids.append("t08")  # a test track slipped into the training list ...
    with pytest.raises(AssertionError, match="holds 1 track"):  # ... is refused by the dataset itself
        [batches.batch(i, epoch) for epoch in range(3) for i in range(len(batches))]
    leaking = table.assign(split=table["split"].where(table["track_id"] != "t07", "train"))
    with pytest.raises(AssertionError, match="several splits"):
        crops.CropBatches(waveforms, pd.concat([table, leaking.iloc[[7]]]), "train", ("waveform",), RECIPE, GENRES)


def test_the_standardiser_sees_training_tracks_only(tracks):
    table, waveforms = tracks
    stats = crops.fit_standardiser(waveforms, table, RECIPE).stats
    louder = {t: w * (10.0 if t in set(table.loc[table["split"] != "train", "track_id"]) else 1.0) for t, w in waveforms.items()}
    again = crops.fit_standardiser(louder, table, RECIPE).stats
    assert set(stats) == {"mfcc", "log-mel"} and stats["mfcc"][0].shape == (8, 1)
    assert all(np.array_equal(stats[k][i], again[k][i]) for k in stats for i in (0, 1))
    with pytest.raises(ValueError, match="must be standardised"):
        crops.CropBatches(waveforms, table, "train", ("mfcc",), RECIPE, GENRES)


def test_the_waveform_image_is_the_crops_envelope():
    envelope = np.repeat(np.linspace(0.1, 1.0, 2048), 2) * np.tile([1.0, -1.0], 2048)  # symmetric, louder and louder
    image = crops.waveform_image(envelope, 32)[..., 0]
    assert image.shape == (32, 32) and set(np.unique(image)) == {0.0, 1.0}
    heights = image.sum(axis=0)
    assert heights[-1] == 32 and heights[0] < 8 and np.all(np.diff(heights) >= 0)  # the trace follows the amplitude
    assert np.array_equal(image, image[::-1])  # a symmetric waveform draws a symmetric envelope
    silence = crops.waveform_image(np.zeros(4096), 32)[..., 0]
    assert silence.sum(axis=0).tolist() == [2.0] * 32  # the zero line (the two rows that meet at 0)


def test_mixnet_starts_from_the_two_trained_encoders(tracks):
    trained = {}
    for name in ("nnet1", "nnet2"):  # each trained for one epoch, so that its weights are no longer the initial ones
        inputs = nets.model_inputs(name)
        model = nets.build(name, [RECIPE.shape(kind) for kind in inputs], 3, **TINY[name])
        trained[name] = model
        if name == "nnet1":
            model.fit(crops.crop_dataset(_batches(tracks, "train", inputs)), epochs=1, verbose=0, shuffle=False)
            continue
        fit = nets.fit(model, crops.crop_dataset(_batches(tracks, "train", inputs)),
                       crops.crop_dataset(_batches(tracks, "valid", inputs)), epochs=1, progress=False)
        assert fit.best_epoch == 1 and list(fit.history.columns) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    kept = {name: [w.copy() for w in model.get_layer("encoder").get_weights()] for name, model in trained.items()}
    inputs = nets.model_inputs("mixnet")
    for train_encoders in (False, True):
        mix = nets.mixnet(trained["nnet1"], trained["nnet2"], 3, train_encoders=train_encoders, **TINY["mixnet"])
        assert mix.output_shape == (None, 3) and [x.name for x in mix.inputs] == ["waveform", "features"]
        for name in trained:
            encoder = mix.get_layer(f"{name}_encoder")
            assert all(np.array_equal(a, b) for a, b in zip(encoder.get_weights(), kept[name]))
            assert encoder.trainable == train_encoders  # only the classifier trains, unless asked
    mix.fit(crops.crop_dataset(_batches(tracks, "train", inputs)), epochs=1, verbose=0, shuffle=False)
    assert not all(np.array_equal(a, b) for a, b in zip(mix.get_layer("nnet2_encoder").get_weights(), kept["nnet2"]))
    for name, model in trained.items():  # MixNet trains copies: the trained networks stay as they were
        assert all(np.array_equal(a, b) for a, b in zip(model.get_layer("encoder").get_weights(), kept[name]))


OTHER_BACKEND = """
import importlib.abc, sys

class NoTensorFlow(importlib.abc.MetaPathFinder):  # as on a machine without TensorFlow: importing it fails
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "tensorflow":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoTensorFlow())
import numpy as np, pandas as pd, keras
from helpers.models import crops, waveform_nets as nets
assert keras.backend.backend() == sys.argv[1]
recipe = crops.CropRecipe.of_samples(4096, 22050, n_mfcc=8, n_mels=16, image_size=32)
genres = ["a", "b"]
table = pd.DataFrame({"track_id": list("pqrs"), "genre": genres * 2, "split": ["train", "train", "valid", "valid"]})
waveforms = {t: np.random.default_rng(i).normal(0, 0.1, 8192).astype(np.float32) for i, t in enumerate(table["track_id"])}
standardiser = crops.fit_standardiser(waveforms, table, recipe)
tiny = %(tiny)r
def data(name, part):
    batches = crops.CropBatches(waveforms, table, part, nets.model_inputs(name), recipe, genres, batch_size=2, standardiser=standardiser)
    return crops.crop_dataset(batches)
trained = {}
for name in ("nnet1", "nnet2", "late-fusion", "resnet18-mel"):
    model = nets.build(name, [recipe.shape(k) for k in nets.model_inputs(name)], 2, **tiny[name])
    model.fit(data(name, "train"), epochs=1, verbose=0, shuffle=False)  # one batch: one step
    trained[name] = model
mix = nets.mixnet(trained["nnet1"], trained["nnet2"], 2, **tiny["mixnet"])
nets.fit(mix, data("mixnet", "train"), data("mixnet", "valid"), epochs=1, progress=False)
print("trained", sys.argv[1])
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_every_network_trains_one_step_under_another_backend_without_tensorflow(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"the {backend} backend is not installed here")
    env = {**os.environ, "KERAS_BACKEND": backend,
           "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-c", OTHER_BACKEND % {"tiny": TINY}, backend], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and f"trained {backend}" in done.stdout, done.stderr[-3000:]
