"""Read a submitted notebook and pick the code the grader runs.

The rule (also in README and in every notebook's intro): from every code cell, the grader keeps
only top-level *definitions* -- imports, ``def``, ``class`` and assignments of cheap values -- and
skips everything else (training loops, plots, prints, calls). So a student's 20-minute training
cell never runs during grading, and reordered, added or deleted cells are fine as long as the
graded names are defined somewhere. The trusted ``setup`` cells of the released notebook run
first; the student's copies of them are ignored.

Parsing happens here, in the grader; ``ast.parse`` never executes anything.
"""

from __future__ import annotations

import ast
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
    index: int  # 1-based position among all cells, as a student counts them
    source: str
    tags: tuple[str, ...] = ()
    nbgrader: dict = field(default_factory=dict)

    @property
    def is_setup(self) -> bool:
        return SETUP_TAG in self.tags

    @property
    def is_test(self) -> bool:
        return bool(self.nbgrader.get("grade")) and not self.nbgrader.get("solution")


@dataclass
class Snippet:
    """Source of one cell plus which of its top-level statements to run."""

    filename: str
    source: str
    keep: list[int]


@dataclass
class Program:
    snippets: list[Snippet]
    skipped: list[str]  # human-readable, e.g. "cell 9, line 3: for loop"
    errors: list[str]  # cells that could not be parsed

    def to_wire(self) -> list[dict]:
        return [{"filename": s.filename, "source": s.source, "keep": s.keep} for s in self.snippets]


def read_cells(path: Path | str) -> list[Cell]:
    """Code cells of a notebook (nbformat 4, or 3 with worksheets); raises NotebookError."""
    path = Path(path)
    data = _read_capped(path)
    try:
        nb = json.loads(data.decode("utf-8"))
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


def build_program(student_cells: list[Cell], setup_cells: list[Cell]) -> Program:
    """Trusted setup code first, then the definitions from the student's other code cells."""
    setup_sources = {c.source.strip() for c in setup_cells}
    snippets = [Snippet(f"<setup {c.index}>", c.source, _all(c.source)) for c in setup_cells]
    skipped, errors = [], []
    for cell in student_cells:
        if cell.is_setup or cell.is_test or cell.source.strip() in setup_sources:
            continue
        source = strip_magics(cell.source)
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            errors.append(f"cell {cell.index}, line {exc.lineno}: SyntaxError: {exc.msg}")
            continue
        except (MemoryError, RecursionError):  # the parser's own stack, e.g. "- - - ... 1"
            errors.append(f"cell {cell.index}: nested too deeply for Python's parser")
            continue
        keep = []
        for i, node in enumerate(tree.body):
            if is_definition(node):
                keep.append(i)
            elif not _is_docstring(node):
                skipped.append(f"cell {cell.index}, line {node.lineno}: {_describe(node)}")
        if keep:
            snippets.append(Snippet(f"<cell {cell.index}>", source, keep))
    return Program(snippets, skipped, errors)


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
    return f"{kind} (not a definition, skipped)"


def _all(source: str) -> list[int]:
    return list(range(len(ast.parse(source).body)))
