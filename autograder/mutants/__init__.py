"""`python -m autograder mutants ID`: how many wrong programs do the hidden suites catch?

Every mutant is the solution with ONE change in ONE answer cell (made by the operators in
autograder/mutants/operators.py), or a hand-written example from examples/variants/<suite>.py
(`mistake_*` must lose points, `alt_*` must keep full marks). Each becomes a submission (the
released notebook, every answer cell filled from the solution, the changed cell in place) and
the whole set is graded by the parallel batch path. A mutant is

- killed: it lost points in the problem it changed;
- survived: full marks (an untriaged survivor is a gap in the suite, or an equivalent mutant
  to be triaged in autograder/suites/<suite>/equivalent_mutants.yml with a one-line reason);
- collateral: it lost points in another problem (the isolation of parts failed);
- could not run: the grader itself failed on it.

Which problem an answer cell belongs to (see ``answer_cell_problems``): the problem whose
autograded test cell (nbgrader ``grade: true``, grade_id = the problem's name in grading.yml)
comes next after it in the solution notebook. An answer cell with no test cell after it is a
bonus: it is graded by no problem and is not mutated.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from autograder.config import REPO_ROOT, Assignment
from autograder.mutants.operators import OPERATORS, cell_edits

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
TRIAGE_FILE = "equivalent_mutants.yml"
REFERENCE = "reference"  # the unchanged solution, graded alongside: it must get full marks
CORPUS_PREFIXES = {"mistake_": "mistake", "alt_": "alternative"}
TIME_LIMIT = "did not finish within"  # the grader's words for a test or grading out of time


class MutantsError(RuntimeError):
    """The assignment's files do not allow a mutants run (the message says why)."""


@dataclass(frozen=True)
class AnswerCell:
    grade_id: str
    problem: str | None  # None: a bonus cell, graded by no problem
    source: str  # as filled into a submission: solution markers removed
    solution_lines: frozenset[int]  # 1-based lines of `source` inside the solution regions


@dataclass
class Mutant:
    id: str
    kind: str  # generated | mistake | alternative | reference
    about: str
    cells: tuple[str, ...]  # grade_ids of the answer cells it changes
    problems: tuple[str, ...]  # the problems those cells belong to
    edits: tuple[tuple[str, str, str], ...]  # (grade_id, old, new), as examples/variants
    operator: str = ""
    diff: str = ""
    # filled in after grading
    verdict: str = ""  # killed | survived | collateral | could_not_run | full_marks | lost_points
    lost: dict[str, float] = field(default_factory=dict)  # problem -> points lost
    collateral: list[str] = field(default_factory=list)
    timed_out: list[str] = field(default_factory=list)  # problems with a time-limit failure
    regraded: bool = False  # graded a second time after a time-limit failure
    triage: str | None = None
    error: str = ""


# --------------------------------------------------------------------------- answer cells


