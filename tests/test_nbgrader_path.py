"""`.venv/bin/nbgrader generate_assignment ID --force` works without the venv on PATH.

nbgrader runs `alembic` from PATH for its gradebook; when that failed it removed the existing
`assignments/<id>/` ("Removing failed assignment"). nbgrader_config.py puts its interpreter's
`bin/` on PATH. Tried exactly as a TA types it, in a throw-away copy of the course (a failure
must never delete the real assignments/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "01_lstm_classifier"


def test_nbgrader_called_by_its_path_without_the_venv_on_path(tmp_path):
    course = tmp_path / "course"
    for name in ("solutions", "datasets", f"assignments/{ASSIGNMENT}"):
        shutil.copytree(ROOT / name, course / name, symlinks=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    nbgrader = Path(sys.executable).parent / "nbgrader"  # .venv/bin/nbgrader, by its path
    path = os.pathsep.join(p for p in ("/usr/local/bin", "/usr/bin", "/bin") if Path(p).is_dir())
    env = {**os.environ, "PATH": path}
    env.pop("VIRTUAL_ENV", None)
    assert shutil.which("alembic", path=path) is None, "an alembic outside the venv hides the bug"
    proc = subprocess.run(
        [str(nbgrader), "generate_assignment", ASSIGNMENT, "--force"],
        cwd=course, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert "Removing failed assignment" not in log and "ERROR" not in log, log[-3000:]
    released = course / "assignments" / ASSIGNMENT
    assert sorted(p.name for p in released.iterdir()) == sorted(
        p.name for p in (ROOT / "assignments" / ASSIGNMENT).iterdir()
    )
    assert (course / "gradebook.db").is_file()
