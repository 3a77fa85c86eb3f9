"""The worker: the only process where student code runs (untrusted side of the boundary).

``python -I -m autograder.worker`` starts a small server that imports torch once and then, for
every probe request, forks a fresh child. The child confines itself (``jail``: with root, its
own PID, mount and network namespaces, a root directory without the repository, user nobody),
applies resource limits, runs the trusted setup code and the student's definitions, calls one
named probe from the hidden suite's ``probes`` module, and writes the probe's return value --
plain data -- back through a pipe. A fresh child per probe means every test starts from the
same clean, seeded state, and a crash, hang or exit costs one probe only.

This server never runs student code itself; it only forwards what a child wrote, unparsed, to
the grader, which decodes and checks it. Protocol: length-prefixed frames (see ``wire``). It
answers as soon as torch is loaded; the rest of its warm-up happens in a copy that takes over
once warm (``_Successor``).
"""

from __future__ import annotations

import ast
import builtins
import gc
import importlib
import linecache
import os
import random
import resource
import select
import signal
import sys
import tempfile
import time
import traceback

from autograder import jail, probing
from autograder.probing import ProbeFailure

OUTPUT_HEAD = 3000
OUTPUT_TAIL = 3000
MAX_OUTPUT_FILE = 64 * 1024 * 1024  # RLIMIT_FSIZE: printing gigabytes fails instead of filling disk
MAX_RESULT_BYTES = 64 * 1024 * 1024
MAX_PROCESSES = 128  # RLIMIT_NPROC of nobody: processes and threads (a fork storm stops here)
MAX_OPEN_FILES = 256
SUITES = "autograder.suites"  # the hidden suites' package
SETUP_FAILED = 71  # exit status of a child whose confinement could not be set up
NEEDS_WARM_UP = 72  # exit status of a child of a cold server that began importing torch._dynamo
# Imported once here so that a notebook's `import matplotlib.pyplot` costs nothing per probe.
PRELOAD = ("numpy", "matplotlib", "matplotlib.pyplot")
# suite -> probe -> the student names it tests (their reference objects are hidden from it)
TESTED: dict[str, dict[str, set[str]]] = {}


def main() -> None:
    _die_with_grader()
    proto_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed by libraries goes to stderr, never into the protocol
    # Unbuffered: nothing is read ahead of the current request, so that the successor (below)
    # goes on reading exactly where this process stopped.
    proto_in = os.fdopen(0, "rb", buffering=0)
    import torch

    from autograder import wire

    torch.set_num_threads(1)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    conf = jail.detect()
    _settle()
    greeting = {"ready": True, "pid": os.getpid(), "isolation": conf.level, "note": conf.note,
                "root": conf.root}  # fmt: skip
    wire.write_frame(proto_out, wire.dumps(greeting))

    def serve_on(pending: bytes | None) -> None:  # the successor, after the takeover
        try:
            _serve(proto_in, proto_out, conf, None, pending)
        finally:
            conf.close()

    successor = _Successor(torch, serve_on)  # not started yet
    try:
        _serve(proto_in, proto_out, conf, successor)
    finally:
        successor.close()
        conf.close()
    # Skip the interpreter's teardown (about 0.2 s with torch loaded): the grader waits for it.
    os._exit(0)


def _settle() -> None:
    """Make what is loaded so far cheap to fork from."""
    # torch's imports read 36,000 source lines into linecache; freeing them in every child
    # (which must not keep the grader's source) took 4 ms a probe. Nothing here needs them.
    linecache.clearcache()
    # Every child runs gc.collect() to free the reference it must not see (probing.
    # hide_references). Without this, that collection walks every object torch and matplotlib
    # made (about 1 s per probe on a loaded machine, measured) and copies their pages on write.
    # Frozen objects are never collected again, so freeze before any suite module is imported:
    # the references must stay collectable. (No gc.collect() first: it found 15 garbage objects
    # among 330,000 and took 0.15 s of every worker's start, measured.)
    gc.freeze()


