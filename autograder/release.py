"""Release: ``nbgrader generate_assignment`` from solutions/ into assignments/ (never by hand)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.config import REPO_ROOT


def release(assignment_id: str, course_root: Path = REPO_ROOT) -> Path:
    """Regenerate assignments/<id>/ with nbgrader; returns that folder. Raises on failure."""
    env = dict(os.environ)
    # nbgrader shells out to `alembic` for its gradebook: it must be on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    nbgrader = shutil.which("nbgrader", path=env["PATH"]) or "nbgrader"
    proc = subprocess.run(
        [nbgrader, "generate_assignment", assignment_id, "--force"],
        cwd=course_root,
        env=env,
        capture_output=True,
        text=True,
    )
    out = course_root / "assignments" / assignment_id
    # nbgrader logs errors but may still exit 0; success means a notebook was written.
    if proc.returncode != 0 or "ERROR" in proc.stderr or not any(out.glob("*.ipynb")):
        raise RuntimeError(f"nbgrader generate_assignment {assignment_id} failed:\n{proc.stderr}")
    return out
