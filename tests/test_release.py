"""Released notebooks are exactly nbgrader's output, and leak no solution and no hidden test."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

from autograder.config import load_config
from autograder.release import release

ROOT = Path(__file__).resolve().parent.parent

ASSIGNMENTS = sorted(load_config().assignments)
LEAKS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """A fresh nbgrader release of every assignment, in a throw-away copy of the course."""
    course = tmp_path_factory.mktemp("course")
    for name in ("solutions", "datasets"):
        shutil.copytree(ROOT / name, course / name, symlinks=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for assignment in ASSIGNMENTS:
        release(assignment, course_root=course)
    return course


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_files_are_exactly_what_nbgrader_generates(regenerated, assignment):
    ours = ROOT / "assignments" / assignment
    fresh = regenerated / "assignments" / assignment
    names = sorted(p.name for p in fresh.iterdir())
    assert sorted(p.name for p in ours.iterdir()) == names
    for name in names:
        if name.endswith(".ipynb"):
            assert json.loads((ours / name).read_text()) == json.loads(
                (fresh / name).read_text()
            ), (
                f"assignments/{assignment}/{name} differs from nbgrader's output: run "
                f"python -m autograder release {assignment}"
            )
        else:
            assert (ours / name).read_bytes() == (fresh / name).read_bytes(), name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_leaks_no_solution_and_no_hidden_test(assignment):
    a = load_config().assignment(assignment)
    text = a.released_notebook.read_text()
    assert not [m for m in LEAKS if m in text]
    source = json.loads((ROOT / "solutions" / assignment / a.notebook).read_text())
    released = json.loads(text)
    solution_lines, other_lines = set(), set()
    for cell in source["cells"]:
        inside = False
        for line in "".join(cell["source"]).splitlines():
            if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                inside = "BEGIN" in line
            elif line.strip():
                (solution_lines if inside else other_lines).add(line.strip())
    # A solution line that appears nowhere else in the source must not appear in the release.
    released_lines = {
        line.strip() for c in released["cells"] for line in "".join(c["source"]).splitlines()
    }
    leaked = sorted((solution_lines - other_lines) & released_lines)
    assert not leaked, f"solution lines in the release: {leaked[:3]}"
    assert "NotImplementedError" in text and len(released["cells"]) == len(source["cells"])
    for path in (ROOT / "assignments" / assignment).iterdir():  # no code beside the notebook
        assert path.suffix in {".ipynb", ".tsv", ".txt", ".csv"}, path.name


# A hidden line shorter than this is an idiom both sides share (`with torch.no_grad():`).
SIGNIFICANT = 30
NOT_SECRET = ("import ", "from ", "def ", "class ", "@", "#")  # signatures the notebook gives
# Reference lines a release may show, with the reason.
SHOWN_ON_PURPOSE = {
    "output, state = self.lstm(self.embed(input_ids), state)": "a03's visible checks use a "
    "stand-in model with NameGenerator's interface",
    "return self.head(output), state": "the same stand-in",
}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_shows_no_line_of_any_hidden_suite(assignment):
    """No significant line of any suite's tests, probes or reference is in the released notebook,
    but for the setup code a reference shares by design (same top-level names: the alphabet, the
    encoder; see test_hidden_reference_agrees_with_the_setup_cell)."""
    released = json.loads(load_config().assignment(assignment).released_notebook.read_text())
    shown = {ln.strip() for c in released["cells"] for ln in "".join(c["source"]).splitlines()}
    provided = _provided_names(released)
    suite_files = sorted((ROOT / "autograder" / "suites").glob("*/*.py"))
    assert len(suite_files) >= 4 * 3, "expected tests, probes and a reference per assignment"
    leaked = []
    for path in suite_files:
        shared = _shared_setup_lines(path, provided) if path.name == "reference.py" else set()
        for line in {ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()}:
            if (
                len(line) >= SIGNIFICANT
                and not line.startswith(NOT_SECRET)
                and line not in shared | SHOWN_ON_PURPOSE.keys()
                and line in shown
            ):
                leaked.append(f"{path.relative_to(ROOT)}: {line}")
    assert not leaked, f"hidden suite lines in the release: {leaked[:3]}"


def _defined_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _provided_names(nb: dict) -> set[str]:
    """Top-level names the notebook's provided (non-answer) code cells define."""
    names = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and not cell["metadata"].get("nbgrader", {}).get("solution"):
            for node in ast.parse("".join(cell["source"])).body:
                names |= _defined_names(node)
    return names


def _shared_setup_lines(path: Path, provided: set[str]) -> set[str]:
    """Lines of the reference's top-level definitions that the notebook also provides."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    shared = set()
    for node in ast.parse(text).body:
        if _defined_names(node) & provided:
            shared |= {ln.strip() for ln in lines[node.lineno - 1 : node.end_lineno]}
    return shared


@pytest.mark.parametrize("folder", ["solutions", "assignments"])
def test_notebooks_are_committed_without_outputs(folder):
    for nb_path in (ROOT / folder).rglob("*.ipynb"):
        nb = json.loads(nb_path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell["outputs"] and cell["execution_count"] is None, nb_path


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_setup_cells_are_locked_and_free_of_file_io(assignment):
    a = load_config().assignment(assignment)
    nb = json.loads(a.released_notebook.read_text())
    setup = [c for c in nb["cells"] if "setup" in c["metadata"].get("tags", [])]
    assert setup, "the grader needs the setup cell"
    for cell in setup:
        assert cell["metadata"]["nbgrader"]["locked"] is True
        assert "open(" not in "".join(cell["source"])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_reference_agrees_with_the_setup_cell(assignment):
    """Constants the hidden reference shares with the notebook's setup cell are identical."""
    import importlib

    a = load_config().assignment(assignment)
    reference = importlib.import_module(f"autograder.suites.{a.suite}.reference")
    nb = json.loads(a.released_notebook.read_text())
    ns: dict = {}
    for cell in nb["cells"]:
        if "setup" in cell["metadata"].get("tags", []):
            exec("".join(cell["source"]), ns)
    shared = [k for k in ns if k.isupper() and hasattr(reference, k)]
    assert shared, "expected shared constants such as the alphabet or the labels"
    for name in shared:
        assert ns[name] == getattr(reference, name), name


def test_assignment_1_labels_are_the_data_sets_languages():
    from autograder.suites.a01_lstm_classifier import reference
    from datasets.surnames import languages

    assert reference.LANGUAGES == languages()
