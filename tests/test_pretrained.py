"""The musicnn checkpoints in Keras 3 (helpers.models.pretrained_port) and what helpers.models.pretrained builds on them.

The four models are built once for the module (``pretrained.model`` keeps them for
the process); the parity tests read the real GTZAN material and the published
reference taggrams and skip without them.
"""

import importlib.machinery
import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from helpers import cli, data
from helpers.data import cache
from helpers.models import pretrained
from helpers.models import pretrained_port as pp

from .conftest import REAL_GTZAN, REPO, write_corrupt

DATA = Path(__file__).resolve().parent / "data" / "pretrained"
REFERENCE = REAL_GTZAN / "reference"
SR = pp.SAMPLE_RATE
OUTPUT_SIZES = {"musicnn": {"taggram": 50, "penultimate": 200, "mean_pool": 753, "max_pool": 753},
                "vgg": {"taggram": 50, "pool5": 256, "pool4": 128}}
EMBEDDING_SIZES = {"musicnn": {"taggram-mean": 50, "taggram-stats": 150, "penultimate": 400, "midlevel": 1506},
                   "vgg": {"taggram-mean": 50, "taggram-stats": 150, "penultimate": 512, "midlevel": 256}}


def _load_generator():
    """tests/data/pretrained/make_generated_clip.py as a module: the generated clip and what it pins."""
    spec = importlib.util.spec_from_file_location("make_generated_clip", DATA / "make_generated_clip.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = _load_generator()


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Caches of this module go to the test's own folder, never to data/cache."""
    monkeypatch.setenv("MGC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path / "cache")


@pytest.fixture(scope="module")
def models():
    """Every checkpoint, built and strictly loaded once (shared with helpers.models.pretrained's own model cache)."""
    return {name: pretrained.model(name) for name in pp.CHECKPOINTS}


@pytest.fixture(scope="module")
def outputs(models):
    """Each model's outputs for the same two random windows."""
    batch = np.random.default_rng(0).uniform(0, 3, size=(2, pp.WINDOW_FRAMES, pp.N_MELS)).astype(np.float32)
    return {name: {k: np.asarray(v) for k, v in net.predict_on_batch(batch).items()} for name, net in models.items()}


# ---------------------------------------------------------------------------- checkpoints load completely


@pytest.mark.parametrize("name", list(pp.CHECKPOINTS))
def test_every_checkpoint_variable_lands_in_one_model_weight(name, models, outputs):
    model, arrays = models[name], pp._checkpoint_arrays(name)
    weights = {f"{layer.name}/{w.name}": w for layer in model.layers for w in layer.weights}
    assert sorted(weights) == sorted(arrays)  # none missing, none unused
    for key, weight in weights.items():  # and each holds its checkpoint value (Conv1D: the width-1 axis dropped)
        assert np.array_equal(np.asarray(weight.numpy()), arrays[key].reshape(weight.shape)), key
    ckpt = pp.checkpoint(name)
    sizes = OUTPUT_SIZES[ckpt.architecture]
    assert set(sizes) == {"taggram", *ckpt.embedding_layers} and len(ckpt.tags) == 50
    assert {k: v.shape for k, v in outputs[name].items()} == {k: (2, n) for k, n in sizes.items()}
    assert all(np.isfinite(v).all() for v in outputs[name].values())
    assert ((outputs[name]["taggram"] >= 0) & (outputs[name]["taggram"] <= 1)).all()


def test_musicnn_takes_windows_of_any_length_and_vgg_only_187_frames(models):
    assert models["msd-musicnn"].input_shape == (None, None, pp.N_MELS)
    assert models["msd-vgg"].input_shape == (None, pp.WINDOW_FRAMES, pp.N_MELS)


def test_unknown_checkpoint_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid: msd-musicnn, mtt-musicnn, msd-vgg, mtt-vgg"):
        pp.build("msd_musicnn")
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        pretrained.WindowOutputs(("nope",))


# ---------------------------------------------------------------------------- strict loading


def _changed(change):
    real = pp._checkpoint_arrays

    def arrays(name):
        found = dict(real(name))
        change(found)
        return found

    return arrays


@pytest.fixture(scope="module")
def bare_musicnn():
    """An untrained MSD-musicnn model to load into (each failing load stops before it could matter)."""
    return pp.build("msd-musicnn", weights=False)


@pytest.mark.parametrize("change, message", [
    (lambda a: a.pop("dense_1/bias"), r"no checkpoint variable dense_1/bias for weight"),
    (lambda a: a.pop("batch_normalization_3/moving_variance"), r"no checkpoint variable batch_normalization_3/moving_variance"),
    (lambda a: a.update({"dense_2/kernel": np.zeros((3, 3), np.float32)}),
     r"checkpoint variable dense_2/kernel \(3, 3\) is not used by the model"),
    (lambda a: a.update({"dense_1/bias": np.zeros(49, np.float32)}), r"dense_1/bias: checkpoint shape \(49,\), model shape \(50,\)"),
    # the mid-end's Conv1D kernels drop the checkpoint's width-1 axis, and only that axis
    (lambda a: a.update({"conv2d_5/kernel": np.zeros((7, 561, 1, 32), np.float32)}),
     r"conv2d_5/kernel: checkpoint shape \(7, 561, 1, 32\), model shape \(7, 561, 64\)"),
    (lambda a: a.update({"conv2d_5/kernel": np.zeros((7, 561, 2, 64), np.float32)}), r"conv2d_5/kernel: checkpoint shape"),
], ids=["missing", "missing-bn-statistic", "unused", "shape", "conv1d-shape", "conv1d-width"])
def test_a_checkpoint_that_does_not_fit_stops_the_load_naming_the_variable(bare_musicnn, monkeypatch, change, message):
    monkeypatch.setattr(pp, "_checkpoint_arrays", _changed(change))
    with pytest.raises(pp.PretrainedError, match=r"checkpoint msd-musicnn does not match the Keras architecture") as raised:
        pp.load_weights(bare_musicnn, "msd-musicnn")
    assert re.search(message, str(raised.value)), str(raised.value)


def test_a_renamed_layer_or_another_architecture_stops_the_load():
    model = pp.build("mtt-musicnn", weights=False)
    model.get_layer("dense_1").name = "dense_9"
    with pytest.raises(pp.PretrainedError) as raised:
        pp.load_weights(model, "mtt-musicnn")
    assert "no checkpoint variable dense_9/kernel" in str(raised.value)
    assert "checkpoint variable dense_1/kernel (200, 50) is not used" in str(raised.value)
    with pytest.raises(pp.PretrainedError, match=r"checkpoint variable 1CNN/kernel \(3, 3, 1, 128\) is not used"):
        pp.load_weights(pp.build("msd-musicnn", weights=False), "msd-vgg")


# ---------------------------------------------------------------------------- missing wheel


def _no_musicnn(monkeypatch, spec=None):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: spec if name == "musicnn" else real(name, *a, **k))


def test_a_missing_wheel_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    assert "musicnn==0.1.0" in (REPO / "requirements-nodeps.txt").read_text()
    _no_musicnn(monkeypatch)
    with pytest.raises(pp.PretrainedError, match="requirements-nodeps.txt"):
        pp.checkpoint_prefix("msd-musicnn")
    with pytest.raises(pp.PretrainedError, match="requirements-nodeps.txt"):
        pp.build("mtt-vgg")
    # the command line: one error, no traceback (pretrained keeps built models, so start without them)
    monkeypatch.setattr(pretrained, "_MODELS", {})
    song = tmp_path / "song.wav"
    sf.write(str(song), generator.generated_clip()[:SR], SR)
    assert cli.run(pretrained.main, ["taggram", str(song), "--out", str(tmp_path / "t.npz")]) == 2
    err = capsys.readouterr().err
    assert "error: the musicnn checkpoints are not installed" in err and "requirements-nodeps.txt" in err
    assert "Traceback" not in err and not (tmp_path / "t.npz").exists()


def test_a_wheel_without_its_checkpoint_files_says_to_reinstall(monkeypatch, tmp_path):
    spec = importlib.machinery.ModuleSpec("musicnn", None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path)]
    (tmp_path / "MSD_vgg").mkdir()
    (tmp_path / "MSD_vgg" / ".index").write_bytes(b"")  # the data file is missing
    _no_musicnn(monkeypatch, spec)
    with pytest.raises(pp.PretrainedError, match=r"(?s)MSD_vgg: the checkpoint files .* are missing; reinstall .*requirements-nodeps"):
        pp.checkpoint_prefix("msd-vgg")


