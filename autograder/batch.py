"""Grade a folder of submissions in nbgrader's layout: submitted/<student>/<assignment>/*.ipynb.

``jobs`` long-lived grading processes (``autograder.grading_service``) grade the submissions, one
after another each; every one keeps one worker server, and every probe of every submission still
runs in a fresh confined child of it. A submission that breaks anything still
gets a result file; results are written atomically, and a re-run skips submissions whose
notebook and grader are unchanged, so a killed batch resumes where it stopped.

Faults: a result file is the last thing written for a student (after the feedback), so a kill at
any moment leaves each student with one complete result or none. The grading subprocesses die
with the batch, even on SIGKILL. If the output folder cannot be written (read-only, a full disk)
the batch stops with a BatchError naming the file, and every file it already had stays as it was.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from autograder.config import Assignment
from autograder.report import (
    TMP_SUFFIX,
    class_summary,
    feedback_markdown,
    grades_csv,
    score_histogram_png,
    write_atomic,
    write_json,
)
from autograder.runner import file_sha256
from autograder.scoring import failed_results

PACKAGE_DIR = Path(__file__).resolve().parent
# One grading process: `python -c _GRADING_CHILD BATCH_PID ASSIGNMENT CONFIG REPLY_FD`. Its first
# act, before any slow import, is to ask the kernel for SIGKILL when the batch dies
# (PR_SET_PDEATHSIG = 1), so that killing the batch, even with SIGKILL, leaves no grader running
# on (its worker server dies with it the same way). Then it is `autograder.grading_service`.
_GRADING_CHILD = """\
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
except (OSError, AttributeError):
    pass  # not Linux: the batch still kills its graders on Ctrl-C or a write error
if os.getppid() != int(sys.argv[1]):
    sys.exit(1)  # the batch died before prctl took effect
