"""The wav2vec 2.0 / HuBERT port (helpers.models.wav2vec2): parity with transformers on the shared tiny fixtures,
strict loading, the compare and embed commands, and the input normalisation (helpers.inputs.waveforms)."""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from helpers import cli
from helpers.inputs import waveforms
from helpers.models import wav2vec2

from .conftest import REPO, write_corrupt, write_tone

# Tiny random-weight models with transformers' outputs (see its README.md); absent on a user's machine
FIXTURES = REPO.parent / "shared" / "data" / "wav2vec2"
MODELS = ("wav2vec2-base-tiny", "wav2vec2-large-tiny", "hubert-base-tiny", "hubert-large-tiny",
          "wav2vec2-base-tiny-legacy-keys")


@pytest.fixture(autouse=True)
def no_real_hub(tmp_path, monkeypatch):
    """No test reaches the real Hugging Face Hub or the user's huggingface_hub cache: both point at local stand-ins."""
    monkeypatch.delenv("MGC_WAV2VEC2", raising=False)
    try:
        from huggingface_hub import constants
    except ImportError:
        return
    nowhere = closed_port_url()
    monkeypatch.setattr(constants, "ENDPOINT", nowhere)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", nowhere + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))


def closed_port_url() -> str:
    """An address where nothing listens: what an offline machine sees of the Hub."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def fixture(name: str) -> Path:
    folder = FIXTURES / name
    if not (folder / "model.safetensors").is_file():
        pytest.skip(f"wav2vec2 reference fixtures not found at {FIXTURES}")
    return folder


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def altered(tmp_path):
    """A copy of a fixture folder with its config and tensors changed: ``altered(name, config=..., tensors=...)``,
    each a function of the original dict returning the new one."""
    pytest.importorskip("safetensors")
    from safetensors.numpy import save_file

    def make(name: str, config=None, tensors=None) -> Path:
        source, folder = fixture(name), tmp_path / name
        folder.mkdir()
        values = json.loads((source / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps(config(values) if config else values))
        arrays = wav2vec2.read_tensors(source / "model.safetensors")
        save_file(tensors(arrays) if tensors else arrays, str(folder / "model.safetensors"))
        shutil.copy(source / "expected.npz", folder / "expected.npz")
        return folder
    return make


# ---------------------------------------------------------------------------- parity with transformers

@pytest.mark.parametrize("name", MODELS)
def test_compare_agrees_with_transformers_on_every_fixture(name, capsys):
    assert cli.run(wav2vec2.main, ["compare", str(fixture(name))]) == 0
    out = capsys.readouterr().out
    compared = {line.split()[0] for line in out.splitlines() if "largest absolute difference" in line}
    assert compared == ({"hidden_states", "last_hidden_state"} | ({"extract_features"} if "wav2vec2" in name else set()))
    assert out.count(" ok") == len(compared)


def test_both_key_formats_give_the_same_weights_and_pretraining_tensors_are_listed():
    plain, legacy = wav2vec2.load(fixture("wav2vec2-base-tiny")), wav2vec2.load(fixture("wav2vec2-base-tiny-legacy-keys"))
    assert plain.ignored == []
    assert legacy.ignored == ["masked_spec_embed", "project_hid.bias", "project_hid.weight", "project_q.bias",
                              "project_q.weight", "quantizer.codevectors", "quantizer.weight_proj.bias",
                              "quantizer.weight_proj.weight"]
    for ours, theirs in zip(plain.model.weights, legacy.model.weights):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-6, err_msg=ours.path)


def test_the_model_saves_as_keras_and_loads_in_safe_mode(tmp_path):
    import keras

    encoder = wav2vec2.load(fixture("wav2vec2-large-tiny"))
    encoder.model.save(tmp_path / "encoder.keras")
    again = keras.saving.load_model(tmp_path / "encoder.keras", safe_mode=True)
    samples = np.random.default_rng(0).normal(size=(1, 8000)).astype(np.float32)
    ours, theirs = wav2vec2.outputs(encoder.model, samples), wav2vec2.outputs(again, samples)
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_allclose(ours[key], theirs[key], atol=1e-6, err_msg=key)


# ---------------------------------------------------------------------------- strict loading

@pytest.mark.parametrize("change, message", [
    (lambda t: {k: v for k, v in t.items() if k != "encoder.layers.1.attention.k_proj.bias"},
     "missing tensors: encoder.layers.1.attention.k_proj.bias"),
    (lambda t: {k: v for k, v in t.items() if "original0" not in k},
     "missing tensors: encoder.pos_conv_embed.conv.parametrizations.weight.original0"),
    (lambda t: {**t, "encoder.adapter.proj.weight": np.zeros((4, 4), np.float32)},
     r"tensors the model does not use: encoder.adapter.proj.weight \(4, 4\)"),
    (lambda t: {**t, "feature_projection.projection.weight": np.zeros((48, 31), np.float32)},
     r"wrong shapes: feature_projection.projection.weight is \(48, 31\), the model needs \(48, 32\)"),
    (lambda t: {**t, "wav2vec2.encoder.layer_norm.bias": t["encoder.layer_norm.bias"]},
     "tensors stored twice: encoder.layer_norm.bias"),
], ids=["missing", "missing-weight-norm", "extra", "wrong-shape", "stored-twice"])
def test_weights_that_do_not_fit_stop_the_load_naming_the_tensor(altered, change, message):
    with pytest.raises(wav2vec2.Wav2Vec2Error, match=message):
        wav2vec2.load(altered("wav2vec2-base-tiny", tensors=change))


def test_a_hubert_checkpoint_takes_only_its_own_prefix(altered):
    folder = altered("hubert-base-tiny", tensors=lambda t: {f"wav2vec2.{k}": v for k, v in t.items()})
    with pytest.raises(wav2vec2.Wav2Vec2Error, match="tensors the model does not use: wav2vec2.encoder"):
        wav2vec2.load(folder)
    wav2vec2.load(altered("hubert-large-tiny", tensors=lambda t: {f"hubert.{k}": v for k, v in t.items()}))


@pytest.mark.parametrize("name, change, message", [
    ("wav2vec2-base-tiny", {"model_type": "wavlm"}, "model_type 'wavlm' is not one this port implements"),
    ("wav2vec2-base-tiny", {"add_adapter": True}, "add_adapter = true is not implemented"),
    ("hubert-base-tiny", {"conv_pos_batch_norm": True}, "conv_pos_batch_norm = true is not implemented"),
    ("wav2vec2-large-tiny", {"feat_extract_activation": "relu"}, "feat_extract_activation = \"relu\" is not implemented"),
    ("wav2vec2-large-tiny", {"feat_extract_norm": "batch"}, "feat_extract_norm 'batch' is not implemented"),
    ("wav2vec2-base-tiny", {"conv_kernel": [10, 3]}, "conv_dim, conv_kernel and conv_stride have 7, 2, 7 entries"),
    ("wav2vec2-base-tiny", {"hidden_size": None}, "hidden_size is missing"),
])
def test_a_config_the_port_does_not_implement_stops_the_load_naming_the_flag(altered, name, change, message):
    folder = altered(name, config=lambda c: {**c, **change})
    with pytest.raises(wav2vec2.Wav2Vec2Error, match=message):
        wav2vec2.load(folder)


def test_training_only_settings_are_listed_not_silently_dropped(altered, capsys):
    folder = altered("wav2vec2-base-tiny", config=lambda c: {**c, "layerdrop": 0.05, "mask_time_prob": 0.05})
    assert wav2vec2.read_config(folder).not_applied == ("LayerDrop (layerdrop 0.05)", "SpecAugment time masks (mask_time_prob 0.05)")
    assert cli.run(wav2vec2.main, ["compare", str(folder)]) == 0
    assert "training-only settings not built: LayerDrop (layerdrop 0.05)" in capsys.readouterr().out


# ---------------------------------------------------------------------------- the compare command

def test_compare_exits_1_when_an_output_differs_by_more_than_the_tolerance(altered, tmp_path, capsys):
    folder = altered("hubert-base-tiny")
    with np.load(folder / "expected.npz") as stored:
        arrays = dict(stored)
    arrays["last_hidden_state"] = arrays["last_hidden_state"] + 2e-4
    np.savez(folder / "expected.npz", **arrays)
    assert cli.run(wav2vec2.main, ["compare", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "last_hidden_state  largest absolute difference 2.0" in out and "ABOVE 0.0001" in out


def test_compare_explains_a_wrong_folder_in_one_line(altered, tmp_path, capsys):
    assert cli.run(wav2vec2.main, ["compare", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in one_error_line(capsys)
    folder = altered("wav2vec2-base-tiny", tensors=lambda t: {k: v for k, v in t.items() if "q_proj" not in k})
    assert cli.run(wav2vec2.main, ["compare", str(folder)]) == 2
    assert "missing tensors: encoder.layers.0.attention.q_proj.weight" in one_error_line(capsys)
    (folder / "expected.npz").unlink()
    assert cli.run(wav2vec2.main, ["compare", str(folder)]) == 2
    assert "expected.npz not found" in one_error_line(capsys)


# ---------------------------------------------------------------------------- the embed command

def test_embed_writes_one_pooled_hidden_state_per_readable_file(tmp_path, capsys):
    model = fixture("wav2vec2-base-tiny")
    music = tmp_path / "music"
    write_tone(music / "a.wav", seconds=1.0, sr=22050, freq=440.0)
    write_tone(music / "b.flac", seconds=0.5, sr=16000, freq=880.0)
    write_corrupt(music / "broken.wav")
    out = tmp_path / "embed.npz"
    assert cli.run(wav2vec2.main, ["embed", str(music), "--model", str(model), "--layer", "1", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "skipped:" in captured.err and "broken.wav" in captured.err and "Traceback" not in captured.err
    with np.load(out) as stored:
        X, ids = stored["X"], list(stored["IDS"])
    assert ids == ["a", "b"] and X.shape == (2, 48) and X.dtype == np.float32
    # the same as hidden_states[1] of the normalised 16-kHz samples, averaged over time
    from helpers.data import audio

    samples, _ = audio.load(music / "b.flac", sr=16000)
    found = wav2vec2.outputs(wav2vec2.load(model).model, waveforms.zero_mean_unit_variance(samples)[None])
    np.testing.assert_allclose(X[1], found["hidden_states.1"][0].mean(0), atol=1e-5)


def test_embed_refuses_a_layer_the_model_lacks_before_any_work(tmp_path, capsys):
    write_tone(tmp_path / "a.wav", seconds=0.5)
    args = ["embed", str(tmp_path / "a.wav"), "--model", str(fixture("hubert-base-tiny")), "--out", str(tmp_path / "e.npz")]
    assert cli.run(wav2vec2.main, [*args, "--layer", "3"]) == 2
    assert "--layer 3" in one_error_line(capsys) and not (tmp_path / "e.npz").exists()


def test_a_long_clip_goes_through_in_equal_parts_and_their_frames_are_averaged():
    encoder = wav2vec2.load(fixture("hubert-base-tiny"))
    model = wav2vec2.layer_model(encoder, 2)
    samples = waveforms.zero_mean_unit_variance(np.random.default_rng(1).normal(size=32000))
    frames = [np.asarray(model(half[None], training=False))[0] for half in (samples[:16000], samples[16000:])]
    np.testing.assert_allclose(wav2vec2.pooled(model, samples, max_seconds=1.5), np.concatenate(frames).mean(0), atol=1e-6)
    whole = np.asarray(model(samples[None], training=False))[0]
    np.testing.assert_allclose(wav2vec2.pooled(model, samples), whole.mean(0), atol=1e-6)


# ---------------------------------------------------------------------------- input normalisation

def test_normalisation_is_the_feature_extractors_and_keeps_a_silent_clip_at_zero():
    samples = np.random.default_rng(2).normal(3.0, 0.5, size=16000).astype(np.float32)
    normed = waveforms.zero_mean_unit_variance(samples)
    assert normed.dtype == np.float32 and abs(normed.mean()) < 1e-6 and abs(normed.var() - 1) < 1e-5
    expected = (samples - samples.mean()) / np.sqrt(samples.var() + 1e-7)  # Wav2Vec2FeatureExtractor's formula
    np.testing.assert_allclose(normed, expected, atol=1e-5)
    assert not waveforms.zero_mean_unit_variance(np.zeros(100)).any()
    with pytest.raises(ValueError, match="1-D"):
        waveforms.zero_mean_unit_variance(np.zeros((2, 100)))


def test_a_preprocessor_config_says_whether_inputs_are_normalised(tmp_path):
    assert wav2vec2.normalises_input(tmp_path)[0] is True  # wav2vec2-base's setting without one
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({"do_normalize": False, "sampling_rate": 16000}))
    assert wav2vec2.normalises_input(tmp_path) == (False, "preprocessor_config.json: do_normalize false")
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({"sampling_rate": 8000}))
    with pytest.raises(wav2vec2.Wav2Vec2Error, match="sampling_rate 8000"):
        wav2vec2.normalises_input(tmp_path)


# ---------------------------------------------------------------------------- where the weights come from

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub(BaseHTTPRequestHandler):
    """Serves ``/<owner>/<name>/resolve/<revision>/<file>`` from ``models`` (Hub id -> folder) with the headers
    huggingface_hub reads (commit, ETag, size) and the Hub's error codes; ``requests`` logs what was asked."""

    models: dict[str, Path] = {}
    requests: list[str] = []

    def _answer(self, body: bool) -> None:
        self.requests.append(f"{self.command} {self.path}")
        parts = self.path.split("/")
        folder = self.models.get("/".join(parts[1:3])) if len(parts) == 6 and parts[3] == "resolve" else None
        if folder is None or not (folder / parts[5]).is_file():
            self.send_response(404)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("X-Error-Code", "RepoNotFound" if folder is None else "EntryNotFound")
            self.end_headers()
            return
        data = (folder / parts[5]).read_bytes()
        self.send_response(200)
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_HEAD(self):
        self._answer(body=False)

    def do_GET(self):
        self._answer(body=True)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_hub():
    """A local stand-in for the Hub serving the tiny wav2vec2 as ``tiny/wav2vec2``; yields its URL and request log."""
    pytest.importorskip("huggingface_hub")
    FakeHub.models, FakeHub.requests = {"tiny/wav2vec2": fixture("wav2vec2-base-tiny")}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", FakeHub.requests
    server.shutdown()
    server.server_close()


