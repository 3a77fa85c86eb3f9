"""The student bundle (released folder only) works standalone from a clean directory."""

from __future__ import annotations

import ast
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
    """The untouched release (on the short training budget) runs cleanly up to the first stub,
    which raises NotImplementedError."""
    _, path = _bundle(tmp_path, assignment)
    _shorten_training(path, assignment)
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


# The completed notebooks train for a short budget here (the test's own edit of the copy it runs;
# students' notebooks are unchanged): every cell still runs, on fewer steps. Each line must be in
# the notebook exactly once, so a changed training cell fails here instead of training in full.
TRAINING_BUDGET = {
    "01_lstm_classifier": {
        "N_EPOCHS = 8": "N_EPOCHS = 1",
        'rnn_pairs = random.sample(splits["train"], k=len(splits["train"]))': (
            'rnn_pairs = random.sample(splits["train"], k=1000)'  # the baseline RNN's one pass
        ),
    },
    "02_sequence_tagger": {"N_STEPS = 100": "N_STEPS = 20"},
    "03_name_generator": {
        "N_STEPS = 3000": "N_STEPS = 150",
        "LR_DROP_AT = 2250": "LR_DROP_AT = 100",
        "EVAL_EVERY = 250": "EVAL_EVERY = 50",
    },
    "04_seq2seq": {
        "N_STEPS = 700": "N_STEPS = 40",
        "LR_DROP_AT = 550": "LR_DROP_AT = 30",
        "EVAL_EVERY = 100": "EVAL_EVERY = 20",
    },
}


def _shorten_training(path: Path, assignment: str) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for old, new in TRAINING_BUDGET[assignment].items():
        hits = [
            (cell, i)
            for cell in nb["cells"]
            if cell["cell_type"] == "code"
            for i, line in enumerate(_lines(cell))
            if line.split("#")[0].strip() == old
        ]
        assert len(hits) == 1, f"{assignment}: `{old}` should be on one line of the notebook"
        cell, i = hits[0]
        lines = _lines(cell)
        lines[i] = lines[i].replace(old, new)
        cell["source"] = "".join(lines)
    path.write_text(json.dumps(nb), encoding="utf-8")


def _lines(cell) -> list[str]:
    source = cell["source"]
    return ("".join(source) if isinstance(source, list) else source).splitlines(keepends=True)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_completed_notebook_runs_standalone(tmp_path, assignment):
    """With the answers filled in, the whole notebook runs cleanly from a bare folder (on a
    short training budget)."""
    filled = ROOT / "examples" / "submitted" / "reference" / assignment
    (source,) = filled.glob("*.ipynb")
    _, path = _bundle(tmp_path, assignment, notebook_from=source)
    _shorten_training(path, assignment)
    nb = _execute(path, allow_errors=False)
    assert not _errors(nb)
    released = load_config().assignment(assignment).released_notebook
    expected = _confirmations(json.loads(released.read_text(encoding="utf-8")))
    assert expected, "the visible checks print no confirmations: nothing to check"
    printed = _printed_lines(nb)
    missing = [
        (check, line)
        for check, lines in expected.items()
        for line in lines
        if not any(out.startswith(line) for out in printed.get(check, []))
    ]
    assert not missing, f"visible checks that did not print their confirmation: {missing}"


def _check_id(cell) -> str:
    return cell["metadata"].get("nbgrader", {}).get("grade_id", "")


def _confirmations(nb: dict) -> dict[str, list[str]]:
    """For each visible check cell (a provided cell with a grade id), the fixed start of every
    ``print("ok: ...")`` in it: what it prints when its checks pass."""
    found = {}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] != "code" or meta.get("solution") or not _check_id(cell):
            continue
        lines = [_fixed_start(call) for call in _print_calls("".join(cell["source"]))]
        if lines := [text for text in lines if text.startswith("ok")]:
            found[_check_id(cell)] = lines
    return found


def _print_calls(source: str) -> list[ast.Call]:
    code = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.split("\n"))
    return [
        node
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print" and node.args
    ]


def _fixed_start(call: ast.Call) -> str:
    """The literal text a print's first argument starts with (up to an f-string's first field)."""
    first = call.args[0]
    if isinstance(first, ast.JoinedStr):
        first = first.values[0] if first.values else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""


def _printed_lines(nb) -> dict[str, list[str]]:
    """Each check cell's printed text (stdout streams only: no images, no rich outputs)."""
    printed = {}
    for cell in nb.cells:
        text = "".join(
            o.get("text", "")
            for o in cell.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stdout"
        )
        printed.setdefault(_check_id(cell), []).extend(text.splitlines())
    return printed