# ---------------------------------------------------------------------------- input


def test_hop_and_window_lengths_are_musicnns():
    import librosa

    for seconds in (0.5, 1, 2, 3):
        assert pp.hop_frames(seconds) == librosa.time_to_frames(seconds, sr=SR, hop_length=pp.HOP_LENGTH, n_fft=pp.N_FFT)
    assert pp.hop_frames(1) == 61 and pp.WINDOW_FRAMES == pp.hop_frames(3) + 1 == 187
    for bad in (0, -1, float("nan"), 0.01):
        with pytest.raises(ValueError, match="hop"):
            pp.hop_frames(bad)


def test_an_infinite_hop_is_a_value_error():
    with pytest.raises(ValueError):
        pp.hop_frames(float("inf"))


def test_a_30_s_clip_gives_the_references_28_windows_and_a_short_one_gives_one():
    noise = np.random.default_rng(1).normal(scale=0.1, size=int(30.4 * SR)).astype(np.float32)
    mel = pp.log_mel(noise[:30 * SR])
    batch = pp.windows(mel, 61)
    assert mel.shape == (1876, 96) and batch.shape == (28, 187, 96)
    assert np.array_equal(batch[27], mel[27 * 61:27 * 61 + 187])  # in time order, hop 61
    # the reference's 29-row clips are the ones of 30.35 s or more
    assert len(pp.windows(pp.log_mel(noise[:int(30.36 * SR)]), 61)) == 29
    short = pp.log_mel(noise[:SR])  # 1 s: 63 frames, repeated to fill one window
    padded = pp.windows(short, 61)
    assert padded.shape == (1, 187, 96) and np.array_equal(padded[0, :63], short) and np.array_equal(padded[0, 63:126], short)
    assert pp.windows(np.zeros((0, 96), np.float32), 61).shape == (1, 187, 96)