class _Successor:
    """The warm-up (``_warm_up``: mostly importing torch._dynamo, which takes as long as
    importing torch) runs in a forked copy of this server while this one already serves
    probes. Once warm, the copy takes over the protocol and this process only waits for it to
    end. A probe that needs the warm-up before then (its child starts importing torch._dynamo)
    stops at once and is run again, from the start, by the warm copy. Every child is still a
    fresh fork of a server that never ran student code. If the copy fails, this process
    serves on alone and its children import what they need."""

    def __init__(self, torch, serve_on) -> None:
        self.pid = 0
        self._warm = False
        self._torch, self._serve_on = torch, serve_on
        self._started = False

    def start(self) -> None:
        """Fork the copy (once): at the first request, so that a worker that is never asked
        anything (a notebook that cannot be read) spends no second warming up."""
        if self._started:
            return
        self._started = True
        torch, serve_on = self._torch, self._serve_on
        self._warm_r, warm_w = os.pipe()
        go_r, self._go_w = os.pipe()
        server = os.getpid()
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                os.close(self._warm_r)
                os.close(self._go_w)
                jail._prctl(jail.PR_SET_PDEATHSIG, signal.SIGKILL)  # dies with the server
                if os.getppid() != server:
                    os._exit(1)
                _warm_up(torch)
                _settle()
                os.write(warm_w, b"w")
                os.close(warm_w)
                with os.fdopen(go_r, "rb") as go:
                    word = go.read(1)
                    size = int.from_bytes(go.read(8) or b"\0", "big") if word == b"g" else 0
                    pending = go.read(size) if size else None
                if word == b"g":  # else the server ended first
                    serve_on(pending)
                status = 0
            except BaseException:  # noqa: BLE001 - the server then serves on alone
                traceback.print_exc()
            finally:
                os._exit(status)
        self.pid = pid
        os.close(warm_w)
        os.close(go_r)

    @property
    def alive(self) -> bool:
        return self.pid > 0

    def ready(self, request_fd: int) -> bool:
        """Wait for the next request or for the warm copy, whichever comes first: True when the
        copy is warm and no byte of the next request has been read."""
        if self.pid <= 0:
            return False
        readable, _, _ = select.select([self._warm_r, request_fd], [], [])
        return self._warm_r in readable and self.wait_warm()

    def wait_warm(self) -> bool:
        """Block until the copy is warm (True) or has failed (False; it is gone then)."""
        if self.pid > 0 and not self._warm:
            self._warm = os.read(self._warm_r, 1) == b"w"
            if not self._warm:
                self.close()
        return self._warm

    def take_over(self, pending: bytes | None = None) -> None:
        """Hand the protocol (and a request already read, to be run first) to the warm copy,
        wait for its end, and end with it."""
        pending = pending or b""
        message = b"g" + len(pending).to_bytes(8, "big") + pending
        while message:
            message = message[os.write(self._go_w, message) :]
        os.close(self._go_w)
        _, status = os.waitpid(self.pid, 0)
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)

    def close(self) -> None:
        """Stop a copy that has not taken over (it is warming, or waiting for the word)."""
        if self.pid <= 0:
            return
        pid, self.pid = self.pid, 0
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        for fd in (self._warm_r, self._go_w):
            try:
                os.close(fd)
            except OSError:
                pass


