import json
import os
import time

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from helpers import data, spectrograms

from .conftest import write_corrupt


@pytest.fixture
def small_tracks(synthetic_dir):
    return data.limit_per_genre(data.load_tracks(synthetic_dir), 1)


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
    index = spectrograms.render_pngs(small_tracks, out, segment_seconds=(3.0,), jobs=1, progress=False)
    # 7-s clips: one whole-clip image and two 3-s segments each.
    assert index.groupby("variant").size().to_dict() == {"3s": 20, "clip": 10}
    assert index.attrs["rendered"] == 30 and index.attrs["skipped"] == 0
    first = Image.open(index["path"].iloc[0])
    assert first.size == (128, 128) and first.mode == "L"
    assert (out / "clip" / "blues").is_dir()

    again = spectrograms.render_pngs(small_tracks, out, segment_seconds=(3.0,), jobs=1, progress=False)
    assert (again.attrs["rendered"], again.attrs["skipped"]) == (0, 30)

    # A newer source file re-renders that track's images only.
    source = small_tracks["path"].iloc[0]
    future = time.time() + 60  # newer than the images just written
    os.utime(source, (future, future))
    touched = spectrograms.render_pngs(small_tracks, out, segment_seconds=(3.0,), jobs=1, progress=False)
    assert touched.attrs["rendered"] == 3

    # A changed parameter re-renders everything of the variants it shapes.
    changed = spectrograms.render_pngs(
        small_tracks, out, segment_seconds=(3.0,), params=spectrograms.MelParams(n_mels=64), jobs=2, progress=False
    )
    assert changed.attrs["rendered"] == 30
    assert json.loads((out / "3s" / "params.json").read_text())["n_mels"] == 64


def test_unreadable_and_short_clips(tmp_path):
    root = tmp_path / "ds"
    (root / "blues").mkdir(parents=True)
    sf.write(str(root / "blues" / "blues.00000.wav"), np.zeros(2 * 22050), 22050)
    sf.write(str(root / "blues" / "blues.00001.wav"), 0.1 * np.random.default_rng(0).standard_normal(4 * 22050), 22050)
    write_corrupt(root / "blues" / "blues.00002.wav")
    with pytest.warns(UserWarning):
        tracks = data.load_tracks(root)
    index = spectrograms.render_pngs(tracks, tmp_path / "png", segment_seconds=(3.0,), progress=False)
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
    index = spectrograms.render_pngs(tracks, tmp_path / "png", progress=False)
    assert len(index.attrs["failed"]) == 1 and "rock.00000" in index.attrs["failed"][0]
    assert index.empty


def test_crop_kaggle_image_removes_white_border():
    canvas = np.full((288, 432, 4), 255, np.uint8)
    canvas[35:253, 54:389, :3] = 40
    cropped = spectrograms.crop_kaggle_image(Image.fromarray(canvas, "RGBA"))
    assert cropped.size == (335, 218) and cropped.mode == "RGB"


def test_real_kaggle_image_crop(real_gtzan):
    image = Image.open(real_gtzan / "images_original" / "blues" / "blues00000.png")
    assert image.size == (432, 288)
    cropped = np.asarray(spectrograms.crop_kaggle_image(image))
    assert cropped.shape[0] < 288 and cropped.shape[1] < 432
    assert cropped[0].min() < 250 and cropped[:, 0].min() < 250  # border gone


def test_cli(synthetic_dir, tmp_path, capsys):
    assert spectrograms.main(["render", str(synthetic_dir), "--out", str(tmp_path / "png"), "--segments", "5", "--jobs", "1"]) == 0
    assert "rendered 60" in capsys.readouterr().out
    assert spectrograms.main(["render", str(tmp_path / "none"), "--out", str(tmp_path / "png")]) == 2


def test_kaggle_paths_and_crops(real_gtzan, tmp_path):
    path = spectrograms.kaggle_image_path(real_gtzan / "images_original", "jazz.00001")
    assert path == real_gtzan / "images_original" / "jazz" / "jazz00001.png" and path.is_file()
    (cropped,) = spectrograms.cropped_kaggle_images(real_gtzan / "images_original", ["jazz.00001"], tmp_path)
    assert Image.open(cropped).mode == "RGB" and Image.open(cropped).size[0] < 432


