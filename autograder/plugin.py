"""The pytest side of grading: the ``sub`` fixture and the collection of per-test outcomes.

Hidden tests run in the grader process. They never import student code; they call
``sub.probe(name, **data)`` and assert on the plain data that comes back.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import pytest

from autograder import wire
from autograder.config import Assignment, TestSpec
from autograder.notebook import Program
from autograder.sandbox import GRACE, ProbeReply, Worker, WorkerError


class GradingFailure(AssertionError):
    """A test failed for a reason the student can act on; the message is their feedback."""


@dataclass
class Outcome:
    passed: bool
    message: str
    seconds: float
    doc: str = ""


class Submission:
    """One submission as the hidden tests see it."""

    def __init__(
        self,
        assignment: Assignment,
        program: Program | None,
        worker: Worker,
        load_error: str = "",
    ):
        self.assignment = assignment
        self.program = program
        self.load_error = load_error
        self._worker = worker
        self._started = time.monotonic()
        self._test: TestSpec | None = None
        self._test_started = 0.0
        self.probe_seconds = 0.0
        # A probe is a pure function of (name, arguments, submission, seed): it runs in a fresh,
        # seeded child. Tests that ask the same question share one run.
        self._replies: dict[bytes, ProbeReply] = {}

    def wait_for_worker(self) -> None:
        self._worker.wait_ready()

    def restart_clock(self) -> None:
        """The submission's time limit counts from here (after the worker is ready)."""
        self._started = time.monotonic()

    def begin_test(self, spec: TestSpec | None) -> None:
        self._test, self._test_started = spec, time.monotonic()

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        """Run probe ``name`` on the student's code; its value, or fail this test clearly."""
        if self.program is None:
            raise GradingFailure(self.load_error or "the notebook could not be read")
        budget = self.assignment.submission_timeout - (time.monotonic() - self._started)
        test_budget = (self._test.timeout if self._test else 30.0) - (
            time.monotonic() - self._test_started
        )
        timeout = min(budget, test_budget)
        if budget <= 0:
            raise GradingFailure(
                f"not run: the submission used up its {self.assignment.submission_timeout:g} s "
                "time limit in earlier tests"
            )
        if timeout <= 0:
            raise GradingFailure("not run: this test's time limit was used up")
        request = {
            "suite": self.assignment.suite,
            "probe": name,
            "kwargs": kwargs,
            "program": self.program.to_wire(),
            "seed": self.assignment.seed,
            "memory_mb": self.assignment.memory_mb,
        }
        key = hashlib.sha256(wire.dumps({"probe": name, "kwargs": kwargs})).digest()
        reply = self._replies.get(key)
        if reply is None:
            try:
                reply = self._worker.run(request, timeout)
            except WorkerError as exc:
                raise GradingFailure(f"could not be checked: {exc}") from None
            if not reply.timed_out:  # another test may have more time left
                self._replies[key] = reply
            self.probe_seconds += reply.seconds
        if not reply.ok:
            raise GradingFailure(self._explain(reply.message, reply.output))
        return reply.value

    def _explain(self, message: str, output: str) -> str:
        parts = [message]
        if self.program is not None and self.program.errors and "not defined" in message:
            parts.append("Note: " + "; ".join(self.program.errors[:2]))
        tail = output.strip()[-600:]
        if tail:
            parts.append(f"Your code printed (last lines):\n{tail}")
        return "\n".join(parts)


SUBMISSION = pytest.StashKey[Submission]()


@pytest.fixture(scope="session")
def sub(request: pytest.FixtureRequest) -> Submission:
    """The submission under test (hidden tests take this fixture)."""
    return request.config.stash[SUBMISSION]


class GradingPlugin:
    """Registered with pytest.main(plugins=[...]) for one submission."""

    def __init__(self, submission: Submission):
        self.submission = submission
        self.specs = submission.assignment.tests
        self.outcomes: dict[str, Outcome] = {}

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[SUBMISSION] = self.submission

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            spec = self.specs.get(_test_name(item))
            if spec is not None:
                # Backstop for a bug in a hidden test; the worker enforces the real deadline.
                item.add_marker(pytest.mark.timeout(spec.timeout + GRACE + 5))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Wait for the worker's greeting after collecting (which overlaps its start) and
        before the first test, so that its start-up is not charged to the submission's or a
        test's time. If it cannot start, each probe says so."""
        try:
            self.submission.wait_for_worker()
        except WorkerError:
            pass
        self.submission.restart_clock()

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.submission.begin_test(self.specs.get(_test_name(item)))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        name = _test_name(item)
        if report.when == "call" or (report.when == "setup" and not report.passed):
            passed = report.passed
            message = "" if passed else _message(call)
            previous = self.outcomes.get(name)
            if previous is not None:  # parametrized: every case must pass
                passed = passed and previous.passed
                message = previous.message or message
            doc = (getattr(getattr(item, "function", None), "__doc__", None) or "").strip()
            doc = doc.split("\n")[0]
            self.outcomes[name] = Outcome(passed, message, report.duration, doc)
        return report


def _test_name(item: pytest.Item) -> str:
    return getattr(item, "originalname", None) or item.name


def _message(call: pytest.CallInfo) -> str:
    if call.excinfo is None:
        return "failed"
    exc = call.excinfo.value
    if isinstance(exc, AssertionError):
        return str(exc).strip() or "a check failed"
    if call.excinfo.typename == "Failed" and "Timeout" in str(exc):
        return "did not finish within the time limit"
    # An error inside a hidden test usually means the returned value had an unexpected form.
    return f"your code returned something the grader could not check ({type(exc).__name__})"
