#!/usr/bin/env python3
"""Seconds to grade one correct submission: our autograder vs ``nbgrader autograde``.

    .venv/bin/python bench/bench_grading.py                  # autograder x3, nbgrader x1
    .venv/bin/python bench/bench_grading.py --nbgrader-runs 3

Our autograder runs only the definitions against the hidden suite; nbgrader autograde executes
the whole notebook (training cells included) in a kernel. Both are timed as the wall time of
the whole command. nbgrader runs in a throw-away course directory under /tmp, never the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from _machine import print_header  # bench/ is sys.path[0] when run as a script

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "01_lstm_classifier"
NOTEBOOK = "lstm_classifier.ipynb"
EXAMPLE = ROOT / "examples" / "submitted" / "reference" / ASSIGNMENT / NOTEBOOK
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def correct_submission(tmp: Path) -> Path:
    """The bundled reference example, else the solution notebook without its marker lines."""
    if EXAMPLE.exists():
        return EXAMPLE
    nb = json.loads((ROOT / "solutions" / ASSIGNMENT / NOTEBOOK).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        lines = cell["source"]
        if isinstance(lines, str):
            lines = lines.splitlines(keepends=True)
        cell["source"] = [ln for ln in lines if ln.strip() not in MARKERS]
    out = tmp / "solution_without_markers" / NOTEBOOK
    out.parent.mkdir(parents=True)
    out.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return out


def timed(cmd: list[str], cwd: Path, env: dict, timeout: float) -> tuple[float, int | None, str]:
    """(wall seconds, return code or None on timeout, combined output) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the command and its kernel, nothing else
        out, _ = proc.communicate()
        code = None
    return time.perf_counter() - start, code, out


def bench_autograder(notebook: Path, runs: int, root: Path, tmp: Path, env: dict):
    """[(wall seconds, score, detail)] of `python -m autograder grade`, and the command."""
    results = []
    for i in range(runs):
        out_json = tmp / f"autograder_{i}.json"
        cmd = [sys.executable, "-m", "autograder", "grade", str(notebook),
               "--assignment", ASSIGNMENT, "--json", str(out_json)]  # fmt: skip
        seconds, code, out = timed(cmd, root, env, timeout=600)
        if code != 0:
            sys.exit(f"autograder failed ({code}):\n{out}")
        res = json.loads(out_json.read_text())
        detail = f"grader's own clock {res['execution_time']:.1f}s"
        results.append((seconds, f"{res['score']:g}/{res['max_score']:g}", detail))
    return results, shlex.join(cmd)


def make_course(notebook: Path, tmp: Path, env: dict) -> Path:
    """Throw-away nbgrader course: solutions/ (source), the repo's config, one submission."""
    course = tmp / "course"
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")  # paths: its own location
    # The baseline is nbgrader as shipped: it executes the notebook in a kernel (its Execute
    # step), not through our bridge, which the repo's config puts in that step's place.
    config += "\ndel c.Autograde['autograde_preprocessors']  # back to nbgrader's default\n"
    (course / "nbgrader_config.py").write_text(config, encoding="utf-8")
    submitted = course / "submitted" / "student" / ASSIGNMENT
    submitted.mkdir(parents=True)
    shutil.copy(notebook, submitted / NOTEBOOK)
    cmd = ["nbgrader", "generate_assignment", ASSIGNMENT, "--force"]
    _, code, out = timed(cmd, course, env, timeout=600)
    if code != 0:
        sys.exit(f"nbgrader generate_assignment failed ({code}):\n{out}")
    return course


def grader_root(course: Path, tmp: Path) -> Path:
    """The repo, if it holds the released notebook (the grader's trusted setup cell); else a
    copy of autograder/ and grading.yml next to the release nbgrader just made in the course."""
    if (ROOT / "assignments" / ASSIGNMENT / NOTEBOOK).exists():
        return ROOT
    root = tmp / "grader"
    shutil.copytree(ROOT / "autograder", root / "autograder")
    shutil.copy(ROOT / "grading.yml", root)
    shutil.copytree(course / "assignments", root / "assignments")
    print(f"note: no assignments/{ASSIGNMENT} in the repo; autograder runs from a copy, {root}")
    return root