def read_answer_cells(notebook: Path) -> list[AnswerCell]:
    """The solution notebook's answer cells, in order, each mapped to its problem."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cells, pending = [], []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] != "code":
            continue
        if meta.get("solution"):
            pending.append(_answer_text(meta["grade_id"], "".join(cell["source"])))
        elif meta.get("grade"):
            cells += [(gid, meta["grade_id"], src, lines) for gid, src, lines in pending]
            pending = []
    cells += [(gid, None, src, lines) for gid, src, lines in pending]
    return [AnswerCell(gid, problem, src, frozenset(lines)) for gid, problem, src, lines in cells]


def _answer_text(grade_id: str, source: str) -> tuple[str, str, set[int]]:
    kept, inside, in_region = [], False, set()
    for line in source.split("\n"):
        if line.strip() == MARKERS[0]:
            inside = True
        elif line.strip() == MARKERS[1]:
            inside = False
        else:
            kept.append(line)
            if inside:
                in_region.add(len(kept))
    return grade_id, "\n".join(kept), in_region


def answer_cell_problems(assignment: Assignment) -> dict[str, str | None]:
    """grade_id of each answer cell -> its problem (None for a bonus cell); checked against
    grading.yml: every test cell names a problem and every problem has an answer cell."""
    cells = read_answer_cells(solution_notebook(assignment))
    problems = {p.name for p in assignment.problems}
    mapping = {c.grade_id: c.problem for c in cells}
    unknown = sorted({p for p in mapping.values() if p is not None} - problems)
    if unknown:
        raise MutantsError(
            f"{assignment.id}: test cell(s) {', '.join(unknown)} name no problem of grading.yml"
        )
    missing = sorted(problems - set(mapping.values()))
    if missing:
        raise MutantsError(f"{assignment.id}: problem(s) {', '.join(missing)} have no answer cell")
    return mapping


def solution_notebook(assignment: Assignment) -> Path:
    return REPO_ROOT / "solutions" / assignment.id / assignment.notebook


# --------------------------------------------------------------------------- generation


def generate(
    assignment: Assignment, operators=OPERATORS, cells: set[str] | None = None
) -> list[Mutant]:
    """Every one-change mutant of the graded answer cells, in a fixed order with stable ids."""
    mutants: list[Mutant] = []
    for cell in read_answer_cells(solution_notebook(assignment)):
        if cell.problem is None or (cells is not None and cell.grade_id not in cells):
            continue
        mutants += _cell_mutants(cell, operators)
    return mutants


def _cell_mutants(cell: AnswerCell, operators) -> list[Mutant]:
    seen = {ast.dump(ast.parse(cell.source))}  # the unchanged code counts as seen
    found, ids = [], set()
    for edit in cell_edits(cell.source, set(cell.solution_lines), operators):
        new = edit.apply(cell.source)
        try:
            compile(new, cell.grade_id, "exec")
            key = ast.dump(ast.parse(new))
        except (SyntaxError, ValueError):
            continue
        if key in seen:
            continue  # unchanged, or the same change another operator made first
        seen.add(key)
        diff = cell_diff(cell.grade_id, cell.source, new)
        mid = _unique(mutant_id(edit.operator, cell.grade_id, diff), ids)
        ids.add(mid)
        found.append(
            Mutant(
                id=mid,
                kind="generated",
                about=f"{edit.operator} in {cell.grade_id}",
                cells=(cell.grade_id,),
                problems=(cell.problem,),
                edits=((cell.grade_id, cell.source, new),),
                operator=edit.operator,
                diff=diff,
            )
        )
    return found


def cell_diff(grade_id: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.split("\n"), new.split("\n"), f"a/{grade_id}", f"b/{grade_id}", n=1, lineterm=""
    )
    return "\n".join(lines)


def mutant_id(operator: str, grade_id: str, diff: str) -> str:
    """operator.cell.hash: the hash covers only the changed lines (not their position), so the
    id survives edits elsewhere in the cell."""
    changed = [
        line[0] + line[1:].strip()
        for line in diff.split("\n")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    digest = hashlib.sha1("\n".join(changed).encode()).hexdigest()[:6]
    return f"{operator}.{grade_id.removesuffix('_answer')}.{digest}"


def _unique(mid: str, taken: set[str]) -> str:
    n, candidate = 2, mid
    while candidate in taken:  # the same change of the same text at two places
        candidate, n = f"{mid}-{n}", n + 1
    return candidate


def select(mutants: list[Mutant], limit: int | None) -> list[Mutant]:
    """At most ``limit`` mutants, spread evenly over the list (so over cells and operators)."""
    if limit is None or limit >= len(mutants):
        return list(mutants)
    if limit <= 0:
        return []
    return [mutants[i * len(mutants) // limit] for i in range(limit)]


def corpus(assignment: Assignment, mapping: dict[str, str | None]) -> list[Mutant]:
    """The hand-written mistakes and alternatives of examples/variants/<suite>.py."""
    variants = _variants_module(assignment).VARIANTS
    found = []
    for name, variant in variants.items():
        kind = next((k for p, k in CORPUS_PREFIXES.items() if name.startswith(p)), None)
        if kind is None or variant.replace_all is not None:
            continue
        cells = tuple(dict.fromkeys(gid for gid, _, _ in variant.edits))
        unknown = [c for c in cells if c not in mapping]
        if unknown:
            raise MutantsError(f"{name}: edits unknown answer cell(s) {', '.join(unknown)}")
        problems = tuple(dict.fromkeys(mapping[c] for c in cells if mapping[c] is not None))
        found.append(
            Mutant(
                id=name,
                kind=kind,
                about=variant.about,
                cells=cells,
                problems=problems,
                edits=tuple(variant.edits),
            )
        )
    return found


def _variants_module(assignment: Assignment):
    import importlib

    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))  # examples/ lives beside the package, not in it
    return importlib.import_module(f"examples.variants.{assignment.suite}")


def _make_examples():
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from examples import make_examples

    return make_examples


# --------------------------------------------------------------------------- submissions


def write_submissions(assignment: Assignment, mutants: list[Mutant], submitted: Path) -> None:
    """submitted/<mutant id>/<assignment>/<notebook>: the released notebook, filled in as
    examples/make_examples.py fills it, with the mutant's edits."""
    ex = _make_examples()
    source = json.loads(solution_notebook(assignment).read_text(encoding="utf-8"))
    answers = ex._filled_answers(source)
    released = assignment.released_notebook.read_text(encoding="utf-8")
    for mutant in mutants:
        nb = json.loads(released)
        variant = ex.Variant(mutant.about, edits=mutant.edits)
        try:
            ex._fill(nb, answers, variant, mutant.id)
        except SystemExit as exc:  # make_examples' way of saying an edit does not apply
            raise MutantsError(str(exc)) from None
        if not mutant.diff and mutant.kind != REFERENCE:
            filled = {_grade_id(c): c["source"] for c in nb["cells"] if _grade_id(c) in answers}
            mutant.diff = "\n".join(
                cell_diff(gid, answers[gid], filled[gid]) for gid in mutant.cells
            )
        target = submitted / mutant.id / assignment.id / assignment.notebook
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


