"""The command line: help, exit codes, and a clear answer for any input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=ROOT,
        **kwargs,
    )  # fmt: skip


@pytest.mark.parametrize(
    "command", [[], ["grade"], ["batch"], ["examples"], ["release"], ["gradescope"]]
)
def test_help(command):
    proc = _cli(*command, "--help")
    assert proc.returncode == 0 and "usage:" in proc.stdout


def test_grade_exits_zero_with_a_score_for_a_broken_notebook(tmp_path):
    bad = tmp_path / "nb.ipynb"
    bad.write_text("not json")
    out = tmp_path / "r.json"
    proc = _cli("grade", str(bad), "--assignment", "01_lstm_classifier", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    assert results["score"] == 0 and results["max_score"] > 0
    assert all("not valid notebook JSON" in t["output"] for t in results["tests"])
    assert {"name", "score", "max_score", "output", "visibility"} <= set(results["tests"][0])


def test_unknown_assignment_is_a_clear_error(tmp_path):
    proc = _cli("grade", str(tmp_path / "x.ipynb"), "--assignment", "99_nope")
    assert proc.returncode == 2 and "unknown assignment '99_nope'" in proc.stderr


def test_bad_config_is_a_clear_error(tmp_path):
    cfg = tmp_path / "grading.yml"
    cfg.write_text("assignments:\n  a:\n    notebook: 3\n")
    proc = _cli("--config", str(cfg), "examples")
    assert proc.returncode == 2 and "assignments.a" in proc.stderr
