#!/usr/bin/env python3
"""A whole class on one machine: submissions per minute of `python -m autograder batch` with 1
and 2 jobs, and of plain `nbgrader autograde` on a sample of the same submissions.

    .venv/bin/python bench/bench_batch.py                       # 200 submissions, nbgrader on 10
    .venv/bin/python bench/bench_batch.py --n 40 --nbgrader-sample 3 --jobs 2

The class is made by copying the bundled examples of one assignment (examples/submitted/*/ID),
cycling through them in name order (reference, stub, partial, mistakes, alternatives, broken and
hostile ones) until there are --n students; `hostile_hangs`, which spends every test's whole
time limit by design, is left out unless --with-hangs. Everything runs in a temporary folder;
the repo is not written.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import print_header  # bench/ is sys.path[0] when run as a script

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submitted"
SLOW_BY_DESIGN = ("hostile_hangs",)
PLAIN_NBGRADER_CONFIG = """\
c = get_config()  # noqa: F821
c.CourseDirectory.root = "{course}"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///{course}/gradebook.db"
"""


def make_class(assignment: str, notebook: str, n: int, with_hangs: bool, out: Path) -> list[str]:
    """out/<student>/<assignment>/<notebook> for n students; returns the variants, in order."""
    variants = sorted(
        p.parent.name
        for p in EXAMPLES.glob(f"*/{assignment}")
        if with_hangs or p.parent.name not in SLOW_BY_DESIGN
    )
    if not variants:
        sys.exit(f"no examples in {EXAMPLES}/*/{assignment}")
    chosen = []
    for i in range(n):
        variant = variants[i % len(variants)]
        folder = out / f"s{i:03d}_{variant}" / assignment
        folder.mkdir(parents=True)
        src = EXAMPLES / variant / assignment
        nb = src / notebook if (src / notebook).exists() else next(src.glob("*.ipynb"))
        shutil.copy(nb, folder / notebook)
        chosen.append(variant)
    return chosen


def run(cmd: list[str], cwd: Path, env: dict, timeout: float) -> tuple[float, int | None, str]:
    """(wall seconds, exit code or None if killed at the timeout, combined output)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        code = None
    return time.perf_counter() - start, code, out


def bench_autograder(assignment: str, submitted: Path, jobs: int, tmp: Path, env: dict):
    """(wall s, {student: results}, command) of one forced batch into a fresh folder."""
    out = tmp / f"graded_j{jobs}"
    cmd = [sys.executable, "-m", "autograder", "batch", assignment, "--submitted", str(submitted),
           "--out", str(out), "-j", str(jobs), "--force"]  # fmt: skip
    seconds, code, log = run(cmd, ROOT, env, timeout=6 * 3600)
    if code != 0:
        sys.exit(f"autograder batch -j {jobs} failed ({code}):\n{log[-3000:]}")
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    return seconds, results, shlex.join(cmd)


