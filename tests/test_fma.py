"""FMA-small: the real metadata of the development machines, and an FMA-layout fixture with generated mp3 audio
that goes through the same tracks table, split, check and features code as GTZAN."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import soundfile as sf

from helpers import data
from helpers.data import fma, registry, splits, synth

from .conftest import REPO

REAL_FMA = REPO.parent / "shared" / "data" / "fma"
# (track id, genre_top, split, synthetic recipe that voices it)
FIXTURE = [
    (2, "Hip-Hop", "training", "hiphop"), (5, "Hip-Hop", "training", "hiphop"), (10, "Pop", "training", "pop"),
    (140, "Folk", "training", "country"), (141, "Folk", "validation", "country"), (148, "Pop", "validation", "pop"),
    (182, "Rock", "test", "rock"), (190, "Rock", "test", "rock"), (1039, "Hip-Hop", "test", "hiphop"),
    (99134, "Rock", "training", "rock"),  # a known empty track of FMA-small
]


def write_official_tracks_csv(path: Path, rows=FIXTURE, extra_medium: bool = True) -> Path:
    """A tracks.csv with the official three-row header (groups, names, then ``track_id``)."""
    records = [{("artist", "name"): f"artist {i % 3}", ("set", "split"): split, ("set", "subset"): "small",
                ("track", "genre_top"): genre, ("track", "title"): f"song {i}"} for i, genre, split, _ in rows]
    ids = [i for i, *_ in rows]
    if extra_medium:  # a track of another subset must be left out
        records.append({("artist", "name"): "x", ("set", "split"): "training", ("set", "subset"): "medium",
                        ("track", "genre_top"): "Jazz", ("track", "title"): "medium song"})
        ids.append(3)
    table = pd.DataFrame(records, index=pd.Index(ids, name="track_id"))
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path)
    return path


def write_fma_fixture(root: Path, seconds: float = 6.0) -> Path:
    """An FMA-layout folder at ``root``: the official tracks.csv of :data:`FIXTURE` and an mp3 per track, generated
    by the synthetic recipes (track 099134 empty, as in the real archive)."""
    write_official_tracks_csv(root / "fma_metadata" / "tracks.csv")
    for track, _, _, recipe in FIXTURE:
        path = fma.audio_path(root / "fma_small", f"{track:06d}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if track in (99134,):
            path.write_bytes(b"")  # as in the real archive: no audio
            continue
        sf.write(str(path), synth.render_clip(recipe, track % 7, seconds=seconds, seed=0), synth.SAMPLE_RATE, format="MP3")
    return root


@pytest.fixture(scope="module")
def fma_dir(tmp_path_factory) -> Path:
    return write_fma_fixture(tmp_path_factory.mktemp("fma"))


def test_official_header_is_read():
    with_header = write_official_tracks_csv(Path(pytest.importorskip("tempfile").mkdtemp()) / "tracks.csv")
    first_lines = with_header.read_text().splitlines()[:3]
    assert first_lines[0].startswith(",artist,set") and first_lines[2].startswith("track_id,")
    catalogue = fma.read_catalogue(with_header)
    assert "000003" not in set(catalogue["track_id"])  # medium subset left out
    assert "099134" not in set(catalogue["track_id"])  # known empty track left out
    row = catalogue.set_index("track_id").loc["000141"]
    assert (row["genre"], row["fixed_split"], row["artist"]) == ("Folk", "valid", "artist 0")


def test_fixture_runs_through_tracks_split_check_and_features(fma_dir, capsys):
    layout = data.discover(fma_dir)
    assert (layout.dataset, layout.kind) == ("fma-small", "fma")
    with pytest.warns(UserWarning, match="099134.mp3: holds no audio"):
        tracks = data.load_tracks(layout)
    usable = data.readable(tracks)
    assert len(usable) == 9 and set(usable["format"]) == {"mp3"}
    assert usable.set_index("track_id").loc["000182", ["genre", "fixed_split"]].tolist() == ["Rock", "test"]
    assert usable["fixed_split"].value_counts().to_dict() == {"train": 4, "test": 3, "valid": 2}
    # the same split code as GTZAN: random and fixed, per track
    random = splits.random_split(usable, "70/10/20", seed=1)
    assert set(random) <= {"train", "valid", "test"}
    segments, _ = splits.segment_table(usable, 3.0, usable["fixed_split"])
    splits.assert_no_leakage(segments)

    assert data.main(["check", str(fma_dir)]) == 0
    out = capsys.readouterr().out
    assert "fma-small (fma layout)" in out and "catalogue (tracks.csv): 9 tracks" in out
    assert "official split of the readable clips: train 4, test 3, valid 2" in out
    assert "099134.mp3: holds no audio" in out

    from helpers.inputs import features

    extracted = features.extract(usable, jobs=1, cache_dir=None, progress=False)
    table = getattr(extracted, "table", extracted)
    assert len(table) == 9 and table["genre"].nunique() == 4
    assert table[list(features.FEATURE_COLUMNS)].notna().all().all()


def test_missing_metadata_is_not_mistaken_for_fma(tmp_path):
    (tmp_path / "fma_small" / "000").mkdir(parents=True)
    with pytest.raises(registry.DatasetNotFoundError):
        data.discover(tmp_path)


@pytest.fixture
def real_fma() -> Path:
    if not (REAL_FMA / "tracks_small.csv").is_file():
        pytest.skip(f"real FMA metadata not found at {REAL_FMA}")
    return REAL_FMA


def test_real_fma_metadata(real_fma, capsys):
    layout = data.discover(real_fma)
    assert layout.dataset == "fma-small" and layout.audio_dir is None
    catalogue = registry.get("fma-small").catalogue(layout)
    assert len(catalogue) == 7997
    assert catalogue["fixed_split"].value_counts().to_dict() == {"train": 6397, "valid": 800, "test": 800}
    assert set(catalogue["genre"]) == set(fma.GENRES)
    # the official header format (first rows of the real tracks.csv) agrees with it on every shared track
    head = fma.read_catalogue(real_fma / "tracks_head.csv")
    both = head.merge(catalogue, on="track_id", suffixes=("_official", "_trimmed"))
    assert len(both) == 58
    assert (both["genre_official"] == both["genre_trimmed"]).all()
    assert (both["fixed_split_official"] == both["fixed_split_trimmed"]).all()
    assert data.main(["check", str(real_fma)]) == 0
    assert "7997 tracks" in capsys.readouterr().out
