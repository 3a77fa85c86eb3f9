"""`nbgrader validate` exits 0 even when a check fails; `python -m autograder check` does not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
CHECK_CELL = {"grade": True, "grade_id": "check", "locked": True, "points": 1.0,
              "schema_version": 3, "solution": False, "task": False}  # fmt: skip
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook(path: Path, check: str) -> Path:
    """A tiny nbgrader notebook: an answer and one check cell."""
    cells = [
        new_code_cell("answer = 41 + 1"),
        new_code_cell(check, metadata={"nbgrader": CHECK_CELL}),
    ]
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNEL})
    nbformat.write(nb, path)
    return path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def failing(tmp_path):
    return notebook(tmp_path / "failing.ipynb", "assert answer == 43, 'expected 43'")


def test_nbgrader_validate_exits_0_on_a_failing_notebook(failing):
    """The pitfall itself: if nbgrader ever fixes this, `check` can simply call it."""
    proc = run("nbgrader", "validate", failing.name, cwd=failing.parent)
    assert "VALIDATION FAILED" in proc.stdout and proc.returncode == 0


def test_check_exits_1_on_failure_and_0_on_success(failing):
    proc = run(sys.executable, "-m", "autograder", "check", str(failing), cwd=ROOT)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "VALIDATION FAILED ON 1 CELL(S)" in proc.stdout and "expected 43" in proc.stdout
    passing = notebook(failing.parent / "passing.ipynb", "assert answer == 42")
    proc = run(sys.executable, "-m", "autograder", "check", str(passing), cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success!" in proc.stdout
