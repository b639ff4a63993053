import numpy as np
import pytest

from helpers.inputs import augment


def test_no_augmentation_when_every_setting_is_zero_and_fractions_are_checked():
    assert augment.spectrogram_augmenter(0.0, 0.0, 0.0) is None
    with pytest.raises(ValueError, match="time_shift must be a fraction"):
        augment.spectrogram_augmenter(time_shift=1.5)


def test_augmenter_keeps_shape_changes_training_batches_only_and_is_seeded():
    images = np.random.default_rng(0).random((4, 16, 32, 1), dtype=np.float32)
    layer = augment.spectrogram_augmenter(**augment.AUGMENT, seed=3)
    shifted = np.asarray(layer(images, training=True))
    assert shifted.shape == images.shape and not np.allclose(shifted, images)
    assert np.allclose(np.asarray(layer(images, training=False)), images)
    again = np.asarray(augment.spectrogram_augmenter(**augment.AUGMENT, seed=3)(images, training=True))
    assert np.allclose(again, shifted)


def test_time_shift_only_moves_along_time():
    # A constant value per frequency row: a shift in time (zero fill) scales every row by the
    # same per-column factor; a shift in frequency would mix rows.
    rows = np.linspace(0.1, 1.0, 16, dtype=np.float32)
    images = np.repeat(rows[None, :, None, None], 32, axis=2)  # (1, 16 freq, 32 time, 1)
    out = np.asarray(augment.spectrogram_augmenter(time_shift=0.2, seed=1)(images, training=True))[0, :, :, 0]
    factors = out / rows[:, None]
    assert np.allclose(factors, factors[0], atol=1e-5) and (factors[0] < 0.5).any()


# --- waveform copies, spectrogram masks, the training-only rule ---------------------------------

SR = 22050


def _noise(seconds: float = 8.0) -> np.ndarray:
    return (np.random.default_rng(0).standard_normal(int(seconds * SR)) * 0.1).astype(np.float32)


def test_six_fold_policy_is_the_seeds_set_and_copies_have_the_expected_lengths():
    policy = augment.WaveformPolicy("six-fold")
    assert policy.variants == ("original", "stretch-0.81", "stretch-0.93", "stretch-1.07", "stretch-1.23", "shift-5s")
    x = _noise()
    assert policy.apply(x, SR, "original") is not None and np.array_equal(policy.apply(x, SR, "original"), x)
    for factor in augment.STRETCH_FACTORS:
        stretched = policy.apply(x, SR, f"stretch-{factor:g}")
        assert abs(len(stretched) - len(x) / factor) < 0.01 * len(x), factor  # tempo x factor: length / factor
    # The shift is circular: the same samples, rolled by 5 s.
    assert np.allclose(policy.apply(x, SR, "shift-5s"), np.roll(x, int(augment.SHIFT_SECONDS * SR)), atol=1e-6)
    assert policy.params["stretch_factors"] == list(augment.STRETCH_FACTORS) and "audiomentations" in policy.params


def test_noise_mask_copies_are_seeded_per_copy_and_bad_names_list_the_valid_ones():
    policy = augment.WaveformPolicy("noise-mask", copies=3)
    assert policy.variants == ("original", "noise-mask-1", "noise-mask-2", "noise-mask-3")
    x = _noise()
    copies = [policy.apply(x, SR, "noise-mask-1", seed=s) for s in range(8)]
    assert np.array_equal(copies[3], policy.apply(x, SR, "noise-mask-1", seed=3))  # same seed, same copy
    assert any(not np.allclose(c, x) for c in copies)  # p = 0.5 per transform: some copies change
    assert augment.copy_seed("a", "noise-mask-1", 42) != augment.copy_seed("b", "noise-mask-1", 42)
    with pytest.raises(ValueError, match="valid: six-fold, noise-mask"):
        augment.WaveformPolicy("mixup")
    with pytest.raises(ValueError, match="valid: original, noise-mask-1"):
        policy.apply(x, SR, "stretch-0.81")