def nbgrader_score(course: Path) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(ASSIGNMENT, "student")
        return f"{sub.score:g}/{sub.max_score:g}"


def slow_or_failed_cells(course: Path) -> list[str]:
    """'grade_id seconds [errors]' of the autograded notebook's cells that took >= 1 s or failed."""
    path = course / "autograded" / "student" / ASSIGNMENT / NOTEBOOK
    if not path.exists():
        return ["no autograded notebook"]
    report = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        when = cell["metadata"].get("execution", {})
        if "shell.execute_reply" not in when:
            continue
        seconds = (
            datetime.fromisoformat(when["shell.execute_reply"])
            - datetime.fromisoformat(when["iopub.execute_input"])
        ).total_seconds()
        errors = [o["ename"] for o in cell["outputs"] if o.get("output_type") == "error"]
        if seconds >= 1 or errors:
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "?")
            report.append(f"{grade_id} {seconds:.1f}s" + (f" {'+'.join(errors)}" if errors else ""))
    return report


def bench_nbgrader(course: Path, runs: int, timeout: float, cell_timeout, env: dict):
    """[(wall seconds, score, detail)] of `nbgrader autograde`, and the command."""
    cmd = ["nbgrader", "autograde", ASSIGNMENT, "--force"]
    if cell_timeout is not None:
        cmd.append(f"--Execute.timeout={cell_timeout}")
    results = []
    for _ in range(runs):
        seconds, code, out = timed(cmd, course, env, timeout)
        if code is None:
            results.append((seconds, "TIMED OUT", f"killed after {timeout:g}s"))
        elif code != 0:
            results.append((seconds, "FAILED", f"exit {code}: {out.strip()[-300:]}"))
        else:
            cells = ", ".join(slow_or_failed_cells(course))
            results.append((seconds, nbgrader_score(course), f"cells >= 1 s or failed: {cells}"))
    return results, shlex.join(cmd) + f"   (cwd: {course})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebook", type=Path, help="default: the reference example submission")
    parser.add_argument("--autograder-runs", type=int, default=3)
    parser.add_argument("--nbgrader-runs", type=int, default=1)
    parser.add_argument("--nbgrader-timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument(
        "--cell-timeout", type=int, help="nbgrader Execute.timeout (default: nbgrader's own, 30 s)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary course dir")
    args = parser.parse_args()

    import torch  # only for the version line

    print_header(torch.__version__)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    tmp = Path(tempfile.mkdtemp(prefix="bench_grading_"))
    try:
        notebook = args.notebook or correct_submission(tmp)
        print(f"submission: {notebook}")
        course = make_course(notebook.resolve(), tmp, env)
        root = grader_root(course, tmp)
        ours = bench_autograder(notebook.resolve(), args.autograder_runs, root, tmp, env)
        nbg = bench_nbgrader(
            course, args.nbgrader_runs, args.nbgrader_timeout, args.cell_timeout, env
        )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print()
    rows = (("autograder grade", *ours), ("nbgrader autograde", *nbg))
    for label, _, cmd in rows:
        print(f"{label}: {cmd}")
    print(f"\n{'grader':<20} {'runs':>4} {'median s':>9}  {'each run s':<20} score")
    medians = []
    for label, results, _ in rows:
        times = [t for t, _, _ in results]
        medians.append(statistics.median(times))
        each = ", ".join(f"{t:.1f}" for t in times)
        scores = " | ".join(dict.fromkeys(score for _, score, _ in results))
        print(f"{label:<20} {len(times):>4} {medians[-1]:>9.1f}  {each:<20} {scores}")
    bound = ">= " if any(score == "TIMED OUT" for _, score, _ in nbg[0]) else ""
    print(f"\nratio nbgrader / autograder (medians): {bound}{medians[1] / medians[0]:.1f}x")
    for label, results, _ in rows:
        for i, (_, _, detail) in enumerate(results, start=1):
            print(f"{label} run {i}: {detail}")
    print(f"load avg at the end: {os.getloadavg()[0]:.2f} (nbgrader's kernel alone adds ~2)")


if __name__ == "__main__":
    main()
