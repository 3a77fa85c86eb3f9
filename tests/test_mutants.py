"""`python -m autograder mutants`: the operators, stable ids, the cell -> problem mapping, the
triage logic and exit status, and one small graded run."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder import mutants as M
from autograder.config import load_config
from autograder.mutants.operators import OPERATORS, cell_edits

ROOT = Path(__file__).resolve().parent.parent
CONFIG = load_config()
ASSIGNMENTS = list(CONFIG.assignments.values())
ASSIGNMENTS = [a for a in ASSIGNMENTS if a.released_notebook.exists()]  # not the self-test


def _norm(code: str) -> str:
    return ast.unparse(ast.parse(textwrap.dedent(code)))


def mutate(code: str, operator: str) -> set[str]:
    """Every mutant of ``code`` by one operator, normalised by ast.unparse."""
    code = textwrap.dedent(code).strip("\n")
    allowed = set(range(1, code.count("\n") + 2))
    return {_norm(e.apply(code)) for e in cell_edits(code, allowed, (operator,))} - {_norm(code)}


def want(*codes: str) -> set[str]:
    return {_norm(c) for c in codes}


# --------------------------------------------------------------------------- operators


def test_swap_index():
    code = """
    def f(h_n, x):
        return h_n[-1] + x[:, 0]
    """
    assert mutate(code, "swap_index") == want(
        "def f(h_n, x):\n    return h_n[0] + x[:, 0]",
        "def f(h_n, x):\n    return h_n[-1] + x[:, 1]",
    )


def test_swap_tuple_swaps_state_unpacking_and_values():
    code = """
    def f(lstm, x):
        _, (h, c) = lstm(x)
        return h
    """
    assert mutate(code, "swap_tuple") == want(
        "def f(lstm, x):\n    (h, c), _ = lstm(x)\n    return h",
        "def f(lstm, x):\n    _, (c, h) = lstm(x)\n    return h",
    )


def test_detach_inserted_where_values_flow_and_removed():
    code = """
    def forward(self, x):
        y = self.lin(x)
        return y.detach()
    """
    assert mutate(code, "detach") == want(
        "def forward(self, x):\n    y = self.lin(x).detach()\n    return y.detach()",
        "def forward(self, x):\n    y = self.lin(x.detach())\n    return y.detach()",
        "def forward(self, x):\n    y = self.lin(x)\n    return y",
    )


def test_detach_not_inserted_under_no_grad_nor_on_unpacked_tuples():
    code = """
    def f(model, x):
        out, state = model(x)
        with torch.no_grad():
            y = model(x)
        return out
    """
    assert mutate(code, "detach") == want(
        "def f(model, x):\n    out, state = model(x.detach())\n    with torch.no_grad():\n"
        "        y = model(x)\n    return out",
        "def f(model, x):\n    out, state = model(x)\n    with torch.no_grad():\n"
        "        y = model(x)\n    return out.detach()",
    )


def test_softmax_swapped_and_removed():
    assert mutate("y = F.log_softmax(z, dim=-1)", "softmax") == want(
        "y = F.softmax(z, dim=-1)", "y = z"
    )
    assert mutate("y = z.softmax(-1)", "softmax") == want("y = z.log_softmax(-1)", "y = z")


def test_dim_keyword_and_positional():
    assert mutate("y = x.sum(dim=1)", "dim") == want("y = x.sum(dim=0)")
    assert mutate("y = x.argmax(-1)", "dim") == want("y = x.argmax(0)")
    assert mutate("y = torch.cat(xs, dim=0)", "dim") == want("y = torch.cat(xs, dim=1)")
    assert mutate("y = torch.cat(xs, 0)", "dim") == want("y = torch.cat(xs, 1)")


def test_off_by_one_in_slices_and_ranges():
    assert mutate("y = x[t : t + 1]", "off_by_one") == want(
        "y = x[t + 1 : t + 1]", "y = x[t - 1 : t + 1]", "y = x[t : t + 2]", "y = x[t : t]"
    )
    assert mutate("for t in range(n):\n    pass", "off_by_one") == want(
        "for t in range(n + 1):\n    pass", "for t in range(n - 1):\n    pass"
    )


def test_reduction_mean_sum():
    assert mutate('l = F.cross_entropy(a, b, reduction="sum")', "reduction") == want(
        'l = F.cross_entropy(a, b, reduction="mean")'
    )
    assert mutate("l = x.mean()", "reduction") == want("l = x.sum()")


def test_drop_call_drops_training_calls_and_no_grad():
    code = """
    def step(model, optimizer):
        model.eval()
        optimizer.zero_grad()
        with torch.no_grad():
            y = model(1)  # kept
            z = y
        optimizer.step()
        return z
    """
    got = mutate(code, "drop_call")
    assert got == want(
        "def step(model, optimizer):\n    optimizer.zero_grad()\n    with torch.no_grad():\n"
        "        y = model(1)\n        z = y\n    optimizer.step()\n    return z",
        "def step(model, optimizer):\n    model.eval()\n    with torch.no_grad():\n"
        "        y = model(1)\n        z = y\n    optimizer.step()\n    return z",
        "def step(model, optimizer):\n    model.eval()\n    optimizer.zero_grad()\n"
        "    y = model(1)\n    z = y\n    optimizer.step()\n    return z",
        "def step(model, optimizer):\n    model.eval()\n    optimizer.zero_grad()\n"
        "    with torch.no_grad():\n        y = model(1)\n        z = y\n    return z",
    )
    # the unwrapped body keeps its comments: only the `with` line goes
    code = textwrap.dedent(code).strip("\n")
    edits = list(cell_edits(code, set(range(1, 10)), ("drop_call",)))
    unwrapped = [e.apply(code) for e in edits if "no_grad" not in e.apply(code)]
    assert unwrapped and "    y = model(1)  # kept\n    z = y\n" in unwrapped[0]


def test_swap_args_of_the_same_kind_only():
    assert mutate("l = F.nll_loss(log_probs, targets)", "swap_args") == want(
        "l = F.nll_loss(targets, log_probs)"
    )
    assert mutate("y = f(x, 1)", "swap_args") == set()
    assert mutate("y = f(x, x)", "swap_args") == set()  # unchanged code is no mutant


def test_replace_name_uses_the_local_bound_most_recently_before():
    code = """
    def f(a, b):
        c = a + 1
        return c * b
    """
    assert mutate(code, "replace_name") == want(
        "def f(a, b):\n    c = b + 1\n    return c * b",
        "def f(a, b):\n    c = a + 1\n    return b * b",
        "def f(a, b):\n    c = a + 1\n    return c * c",
    )


def test_delete_statement_keeps_docstrings_and_blocks():
    code = '''
    def f(x):
        """doc"""
        y = x + 1
        if y:
            return y
        return x
    '''
    assert mutate(code, "delete_statement") == want(
        'def f(x):\n    """doc"""\n    if y:\n        return y\n    return x',
        'def f(x):\n    """doc"""\n    y = x + 1\n    return x',
        'def f(x):\n    """doc"""\n    y = x + 1\n    if y:\n        pass\n    return x',
        'def f(x):\n    """doc"""\n    y = x + 1\n    if y:\n        return y',
    )


def test_flip_comparison():
    assert mutate("while len(name) < n:\n    pass", "flip_comparison") == want(
        "while len(name) >= n:\n    pass", "while len(name) <= n:\n    pass"
    )
    assert mutate("if not names:\n    pass", "flip_comparison") == want("if names:\n    pass")
    assert mutate("if a == b:\n    pass\nelif a != c:\n    pass", "flip_comparison") == want(
        "if a != b:\n    pass\nelif a != c:\n    pass",
        "if a == b:\n    pass\nelif a == c:\n    pass",
    )


def test_only_solution_lines_are_mutated():
    code = "def f(x: int = 0):\n    return x[0]"
    assert not list(cell_edits(code, {1}, OPERATORS))  # only the signature line is allowed
    assert list(cell_edits(code, {2}, ("swap_index",)))


def test_a_mutant_changes_only_its_statement_and_keeps_comments():
    cell = M.AnswerCell(
        "x_answer", "x", "def f(h_n):\n    # note\n    y = h_n[-1]  # last\n    return y", {3, 4}
    )
    (m,) = M._cell_mutants(cell, ("swap_index",))
    assert m.edits[0][2] == "def f(h_n):\n    # note\n    y = h_n[0]  # last\n    return y"
    assert "-    y = h_n[-1]  # last\n+    y = h_n[0]  # last" in m.diff


def test_mutants_that_do_not_compile_are_skipped():
    # deleting the only `yield` is fine, deleting a `nonlocal` is never tried; a `break` moved
    # out of its loop cannot happen by one operator, so force it through the filter directly
    cell = M.AnswerCell("x_answer", "x", "def f():\n    for t in range(3):\n        break", {2, 3})
    for m in M._cell_mutants(cell, OPERATORS):
        compile(m.edits[0][2], "m", "exec")


# --------------------------------------------------------------------------- determinism, ids


def test_generation_is_deterministic_with_unique_ids():
    a1 = CONFIG.assignment("01_lstm_classifier")
    first, second = M.generate(a1), M.generate(a1)
    assert [(m.id, m.diff) for m in first] == [(m.id, m.diff) for m in second]
    assert len({m.id for m in first}) == len(first) > 50
    assert {m.operator for m in first} >= {
        "drop_call", "detach", "softmax", "dim", "swap_index", "swap_tuple", "off_by_one",
        "swap_args", "replace_name", "flip_comparison", "delete_statement",
    }  # fmt: skip


def test_ids_survive_edits_elsewhere_in_the_cell():
    source = "def f(h_n):\n    y = h_n[-1]\n    return y"
    moved = "def f(h_n):\n    # a comment added above\n    y = h_n[-1]\n    return y"
    before = M._cell_mutants(M.AnswerCell("c_answer", "c", source, {2, 3}), OPERATORS)
    after = M._cell_mutants(M.AnswerCell("c_answer", "c", moved, {3, 4}), OPERATORS)
    assert [m.id for m in before] == [m.id for m in after]
    assert before[0].id.startswith(f"{before[0].operator}.c.")


def test_same_change_at_two_places_gets_two_ids():
    source = "def f(x):\n    y = x[0]\n    y = x[0]\n    return y"
    ids = [
        m.id for m in M._cell_mutants(M.AnswerCell("c", "c", source, {2, 3, 4}), ("swap_index",))
    ]
    assert len(ids) == 2 and ids[1] == ids[0] + "-2"


def test_select_spreads_the_limit():
    mutants = M.generate(CONFIG.assignment("01_lstm_classifier"))
    chosen = M.select(mutants, 5)
    assert len(chosen) == 5 and len({m.cells for m in chosen}) >= 4
    assert M.select(mutants, None) == mutants


# --------------------------------------------------------------------------- cells -> problems

# The rule: an answer cell belongs to the problem whose test cell comes next. Where the grade_id
# does not read <problem>_answer, the exception is listed here, so a renamed cell shows up.
NAME_EXCEPTIONS = {("04_seq2seq", "decoder_answer"): "seq2seq"}
BONUS = {"beam_search_answer"}


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)
def test_every_answer_cell_maps_to_its_problem(assignment):
    mapping = M.answer_cell_problems(assignment)
    problems = {p.name for p in assignment.problems}
    assert problems <= set(mapping.values())
    for gid, problem in mapping.items():
        if gid in BONUS:
            assert problem is None, f"{gid} is a bonus cell but maps to {problem}"
            continue
        expected = NAME_EXCEPTIONS.get((assignment.id, gid), gid.removesuffix("_answer"))
        assert problem == expected, f"{assignment.id}: {gid} -> {problem}, expected {expected}"
    bonus_text = {
        c.grade_id: c.source for c in M.read_answer_cells(M.solution_notebook(assignment))
    }
    for gid in BONUS & set(mapping):
        assert "ungraded" in bonus_text[gid].lower()
    released = json.loads(assignment.released_notebook.read_text(encoding="utf-8"))
    released_ids = {
        c["metadata"]["nbgrader"]["grade_id"]
        for c in released["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    assert released_ids == set(mapping)


def test_mapping_check_names_what_does_not_match_grading_yml():
    from autograder.config import parse_config

    a1 = CONFIG.assignment("01_lstm_classifier")
    names = [p.name for p in a1.problems]

    def with_problems(problems):
        raw = {"assignments": {a1.id: {
            "notebook": a1.notebook, "suite": a1.suite,
            "problems": {p: {"tests": {f"test_{p}": 1}} for p in problems}}}}  # fmt: skip
        return parse_config(raw).assignment(a1.id)

    assert M.answer_cell_problems(with_problems(names))  # the real names: fine
    with pytest.raises(M.MutantsError, match="problem.*nowhere.*no answer cell"):
        M.answer_cell_problems(with_problems([*names, "nowhere"]))
    with pytest.raises(M.MutantsError, match="test cell.*predict.*no problem"):
        M.answer_cell_problems(with_problems(names[:-1]))


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)
def test_corpus_reads_mistakes_and_alternatives(assignment):
    found = M.corpus(assignment, M.answer_cell_problems(assignment))
    kinds = {m.kind for m in found}
    assert kinds == {"mistake", "alternative"}
    assert all(m.problems for m in found if m.kind == "mistake")


# --------------------------------------------------------------------------- triage, exit status


def _results(assignment, lost=None, error=False, timeouts=()) -> dict:
    lost = lost or {}
    tests = [
        {"status": "failed", "output": "did not finish within the time limit",
         "extra_data": {"problem": p}}
        for p in timeouts
    ]  # fmt: skip
    problems = {
        p.name: {"score": p.points - lost.get(p.name, 0), "max_score": p.points}
        for p in assignment.problems
    }
    extra = {"problems": problems}
    if error:
        extra["status"] = "error"
    return {"extra_data": extra, "output": "the grader failed" if error else "", "tests": tests}


@pytest.fixture
def fake_grading(monkeypatch, tmp_path):
    """run() with grade_batch replaced: verdicts chosen per mutant id, no grading."""
    a1 = CONFIG.assignment("01_lstm_classifier")
    verdicts: dict[str, dict] = {}

    def grade_batch(assignment, submitted, out, **kwargs):
        students = sorted(p.name for p in submitted.iterdir())
        table = verdicts if out.name == "batch" else regraded
        return [(s, table.get(s, _results(assignment))) for s in students]

    regraded: dict[str, dict] = {}
    verdicts["regraded"] = regraded

    monkeypatch.setattr("autograder.batch.grade_batch", grade_batch)
    triage: dict[str, str] = {}
    monkeypatch.setattr(M, "load_triage", lambda assignment: triage)

    def run(**kwargs):
        return M.run(
            a1, config_path=ROOT / "grading.yml", out=tmp_path / "out", cells={"predict"},
            operators=("flip_comparison",), **kwargs,
        )  # fmt: skip

    (only,) = M.generate(a1, ("flip_comparison",), {"predict_answer"})
    return a1, only.id, verdicts, triage, run, tmp_path / "out"


def test_untriaged_survivor_fails_and_triage_passes(fake_grading, capsys):
    a1, mid, verdicts, triage, run, out = fake_grading
    assert run(with_corpus=False) == 1  # full marks everywhere: the mutant survived
    report = json.loads((out / "mutants.json").read_text())
    assert report["failures"] == [f"{mid}: survived (untriaged)"]
    assert mid in (out / "mutants.md").read_text()  # listed with its diff
    assert "```diff" in (out / "mutants.md").read_text()
    triage[mid] = "equivalent: reason"
    assert run(with_corpus=False) == 0
    report = json.loads((out / "mutants.json").read_text())
    assert report["counts"]["generated"]["equivalent"] == 1


def test_killed_passes_and_collateral_fails(fake_grading):
    a1, mid, verdicts, triage, run, out = fake_grading
    verdicts[mid] = _results(a1, {"predict": 1})
    assert run(with_corpus=False) == 0
    verdicts[mid] = _results(a1, {"predict": 1, "train_step": 2})
    assert run(with_corpus=False) == 1
    report = json.loads((out / "mutants.json").read_text())
    assert report["failures"] == [f"{mid}: collateral loss in train_step"]


def test_stale_entries_are_reported(fake_grading, capsys):
    a1, mid, verdicts, triage, run, out = fake_grading
    verdicts[mid] = _results(a1, {"predict": 1})
    triage["swap_index.predict.000000"] = "a mutant that no longer exists"
    assert run(with_corpus=False) == 0  # stale is reported, not a failure
    report = json.loads((out / "mutants.json").read_text())
    assert report["stale_triage"] == ["swap_index.predict.000000"]
    assert "stale triage entry" in capsys.readouterr().out


def test_alternative_below_full_marks_and_could_not_run_fail(fake_grading):
    a1, mid, verdicts, triage, run, out = fake_grading
    verdicts[mid] = _results(a1, {"predict": 1})
    corpus = M.corpus(a1, M.answer_cell_problems(a1))
    for m in corpus:  # every mistake killed in its own problem
        if m.kind == "mistake":
            verdicts[m.id] = _results(a1, {m.problems[0]: 1})
    assert run() == 0
    alt = next(m for m in corpus if m.kind == "alternative")
    verdicts[alt.id] = _results(a1, {"predict": 1})
    assert run() == 1
    verdicts[alt.id] = _results(a1)
    verdicts[mid] = _results(a1, error=True)
    assert run() == 1
    report = json.loads((out / "mutants.json").read_text())
    assert report["failures"] == [f"{mid}: could not run (the grader failed)"]


def test_reference_below_full_marks_fails(fake_grading):
    a1, mid, verdicts, triage, run, out = fake_grading
    verdicts[mid] = _results(a1, {"predict": 1})
    verdicts[M.REFERENCE] = _results(a1, {"lstm_classifier": 1})
    assert run(with_corpus=False) == 1


# --------------------------------------------------------------------------- end to end


def test_cli_help():
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "mutants", "--help"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0 and "--limit" in proc.stdout and "--operators" in proc.stdout


def test_one_small_graded_run(tmp_path):
    """The unchanged solution and one mutant, graded for real (one wave of -j 2)."""
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "mutants", "01_lstm_classifier", "--cells",
         "predict", "--operators", "flip_comparison", "--limit", "1", "--no-corpus", "-j", "2",
         "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((out / "mutants.json").read_text())
    (mutant,) = report["mutants"]
    assert mutant["operator"] == "flip_comparison" and mutant["verdict"] == "killed"
    assert mutant["lost"].keys() == {"predict"}
    assert "predict" in proc.stdout and (out / "mutants.md").exists()
    graded = json.loads((out / "batch" / "results" / f"{mutant['id']}.json").read_text())
    assert graded["extra_data"]["problems"]["predict"]["score"] < 4


def test_time_limit_failures_are_graded_again(fake_grading):
    a1, mid, verdicts, triage, run, out = fake_grading
    verdicts[mid] = _results(a1, {"predict": 1, "train_step": 2}, timeouts=["train_step"])
    verdicts["regraded"][mid] = _results(a1, {"predict": 1})  # the load had passed
    assert run(with_corpus=False) == 0
    (mutant,) = json.loads((out / "mutants.json").read_text())["mutants"]
    assert mutant["regraded"] and mutant["verdict"] == "killed" and not mutant["collateral"]
    verdicts["regraded"][mid] = verdicts[mid]  # still out of time: the verdict stands
    assert run(with_corpus=False) == 1
