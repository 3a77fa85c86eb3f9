#!/usr/bin/env python3
"""The two commands of the quick start; needs only Python 3.11 (stdlib).

    python3 dev.py examples   # set up .venv, grade the bundled example submissions, print scores
    python3 dev.py test       # set up .venv, lint, run the whole test suite
    python3 dev.py setup      # only set up .venv (.ci/run does this while it installs a browser)

Setup is idempotent: the virtual environment is (re)installed only when pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".rnn-week-installed"


def setup() -> None:
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"Python 3.11 is required (this is {sys.version.split()[0]})")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PY.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing dependencies into .venv (first time: about a minute) ...", flush=True)
    run([PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-e", f"{ROOT}[data,dev]"])  # fmt: skip
    STAMP.write_text(wanted + "\n")


def run(cmd: list, **kwargs) -> None:
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT, **kwargs)
    if code != 0:
        sys.exit(code)


def main() -> None:
    commands = {"examples", "test", "setup"}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    setup()
    if sys.argv[1] == "setup":
        return
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if sys.argv[1] == "examples":
        run([PY, "-m", "autograder", "examples", *sys.argv[2:]], env=env)
    else:
        run([PY, "-m", "ruff", "check", "."], env=env)
        run([PY, "-m", "ruff", "format", "--check", "."], env=env)
        args = sys.argv[2:]
        if not any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args):
            # Tests in parallel (pytest-xdist); tests/conftest.py groups them so that a
            # module-scoped batch grades once, and starts the longest groups first.
            jobs = min(4, os.cpu_count() or 1)
            args = ["-n", str(jobs), "--dist", "loadscope", *args]
        run([PY, "-m", "pytest", *args], env=env)


if __name__ == "__main__":
    main()
