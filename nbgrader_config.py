"""nbgrader configuration: solutions/ is the source, assignments/ the release.

Release with ``nbgrader generate_assignment ID --force`` (or ``python -m autograder release ID``)
from the repository root; never edit assignments/ by hand.
"""

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