def test_spectrogram_masks_zero_one_band_of_frames_and_one_of_bands_in_training_only():
    images = np.ones((6, 32, 50, 1), np.float32)
    layer = augment.spectrogram_masker(time_mask=0.3, freq_mask=0.3, seed=1)
    out = np.asarray(layer(images, training=True))[..., 0]
    assert np.array_equal(np.asarray(layer(images, training=False)), images)
    for image in out:
        zero_rows = np.flatnonzero((image == 0).all(axis=1))  # bands masked across every frame
        zero_cols = np.flatnonzero((image == 0).all(axis=0))  # frames masked across every band
        for found, limit in ((zero_rows, 0.3 * 32), (zero_cols, 0.3 * 50)):
            assert len(found) <= limit and (len(found) == 0 or np.all(np.diff(found) == 1))  # one contiguous band
        assert set(np.unique(image)) <= {0.0, 1.0}
    assert (out == 0).any()
    with pytest.raises(ValueError, match="time_mask must be a fraction"):
        augment.spectrogram_masker(time_mask=1.2)


def test_training_augmenter_builds_what_is_asked_and_names_valid_settings():
    assert augment.training_augmenter(None) is None and augment.training_augmenter({}) is None
    images = np.ones((2, 16, 20, 1), np.float32)
    masks_only = augment.training_augmenter(augment.SPEC_MASKS, seed=0)
    assert [layer.name for layer in masks_only.layers] == ["spectrogram_mask"]  # no shift sneaks in
    assert set(np.unique(np.asarray(masks_only(images, training=True)))) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="valid: time_shift, freq_shift, zoom, time_mask, freq_mask"):
        augment.training_augmenter({"pitch": 0.1})


def test_copies_outside_training_are_refused():
    import pandas as pd

    table = pd.DataFrame({"track_id": ["a", "a", "b", "b"], "copy": ["original", "stretch-0.81", "original", "original"],
                          "split": ["train", "train", "test", "test"]})
    augment.assert_training_only(table)
    with pytest.raises(AssertionError, match="augmented copies outside training"):
        augment.assert_training_only(table.assign(copy=["original", "original", "original", "shift-5s"]))
    with pytest.raises(AssertionError, match="several splits"):
        augment.assert_training_only(table.assign(split=["train", "test", "test", "test"]))


def test_command_line_writes_each_copy_and_lists_what_it_skipped(synthetic_dir, tmp_path, capsys):
    from helpers import cli
    from helpers.data import audio

    clip = next((synthetic_dir / "genres_original" / "jazz").glob("*.wav"))
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"not audio")
    out = tmp_path / "copies"
    assert cli.run(augment.main, [str(corrupt), str(clip), "--out", str(out)]) == 1  # a file was skipped
    captured = capsys.readouterr()
    assert "skipped: " in captured.err and "corrupt.wav" in captured.err and "1 of 2 file(s) skipped" in captured.err
    written = sorted(out.glob("*.wav"))
    assert [w.name.split(".", 2)[2][:-4] for w in written] == sorted(augment.WaveformPolicy("six-fold").variants)
    assert not list(out.glob(".*partial"))
    slow = audio.info(out / f"{clip.stem}.stretch-0.81.wav").duration
    assert slow == pytest.approx(audio.info(clip).duration / 0.81, rel=0.01)  # a slower copy is longer
    assert cli.run(augment.main, [str(corrupt), "--out", str(out)]) == 1  # nothing could be copied
    assert cli.run(augment.main, [str(clip), "--out", str(corrupt)]) == 2
    assert "is a file; give a folder" in capsys.readouterr().err
    assert cli.run(augment.main, [str(clip), "--copies", "3"]) == 2
    assert "--copies applies to --policy noise-mask only" in capsys.readouterr().err
    twin = tmp_path / "twin" / clip.name
    twin.parent.mkdir()
    twin.write_bytes(clip.read_bytes())
    assert cli.run(augment.main, [str(clip), str(twin), "--out", str(out)]) == 2
    assert "share the name" in capsys.readouterr().err
