"""Grade one notebook: read it, build the program, run the hidden suite, score it."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import os
import stat
import sys
import time
from pathlib import Path

import pytest
import torch

from autograder.config import Assignment
from autograder.notebook import NotebookError, Program, build_program, read_cells
from autograder.plugin import GradingPlugin, Outcome, Submission
from autograder.sandbox import Worker
from autograder.scoring import build_results

GRADER_VERSION = "1"


def released_cells(assignment: Assignment):
    """The code cells of the released notebook: its setup cells are our code, run before the
    student's; its test and answer cells tell build_program what is ours and what is graded.

    An assignment without a released notebook (the self-test suite) has none.
    """
    if not assignment.released_notebook.exists():
        return []
    return read_cells(assignment.released_notebook)


def grade_notebook(
    path: Path | str, assignment: Assignment, *, worker: Worker | None = None, verbose: bool = False
) -> dict:
    """Grade one submission; always returns a results dict (never raises for bad input).

    ``worker``: a worker server to use (a batch keeps one for many submissions: it never runs
    student code itself, every probe gets a fresh child). Without one, a worker is started here
    and closed at the end.
    """
    path = Path(path)
    start = time.monotonic()
    torch.set_num_threads(1)  # the checks are small; parallel graders must not fight for cores
    own_worker = worker is None
    if own_worker:
        worker = Worker()
        worker.start()  # its torch import overlaps reading the notebook
    notes: list[str] = []
    program: Program | None = None
    load_error = ""
    try:
        program = build_program(read_cells(path), released_cells(assignment))
    except NotebookError as exc:
        load_error = f"{exc}. Nothing could be graded."
        notes.append(load_error)
    if program is not None:
        notes += program.notes()  # routine skipping (training, plots) is not worth a note
    try:
        submission = Submission(assignment, program, worker, load_error)
        plugin = GradingPlugin(submission)
        if program is None:
            outcomes = {name: Outcome(False, load_error, 0.0) for name in assignment.tests}
        else:
            log = run_suite(assignment, plugin)  # collects while the worker starts
            if verbose:
                print(log)
            outcomes = plugin.outcomes
            if worker.note:
                notes.append(worker.note)
    finally:
        if own_worker:
            worker.close()
    return build_results(
        assignment,
        outcomes,
        seconds=time.monotonic() - start,
        notes=notes,
        extra={
            "notebook": path.name,
            "notebook_sha256": file_sha256(path),
            "grader_version": GRADER_VERSION,
        },
    )


def freeze_imports() -> None:
    """Exclude everything imported so far (torch, pytest: 330,000 objects) from garbage
    collection: every full collection in the grader walked them all (0.09 s each). Call once,
    after the imports and before grading: what grading creates stays collectable."""
    gc.freeze()


def run_suite(assignment: Assignment, plugin: GradingPlugin) -> str:
    """Run the hidden pytest suite in this (trusted) process; returns pytest's own log."""
    args = [
        str(assignment.suite_dir),
        "-q",
        "--no-header",
        "-p", "no:cacheprovider",
        "-p", "no:unraisableexception",  # its two gc.collect() at the end took 0.18 s a run
        "-p", "pytest_timeout",
        "-p", "autograder.plugin",  # the ``sub`` fixture
        "--assert=plain",  # the assert message is the feedback, verbatim
        "--import-mode=importlib",
        "--rootdir", str(assignment.suite_dir),
        "-c", str(assignment.suite_dir.parent / "pytest.ini"),
        "-o", "timeout_method=signal",
    ]  # fmt: skip
    _forget_suite_modules(assignment.suite_dir)
    log = io.StringIO()
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the same plugins on every machine
    try:
        with contextlib.redirect_stdout(log):
            pytest.main(args, plugins=[plugin])
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
    return log.getvalue()


def _forget_suite_modules(suite_dir: Path) -> None:
    """pytest keeps imported test modules in sys.modules; a grader that grades many
    submissions drops them, so that no module-level state of one run reaches the next."""
    root = str(suite_dir.resolve())
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None) or ""
        if file.startswith(root + os.sep):
            del sys.modules[name]


def file_sha256(path: Path) -> str:
    """Of a regular file only: a FIFO or device named *.ipynb must not hang the grader."""
    h = hashlib.sha256()
    try:
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return ""
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return ""
    return h.hexdigest()