def test_log_mel_is_float32_and_finite_on_a_full_scale_square_wave():
    t = np.arange(3 * SR) / SR
    square = np.sign(np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    mel = pp.log_mel(square)
    assert mel.dtype == np.float32 and mel.shape == (188, 96) and np.isfinite(mel).all()
    # musicnn's own float16 input (``10000 * mel.astype(float16)``) overflows on this clip
    power = (10 ** mel.astype(np.float64) - 1) / 10000
    with np.errstate(over="ignore"):
        assert np.isinf(np.float16(10000) * power.astype(np.float16)).any()


# ---------------------------------------------------------------------------- generated clip vs stored values


def test_generated_clip_matches_the_stored_taggrams(models):
    """Regression guard: the values were produced by this port (see make_generated_clip.py); parity is tested below."""
    stored = json.loads((DATA / "generated_clip.json").read_text())
    clip = generator.generated_clip()
    assert stored["clip"] == generator.recipe(), "the generator changed: regenerate generated_clip.json"
    assert clip.shape == (6 * SR,) and stored["hop_frames"] == 61
    got = pretrained.window_outputs(clip, list(stored["models"]), stored["hop_frames"])
    for name, expected in stored["models"].items():
        assert list(expected["clip_mean_taggram"]) == list(pp.checkpoint(name).tags)
        taggram = got[name]["taggram"]
        assert len(taggram) == expected["windows"] == 4
        error = np.abs(taggram.mean(0) - np.array(list(expected["clip_mean_taggram"].values()))).max()
        assert error <= stored["tolerance"] == 1e-4, f"{name}: clip-mean taggram differs by {error:.2e}"


# ---------------------------------------------------------------------------- parity with the published reference


@pytest.fixture(scope="module")
def reference():
    if not (REAL_GTZAN / "genres_original").is_dir() or not (REFERENCE / "musicnn_msd_taggram_train.npz").is_file():
        pytest.skip(f"real GTZAN material with reference taggrams not found at {REAL_GTZAN}")
    return pretrained.reference_taggrams(REFERENCE)


@pytest.fixture(scope="module")
def lossless_parity(reference, models, tmp_path_factory):
    """helpers.models.pretrained.parity over every lossless clip the reference covers (cached in a private folder)."""
    tracks = data.readable(data.load_tracks(data.discover(REAL_GTZAN)))
    lossless = tracks[tracks["path"].map(lambda p: Path(str(p)).suffix.lower() in (".flac", ".wav", ".au"))
                      & tracks["track_id"].isin(reference.keys())]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cache, "CACHE_DIR", tmp_path_factory.mktemp("parity-cache"))
        return pretrained.parity(lossless, reference, progress=False)


