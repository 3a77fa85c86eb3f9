"""Real `nbgrader autograde` through the bridge: the same points as `python -m autograder batch`.

One throw-away course (nbgrader_config.py, solutions/, its own gradebook) is released with
`nbgrader generate_assignment`, receives example submissions of assignment 1 in nbgrader's
submitted/ layout, and is autograded by nbgrader; the grades are read back through
`nbgrader export` and nbgrader's Gradebook API and compared, problem by problem, with the
autograder's own results on the same notebooks (graded alongside by `python -m autograder
batch`). The submissions include those that defeat nbgrader's kernel: a process exit, noise on
stderr, a deleted check cell, and a gradebook holding a stale version of a check cell.

test_feedback_html.py reuses this course (`graded_course`) for the students' HTML feedback.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import compute_checksum

from autograder.config import load_config

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = ROOT / "examples" / "submitted"
ASSIGNMENT = load_config().assignment("01_lstm_classifier")
NOTEBOOK = Path(ASSIGNMENT.notebook).stem
EXAMPLES = ("reference", "stub", "mistake_batch_first", "mistake_predict_indices",
            "hostile_os_exit", "hostile_sys_exit")  # fmt: skip
# A correct notebook that prints to stderr and warns whenever its model runs, and that lacks
# the check cell of Part 2 (each of which costs points under nbgrader's kernel).
ODD = "noisy_without_a_check_cell"
STUDENTS = (*EXAMPLES, ODD)
STALE_CELL = "predict"
STALE_SOURCE = "assert False, 'an outdated check cell, still in the gradebook'"
FULL = {p.name: p.points for p in ASSIGNMENT.problems}


@dataclass
class Course:
    root: Path
    env: dict
    autograde: subprocess.CompletedProcess
    ours: dict  # student -> results of `python -m autograder batch`

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def nbgrader(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return nbgrader(self.root, self.env, *args, timeout=timeout)


def nbgrader(root: Path, env: dict, *args: str, timeout: float = 300):
    proc = subprocess.run(
        ["nbgrader", *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"nbgrader {' '.join(args)}:\n{proc.stderr[-4000:]}"
    return proc


_BUILT: dict[str, Course] = {}  # one course per test session, shared by two test files


def graded_course(tmp_path_factory) -> Course:
    if "course" not in _BUILT:
        _BUILT["course"] = _build(tmp_path_factory.mktemp("nbgrader_course"))
    return _BUILT["course"]


def _build(root: Path) -> Course:
    for name in ("solutions", "datasets"):
        shutil.copytree(ROOT / name, root / name, symlinks=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)  # its paths follow its own location
    bin_dir = Path(sys.executable).parent  # nbgrader and the `alembic` it runs
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    aid = ASSIGNMENT.id
    nbgrader(root, env, "generate_assignment", aid, "--force")
    _make_gradebook_stale(f"sqlite:///{root / 'gradebook.db'}", root / "assignments" / aid)
    (root / "students.csv").write_text(
        "id,last_name,first_name,email\n" + "".join(f"{s},{s},Test,\n" for s in STUDENTS)
    )
    nbgrader(root, env, "db", "student", "import", "students.csv")
    for student in STUDENTS:
        dest = root / "submitted" / student / aid / ASSIGNMENT.notebook
        dest.parent.mkdir(parents=True)
        dest.write_text(_submission(student))
    # The autograder's own grades of the same notebooks, on the other core meanwhile.
    with ThreadPoolExecutor(1) as pool:
        ours = pool.submit(_grade_each, root / "submitted", root / "ours")
        autograde = nbgrader(root, env, "autograde", aid, timeout=900)
        results = ours.result()
    nbgrader(root, env, "export", "--to", "grades.csv")
    return Course(root, env, autograde, results)


def _grade_each(submitted: Path, out: Path) -> dict:
    """student -> results of `python -m autograder batch` on the same submitted/ folder."""
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "batch", ASSIGNMENT.id, "--submitted",
         str(submitted), "--out", str(out), "-j", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {s: json.loads((out / "results" / f"{s}.json").read_text()) for s in STUDENTS}


def _make_gradebook_stale(db_url: str, release: Path) -> None:
    """Store another source for one check cell, as if the release were out of date."""
    nb = nbformat.read(release / ASSIGNMENT.notebook, as_version=4)
    cell = grade_cell(nb, STALE_CELL)
    cell.source = STALE_SOURCE
    with Gradebook(db_url) as gb:
        stored = gb.find_source_cell(STALE_CELL, NOTEBOOK, ASSIGNMENT.id)
        stored.source, stored.checksum = STALE_SOURCE, compute_checksum(cell)
        gb.db.commit()


def grade_cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _submission(student: str) -> str:
    if student in EXAMPLES:
        return (EXAMPLES_DIR / student / ASSIGNMENT.id / ASSIGNMENT.notebook).read_text()
    nb = nbformat.read(EXAMPLES_DIR / "reference" / ASSIGNMENT.id / ASSIGNMENT.notebook, 4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    answer = cells["lstm_classifier_answer"]
    forward = "        _, (h_n, _) = self.lstm(x)"
    assert forward in answer.source
    answer.source = "import sys\nimport warnings\n\n" + answer.source.replace(
        forward,
        "        print('debug: forward', file=sys.stderr)\n"
        "        warnings.warn('debug: forward called')\n" + forward,
    )
    nb.cells.remove(cells["step_by_step"])
    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    return graded_course(tmp_path_factory)


def gradebook_scores(course: Course) -> dict[str, dict[str, float]]:
    """student -> {problem: score} as nbgrader recorded it."""
    with Gradebook(course.db_url) as gb:
        return {
            student: {
                g.name: g.score
                for g in gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT.id, student).grades
            }
            for student in STUDENTS
        }


def autograded(course: Course, student: str):
    path = course.root / "autograded" / student / ASSIGNMENT.id / ASSIGNMENT.notebook
    return nbformat.read(path, as_version=4)


def test_autograde_grades_every_student_without_a_kernel(course):
    assert "ERROR" not in course.autograde.stderr, course.autograde.stderr[-3000:]
    for student in STUDENTS:
        nb = autograded(course, student)
        for cell in nb.cells:  # only the grade cells have outputs: nothing was executed
            has_outputs = bool(cell.get("outputs"))
            assert has_outputs == (cell.metadata.get("nbgrader", {}).get("grade") is True)


def test_export_csv_totals_equal_the_autograders(course):
    rows = list(csv.DictReader((course.root / "grades.csv").open()))
    got = {r["student_id"]: (float(r["raw_score"]), float(r["max_score"])) for r in rows}
    want = {s: (r["score"], r["max_score"]) for s, r in course.ours.items()}
    assert got == want
    assert sorted(got) == sorted(STUDENTS)
    assert len({score for score, _ in got.values()}) >= 5, "expected a spread of scores"


def test_gradebook_problem_scores_equal_the_autograders(course):
    recorded = gradebook_scores(course)
    for student, results in course.ours.items():
        ours = {name: p["score"] for name, p in results["extra_data"]["problems"].items()}
        assert recorded[student] == ours, student
    with Gradebook(course.db_url) as gb:
        assert gb.find_submission(ASSIGNMENT.id, "reference").score == ASSIGNMENT.max_score
        assert not gb.find_submission(ASSIGNMENT.id, "stub").needs_manual_grade


def test_a_student_who_ends_the_process_is_graded_like_any_other(course):
    """os._exit or sys.exit would kill nbgrader's kernel; here it costs only its own part."""
    recorded = gradebook_scores(course)
    assert recorded["hostile_os_exit"] == {**FULL, "lstm_classifier": 0}
    assert recorded["hostile_sys_exit"] == {**FULL, "train_step": 0}


def test_stderr_output_and_a_deleted_check_cell_do_not_cost_points(course):
    """Under nbgrader's kernel, stderr in a check cell scores it 0; here the tests decide."""
    assert gradebook_scores(course)[ODD] == FULL
    cell = grade_cell(autograded(course, ODD), "step_by_step")  # restored from the gradebook
    assert "was missing from the submission" in cell.source
    assert cell.outputs[-1]["data"]["text/plain"] == "4.0"


def test_a_stale_check_cell_in_the_gradebook_does_not_decide(course):
    """nbgrader put the gradebook's (failing) version of the cell back; the score ignores it."""
    nb = autograded(course, "reference")
    assert grade_cell(nb, STALE_CELL).source == STALE_SOURCE
    assert gradebook_scores(course)["reference"] == FULL
