"""The sandboxed worker: student code runs there, and failures stay per probe."""

from __future__ import annotations

import ast
import os
import signal
import socket
import subprocess
import time

import pytest
import torch

from autograder import jail
from autograder import worker as worker_module
from autograder.notebook import Program, Snippet
from autograder.sandbox import Worker
from autograder.worker import MAX_OPEN_FILES, MAX_OUTPUT_FILE, MAX_PROCESSES, NEEDS_WARM_UP


@pytest.fixture
def needs_root():
    """Skip without root, unless RNN_WEEK_REQUIRE_ROOT=1 (.ci/run, which runs as root)."""
    if os.geteuid() != 0:
        why = "needs root (user switch and namespaces); CI runs as root"
        if os.environ.get("RNN_WEEK_REQUIRE_ROOT") == "1":
            pytest.fail(why)
        pytest.skip(why)


ROOT_ONLY = pytest.mark.usefixtures("needs_root")
SECRET_ENV = "AUTOGRADER_TEST_SECRET"

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
    subprocess.Popen(["sleep", "303.25"])
    return 1
def set_global():
    global COUNTER
    COUNTER = 99
    return COUNTER
def read_global():
    return globals().get("COUNTER", 0)
def who():
    return {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "pid": os.getpid()}
def connect(port):
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return "connected"
    except OSError as exc:
        return type(exc).__name__
def exists(path):
    return os.path.exists(path)
def optimizer_step():
    w = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.SGD([w], lr=0.5)
    (w * torch.tensor([1.0, 3.0])).sum().backward()
    optimizer.step()
    return w.detach()
def warmed_up():
    return "torch._dynamo" in sys.modules
def exit_with(status):
    os._exit(status)
def listdir(path):
    return sorted(os.listdir(path))
def environment():
    # Two views that work as nobody (/proc/self/environ is root's: the process started as root):
    # Python's os.environ and the C library's environ, which a child process would inherit.
    import ctypes
    c_environ = ctypes.POINTER(ctypes.c_char_p).in_dll(ctypes.CDLL(None), "environ")
    entries = []
    while c_environ[len(entries)] is not None:
        entries.append(c_environ[len(entries)].decode("utf-8", "replace"))
    return [dict(os.environ), entries]
def import_suite():
    import autograder.suites.selftest.probes
    return "imported"
def detach(marker):
    import subprocess
    subprocess.Popen(["sleep", marker], start_new_session=True)
    return 1
def fork_storm(n, marker):
    started = 0
    for _ in range(n):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            os.execv("/bin/sleep", ["sleep", marker])
        started += 1
    return started
def open_files(n):
    files = []
    try:
        for _ in range(n):
            files.append(open(os.devnull))
    except OSError:
        pass
    return len(files)
def threads():
    return torch.get_num_threads()
def limits():
    import resource
    names = ["AS", "FSIZE", "CORE", "CPU", "NOFILE", "NPROC"]
    return {n: list(resource.getrlimit(getattr(resource, "RLIMIT_" + n))) for n in names}
