"""nbgrader, with the sandboxed autograder in place of nbgrader's kernel.

``GradeWithAutograder`` is registered in nbgrader_config.py instead of nbgrader's ``Execute``
step of ``nbgrader autograde``. No kernel starts: the notebook is graded by
``python -m autograder grade`` in a subprocess (so student code never runs in nbgrader's
process, and nothing the grader does can take nbgrader down), and each grade cell's outputs are
replaced by that problem's test report plus an ``execute_result`` holding its score, which
nbgrader's ``SaveAutoGrades`` records as partial credit. What the cell's own code would print,
raise or return no longer counts, and a submission that crashes the kernel is still graded.

``check_notebooks`` is ``nbgrader validate`` with an exit status (nbgrader's exits 0 even
when validation fails).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_output
from nbgrader import utils as nbgrader_utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, List, Unicode

from autograder.config import DEFAULT_CONFIG, Assignment, ConfigError, load_config

OUTPUT_TAIL = 4000  # characters of the grader's log kept for the TA when it fails
WIDTH = 100  # characters per line of a grade cell's report


class BridgeError(RuntimeError):
    """The course setup is inconsistent (same for every student): nbgrader must stop loudly."""


class GradeWithAutograder(NbGraderPreprocessor):
    """Replaces nbgrader's Execute: scores come from the hidden suites, not the cells' output."""

    grading_config = Unicode(str(DEFAULT_CONFIG), help="grading.yml to grade with").tag(config=True)
    command = List(
        Unicode(),
        default_value=[sys.executable, "-m", "autograder"],
        help="the autograder command; `--config ... grade NB ...` is appended",
    ).tag(config=True)
    timeout = Float(
        0.0, help="seconds for one notebook; 0 means grading.yml's submission_timeout + margin"
    ).tag(config=True)
    timeout_margin = Float(60.0, help="seconds added to submission_timeout").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        assignment = self._assignment(info["assignment"], info["notebook"])
        cells = graded_code_cells(nb)
        check_cells_match(assignment, cells)
        results, failure = self.run_grader(nb, assignment)
        if failure:
            self.log.error(
                "autograder failed on %s/%s: %s", info.get("student"), info["notebook"], failure
            )
        for index, problem in enumerate(assignment.problems):
            cell = cells[problem.name]
            cell.execution_count = None
            if failure:
                cell.outputs = failure_outputs(failure)
            else:
                notes = results.get("output", "") if index == 0 else ""
                cell.outputs = problem_outputs(results, problem.name, notes)
        return nb, resources

    def _assignment(self, assignment_id: str, notebook_id: str) -> Assignment:
        try:
            assignment = load_config(self.grading_config).assignment(assignment_id)
        except ConfigError as exc:
            raise BridgeError(f"{self.grading_config}: {exc}") from None
        if Path(assignment.notebook).stem != notebook_id:
            raise BridgeError(
                f"{notebook_id}.ipynb: grading.yml grades only {assignment.notebook} "
                f"for {assignment_id}"
            )
        return assignment

    def run_grader(self, nb, assignment: Assignment) -> tuple[dict, str]:
        """(results, "") from ``python -m autograder grade``, or ({}, why it failed)."""
        timeout = self.timeout or assignment.submission_timeout + self.timeout_margin
        with tempfile.TemporaryDirectory(prefix="nbgrader-bridge-") as tmp:
            notebook = Path(tmp) / assignment.notebook
            nbformat.write(nb, notebook)
            out = Path(tmp) / "results.json"
            cmd = [*self.command, "--config", self.grading_config, "grade", str(notebook),
                   "--assignment", assignment.id, "--json", str(out)]  # fmt: skip
            # A session of its own, so a timeout kills the grader and its worker together; the
            # log goes to a file, as a pipe held open by a stray process would block us.
            log_path = Path(tmp) / "grader.log"
            with log_path.open("wb") as log:
                proc = subprocess.Popen(
                    cmd, cwd=tmp, stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, start_new_session=True,
                )  # fmt: skip
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):  # it may just have ended
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    return {}, f"grading took longer than {timeout:g} s"
            if proc.returncode != 0:
                tail = log_path.read_text(encoding="utf-8", errors="replace")[-OUTPUT_TAIL:]
                self.log.error("autograder log:\n%s", tail)
                return {}, f"the grader exited with status {proc.returncode}"
            try:
                results = json.loads(out.read_text(encoding="utf-8"))
                problems = results["extra_data"]["problems"]
                missing = [p.name for p in assignment.problems if p.name not in problems]
            except (OSError, ValueError, KeyError, TypeError):
                return {}, "the grader wrote no readable results"
            if missing:
                return {}, f"the grader's results lack {', '.join(missing)}"
            return results, ""


def graded_code_cells(nb) -> dict:
    """grade_id -> cell for the autograded (code, not manually graded) grade cells."""
    return {
        cell.metadata.nbgrader["grade_id"]: cell
        for cell in nb.cells
        if cell.cell_type == "code"
        and nbgrader_utils.is_grade(cell)
        and not nbgrader_utils.is_solution(cell)
    }


def check_cells_match(assignment: Assignment, cells: dict) -> None:
    """Grade cells and grading.yml's problems agree one to one, with the same points.

    nbgrader restores deleted grade cells (OverwriteCells.add_missing_cells) and their points
    from the gradebook, so a mismatch means grading.yml changed after the release: the gradebook
    is stale and every student's total would be wrong.
    """
    problems = {p.name: p for p in assignment.problems}
    fix = f"re-release with `nbgrader generate_assignment {assignment.id} --force`"
    unknown = sorted(set(cells) - set(problems))
    if unknown:
        raise BridgeError(
            f"grade cell(s) {', '.join(unknown)} are not problems of {assignment.id} in "
            f"grading.yml: add them there (with their hidden tests) or {fix}"
        )
    missing = sorted(set(problems) - set(cells))
    if missing:
        raise BridgeError(
            f"no grade cell for problem(s) {', '.join(missing)} (deleted grade cells come back "
            "only with OverwriteCells.add_missing_cells = True, as in nbgrader_config.py; "
            f"otherwise the release is older than grading.yml: {fix})"
        )
    for name, cell in cells.items():
        points = float(cell.metadata.nbgrader["points"])
        if points != problems[name].points:
            raise BridgeError(
                f"grade cell {name} is worth {points:g} points in the gradebook but "
                f"{problems[name].points:g} in grading.yml: {fix}"
            )


def problem_outputs(results: dict, problem: str, notes: str = "") -> list:
    """A report of the problem's tests (what a student may see) and its score."""
    summary = results["extra_data"]["problems"][problem]
    prefix = f"{summary['title']}: "
    lines = [f"{summary['title']}: {summary['score']:g} / {summary['max_score']:g} points"]
    if notes:
        lines += ["", *_wrap(notes, ""), ""]
    hidden = 0
    for test in results["tests"]:
        if test["extra_data"]["problem"] != problem:
            continue
        if test["visibility"] == "hidden":
            hidden += 1
            continue
        mark = "PASS" if test["status"] == "passed" else "FAIL"
        title = test["name"].removeprefix(prefix)
        lines.append(f"{mark}  {title} ({test['score']:g}/{test['max_score']:g})")
        if test["status"] != "passed" and test["output"]:
            lines += _wrap(test["output"], " " * 6)
    if hidden:
        lines.append(f"({hidden} hidden check(s) also count towards this score)")
    return [
        new_output("stream", name="stdout", text="\n".join(lines) + "\n"),
        new_output("execute_result", data={"text/plain": repr(float(summary["score"]))}),
    ]