@pytest.mark.parametrize("track_id", ["jazz.00001", "hiphop.00002", "pop.00003"])
def test_port_agrees_with_the_reference_on_lossless_clips(reference, models, track_id):
    path = REAL_GTZAN / "genres_original" / track_id.split(".")[0] / f"{track_id}.flac"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    ours = pretrained.window_outputs(pretrained.waveform(path), ["msd-musicnn"], pp.hop_frames(1.0))["msd-musicnn"]["taggram"]
    theirs = reference[track_id]
    assert ours.shape == theirs.shape == (28, 50)
    assert np.abs(ours.mean(0) - theirs.mean(0)).max() <= 0.02
    assert np.abs(ours - theirs).max() <= 0.1


def test_port_agrees_with_the_reference_over_all_lossless_clips(lossless_parity):
    table = lossless_parity
    results = table[["track_id", "clip_mean_error", "frame_error"]].sort_values("clip_mean_error").to_string(index=False)
    assert len(table) >= 16 and (table["windows"] == table["reference_windows"]).all(), results
    # The bounds (clip mean 0.02, frames 0.1) hold for every lossless clip; with musicnn's own
    # resampler (resampy 0.2 kaiser_best) the port agrees far closer, so a regression shows at once.
    assert (table["frame_error"] <= 0.1).all() and (table["clip_mean_error"] <= 0.02).all(), results
    assert table["clip_mean_error"].max() < 1e-3 and table["frame_error"].max() < 2e-3, results
    summary = pretrained.parity_summary(table)
    assert summary["files"].tolist() == ["lossless"] and summary.loc[0, "clips"] == len(table)
    assert summary.loc[0, "clips with clip mean within 0.02"] == (table["clip_mean_error"] <= 0.02).sum()


def test_reference_taggrams_hold_733_clips_of_28_or_29_windows(reference, tmp_path):
    assert len(reference) == 733 and "blues.00029" in reference
    assert all(re.fullmatch(r"[a-z]+\.\d{5}", key) for key in reference)
    assert {len(x) for x in reference.values()} == {28, 29}
    assert all(x.dtype == np.float32 and x.shape[1] == 50 for x in reference.values())
    assert pretrained.reference_taggrams(tmp_path) == {}


# ---------------------------------------------------------------------------- embeddings and the cached representation


