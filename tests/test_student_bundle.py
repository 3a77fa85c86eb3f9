"""The student bundle (released folder only) works standalone from a clean directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.config import load_config

ROOT = Path(__file__).resolve().parent.parent

ASSIGNMENTS = sorted(load_config().assignments)


def _bundle(tmp_path, assignment: str, notebook_from=None):
    """Copy only the released folder (what students download) into an empty directory."""
    folder = tmp_path / assignment
    shutil.copytree(ROOT / "assignments" / assignment, folder)
    a = load_config().assignment(assignment)
    if notebook_from is not None:
        shutil.copy(notebook_from, folder / a.notebook)
    return folder, folder / a.notebook


def _execute(path, allow_errors: bool):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent)}},
    )  # fmt: skip
    client.execute()
    return nb


def _errors(nb):
    return [
        (i, o["ename"])
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_stub_fails_only_with_not_implemented(tmp_path, assignment):
    """The untouched release runs cleanly up to the first stub, which raises NotImplementedError."""
    _, path = _bundle(tmp_path, assignment)
    nb = _execute(path, allow_errors=True)
    errors = _errors(nb)
    first_answer = min(
        i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")
    )
    assert errors and errors[0][1] == "NotImplementedError", errors
    assert errors[0][0] > first_answer, "a provided cell before the first answer failed"
    # Later cells that use a missing result (e.g. the model the training loop would have made)
    # fail with NameError; anything else would be a bug in a provided cell.
    assert {name for _, name in errors} <= {"NotImplementedError", "NameError"}, errors


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_completed_notebook_runs_standalone(tmp_path, assignment):
    """With the answers filled in, the whole notebook runs cleanly from a bare folder."""
    filled = ROOT / "examples" / "submitted" / "reference" / assignment
    (source,) = filled.glob("*.ipynb")
    _, path = _bundle(tmp_path, assignment, notebook_from=source)
    nb = _execute(path, allow_errors=False)
    assert not _errors(nb)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "ok" in text.lower()  # the visible sanity checks printed their confirmations
