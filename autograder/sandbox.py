"""Grader-side handle on the worker process (the trusted end of the boundary).

The grader sends a probe request, waits with its own deadline, and decodes the reply as data.
If the worker server itself stops answering, it is killed (its whole process group) and a fresh
one is started for the next probe.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

START_TIMEOUT = 120.0  # importing torch on a loaded machine
GRACE = 10.0  # on top of the probe's own deadline, enforced by the worker server

# The worker's environment is built from scratch: student code must not read the grader's
# (CI tokens and the like). Only what locating programs and libraries needs is passed on.
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "LD_LIBRARY_PATH")
WORKER_ENV = {
    # Small sequential models are fastest on one thread, and parallel graders must not fight.
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_WAIT_POLICY": "PASSIVE",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "MPLBACKEND": "Agg",
}


def _wire():
    """The data codec, imported on first use: it imports torch (about 1.5 s), and the worker
    should start importing its own torch before the grader has finished importing ours."""
    from autograder import wire

    return wire


class WorkerError(RuntimeError):
    """The worker server died or stopped answering (not the student's probe: the server)."""


@dataclass
class ProbeReply:
    ok: bool
    value: Any = None
    message: str = ""
    output: str = ""
    seconds: float = 0.0
    load_errors: list[str] = field(default_factory=list)
    timed_out: bool = False


class Worker:
    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._ready = False
        self._stderr = None
        self._buffer = b""
        self.isolation = ""  # the confinement level the worker reached (see jail.py)
        self.note = ""  # what that level lacks, for the results; empty when fully confined
        self._jail_root = ""  # the server's empty mount point, removed here if it could not

    def run(self, request: dict, timeout: float) -> ProbeReply:
        """Run one probe. Failures of the student's code come back as ok=False replies."""
        self._ensure_started()
        wire = _wire()
        request = {**request, "timeout": timeout}
        try:
            wire.write_frame(self._proc.stdin, wire.dumps(request))
            deadline = time.monotonic() + timeout + GRACE
            header = wire.loads(self._read_frame(deadline))
            payload = self._read_frame(deadline)
        except (OSError, wire.WireError, WorkerError) as exc:
            self.close()
            raise WorkerError(f"the grading worker stopped answering ({exc})") from None
        except BaseException:
            # Interrupted between request and reply (pytest-timeout's backstop, Ctrl-C): the
            # reply still on its way would be read as the answer to the next request. A worker
            # is only reused when every request it got was answered.
            self.close()
            raise
        return _interpret(header, payload, timeout)

    def close(self) -> None:
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        wire = _wire()
        try:
            wire.write_frame(proc.stdin, wire.dumps({"op": "exit"}))
            proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._buffer = b""
        if self._jail_root:  # a server killed above (SIGKILL) could not remove it itself
            try:
                os.rmdir(self._jail_root)  # only ever an empty directory
            except OSError:
                pass
            self._jail_root = ""

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def wait_ready(self) -> None:
        """Start the server if needed and wait for its greeting (raises WorkerError)."""
        self._ensure_started()

    def start(self) -> None:
        """Spawn the server without waiting for it: its torch import overlaps the grader's."""
        if self._proc is not None and self._proc.poll() is None:
            return
        self.close()
        env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        env.update(WORKER_ENV)
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "autograder.worker", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            cwd=tempfile.gettempdir(),
            start_new_session=True,  # one process group: killpg takes the server and children
        )
        self._ready = False

    def _ensure_started(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            self.start()
        if self._ready:
            return
        wire = _wire()
        try:
            ready = wire.loads(self._read_frame(time.monotonic() + START_TIMEOUT))
        except (OSError, wire.WireError, WorkerError) as exc:
            detail = self._stderr_tail()
            self.close()
            raise WorkerError(f"the grading worker did not start ({exc}) {detail}") from None
        if not isinstance(ready, dict) or not ready.get("ready"):
            self.close()
            raise WorkerError("the grading worker sent an unexpected greeting")
        self._ready = True
        self.isolation = str(ready.get("isolation", ""))
        root = str(ready.get("root") or "")
        if os.path.dirname(root) == tempfile.gettempdir() and "autograder-jail-" in root:
            self._jail_root = root
        self.note = str(ready.get("note", ""))

    def _read_frame(self, deadline: float) -> bytes:
        wire = _wire()
        fd = self._proc.stdout.fileno()
        while True:
            if len(self._buffer) >= 8:
                size = int.from_bytes(self._buffer[:8], "big")
                if size > wire.MAX_FRAME_BYTES:
                    raise WorkerError("reply too large")
                if len(self._buffer) >= 8 + size:
                    frame = self._buffer[8 : 8 + size]
                    self._buffer = self._buffer[8 + size :]
                    return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerError("no reply in time")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise WorkerError("worker exited")
                self._buffer += chunk

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()[-2000:].decode("utf-8", "replace")


def _interpret(header: Any, payload: bytes, timeout: float) -> ProbeReply:
    wire = _wire()
    if not isinstance(header, dict):
        raise WorkerError("malformed reply header")
    output = str(header.get("output", ""))
    seconds = float(header.get("seconds", 0.0))
    if header.get("setup_failed"):
        raise WorkerError(f"the sandbox could not be set up: {output.strip()[-300:]}")
    if header.get("timed_out"):
        return ProbeReply(
            False,
            message=f"did not finish within the {timeout:g} s time limit (infinite loop, or far "
            "too much work?)",
            output=output,
            seconds=seconds,
            timed_out=True,
        )
    if header.get("too_big"):
        return ProbeReply(False, message="returned far too much data", output=output)
    if not payload:
        return ProbeReply(
            False,
            message="the process running your code ended without returning a result "
            f"({header.get('exit', 'unknown')}): did your code call os._exit(), crash the "
            "interpreter, or run out of memory?",
            output=output,
            seconds=seconds,
        )
    try:
        body = wire.loads(payload)
    except wire.WireError as exc:
        return ProbeReply(False, message=f"returned malformed data ({exc})", output=output)
    if not isinstance(body, dict):
        return ProbeReply(False, message="returned malformed data", output=output)
    load_errors = body.get("load_errors") or []
    if not isinstance(load_errors, list):
        load_errors = []
    return ProbeReply(
        ok=body.get("ok") is True,
        value=body.get("value"),
        message=str(body.get("message", ""))[:2000],
        output=output,
        seconds=seconds,
        load_errors=[str(e)[:500] for e in load_errors[:20]],
    )
