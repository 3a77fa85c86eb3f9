"""Grade a folder of submissions in nbgrader's layout: submitted/<student>/<assignment>/*.ipynb.

Each submission is graded by its own grader subprocess (``python -m autograder grade``), which in
turn keeps its own worker; ``jobs`` of them run at once. A submission that breaks anything still
gets a result file; results are written atomically, and a re-run skips submissions whose
notebook and grader are unchanged, so a killed batch resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from autograder.config import Assignment
from autograder.plugin import Outcome
from autograder.report import feedback_markdown, grades_csv, write_atomic, write_json
from autograder.runner import file_sha256
from autograder.scoring import build_results

PACKAGE_DIR = Path(__file__).resolve().parent


def grader_fingerprint(assignment: Assignment, config_path: Path) -> str:
    """Changes whenever anything that could change a verdict changes."""
    h = hashlib.sha256()
    files = sorted(PACKAGE_DIR.glob("*.py")) + sorted(assignment.suite_dir.rglob("*.py"))
    files += [config_path, assignment.released_notebook]
    for f in files:
        h.update(str(f.relative_to(f.anchor)).encode())
        try:
            h.update(f.read_bytes())
        except OSError:
            pass
    return h.hexdigest()[:16]


def find_submissions(submitted: Path, assignment: Assignment) -> dict[str, Path | None]:
    """student -> notebook (None when the student's folder has no notebook)."""
    found: dict[str, Path | None] = {}
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        folder = student_dir / assignment.id
        if not folder.is_dir():
            continue
        preferred = folder / assignment.notebook
        notebooks = sorted(folder.glob("*.ipynb"))
        found[student_dir.name] = preferred if preferred.is_file() else (notebooks or [None])[0]
    return found


def grade_batch(
    assignment: Assignment,
    submitted: Path,
    out: Path,
    *,
    config_path: Path,
    jobs: int = 2,
    force: bool = False,
    progress: bool = True,
) -> list[tuple[str, dict]]:
    submissions = find_submissions(submitted, assignment)
    fingerprint = grader_fingerprint(assignment, config_path)
    results_dir = out / "results"
    todo, done = [], {}
    for student, nb in submissions.items():
        cached = _cached(results_dir / f"{student}.json", nb, fingerprint)
        if cached is not None and not force:
            done[student] = cached
        else:
            todo.append(student)

    def work(student: str) -> tuple[str, dict]:
        nb = submissions[student]
        if nb is None:
            results = failed_results(assignment, "no notebook (.ipynb) found in the submission")
        else:
            results = _grade_in_subprocess(nb, assignment, config_path)
        results["extra_data"].update(
            student=student, grader_fingerprint=fingerprint, notebook_sha256=_sha(nb)
        )
        write_json(results_dir / f"{student}.json", results)
        write_atomic(out / "feedback" / student / f"{assignment.id}.md",
                     feedback_markdown(results, student))  # fmt: skip
        return student, results

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(work, s) for s in todo]
        bar = tqdm(
            as_completed(futures),
            total=len(futures),
            desc=f"grading {assignment.id}",
            unit="nb",
            disable=not progress or not futures,
            file=sys.stderr,
        )
        for future in bar:
            student, results = future.result()
            done[student] = results
    rows = sorted(done.items())
    problem_names = [p.name for p in assignment.problems]
    write_atomic(out / "grades.csv", grades_csv(rows, problem_names))
    return rows


def failed_results(assignment: Assignment, message: str) -> dict:
    outcomes = {name: Outcome(False, message, 0.0) for name in assignment.tests}
    results = build_results(assignment, outcomes, seconds=0.0, notes=[message], extra={})
    results["extra_data"]["status"] = "error"
    return results


def _grade_in_subprocess(nb: Path, assignment: Assignment, config_path: Path) -> dict:
    limit = assignment.submission_timeout + 120  # the grader's own start-up and bookkeeping
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        cmd = [
            sys.executable, "-m", "autograder", "grade", str(nb),
            "--assignment", assignment.id, "--config", str(config_path), "--json", str(out),
        ]  # fmt: skip
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            _, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return failed_results(assignment, f"grading did not finish within {limit:g} s")
        try:
            return json.loads(out.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
            return failed_results(
                assignment,
                f"the grader failed on this submission (exit {proc.returncode}): "
                + " | ".join(tail),
            )


def _cached(path: Path, nb: Path | None, fingerprint: str) -> dict | None:
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    extra = results.get("extra_data", {}) if isinstance(results, dict) else {}
    if extra.get("grader_fingerprint") == fingerprint and extra.get("notebook_sha256") == _sha(nb):
        return results
    return None


def _sha(nb: Path | None) -> str:
    return file_sha256(nb) if nb is not None else ""
