"""Notebook 02's study as its cells call it: rendering with its printed account and saved index, the counts per
variant, the segment grids, and the comparison with the Kaggle images (figure and rank agreement)."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from helpers import data, plots
from helpers.inputs import spectrograms
from helpers.studies import spectrogram_pngs as study

from .conftest import write_tone


@pytest.fixture
def grid_calls(monkeypatch):
    """Every call of ``plots.image_grid`` (which still draws): labels, title and columns."""
    calls = []
    original = plots.image_grid

    def recording(paths, labels, title, columns=5):
        calls.append(dict(paths=[str(p) for p in paths], labels=list(labels), title=title, columns=columns))
        return original(paths, labels, title, columns=columns)

    monkeypatch.setattr(plots, "image_grid", recording)
    return calls


def _png(path, value: int = 100):
    """A small grayscale image: a vertical ramp above ``value`` (not constant, so that ranks are defined)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.repeat(np.arange(16, dtype=np.uint8)[:, None] * 8 + value, 16, axis=1), mode="L").save(path)
    return str(path)


def _index(tmp_path) -> pd.DataFrame:
    """Two clips with a whole-clip image, two 3-s and one 5-s segment image each (as render_pngs indexes them)."""
    rows = []
    for track_id, genre in [("rock.00007", "rock"), ("blues.00002", "blues")]:
        rows.append(dict(track_id=track_id, genre=genre, variant="clip", segment=np.nan,
                         path=_png(tmp_path / "png" / "clip" / genre / f"{track_id}.png")))
        for variant, segments in [("3s", 2), ("5s", 1)]:
            rows += [dict(track_id=track_id, genre=genre, variant=variant, segment=float(s),
                          path=_png(tmp_path / "png" / variant / genre / f"{track_id}.{s}.png", 40 * s)) for s in range(segments)]
    return pd.DataFrame(rows)


def _kaggle_like(path, seed: int):
    """A white-bordered RGBA image with a coloured plot area, as matplotlib drew the Kaggle images."""
    canvas = np.full((72, 108, 4), 255, np.uint8)
    canvas[8:62, 12:98, :3] = np.random.default_rng(seed).integers(0, 200, (54, 86, 3))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(canvas, mode="RGBA").save(path)


def test_render_says_what_it_did_lists_failures_and_saves_the_index(tmp_path, capsys):
    root = tmp_path / "dataset"
    write_tone(root / "blues" / "blues.00000.wav", seconds=4.0)
    broken = write_tone(root / "rock" / "rock.00000.wav", seconds=4.0)
    tracks = data.load_tracks(root)
    broken.write_bytes(broken.read_bytes()[:44])  # its header announces 4 s; the samples are gone
    out = tmp_path / "png"
    rendering = study.render(tracks, out, (3.0,), jobs=1)
    # in batch runs (run_tests.sh sets $MGC_BATCH) the progress bar's one summary line comes first
    lines = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("rendering spectrograms:")]
    assert lines[0] == "rendered 2, already up to date 0, failed 1"
    assert len(lines) == 2 and lines[1].startswith("  skipped: ") and "rock.00000" in lines[1]
    saved = pd.read_csv(out / "index.csv")
    assert list(saved["variant"]) == ["clip", "3s"] and list(saved["track_id"]) == ["blues.00000"] * 2
    assert len(rendering.index) == 2
    counts = study.variant_counts(rendering.index)
    assert counts.to_dict("index") == {"blues": {"3s": 1, "clip": 1}}


def test_variant_counts_count_images_per_genre_and_variant(tmp_path):
    counts = study.variant_counts(_index(tmp_path))
    assert list(counts.index) == ["blues", "rock"] and list(counts.columns) == ["3s", "5s", "clip"]
    assert counts.loc["rock"].tolist() == [2, 1, 1]


def test_segment_grids_draw_the_first_clips_segments_once_per_variant(tmp_path, grid_calls):
    study.segment_grids(_index(tmp_path), "toy", tmp_path / "figures")
    assert [c["title"] for c in grid_calls] == ["toy: rock.00007 cut into 3s segments (2 images)",
                                                "toy: rock.00007 cut into 5s segments (1 images)"]
    assert grid_calls[0]["labels"] == ["segment 0", "segment 1"] and [c["columns"] for c in grid_calls] == [2, 1]
    assert all("rock.00007" in p for c in grid_calls for p in c["paths"])  # the first clip's only, never the clip image
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["02_segments_3s.png", "02_segments_5s.png"]


def test_without_kaggle_images_the_comparison_says_so_and_draws_nothing(tmp_path, capsys, grid_calls):
    index = _index(tmp_path)
    study.kaggle_figure(index[index["variant"] == "clip"], None, tmp_path / "png", "toy", tmp_path / "figures")
    assert capsys.readouterr().out == "This dataset has no images_original folder.\n"
    assert grid_calls == [] and not (tmp_path / "figures").exists()
    assert study.kaggle_agreement(index, None, tmp_path / "png") is None


def test_kaggle_figure_and_agreement_use_the_clips_that_have_a_kaggle_image(tmp_path, grid_calls):
    index = _index(tmp_path)
    images = tmp_path / "images_original"
    _kaggle_like(images / "rock" / "rock00007.png", seed=1)  # blues.00002 has none, as jazz.00054 in GTZAN
    clips = index[index["variant"] == spectrograms.CLIP_VARIANT]
    study.kaggle_figure(clips, images, tmp_path / "png", "toy", tmp_path / "figures")
    (call,) = grid_calls
    assert call["labels"] == ["ours: rock.00007", "Kaggle, cropped: rock.00007"] and call["columns"] == study.KAGGLE_PAIRS
    assert call["paths"][1] == str(tmp_path / "png" / study.KAGGLE_CROPS / "rock.00007.png")
    assert (tmp_path / "figures" / "02_ours_vs_kaggle.png").is_file()

    agreement = study.kaggle_agreement(index, images, tmp_path / "png")
    assert list(agreement["track_id"]) == ["rock.00007"] and list(agreement.columns) == ["track_id", "pixels", "frequency_profile"]
    assert agreement[["pixels", "frequency_profile"]].abs().le(1).all().all()
    summary = study.agreement_summary(agreement)
    assert list(summary.index) == study.SUMMARY_ROWS and list(summary.columns) == ["pixels", "frequency_profile"]
    assert summary.loc["count", "pixels"] == 1


def test_agreement_summary_rounds_the_spread_to_three_decimals():
    agreement = pd.DataFrame({"track_id": list("abcd"), "pixels": [0.1, 0.2, 0.3, 0.4], "frequency_profile": [0.12345] * 4})
    summary = study.agreement_summary(agreement)
    assert summary["pixels"].tolist() == [4.0, 0.1, 0.175, 0.25, 0.325, 0.4]
    assert summary.loc["max", "frequency_profile"] == 0.123
