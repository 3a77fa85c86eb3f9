"""Confinement of the processes that run student code (Linux; the worker's probe children).

With root (CI, Gradescope, a grading server), every probe child is set up like this:

- it is PID 1 of a new PID namespace, so when it ends or is killed the kernel kills every
  process it started, including ones that escaped with ``setsid``;
- it has its own mount, network, IPC and UTS namespaces: no network (only a loopback that is
  down) and a root directory built of read-only binds of the system and Python directories,
  an empty ``/tmp`` and a fresh ``/proc``. The repository (hidden suites, solutions, results)
  and the submissions are simply not there;
- it runs as ``nobody`` with no groups and ``no_new_privs``, so RLIMIT_NPROC caps its processes
  and threads, and it can neither write the grader's files nor signal the grader.

Which of this works is checked once per worker by a trial child (a container without
CAP_SYS_ADMIN allows the user switch but no namespaces). Without root none of it is possible:
the worker reports its level and the grader notes it in the results.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field

NOBODY = 65534
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
SUITES_DIR = os.path.join(os.path.dirname(os.path.realpath(__file__)), "suites")
SYSTEM_DIRS = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
TMP_SIZE = "64m"  # the jail's /tmp and /dev/shm (RAM), freed when the probe ends

# Levels, strongest first.
NAMESPACES = "namespaces"  # user switch + PID/mount/network namespaces + the jail root
USER = "user"  # user switch only (root, but no namespaces)
NONE = "none"  # not root: the grader's own user id, no namespaces

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class Confinement:
    level: str = NONE
    root: str = ""  # mount point of the jail's root (an empty directory of the server's)
    visible: list[str] = field(default_factory=list)  # bound read-only into the jail
    _own_pid_ns: int = -1

    @property
    def note(self) -> str:
        """What is missing, for the results (empty when fully confined)."""
        if self.level == NAMESPACES:
            return ""
        missing = "PID, mount and network namespaces (files readable by all users are visible"
        missing += " to student code, it has network access, and a process it detaches with "
        missing += "setsid is not killed)"
        if self.level == USER:
            return f"Student code ran as nobody but without {missing}."
        why = "was not run as root" if os.geteuid() != 0 else "could not switch users here"
        return (
            f"Student code ran under the grader's own user id (the grader {why}) and without "
            f"{missing}."
        )

    def fork(self) -> int:
        """os.fork(), the child being PID 1 of a new PID namespace when namespaces work."""
        if self.level != NAMESPACES:
            return os.fork()
        _check(_libc.unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)")
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0:  # the server: its later forks go back to its own namespace
                _check(_libc.setns(self._own_pid_ns, CLONE_NEWPID), "setns")
        return pid

    def enter(self) -> None:
        """Child side, still root: new namespaces and the jail root (NAMESPACES level only)."""
        if self.level != NAMESPACES:
            return
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
        _mount("none", "/", None, MS_REC | MS_PRIVATE)  # nothing below leaks to the host
        _build_root(self.root, self.visible)
        os.chroot(self.root)
        os.chdir("/tmp")
        tempfile.tempdir = "/tmp"
        os.environ.update(HOME="/tmp", TMPDIR="/tmp")

    def drop_privileges(self) -> None:
        """Child side, last step: become nobody (when root); no way back, even via setuid files."""
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        if self.level in (NAMESPACES, USER):
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a change of user clears it: set it again

    def close(self) -> None:
        if self._own_pid_ns >= 0:
            os.close(self._own_pid_ns)
            self._own_pid_ns = -1
        if self.root:
            try:
                os.rmdir(self.root)
            except OSError:
                pass


def detect() -> Confinement:
    """The strongest level that works here, verified by a trial child."""
    if os.geteuid() != 0:
        return Confinement(NONE)
    visible = visible_paths()
    conf = Confinement(NAMESPACES, tempfile.mkdtemp(prefix="autograder-jail-"), visible)
    try:
        conf._own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY)
        if _trial(conf):
            return conf
    except OSError:
        pass
    conf.close()
    conf = Confinement(USER, visible=visible)
    return conf if _trial(conf) else Confinement(NONE)


def visible_paths() -> list[str]:
    """System and Python directories to bind into the jail, never one holding the repository
    (a checkout on sys.path, as with an editable install: the modules are imported already)."""
    links = [d for d in SYSTEM_DIRS if os.path.islink(d)]  # /bin -> usr/bin: recreated as links
    paths = set()
    for p in (*SYSTEM_DIRS, sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path):
        if not p or not os.path.isdir(p) or p in links:
            continue
        real, alias = os.path.realpath(p), os.path.abspath(p)
        if _inside(REPO_ROOT, real):
            continue
        paths.add(real)
        if alias != real and not any(_inside(alias, link) for link in links):
            paths.add(alias)  # a path through a symlink: Python uses this spelling
    return sorted(p for p in paths if not any(q != p and _inside(p, q) for q in paths))


def _inside(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _trial(conf: Confinement) -> bool:
    """Fork a child that confines itself and checks Python can still read its directories."""
    pid = conf.fork()
    if pid == 0:
        ok = False
        try:
            conf.enter()
            conf.drop_privileges()
            ok = all(os.access(p, os.R_OK | os.X_OK) for p in conf.visible)
            ok = ok and os.access(os.__file__, os.R_OK)
        except BaseException as exc:  # noqa: BLE001 - to the worker's stderr, for diagnosis
            print(f"confinement level {conf.level} unavailable: {exc!r}", file=sys.stderr)
        finally:
            os._exit(0 if ok else 1)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return False


def _build_root(root: str, visible: list[str]) -> None:
    os.umask(0o022)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    os.mkdir(root + "/tmp")  # first: a visible path under /tmp (a venv there) goes on top
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={TMP_SIZE},mode=1777")
    for path in visible:
        target = root + path
        os.makedirs(target, exist_ok=True)
        _mount(path, target, None, MS_BIND | MS_REC)
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
    # A package installed (not linked) into site-packages brings its hidden suites along.
    if os.path.isdir(root + SUITES_DIR):
        _mount("tmpfs", root + SUITES_DIR, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k")
    os.makedirs(root + "/dev/shm")
    for name in DEVICES:
        open(f"{root}/dev/{name}", "w").close()
        _mount(f"/dev/{name}", f"{root}/dev/{name}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):  # fmt: skip
        os.symlink(target, f"{root}/dev/{name}")
    _mount(root + "/tmp", root + "/dev/shm", None, MS_BIND)
    os.mkdir(root + "/proc")
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)  # our PID ns only
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _mount(source, target, fstype, flags, data=None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(
        _libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
        f"mount {target}",
    )


def _prctl(option: int, value: int) -> None:
    ul = ctypes.c_ulong
    _check(_libc.prctl(ctypes.c_int(option), ul(value), ul(0), ul(0), ul(0)), "prctl")


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
