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
    for needed in ("librosa", "tensorflow", "keras-tuner", "scikit-learn", "xgboost-cpu", "papermill", "nbval", "jupyterlab", "seaborn"):
        assert any(line.startswith(needed + "==") for line in pins), needed
    assert not any(line.startswith("xgboost==") for line in pins)  # the GPU wheel pulls 469 MB of NCCL
    commented = [line for line in (REPO / "requirements.txt").read_text().splitlines() if "==" in line]
    assert all("#" in line for line in commented), "every pin says which notebook needs it"


def test_pyproject_ranges_admit_every_pin_and_extras_hold_the_tools():
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    core = [Requirement(r) for r in project["dependencies"]]
    assert not {r.name for r in core} & {"jupyterlab", "pytest", "papermill", "nbval"}  # tools live in extras
    for requirement in core + [Requirement(r) for extra in project["optional-dependencies"].values() for r in extra]:
        assert requirement.name.lower() in pins, f"{requirement.name} is not pinned in requirements.txt"
        pin = pins[requirement.name.lower()]
        assert requirement.specifier.contains(pin), f"{requirement} excludes the pin {pin}"
    assert set(project["optional-dependencies"]) == {"notebooks", "test"}


def test_requirements_nodeps_pins_musicnn_and_every_set_up_path_installs_it_without_dependencies():
    """musicnn==0.1.0 is installed only for its checkpoints: its metadata pins numpy<1.17, so --no-deps; the same for
    audiomentations (its metadata pins soxr<1.0, the cache keys hold soxr 1.1.0), whose own dependencies are pinned."""
    import re

    lines = [line.split("#")[0].strip() for line in (REPO / "requirements-nodeps.txt").read_text().splitlines()]
    pins = [line for line in lines if line]
    assert len(pins) == 2 and re.fullmatch(r"musicnn==0\.1\.0 --hash=sha256:[0-9a-f]{64}", pins[0]), pins
    assert re.fullmatch(r"audiomentations==[0-9.]+ --hash=sha256:[0-9a-f]{64}", pins[1]), pins
    # Neither may reach an install that resolves dependencies.
    for path in ("requirements.txt", "pyproject.toml"):
        assert "musicnn==" not in (REPO / path).read_text() and "audiomentations==" not in (REPO / path).read_text(), path
        assert '"musicnn' not in (REPO / path).read_text() and '"audiomentations' not in (REPO / path).read_text(), path
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert not any("nodeps" in line for d in env["dependencies"] if isinstance(d, dict) for line in d["pip"])
    for path in ("run_all.sh", "helpers/colab.py", "docs/running.md", "environment.yml"):
        assert "requirements-nodeps.txt" in (REPO / path).read_text(), f"{path} does not mention requirements-nodeps.txt"
    run_all = (REPO / "run_all.sh").read_text()
    assert "--no-deps -r requirements-nodeps.txt" in run_all
    assert re.search(r"STAMP=\$\(cat [^|]*requirements-nodeps\.txt", run_all), "a change must reinstall an existing venv"
    for path in ("docs/running.md", "environment.yml"):
        assert "pip install --no-deps -r requirements-nodeps.txt" in (REPO / path).read_text(), path


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


