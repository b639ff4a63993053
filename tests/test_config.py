from pathlib import Path

import pytest

from helpers import config
from helpers.data import synth

from .conftest import write_tone


def test_unknown_profile_names_the_valid_ones(monkeypatch):
    with pytest.raises(ValueError, match="valid profiles: smoke, report, paper"):
        config.get_profile("fast")
    monkeypatch.setenv("MGC_PROFILE", "Paper")
    assert config.get_profile().name == "paper"
    monkeypatch.delenv("MGC_PROFILE")
    assert config.get_profile().name == "report"


def test_gtzan_dir_that_is_not_a_dataset_is_an_error_not_a_fallback(monkeypatch, tmp_path):
    monkeypatch.delenv("MGC_DATASET", raising=False)
    monkeypatch.setenv("GTZAN_DIR", str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="How to get GTZAN"):
        config.resolve_dataset()
    (tmp_path / "some.zip").write_bytes(b"PK")
    monkeypatch.setenv("GTZAN_DIR", str(tmp_path / "some.zip"))
    with pytest.raises(FileNotFoundError, match=r"\$GTZAN_DIR: .*some.zip is a file"):
        config.resolve_dataset()


def test_gtzan_dir_is_used_and_labelled(monkeypatch, tmp_path):
    write_tone(tmp_path / "genres_original" / "blues" / "blues.00000.wav")
    monkeypatch.delenv("MGC_DATASET", raising=False)
    monkeypatch.setenv("GTZAN_DIR", str(tmp_path))
    choice = config.resolve_dataset()
    assert (choice.name, choice.source, choice.label) == ("gtzan", "$GTZAN_DIR", "GTZAN")


def test_synthetic_default_is_generated_once(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "DATA_DIR", tmp_path)
    monkeypatch.setenv("MGC_DATASET", "synthetic")
    profile = config.get_profile("smoke")
    choice = config.resolve_dataset(profile=profile)
    assert choice.name == "synthetic" and (choice.root / synth.MARKER_FILE).is_file()
    assert len(list(choice.root.glob("genres_original/*/*.wav"))) == 10 * profile.synthetic_per_genre


def test_setup_outputs_overrides_and_seed(monkeypatch, tmp_path, synthetic_dir, capsys):
    monkeypatch.delenv("MGC_OUTPUT_DIR", raising=False)
    cfg = config.setup("smoke", synthetic_dir, output_dir=tmp_path / "out", max_clips_per_genre=1)
    assert cfg.profile.max_clips_per_genre == 1 and cfg.dataset.name == "synthetic"
    assert cfg.figures_dir.is_dir() and cfg.results_dir.is_dir()
    assert "Dataset: synthetic" in capsys.readouterr().out
    assert cfg.cache_for("spectrograms").name.startswith("synthetic-")
    with pytest.raises(ValueError, match="valid:"):
        config.setup("smoke", synthetic_dir, output_dir=tmp_path, max_clip=3)
    default = config.setup("smoke", "synthetic")  # the embedded default
    assert default.output_dir == (config.REPO_ROOT / "runs" / "smoke-synthetic").resolve()
    assert config.setup("smoke", synthetic_dir).output_dir.name.startswith("smoke-synthetic-")
    monkeypatch.setenv("MGC_OUTPUT_DIR", str(tmp_path / "inplace"))
    assert config.setup("smoke", synthetic_dir).output_dir == Path(tmp_path / "inplace").resolve()


def test_two_dataset_folders_never_share_outputs(monkeypatch, tmp_path):
    monkeypatch.delenv("MGC_OUTPUT_DIR", raising=False)
    labels = set()
    for name in ("mine", "yours"):
        write_tone(tmp_path / name / "genres_original" / "blues" / "blues.00000.wav", seconds=0.5)
        choice = config.resolve_dataset(tmp_path / name)
        labels.add(choice.run_label)
        assert choice.run_label.startswith(f"gtzan-{name}-")
    assert len(labels) == 2
    write_tone(tmp_path / "own" / "rock" / "my song.wav", seconds=0.5)
    assert config.resolve_dataset(tmp_path / "own").run_label.startswith("folders-own-")


def test_dataset_cli_prints_the_label_or_one_error_line(monkeypatch, tmp_path, synthetic_dir, capsys):
    from helpers import cli

    monkeypatch.setenv("MGC_DATASET", str(synthetic_dir))
    assert cli.run(config.main, ["dataset"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("synthetic-")
    monkeypatch.setenv("MGC_DATASET", str(tmp_path / "nowhere"))
    assert cli.run(config.main, ["dataset"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: $MGC_DATASET: dataset folder") and "Traceback" not in err


def test_a_metadata_only_dataset_is_refused_for_notebooks(monkeypatch, tmp_path):
    from tests.test_fma import write_official_tracks_csv

    write_official_tracks_csv(tmp_path / "fma_metadata" / "tracks.csv")
    with pytest.raises(FileNotFoundError, match="metadata but no audio"):
        config.resolve_dataset(tmp_path)


def test_other_synthetic_sets_get_their_own_run_label(tmp_path):
    root = synth.write_dataset(tmp_path / "tiny", per_genre=1, seconds=1.0, seed=0, progress=False)
    label = config.resolve_dataset(root).run_label
    assert label.startswith("synthetic-tiny-") and label != "synthetic"


def test_unknown_profile_from_the_environment_is_one_line(monkeypatch, capsys):
    from helpers import cli

    monkeypatch.setenv("MGC_PROFILE", "fast")
    assert cli.run(config.main, ["dataset"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown profile 'fast'") and "Traceback" not in err


def test_in_place_runs_never_replace_the_shipped_models(monkeypatch, synthetic_dir):
    """An in-place run writes models/ (the shipped, committed models) only in the report profile on a real dataset."""
    monkeypatch.setenv("MGC_OUTPUT_DIR", str(config.REPO_ROOT))
    shipped = (config.REPO_ROOT / "models").resolve()
    smoke = config.setup("smoke", synthetic_dir)
    assert smoke.models_dir.resolve().parent == shipped and smoke.models_dir.name.startswith("smoke-synthetic")
    report_synthetic = config.setup("report", synthetic_dir)
    assert report_synthetic.models_dir.resolve() != shipped
    monkeypatch.setenv("MGC_OUTPUT_DIR", str(synthetic_dir.parent / "elsewhere"))
    assert config.setup("smoke", synthetic_dir).models_dir.name == "models"  # a runs/ folder keeps its own models/