# ----------------------------------------------------------------------------- network inputs


def _kaggle_like(path, size=(432, 288)):
    """A white-bordered RGBA image with a coloured plot area, as matplotlib drew the Kaggle images."""
    canvas = np.full((size[1], size[0], 4), 255, np.uint8)
    canvas[30:250, 50:400, :3] = np.random.default_rng(0).integers(0, 200, (220, 350, 3))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(canvas, mode="RGBA").save(path)
    return path


def test_image_inputs_crop_convert_and_reject_unknown_colors(tmp_path):
    path = _kaggle_like(tmp_path / "images_original" / "blues" / "blues00003.png")
    gray = spectrograms.load_image(path, 32, "grayscale", crop_border=True)
    rgb = spectrograms.load_image(path, 32, "rgb", crop_border=True)
    assert gray.shape == (32, 32, 1) and rgb.shape == (32, 32, 3) and gray.dtype == np.float32
    assert gray.max() < 0.9  # the white border is gone: only plot pixels (< 200/255) remain
    assert spectrograms.load_image(path, 32, crop_border=False).max() == 1.0
    with pytest.raises(ValueError, match="valid: grayscale, rgb"):
        spectrograms.load_image(path, 32, "sepia")
    table = spectrograms.kaggle_image_table(tmp_path / "images_original")
    assert table.to_dict("records") == [{"track_id": "blues.00003", "genre": "blues", "path": str(path)}]


def test_image_arrays_cache_is_keyed_by_files_and_settings(tmp_path):
    paths = [_kaggle_like(tmp_path / f"g/{i}.png") for i in range(3)]
    cache = tmp_path / "cache"
    first = spectrograms.image_arrays(paths, 16, cache_dir=cache, progress=False)
    assert first.shape == (3, 16, 16, 1) and len(list(cache.glob("*.npy"))) == 1
    assert np.array_equal(spectrograms.image_arrays(paths, 16, cache_dir=cache, progress=False), first)
    spectrograms.image_arrays(paths, 8, cache_dir=cache, progress=False)  # other size: another entry
    assert len(list(cache.glob("*.npy"))) == 2
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(paths[0])  # a changed file: never the stale array
    os.utime(paths[0], (time.time() + 5, time.time() + 5))
    changed = spectrograms.image_arrays(paths, 16, cache_dir=cache, progress=False)
    assert changed[0].max() == 0.0 and np.array_equal(changed[1:], first[1:])


def test_log_mel_segments_pick_segments_skip_corrupt_files_and_cache(small_tracks, tmp_path):
    tracks = small_tracks.head(3).copy()
    bad = write_corrupt(tmp_path / "bad.wav")
    tracks.loc[len(tracks)] = {**tracks.iloc[0].to_dict(), "track_id": "blues.00099", "path": str(bad), "duration": 7.0}
    params = spectrograms.MelParams(n_mels=32)
    X, table = spectrograms.log_mel_segments(tracks, 3.0, params, per_clip=1, cache_dir=tmp_path / "c", progress=False)
    assert X.shape == (3, 32, 130, 1) and 0.0 <= X.min() and X.max() <= 1.0
    assert table["segment"].tolist() == [0, 0, 0] and len(table.attrs["failed"]) == 1
    again, table_again = spectrograms.log_mel_segments(tracks, 3.0, params, per_clip=1, cache_dir=tmp_path / "c", progress=False)
    assert np.array_equal(again, X) and table_again.equals(table) and table_again.attrs["failed"] == table.attrs["failed"]
    assert spectrograms.pick_segments(10, 3) == [0, 4, 9] and spectrograms.pick_segments(2, 5) == [0, 1]
    assert spectrograms.pick_segments(10, None) == list(range(10))


def test_kaggle_images_of_real_gtzan_crop_to_the_plot_area(real_gtzan):
    table = spectrograms.kaggle_image_table(real_gtzan / "images_original")
    assert len(table) == 999 and "jazz.00054" not in set(table["track_id"])
    image = spectrograms.load_image(table["path"].iloc[0], 64, crop_border=True)
    # No all-white rows or columns are left at the edges.
    assert image[0].min() < 0.98 and image[-1].min() < 0.98 and image[:, 0].min() < 0.98 and image[:, -1].min() < 0.98