def _serve(
    proto_in,
    proto_out,
    conf: jail.Confinement,
    successor: _Successor | None,
    pending: bytes | None = None,
) -> None:
    """Answer probe requests (``pending`` first, if any) until the grader says exit or closes
    the pipe. With a ``successor`` still warming, hand over to it as soon as it is warm."""
    from autograder import wire

    while True:
        if pending is not None:
            frame, pending = pending, None
        else:
            if successor is not None and successor.ready(proto_in.fileno()):
                successor.take_over()  # does not return
            frame = wire.read_frame(proto_in)
        if frame is None:
            return
        request = wire.loads(frame)
        if request.get("op") == "exit":
            return
        if successor is not None:
            successor.start()
        # The suite's probes are trusted; importing them here, while the hidden suite is
        # still readable, saves the work in every child (which cannot see it any more).
        probes = importlib.import_module(f"{SUITES}.{request['suite']}.probes")
        if request["suite"] not in TESTED:
            TESTED[request["suite"]] = probing.tested_names(probes)
            linecache.clearcache()  # the probes' source, read by tested_names
        request["compiled"] = _compiled(request["program"])
        # Listed here: a child that iterates sys.modules writes the reference count of every
        # module, copying thousands of pages it shares with this server (10 ms a probe).
        request["suite_modules"] = [n for n in sys.modules if n.startswith(SUITES)]
        request["cold"] = successor is not None and successor.alive
        header, payload, pid = run_in_child(request, conf)
        if request["cold"] and header["exit"] == f"exit status {NEEDS_WARM_UP}":
            if successor.wait_warm():
                successor.take_over(frame)  # does not return
            request["cold"] = False  # the warm-up failed: this child imports it itself
            header, payload, pid = run_in_child(request, conf)
        # Reply only once everything the probe started is gone: when the grader reads the
        # reply, nothing of the probe runs any more (replying first raced tests of that).
        _reap(pid)
        wire.write_frame(proto_out, wire.dumps(header))
        wire.write_frame(proto_out, payload)


def _die_with_grader() -> None:
    """SIGKILL this server when the grader that started it dies (``sys.argv[1]``: its pid), so
    that a killed grader or batch leaves no worker behind."""
    if len(sys.argv) < 2:
        return
    jail._prctl(jail.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != int(sys.argv[1]):
        os._exit(1)  # the grader died before prctl took effect


def _warm_up(torch) -> None:
    """Pay once, here, for what torch initialises lazily (autograd, the optimizers' first step
    imports torch._dynamo: about a second), instead of in every forked child."""
    layer = torch.nn.LSTM(2, 2)
    for opt in (torch.optim.SGD(layer.parameters(), lr=0.1), torch.optim.Adam(layer.parameters())):
        opt.zero_grad()
        layer(torch.zeros(1, 1, 2))[0].sum().backward()
        opt.step()


def run_in_child(request: dict, conf: jail.Confinement) -> tuple[dict, bytes, int | None]:
    """Fork, run one probe in the child under limits, and collect what it wrote.

    With namespaces the child is PID 1 of its own PID namespace: killing it, or its ending,
    takes every process it started with it, however detached. Returns (header, payload, pid):
    a pid still to be reaped with ``_reap`` when the child sent a complete result (its exit
    status does not matter then), else None (it was waited for: the header says how it ended).
    """
    timeout = float(request["timeout"])
    out = tempfile.TemporaryFile()  # opened here: the confined child can write, not open, it
    r, w = os.pipe()
    start = time.monotonic()
    pid = conf.fork()
    if pid == 0:  # child
        try:
            os.close(r)
            _child(request, w, out.fileno(), conf)
        finally:
            os._exit(70)
    os.close(w)
    payload, timed_out, too_big = _read_until_eof(r, start + timeout)
    os.close(r)
    exit_status = "sent its result"
    if timed_out or too_big or not payload:
        if timed_out or too_big:
            _kill_group(pid)
        exit_status = _describe_status(_reap(pid))
        pid = None
    header = {
        "seconds": round(time.monotonic() - start, 3),
        "output": _head_tail(out),
        "exit": exit_status,
        "setup_failed": exit_status == f"exit status {SETUP_FAILED}",
        "timed_out": timed_out,
        "too_big": too_big,
    }
    out.close()
    return header, payload, pid


def _reap(pid: int | None) -> int:
    """Wait for the probe child, then kill whatever it left running (subprocesses it started;
    with namespaces the kernel has done that already). Returns its wait status."""
    if pid is None:
        return 0
    _, status = os.waitpid(pid, 0)
    _kill_group(pid)
    return status


def _read_until_eof(fd: int, deadline: float) -> tuple[bytes, bool, bool]:
    chunks, size = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), True, False
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), False, False
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_RESULT_BYTES:
            return b"", False, True


