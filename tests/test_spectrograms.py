import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from helpers import cli, data
from helpers.data import audio, cache
from helpers.inputs import network_inputs, representations, spectrograms

from .conftest import REPO, write_corrupt


@pytest.fixture
def small_tracks(synthetic_dir):
    return data.limit_per_genre(data.load_tracks(synthetic_dir), 1)


@pytest.fixture
def decodes(monkeypatch):
    """Counts the clips decoded in this process (jobs=1 keeps every pass here)."""
    calls = []
    original = audio.load

    def counting(path, *args, **kwargs):
        calls.append(str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(audio, "load", counting)
    return calls


def _render(tracks, out, **kwargs):
    return spectrograms.render_pngs(tracks, out, **{"segment_seconds": (3.0,), "jobs": 1, "progress": False, **kwargs})


def test_png_recipe_size_mode_and_orientation():
    sr = 22050
    t = np.arange(3 * sr) / sr
    low = np.sin(2 * np.pi * 100 * t).astype(np.float32)
    image = spectrograms.to_image(spectrograms.normalize(spectrograms.log_mel(low)))
    assert image.size == (128, 128) and image.mode == "L"
    pixels = np.asarray(image, dtype=float)
    assert pixels[-20:].mean() > pixels[:20].mean()  # a low tone is bright at the bottom


def test_silence_gives_a_black_image_not_nan():
    db = spectrograms.log_mel(np.zeros(22050, np.float32))
    normalized = spectrograms.normalize(db)
    assert np.all(np.isfinite(normalized)) and not normalized.any()


def test_render_is_idempotent_and_tracks_parameters_and_sources(small_tracks, tmp_path):
    out = tmp_path / "png"
    result = _render(small_tracks, out)
    index = result.index
    # 7-s clips: one whole-clip image and two 3-s segments each.
    assert index.groupby("variant").size().to_dict() == {"3s": 20, "clip": 10}
    assert (result.rendered, result.up_to_date, result.failed) == (30, 0, [])
    assert not index.attrs  # results travel in the return value, not in side channels
    first = Image.open(index["path"].iloc[0])
    assert first.size == (128, 128) and first.mode == "L"
    assert (out / "clip" / "blues").is_dir()

    again = _render(small_tracks, out)
    assert (again.rendered, again.up_to_date) == (0, 30) and again.index.equals(index)

    # A source file newer than its images re-renders that track's images only (the images are
    # aged rather than the source touched: the synthetic dataset is shared by the whole session).
    past = os.stat(small_tracks["path"].iloc[0]).st_mtime - 60
    for path in index.loc[index["track_id"] == small_tracks["track_id"].iloc[0], "path"]:
        os.utime(path, (past, past))
    assert _render(small_tracks, out).rendered == 3

    # A changed parameter re-renders everything of the variants it shapes.
    changed = _render(small_tracks, out, params=spectrograms.MelParams(n_mels=64), jobs=2)
    assert changed.rendered == 30
    assert json.loads((out / "3s" / "params.json").read_text())["n_mels"] == 64


def test_pngs_hold_the_recipe_of_the_decoded_audio(small_tracks, tmp_path):
    index = _render(small_tracks.head(1), tmp_path / "png").index
    samples, sr = audio.load(small_tracks["path"].iloc[0], sr=22050)
    pieces = [samples, *audio.segment(samples, sr, 3.0)]
    expected = [spectrograms.image_from_audio(piece) for piece in pieces]
    assert index["variant"].tolist() == ["clip", "3s", "3s"] and index["segment"].iloc[1:].tolist() == [0, 1]
    for path, image in zip(index["path"], expected):
        assert np.array_equal(np.asarray(Image.open(path)), np.asarray(image))


@pytest.mark.parametrize("damage", ["empty", "truncated", "not a png", "wrong size"])
def test_damaged_png_is_not_up_to_date(small_tracks, tmp_path, damage):
    tracks = small_tracks.head(1)
    out = tmp_path / "png"
    target = out / "clip" / tracks["genre"].iloc[0] / f"{tracks['track_id'].iloc[0]}.png"
    good = _render(tracks, out).index
    whole = target.read_bytes()
    damaged = {"empty": b"", "truncated": whole[: len(whole) // 2], "not a png": b"GIF89a" + whole[6:]}
    if damage == "wrong size":
        Image.new("L", (64, 64)).save(target)
    else:
        target.write_bytes(damaged[damage])
    assert not spectrograms.is_complete_png(target, 128)
    again = _render(tracks, out)
    assert (again.rendered, again.up_to_date) == (1, 2) and again.index.equals(good)
    assert target.read_bytes() == whole and spectrograms.is_complete_png(target, 128)


def test_a_folder_this_renderer_did_not_write_is_left_as_it_is(small_tracks, tmp_path):
    from helpers import cli

    out = tmp_path / "png"
    _render(small_tracks.head(2), out)
    manifest = out / "3s" / "params.json"
    manifest.write_text('{"n_mels": 12')  # not a params.json this renderer writes (it writes them atomically)
    before = sorted(p.read_bytes() for p in out.rglob("*.png"))
    with pytest.raises(cli.UserError, match="did not write"):
        _render(small_tracks.head(2), out)
    assert manifest.read_text() == '{"n_mels": 12' and sorted(p.read_bytes() for p in out.rglob("*.png")) == before
    photos = tmp_path / "photos"
    (photos / "3s" / "holiday").mkdir(parents=True)
    (photos / "3s" / "holiday" / "beach.png").write_bytes(b"a photo")
    with pytest.raises(cli.UserError, match="holiday/beach.png"):
        _render(small_tracks.head(2), photos)
    assert (photos / "3s" / "holiday" / "beach.png").read_bytes() == b"a photo"


def test_one_decode_per_clip_for_pngs_and_segments(small_tracks, tmp_path, decodes):
    tracks = small_tracks.head(3)
    params = spectrograms.MelParams(n_mels=32)
    reps = [spectrograms.mel_images(tmp_path / "png", (3.0,)),
            network_inputs.LogMelSegments(3.0, params, cache_dir=tmp_path / "cache")]
    first = representations.compute(tracks, reps, progress=False)
    assert first.decoded == 3 and len(decodes) == 3 and not first.failed
    second = representations.compute(tracks, reps, progress=False)
    assert second.decoded == 0 and len(decodes) == 3

    rendered = _render(tracks, tmp_path / "png")
    segments = network_inputs.log_mel_segments(tracks, 3.0, params, cache_dir=tmp_path / "cache", progress=False)
    assert len(decodes) == 3 and rendered.rendered == 0 and rendered.up_to_date == 9
    assert np.array_equal(segments.X[..., 0], np.concatenate([clip.arrays for clip in first.values["log-mel segments"]]))
    assert rendered.index["path"].tolist() == [p for clip in first.values["mel PNGs"] for _, _, p in clip.images]


def test_unreadable_and_short_clips(tmp_path):
    root = tmp_path / "ds"
    (root / "blues").mkdir(parents=True)
    sf.write(str(root / "blues" / "blues.00000.wav"), np.zeros(2 * 22050), 22050)
    sf.write(str(root / "blues" / "blues.00001.wav"), 0.1 * np.random.default_rng(0).standard_normal(4 * 22050), 22050)
    write_corrupt(root / "blues" / "blues.00002.wav")
    with pytest.warns(UserWarning):
        tracks = data.load_tracks(root)
    index = _render(tracks, tmp_path / "png").index
    # silent 2-s clip: a whole-clip image but no 3-s segment; the corrupt file is skipped before rendering.
    assert sorted(index[index["variant"] == "3s"]["track_id"]) == ["blues.00001"]
    assert sorted(index[index["variant"] == "clip"]["track_id"]) == ["blues.00000", "blues.00001"]


def test_truncated_file_is_reported_as_failed(tmp_path):
    root = tmp_path / "ds"
    (root / "rock").mkdir(parents=True)
    good = root / "rock" / "rock.00000.wav"
    sf.write(str(good), 0.1 * np.ones(22050 * 4), 22050)
    tracks = data.load_tracks(root)
    good.write_bytes(good.read_bytes()[:44])  # header says 4 s, data is gone
    result = spectrograms.render_pngs(tracks, tmp_path / "png", progress=False)
    assert len(result.failed) == 1 and "rock.00000" in result.failed[0]
    assert result.index.empty and result.rendered == 0


def test_bad_segment_length_is_refused():
    with pytest.raises(ValueError, match="above 0"):
        spectrograms.mel_images("unused", (float("nan"),))
    with pytest.raises(ValueError, match="above 0"):
        network_inputs.LogMelSegments(0.0)


# ----------------------------------------------------------------------------- Kaggle images


def _kaggle_like(path, size=(432, 288)):
    """A white-bordered RGBA image with a coloured plot area, as matplotlib drew the Kaggle images."""
    canvas = np.full((size[1], size[0], 4), 255, np.uint8)
    canvas[30:250, 50:400, :3] = np.random.default_rng(0).integers(0, 200, (220, 350, 3))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(canvas, mode="RGBA").save(path)
    return path


def test_crop_kaggle_image_removes_white_border():
    canvas = np.full((288, 432, 4), 255, np.uint8)
    canvas[35:253, 54:389, :3] = 40
    cropped = spectrograms.crop_kaggle_image(Image.fromarray(canvas, "RGBA"))
    assert cropped.size == (335, 218) and cropped.mode == "RGB"


def test_cropped_kaggle_images_skip_up_to_date_crops_and_redo_damaged_ones(tmp_path, monkeypatch):
    images = tmp_path / "images_original"
    _kaggle_like(images / "jazz" / "jazz00001.png")
    _kaggle_like(images / "rock" / "rock00002.png")
    crops = []
    original = spectrograms.crop_kaggle_image
    monkeypatch.setattr(spectrograms, "crop_kaggle_image", lambda image: crops.append(1) or original(image))
    out = tmp_path / "cropped"
    paths = spectrograms.cropped_kaggle_images(images, ["jazz.00001", "rock.00002"], out)
    assert paths == [out / "jazz.00001.png", out / "rock.00002.png"] and len(crops) == 2
    assert Image.open(paths[0]).mode == "RGB" and Image.open(paths[0]).size == (350, 220)
    spectrograms.cropped_kaggle_images(images, ["jazz.00001", "rock.00002"], out)
    assert len(crops) == 2  # both crops up to date
    paths[1].write_bytes(b"")  # an interrupted copy of an older version
    spectrograms.cropped_kaggle_images(images, ["jazz.00001", "rock.00002"], out)
    assert len(crops) == 3 and spectrograms.is_complete_png(paths[1])
    assert not list(out.glob(".*"))  # no temporary files left behind


def test_real_kaggle_image_crop(real_gtzan):
    image = Image.open(real_gtzan / "images_original" / "blues" / "blues00000.png")
    assert image.size == (432, 288)
    cropped = np.asarray(spectrograms.crop_kaggle_image(image))
    assert cropped.shape[0] < 288 and cropped.shape[1] < 432
    assert cropped[0].min() < 250 and cropped[:, 0].min() < 250  # border gone


def test_kaggle_paths_and_crops(real_gtzan, tmp_path):
    path = spectrograms.kaggle_image_path(real_gtzan / "images_original", "jazz.00001")
    assert path == real_gtzan / "images_original" / "jazz" / "jazz00001.png" and path.is_file()
    (cropped,) = spectrograms.cropped_kaggle_images(real_gtzan / "images_original", ["jazz.00001"], tmp_path)
    assert Image.open(cropped).mode == "RGB" and Image.open(cropped).size[0] < 432


def test_image_inputs_crop_convert_and_reject_unknown_colors(tmp_path):
    path = _kaggle_like(tmp_path / "images_original" / "blues" / "blues00003.png")
    gray = network_inputs.load_image(path, 32, "grayscale", crop_border=True)
    rgb = network_inputs.load_image(path, 32, "rgb", crop_border=True)
    assert gray.shape == (32, 32, 1) and rgb.shape == (32, 32, 3) and gray.dtype == np.float32
    assert gray.max() < 0.9  # the white border is gone: only plot pixels (< 200/255) remain
    assert network_inputs.load_image(path, 32, crop_border=False).max() == 1.0
    with pytest.raises(ValueError, match="valid: grayscale, rgb"):
        network_inputs.load_image(path, 32, "sepia")
    table = spectrograms.kaggle_image_table(tmp_path / "images_original")
    assert table.to_dict("records") == [{"track_id": "blues.00003", "genre": "blues", "path": str(path)}]


def test_kaggle_images_of_real_gtzan_crop_to_the_plot_area(real_gtzan):
    table = spectrograms.kaggle_image_table(real_gtzan / "images_original")
    assert len(table) == 999 and "jazz.00054" not in set(table["track_id"])
    image = network_inputs.load_image(table["path"].iloc[0], 64, crop_border=True)
    # No all-white rows or columns are left at the edges.
    assert image[0].min() < 0.98 and image[-1].min() < 0.98 and image[:, 0].min() < 0.98 and image[:, -1].min() < 0.98


# ----------------------------------------------------------------------------- network inputs


def _entries(folder):
    return sorted(folder.rglob("*.npz"))


def _cache_warnings(caught):
    return [w for w in caught if issubclass(w.category, cache.CacheWarning)]


def test_image_arrays_cache_is_keyed_by_content_settings_and_versions(tmp_path, monkeypatch):
    paths = [_kaggle_like(tmp_path / f"g/{i}.png") for i in range(3)]
    store = tmp_path / "cache"
    first = network_inputs.image_arrays(paths, 16, cache_dir=store, progress=False)
    assert first.shape == (3, 16, 16, 1) and len(_entries(store)) == 1
    assert np.array_equal(network_inputs.image_arrays(paths, 16, cache_dir=store, progress=False), first)
    network_inputs.image_arrays(paths, 8, cache_dir=store, progress=False)  # other size: another entry
    assert len(_entries(store)) == 2
    future = time.time() + 5
    os.utime(paths[0], (future, future))  # touched, same bytes: the same entry
    network_inputs.image_arrays(paths, 16, cache_dir=store, progress=False)
    assert len(_entries(store)) == 2
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(paths[0])  # a changed file: never the stale array
    changed = network_inputs.image_arrays(paths, 16, cache_dir=store, progress=False)
    assert changed[0].max() == 0.0 and np.array_equal(changed[1:], first[1:]) and len(_entries(store)) == 3
    versions = cache.library_versions
    monkeypatch.setattr(cache, "library_versions", lambda names: {**versions(names), "pillow": "0.0"})
    network_inputs.image_arrays(paths, 16, cache_dir=store, progress=False)  # another Pillow: another entry
    assert len(_entries(store)) == 4


def test_truncated_image_stack_is_recomputed_with_one_warning(tmp_path):
    paths = [_kaggle_like(tmp_path / f"g/{i}.png") for i in range(2)]
    store = tmp_path / "cache"
    first = network_inputs.image_arrays(paths, 16, cache_dir=store, progress=False)
    (entry,) = _entries(store)
    entry.write_bytes(entry.read_bytes()[:100])
    with pytest.warns(cache.CacheWarning) as caught:
        again = network_inputs.image_arrays(paths, 16, cache_dir=store, progress=False)
    assert len(_cache_warnings(caught)) == 1 and np.array_equal(again, first)
    with warnings.catch_warnings():
        warnings.simplefilter("error", cache.CacheWarning)  # rewritten whole: read back without a warning
        assert np.array_equal(network_inputs.image_arrays(paths, 16, cache_dir=store, progress=False), first)


def test_log_mel_segments_pick_segments_skip_corrupt_files_and_cache(small_tracks, tmp_path, decodes):
    tracks = small_tracks.head(3).copy()
    bad = write_corrupt(tmp_path / "bad.wav")
    tracks.loc[len(tracks)] = {**tracks.iloc[0].to_dict(), "track_id": "blues.00099", "path": str(bad), "duration": 7.0}
    params = spectrograms.MelParams(n_mels=32)
    store = tmp_path / "c"
    result = network_inputs.log_mel_segments(tracks, 3.0, params, per_clip=1, cache_dir=store, progress=False)
    X, table = result.X, result.table
    assert X.shape == (3, 32, 130, 1) and X.dtype == np.float32 and 0.0 <= X.min() and X.max() <= 1.0
    assert table["segment"].tolist() == [0, 0, 0] and len(result.failed) == 1 and "bad.wav" in result.failed[0]
    assert not table.attrs
    samples, sr = audio.load(tracks["path"].iloc[1], sr=22050)
    assert np.array_equal(X[1, ..., 0], spectrograms.normalize(spectrograms.log_mel(audio.segment(samples, sr, 3.0)[0], params)))
    decodes.clear()
    again = network_inputs.log_mel_segments(tracks, 3.0, params, per_clip=1, cache_dir=store, progress=False)
    assert np.array_equal(again.X, X) and again.table.equals(table) and again.failed == result.failed
    assert decodes == [str(bad)]  # only the corrupt file is tried again
    assert network_inputs.pick_segments(10, 3) == [0, 4, 9] and network_inputs.pick_segments(2, 5) == [0, 1]
    assert network_inputs.pick_segments(10, None) == list(range(10))


def test_truncated_segment_entry_is_recomputed_with_one_warning(small_tracks, tmp_path, decodes):
    tracks = small_tracks.head(2)
    store = tmp_path / "c"
    first = network_inputs.log_mel_segments(tracks, 3.0, cache_dir=store, progress=False)
    assert first.X.shape == (4, 64, 130, 1) and len(_entries(store)) == 2
    damaged = _entries(store)[0]
    damaged.write_bytes(damaged.read_bytes()[:-50])
    decodes.clear()
    with pytest.warns(cache.CacheWarning) as caught:
        again = network_inputs.log_mel_segments(tracks, 3.0, cache_dir=store, progress=False)
    assert len(_cache_warnings(caught)) == 1 and len(decodes) == 1
    assert np.array_equal(again.X, first.X) and again.table.equals(first.table)


# ----------------------------------------------------------------------------- command line


def test_cli_renders_and_reports(synthetic_dir, tmp_path, capsys):
    out = tmp_path / "png"
    assert spectrograms.main(["render", str(synthetic_dir), "--out", str(out), "--segments", "5", "--jobs", "1"]) == 0
    assert "rendered 60, up to date 0, failed 0" in capsys.readouterr().out
    assert cli.run(spectrograms.main, ["render", str(synthetic_dir), "--out", str(out), "--segments", "5", "--jobs", "1"]) == 0
    assert "rendered 0, up to date 60, failed 0" in capsys.readouterr().out


@pytest.mark.parametrize("option, value", [("--jobs", "0"), ("--jobs", "two"), ("--segments", "0"),
                                           ("--segments", "-3"), ("--segments", "nan")])
def test_cli_refuses_bad_numbers(synthetic_dir, tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as exit_info:
        spectrograms.main(["render", str(synthetic_dir), "--out", str(tmp_path / "png"), option, value])
    error = capsys.readouterr().err
    assert exit_info.value.code == 2 and f"argument {option}" in error and "Traceback" not in error
    assert not (tmp_path / "png").exists()


def test_cli_user_mistakes_end_in_one_error_line(synthetic_dir, tmp_path, capsys):
    missing = tmp_path / "none"
    assert cli.run(spectrograms.main, ["render", str(missing), "--out", str(tmp_path / "png")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and str(missing) in error.splitlines()[0]
    a_file = tmp_path / "out.txt"
    a_file.write_text("")
    assert cli.run(spectrograms.main, ["render", str(synthetic_dir), "--out", str(a_file)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"error: --out {a_file} is a file; give a folder for the images"]


def test_cli_ctrl_c_ends_with_one_line(synthetic_dir, tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(spectrograms, "render_pngs", interrupted)
    assert cli.run(spectrograms.main, ["render", str(synthetic_dir), "--out", str(tmp_path / "png")]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_module_entry_point_has_no_traceback(synthetic_dir, tmp_path):
    a_file = tmp_path / "out.txt"
    a_file.write_text("")
    result = subprocess.run([sys.executable, "-m", "helpers.inputs.spectrograms", "render", str(synthetic_dir), "--out", str(a_file)],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: --out {a_file} is a file; give a folder for the images"]
