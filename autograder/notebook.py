"""Read a submitted notebook and pick the code the grader runs.

The rule (also in docs/grading-and-security.md and in every notebook's intro): from every code
cell, the grader keeps only top-level *definitions* -- imports, ``def``, ``class`` and
assignments of cheap values -- and skips everything else (training loops, plots, prints,
calls). So a student's 20-minute training cell never runs during grading, and reordered, added
or deleted cells are fine as long as the graded names are defined somewhere. The trusted
``setup`` cells of the released notebook run first; the student's copies of them are ignored.

Skipping is routine and makes no note. Notes are for what a student can act on (a cell that does
not parse; a graded name that needs a name only a skipped statement sets), and they name cells
by their first line: Jupyter does not number cells.

Parsing happens here, in the grader; ``ast.parse`` never executes anything.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
SETUP_TAG = "setup"

# Calls allowed on the right-hand side of a kept assignment: cheap constructors and the
# standard modules a definition-only cell uses (e.g. ``criterion = nn.NLLLoss()``).
_CHEAP_CALLS = {
    "len", "range", "list", "tuple", "dict", "set", "frozenset", "sorted", "str", "int",
    "float", "bool", "enumerate", "zip", "min", "max", "sum", "abs", "round",
}  # fmt: skip
_CHEAP_ROOTS = {"nn", "F", "torch", "math", "string", "collections", "itertools", "functools"}


class NotebookError(ValueError):
    """The file is not a readable Jupyter notebook."""


@dataclass
class Cell:
    index: int  # 1-based position among all cells (markdown too): for us, not for students
    source: str
    tags: tuple[str, ...] = ()
    nbgrader: dict = field(default_factory=dict)

    @property
    def is_setup(self) -> bool:
        return SETUP_TAG in self.tags

    @property
    def is_test(self) -> bool:
        return bool(self.nbgrader.get("grade")) and not self.nbgrader.get("solution")

    @property
    def first_line(self) -> str:
        """What a student sees at the top of the cell: Jupyter does not number cells."""
        return first_line(self.source)


@dataclass
class Snippet:
    """Source of one cell plus which of its top-level statements to run."""

    filename: str
    source: str
    keep: list[int]


@dataclass
class Skipped:
    """A top-level statement the grader does not run (training, plotting, printing...)."""

    cell: str  # "the cell starting `...`"
    line: int  # within the cell
    text: str  # the statement's first line, as the student wrote it
    kind: str  # "for loop", "assignment computed by a call", ...
    binds: frozenset[str]  # global names it would have set

    def __str__(self) -> str:
        return f"{self.kind} `{self.text}` (line {self.line} of {self.cell})"


@dataclass
class Program:
    snippets: list[Snippet]
    skipped: list[Skipped]  # routine (training, plots, prints): not worth a note by itself
    errors: list[str]  # cells that could not be parsed, placed by their first line
    missing: list[str] = field(default_factory=list)  # graded names needing a skipped statement

    def to_wire(self) -> list[dict]:
        return [{"filename": s.filename, "source": s.source, "keep": s.keep} for s in self.snippets]

    def notes(self) -> list[str]:
        """Feedback about the notebook itself: only what a student needs to act on."""
        return [f"Could not parse {e}" for e in self.errors] + list(self.missing)


def read_cells(path: Path | str) -> list[Cell]:
    """Code cells of a notebook (nbformat 4.0-4.5, or 3 with worksheets; source as a string or
    a list of lines; any editor's metadata); raises NotebookError."""
    path = Path(path)
    data = _read_capped(path)
    try:
        nb = json.loads(data.decode("utf-8-sig"))  # some editors write a byte-order mark
    except UnicodeDecodeError:
        raise NotebookError(f"{path.name} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{path.name} is not valid notebook JSON (line {exc.lineno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise NotebookError(f"{path.name} is nested too deeply to be a notebook") from None
    if not isinstance(nb, dict):
        raise NotebookError(f"{path.name} is JSON but not a Jupyter notebook")
    raw_cells = nb.get("cells")
    if raw_cells is None and isinstance(nb.get("worksheets"), list) and nb["worksheets"]:
        raw_cells = (
            nb["worksheets"][0].get("cells") if isinstance(nb["worksheets"][0], dict) else None
        )
    if not isinstance(raw_cells, list):
        raise NotebookError(f"{path.name} is JSON but not a Jupyter notebook (no cells)")
    cells = []
    for i, raw in enumerate(raw_cells, start=1):
        if not isinstance(raw, dict) or raw.get("cell_type") != "code":
            continue
        source = raw.get("source", raw.get("input", ""))
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        source = source.replace("\r\n", "\n").replace("\r", "\n")  # as Python reads a file
        meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        tags = meta.get("tags") if isinstance(meta.get("tags"), list) else []
        nbg = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}
        cells.append(Cell(i, source, tuple(str(t) for t in tags), nbg))
    return cells


def _read_capped(path: Path) -> bytes:
    """The file's bytes; never more than the cap, and never blocking on a FIFO or device."""
    try:
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise NotebookError(f"{path.name} is not a regular file")
            data = f.read(MAX_NOTEBOOK_BYTES + 1)
            size = max(len(data), os.fstat(f.fileno()).st_size)
    except OSError as exc:
        raise NotebookError(f"cannot read {path.name}: {exc.strerror}") from None
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(
            f"{path.name} is {size / 1e6:.0f} MB; notebooks over "
            f"{MAX_NOTEBOOK_BYTES // 2**20} MB are not graded (clear the outputs and resubmit)"
        )
    return data


def build_program(student_cells: list[Cell], released_cells: list[Cell]) -> Program:
    """Trusted setup code first, then the definitions from the student's other code cells.

    ``released_cells``: the code cells of the released notebook (its setup cells run first; its
    test cells are recognised even if an editor dropped their metadata; its answer cells name
    what is graded). Only the setup cells matter if a caller passes just those.
    """
    setup_cells = [c for c in released_cells if c.is_setup]
    ours = {c.source.strip() for c in released_cells if c.is_setup or c.is_test}
    graded = set().union(*(_binds(c.source) for c in released_cells if c.nbgrader.get("solution")))
    snippets = [Snippet(f"<setup {c.index}>", c.source, _all(c.source)) for c in setup_cells]
    program = Program(snippets, [], [])
    kept: list[ast.stmt] = [node for c in setup_cells for node in ast.parse(c.source).body]
    student: dict[str, list[ast.stmt]] = {}  # name -> the student's kept statements setting it
    names = _CellNames()
    for cell in student_cells:
        if cell.is_setup or cell.is_test or cell.source.strip() in ours:
            continue
        where = names.describe(cell)
        source = strip_magics(cell.source)
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            program.errors.append(_syntax_error(where, exc))
            continue
        except (MemoryError, RecursionError):  # the parser's own stack, e.g. "- - - ... 1"
            program.errors.append(f"{where}: nested too deeply for Python's parser")
            continue
        keep = []
        lines = source.split("\n")
        for i, node in enumerate(tree.body):
            if is_definition(node):
                keep.append(i)
                kept.append(node)
                for name in bound_names(node):
                    student.setdefault(name, []).append(node)
            elif not _is_docstring(node):
                text = _shorten(lines[node.lineno - 1].strip())
                kind = _describe(node)
                program.skipped.append(Skipped(where, node.lineno, text, kind, bound_names(node)))
        if keep:
            # The filename is how tracebacks (and the worker's messages) name the cell.
            snippets.append(Snippet(f"<{where.removeprefix('the ')}>", source, keep))
    roots = sorted(graded & student.keys()) if graded else sorted(student)
    program.missing = _needs_skipped(roots, student, kept, program.skipped)
    return program


def _binds(source: str) -> set[str]:
    try:
        return set().union(*(bound_names(n) for n in ast.parse(strip_magics(source)).body))
    except (SyntaxError, MemoryError, RecursionError):
        return set()


class _CellNames:
    """Name cells the way a student finds them: by their first line (unique per notebook)."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def describe(self, cell: Cell) -> str:
        line = cell.first_line
        self._seen[line] = self._seen.get(line, 0) + 1
        nth = self._seen[line]
        suffix = f" (the {_ordinal(nth)} cell starting so)" if nth > 1 else ""
        return f"the cell starting `{line}`{suffix}"


def first_line(source: str) -> str:
    for line in source.split("\n"):
        if line.strip():
            return _shorten(line.strip())
    return ""


def _shorten(text: str, limit: int = 60) -> str:
    text = text.replace("`", "'")  # the line is shown between backticks
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ordinal(n: int) -> str:
    return {2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _syntax_error(where: str, exc: SyntaxError) -> str:
    text = _shorten((exc.text or "").strip())
    shown = f": `{text}`" if text else ""
    return f"{where} (line {exc.lineno}{shown}): {type(exc).__name__}: {exc.msg}"


def strip_magics(source: str) -> str:
    """Blank out IPython magics and shell escapes, keeping line numbers."""
    lines = source.split("\n")
    first = lines[0].lstrip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split()[0] if first[2:].split() else ""
        if magic not in {"time", "timeit", "capture"}:
            return ""  # %%bash, %%writefile...: not Python
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def is_definition(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef):
        return True
    if isinstance(node, ast.ClassDef):
        return True
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        return node.value is not None and _is_cheap(node.value)
    return False


def _is_cheap(expr: ast.expr) -> bool:
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call) and not _is_cheap_callee(sub.func):
            return False
        if isinstance(sub, ast.Await | ast.Yield | ast.YieldFrom | ast.NamedExpr):
            return False
    return True


def _is_cheap_callee(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in _CHEAP_CALLS
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in _CHEAP_ROOTS


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _describe(node: ast.stmt) -> str:
    kind = {
        ast.For: "for loop", ast.While: "while loop", ast.If: "if statement",
        ast.With: "with block", ast.Try: "try block", ast.Expr: "expression or call",
        ast.Assign: "assignment computed by a call", ast.AnnAssign: "assignment computed by a call",
        ast.AugAssign: "assignment computed by a call",
    }.get(type(node), type(node).__name__)  # fmt: skip
    return kind


# --------------------------------------------- definitions that need a skipped statement
_OWN_SCOPE = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def bound_names(node: ast.stmt) -> frozenset[str]:
    """Global names a top-level statement sets (a loop's body and target included)."""
    names: set[str] = set()
    stack: list[ast.AST] = [node]  # not recursive: a long `1+1+...` is a deep tree
    while stack:
        sub = stack.pop()
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(sub.name)
            continue  # its body is its own scope
        if isinstance(sub, _OWN_SCOPE):
            continue
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
            names.add(sub.id)
        elif isinstance(sub, ast.alias):
            names.add((sub.asname or sub.name).split(".")[0])
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            names.add(sub.name)
        stack.extend(ast.iter_child_nodes(sub))
    return frozenset(names)


def used_globals(node: ast.stmt) -> frozenset[str]:
    """Global names a kept statement reads when it runs or is called (approximately: names
    read anywhere inside that are bound nowhere inside: parameters, locals, loop variables)."""
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        node = node.value  # ``n = len(NAMES)`` reads NAMES, whatever it sets
    read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    local: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.arg):
            local.add(sub.arg)
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
            local.add(sub.id)
        elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            local.add(sub.name)
        elif isinstance(sub, ast.alias):
            local.add((sub.asname or sub.name).split(".")[0])
    return frozenset(read - local - set(dir(builtins)))


def _needs_skipped(
    roots: list[str], student: dict[str, list[ast.stmt]], kept: list[ast.stmt], skipped: list
) -> list[str]:
    """A note for each graded name that reads (itself or through the student's helpers) a
    name only a skipped statement sets: that name will not exist when it is graded."""
    defined = set().union(*(bound_names(node) for node in kept))
    setter: dict[str, Skipped] = {}
    for s in skipped:
        for name in sorted(s.binds - defined):
            setter.setdefault(name, s)
    notes, seen = [], set(roots)
    queue = [(root, root) for root in roots]  # (name, the graded name that needs it)
    while queue:
        name, root = queue.pop(0)
        for node in student[name]:
            for used in sorted(used_globals(node)):
                if used in setter:
                    notes.append(_missing_note(name, root, used, setter.pop(used)))
                elif used in student and used not in seen:
                    seen.add(used)
                    queue.append((used, root))
    return notes


def _missing_note(user: str, root: str, name: str, setter: Skipped) -> str:
    via = f" (which `{root}` uses)" if user != root else ""
    return (
        f"`{user}`{via} needs `{name}`, which only a statement the grader skips sets: "
        f"{setter}. The grader runs only definitions (imports, def, class, assignments of "
        f"plain values), so `{name}` will not exist when `{root}` is graded: compute it "
        "inside the function, or set it with a plain value."
    )


def _all(source: str) -> list[int]:
    return list(range(len(ast.parse(source).body)))