def _kill_group(pid: int) -> None:
    for target in (-pid, pid):
        try:
            os.kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(sig).name}"
        except ValueError:
            return f"killed by signal {sig}"
    return f"exit status {os.WEXITSTATUS(status)}"


def _head_tail(f) -> str:
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(0)
    if size <= OUTPUT_HEAD + OUTPUT_TAIL:
        return f.read().decode("utf-8", "replace")
    head = f.read(OUTPUT_HEAD).decode("utf-8", "replace")
    f.seek(size - OUTPUT_TAIL)
    tail = f.read().decode("utf-8", "replace")
    return f"{head}\n[... {size - OUTPUT_HEAD - OUTPUT_TAIL} bytes of output cut ...]\n{tail}"


# --------------------------------------------------------------------------- child side


def _child(request: dict, result_fd: int, out_fd: int, conf: jail.Confinement) -> None:
    if conf.level != jail.NAMESPACES:
        os.setpgid(0, 0)  # its own group, killed as one (with namespaces: the PID namespace)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    keep = result_fd
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)
    try:
        conf.enter()
        _limit(request, conf)
        conf.drop_privileges()
    except BaseException:  # noqa: BLE001 - never run student code half-confined
        traceback.print_exc()
        os._exit(SETUP_FAILED)

    import torch

    from autograder import wire

    seed = int(request["seed"])
    try:
        suite = f"{SUITES}.{request['suite']}"
        probes = importlib.import_module(f"{suite}.probes")
        probe = getattr(probes, request["probe"])
        loaded = request["suite_modules"]
        suite_modules = [sys.modules[n] for n in loaded if n.startswith(suite + ".")]
        tested = TESTED[request["suite"]].get(request["probe"], set())
        probing.hide_references(suite_modules, tested)
        del suite_modules
        _forget_suites(loaded)
        linecache.clearcache()  # no source lines of the grader's files stay in memory
        if request.get("cold"):
            sys.meta_path.insert(0, _StopBeforeWarmUp())
        ns, load_errors = load_program(request["program"], request.get("compiled"))
        torch.set_num_threads(1)  # whatever the submission asked for at import time
        _seed(seed, torch)
        value = probe(ns, **request["kwargs"])
        payload = wire.dumps({"ok": True, "value": value, "load_errors": load_errors})
    except BaseException as exc:  # noqa: BLE001 - everything a student can raise is reported
        payload = wire.dumps({"ok": False, "message": describe_exception(exc)})
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - a full output file must not lose the result
            pass
    with os.fdopen(result_fd, "wb") as result:
        result.write(payload)  # the end of the pipe delimits it
    os._exit(0)