def bench_nbgrader(assignment: str, notebook: str, students: list[str], submitted: Path,
                   tmp: Path, env: dict, cell_timeout: int | None):  # fmt: skip
    """(wall s, {student: score or None}, command) of one plain `nbgrader autograde` over a
    sample, in a throw-away course (generate_assignment first, not timed)."""
    course = tmp / "course"
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
    # nbgrader's own defaults (a kernel per notebook), not the repo's nbgrader_config.py, which
    # replaces the kernel with our autograder.
    (course / "nbgrader_config.py").write_text(PLAIN_NBGRADER_CONFIG.format(course=course))
    for student in students:
        shutil.copytree(submitted / student, course / "submitted" / student)
    _, code, log = run(["nbgrader", "generate_assignment", assignment, "--force"], course, env, 600)
    if code != 0:
        sys.exit(f"nbgrader generate_assignment failed ({code}):\n{log[-3000:]}")
    cmd = ["nbgrader", "autograde", assignment, "--force"]
    if cell_timeout is not None:
        cmd.append(f"--Execute.timeout={cell_timeout}")
    seconds, code, log = run(cmd, course, env, timeout=6 * 3600)
    if code is None:
        sys.exit(f"nbgrader autograde did not finish:\n{log[-3000:]}")
    from nbgrader.api import Gradebook, MissingEntry

    scores, errors = {}, {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            try:
                scores[student] = gb.find_submission(assignment, student).score
            except MissingEntry:
                scores[student] = None  # nbgrader could not grade it (e.g. not valid JSON)
            errors[student] = cell_errors(course / "autograded" / student / assignment / notebook)
    return seconds, scores, errors, shlex.join(cmd) + f"   (cwd: {course}, exit {code})"


def cell_errors(path: Path) -> list[str]:
    """The error names in an autograded notebook's outputs (e.g. CellTimeoutError)."""
    if not path.exists():
        return ["no autograded notebook"]
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [o["ename"] for c in cells for o in c.get("outputs", []) if o.get("ename")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="01_lstm_classifier")
    parser.add_argument("--n", type=int, default=200, help="students in the class")
    parser.add_argument("--jobs", default="1,2", help="autograder batch -j values, in order")
    parser.add_argument("--nbgrader-sample", type=int, default=10, help="0: skip nbgrader")
    parser.add_argument("--cell-timeout", type=int, help="nbgrader Execute.timeout (default 30)")
    parser.add_argument("--with-hangs", action="store_true", help="include hostile_hangs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    import torch  # only for the version line

    sys.path.insert(0, str(ROOT))
    from autograder.config import load_config

    notebook = load_config().assignment(args.assignment).notebook
    print_header(torch.__version__)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    tmp = Path(tempfile.mkdtemp(prefix="bench_batch_"))
    rows, notes = [], []
    try:
        submitted = tmp / "submitted"
        variants = make_class(args.assignment, notebook, args.n, args.with_hangs, submitted)
        kinds = sorted(set(variants))
        print(f"class: {args.n} submissions of {args.assignment}, cycling through {len(kinds)} "
              f"examples: {', '.join(kinds)}", flush=True)  # fmt: skip
        scores_by_jobs, results_by_jobs = {}, {}
        for jobs in [int(j) for j in args.jobs.split(",")]:
            seconds, results, cmd = bench_autograder(args.assignment, submitted, jobs, tmp, env)
            results_by_jobs[jobs] = results
            scores_by_jobs[jobs] = scores = {s: r["score"] for s, r in results.items()}
            rows.append((f"autograder batch -j {jobs}", len(scores), seconds, scores))
            notes.append(f"autograder -j {jobs}: {cmd}")
            print(f"done: -j {jobs} in {seconds:.0f} s (load {os.getloadavg()[0]:.2f})", flush=True)
        notes += verdict_differences(results_by_jobs)
        if args.nbgrader_sample:
            students = sorted(p.name for p in submitted.iterdir())
            step = max(1, len(students) // args.nbgrader_sample)
            sample = students[::step][: args.nbgrader_sample]
            seconds, nb_scores, nb_errors, cmd = bench_nbgrader(
                args.assignment, notebook, sample, submitted, tmp, env, args.cell_timeout
            )
            rows.append((f"nbgrader autograde (sample of {len(sample)})", len(sample), seconds,
                         nb_scores))  # fmt: skip
            notes.append(f"nbgrader: {cmd}")
            ours = scores_by_jobs[max(scores_by_jobs)]
            notes.append("sample (student: nbgrader score / autograder score [nbgrader's cell "
                         "errors]):")  # fmt: skip
            for s in sample:
                errs = ", ".join(nb_errors[s]) or "none"
                notes.append(f"  {s}: {_fmt(nb_scores[s])} / {_fmt(ours.get(s))} [{errs}]")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n{'grader':<34} {'subs':>5} {'wall s':>8} {'s/sub':>6} {'subs/min':>9} "
          f"{'mean score':>10} {'not graded':>10}")  # fmt: skip
    for label, n, seconds, scores in rows:
        got = [s for s in scores.values() if s is not None]
        mean = sum(got) / len(got) if got else float("nan")
        print(f"{label:<34} {n:>5} {seconds:>8.1f} {seconds / n:>6.2f} {60 * n / seconds:>9.1f} "
              f"{mean:>10.2f} {n - len(got):>10}")  # fmt: skip
    print()
    for note in notes:
        print(note)
    print(f"load avg at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")


def verdict_differences(results_by_jobs: dict[int, dict[str, dict]]) -> list[str]:
    """Lines naming every test whose verdict differs between the -j runs (grading must not
    depend on the number of jobs or on the machine's load)."""
    runs = list(results_by_jobs.items())
    lines = []
    for student in sorted(runs[0][1]):
        tests = {}
        for jobs, results in runs:
            for t in results[student]["tests"]:
                tests.setdefault(t["extra_data"]["test"], []).append((jobs, t))
        for name, seen in tests.items():
            if len({t["status"] for _, t in seen}) > 1:
                lines.append(f"  {student} {name}: " + "; ".join(
                    f"-j {j} {t['status']} {t['extra_data'].get('seconds', '?')} s "
                    f"{t['output'][:160]!r}" for j, t in seen))  # fmt: skip
    head = f"tests whose verdict differs between the -j runs: {len(lines)}"
    return [head + (":" if lines else ""), *lines]


def _fmt(x) -> str:
    return "-" if x is None else f"{x:g}"


if __name__ == "__main__":
    main()
