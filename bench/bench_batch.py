#!/usr/bin/env python3
"""A whole class on one machine: notebooks per minute of `python -m autograder batch`, of the
same command at an earlier commit (the baseline design), and of plain `nbgrader autograde`, on
the same mixed set of submissions from all four assignments, in one run.

    .venv/bin/python bench/bench_batch.py                          # 25 per assignment, -j 2
    .venv/bin/python bench/bench_batch.py --per-assignment 10 --baseline fde25e3 --nbgrader-sample 1

The class is made by copying the bundled examples of each assignment (examples/submitted/*/ID),
cycling through them in name order (reference, stub, partial, mistakes, alternatives, broken and
hostile ones) until there are --per-assignment students; `hostile_hangs`, which spends a whole
test's time limit by design, is left out unless --with-hangs. The baseline is a detached
git worktree of --baseline run with this venv's packages (a throw-away venv whose only entries
are that worktree and this venv's site-packages), so both graders use the same torch. Everything
runs in a temporary folder; the repo is not written.
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
import sysconfig
import tempfile
import time
from pathlib import Path

from _machine import print_header  # bench/ is sys.path[0] when run as a script

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submitted"
SLOW_BY_DESIGN = ("hostile_hangs",)
ASSIGNMENTS = ("01_lstm_classifier", "02_sequence_tagger", "03_name_generator", "04_seq2seq")
PLAIN_NBGRADER_CONFIG = """\
c = get_config()  # noqa: F821
c.CourseDirectory.root = "{course}"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///{course}/gradebook.db"
"""


def make_class(assignment: str, n: int, with_hangs: bool, out: Path) -> list[str]:
    """out/<student>/<assignment>/<notebook> for n students; returns the students."""
    variants = sorted(
        p.parent.name
        for p in EXAMPLES.glob(f"*/{assignment}")
        if with_hangs or p.parent.name not in SLOW_BY_DESIGN
    )
    if not variants:
        sys.exit(f"no examples in {EXAMPLES}/*/{assignment}")
    students = []
    for i in range(n):
        variant = variants[i % len(variants)]
        student = f"s{i:03d}_{variant}"
        folder = out / student / assignment
        folder.mkdir(parents=True)
        for nb in (EXAMPLES / variant / assignment).glob("*.ipynb"):
            shutil.copy(nb, folder / nb.name)
        students.append(student)
    return students


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


def baseline_python(commit: str, tmp: Path) -> tuple[Path, Path]:
    """(python, checkout) of the grader at ``commit``, importing torch & co. from this venv."""
    checkout = tmp / f"baseline-{commit}"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(checkout),
                    commit], check=True)  # fmt: skip
    venv = tmp / "baseline-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    # Plain path lines: this venv's own .pth files (the editable install of *this* checkout)
    # are not processed, so `autograder` comes from the baseline checkout.
    ours = sysconfig.get_paths()["purelib"]
    (site / "baseline.pth").write_text(f"{checkout}\n{ours}\n")
    return venv / "bin" / "python", checkout


def bench_autograder(python: Path, repo: Path, assignment: str, submitted: Path, jobs: int,
                     out: Path, env: dict) -> tuple[float, dict[str, dict], str]:  # fmt: skip
    """(wall s, {student: results}, command) of one forced batch into a fresh folder."""
    cmd = [str(python), "-m", "autograder", "batch", assignment, "--submitted", str(submitted),
           "--out", str(out), "-j", str(jobs), "--force"]  # fmt: skip
    seconds, code, log = run(cmd, repo, env, timeout=6 * 3600)
    if code != 0:
        sys.exit(f"{python} batch {assignment} failed ({code}):\n{log[-3000:]}")
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    return seconds, results, shlex.join(cmd)


def bench_nbgrader(assignment: str, students: list[str], submitted: Path, tmp: Path, env: dict):
    """(wall s, {student: score or None}, command) of one plain `nbgrader autograde` over a
    sample, in a throw-away course (generate_assignment first, not timed)."""
    course = tmp / f"course-{assignment}"
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
    seconds, code, log = run(cmd, course, env, timeout=6 * 3600)
    if code is None:
        sys.exit(f"nbgrader autograde did not finish:\n{log[-3000:]}")
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            try:
                scores[student] = gb.find_submission(assignment, student).score
            except MissingEntry:
                scores[student] = None  # nbgrader could not grade it (e.g. not valid JSON)
    return seconds, scores, shlex.join(cmd) + f"   (cwd: {course}, exit {code})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignments", default=",".join(ASSIGNMENTS))
    parser.add_argument("--per-assignment", type=int, default=25, help="students per assignment")
    parser.add_argument("--jobs", type=int, default=2, help="autograder batch -j")
    parser.add_argument("--baseline", default="fde25e3", help="commit of the baseline grader; "
                        "'' to skip")  # fmt: skip
    parser.add_argument("--nbgrader-sample", type=int, default=1, help="per assignment; 0: skip")
    parser.add_argument("--with-hangs", action="store_true", help="include hostile_hangs")
    args = parser.parse_args()

    import torch  # only for the version line

    print_header(torch.__version__)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    assignments = args.assignments.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="bench_batch_"))
    graders = {"this checkout": (Path(sys.executable), ROOT)}
    try:
        if args.baseline:
            graders[f"baseline {args.baseline}"] = baseline_python(args.baseline, tmp)
        submitted = tmp / "submitted"
        classes = {a: make_class(a, args.per_assignment, args.with_hangs, submitted)
                   for a in assignments}  # fmt: skip
        total = sum(len(s) for s in classes.values())
        print(f"class: {args.per_assignment} submissions of each of {', '.join(assignments)} "
              f"({total} notebooks), cycled through the bundled examples", flush=True)  # fmt: skip
        rows, results = [], {}
        for label, (python, repo) in graders.items():
            seconds, results[label] = 0.0, {}
            for a in assignments:
                out = tmp / label.replace(" ", "_") / a
                s, res, cmd = bench_autograder(python, repo, a, submitted, args.jobs, out, env)
                seconds += s
                results[label].update({(a, k): v for k, v in res.items()})
                print(f"  {label}: {a} {len(res)} notebooks in {s:.1f} s "
                      f"(load {os.getloadavg()[0]:.2f})", flush=True)  # fmt: skip
            scores = [r["score"] for r in results[label].values()]
            rows.append((f"autograder batch -j {args.jobs}, {label}", len(scores), seconds))
        if args.nbgrader_sample:
            seconds, n = 0.0, 0
            for a in assignments:
                sample = classes[a][: args.nbgrader_sample]
                s, scores, cmd = bench_nbgrader(a, sample, submitted, tmp, env)
                seconds, n = seconds + s, n + len(sample)
                print(f"  nbgrader: {a} {len(sample)} notebooks in {s:.1f} s", flush=True)
            rows.append((f"nbgrader autograde (sample of {args.nbgrader_sample} each)", n, seconds))
    finally:
        for _, checkout in list(graders.values())[1:]:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(checkout)], check=False)  # fmt: skip
        shutil.rmtree(tmp, ignore_errors=True)

    first = 60 * rows[0][1] / rows[0][2]
    print(f"\n{'grader':<48} {'notebooks':>9} {'wall s':>8} {'s/nb':>6} {'nb/min':>7} {'ratio':>6}")
    for label, n, seconds in rows:
        rate = 60 * n / seconds
        print(f"{label:<48} {n:>9} {seconds:>8.1f} {seconds / n:>6.2f} {rate:>7.1f} "
              f"{first / rate:>6.2f}")  # fmt: skip
    print("ratio: how many times faster the first row is")
    if len(results) > 1:
        print(verdict_differences(results))
    print(f"load avg at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")


def verdict_differences(results: dict[str, dict]) -> str:
    """Tests whose verdict differs between the graders (the suites may differ between commits:
    then so may verdicts; with identical suites there must be none)."""
    (a_label, a), (b_label, b) = list(results.items())[:2]
    lines = []
    for key in sorted(set(a) & set(b)):
        va = {t["extra_data"]["test"]: t["status"] for t in a[key]["tests"]}
        vb = {t["extra_data"]["test"]: t["status"] for t in b[key]["tests"]}
        diff = sorted(n for n in set(va) & set(vb) if va[n] != vb[n])
        if diff:
            lines.append(f"  {key[0]} {key[1]}: {', '.join(diff)}")
    head = f"tests whose verdict differs between '{a_label}' and '{b_label}': {len(lines)}"
    return "\n".join([head, *lines[:40]])


if __name__ == "__main__":
    main()
