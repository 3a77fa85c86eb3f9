"""A batch job's long-lived grader: one process and one worker for many submissions, replaced
when it dies or overruns, and nothing of one submission's run reaching the next."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import yaml

from autograder import batch
from autograder.config import load_config

# The self-test suite: `add` and `shout` (autograder/suites/selftest).
GOOD = "def add(a, b):\n    return a + b\n\ndef shout(s):\n    return s.upper()\n"
WRONG = "def add(a, b):\n    return a - b\n\ndef shout(s):\n    return s\n"
SLOW = "import time\n\ndef add(a, b):\n    time.sleep(30)\n\ndef shout(s):\n    return s.upper()\n"


@pytest.fixture
def grader(tmp_path):
    config = tmp_path / "grading.yml"
    config.write_text(yaml.safe_dump({
        "defaults": {"test_timeout": 5, "submission_timeout": 60},
        "assignments": {"selftest": {
            "notebook": "x.ipynb", "suite": "selftest",
            "problems": {"p": {"tests": {
                "test_add_integers": 1, "test_add_tensors": 1, "test_shout": 1,
            }}},
        }},
    }))  # fmt: skip
    g = batch._Grader(load_config(config).assignment("selftest"), config)
    yield g
    g.stop()
    g.close()


@pytest.fixture
def nb(make_notebook):
    return lambda name, source: make_notebook(source, name=f"{name}.ipynb")


def _failed(results: dict) -> set[str]:
    return {t["extra_data"]["test"] for t in results["tests"] if t["status"] != "passed"}


def test_one_process_grades_submission_after_submission(grader, nb):
    """Three submissions, one job: one grading process, each verdict its own."""
    verdicts = [
        _failed(grader.grade(nb(name, src)))
        for name, src in (("good", GOOD), ("wrong", WRONG), ("again", GOOD))
    ]
    assert verdicts == [set(), {"test_add_integers", "test_add_tensors", "test_shout"}, set()]
    assert len(grader._all) == 1 and len(grader._idle) == 1


def test_a_killed_grading_process_costs_one_submission(grader, nb, live_processes):
    """SIGKILL of the process mid-submission: that submission gets a failed result saying so,
    its worker dies with it, and the next submission is graded by a fresh process."""
    grader.grade(nb("warm", GOOD))  # a running process (and worker) to kill
    (service,) = grader._all
    worker_pids = {p.pid for p in live_processes() if p.ppid == service.proc.pid}
    assert worker_pids, "the grading process should have started its worker"
    slow = nb("slow", SLOW)
    killer = threading.Timer(3.0, os.kill, (service.proc.pid, signal.SIGKILL))
    killer.start()
    results = grader.grade(slow)
    killer.join()
    assert results["score"] == 0
    assert "the grader failed on this submission" in results["tests"][0]["output"]
    deadline = time.monotonic() + 10

    def survivors() -> set[int]:
        return worker_pids & {p.pid for p in live_processes()}

    while survivors() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not survivors(), "the worker outlived its grader"
    assert _failed(grader.grade(nb("after", GOOD))) == set()
    assert service not in grader._all


def test_an_overrunning_submission_is_cut_and_the_next_is_graded(grader, nb):
    """A grading process that exceeds the submission's limit is killed and replaced."""
    grader.limit = 3.0
    results = grader.grade(nb("slow", SLOW))
    assert "did not finish within 3 s" in results["tests"][0]["output"]
    grader.limit = 60.0
    assert _failed(grader.grade(nb("next", GOOD))) == set()


def test_an_interrupted_request_never_answers_the_next(make_notebook):
    """A probe interrupted while the grader waits for its reply (pytest-timeout's backstop is a
    signal) must not leave that reply to be read as the answer to the next request."""
    from autograder.notebook import build_program, read_cells
    from autograder.sandbox import Worker

    source = (
        "import time\n\ndef add(a, b):\n    if a == 0:\n        time.sleep(3)\n    return a + b\n"
    )
    program = build_program(read_cells(make_notebook(source)), []).to_wire()

    def request(a: int, b: int) -> dict:
        kwargs = {"name": "add", "args": [a, b]}
        return {"suite": "selftest", "probe": "call", "kwargs": kwargs, "program": program,
                "seed": 0, "memory_mb": 3072}  # fmt: skip

    def interrupt(*_):
        pytest.fail("Timeout >1.0s")  # what pytest-timeout's signal method raises

    with Worker() as worker:
        worker.wait_ready()
        previous = signal.signal(signal.SIGALRM, interrupt)
        try:
            signal.alarm(1)
            with pytest.raises(pytest.fail.Exception):
                worker.run(request(0, 7), timeout=10)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        assert worker.run(request(2, 3), timeout=30).value == 5


def test_the_workers_start_up_is_not_charged_to_the_first_test(tmp_path, nb):
    """The suite is collected while the worker starts; the tests' clocks start once it is
    ready. A start-up longer than a test's whole limit costs nothing."""
    from autograder.runner import grade_notebook
    from autograder.sandbox import Worker

    class SlowToStart(Worker):
        def wait_ready(self) -> None:
            time.sleep(2.5)  # as on a loaded machine
            super().wait_ready()

    config = tmp_path / "grading.yml"
    config.write_text(yaml.safe_dump({
        "defaults": {"test_timeout": 2, "submission_timeout": 2},
        "assignments": {"selftest": {
            "notebook": "x.ipynb", "suite": "selftest",
            "problems": {"p": {"tests": {"test_add_integers": 1, "test_shout": 1}}},
        }},
    }))  # fmt: skip
    with SlowToStart() as worker:
        worker.start()
        results = grade_notebook(
            nb("good", GOOD), load_config(config).assignment("selftest"), worker=worker
        )
    assert _failed(results) == set(), results["tests"]
