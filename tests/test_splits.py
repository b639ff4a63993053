import pandas as pd
import pytest

from helpers.data import splits
from helpers.data.gtzan import GENRES as GTZAN_GENRES


def make_tracks(per_genre=100, duration=30.0):
    rows = [dict(track_id=f"{g}.{i:05d}", genre=g, duration=duration) for g in GTZAN_GENRES for i in range(per_genre)]
    return pd.DataFrame(rows)


def test_random_split_is_stratified_seeded_and_70_10_20():
    tracks = make_tracks()
    split = splits.random_split(tracks, "70/10/20", seed=42)
    counts = pd.crosstab(tracks["genre"], split)
    assert (counts["train"] == 70).all() and (counts["valid"] == 10).all() and (counts["test"] == 20).all()
    assert split.equals(splits.random_split(tracks, "70/10/20", seed=42))
    assert not split.equals(splits.random_split(tracks, "70/10/20", seed=1))


def test_80_20_and_tiny_genres():
    tracks = make_tracks(per_genre=3)
    split = splits.random_split(tracks, "80/20", seed=0)
    assert set(split) == {"train", "test"}
    assert (pd.crosstab(tracks["genre"], split)["test"] >= 1).all()  # every genre is tested


@pytest.mark.parametrize("bad", ["70/10", "70/40", "60/40/10", "a/b/c", "train/valid/test", (0.5, 0.5, 0.5), "1/2/3/4",
                                 "100/0", "0/0", "-10/110", (0.0, 0.5, 0.5)])
def test_bad_fractions_are_explained_never_rescaled(bad):
    with pytest.raises(ValueError, match="fractions"):
        splits.parse_fractions(bad)


def test_good_fractions():
    assert splits.parse_fractions("80/20") == pytest.approx((0.8, 0.0, 0.2))
    assert splits.parse_fractions("50/20/30") == pytest.approx((0.5, 0.2, 0.3))
    assert splits.parse_fractions((0.7, 0.1, 0.2)) == pytest.approx((0.7, 0.1, 0.2))


def test_unreadable_rows_and_repeated_track_ids_are_refused():
    tracks = make_tracks(per_genre=3)
    with pytest.raises(ValueError, match="data.readable"):
        splits.random_split(tracks.assign(ok=[False] + [True] * (len(tracks) - 1)), "80/20")
    with pytest.raises(ValueError, match="per track"):
        splits.kfold(pd.concat([tracks, tracks.head(1)], ignore_index=True), k=2)


def test_kfold_balanced_and_stratified():
    tracks = make_tracks(per_genre=20)
    fold = splits.kfold(tracks, k=5, seed=0)
    assert fold.value_counts().tolist() == [40] * 5
    assert (pd.crosstab(tracks["genre"], fold) == 4).all().all()
    with pytest.raises(ValueError):
        splits.kfold(tracks, k=1)


def test_fixed_split_from_lists(tmp_path):
    tracks = make_tracks(per_genre=3)
    for name, entries in {"train": ["blues/blues.00000.wav", "rock/rock.00002.wav"], "valid": ["blues/blues.00001.wav"],
                          "test": ["blues/blues.00002.wav", "jazz/jazz.00099.wav"]}.items():
        (tmp_path / f"{name}_filtered.txt").write_text("\n".join(entries) + "\n")
    lists = splits.read_split_lists(tmp_path)
    split = splits.fixed_split(tracks, lists)
    assert split[tracks["track_id"] == "blues.00001"].item() == "valid"
    assert split[tracks["track_id"] == "pop.00000"].item() == ""  # in no list
    coverage = splits.list_coverage(split, {name: len(entries) for name, entries in lists.items()})
    assert coverage.loc["listed"].to_dict() == {"train": 2, "valid": 1, "test": 2}
    assert coverage.loc["present here"].to_dict() == {"train": 2, "valid": 1, "test": 1}  # jazz.00099 absent here
    table = splits.summary(tracks, split)
    assert table.loc["total", "unused"] == 26
    with pytest.raises(ValueError, match="both"):
        splits.fixed_split(tracks, {"train": ["blues.00000.wav"], "test": ["blues/blues.00000.au"]})
    with pytest.raises(ValueError, match="valid: train"):
        splits.fixed_split(tracks, {"holdout": []})
    with pytest.raises(FileNotFoundError, match="missing"):
        splits.read_split_lists(tmp_path / "nowhere")