@pytest.mark.parametrize("name", ["msd-musicnn", "mtt-vgg"])
def test_every_embedding_has_its_size(outputs, name):
    sizes = EMBEDDING_SIZES[pp.checkpoint(name).architecture]
    assert set(sizes) == set(pretrained.EMBEDDINGS)
    for embedding, size in sizes.items():
        vector = pretrained.pool(outputs[name], name, embedding)
        assert vector.shape == (size,) and vector.dtype == np.float32
    assert np.allclose(pretrained.pool(outputs[name], name, "taggram-mean"), outputs[name]["taggram"].mean(0))
    with pytest.raises(ValueError, match="unknown embedding 'mfcc'; valid: taggram-mean, taggram-stats, penultimate, midlevel"):
        pretrained.pool(outputs[name], name, "mfcc")


def test_window_outputs_are_cached_per_clip_and_reference_rows_stand_in(synthetic_dir, models, tmp_path):
    tracks = data.load_tracks(synthetic_dir).head(2)
    first = pretrained.extract(tracks, ["msd-musicnn", "msd-vgg"], progress=False)
    again = pretrained.extract(tracks, ["msd-musicnn", "msd-vgg"], progress=False)
    assert first.decoded == 2 and again.decoded == 0
    name = pretrained.WindowOutputs(("msd-musicnn", "msd-vgg")).name
    for a, b in zip(first.values[name], again.values[name]):
        assert len(a["msd-vgg"]["taggram"]) == len(pp.windows(pp.log_mel(np.zeros(7 * SR)), 61)) == 5
        assert all(np.array_equal(a[n][k], b[n][k]) for n in a for k in a[n])
    reference_tracks = pd.DataFrame({"track_id": ["other.00001"], "genre": ["jazz"], "fixed_split": ["test"]})
    stand_in = {"other.00001": np.full((28, 50), 0.5, np.float32)}
    table = pretrained.clip_embeddings(tracks, "msd-musicnn", "taggram-stats", reference=stand_in,
                                       reference_tracks=reference_tracks, progress=False)
    assert table.X.shape == (3, 150) and table.table["source"].tolist() == ["port", "port", "reference"]
    assert np.allclose(table.X[2], np.r_[np.full(100, 0.5), np.zeros(50)])
    with pytest.raises(ValueError, match="MSD-musicnn taggrams only"):
        pretrained.clip_embeddings(tracks, "msd-musicnn", "penultimate", reference=stand_in, reference_tracks=reference_tracks,
                                   progress=False)


def test_clip_embeddings_skip_a_clip_that_fails_to_decode(synthetic_dir, models, tmp_path):
    tracks = data.load_tracks(synthetic_dir).head(2).copy()
    tracks.loc[1, "path"] = str(write_corrupt(tmp_path / "broken.wav"))  # readable when scanned, corrupt now
    result = pretrained.clip_embeddings(tracks, "msd-musicnn", "taggram-mean", progress=False)
    assert result.X.shape == (1, 50) and len(result.table) == 1 and len(result.failed) == 1


# ---------------------------------------------------------------------------- command line


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def music(tmp_path):
    """Two generated clips (16 kHz mono 4 s; 22.05 kHz stereo 6 s) and a corrupt .wav in one folder."""
    folder = tmp_path / "music"
    folder.mkdir()
    clip = generator.generated_clip()
    sf.write(str(folder / "a.wav"), clip[:4 * SR], SR)
    rng = np.random.default_rng(3)
    b = 0.3 * np.sin(2 * np.pi * 330 * np.arange(6 * 22050) / 22050) + 0.05 * rng.normal(size=6 * 22050)
    sf.write(str(folder / "b.wav"), np.stack([b, 0.5 * b], axis=1), 22050)
    write_corrupt(folder / "broken.wav")
    return folder


