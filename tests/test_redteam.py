"""The red-team corpus (tests/redteam/cases.py), graded once, in one batch, by the real CLI.

For every case: it is graded within its limit, its results file is valid, exactly the expected
tests fail (the honest value, or 0 for the attacked part), the expected message is in its
feedback, and nothing it wrote afterwards changed anything. For the whole batch: nothing it
started is still running, nothing reached the listening port, no feedback shows hidden test
code, and the honest controls graded after the attacks get their honest marks.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from redteam.cases import ASSIGNMENT, CASES, FAKE_RESULTS, build, survivor

from autograder.config import load_config

ROOT = Path(__file__).resolve().parent.parent
IS_ROOT = os.geteuid() == 0
TEST_TIMEOUT = 4  # seconds per hidden test: hangs cost seconds, not minutes
SUBMISSION_TIMEOUT = 25
LATE_WRITER_WAIT = 4  # an escaped process of the double-forked case writes every second
ROOT_ONLY = "needs root (user switch and namespaces); CI runs as root"


def _needs_root() -> None:
    """Skip without root, unless RNN_WEEK_REQUIRE_ROOT=1 (.ci/run, which runs as root)."""
    if not IS_ROOT:
        if os.environ.get("RNN_WEEK_REQUIRE_ROOT") == "1":
            pytest.fail(ROOT_ONLY)
        pytest.skip(ROOT_ONLY)


def _small_config(path: Path) -> Path:
    """grading.yml reduced to assignment 1, with short time limits."""
    raw = yaml.safe_load((ROOT / "grading.yml").read_text(encoding="utf-8"))
    raw["defaults"].update(test_timeout=TEST_TIMEOUT, submission_timeout=SUBMISSION_TIMEOUT)
    raw["assignments"] = {ASSIGNMENT: raw["assignments"][ASSIGNMENT]}
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("redteam")
    out, sentinels = tmp / "out", tmp / "sentinels"
    sentinels.mkdir()
    marker = str(random.randrange(9_000_000, 9_999_999))  # `sleep <marker>` in a process list
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.setblocking(False)
    context = {
        "OUT": str(out), "SENTINELS": str(sentinels), "MARKER": marker, "REPO": str(ROOT),
        "SUITES": str(ROOT / "autograder" / "suites"), "FAKE": FAKE_RESULTS,
        "PORT": str(listener.getsockname()[1]),
    }  # fmt: skip
    build(tmp / "submitted", context)
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "batch", ASSIGNMENT,
         "--config", str(_small_config(tmp / "grading.yml")),
         "--submitted", str(tmp / "submitted"), "--out", str(out), "-j", "2"],
        capture_output=True, text=True, cwd=ROOT, timeout=1200,
    )  # fmt: skip
    seconds = time.monotonic() - start
    first = {p.stem: p.read_text() for p in (out / "results").glob("*.json")}
    time.sleep(LATE_WRITER_WAIT)
    connections = []
    while True:
        try:
            connections.append(listener.accept()[0].recv(100))
        except BlockingIOError:
            break
    listener.close()
    print(f"red-team batch: {len(first)} submissions in {seconds:.0f} s")
    left = subprocess.run(["pgrep", "-af", marker], capture_output=True, text=True).stdout
    yield SimpleNamespace(
        proc=proc, out=out, sentinels=sentinels, first=first, connections=connections,
        marker=marker, left=left,
        later={p.stem: p.read_text() for p in (out / "results").glob("*.json")},
    )  # fmt: skip
    for line in left.splitlines():  # survivors of a broken defence: started by this batch
        try:
            os.kill(int(line.split()[0]), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def test_the_batch_grades_every_case(corpus):
    assert corpus.proc.returncode == 0, corpus.proc.stderr[-3000:]
    assert set(corpus.first) == set(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_case(corpus, name, request):
    case = CASES[name]
    if case.root_only:
        _needs_root()
    if case.known_limit:
        request.applymarker(pytest.mark.xfail(strict=True, reason=case.known_limit))
    results = json.loads(corpus.first[name])  # valid JSON, written by the grader
    assignment = load_config().assignment(ASSIGNMENT)
    tests = {t["extra_data"]["test"]: t for t in results["tests"]}
    assert set(tests) == set(assignment.tests)
    assert results["max_score"] == assignment.max_score
    assert results["score"] == sum(t["score"] for t in results["tests"])
    assert results["execution_time"] < SUBMISSION_TIMEOUT + 20  # within its limit
    assert not (corpus.sentinels / name).exists(), "a file written by the submission appeared"
    assert corpus.later[name] == corpus.first[name], "the results changed after grading"
    assert survivor(corpus.marker, name) not in corpus.left, "a process it started outlived it"

    failed = {n for n, t in tests.items() if t["status"] != "passed"}
    feedback = results["output"] + "\n" + "\n".join(tests[n]["output"] for n in sorted(failed))
    expected = case.expected_failures()
    assert failed == expected, (
        f"{name}: unexpected failures {sorted(failed - expected)}, unexpected passes "
        f"{sorted(expected - failed)}\n{feedback[:3000]}"
    )
    honest = sum(t.points for n, t in assignment.tests.items() if n not in expected)
    assert results["score"] == honest
    missing = [m for m in case.messages if m not in feedback]
    assert not missing, feedback[:3000]


def test_nothing_started_by_a_submission_is_still_running(corpus):
    _needs_root()
    assert corpus.left == ""


def test_nothing_reached_the_network(corpus):
    _needs_root()
    assert corpus.connections == []


def test_no_feedback_shows_hidden_test_code(corpus):
    assignment = load_config().assignment(ASSIGNMENT)
    # A line students have in their released notebook (a stub's signature, which a note may
    # quote as "the cell starting ...") is not hidden, even where the reference has it too.
    public = assignment.released_notebook.read_text(encoding="utf-8")
    secrets = ["def test_", "sub.probe("]
    for f in assignment.suite_dir.glob("*.py"):
        lines = [ln.strip() for ln in f.read_text().splitlines() if len(ln.strip()) > 40]
        secrets += [ln for ln in lines if json.dumps(ln)[1:-1] not in public]
    feedback = sorted((corpus.out / "feedback").rglob("*.md"))
    assert len(feedback) == len(corpus.first), "expected one feedback file per case"
    for fb in feedback:
        text = fb.read_text()
        assert not [s for s in secrets if s in text], fb


def table_rows() -> list[str]:
    """The red-team table's rows, from each case's own description and expected verdict."""
    return [f"| {c.attack} | {c.outcome} | `test_case[{name}]` |" for name, c in CASES.items()]


def test_the_docs_table_matches_the_corpus():
    """docs/grading-and-security.md: one row per case, in order, attack and outcome verbatim."""
    text = (ROOT / "docs" / "grading-and-security.md").read_text(encoding="utf-8")
    section = text.split("## Red-team corpus", 1)[-1].split("\n## ", 1)[0]
    documented = [ln for ln in section.splitlines() if "`test_case[" in ln]
    expected = table_rows()
    assert documented == expected, "the table's rows should read:\n" + "\n".join(expected)
    assert sum("control" not in n for n in CASES) >= 26
