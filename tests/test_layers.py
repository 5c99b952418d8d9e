"""The layering of the apps (pyproject.toml ``[tool.importlinter]``, docs/architecture.md "The rules, checked"):
the import-linter contracts hold on the code as it is, so `make test` sees a broken layer before `make lint` does;
and, run on a copy of the code with one forbidden import added, each contract really breaks and names the import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"

KERNEL = "The kernel (core) imports no domain app"
REGISTRY = "The registry (network, people) imports no workflow app"
CARE_OUTREACH = "Care and outreach never import each other"
STACK = "The stack: kernel, registry, workflows, the apps above them, workspace and demo"


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the project's contracts on the ``tiercare`` package found in ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", command, "--no-cache", "--config", str(CONFIG)],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_contracts_hold_on_the_code():
    result = lint_imports(ROOT / "src")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    for name in (KERNEL, REGISTRY, CARE_OUTREACH, STACK):
        assert f"{name} KEPT" in out, out


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package's Python modules, to add a forbidden import to."""
    src = tmp_path_factory.mktemp("layers") / "src"
    shutil.copytree(
        ROOT / "src" / "tiercare",
        src / "tiercare",
        ignore=shutil.ignore_patterns("__pycache__", "locale", "static", "templates", "*.json", "*.csv"),
    )
    return src


def _with_module(copy: Path, module: str, body: str) -> Path:
    """Write ``tiercare.<module>`` (a package's ``__init__`` first when it is a new app) into the copy."""
    *package, name = module.split(".")
    folder = copy.joinpath("tiercare", *package)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    if created:
        (folder / "__init__.py").write_text('"""A new app, for the test."""\n')
    path = folder / f"{name}.py"
    path.write_text(f'"""Probe."""\n\n{body}\n')
    return folder if created else path


def _remove(path: Path) -> None:
    shutil.rmtree(path) if path.is_dir() else path.unlink()


@pytest.mark.parametrize(
    ("module", "imports", "broken"),
    [
        ("core.probe", "tiercare.care.models", KERNEL),
        ("people.probe", "tiercare.referrals.rules", REGISTRY),
        ("outreach.probe", "tiercare.care.scope", CARE_OUTREACH),
        ("care.probe", "tiercare.referrals.models", STACK),
        ("outreach.probe", "tiercare.consults.models", STACK),
        ("referrals.probe", "tiercare.consults.models", STACK),
        ("people.probe", "tiercare.workspace.panels", STACK),
        ("programs.probe", "tiercare.workspace.panels", STACK),
        ("care.probe", "tiercare.finance.probe", STACK),
    ],
)
def test_a_forbidden_import_breaks_its_contract(copy, module, imports, broken):
    added = []
    if imports.startswith("tiercare.finance"):
        added.append(_with_module(copy, "finance.probe", "import tiercare.care.models"))
    added.append(_with_module(copy, module, f"import {imports}"))
    try:
        result = lint_imports(copy)
    finally:
        for path in reversed(added):
            _remove(path)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert f"{broken} BROKEN" in out, out
    assert f"tiercare.{module} -> {imports}" in out, out


def test_a_new_app_may_read_the_workflows_below_it(copy):
    """programs, finance, triage and profiles are optional layers above the workflows: present or not, kept."""
    added = _with_module(copy, "triage.probe", "import tiercare.care.models\nimport tiercare.referrals.models")
    try:
        result = lint_imports(copy)
    finally:
        _remove(added)
    assert result.returncode == 0, result.stdout + result.stderr