from autograder.grading_service import main
status = main(sys.argv[2:])
sys.stdout.flush()
sys.stderr.flush()
os._exit(status)  # skip the interpreter's teardown (about half a second with torch loaded)
"""
__all__ = ["BatchError", "failed_results", "find_submissions", "grade_batch"]


class BatchError(RuntimeError):
    """The batch cannot go on (its output cannot be written); the message is one line."""


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
    """Grade what is not graded yet; write results, feedback, grades.csv, summary.md and
    histogram.png into ``out``. Raises BatchError if ``out`` cannot be written."""
    submissions = find_submissions(submitted, assignment)
    fingerprint = grader_fingerprint(assignment, config_path)
    results_dir = out / "results"
    lock = _lock_output(out)  # held until this function returns (closing the file unlocks)
    try:
        _remove_stale_temporaries(out)
        todo, done = [], {}
        for student, nb in submissions.items():
            cached = _cached(results_dir / f"{student}.json", nb, fingerprint)
            if cached is not None and not force:
                done[student] = cached
            else:
                todo.append(student)
        grader = _Grader(assignment, config_path)

        def work(student: str) -> tuple[str, dict | None]:
            nb = submissions[student]
            if nb is None:
                results = failed_results(assignment, "no notebook (.ipynb) found in the submission")
            else:
                results = grader.grade(nb)
            if grader.stopping.is_set():
                return student, None  # interrupted: its verdict may be a side effect of the stop
            results["extra_data"].update(
                student=student, grader_fingerprint=fingerprint, notebook_sha256=_sha(nb)
            )
            _write(out / "feedback" / student / f"{assignment.id}.md",
                   feedback_markdown(results, student))  # fmt: skip
            _write(results_dir / f"{student}.json", results)  # last: it marks the student done
            return student, results

        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        futures = [pool.submit(work, s) for s in todo]
        bar = tqdm(
            total=len(futures),
            desc=f"grading {assignment.id}",
            unit="nb",
            disable=not progress or not futures,
            file=sys.stderr,
        )
        try:
            for future in as_completed(futures):
                student, results = future.result()
                done[student] = results
                bar.update()
        except BaseException:
            grader.stop()  # kill running graders; nothing more gets written
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            grader.close()
            bar.close()
        rows = sorted(done.items())
        problem_names = [p.name for p in assignment.problems]
        _write(out / "grades.csv", grades_csv(rows, problem_names))
        _write(out / "summary.md", class_summary(rows, assignment))
        _write(out / "histogram.png", score_histogram_png(rows, assignment))
        return rows
    finally:
        lock.close()


class _Grader:
    """Grades submissions in long-lived grading processes (``autograder.grading_service``), one
    per batch job at most; ``stop()`` kills them all. A process that times out or dies is
    killed and replaced; the submission it was grading gets a failed result saying why."""

    def __init__(self, assignment: Assignment, config_path: Path):
        self.assignment = assignment
        self.config_path = config_path
        self.stopping = threading.Event()
        self._idle: list[_Service] = []
        self._all: set[_Service] = set()
        self._lock = threading.Lock()
        self._tmp = tempfile.TemporaryDirectory(prefix="autograder-batch-")
        self._count = 0
        # The grader's own start-up and bookkeeping come on top of the submission's limit.
        self.limit = assignment.submission_timeout + 120

    def stop(self) -> None:
        with self._lock:
            self.stopping.set()
            for service in self._all:
                service.kill()

    def close(self) -> None:
        """End the idle services (they exit at end of input) and remove the temporary files."""
        with self._lock:
            services, self._idle = self._idle, []
        for service in services:
            service.close()
        self._tmp.cleanup()

    def grade(self, nb: Path) -> dict:
        assignment, limit = self.assignment, self.limit
        with self._lock:
            if self.stopping.is_set():
                return failed_results(assignment, "not graded: the batch was stopped")
            self._count += 1
            out = Path(self._tmp.name) / f"{self._count}.json"
            service = self._idle.pop() if self._idle else None
            if service is None:
                service = _Service(assignment.id, self.config_path)
                self._all.add(service)
        verdict = service.grade(nb, out, limit)
        if verdict == "done":
            try:
                results = json.loads(out.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                verdict = "the grader wrote no results"
            else:
                out.unlink()
                with self._lock:
                    if service.spent():
                        self._all.discard(service)
                        service.close()
                    else:
                        self._idle.append(service)
                return results
        with self._lock:
            self._all.discard(service)
        tail = service.stderr_tail()
        service.kill()
        if verdict == "timeout":
            return failed_results(assignment, f"grading did not finish within {limit:g} s")
        return failed_results(
            assignment, f"the grader failed on this submission ({verdict}): {tail}"
        )


class _Service:
    """One grading process and the pipes to it."""

    MAX_SUBMISSIONS = 200  # then a fresh process: bounds whatever memory pytest runs leave

    def __init__(self, assignment_id: str, config_path: Path):
        self._stderr = tempfile.TemporaryFile()
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _GRADING_CHILD, str(os.getpid()),
             assignment_id, str(config_path), str(write_fd)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            pass_fds=(write_fd,),
            start_new_session=True,  # a Ctrl-C in the terminal reaches the batch only
        )  # fmt: skip
        os.close(write_fd)
        self._replies = os.fdopen(read_fd, "rb")
        self._graded = 0

    def grade(self, nb: Path, out: Path, limit: float) -> str:
        """'done', 'timeout', or how the process ended."""
        request = json.dumps({"notebook": str(nb.resolve()), "json": str(out)}) + "\n"
        try:
            self.proc.stdin.write(request.encode())
            self.proc.stdin.flush()
        except OSError:
            return self._ended()
        ready, _, _ = select.select([self._replies], [], [], limit)
        if not ready:
            return "timeout"
        line = self._replies.readline()
        if line.strip() != b"done":
            return self._ended()
        self._graded += 1
        return "done"

    def spent(self) -> bool:
        return self._graded >= self.MAX_SUBMISSIONS

    def _ended(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        return f"exit {code}"

    def stderr_tail(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return " | ".join(lines[-3:])

    def close(self) -> None:
        try:
            self.proc.stdin.close()  # end of input: the process closes its worker and exits
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def kill(self) -> None:
        _kill_group(self.proc)
        self.proc.wait()
        for stream in (self.proc.stdin, self._replies, self._stderr):
            try:
                stream.close()
            except OSError:
                pass


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _write(path: Path, data: str | bytes | dict) -> None:
    try:
        if isinstance(data, dict):
            write_json(path, data)
        else:
            write_atomic(path, data)
    except OSError as exc:
        raise BatchError(f"cannot write {path}: {exc.strerror or exc}") from None


def _lock_output(out: Path):
    """An exclusive lock on ``out``: two batches writing the same files would mix them up.
    The kernel drops the lock when the process dies, so a killed batch never leaves it stale."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = open(out / ".batch.lock", "a")  # closed by grade_batch
    except OSError as exc:
        raise BatchError(f"cannot write to {out}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise BatchError(f"another batch is writing to {out}; wait for it to finish") from None
    return lock


def _remove_stale_temporaries(out: Path) -> None:
    """write_atomic's temporary files left by a batch that was killed mid-write."""
    feedback = out / "feedback"
    students = [p for p in feedback.iterdir() if p.is_dir()] if feedback.is_dir() else []
    for folder in [out, out / "results", *students]:
        for tmp in folder.glob(f".*{TMP_SUFFIX}"):
            tmp.unlink(missing_ok=True)


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