# --------------------------------------------------------------------------- verdicts


def classify(mutant: Mutant, results: dict) -> None:
    """Set the mutant's verdict from its graded results."""
    extra = results.get("extra_data", {})
    if extra.get("status") == "error":
        mutant.verdict, mutant.error = "could_not_run", results.get("output", "")
        return
    problems = extra.get("problems", {})
    mutant.timed_out = sorted(
        {t["extra_data"]["problem"] for t in results.get("tests", []) if _timed_out(t)}
    )
    mutant.lost = {
        name: round(p["max_score"] - p["score"], 6)
        for name, p in problems.items()
        if p["score"] < p["max_score"]
    }
    if mutant.kind in ("alternative", "reference"):
        mutant.verdict = "full_marks" if not mutant.lost else "lost_points"
        return
    mutant.collateral = sorted(set(mutant.lost) - set(mutant.problems))
    if set(mutant.lost) & set(mutant.problems):
        mutant.verdict = "killed"
    elif mutant.collateral:
        mutant.verdict = "collateral"
    else:
        mutant.verdict = "survived"


def _timed_out(test: dict) -> bool:
    return test.get("status") == "failed" and TIME_LIMIT in test.get("output", "")


def needs_regrading(results: dict) -> bool:
    """A time-limit failure may be the machine's load rather than the code: grade it again."""
    if results.get("extra_data", {}).get("status") == "error":
        return TIME_LIMIT in results.get("output", "")
    return any(_timed_out(t) for t in results.get("tests", []))


@dataclass
class Outcome:
    failures: list[str]  # each a reason for a non-zero exit
    stale: list[str]  # triage entries that match no mutant
    triaged_but_killed: list[str]

    @property
    def status(self) -> int:
        return 1 if self.failures else 0


