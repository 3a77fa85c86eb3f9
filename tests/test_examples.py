"""Meta-tests: the bundled example submissions get exactly the scores they should.

Every example is graded once (as a batch per assignment, through the real CLI, with as many jobs
as the machine has cores, beside the other tests: verdicts must not depend on load; each job
starts a grader and a worker, so more jobs only add start-up work) and each must fail exactly the
hidden tests its variant declares: the solution and the alternative answers get full
marks, the stub gets 0, and every typical mistake loses exactly the tests of its problem.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.config import load_config

ROOT = Path(__file__).resolve().parent.parent

spec = importlib.util.spec_from_file_location("make_examples", ROOT / "examples/make_examples.py")
make_examples = importlib.util.module_from_spec(spec)
sys.modules["make_examples"] = make_examples  # dataclasses look their module up
spec.loader.exec_module(make_examples)

CASES = [(a, s) for a, variants in make_examples.VARIANTS.items() for s in variants]
ASSIGNMENTS = list(make_examples.VARIANTS)
JOBS = max(2, os.cpu_count() or 1)


def test_examples_are_in_sync_with_the_notebooks():
    """examples/submitted is exactly what make_examples.py builds from the current notebooks."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples/make_examples.py"), "--check"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _batch(assignment: str, out, jobs: int = JOBS) -> subprocess.CompletedProcess:
    """The real CLI over examples/submitted."""
    return subprocess.run(
        [sys.executable, "-m", "autograder", "batch", assignment, "--submitted",
         str(ROOT / "examples/submitted"), "--out", str(out), "-j", str(jobs)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """graded(assignment) -> (output folder, {student: results}, stdout) from one batch run of
    that assignment's examples, made on first use. Under pytest-xdist an assignment's tests are
    one group (tests/conftest.py), so each assignment is graded once."""
    done = {}

    def get(assignment: str) -> tuple:
        if assignment not in done:
            out = tmp_path_factory.mktemp(f"graded-{assignment}")
            proc = _batch(assignment, out)
            assert proc.returncode == 0, proc.stderr[-3000:]
            done[assignment] = out, proc.stdout
        out, stdout = done[assignment]
        results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
        return out, results, stdout

    return get


@pytest.mark.parametrize("assignment, student", CASES, ids=[f"{a}/{s}" for a, s in CASES])
def test_example_fails_exactly_the_declared_tests(graded, assignment, student):
    variant = make_examples.VARIANTS[assignment][student]
    results = graded(assignment)[1][student]
    failed = {t["extra_data"]["test"] for t in results["tests"] if t["status"] != "passed"}
    assert failed == set(variant.fails), (
        f"{student} ({variant.about}): unexpected failures {sorted(failed - set(variant.fails))},"
        f" unexpected passes {sorted(set(variant.fails) - failed)}\n"
        + "\n".join(
            f"{t['extra_data']['test']}: {t['output'][:300]}"
            for t in results["tests"]
            if t["status"] != "passed"
        )  # fmt: skip
    )
    tests = load_config().assignment(assignment).tests
    assert results["score"] == sum(t.points for n, t in tests.items() if n not in failed)


def test_every_mistake_stays_inside_one_problem():
    """A typical mistake must cost the points of its own problem only."""
    config = load_config()
    for assignment, variants in make_examples.VARIANTS.items():
        tests = config.assignment(assignment).tests
        for student, variant in variants.items():
            if student.startswith("mistake_"):
                problems = {tests[t].problem for t in variant.fails}
                assert len(problems) == 1, f"{student} spans {problems}"


def test_there_are_enough_mistakes_and_alternatives():
    for variants in make_examples.VARIANTS.values():
        assert sum(s.startswith("mistake_") for s in variants) >= 25
        assert sum(s.startswith("alt_") and not v.fails for s, v in variants.items()) >= 5


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_batch_writes_csv_table_and_feedback(graded, assignment):
    out, results, stdout = graded(assignment)
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert {r["student"] for r in rows} == set(results)
    assert "reference" in stdout and "total" in stdout  # the printed score table
    for student in results:
        text = (out / "feedback" / student / f"{assignment}.md").read_text()
        assert f"Score: {results[student]['score']:g}" in text


def hidden_suite_secrets() -> list[str]:
    """What no feedback may show: every suite's tests, probes and reference (long lines), and
    the names only hidden code uses."""
    config = load_config()
    assignments = [config.assignment(a) for a in config.assignments]
    suite_dirs = {a.suite_dir for a in assignments}
    files = sorted(f for d in suite_dirs for f in d.glob("*.py"))
    assert len(suite_dirs) == len(assignments) and len(files) >= 3 * len(suite_dirs)
    public = " ".join(a.released_notebook.read_text(encoding="utf-8") for a in assignments)
    secrets = ["sub.probe(", "def test_", "import reference", "use_reference("]
    secrets.append("HIDDEN_WHEN_TESTED")
    for f in files:
        source = f.read_text(encoding="utf-8")
        secrets += [ln.strip() for ln in source.splitlines() if len(ln.strip()) > 40]
        if f.name == "reference.py":  # its own classes (ReferenceClassifier), not Seq2Seq
            classes = re.findall(r"^class (\w+)", source, re.MULTILINE)
            secrets += [c for c in classes if not re.search(rf"\b{c}\b", public)]
    return secrets


def _squash(text: str) -> str:
    return " ".join(text.split())


def _own_code(student: str, assignment: str) -> str:
    """The student's notebook: feedback may quote its lines (an error's location), and a
    student's line may equal a line of the reference (`outputs, state = self.lstm(...)`)."""
    notebook = load_config().assignment(assignment).notebook
    path = ROOT / "examples" / "submitted" / student / assignment / notebook
    try:
        return _squash(
            "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return ""  # no notebook, or not one: nothing of it can be quoted


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_reveals_no_hidden_test_code(graded, assignment):
    secrets = hidden_suite_secrets()
    checked = 0
    out, results, _ = graded(assignment)
    for student in results:
        fb = out / "feedback" / student / f"{assignment}.md"
        text, own = fb.read_text(), _own_code(student, assignment)
        leaked = [s for s in secrets if s in text and _squash(s) not in own]
        assert not leaked, f"{fb}: {leaked[:2]}"
        checked += 1
    expected = sum(a == assignment for a, _ in CASES)
    assert checked == expected, "expected feedback for every example"


@pytest.mark.parametrize("assignment", ["01_lstm_classifier"])
def test_regrading_is_deterministic_and_resumable(graded, tmp_path, assignment):
    """A re-run regrades only what has no result yet (as after a kill), to the same verdicts."""
    out, first, _ = graded(assignment)
    copy = tmp_path / "out"
    subprocess.run(["cp", "-r", str(out), str(copy)], check=True)
    (copy / "results" / "reference.json").unlink()  # as if killed before writing it
    proc = _batch(assignment, copy, jobs=1)  # one notebook to grade: one grading process
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "1/1" in proc.stderr  # only the missing one was graded again
    again = json.loads((copy / "results" / "reference.json").read_text())
    assert again["score"] == first["reference"]["score"]
    assert [t["status"] for t in again["tests"]] == [
        t["status"] for t in first["reference"]["tests"]
    ]