def test_taggram_command_writes_one_row_per_window_and_skips_unreadable_files(music, models, tmp_path, capsys):
    out = tmp_path / "out" / "taggrams.npz"
    assert cli.run(pretrained.main, ["taggram", str(music), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "wrote" in captured.out
    assert "skipped:" in captured.err and "broken.wav" in captured.err and "Traceback" not in captured.err
    expected = {stem: pretrained.window_outputs(pretrained.waveform(music / f"{stem}.wav"), ["msd-musicnn"], 61)["msd-musicnn"]
                for stem in ("a", "b")}
    assert [len(v["taggram"]) for v in expected.values()] == [2, 4]  # 4 s and 6 s at a 1-s hop
    with np.load(out) as written:
        X, ids = written["X"], written["IDS"].tolist()
    assert X.dtype == np.float32 and X.shape == (6, 50) and ids == ["a"] * 2 + ["b"] * 4
    assert np.allclose(X, np.concatenate([expected["a"]["taggram"], expected["b"]["taggram"]]), atol=1e-5)

    embedded = tmp_path / "embedded.npz"
    assert cli.run(pretrained.main, ["embed", str(music / "a.wav"), str(music / "b.wav"), "--out", str(embedded)]) == 0
    with np.load(embedded) as written:
        assert written["X"].shape == (2, 150) and written["IDS"].tolist() == ["a", "b"]
        assert np.allclose(written["X"][1], pretrained.pool(expected["b"], "msd-musicnn", "taggram-stats"), atol=1e-5)
    vgg = tmp_path / "vgg.npz"
    assert cli.run(pretrained.main, ["embed", str(music / "a.wav"), "--model", "mtt-vgg", "--embedding", "midlevel",
                                     "--out", str(vgg)]) == 0
    with np.load(vgg) as written:
        assert written["X"].shape == (1, 256)


def test_taggram_command_explains_bad_input_in_one_line(music, tmp_path, capsys):
    out = str(tmp_path / "t.npz")
    assert cli.run(pretrained.main, ["taggram", str(tmp_path / "nowhere.wav"), "--out", out]) == 2
    line = one_error_line(capsys)
    assert "no such file or folder" in line and "nowhere.wav" in line
    assert cli.run(pretrained.main, ["taggram", str(music), "--out", str(tmp_path / "t.csv")]) == 2
    assert "--out" in one_error_line(capsys)
    assert cli.run(pretrained.main, ["taggram", str(music), "--hop-seconds", "0", "--out", out]) == 2
    assert "--hop-seconds" in one_error_line(capsys)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.csv").write_text("a,b\n")
    assert cli.run(pretrained.main, ["taggram", str(tmp_path / "notes"), "--out", out]) == 2
    assert "no audio files" in one_error_line(capsys)
    with pytest.raises(SystemExit) as raised:
        cli.run(pretrained.main, ["taggram", str(music), "--model", "musicnn", "--out", out])
    err = capsys.readouterr().err
    assert raised.value.code == 2 and "invalid choice: 'musicnn'" in err and all(n in err for n in pp.CHECKPOINTS)
    assert not Path(out).exists()


def test_a_missing_path_is_named(tmp_path, capsys):
    assert cli.run(pretrained.main, ["embed", str(tmp_path / "nowhere.wav"), "--out", str(tmp_path / "e.npz")]) == 2
    line = one_error_line(capsys)
    assert "no such file or folder" in line and "nowhere.wav" in line


def test_no_readable_file_is_an_error_and_writes_nothing(tmp_path, models, capsys):
    bad = write_corrupt(tmp_path / "bad" / "x.wav")
    out = tmp_path / "t.npz"
    assert cli.run(pretrained.main, ["taggram", str(bad.parent), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "skipped:" in err and "x.wav" in err and "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        "error: none of the given files could be read; nothing written"]
    assert not out.exists()


def test_parity_command_without_reference_is_one_line(tmp_path, capsys):
    assert cli.run(pretrained.main, ["parity", str(tmp_path)]) == 2
    assert "musicnn_msd_taggram_{train,test}.npz" in one_error_line(capsys)
