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
    assert [(s.kind, s.line) for s in program.skipped] == [
        ("assignment computed by a call", 1), ("for loop", 2), ("expression or call", 4),
        ("expression or call", 5),
    ]  # fmt: skip
    assert program.skipped[0].cell == "the cell starting `model = M()`"
    assert program.notes() == []  # routine skipping is not a problem worth a note


def test_syntax_error_costs_only_its_cell(make_notebook):
    nb = make_notebook("def ok():\n    return 1", "def broken(:\n    pass", "X = 2")
    program = build_program(read_cells(nb), [])
    assert _kept(program) == ["def ok():", "X = 2"]
    assert program.notes() == [
        "Could not parse the cell starting `def broken(:` (line 1: `def broken(:`): "
        "SyntaxError: invalid syntax"
    ]


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
    assert [s.filename for s in program.snippets] == ["<setup 1>", "<cell starting `def g():`>"]


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


# ------------------------------------------------------------- notes a student can act on
RELEASED = [  # the released notebook: setup, an answer cell (what is graded), a test cell
    Cell(2, "import torch", tags=("setup",)),
    Cell(4, "def predict(x):\n    raise NotImplementedError()", nbgrader={"solution": True}),
    Cell(5, "_y = predict(1)\nassert _y", nbgrader={"grade": True, "solution": False}),
]


def test_a_perfect_notebook_with_training_and_plots_gets_no_note(make_notebook):
    nb = make_notebook(
        "import torch",
        "def predict(x):\n    return x + OFFSET",
        "OFFSET = 3\nmodel = torch.nn.Linear(2, 2)\nfor step in range(100):\n    pass",
        "import matplotlib.pyplot as plt\nplt.plot(losses)\nprint(predict(2))",
        "_y = predict(1)\nassert _y",  # the test cell, metadata dropped by an editor
    )
    program = build_program(read_cells(nb), RELEASED)
    assert [s.text for s in program.skipped] == ["for step in range(100):", "plt.plot(losses)",
                                                 "print(predict(2))"]  # fmt: skip
    assert program.notes() == []
    assert "_y" not in {n for s in program.snippets for n in s.source.split()}  # test cell: ours


def test_a_graded_name_needing_a_skipped_statement_is_explained_by_first_line(make_notebook):
    nb = make_notebook(
        "# my vocabulary\nimport string\nVOCAB = build_vocab(string.ascii_lowercase)",
        "def _encode(x):\n    return VOCAB[x]\n\ndef predict(x):\n    return _encode(x) + SCALE",
        "SCALE = float(input())",
        "def plot_it():\n    return model",  # not graded: needing `model` is fine
        "model = train()",
    )
    notes = build_program(read_cells(nb), RELEASED).notes()
    assert len(notes) == 2, notes
    scale, vocab = notes  # the graded name's own needs first, then its helpers'
    assert vocab.startswith("`_encode` (which `predict` uses) needs `VOCAB`")
    assert "`VOCAB = build_vocab(string.ascii_lowercase)` (line 3 of the cell starting " \
        "`# my vocabulary`)" in vocab  # fmt: skip
    assert scale.startswith("`predict` needs `SCALE`")
    assert "the cell starting `SCALE = float(input())`" in scale
    assert not any("cell 1" in n or "cell 3" in n for n in notes)  # no cell numbers


def test_cells_are_named_by_their_first_line_even_when_two_start_alike(make_notebook):
    nb = make_notebook(
        "\n# helpers\ndef a():\n    return 1", "# helpers\ndef b(:", "# helpers\ndef c():\n    pass"
    )
    program = build_program(read_cells(nb), [])
    assert [s.filename for s in program.snippets] == [
        "<cell starting `# helpers`>", "<cell starting `# helpers` (the 3rd cell starting so)>"
    ]  # fmt: skip
    assert program.errors[0].startswith("the cell starting `# helpers` (the 2nd cell starting so)")


def test_worker_messages_name_the_cell_by_its_first_line(make_notebook):
    """A graded function failing at run time: the message points at its cell and line text."""
    from autograder.sandbox import Worker

    nb = make_notebook(
        "# Part 5\ndef predict(x):\n    y = x * 2\n    return y + VOCAB", "VOCAB = f()"
    )
    program = build_program(read_cells(nb), [])
    request = {
        "suite": "selftest", "probe": "call", "kwargs": {"name": "predict", "args": [1]},
        "program": program.to_wire(), "seed": 0, "memory_mb": 3072,
    }  # fmt: skip
    with Worker() as worker:
        reply = worker.run(request, 30.0)
    assert not reply.ok
    assert "NameError: name 'VOCAB' is not defined" in reply.message
    assert "cell starting `# Part 5`, line 4, in predict: `return y + VOCAB`" in reply.message


def test_a_deep_but_parseable_statement_is_handled(make_notebook):
    """`f(1+1+...+1)` parses into a tree deeper than Python's recursion limit allows to walk."""
    nb = make_notebook("def predict(x):\n    return x", "y = f(" + "+".join(["1"] * 1500) + ")")
    program = build_program(read_cells(nb), RELEASED)
    assert [s.kind for s in program.skipped] == ["assignment computed by a call"]
    assert program.notes() == []
