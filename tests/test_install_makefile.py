"""Where ``make install`` takes torch from, read off ``make -n install`` in a copy with no venv.

Nothing is downloaded or installed: ``make -n`` only prints the commands. Each case runs in a fresh
temporary copy of the Makefile, pyproject.toml and constraints.txt, so the install stamp is missing and
the whole recipe is printed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _pip_installs(tmp_path: Path, *variables: str) -> tuple[str, str]:
    """The torch install line and the Atelier install line of ``make -n install VARIABLES``."""
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    result = subprocess.run(
        ["make", "-n", "install", *variables], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    installs = [line for line in result.stdout.splitlines() if " pip " in line and " install " in line]
    assert len(installs) == 2, result.stdout
    torch_line, atelier_line = installs
    assert torch_line.endswith("torch==2.13.0"), torch_line
    assert atelier_line.endswith("-e '.[dev]'"), atelier_line
    return torch_line, atelier_line


def test_linux_without_a_wheel_folder_takes_torch_from_the_cpu_index(tmp_path: Path) -> None:
    torch_line, atelier_line = _pip_installs(tmp_path, "TORCH_WHEELS=", "UNAME_S=Linux")
    assert f"--index-url {CPU_INDEX}" in torch_line
    assert "--find-links" not in torch_line
    # Atelier's own dependencies come from the normal index: the CPU index does not carry them
    assert "--index-url" not in atelier_line


def test_the_cpu_index_can_be_overridden(tmp_path: Path) -> None:
    torch_line, _ = _pip_installs(
        tmp_path, "TORCH_WHEELS=", "UNAME_S=Linux", "TORCH_INDEX_URL=https://mirror.example/torch-cpu"
    )
    assert "--index-url https://mirror.example/torch-cpu" in torch_line
    assert CPU_INDEX not in torch_line


def test_a_configured_wheel_folder_comes_first(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    torch_line, atelier_line = _pip_installs(tmp_path, f"TORCH_WHEELS={wheels}", "UNAME_S=Linux")
    assert f"--find-links {wheels}" in torch_line
    assert "--index-url" not in torch_line
    assert f"--find-links {wheels}" in atelier_line


def test_macos_uses_pypi_whose_torch_wheels_are_cpu_only(tmp_path: Path) -> None:
    torch_line, _ = _pip_installs(tmp_path, "TORCH_WHEELS=", "UNAME_S=Darwin")
    assert "--index-url" not in torch_line and "--find-links" not in torch_line


def test_the_second_install_cannot_replace_torch(tmp_path: Path) -> None:
    """Both installs apply constraints.txt, which pins the same torch; nothing asks pip to upgrade."""
    torch_line, atelier_line = _pip_installs(tmp_path, "TORCH_WHEELS=", "UNAME_S=Linux")
    pins = re.findall(r"^torch==(\S+)$", (ROOT / "constraints.txt").read_text(), flags=re.MULTILINE)
    assert pins == ["2.13.0"]
    for line in (torch_line, atelier_line):
        assert "-c constraints.txt" in line
        assert "--upgrade" not in line and " -U " not in line
        assert "--force-reinstall" not in line


def test_make_test_runs_the_suite_on_two_pinned_xdist_workers(tmp_path: Path) -> None:
    """``make test`` runs pytest with two workers, a file per worker at a time, and xdist is a pinned
    dev dependency (so ``make install`` brings it, and the same version everywhere)."""
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    result = subprocess.run(["make", "-n", "test"], cwd=tmp_path, capture_output=True, text=True, check=True)
    pytest_lines = [line for line in result.stdout.splitlines() if "/bin/pytest " in line]
    assert len(pytest_lines) == 1, result.stdout
    assert " -n 2 --dist loadfile " in pytest_lines[0] and "--durations=15" in pytest_lines[0]
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    assert "pytest-xdist>=3.8" in dev
    pins = (ROOT / "constraints.txt").read_text().splitlines()
    assert "pytest-xdist==3.8.0" in pins and "execnet==2.1.2" in pins


def test_install_compiles_every_package_of_the_project(tmp_path: Path) -> None:
    """An editable install leaves the project's modules uncompiled, and where PYTHONDONTWRITEBYTECODE is
    set nothing is ever saved: every ``atelier`` command compiled its modules again (0.1-0.25 s a command).
    ``make install`` compiles them ahead, every folder of the project that holds Python source."""
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    result = subprocess.run(
        ["make", "-n", "install"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    (compile_line,) = [line for line in result.stdout.splitlines() if " -m compileall " in line]
    compiled = set(compile_line.split(" -m compileall ", 1)[1].split()) - {"-q", "-j", "0"}
    assert compiled == _folders_with_python_source()


def _folders_with_python_source() -> set[str]:
    """Top-level folders holding tracked ``.py`` files (git's list, so a local ``build/`` or scratch
    folder does not count), or every non-hidden folder holding one outside a git checkout."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        tracked = subprocess.run(
            ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.splitlines()
        return {path.split("/", 1)[0] for path in tracked if "/" in path}
    return {
        folder.name
        for folder in ROOT.iterdir()
        if folder.is_dir() and not folder.name.startswith(".") and any(folder.rglob("*.py"))
    }