def test_ruff_finds_nothing_in_the_code_and_the_notebook_sources():
    """The lint of the test command: helpers, tests, benchmarks and notebooks/*.py (pyproject's [tool.ruff])."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "ruff", "check", "helpers", "tests", "benchmarks", "notebooks"],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_committed_notebooks_do_not_pin_a_profile():
    """nbval runs the committed notebooks in the smoke profile: no papermill-injected PROFILE may override it."""
    for path in NOTEBOOKS:
        cells = nbformat.read(path, as_version=4).cells
        assert not [c for c in cells if "injected-parameters" in c.metadata.get("tags", [])], path.name


def _import_graph(root, top: str = "helpers") -> dict[str, set[str]]:
    """Module -> modules of the package ``top`` (at ``root``) it imports, at module level and inside functions,
    plus the packages whose ``__init__`` such an import runs."""
    import ast

    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        parts = [top, *path.relative_to(root).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        package = name if is_package else name.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                if base.split(".")[0] == top:
                    targets.add(base)
                    targets.update(f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names if alias.name.split(".")[0] == top)
        graph[name] = targets
    modules = set(graph)
    resolved: dict[str, set[str]] = {}
    for name, targets in graph.items():
        edges = set()
        for target in targets:
            pieces = target.split(".")
            for i in range(2, len(pieces) + 1):  # importing a.b.c runs a.b's __init__ first
                candidate = ".".join(pieces[:i])
                if candidate in modules and candidate != name and not name.startswith(candidate + "."):
                    edges.add(candidate)
        resolved[name] = edges
    return resolved


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_helpers_have_no_import_cycle():
    graph = _import_graph(REPO / "helpers")
    assert "helpers.runtime" in graph["helpers.data.cache"]  # the graph sees relative imports
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_finds_a_cycle_hidden_in_a_function(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from .sub import b\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text("from .. import a\n")
    assert _find_cycle(_import_graph(package, "pkg")) == ["pkg.a", "pkg.sub.b", "pkg.a"]
    (package / "sub" / "b.py").write_text("import os\n")
    assert _find_cycle(_import_graph(package, "pkg")) is None


# The layers of helpers/ (helpers/__init__.py draws them): a module may import its own package, the ground
# floor and the packages listed for its own. ``config`` resolves datasets, so it sits on data; ``colab`` and
# ``predict`` are what a user calls and may use every layer but a study; ``library`` (a whole music library)
# runs ``predict``'s models over many files.
GROUND = {"helpers", "helpers.runtime", "helpers.cli"}
LAYERS = {
    "data": set(),
    "inputs": {"data"},
    "plots": {"data", "inputs"},
    "results": {"data", "inputs", "plots"},
    "models": {"data", "inputs", "plots", "results"},
    "studies": {"data", "inputs", "plots", "results", "models", "config"},
    "config": {"data"},
    "colab": set(),
    "predict": {"data", "inputs", "plots", "results", "models"},
    "library": {"data", "inputs", "plots", "results", "models", "predict"},
}
TOP_LEVEL_MODULES = {"runtime", "cli", "config", "colab", "predict"}


def _layer(module: str) -> str | None:
    """The layer of ``helpers.<layer>[.rest]``, None for the ground floor."""
    return None if module in GROUND else module.split(".")[1]


def _layer_violations(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in sorted(graph.items()):
        own = _layer(module)
        for target in sorted(targets):
            layer = _layer(target)
            if layer is None or layer == own:
                continue
            if own is None or layer not in LAYERS.get(own, set()):
                found.append(f"{module} imports {target}")
    return found


def test_helpers_layers_only_import_downwards():
    graph = _import_graph(REPO / "helpers")
    top_level = {path.stem for path in (REPO / "helpers").glob("*.py")} - {"__init__"}
    packages = {path.parent.name for path in (REPO / "helpers").glob("*/__init__.py")}
    assert top_level == TOP_LEVEL_MODULES, f"top-level modules of helpers/ are {sorted(top_level)}: put new ones in a layer"
    assert packages == set(LAYERS) - TOP_LEVEL_MODULES, f"layers of helpers/: {sorted(packages)}; add a new one to LAYERS"
    violations = _layer_violations(graph)
    assert not violations, "a lower layer imports a higher one: " + "; ".join(violations)


def test_the_layer_check_finds_an_upward_import():
    graph = {"helpers.data.splits": {"helpers.runtime"}, "helpers.inputs.features": {"helpers.data.audio"},
             "helpers.data.audio": {"helpers.models.zoo"}, "helpers.results.report": {"helpers.studies.prepare"},
             "helpers.runtime": {"helpers.config"}}
    assert _layer_violations(graph) == ["helpers.data.audio imports helpers.models.zoo",
                                        "helpers.results.report imports helpers.studies.prepare",
                                        "helpers.runtime imports helpers.config"]


LONG_MODULE_LINES = 350


def test_long_modules_say_why():
    too_long = []
    for path in sorted((REPO / "helpers").rglob("*.py")):
        lines = path.read_text().count("\n")
        if lines > LONG_MODULE_LINES:
            import ast

            docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
            if "Why this module is long:" not in docstring:
                too_long.append(f"{path.relative_to(REPO)} ({lines} lines)")
    assert not too_long, "split these modules or say 'Why this module is long:' in their docstring: " + ", ".join(too_long)


def test_committed_notebooks_carry_no_path_of_this_machine():
    """Rendered outputs and papermill metadata say `figures/...`, never the renderer's own folders."""
    import re

    machine = re.compile(re.escape(str(REPO)) + r"|/tmp/|/home/|/root/|/Users/")
    for path in NOTEBOOKS:
        found = sorted(set(machine.findall(path.read_text())))
        assert not found, f"{path.name} shows {found}"


def _module_exists(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent that is a module, not a package
        return False


def test_every_module_the_readme_names_exists_and_every_command_runs_as_a_module():
    """A module that moves takes its `python -m` command with it: the READMEs and docs/ may name no module that is gone."""
    import importlib
    import importlib.util
    import re
    from pathlib import Path

    text = "\n".join(p.read_text() for p in [REPO / "README.md", REPO / "data" / "README.md", *(REPO / "docs").glob("*.md")])
    for command in sorted(set(re.findall(r"python -m (helpers(?:\.\w+)*)", text))):
        assert _module_exists(command), f"README: python -m {command}: no such module"
        spec = importlib.util.find_spec(command)
        if spec.submodule_search_locations:  # a package runs its __main__
            assert _module_exists(f"{command}.__main__"), f"README: python -m {command}: the package has no __main__"
        else:
            assert '__name__ == "__main__"' in Path(spec.origin).read_text(), f"README: python -m {command} does nothing"
    for dotted in sorted(set(re.findall(r"`(helpers(?:\.\w+)+)", text))):
        module, _, attribute = dotted.rpartition(".")
        assert _module_exists(dotted) or hasattr(importlib.import_module(module), attribute), f"README names {dotted}: gone"
    for path in sorted(set(re.findall(r"helpers/[\w/.]*\w/?", text))):
        assert (REPO / path).exists(), f"README names {path}, which does not exist"