import torch
GREEDY = torch.set_num_threads(64)
"""


@pytest.fixture(scope="module")
def worker():
    os.environ[SECRET_ENV] = "hunter2"  # the grader's environment must not reach student code
    try:
        with Worker() as w:
            yield w
    finally:
        del os.environ[SECRET_ENV]


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
    left = subprocess.run(["pgrep", "-f", "sleep 303.25"], capture_output=True, text=True)
    assert left.stdout.strip() == ""


def _left(marker: str) -> str:
    return subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.strip()


def test_confinement_level_is_reported(worker):
    _run(worker, "add", [1, 1])
    if os.geteuid() == 0:
        assert (worker.isolation, worker.note) == (jail.NAMESPACES, "")
    else:
        assert worker.isolation == jail.NONE and "did not run as root" in worker.note


def test_the_graders_environment_is_not_passed_on(worker):
    env, entries = _run(worker, "environment").value
    assert env and entries, "the probe saw no environment at all: nothing was checked"
    assert env["OMP_NUM_THREADS"] == "1" and "OMP_NUM_THREADS=1" in entries  # the worker's own
    assert SECRET_ENV not in env and "hunter2" not in " ".join(env.values())
    assert not [e for e in entries if SECRET_ENV in e or "hunter2" in e]


def test_threads_stay_pinned_whatever_the_submission_asks(worker):
    assert _run(worker, "threads").value == 1


def test_resource_limits_are_set(worker):
    got = _run(worker, "limits", timeout=5.0).value
    assert got["AS"] == [3072 * 2**20] * 2 and got["FSIZE"] == [MAX_OUTPUT_FILE] * 2
    assert got["CORE"] == [0, 0] and got["CPU"] == [7, 7]  # the probe's timeout + 2 s
    assert got["NOFILE"] == [MAX_OPEN_FILES] * 2
    if os.geteuid() == 0:  # counted per user: set only for nobody
        assert got["NPROC"] == [MAX_PROCESSES] * 2


def test_open_files_are_capped(worker):
    assert MAX_OPEN_FILES - 10 < _run(worker, "open_files", [1000]).value < MAX_OPEN_FILES


@ROOT_ONLY
def test_student_code_runs_as_nobody_in_its_own_pid_namespace(worker):
    got = _run(worker, "who").value
    assert got == {"uid": 65534, "gid": 65534, "groups": [], "pid": 1}


@ROOT_ONLY
def test_student_code_has_no_network(worker):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        assert _run(worker, "connect", [listener.getsockname()[1]]).value == "OSError"
        with pytest.raises(BlockingIOError):
            listener.accept()


@ROOT_ONLY
def test_the_repository_and_grader_files_are_not_visible(worker, tmp_path):
    assert _run(worker, "exists", [str(tmp_path)]).value is False  # e.g. other submissions
    for hidden in (jail.SUITES_DIR, os.path.join(jail.REPO_ROOT, "solutions"), jail.REPO_ROOT
                   + "/grading.yml"):  # fmt: skip
        assert _run(worker, "exists", [hidden]).value is False, hidden
    # A fresh, private /tmp: empty, but for the way to a visible path (a venv under /tmp).
    via_tmp = {p.split("/")[2] for p in jail.visible_paths() if p.startswith("/tmp/")}
    assert sorted(_run(worker, "listdir", ["/tmp"]).value) == sorted(via_tmp)
    assert _run(worker, "listdir", ["/proc"]).value[0] == "1"  # only its own processes


@ROOT_ONLY
def test_the_hidden_suite_cannot_be_imported(worker):
    reply = _run(worker, "import_suite")
    assert not reply.ok and "ModuleNotFoundError" in reply.message


@ROOT_ONLY
def test_detached_processes_die_with_the_probe(worker):
    assert _run(worker, "detach", ["301.5"]).value == 1
    assert _left("sleep 301.5") == ""


@ROOT_ONLY
def test_fork_storm_stops_at_the_process_cap_and_leaves_nothing(worker):
    started = _run(worker, "fork_storm", [300, "302.5"], timeout=20).value
    assert MAX_PROCESSES // 2 < started < MAX_PROCESSES
    assert _left("sleep 302.5") == ""


def test_visible_paths_never_hold_the_repository():
    paths = jail.visible_paths()
    assert not [p for p in paths if jail._inside(jail.REPO_ROOT, p)]
    assert any(jail._inside(os.__file__, p) for p in paths)  # the standard library is there


def test_statements_compiled_by_the_server_run_as_if_compiled_in_the_child():
    """The server compiles a submission's kept statements once (worker._compiled); the child
    runs them. Same namespace and same errors as compiling in the child, a statement the server
    could not compile is compiled (and reported) by the child, and a repeated program is not
    compiled again."""
    from autograder import worker

    snippets = [
        {"filename": "<cell 1>", "source": "x = 2\ny = 1 / 0\ndef f(a):\n    return a * x\n",
         "keep": [0, 1, 2]},
        {"filename": "<cell 2>", "source": "z = f(3)\nw = undefined\n", "keep": [0, 1]},
    ]  # fmt: skip
    compiled = worker._compiled(snippets)
    assert worker._compiled([dict(s) for s in snippets]) is compiled  # the same program again
    assert all(code is not None for codes in compiled for code in codes)
    plain_ns, plain_errors = worker.load_program(snippets)
    ns, errors = worker.load_program(snippets, compiled)
    assert ns["z"] == plain_ns["z"] == 6 and "y" not in ns
    assert errors == plain_errors and len(errors) == 2
    assert "ZeroDivisionError" in errors[0] and "NameError" in errors[1]
    partly = [list(codes) for codes in compiled]
    partly[1][0] = None  # as if the server had failed to compile `z = f(3)`
    ns, errors = worker.load_program(snippets, partly)
    assert ns["z"] == 6 and errors == plain_errors
    assert worker._compiled(snippets[:1]) is not compiled  # another program: compiled anew


# The server answers probes while a copy of it warms up (worker._Successor), then hands over.


def test_a_first_probe_that_needs_the_warm_up_gets_the_same_answer():
    """The first probe makes an optimizer while the server is still warming up: its child
    stops, the warm copy runs it again from the start, and takes over the protocol."""
    with Worker() as w:
        reply = _run(w, "optimizer_step")
        assert reply.ok, reply.message
        assert torch.equal(reply.value, torch.tensor([0.5, -0.5]))
        assert _run(w, "warmed_up").value is True  # the warm copy answers from now on
        assert _run(w, "add", [1, 2]).value == 3


def test_student_code_exiting_with_the_warm_up_status_is_an_exit_like_any_other():
    """os._exit(NEEDS_WARM_UP) in a cold child makes the warm copy run the probe again, where
    it is an ordinary exit: reported once, no loop, and the next probe is unaffected."""
    with Worker() as w:
        reply = _run(w, "exit_with", [NEEDS_WARM_UP])
        assert not reply.ok
        assert f"exit status {NEEDS_WARM_UP}" in reply.message
        assert _run(w, "add", [2, 2]).value == 4


def test_the_warming_copy_dies_with_the_server(live_processes):
    """SIGKILL of the server alone (its grader would kill the whole group): the copy that
    warms up or serves in its place dies with it, by the parent-death signal."""
    with Worker() as w:
        deadline = time.monotonic() + 60
        while not _run(w, "warmed_up").value:  # until the warm copy serves
            assert time.monotonic() < deadline, "the warm copy never took over"
            time.sleep(0.1)
        server = w._proc.pid

        def group() -> list[int]:
            return [p.pid for p in live_processes() if p.pgrp == server]

        assert len(group()) == 2, "the server and its warm copy"
        os.kill(server, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while group() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert group() == [], "a process of the worker outlived its server"


@ROOT_ONLY
def test_a_killed_servers_jail_directory_is_removed_by_the_grader():
    with Worker() as w:
        _run(w, "add", [1, 1])
        root = w._jail_root
        assert root and os.path.isdir(root)
        os.killpg(w._proc.pid, signal.SIGKILL)  # no chance to remove it itself
    assert not os.path.exists(root)


def test_a_failed_warm_up_leaves_the_server_serving_alone(monkeypatch):
    def broken(torch):
        raise RuntimeError("warm-up failed")

    monkeypatch.setattr(worker_module, "_warm_up", broken)
    monkeypatch.setattr(worker_module.traceback, "print_exc", lambda: None)
    successor = worker_module._Successor(torch, serve_on=lambda pending: None)
    assert not successor.alive  # forked at the first request only
    successor.start()
    assert successor.alive
    assert successor.wait_warm() is False
    assert not successor.alive  # reaped: the server serves on alone, children unhooked
    assert successor.ready(0) is False
