"""The sandboxed worker: student code runs there, and failures stay per probe."""

from __future__ import annotations

import ast

import pytest
import torch

from autograder.notebook import Program, Snippet
from autograder.sandbox import Worker

STUDENT = """
import os, sys, time, signal
def add(a, b):
    return a + b
def spin():
    while True:
        pass
def sleepy():
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    time.sleep(60)
def leave():
    sys.exit(0)
def vanish():
    os._exit(0)
def shout(x):
    for _ in range(10**6):
        print("x" * 100)
def explode():
    raise ValueError("nope")
def todo():
    raise NotImplementedError()
def hog():
    return bytearray(8 * 1024**3)
def interrupt():
    raise KeyboardInterrupt
def spawn_and_return():
    import subprocess
    subprocess.Popen(["sleep", "300"])
    return 1
def set_global():
    global COUNTER
    COUNTER = 99
    return COUNTER
def read_global():
    return globals().get("COUNTER", 0)
"""


@pytest.fixture(scope="module")
def worker():
    with Worker() as w:
        yield w


def _run(worker, name, args=(), timeout=5.0):
    program = Program([Snippet("<cell 2>", STUDENT, list(range(len(ast.parse(STUDENT).body))))],
                      [], [])  # fmt: skip
    request = {
        "suite": "selftest", "probe": "call", "kwargs": {"name": name, "args": list(args)},
        "program": program.to_wire(), "seed": 0, "memory_mb": 3072,
    }  # fmt: skip
    return worker.run(request, timeout)


def test_values_come_back_as_data(worker):
    assert _run(worker, "add", [2, 3]).value == 5
    got = _run(worker, "add", [torch.ones(2), torch.ones(2)]).value
    assert torch.equal(got, torch.full((2,), 2.0))


@pytest.mark.parametrize(
    "name, message",
    [
        ("spin", "did not finish within the 1.5 s time limit"),
        ("sleepy", "did not finish within the 1.5 s time limit"),
        ("leave", "your code called sys.exit(0)"),
        ("vanish", "ended without returning a result"),
        ("explode", "ValueError: nope (at cell 2, line 19, in explode"),
        ("todo", "`todo` is not implemented yet"),
        ("hog", "ran out of memory"),
        ("interrupt", "KeyboardInterrupt"),
        ("missing", "`missing` is not defined"),
    ],
)
def test_failures_are_per_probe_with_a_clear_message(worker, name, message):
    reply = _run(worker, name, timeout=1.5)
    assert not reply.ok
    assert message in reply.message
    assert _run(worker, "add", [1, 1]).value == 2  # the next probe is unaffected


def test_output_is_capped_and_kept_as_head_and_tail(worker):
    reply = _run(worker, "shout", [1], timeout=20)
    assert not reply.ok and "File too large" in reply.message
    assert len(reply.output) < 10_000 and "bytes of output cut" in reply.output


def test_every_probe_starts_from_a_fresh_process(worker):
    assert _run(worker, "set_global").value == 99
    assert _run(worker, "read_global").value == 0


def test_processes_started_by_student_code_are_killed(worker):
    import subprocess

    assert _run(worker, "spawn_and_return").value == 1
    left = subprocess.run(["pgrep", "-f", "sleep 300"], capture_output=True, text=True)
    assert left.stdout.strip() == ""
