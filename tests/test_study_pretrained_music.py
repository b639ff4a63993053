"""Notebook 05's study (helpers.studies.pretrained_music), the one reader of window outputs
(helpers.models.pretrained.window_values) and the cached log-mel of fine-tuning (helpers.models.heads.mel_windows).

The networks never run here: the window outputs come from a stand-in for ``pretrained.extract``, so these tests
check what is done with them (order of clips, the reference standing in for absent audio, pooling, parity)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.data import cache
from helpers.inputs import representations
from helpers.models import heads, pretrained, pretrained_port
from helpers.results import evaluate
from helpers.studies import pretrained_music as study

from .conftest import write_corrupt, write_tone


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setenv("MGC_CACHE_DIR", str(tmp_path / "cache"))


# ---------------------------------------------------------------------------- window_values and its readers

def _outputs(seed: int, windows: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"taggram": rng.random((windows, 50), dtype=np.float32), "penultimate": rng.random((windows, 4), dtype=np.float32),
            "mean_pool": rng.random((windows, 3), dtype=np.float32), "max_pool": rng.random((windows, 3), dtype=np.float32)}


@pytest.fixture
def port(monkeypatch):
    """``pretrained.extract`` replaced: clips a and c decode (3 and 2 windows), b fails; the calls are recorded."""
    calls = []
    outputs = {"a": _outputs(1, 3), "b": None, "c": _outputs(2, 2)}

    def fake_extract(tracks, names, hop_seconds=1.0, progress=True):
        calls.append((list(tracks["track_id"]), list(names), hop_seconds))
        values = [None if outputs[t] is None else {names[0]: outputs[t]} for t in tracks["track_id"]]
        return representations.PassResult(tracks.reset_index(drop=True), {pretrained.WindowOutputs(tuple(names), hop_seconds).name: values},
                                          ["b.wav: unreadable"] if "b" in set(tracks["track_id"]) else [])

    monkeypatch.setattr(pretrained, "extract", fake_extract)
    tracks = pd.DataFrame({"track_id": ["a", "b", "c"], "genre": ["jazz", "rock", "jazz"],
                           "path": ["x/a.wav", "x/b.wav", "x/c.flac"], "fixed_split": ["train", "test", "test"]})
    return tracks, outputs, calls


def test_window_values_keep_the_port_clips_then_the_reference_for_absent_audio(port):
    tracks, outputs, calls = port
    reference = {t: np.full((4, 50), i, np.float32) for i, t in enumerate(["a", "b", "d"])}
    reference_tracks = pd.DataFrame({"track_id": ["a", "b", "d", "e"], "genre": ["jazz", "rock", "rock", "jazz"],
                                     "fixed_split": ["train", "test", "train", "test"]})
    found = pretrained.window_values(tracks, "msd-musicnn", reference=reference, reference_tracks=reference_tracks,
                                     progress=False)
    # a and c went through the port; b failed to decode, so its reference stands in, as for d (no audio at all);
    # a has audio, so its reference is not used; e has no reference
    assert list(found.table["track_id"]) == ["a", "c", "b", "d"]
    assert list(found.table["source"]) == ["port", "port", "reference", "reference"]
    assert list(found.table.index) == [0, 1, 2, 3]
    assert found.values[0] is outputs["a"] and found.values[1] is outputs["c"]
    assert set(found.values[2]) == {"taggram"} and np.array_equal(found.values[3]["taggram"], reference["d"])
    assert found.failed == ["b.wav: unreadable"] and calls == [(["a", "b", "c"], ["msd-musicnn"], 1.0)]
    alone = pretrained.window_values(tracks, "mtt-vgg", 3.0, progress=False)
    assert list(alone.table["track_id"]) == ["a", "c"] and calls[-1][1:] == (["mtt-vgg"], 3.0)


@pytest.mark.parametrize("name, hop, reference_tracks, message", [
    ("mtt-vgg", 1.0, pd.DataFrame({"track_id": ["a"]}), "not mtt-vgg at a 1.0-s hop"),
    ("msd-musicnn", 3.0, pd.DataFrame({"track_id": ["a"]}), "not msd-musicnn at a 3.0-s hop"),
    ("msd-musicnn", 1.0, None, "need reference_tracks"),
], ids=["other-checkpoint", "other-hop", "no-reference-tracks"])
def test_window_values_refuse_the_reference_before_running_a_network(port, name, hop, reference_tracks, message):
    tracks, _, calls = port
    with pytest.raises(ValueError, match=message):
        pretrained.window_values(tracks, name, hop, {"a": np.zeros((1, 50))}, reference_tracks, progress=False)
    assert calls == []


def test_clip_embeddings_pool_window_values_and_say_the_source(port):
    tracks, outputs, _ = port
    emb = pretrained.clip_embeddings(tracks, "msd-musicnn", "taggram-stats", reference={"b": np.ones((2, 50), np.float32)},
                                     reference_tracks=tracks[["track_id", "genre", "fixed_split"]], progress=False)
    assert list(emb.table.columns) == ["track_id", "genre", "fixed_split", "source"]
    assert list(emb.table["source"]) == ["port", "port", "reference"] and emb.representation == "msd-musicnn taggram-stats"
    assert np.allclose(emb.X[0], pretrained.pool(outputs["a"], "msd-musicnn", "taggram-stats"))
    assert np.allclose(emb.X[2], np.r_[np.ones(100), np.zeros(50)])  # mean, max, std of a constant taggram
    with pytest.raises(ValueError, match="MSD-musicnn taggrams only.*not msd-musicnn penultimate"):
        pretrained.clip_embeddings(tracks, "msd-musicnn", "penultimate", reference={"b": np.ones((2, 50))},
                                   reference_tracks=tracks, progress=False)


def test_window_embeddings_stack_one_layer_with_each_window_s_clip(port):
    tracks, outputs, _ = port
    windows = heads.window_embeddings(tracks, "msd-musicnn", progress=False)
    assert windows.layer == "penultimate" and list(windows.rows) == [0, 0, 0, 1, 1]
    assert np.array_equal(windows.X, np.concatenate([outputs["a"]["penultimate"], outputs["c"]["penultimate"]]))
    assert list(windows.tracks["track_id"]) == ["a", "c"]
    with pytest.raises(ValueError, match="msd-musicnn taggram windows.*not msd-musicnn penultimate windows"):
        heads.window_embeddings(tracks, "msd-musicnn", reference={"b": np.ones((2, 50))}, reference_tracks=tracks,
                                progress=False)


def test_parity_compares_the_port_clips_the_reference_covers(port):
    tracks, outputs, calls = port
    theirs = outputs["c"]["taggram"][:1] + 0.5  # a shorter reference: windows compared as far as both go
    table = pretrained.parity(tracks, {"b": np.zeros((2, 50)), "c": theirs, "z": np.zeros((1, 50))}, progress=False)
    assert calls[-1][0] == ["b", "c"]  # only the covered clips are extracted; b fails to decode and has no row
    assert table[["track_id", "format", "lossless", "windows", "reference_windows"]].values.tolist() == [["c", "flac", True, 2, 1]]
    ours = outputs["c"]["taggram"]
    assert table["frame_error"][0] == pytest.approx(0.5)
    assert table["clip_mean_error"][0] == pytest.approx(np.abs(ours.mean(0) - theirs.mean(0)).max())


# ---------------------------------------------------------------------------- the cached log-mel of fine-tuning

@pytest.fixture
def clips(tmp_path) -> pd.DataFrame:
    paths = [write_tone(tmp_path / "audio" / "a.wav", seconds=5.0, freq=440.0),
             write_corrupt(tmp_path / "audio" / "b.wav"),
             write_tone(tmp_path / "audio" / "c.flac", seconds=2.0, sr=16000, freq=880.0)]
    return pd.DataFrame({"track_id": ["a", "b", "c"], "genre": ["jazz", "rock", "rock"], "path": [str(p) for p in paths]})


def _entries() -> list[Path]:
    return sorted((Path(cache.CACHE_DIR) / "musicnn-mel").rglob("*.npz"))


def test_mel_windows_are_the_port_s_windows_of_each_readable_clip(clips):
    windows = heads.mel_windows(clips, hop_seconds=1.0, progress=False)
    expected = [pretrained_port.windows(pretrained_port.log_mel(pretrained.waveform(p)), pretrained_port.hop_frames(1.0))
                for p in clips["path"][[0, 2]]]
    assert list(windows.tracks["track_id"]) == ["a", "c"]  # the corrupt clip is left out
    assert np.array_equal(windows.X, np.concatenate(expected)) and windows.X.dtype == np.float32
    assert list(windows.rows) == [0] * len(expected[0]) + [1] * len(expected[1]) and len(expected[1]) == 1  # 2 s: padded


def test_mel_windows_read_the_cache_for_every_hop(clips, monkeypatch):
    first = heads.mel_windows(clips, hop_seconds=1.0, progress=False)
    assert len(_entries()) == 2  # one log-mel per readable clip, whatever the hop

    def no_decode(*args, **kwargs):
        raise AssertionError("decoded although the log-mel is cached")

    monkeypatch.setattr(representations.audio, "load", no_decode)
    again = heads.mel_windows(clips.iloc[[0, 2]], hop_seconds=1.0, progress=False)
    assert np.array_equal(again.X, first.X) and np.array_equal(again.rows, first.rows)
    coarse = heads.mel_windows(clips.iloc[[0, 2]], hop_seconds=2.0, progress=False)
    assert np.array_equal(coarse.X[0], first.X[0]) and len(coarse.X) < len(first.X)  # cut from the same log-mel
    assert len(_entries()) == 2


def test_the_log_mel_cache_key_follows_the_file_and_every_parameter(clips, monkeypatch, tmp_path):
    track = clips.iloc[0].to_dict()
    entry = pretrained.LogMel()._entry(track)
    assert pretrained.LogMel()._entry(track) == entry
    changed = []
    for module, name, value in ((pretrained_port, "N_MELS", 128), (pretrained_port, "N_FFT", 1024),
                                (pretrained_port, "HOP_LENGTH", 512), (pretrained, "RESAMPLER", "soxr"),
                                (pretrained, "PORT_VERSION", pretrained.PORT_VERSION + 1)):
        with monkeypatch.context() as patch:
            patch.setattr(module, name, value)
            changed.append(pretrained.LogMel()._entry(track) != entry)
    assert changed == [True] * 5
    other = write_tone(tmp_path / "audio" / "a2.wav", seconds=5.0, freq=441.0)  # same length, other content
    assert pretrained.LogMel()._entry({**track, "path": str(other)}) != entry


def test_a_corrupt_log_mel_entry_is_recomputed(clips):
    first = heads.mel_windows(clips.iloc[[0]], hop_seconds=1.0, progress=False)
    _entries()[0].write_bytes(b"not an npz")
    with pytest.warns(cache.CacheWarning):
        again = heads.mel_windows(clips.iloc[[0]], hop_seconds=1.0, progress=False)
    assert np.array_equal(again.X, first.X)


# ---------------------------------------------------------------------------- the study's cells

def _record(model: str, correct: int, clips: int, *, dataset: str = "toy", protocol: str = "random-80/20",
            experiment: str = study.EXPERIMENT, extra: dict | None = None) -> dict:
    truth = ["jazz", "rock"] * (clips // 2)
    predicted = truth[:correct] + [("rock" if t == "jazz" else "jazz") for t in truth[correct:]]
    return evaluate.evaluate(truth, predicted, ["jazz", "rock"], experiment=experiment, model=model, dataset=dataset,
                             protocol=protocol, resamples=20, seed=0, extra=extra)


def test_protocols_put_the_fixed_split_first():
    assert study.protocols("fault-filtered") == ["fault-filtered", "random-80/20", "5-fold-cv"]
    assert study.protocols(None) == ["random-80/20", "5-fold-cv"]


def test_handcrafted_features_come_from_the_csv_or_else_from_the_audio(monkeypatch):
    tracks = pd.DataFrame({"track_id": ["a"], "genre": ["jazz"], "fixed_split": ["test"]})
    csv = pd.DataFrame({"track_id": ["a"], "rms_mean": [0.1]})
    monkeypatch.setattr(study.data, "features_table", lambda layout: csv)
    monkeypatch.setattr(study.features, "extract", lambda *a, **k: pytest.fail("extracted although the CSV exists"))
    assert study.handcrafted_features("layout", tracks) is csv
    extracted = type("Extracted", (), {"table": pd.DataFrame({"track_id": ["a"], "rms_mean": [0.2]})})()
    monkeypatch.setattr(study.data, "features_table", lambda layout: None)
    monkeypatch.setattr(study.features, "extract", lambda t, jobs=None: extracted)
    table = study.handcrafted_features("layout", tracks, jobs=2)
    assert table["rms_mean"].tolist() == [0.2] and table["fixed_split"].tolist() == ["test"]


def test_port_parity_without_a_reference_says_why(capsys, tmp_path):
    assert study.port_parity(pd.DataFrame(), {}, "toy", tmp_path) is None
    assert "toy has no reference taggrams" in capsys.readouterr().out and not list(tmp_path.iterdir())


def test_port_parity_saves_its_figure(monkeypatch, tmp_path):
    table = pd.DataFrame({"lossless": [True, False], "clip_mean_error": [1e-5, 0.03], "frame_error": [1e-4, 0.2]})
    monkeypatch.setattr(pretrained, "parity", lambda tracks, reference: table)
    assert study.port_parity(pd.DataFrame(), {"a": np.zeros((1, 50))}, "toy", tmp_path) is table
    assert (tmp_path / "05_port_parity.png").is_file()


SETTINGS = dict(checkpoints=("msd-musicnn",), embeddings=("taggram-stats",), methods=("logreg-cv",), head_epochs=2,
                head_patience=1, tune_epochs=1, tune_patience=1, tune_hop_seconds=3.0)


def test_embedding_records_add_the_balanced_genres_and_save_every_record(monkeypatch, tmp_path):
    calls = []

    def fake(tracks, **kwargs):
        calls.append((len(tracks), kwargs))
        return [_record(f"run {len(calls)}", 2, 4, dataset=kwargs["dataset"])]

    monkeypatch.setattr(study.transfer, "embedding_records", fake)
    uneven = pd.DataFrame({"track_id": list("abcdefg"), "genre": ["jazz"] * 3 + ["rock"] * 3 + ["pop"], "ok": True})
    handcrafted, reference = pd.DataFrame({"track_id": ["a"]}), {"a": np.zeros((1, 50))}
    records = study.embedding_records(uneven, SETTINGS, ["random-80/20"], dataset="toy", label="Toy", handcrafted=handcrafted,
                                      reference=reference, seed=7, jobs=1, resamples=20, results_dir=tmp_path, profile="smoke")
    assert [r["dataset"] for r in records] == ["toy", "toy-2genres"]
    (n_all, whole), (n_subset, subset) = calls
    assert (n_all, n_subset) == (7, 6)  # the balanced genres: jazz and rock, three clips each
    assert whole["handcrafted"] is handcrafted and whole["reference"] is reference and whole["reference_tracks"] is handcrafted
    assert "handcrafted" not in subset and "reference" not in subset and subset["progress"] is False
    for key in ("names", "embeddings", "methods", "protocols", "seed", "jobs", "resamples"):
        assert whole[key] == subset[key], key
    assert len(evaluate.load_all(tmp_path)) == 2
    balanced = uneven[uneven["genre"] != "pop"]
    assert len(study.embedding_records(balanced, SETTINGS, ["random-80/20"], dataset="toy", label="Toy", handcrafted=handcrafted,
                                       reference={}, seed=7)) == 1  # balanced audio: no subset run; nothing saved
    assert len(evaluate.load_all(tmp_path)) == 2


def test_head_records_pass_the_profile_settings_and_save(monkeypatch, tmp_path):
    seen = {}

    def fake(tracks, **kwargs):
        seen.update(kwargs)
        return [_record("msd-musicnn penultimate · frozen head", 3, 4)], {"head": "trained"}

    monkeypatch.setattr(heads, "head_records", fake)
    records, trained = study.head_records(pd.DataFrame(), SETTINGS, ["random-80/20"], dataset="toy", reference={},
                                          reference_tracks=None, seed=3, resamples=20, results_dir=tmp_path, profile="smoke")
    assert trained == {"head": "trained"} and len(evaluate.load_all(tmp_path)) == 1
    assert (seen["epochs"], seen["patience"], seen["names"], seen["seed"], seen["progress"]) == (2, 1, ("msd-musicnn",), 3, False)


def test_fine_tune_best_starts_from_the_chosen_head_and_saves(monkeypatch, tmp_path):
    chosen = _record("msd-musicnn penultimate · frozen head", 3, 4, dataset="toy+reference")
    tuned = _record("msd-musicnn · fine-tuned", 4, 4)
    calls = {}
    monkeypatch.setattr(heads, "choose_head", lambda records, trained, protocol: ("msd-musicnn", chosen, "head"))

    def fake_mel_windows(tracks, hop_seconds):
        calls["hop"] = hop_seconds
        return "windows"

    monkeypatch.setattr(heads, "mel_windows", fake_mel_windows)

    def fake_fine_tune(windows, name, head, protocol, **kwargs):
        calls.update(windows=windows, name=name, head=head, protocol=protocol, **kwargs)
        return tuned, "model"

    monkeypatch.setattr(heads, "fine_tune", fake_fine_tune)
    best = study.fine_tune_best(pd.DataFrame(), [chosen], {}, SETTINGS, "random-80/20", dataset="toy", seed=5, resamples=20,
                                results_dir=tmp_path, profile="smoke")
    assert (best.name, best.chosen, best.head, best.record, best.model) == ("msd-musicnn", chosen, "head", tuned, "model")
    assert calls["hop"] == 3.0 and calls["windows"] == "windows" and (calls["epochs"], calls["patience"]) == (1, 1)
    assert calls["initialised_from"] == "msd-musicnn penultimate · frozen head (toy+reference)" and calls["dataset"] == "toy"
    assert [r["model"] for r in evaluate.load_all(tmp_path)] == ["msd-musicnn · fine-tuned"]


def _runs() -> list[dict]:
    baseline = _record("majority-class baseline", 6, 12, extra={"baseline": True})
    return [_record("small but perfect", 4, 4), _record("large, good", 10, 12), _record("large, fair", 8, 12),
            _record("large, other protocol", 12, 12, protocol="5-fold-cv"), baseline,
            _record("notebook 03", 11, 12, experiment="features_ml")]


def test_largest_test_set_ranks_only_the_runs_on_the_largest_test_set():
    caption, table = study.largest_test_set(_runs(), "random-80/20", top=2)
    assert caption == "random-80/20, the largest test set (12 clips; dataset toy): its 2 most accurate runs"
    assert table["model"].tolist() == ["notebook 03", "large, good"]


def test_test_set_rankings_give_one_heading_and_table_per_test_set_and_save_the_figures(tmp_path):
    shown = study.test_set_rankings(_runs(), "random-80/20", "Toy", tmp_path)
    assert [heading for heading, _ in shown] == ["**random-80/20, 12 test clips** (3 most accurate of 3 runs of notebooks 03-05; "
                                                 "dataset toy)",
                                                 "**random-80/20, 4 test clips** (1 most accurate of 1 runs of notebooks 03-05; "
                                                 "dataset toy)"]
    other = [*_runs(), _record("notebook 06", 12, 12, experiment="transfer_learning")]  # not ranked with 03-05
    assert "notebook 06" not in set(study.test_set_rankings(other, "random-80/20", "Toy", tmp_path.parent / "six")[0][1]["model"])
    assert shown[0][1]["model"].tolist() == ["notebook 03", "large, good", "large, fair"]  # best first, no baseline
    assert sorted(p.name for p in tmp_path.iterdir()) == ["05_ranking_1.png", "05_ranking_2.png"]
    assert len(study.test_set_rankings(_runs(), "random-80/20", "Toy", tmp_path / "one", sets=1, top=1)[0][1]) == 1


def test_best_record_is_the_most_accurate_on_the_largest_test_set():
    assert study.best_record(_runs(), "random-80/20")["model"] == "notebook 03"
    assert study.best_record(_runs()[:3], "random-80/20")["model"] == "large, good"  # not the perfect run on 4 clips
    with pytest.raises(ValueError, match="other than baselines"):
        study.best_record(_runs()[4:5], "random-80/20")


def test_embedding_map_uses_the_reference_only_for_msd_musicnn(monkeypatch, tmp_path):
    asked = []
    table = pd.DataFrame({"track_id": list("abcd"), "genre": ["jazz", "jazz", "rock", "rock"],
                          "source": ["port", "port", "port", "reference"]})

    def fake(tracks, name, embedding, reference=None, reference_tracks=None, progress=True):
        asked.append((name, embedding, reference))
        return pretrained.ClipEmbeddings(table, np.random.default_rng(0).normal(size=(4, 3)), [], f"{name} {embedding}")

    monkeypatch.setattr(pretrained, "clip_embeddings", fake)
    reference = {"d": np.zeros((1, 50))}
    study.embedding_map(pd.DataFrame(), "msd-musicnn", "Toy", tmp_path, reference=reference, reference_tracks=None, seed=0)
    study.embedding_map(pd.DataFrame(), "mtt-vgg", "Toy", tmp_path, reference=reference, reference_tracks=None, seed=0)
    assert asked == [("msd-musicnn", "taggram-stats", reference), ("mtt-vgg", "taggram-stats", None)]
    assert (tmp_path / "05_embedding_map.png").is_file()


def test_demo_clips_take_one_test_clip_per_genre():
    tracks = pd.DataFrame({"track_id": list("abcdefg"), "genre": ["jazz", "jazz", "rock", "rock", "pop", "metal", "blues"],
                           "fixed_split": ["train", "test", "test", "test", "test", "test", "train"]})
    assert study.demo_clips(tracks)["track_id"].tolist() == ["b", "c", "e", "f"]  # no blues test clip; at most 4
    assert study.demo_clips(tracks, n=2)["track_id"].tolist() == ["b", "c"]
    no_split = tracks.drop(columns="fixed_split")
    assert study.demo_clips(no_split)["track_id"].tolist() == ["a", "c", "e", "f"]
    assert study.demo_clips(tracks.assign(fixed_split="train"))["track_id"].tolist() == ["a", "c", "e", "f"]