def judge(mutants: list[Mutant], triage: dict[str, str], all_ids: set[str]) -> Outcome:
    """Apply the triage; list what makes the run fail. ``all_ids``: every mutant id that exists
    (whatever this run selected), so that a selection does not make entries look stale."""
    failures, killed_triaged = [], []
    for m in mutants:
        m.triage = triage.get(m.id)
        if m.verdict == "survived" and m.triage is None:
            failures.append(f"{m.id}: survived (untriaged)")
        elif m.verdict == "killed" and m.triage is not None:
            killed_triaged.append(m.id)
        if m.collateral:
            failures.append(f"{m.id}: collateral loss in {', '.join(m.collateral)}")
        if m.verdict == "lost_points":
            failures.append(f"{m.id}: {m.kind} lost points in {', '.join(sorted(m.lost))}")
        if m.verdict == "could_not_run":
            failures.append(f"{m.id}: could not run ({m.error.splitlines()[0] if m.error else ''})")
    stale = sorted(set(triage) - all_ids)
    return Outcome(failures, stale, killed_triaged)


def load_triage(assignment: Assignment) -> dict[str, str]:
    path = triage_path(assignment)
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in raw.items()
    ):
        raise MutantsError(f"{path}: expected a mapping of mutant id -> one-line reason")
    return raw


def triage_path(assignment: Assignment) -> Path:
    return assignment.suite_dir / TRIAGE_FILE


# --------------------------------------------------------------------------- reports

COLUMNS = ("mutants", "killed", "survived", "equivalent", "collateral", "could not run")


def problem_table(mutants: list[Mutant], assignment: Assignment, kind: str) -> list[list[str]]:
    """One row per problem (then a total) of the mutants of one kind."""
    rows = []
    total = dict.fromkeys(COLUMNS, 0)
    for problem in [p.name for p in assignment.problems]:
        mine = [m for m in mutants if m.kind == kind and problem in m.problems]
        counts = _counts(mine)
        rows.append([problem, *map(str, counts.values()), _rate(counts)])
    every = [m for m in mutants if m.kind == kind]
    total = _counts(every)
    rows.append(["total", *map(str, total.values()), _rate(total)])
    return rows


def _counts(mutants: list[Mutant]) -> dict[str, int]:
    return {
        "mutants": len(mutants),
        "killed": sum(m.verdict == "killed" for m in mutants),
        "survived": sum(m.verdict == "survived" and m.triage is None for m in mutants),
        "equivalent": sum(m.verdict == "survived" and m.triage is not None for m in mutants),
        "collateral": sum(bool(m.collateral) for m in mutants),
        "could not run": sum(m.verdict == "could_not_run" for m in mutants),
    }


def _rate(counts: dict[str, int]) -> str:
    judged = counts["mutants"] - counts["equivalent"] - counts["could not run"]
    return f"{100 * counts['killed'] / judged:.0f}%" if judged else "-"