def test_segments_inherit_their_tracks_split_and_short_clips_are_listed():
    tracks = make_tracks(per_genre=4)
    tracks.loc[0, "duration"] = 2.0  # shorter than one segment
    split = splits.random_split(tracks, "50/20/30", seed=3)
    segments, too_short = splits.segment_table(tracks, 3.0, split)
    assert too_short == ["blues.00000"]
    assert len(segments) == (len(tracks) - 1) * 10
    splits.assert_no_leakage(segments)
    merged = segments.merge(tracks.assign(track_split=split)[["track_id", "track_split"]], on="track_id")
    assert (merged["split"] == merged["track_split"]).all()


def test_leakage_check_fails_on_segment_level_split():
    """Splitting segments instead of tracks puts one track on both sides: the check must catch it."""
    tracks = make_tracks(per_genre=4)
    segments, _ = splits.segment_table(tracks, 3.0)
    with pytest.raises(ValueError, match="decided per track"):  # the helper refuses to split segments
        splits.random_split(segments, "70/10/20", seed=0)
    as_if_tracks = segments.assign(track_id=[f"{t}#{i}" for t, i in zip(segments["track_id"], segments["segment"])])
    segments["split"] = splits.random_split(as_if_tracks, "70/10/20", seed=0).values
    with pytest.raises(AssertionError, match="several splits"):
        splits.assert_no_leakage(segments)


def test_real_fault_filtered_lists(real_gtzan):
    from helpers import data

    lists = splits.read_split_lists(real_gtzan / "splits")
    assert {k: len(v) for k, v in lists.items()} == {"train": 443, "valid": 197, "test": 290}
    table = data.features_table(data.discover(real_gtzan))
    split = splits.fixed_split(table, lists)
    assert split.value_counts().to_dict() == {"train": 443, "test": 290, "valid": 197, "": 70}
    assert split.tolist() == table["fixed_split"].tolist()  # the shipped lists are the same split


def test_cli(synthetic_dir, tmp_path, capsys):
    from helpers import cli

    out = tmp_path / "split.csv"
    assert splits.main(["random", str(synthetic_dir), "--fractions", "80/20", "--out", str(out)]) == 0
    assert set(pd.read_csv(out)["split"]) == {"train", "test"}
    assert cli.run(splits.main, ["random", str(synthetic_dir), "--fractions", "x"]) == 2
    assert cli.run(splits.main, ["fixed", str(synthetic_dir), str(tmp_path)]) == 2
    assert cli.run(splits.main, ["fixed", str(synthetic_dir)]) == 2  # the synthetic set has no fixed split
    err = capsys.readouterr().err
    assert "has no fixed split" in err and "Traceback" not in err


def test_cli_fixed_split_of_the_dataset(tmp_path, capsys):
    from .conftest import write_tone

    for name in ("blues.00029", "blues.00000"):
        write_tone(tmp_path / "genres_original" / "blues" / f"{name}.wav", seconds=0.5)
    assert splits.main(["fixed", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "train" in out and "valid" in out


def test_stratified_subsample_keeps_exactly_the_size_asked_for_in_proportion():
    tracks = pd.concat([make_tracks(per_genre=10), make_tracks(per_genre=40).query("genre == 'rock'")]).drop_duplicates("track_id")
    tracks = tracks.reset_index(drop=True)  # 9 genres x 10 clips, rock 40
    assert (tracks[splits.stratified_subsample(tracks, 10)].groupby("genre").size() == 1).all()  # the smallest size
    for size in (33, 64, 129, 130):
        keep = splits.stratified_subsample(tracks, size, seed=0)
        assert keep.sum() == size and keep.index.equals(tracks.index)
        per_genre = tracks[keep].groupby("genre").size().reindex(tracks["genre"].unique(), fill_value=0)
        assert (per_genre >= 1).all()  # every genre keeps a clip ...
        assert (abs(per_genre - tracks.groupby("genre").size() * size / len(tracks)) < 1).all()  # ... and its share
    keep = splits.stratified_subsample(tracks, 64, seed=0)
    assert tracks[keep].groupby("genre").size()["rock"] == 19  # 19.7 by share; the others round 4.9 up first
    assert keep.equals(splits.stratified_subsample(tracks, 64, seed=0))
    assert not keep.equals(splits.stratified_subsample(tracks, 64, seed=1))
    for bad in (9, 131, 0, 12.5, True):
        with pytest.raises(ValueError, match=r"outside the valid range 10\.\.130"):
            splits.stratified_subsample(tracks, bad)
    with pytest.raises(ValueError, match="per track"):
        splits.stratified_subsample(pd.concat([tracks, tracks.head(1)]), 20)
