"""The Gradescope bundle: built by the CLI, unpacked into a folder laid out like /autograder/,
run_autograder run on bundled example submissions gives exactly what `python -m autograder grade`
gives, with each test's visibility from grading.yml, and it always leaves a valid results.json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from autograder.config import load_config

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "01_lstm_classifier"
NOTEBOOK = "lstm_classifier.ipynb"
EXAMPLES = ROOT / "examples" / "submitted"
# (student, where the notebook goes in /autograder/submission/): the mistake is uploaded under
# another name, in a folder, to check that run_autograder finds any notebook.
CASES = [
    ("reference", NOTEBOOK),
    ("stub", NOTEBOOK),
    ("mistake_summed_loss", "work/my_attempt.ipynb"),
]
# Non-default visibilities, set in a temporary grading.yml (the real one uses the default).
VISIBILITY = {"test_output_shape": "hidden", "test_predict_single_name": "after_due_date"}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=ROOT
    )


def _run_autograder(root: Path, **env: str) -> subprocess.CompletedProcess:
    """The bundle's run_autograder with AUTOGRADER_ROOT=root and this repo's venv python."""
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, **env}
    return subprocess.run(
        [str(root / "source" / "run_autograder")], capture_output=True, text=True, env=env
    )


def _new_root(tmp: Path, name: str, source: Path) -> Path:
    """A folder laid out like /autograder/: source/ (the unpacked zip) and submission/."""
    root = tmp / name
    (root / "submission").mkdir(parents=True)
    (root / "source").symlink_to(source)
    return root


def _results(root: Path) -> dict:
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """(config path, unpacked source folder, zip path) built by the CLI from a temporary
    grading.yml with non-default visibilities."""
    tmp = tmp_path_factory.mktemp("gradescope")
    raw = yaml.safe_load((ROOT / "grading.yml").read_text())
    for problem in raw["assignments"][ASSIGNMENT]["problems"].values():
        for test, visibility in VISIBILITY.items():
            if test in problem["tests"]:
                problem["tests"][test] = {
                    "points": problem["tests"][test],
                    "visibility": visibility,
                }
    config = tmp / "grading.yml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    zip_path = tmp / "autograder.zip"
    proc = _cli("--config", str(config), "gradescope", ASSIGNMENT, "--out", str(zip_path))
    assert proc.returncode == 0, proc.stderr
    source = tmp / "source"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(source)
        for info in zf.infolist():  # extractall drops the mode bits
            (source / info.filename).chmod((info.external_attr >> 16) & 0o777)
    return config, source, zip_path


@pytest.fixture(scope="module")
def graded(bundle, tmp_path_factory):
    """student -> (run_autograder's results.json, its stdout, the CLI's results), graded two
    at a time."""
    config, source, _ = bundle
    tmp = tmp_path_factory.mktemp("roots")

    def gradescope(student: str, where: str):
        root = _new_root(tmp, student, source)
        (root / "submission" / where).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(EXAMPLES / student / ASSIGNMENT / NOTEBOOK, root / "submission" / where)
        proc = _run_autograder(root)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return _results(root), proc.stdout

    def cli(student: str, _):
        out = tmp / f"{student}.cli.json"
        nb = EXAMPLES / student / ASSIGNMENT / NOTEBOOK
        proc = _cli("--config", str(config), "grade", str(nb), "--assignment", ASSIGNMENT,
                    "--json", str(out))  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return json.loads(out.read_text())

    with ThreadPoolExecutor(2) as pool:
        ours = {s: pool.submit(gradescope, s, w) for s, w in CASES}
        theirs = {s: pool.submit(cli, s, w) for s, w in CASES}
        return {s: (*ours[s].result(), theirs[s].result()) for s, _ in CASES}


def test_zip_has_gradescope_layout(bundle):
    _, source, zip_path = bundle
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
    assert {"setup.sh", "run_autograder", "requirements.txt", "grading.yml"} <= names
    assert f"assignments/{ASSIGNMENT}/{NOTEBOOK}" in names
    suites = {
        n.split("/")[2] for n in names if n.startswith("autograder/suites/") and n.count("/") > 2
    }
    assert suites == {"a01_lstm_classifier"}  # no other assignment's hidden tests
    assert not any("__pycache__" in n for n in names)
    assert list(yaml.safe_load((source / "grading.yml").read_text())["assignments"]) == [ASSIGNMENT]
    for script in ("setup.sh", "run_autograder"):
        assert os.access(source / script, os.X_OK), script
        proc = subprocess.run(["bash", "-n", str(source / script)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{script}: {proc.stderr}"


def test_setup_installs_the_pinned_cpu_torch_and_the_same_pins(bundle):
    _, source, _ = bundle
    setup = (source / "setup.sh").read_text()
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "torch==2.13.0" in pins
    assert '--index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"' in setup
    assert "python3.11" in setup
    required = [ln for ln in (source / "requirements.txt").read_text().splitlines() if "==" in ln]
    assert required and set(required) <= set(pins)
    assert {"pytest-timeout==2.4.0", "pyyaml==6.0.4"} <= set(required)


@pytest.mark.parametrize("student", [s for s, _ in CASES])
def test_run_autograder_gives_the_cli_results(graded, bundle, student):
    results, stdout, cli = graded[student]
    assert f"with {bundle[1]}/autograder" in stdout  # the bundle's grader ran, not the repo's
    assert results["score"] == cli["score"]
    assert results["extra_data"]["max_score"] == cli["max_score"] == 25
    assert "max_score" not in results  # not a top-level key of Gradescope's schema

    def per_test(r):
        keys = ("name", "score", "max_score", "status", "output", "visibility")
        return [{k: t[k] for k in keys} for t in r["tests"]]

    assert per_test(results) == per_test(cli)


def test_scores_are_the_examples_expected_ones(graded):
    assert graded["reference"][0]["score"] == 25
    assert graded["stub"][0]["score"] == 0
    assert 0 < graded["mistake_summed_loss"][0]["score"] < 25
    assert "Graded my_attempt.ipynb" in graded["mistake_summed_loss"][0]["output"]


def test_visibility_follows_grading_yml(graded):
    for results, _, _ in graded.values():
        seen = {t["extra_data"]["test"]: t["visibility"] for t in results["tests"]}
        assert {t: seen[t] for t in VISIBILITY} == VISIBILITY
        assert {v for t, v in seen.items() if t not in VISIBILITY} == {"visible"}


def test_missing_notebook_gives_zero_with_a_message(bundle, tmp_path):
    root = _new_root(tmp_path, "empty", bundle[1])
    (root / "submission" / "notes.txt").write_text("forgot the notebook")
    proc = _run_autograder(root)
    assert proc.returncode == 0, proc.stderr
    results = _results(root)
    assert results["score"] == 0
    assert len(results["tests"]) == len(load_config().assignment(ASSIGNMENT).tests)
    assert f"upload {NOTEBOOK}" in results["output"]


def test_results_json_even_when_python_cannot_start(bundle, tmp_path):
    root = _new_root(tmp_path, "broken", bundle[1])
    (root / "results").mkdir()
    (root / "results" / "results.json").write_text('{"score": 25}')  # stale: must not survive
    _run_autograder(root, AUTOGRADER_PYTHON=str(tmp_path / "no-python"))
    results = _results(root)
    assert results["score"] == 0 and results["tests"] == []
    assert "could not run" in results["output"]


def test_bundle_takes_the_datasets_a_suite_imports(tmp_path):
    from autograder.gradescope import _dataset_packages

    (tmp_path / "probes.py").write_text("import torch\nfrom datasets.numbers import load\n")
    (tmp_path / "reference.py").write_text("import datasets.cpg.hmm as hmm\nimport datasets\n")
    assert _dataset_packages(tmp_path) == {"numbers", "cpg"}