def text_table(rows: list[list[str]]) -> str:
    header = ["problem", *COLUMNS, "kill rate"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                         enumerate(zip(row, widths)))  # fmt: skip

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def markdown_table(rows: list[list[str]]) -> str:
    header = ["problem", *COLUMNS, "kill rate"]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def markdown_report(report: dict, mutants: list[Mutant], assignment: Assignment) -> str:
    lines = [
        f"# Mutants of {assignment.id}",
        "",
        f"`{report['command']}`: {report['seconds']:.0f} s with -j {report['jobs']}; "
        f"{report['generated_total']} generated mutants exist, {report['generated']} graded.",
        "",
        "## Generated mutants (one AST change in one answer cell)",
        "",
        markdown_table(problem_table(mutants, assignment, "generated")),
        "",
        "## Hand-written mistakes (examples/variants)",
        "",
        markdown_table(problem_table(mutants, assignment, "mistake")),
        "",
    ]
    alternatives = [m for m in mutants if m.kind == "alternative"]
    if alternatives:
        lines += ["## Alternative solutions (must keep full marks)", ""]
        lines += [f"- `{m.id}`: {_alt_text(m)}" for m in alternatives]
        lines.append("")
    sections = [
        ("Failures (the command exits 1)", [f"- {f}" for f in report["failures"]]),
        ("Stale triage entries (match no mutant)", [f"- `{s}`" for s in report["stale_triage"]]),
        ("Triaged as equivalent but killed (check the reason)",
         [f"- `{s}`" for s in report["triaged_but_killed"]]),
    ]  # fmt: skip
    for title, items in sections:
        if items:
            lines += [f"## {title}", "", *items, ""]
    for title, pick in (
        ("Untriaged survivors", lambda m: m.verdict == "survived" and m.triage is None),
        ("Collateral losses", lambda m: bool(m.collateral)),
        ("Could not run", lambda m: m.verdict == "could_not_run"),
        ("Triaged equivalent survivors", lambda m: m.verdict == "survived" and m.triage),
    ):
        chosen = [m for m in mutants if pick(m)]
        if not chosen:
            continue
        lines += [f"## {title} ({len(chosen)})", ""]
        for m in chosen:
            lines.append(f"### `{m.id}` ({', '.join(m.problems) or 'no problem'})")
            lines.append("")
            lines.append(m.about)
            if m.triage:
                lines.append(f"Equivalent: {m.triage}")
            if m.lost:
                lost = ", ".join(f"{p} -{v:g}" for p, v in sorted(m.lost.items()))
                lines.append(f"Points lost: {lost}")
            if m.timed_out:
                lines.append(f"Time-limit failures in: {', '.join(m.timed_out)} (graded twice)")
            if m.error:
                lines.append(f"Grader: {m.error}")
            lines += ["", "```diff", m.diff, "```", ""]
    return "\n".join(lines)


def _alt_text(m: Mutant) -> str:
    if m.verdict == "full_marks":
        return "full marks"
    if m.verdict == "could_not_run":
        return "could not run"
    return "LOST " + ", ".join(f"{p} -{v:g}" for p, v in sorted(m.lost.items()))


# --------------------------------------------------------------------------- the command


def run(
    assignment: Assignment,
    *,
    config_path: Path,
    out: Path,
    jobs: int = 2,
    limit: int | None = None,
    operators: tuple[str, ...] = OPERATORS,
    cells: set[str] | None = None,
    with_corpus: bool = True,
    force: bool = False,
    list_only: bool = False,
    command: str = "",
) -> int:
    from autograder.batch import grade_batch
    from autograder.report import write_atomic, write_json

    start = time.monotonic()
    mapping = answer_cell_problems(assignment)
    cells = _resolve_cells(cells, mapping)
    triage = load_triage(assignment)
    everything = generate(assignment)
    chosen = select(generate(assignment, operators, cells), limit)
    hand_written = corpus(assignment, mapping)
    all_ids = {m.id for m in everything} | {m.id for m in hand_written}
    if list_only:
        for m in chosen:
            print(f"{m.id}\n{m.diff}\n")
        print(f"{len(chosen)} of {len(everything)} generated mutants; corpus: {len(hand_written)}")
        return 0
    reference = Mutant(REFERENCE, REFERENCE, "the unchanged solution", (), (), ())
    mutants = [reference, *chosen, *(hand_written if with_corpus else [])]
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        submitted = Path(tmp) / "submitted"
        write_submissions(assignment, mutants, submitted)
        grade = dict(config_path=config_path, jobs=jobs, force=force)
        rows = dict(grade_batch(assignment, submitted, out / "batch", **grade))
        again = [m for m in mutants if needs_regrading(rows[m.id])]
        if again:  # once more, in a folder of their own (its results are cached as well)
            retry = Path(tmp) / "retry"
            for m in again:
                (retry / m.id).parent.mkdir(parents=True, exist_ok=True)
                (submitted / m.id).rename(retry / m.id)
                m.regraded = True
            rows.update(grade_batch(assignment, retry, out / "regraded", **grade))
    for m in mutants:
        classify(m, rows[m.id])
    outcome = judge(mutants, triage, all_ids)
    if reference.verdict != "full_marks":
        outcome.failures.insert(0, "the unchanged solution did not get full marks: "
                                "no verdict of this run can be trusted")  # fmt: skip
    graded = [m for m in mutants if m is not reference]
    report = {
        "assignment": assignment.id,
        "command": command,
        "jobs": jobs,
        "seconds": round(time.monotonic() - start, 1),
        "generated_total": len(everything),
        "generated": len(chosen),
        "operators": list(operators),
        "answer_cells": mapping,
        "counts": {
            kind: _counts([m for m in graded if m.kind == kind])
            for kind in ("generated", "mistake")
        },
        "problems": {
            kind: {
                p.name: _counts([m for m in graded if m.kind == kind and p.name in m.problems])
                for p in assignment.problems
            }
            for kind in ("generated", "mistake")
        },
        "alternatives": {m.id: _alt_text(m) for m in graded if m.kind == "alternative"},
        "failures": outcome.failures,
        "stale_triage": outcome.stale,
        "triaged_but_killed": outcome.triaged_but_killed,
        "mutants": [_public(m) for m in graded],
    }
    write_json(out / "mutants.json", report)
    write_atomic(out / "mutants.md", markdown_report(report, graded, assignment))
    _print_summary(report, graded, assignment, out)
    return outcome.status


