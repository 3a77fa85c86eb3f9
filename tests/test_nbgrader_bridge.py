"""The nbgrader bridge alone, with a stand-in grader (no torch, no kernel, no gradebook).

The stand-in is a tiny script that writes prepared results where `python -m autograder grade`
would, fails, or hangs; the bridge is nbgrader's preprocessor, called as nbgrader calls it.
The real grader inside real `nbgrader autograde` is in test_nbgrader_roundtrip.py.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_output
from nbgrader.utils import determine_grade
from traitlets.config import PyFileConfigLoader

from autograder.config import load_config
from autograder.nbgrader_bridge import BridgeError, GradeWithAutograder, graded_code_cells
from autograder.plugin import Outcome
from autograder.scoring import build_results

ROOT = Path(__file__).resolve().parent.parent
CONFIG = load_config()
RELEASED = [
    a for a in sorted(CONFIG.assignments) if CONFIG.assignment(a).released_notebook.exists()
]
A1 = "01_lstm_classifier"

FAKE_GRADER = """\
import os, shutil, subprocess, sys, time
mode, payload = sys.argv[1], sys.argv[2]
out = sys.argv[sys.argv.index("--json") + 1]
if mode == "results":
    shutil.copy(payload, out)
elif mode == "touch":
    open(payload, "w").close()
elif mode == "exit":
    sys.exit(int(payload))
elif mode == "hang":  # a grader stuck with a child of its own (like its sandbox worker)
    child = subprocess.Popen(["sleep", "300"])
    open(payload, "w").write(str(child.pid))
    time.sleep(300)
"""


@pytest.fixture
def fake(tmp_path):
    """fake(mode, payload) -> the bridge's `command` running the stand-in grader."""
    script = tmp_path / "fake_grader.py"
    script.write_text(FAKE_GRADER)
    return lambda mode, payload: [sys.executable, str(script), mode, str(payload)]


def released(assignment_id: str):
    return nbformat.read(CONFIG.assignment(assignment_id).released_notebook, as_version=4)


def resources(assignment_id: str) -> dict:
    notebook = Path(CONFIG.assignment(assignment_id).notebook).stem
    return {"nbgrader": {"assignment": assignment_id, "notebook": notebook, "student": "s1"}}


def canned_results(tmp_path, assignment_id: str, hidden: str = "") -> tuple[Path, dict]:
    """Results in which the first test of every problem fails; test ``hidden`` is hidden."""
    assignment = CONFIG.assignment(assignment_id)
    if hidden:
        problems = tuple(
            dataclasses.replace(
                p,
                tests=tuple(
                    dataclasses.replace(t, visibility="hidden") if t.name == hidden else t
                    for t in p.tests
                ),
            )
            for p in assignment.problems
        )
        assignment = dataclasses.replace(assignment, problems=problems)
    outcomes = {}
    for problem in assignment.problems:
        first, *rest = problem.tests
        outcomes[first.name] = Outcome(False, f"expected {first.name} to hold, it did not", 0.1)
        outcomes.update({t.name: Outcome(True, "", 0.1) for t in rest})
    results = build_results(assignment, outcomes, seconds=1.0, notes=["a note"], extra={})
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    return path, results


def bridge(command, **traits) -> GradeWithAutograder:
    return GradeWithAutograder(command=command, **traits)


def outputs_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs)


@pytest.mark.parametrize("assignment_id", RELEASED)
def test_each_grade_cell_scores_its_problem(tmp_path, fake, assignment_id):
    path, results = canned_results(tmp_path, assignment_id)
    nb, _ = bridge(fake("results", path)).preprocess(
        released(assignment_id), resources(assignment_id)
    )
    cells = graded_code_cells(nb)
    problems = results["extra_data"]["problems"]
    assert set(cells) == set(problems)
    for name, cell in cells.items():
        score, max_score = determine_grade(cell)  # what nbgrader's SaveAutoGrades records
        assert (score, max_score) == (problems[name]["score"], problems[name]["max_score"])
        assert score < max_score, "the canned results fail a test of every problem"
        text = outputs_text(cell)
        assert text.startswith(f"{problems[name]['title']}: {score:g} / {max_score:g} points")
        tests = [t for t in results["tests"] if t["extra_data"]["problem"] == name]
        assert f"expected {tests[0]['extra_data']['test']} to hold" in text
        assert text.count("FAIL") == 1 and text.count("PASS") == len(tests) - 1
        assert not [o for o in cell.outputs if o.get("name") == "stderr" or "ename" in o]