def _wrap(text: str, indent: str) -> list[str]:
    """Lines of at most WIDTH characters: feedback HTML shows outputs unwrapped."""
    return [
        wrapped
        for line in text.splitlines()
        for wrapped in textwrap.wrap(
            line,
            WIDTH,
            initial_indent=indent,
            subsequent_indent=indent + "  ",
            break_long_words=False,
            break_on_hyphens=False,
        )
        or [""]
    ]


def failure_outputs(reason: str) -> list:
    text = (
        f"The autograder could not grade this notebook: {reason}.\n"
        "Every part scores 0 until it is regraded; please tell your TA.\n"
    )
    return [
        new_output("stream", name="stdout", text=text),
        new_output("execute_result", data={"text/plain": "0.0"}),
    ]


def check_notebooks(paths: list[Path], cell_timeout: int = 600) -> int:
    """``nbgrader validate`` (runs each notebook in a kernel), but exits 1 when one fails."""
    from nbgrader.validator import Validator
    from traitlets.config import Config

    class RecordingValidator(Validator):
        def validate(self, filename):
            self.last = super().validate(filename)
            return self.last

    # The notebooks train small models: nbgrader's 30 s per cell is too tight on a loaded CPU.
    validator = RecordingValidator(config=Config({"Execute": {"timeout": cell_timeout}}))
    status = 0
    for path in paths:
        if not path.is_file():
            print(f"{path}: no such notebook", file=sys.stderr)
            status = max(status, 2)
            continue
        print(f"== {path}")
        validator.validate_and_print(str(path.resolve()))
        if any(validator.last.get(k) for k in ("type_changed", "changed", "failed")):
            status = max(status, 1)
    return status
