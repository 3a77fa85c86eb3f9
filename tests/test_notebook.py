"""Reading submissions and choosing what the grader runs (definitions only)."""

from __future__ import annotations

import json

import pytest

from autograder.notebook import Cell, NotebookError, build_program, read_cells


def _kept(program) -> list[str]:
    import ast

    out = []
    for s in program.snippets:
        body = ast.parse(s.source).body
        out += [ast.unparse(body[i]).split("\n")[0] for i in s.keep]
    return out


def test_definitions_are_kept_and_work_is_skipped(make_notebook):
    nb = make_notebook(
        "import torch\nfrom torch import nn\nH = 128\nNAMES = ['a', 'b']\n"
        "criterion = nn.NLLLoss()\nn = len(NAMES)",
        "def f(x):\n    return x\n\nclass M(nn.Module):\n    pass",
        "model = M()\nfor step in range(10**9):\n    pass\nprint('hi')\nf(3)",
    )
    program = build_program(read_cells(nb), [])
    kept = _kept(program)
    assert kept == [
        "import torch", "from torch import nn", "H = 128", "NAMES = ['a', 'b']",
        "criterion = nn.NLLLoss()", "n = len(NAMES)", "def f(x):", "class M(nn.Module):",
    ]  # fmt: skip
    assert len(program.skipped) == 4 and "cell 3, line 1" in program.skipped[0]


def test_syntax_error_costs_only_its_cell(make_notebook):
    nb = make_notebook("def ok():\n    return 1", "def broken(:\n    pass", "X = 2")
    program = build_program(read_cells(nb), [])
    assert _kept(program) == ["def ok():", "X = 2"]
    assert program.errors == ["cell 2, line 1: SyntaxError: invalid syntax"]


def test_magics_and_shell_escapes_are_ignored(make_notebook):
    nb = make_notebook("%matplotlib inline\n!pip install x\ndef f():\n    return 1", "%%bash\nls")
    program = build_program(read_cells(nb), [])
    assert _kept(program) == ["def f():"]
    assert program.errors == []


def test_trusted_setup_runs_first_and_student_copies_are_ignored(make_notebook):
    setup = Cell(1, "A = 1", tags=("setup",))
    nb = make_notebook("A = 1", "A = 2  # edited setup", "def g():\n    return A",
                       metas=[{"tags": ["setup"]}, {"tags": ["setup"]}, {}])  # fmt: skip
    program = build_program(read_cells(nb), [setup])
    assert [s.filename for s in program.snippets] == ["<setup 1>", "<cell 3>"]


def test_nbgrader_test_cells_are_not_run(make_notebook):
    meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}
    nb = make_notebook("def helper():\n    pass", "def f():\n    pass", metas=[meta, {}])
    assert _kept(build_program(read_cells(nb), [])) == ["def f():"]


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"cells": [', "not valid notebook JSON"),
        (b"[1, 2, 3]", "not a Jupyter notebook"),
        (b'{"metadata": {}}', "no cells"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    ],
)
def test_unreadable_files_get_a_clear_message(tmp_path, content, message):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    with pytest.raises(NotebookError, match=message):
        read_cells(path)


def test_huge_notebook_is_refused_without_reading(tmp_path):
    path = tmp_path / "huge.ipynb"
    with open(path, "wb") as f:
        f.truncate(25 * 1024 * 1024)
    with pytest.raises(NotebookError, match="MB"):
        read_cells(path)


def test_old_format_and_missing_metadata_are_tolerated(tmp_path):
    path = tmp_path / "v3.ipynb"
    path.write_text(json.dumps({"worksheets": [{"cells": [
        {"cell_type": "code", "input": ["def f():\n", "    return 1\n"]},
        {"cell_type": "markdown", "source": "hi"},
        "garbage",
    ]}]}))  # fmt: skip
    cells = read_cells(path)
    assert len(cells) == 1 and cells[0].source.startswith("def f")