def test_cell_output_cannot_change_the_score(tmp_path, fake):
    """nbgrader's own rule: stderr zeroes a cell, a non-numeric last value gives full marks."""
    path, results = canned_results(tmp_path, A1)
    nb = released(A1)
    noisy, odd = list(graded_code_cells(nb).values())[:2]
    noisy.outputs = [new_output("stream", name="stderr", text="UserWarning: deprecated\n")]
    odd.outputs = [new_output("execute_result", data={"text/plain": "'all good'"})]
    assert determine_grade(noisy)[0] == 0  # the pitfalls, without the bridge
    assert determine_grade(odd)[0] == determine_grade(odd)[1]
    nb, _ = bridge(fake("results", path)).preprocess(nb, resources(A1))
    problems = results["extra_data"]["problems"]
    for cell in (noisy, odd):
        expected = problems[cell.metadata.nbgrader["grade_id"]]["score"]
        assert determine_grade(cell)[0] == expected


def test_hidden_tests_count_but_are_not_shown(tmp_path, fake):
    first = CONFIG.assignment(A1).problems[0]
    hidden = first.tests[0].name
    path, results = canned_results(tmp_path, A1, hidden=hidden)
    nb, _ = bridge(fake("results", path)).preprocess(released(A1), resources(A1))
    cell = graded_code_cells(nb)[first.name]
    assert determine_grade(cell)[0] == first.points - first.tests[0].points
    text = outputs_text(cell)
    assert hidden not in text and "FAIL" not in text
    assert "1 hidden check(s) also count" in text


def test_a_failing_grader_gives_zero_with_a_reason(fake):
    nb, _ = bridge(fake("exit", 3)).preprocess(released(A1), resources(A1))
    for cell in graded_code_cells(nb).values():
        assert determine_grade(cell)[0] == 0
        assert "could not grade this notebook: the grader exited with status 3" in (
            outputs_text(cell)
        )


def test_a_hanging_grader_is_killed_with_its_children(tmp_path, fake):
    pid_file = tmp_path / "child.pid"
    start = time.monotonic()
    nb, _ = bridge(fake("hang", pid_file), timeout=2).preprocess(released(A1), resources(A1))
    assert time.monotonic() - start < 60
    for cell in graded_code_cells(nb).values():
        assert determine_grade(cell)[0] == 0
        assert "grading took longer than 2 s" in outputs_text(cell)
    status = Path(f"/proc/{pid_file.read_text()}/status")

    def dead() -> bool:  # gone, or a zombie waiting for a PID 1 that does not reap
        try:
            return "\nState:\tZ" in status.read_text()
        except OSError:
            return True

    # SIGKILL is delivered at once but acted on when the process next runs: on a loaded
    # machine it was seen still "R (running)" just after the bridge returned.
    deadline = time.monotonic() + 10
    while not dead() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dead()


def test_grading_config_mismatches_stop_nbgrader(tmp_path, fake):
    """Wrong for every student, so nbgrader must report an error rather than record scores."""
    marker = tmp_path / "graded"
    command = fake("touch", marker)  # never run: the checks come before grading
    cases = []
    nb = released(A1)
    extra = nbformat.v4.new_code_cell("assert True", metadata=nbformat.from_dict({"nbgrader": {
        "grade": True, "grade_id": "bonus", "locked": True, "points": 1.0,
        "schema_version": 3, "solution": False, "task": False}}))  # fmt: skip
    nb.cells.append(extra)
    cases.append((nb, resources(A1), "bonus are not problems of 01_lstm_classifier"))
    nb = released(A1)
    cell = graded_code_cells(nb)["predict"]
    cell.metadata.nbgrader["points"] = 99
    cases.append((nb, resources(A1), "worth 99 points in the gradebook but 4 in grading.yml"))
    nb = released(A1)
    nb.cells.remove(graded_code_cells(nb)["predict"])
    cases.append((nb, resources(A1), "no grade cell for problem(s) predict"))
    wrong = resources(A1)
    wrong["nbgrader"]["notebook"] = "other"
    cases.append((released(A1), wrong, "grading.yml grades only lstm_classifier.ipynb"))
    for nb, res, message in cases:
        with pytest.raises(BridgeError, match=re.escape(message)):
            bridge(command).preprocess(nb, res)
    assert not marker.exists()


def test_registered_in_place_of_nbgraders_execute():
    from nbgrader.converters import Autograde

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    ours = config.Autograde.autograde_preprocessors
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    names = [f"{c.__module__.split('.')[0]}.preprocessors.{c.__name__}" for c in default]
    assert names[0] == "nbgrader.preprocessors.Execute"
    assert ours == ["autograder.nbgrader_bridge.GradeWithAutograder", *names[1:]]
    assert config.OverwriteCells.add_missing_cells is True