def _resolve_cells(cells: set[str] | None, mapping: dict[str, str | None]) -> set[str] | None:
    if cells is None:
        return None
    resolved = set()
    for name in cells:
        gid = name if name in mapping else f"{name}_answer"
        if gid not in mapping:
            raise MutantsError(f"no answer cell {name!r} (cells: {', '.join(mapping)})")
        resolved.add(gid)
    return resolved


def _public(m: Mutant) -> dict:
    data = asdict(m)
    data.pop("edits")  # the whole cell text; the diff says what changed
    return data


def _print_summary(report: dict, mutants: list[Mutant], assignment: Assignment, out: Path):
    print(f"\n{assignment.id}: generated mutants ({report['generated']} of "
          f"{report['generated_total']})")  # fmt: skip
    print(text_table(problem_table(mutants, assignment, "generated")))
    if any(m.kind == "mistake" for m in mutants):
        print("\nhand-written mistakes")
        print(text_table(problem_table(mutants, assignment, "mistake")))
    for mid, text in report["alternatives"].items():
        print(f"alternative {mid}: {text}")
    for s in report["stale_triage"]:
        print(f"stale triage entry (matches no mutant): {s}")
    for s in report["triaged_but_killed"]:
        print(f"triaged as equivalent but killed: {s}")
    by_time = [m.id for m in mutants if m.verdict == "killed" and set(m.lost) <= set(m.timed_out)]
    if by_time:
        print(f"{len(by_time)} killed only by time-limit failures (twice): {', '.join(by_time)}")
    for f in report["failures"]:
        print(f"FAIL {f}")
    print(f"\n{report['seconds']:.0f} s, -j {report['jobs']}; report: {out / 'mutants.md'}, "
          f"{out / 'mutants.json'}")  # fmt: skip


def main(assignment: Assignment, args, argv: list[str] | None) -> int:
    """The `mutants` subcommand (its parser is in autograder/cli.py)."""
    from autograder.batch import BatchError

    operators = tuple(args.operators.split(",")) if args.operators else OPERATORS
    unknown = [op for op in operators if op not in OPERATORS]
    if unknown:
        print(f"error: unknown operator(s) {', '.join(unknown)} (known: {', '.join(OPERATORS)})",
              file=sys.stderr)  # fmt: skip
        return 2
    cells = set(args.cells.split(",")) if args.cells else None
    words = sys.argv[1:] if argv is None else argv
    try:
        return run(
            assignment,
            config_path=args.config,
            out=args.out or Path("graded") / "mutants" / assignment.id,
            jobs=args.jobs,
            limit=args.limit,
            operators=operators,
            cells=cells,
            with_corpus=not args.no_corpus,
            force=args.force,
            list_only=args.list,
            command="python -m autograder " + " ".join(words),
        )
    except (MutantsError, BatchError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to grade the rest", file=sys.stderr)
        return 130