class _StopBeforeWarmUp:
    """In a child of a server still warming up: importing torch._dynamo (an optimizer does)
    would take a second here; the warm server runs the probe again instead (``_Successor``).
    Only a matter of speed: code that removes this finder imports the module itself."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch._dynamo":
            os._exit(NEEDS_WARM_UP)


def _limit(request: dict, conf: jail.Confinement) -> None:
    memory = int(request["memory_mb"]) * 1024 * 1024
    cpu = int(float(request["timeout"])) + 2
    limits = [
        (resource.RLIMIT_AS, memory),
        (resource.RLIMIT_FSIZE, MAX_OUTPUT_FILE),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_NOFILE, MAX_OPEN_FILES),
    ]
    if conf.level != jail.NONE:  # counted per user: only meaningful for nobody, not for a TA
        limits.append((resource.RLIMIT_NPROC, MAX_PROCESSES))
    for which, value in limits:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)  # without root a limit can only be lowered
        resource.setrlimit(which, (value, value))
    # Past RLIMIT_FSIZE a write should fail with an error, not kill the probe silently.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _forget_suites(names: list[str]) -> None:
    """Drop the hidden suites' modules (``names``: all of them, listed by the server) from
    sys.modules, so that student code cannot simply import them (their files are not in the
    jail either). The probe keeps what it uses."""
    for name in names:
        sys.modules.pop(name, None)
    package = sys.modules.get("autograder")
    if package is not None and hasattr(package, "suites"):
        delattr(package, "suites")


def _seed(seed: int, torch) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)


# The last program compiled by the server: a submission's probes all load the same program.
_LAST_COMPILED: tuple[tuple, list[list]] | None = None


def _compiled(snippets: list[dict]) -> list[list]:
    """Each kept statement compiled once here, in the server, for all the probes of a
    submission (parsing and compiling were most of a child's loading time); None where it
    fails, and the child compiles that one itself, reporting the error as before. Compiling
    runs none of the code."""
    global _LAST_COMPILED
    key = tuple((s["filename"], s["source"], tuple(s["keep"])) for s in snippets)
    if _LAST_COMPILED is not None and _LAST_COMPILED[0] == key:
        return _LAST_COMPILED[1]
    compiled = []
    for snip in snippets:
        codes = [None] * len(snip["keep"])
        try:
            tree = ast.parse(snip["source"], filename=snip["filename"])
            for k, i in enumerate(snip["keep"]):
                module = ast.Module(body=[tree.body[i]], type_ignores=[])
                codes[k] = compile(module, snip["filename"], "exec")
        except Exception:  # noqa: BLE001 - the child meets the same error and reports it
            pass
        compiled.append(codes)
    _LAST_COMPILED = key, compiled
    return compiled


def load_program(
    snippets: list[dict], compiled: list[list] | None = None
) -> tuple[dict, list[str]]:
    """Run the kept top-level statements one by one; a failing one does not stop the rest.
    ``compiled``: the statements' code objects made by the server (None: compile here)."""
    ns: dict = {"__name__": "__main__", "__builtins__": builtins}
    errors = []
    for n, snip in enumerate(snippets):
        filename, source = snip["filename"], snip["source"]
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        codes = compiled[n] if compiled is not None else [None] * len(snip["keep"])
        tree = None if all(codes) else ast.parse(source, filename=filename)
        for i, code in zip(snip["keep"], codes):
            try:
                if code is None:
                    code = compile(
                        ast.Module(body=[tree.body[i]], type_ignores=[]), filename, "exec"
                    )
                exec(code, ns)
            except Exception as exc:  # noqa: BLE001
                errors.append(describe_exception(exc))
    return ns, errors


def describe_exception(exc: BaseException) -> str:
    """A student-facing sentence: what was raised and where in *their* code, nothing of ours."""
    if isinstance(exc, ProbeFailure):
        return str(exc)
    where = _student_location(exc)
    if isinstance(exc, NotImplementedError) and where:
        return f"{where[1]} is not implemented yet (it raises NotImplementedError) {where[0]}"
    if isinstance(exc, SystemExit):
        return f"your code called sys.exit({exc.code!r}) {where[0] if where else ''}".strip()
    if isinstance(exc, KeyboardInterrupt):
        return f"your code raised KeyboardInterrupt {where[0] if where else ''}".strip()
    if isinstance(exc, MemoryError) or "can't allocate memory" in str(exc):  # torch's CPU OOM
        return "ran out of memory (the worker's memory limit was reached)"
    text = str(exc).strip().splitlines()
    first = text[0][:300] if text else ""
    message = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return f"{message} {where[0]}" if where else message


def _student_location(exc: BaseException) -> tuple[str, str] | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<cell")]
    if not frames:
        return None
    f = frames[-1]
    line = (f.line or "").strip()
    code = f": `{line[:120]}`" if line else ""
    return f"(at {f.filename.strip('<>')}, line {f.lineno}, in {f.name}{code})", f"`{f.name}`"


if __name__ == "__main__":
    main()
