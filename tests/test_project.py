"""The repository's promises: one dependency list, one parameters cell per notebook, scripts that refuse bad input."""

import nbformat
import yaml

from .conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_environment_yml_installs_requirements_txt():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-r requirements.txt" in pip_section
    # No package is pinned in two places.
    assert not [d for d in env["dependencies"] if isinstance(d, str) and d.split("=")[0] not in ("python", "pip")]


def test_requirements_are_pinned():
    lines = [line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    pins = [line for line in lines if line]
    assert pins and all("==" in line for line in pins)
    for needed in ("librosa", "tensorflow", "keras-tuner", "scikit-learn", "xgboost", "papermill", "nbval", "jupyterlab", "seaborn"):
        assert any(line.startswith(needed + "==") for line in pins), needed


def test_notebooks_are_numbered_and_have_one_parameters_cell():
    assert [nb.name[:2] for nb in NOTEBOOKS] == [f"{i:02d}" for i in range(len(NOTEBOOKS))]
    assert len(NOTEBOOKS) >= 3
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        assert "PROFILE = None" in tagged[0].source and "DATASET = None" in tagged[0].source
        errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{path.name} has error outputs"


def test_ci_calls_the_readme_test_command():
    assert "./run_tests.sh" in (REPO / ".ci" / "run").read_text()
    assert "./run_tests.sh" in (REPO / "README.md").read_text()


def test_committed_notebooks_match_their_sources_in_tools():
    """Rendered notebooks keep the cells of tools/build_notebooks.py (papermill's injected cell aside)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_notebooks", REPO / "tools" / "build_notebooks.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert sorted(builder.BUILDS) == [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        committed = [c.source for c in nbformat.read(path, as_version=4).cells if "injected-parameters" not in c.metadata.get("tags", [])]
        assert committed == [c.source for c in builder.BUILDS[path.name]], f"{path.name} differs from tools/build_notebooks.py"


def test_committed_notebooks_do_not_pin_a_profile():
    """nbval runs the committed notebooks in the smoke profile: no papermill-injected PROFILE may override it."""
    for path in NOTEBOOKS:
        cells = nbformat.read(path, as_version=4).cells
        assert not [c for c in cells if "injected-parameters" in c.metadata.get("tags", [])], path.name