def test_a_hub_model_is_downloaded_once_then_read_from_the_cache_offline(fake_hub, tmp_path):
    url, requests = fake_hub
    first = wav2vec2.resolve_model("tiny/wav2vec2", endpoint=url, cache_dir=tmp_path / "cache")
    assert first.origin == "tiny/wav2vec2 (Hugging Face Hub, revision 0123456789ab)"
    assert sorted(p.name for p in first.folder.iterdir()) == ["config.json", "model.safetensors"]
    assert "GET /tiny/wav2vec2/resolve/main/model.safetensors" in requests
    requests.clear()
    again = wav2vec2.resolve_model("tiny/wav2vec2", endpoint=closed_port_url(), cache_dir=tmp_path / "cache")
    assert again == first and requests == []  # offline: the cache alone
    expected = np.load(fixture("wav2vec2-base-tiny") / "expected.npz")
    assert max(wav2vec2.compare(wav2vec2.load(again.folder), expected).values()) < 1e-4


def test_without_weights_one_line_says_so_within_seconds(fake_hub, tmp_path, monkeypatch, capsys):
    url, _ = fake_hub
    started = time.monotonic()
    with pytest.raises(wav2vec2.WeightsUnavailable, match="facebook/wav2vec2-base \\(the default\\) is not in the "
                                                          "huggingface_hub cache and the Hub cannot be reached"):
        wav2vec2.resolve_model(endpoint=closed_port_url(), cache_dir=tmp_path / "cache")
    assert time.monotonic() - started < 5  # no retries with backoff
    with pytest.raises(wav2vec2.WeightsUnavailable, match="the Hugging Face Hub has no model someone/else"):
        wav2vec2.resolve_model("someone/else", endpoint=url, cache_dir=tmp_path / "cache")
    offline = functools.partial(wav2vec2.resolve_model, endpoint=closed_port_url(), cache_dir=tmp_path / "cache")
    monkeypatch.setattr(wav2vec2, "resolve_model", offline)
    write_tone(tmp_path / "a.wav", seconds=0.5)
    out = tmp_path / "e.npz"
    assert cli.run(wav2vec2.main, ["embed", str(tmp_path / "a.wav"), "--model", "tiny/wav2vec2", "--out", str(out)]) == 2
    assert "no wav2vec2 weights: tiny/wav2vec2 is not in the huggingface_hub cache" in one_error_line(capsys)
    assert not out.exists()


def test_a_folder_is_named_by_parameter_or_environment_and_anything_else_must_be_a_hub_id(tmp_path, monkeypatch):
    folder = fixture("hubert-base-tiny")
    assert wav2vec2.resolve_model(folder) == wav2vec2.ModelSource(folder, f"folder {folder}")
    monkeypatch.setenv("MGC_WAV2VEC2", str(folder))
    assert wav2vec2.resolve_model().folder == folder
    for name in (str(tmp_path / "no" / "such" / "folder"), str(folder / "config.json")):
        with pytest.raises(wav2vec2.Wav2Vec2Error, match="neither a model folder nor a Hugging Face Hub id"):
            wav2vec2.resolve_model(name)
