"""nbgrader configuration: solutions/ is the source, assignments/ the release.

Release with ``nbgrader generate_assignment ID --force`` (or ``python -m autograder release ID``)
from the repository root; never edit assignments/ by hand.
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - injected by nbgrader/traitlets

ROOT = Path(__file__).resolve().parent
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# The gradebook holds per-course state (students, grades); it is not part of the repo.
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'gradebook.db'}"

# nbgrader runs `alembic` from PATH for its gradebook; called by its path without the venv on
# PATH (`.venv/bin/nbgrader ...`), it fails there and then deletes the release it was making.
# The `alembic` that belongs to this nbgrader sits next to the interpreter running it.
_BIN = os.path.dirname(sys.executable)  # not resolved: a venv's python is often a symlink
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join(filter(None, [_BIN, os.environ.get("PATH")]))

# `nbgrader autograde` grades with the sandboxed autograder (autograder/nbgrader_bridge.py)
# instead of running the notebook in a kernel: the hidden suites never run in the student's
# kernel, and stderr, odd last values or a crashing kernel cannot change a score. The other
# steps are nbgrader's defaults, in nbgrader's order.
c.Autograde.autograde_preprocessors = [
    "autograder.nbgrader_bridge.GradeWithAutograder",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# A grade cell the student deleted comes back from the gradebook and is graded as usual.
c.OverwriteCells.add_missing_cells = True
