#!/usr/bin/env python3
"""Where one submission's seconds go: a per-stage breakdown of grading the assignment-1
reference notebook, for this checkout and (with --baseline COMMIT) for an earlier commit, in one
run, on the same machine.

    .venv/bin/python bench/profile_grade.py --baseline fde25e3 --repeat 5

Stages (each the median of --repeat runs, wall seconds):
- grader imports: `python -c "import autograder.runner"` (torch, pytest, the grader);
- worker start: spawning `python -I -m autograder.worker` until its greeting (torch, preloads,
  the confinement trial; before 21a8c7c also the warm-up, which now runs in a copy of the
  server while it answers);
- one probe: a request to a ready worker until its reply: fork, confinement, loading the
  submission's definitions, the probe itself (a trivial call), the child's end;
- whole grade: `python -m autograder grade NB` (all of it, 18+ probes and pytest);
- per notebook in a batch: `python -m autograder batch -j 1` over --batch copies of the notebook,
  divided by their number (start-up shared by the batch where the design allows it).
The baseline runs from a detached worktree with this venv's packages (see bench_batch.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import print_header  # bench/ is sys.path[0] when run as a script
from bench_batch import baseline_python

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "01_lstm_classifier"
NOTEBOOK = ROOT / "examples" / "submitted" / "reference" / ASSIGNMENT / "lstm_classifier.ipynb"

# Runs inside the measured checkout's Python: times the worker's start and one probe.
WORKER_TIMER = r"""
import json, os, subprocess, sys, time
from autograder import wire
from autograder.config import load_config
from autograder.notebook import build_program, read_cells
import autograder.runner as runner
setup = getattr(runner, "released_cells", None) or getattr(runner, "trusted_setup_cells")
a = load_config().assignment(sys.argv[1])
program = build_program(read_cells(sys.argv[2]), setup(a)).to_wire()
repeat = int(sys.argv[3])
env = {"PATH": os.environ["PATH"], "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
       "OMP_WAIT_POLICY": "PASSIVE", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
starts, probes = [], []
for _ in range(repeat):
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-I", "-m", "autograder.worker"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd="/tmp")
    wire.read_frame(proc.stdout)
    starts.append(time.perf_counter() - t)
    request = {"suite": "selftest", "probe": "call", "program": program, "seed": 0,
               "memory_mb": 3072, "timeout": 30,
               "kwargs": {"name": "names_to_batch", "args": [["Abe", "Bo"]]}}
    for i in range(repeat * 4):
        t = time.perf_counter()
        wire.write_frame(proc.stdin, wire.dumps(request))
        wire.read_frame(proc.stdout)
        reply = wire.loads(wire.read_frame(proc.stdout))
        assert reply.get("ok"), reply
        if i:  # the first request imports the suite's probes in the server
            probes.append(time.perf_counter() - t)
    wire.write_frame(proc.stdin, wire.dumps({"op": "exit"}))
    proc.wait()
print(json.dumps({"worker start": starts, "one probe": probes}))
"""


def timed(cmd: list[str], cwd: Path, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return times


def profile(python: Path, repo: Path, repeat: int, batch: int, tmp: Path) -> dict[str, float]:
    import json

    stages = {"grader imports": timed([str(python), "-c", "import autograder.runner"], repo,
                                      repeat)}  # fmt: skip
    out = subprocess.run([str(python), "-c", WORKER_TIMER, ASSIGNMENT, str(NOTEBOOK), str(repeat)],
                         cwd=repo, check=True, capture_output=True, text=True).stdout  # fmt: skip
    stages.update(json.loads(out.strip().splitlines()[-1]))
    stages["whole grade"] = timed([str(python), "-m", "autograder", "grade", str(NOTEBOOK),
                                   "--assignment", ASSIGNMENT], repo, repeat)  # fmt: skip
    submitted = tmp / f"submitted-{python.parent.parent.name}"
    for i in range(batch):
        folder = submitted / f"s{i:02d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
    seconds = timed(
        [
            str(python),
            "-m",
            "autograder",
            "batch",
            ASSIGNMENT,
            "--submitted",
            str(submitted),
            "--out",
            str(tmp / "out"),
            "-j",
            "1",
            "--force",
        ],
        repo,
        1,
    )
    stages["per notebook in a batch -j 1"] = [seconds[0] / batch]  # fmt: skip
    return {k: statistics.median(v) for k, v in stages.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="", help="commit to compare with, e.g. fde25e3")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8, help="notebooks in the batch stage")
    args = parser.parse_args()

    import torch  # only for the version line

    print_header(torch.__version__)
    tmp = Path(tempfile.mkdtemp(prefix="profile_grade_"))
    columns = {"this checkout": (Path(sys.executable), ROOT)}
    try:
        if args.baseline:
            columns[f"baseline {args.baseline}"] = baseline_python(args.baseline, tmp)
        results = {}
        for label, (python, repo) in columns.items():
            results[label] = profile(python, repo, args.repeat, args.batch, tmp)
            print(f"  measured {label} (load {os.getloadavg()[0]:.2f})", flush=True)
    finally:
        for _, repo in list(columns.values())[1:]:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(repo)],
                           check=False)  # fmt: skip
        shutil.rmtree(tmp, ignore_errors=True)
    labels = list(results)
    print(f"\n{'stage (median wall s)':<32}" + "".join(f"{label:>22}" for label in labels))
    for stage in results[labels[0]]:
        print(f"{stage:<32}" + "".join(f"{results[label][stage]:>22.3f}" for label in labels))
    print(f"load avg at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")


if __name__ == "__main__":
    main()
