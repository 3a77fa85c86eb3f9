"""Mutation operators for `python -m autograder mutants`: one small, tensor-aware change each.

A cell's source is parsed with ``ast``; every operator yields :class:`Edit` objects, each a
replacement of a range of lines by new text (the changed statement, or the header of a compound
statement, re-written with ``ast.unparse``). Lines outside that range keep their comments and
layout, so a mutant's diff shows exactly its one change. Only code inside the solution regions
(``allowed`` lines) is mutated: the signatures and docstrings are the notebook's, not the
student's.

Generation is deterministic: operators walk the tree in source order and never consult anything
but the code.
"""

from __future__ import annotations

import ast
import copy
import io
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Methods whose single positional int argument is a dimension (``x.argmax(-1)``).
DIM_METHODS = {
    "argmax", "argmin", "sum", "mean", "max", "min", "softmax", "log_softmax", "squeeze",
    "unsqueeze", "cumsum", "logsumexp", "size", "prod", "all", "any", "cat", "stack",
}  # fmt: skip
SOFTMAX = {"softmax": "log_softmax", "log_softmax": "softmax"}
DROPPED_CALLS = {"zero_grad", "step", "eval", "train"}  # statements `obj.<name>(...)`
NO_GRAD = {"no_grad", "inference_mode"}
# Calls whose result is never a tensor: .detach() on them only crashes, a wasted mutant.
NOT_TENSOR = {
    "len", "range", "int", "float", "str", "list", "dict", "tuple", "set", "sorted", "zip",
    "enumerate", "isinstance", "item", "tolist", "sum", "max", "min", "all", "any", "bool",
}  # fmt: skip
NEGATE = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE,
    ast.LtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}


@dataclass(frozen=True)
class Edit:
    """Replace lines first..last (1-based, inclusive) of the cell by ``text`` (no final newline;
    an empty string deletes them)."""

    operator: str
    first: int
    last: int
    text: str

    def apply(self, source: str) -> str:
        lines = source.split("\n")
        new = self.text.split("\n") if self.text else []
        return "\n".join(lines[: self.first - 1] + new + lines[self.last :])


# --------------------------------------------------------------------------- the walk


@dataclass
class Site:
    """An expression node inside one statement, with a way to put a replacement in its place."""

    stmt: ast.stmt
    node: ast.AST
    parent: ast.AST
    field: str
    index: int | None
    in_no_grad: bool
    function: ast.FunctionDef | None

    def swap_in(self, new: ast.AST) -> Callable[[], None]:
        """Put ``new`` where the node is; returns the function that undoes it."""
        if self.index is None:
            setattr(self.parent, self.field, new)
            return lambda: setattr(self.parent, self.field, self.node)
        seq = getattr(self.parent, self.field)
        seq[self.index] = new
        return lambda: seq.__setitem__(self.index, self.node)


HEADER_FIELDS = {
    ast.For: ("target", "iter"),
    ast.AsyncFor: ("target", "iter"),
    ast.While: ("test",),
    ast.If: ("test",),
    ast.With: ("items",),
}


class Cell:
    """One answer cell: its source, tree, the lines that may change, per-line comments."""

    def __init__(self, source: str, allowed: set[int]):
        self.source = source
        self.lines = source.split("\n")
        self.tree = ast.parse(source)
        self.allowed = allowed
        self.comments = _line_comments(source)
        self.statements: list[tuple[ast.stmt, list[ast.stmt], bool, ast.FunctionDef | None]] = []
        self._collect(self.tree.body, False, None)
        shared = {}
        for stmt, *_ in self.statements:
            for line in range(stmt.lineno, _header_end(stmt) + 1):
                shared[line] = shared.get(line, 0) + 1
        self.crowded = {line for line, n in shared.items() if n > 1}  # `a = 1; b = 2`

    def _collect(self, body, in_no_grad, function):
        for stmt in body:
            self.statements.append((stmt, body, in_no_grad, function))
            inner_fn = (
                stmt if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) else function
            )
            inner_ng = in_no_grad or (isinstance(stmt, ast.With) and _is_no_grad_with(stmt))
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                _is_no_grad_call(d) for d in stmt.decorator_list
            ):
                inner_ng = True
            for name in ("body", "orelse", "finalbody"):
                self._collect(getattr(stmt, name, []), inner_ng, inner_fn)
            for handler in getattr(stmt, "handlers", []):
                self._collect(handler.body, inner_ng, inner_fn)

    def mutable(self, stmt: ast.stmt) -> bool:
        lines = range(stmt.lineno, _header_end(stmt) + 1)
        return all(n in self.allowed for n in lines) and not any(n in self.crowded for n in lines)

    def sites(self) -> Iterator[Site]:
        """Every expression node of every mutable simple statement or compound header."""
        for stmt, _, in_no_grad, function in self.statements:
            if not self.mutable(stmt) or isinstance(stmt, ast.FunctionDef | ast.ClassDef):
                continue
            fields = HEADER_FIELDS.get(type(stmt))
            if fields is None and hasattr(stmt, "body"):
                continue  # try: and the like: no header expression to change
            for name in fields or [f for f in stmt._fields]:
                yield from _walk(stmt, stmt, name, in_no_grad, function)

    def splice(self, old: ast.AST, new: ast.AST, operator: str) -> Edit | None:
        """The Edit that writes only ``new`` over the source of ``old`` (the tree holds ``new``
        now), if that text parses to the same tree; otherwise None (precedence needs more)."""
        if getattr(old, "end_lineno", None) is None:
            return None
        first, last = self.lines[old.lineno - 1].encode(), self.lines[old.end_lineno - 1].encode()
        prefix = first[: old.col_offset].decode()
        suffix = last[old.end_col_offset :].decode()
        text = ast.unparse(new)
        original = ast.get_source_segment(self.source, old) or ""
        if isinstance(new, ast.Constant) and isinstance(new.value, str) and original[:1] == '"':
            text = '"' + text[1:-1] + '"' if '"' not in text[1:-1] else text  # keep the quotes
        candidates = [text, f"({text})"]
        if text.startswith("(") and not original.startswith("("):
            candidates.insert(0, text[1:-1])
        want = ast.dump(self.tree)
        for candidate in candidates:
            edit = Edit(operator, old.lineno, old.end_lineno, prefix + candidate + suffix)
            try:
                if ast.dump(ast.parse(edit.apply(self.source))) == want:
                    return edit
            except SyntaxError:
                continue
        return None

    def rewrite(self, stmt: ast.stmt, operator: str) -> Edit:
        """The Edit that writes ``stmt`` (as it is now in the tree) over its original lines."""
        indent = _indent(self.lines[stmt.lineno - 1])
        if type(stmt) in HEADER_FIELDS:
            header = copy.copy(stmt)
            header.body, header.orelse = [ast.Pass()], []
            text = ast.unparse(header).split("\n")[0]
            if isinstance(stmt, ast.If) and self.lines[stmt.lineno - 1].lstrip().startswith("elif"):
                text = "el" + text
            return Edit(operator, stmt.lineno, _header_end(stmt), indent + text)
        text = ast.unparse(stmt)
        if stmt.lineno == stmt.end_lineno and stmt.lineno in self.comments:
            text += "  " + self.comments[stmt.lineno]
        return Edit(operator, stmt.lineno, stmt.end_lineno, indent + text)


def _walk(stmt, parent, field, in_no_grad, function) -> Iterator[Site]:
    value = getattr(parent, field, None)
    items = value if isinstance(value, list) else [value]
    for i, node in enumerate(items):
        if not isinstance(node, ast.AST) or isinstance(node, ast.stmt):
            continue
        index = i if isinstance(value, list) else None
        if isinstance(node, ast.expr):
            yield Site(stmt, node, parent, field, index, in_no_grad, function)
        for child_field in node._fields:
            yield from _walk(stmt, node, child_field, in_no_grad, function)


def _header_end(stmt: ast.stmt) -> int:
    """Last line of a compound statement's header; of a simple statement, its last line."""
    if isinstance(stmt, ast.For | ast.AsyncFor):
        return stmt.iter.end_lineno
    if isinstance(stmt, ast.While | ast.If):
        return stmt.test.end_lineno
    if isinstance(stmt, ast.With):
        last = stmt.items[-1]
        return (last.optional_vars or last.context_expr).end_lineno
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return stmt.body[0].lineno - 1
    if isinstance(stmt, ast.Try):
        return stmt.lineno
    return stmt.end_lineno


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _line_comments(source: str) -> dict[int, str]:
    comments = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return comments


def _is_no_grad_call(node) -> bool:
    return isinstance(node, ast.Call) and _callee(node) in NO_GRAD


def _is_no_grad_with(stmt: ast.With) -> bool:
    return any(_is_no_grad_call(item.context_expr) for item in stmt.items)


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _int_value(node) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


def _int_node(value: int) -> ast.expr:
    return ast.Constant(value) if value >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-value))


def _plus(node: ast.expr, delta: int) -> ast.expr:
    """node + delta, folded where that keeps the code readable (``t + 1`` + 1 is ``t + 2``)."""
    value = _int_value(node)
    if value is not None:
        return _int_node(value + delta)
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Add | ast.Sub)
        and _int_value(node.right) is not None
    ):
        sign = 1 if isinstance(node.op, ast.Add) else -1
        total = sign * _int_value(node.right) + delta
        if total == 0:
            return copy.deepcopy(node.left)
        op = ast.Add() if total > 0 else ast.Sub()
        return ast.BinOp(copy.deepcopy(node.left), op, ast.Constant(abs(total)))
    op = ast.Add() if delta > 0 else ast.Sub()
    return ast.BinOp(copy.deepcopy(node), op, ast.Constant(abs(delta)))


# --------------------------------------------------------------------------- expression operators
# Each takes a Site and yields replacement nodes for site.node.


def op_swap_index(site: Site) -> Iterator[ast.expr]:
    """x[0] <-> x[1], x[-1] -> x[0], also inside x[:, 0]."""
    node = site.node
    if not isinstance(node, ast.Subscript):
        return
    swap = {0: 1, 1: 0, -1: 0}
    parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    for i, part in enumerate(parts):
        value = _int_value(part)
        if value in swap:
            new = copy.deepcopy(node)
            if isinstance(new.slice, ast.Tuple):
                new.slice.elts[i] = _int_node(swap[value])
            else:
                new.slice = _int_node(swap[value])
            yield new


def op_swap_tuple(site: Site) -> Iterator[ast.expr]:
    """(h, c) -> (c, h): neighbours swapped in a tuple, an unpacking target or a value."""
    node = site.node
    if not isinstance(node, ast.Tuple) or len(node.elts) < 2:
        return
    for i in range(len(node.elts) - 1):
        new = copy.deepcopy(node)
        new.elts[i], new.elts[i + 1] = new.elts[i + 1], new.elts[i]
        yield new


def op_detach(site: Site) -> Iterator[ast.expr]:
    """Remove a .detach(); or insert one on a value that flows on (an assigned or returned value,
    an input of a module call). Not under no_grad, where it changes nothing."""
    node = site.node
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "detach"
        and not node.args
    ):
        yield copy.deepcopy(node.func.value)
        return
    if site.in_no_grad or not _may_be_tensor(node):
        return
    if site.function is not None and site.function.name == "__init__":
        return  # building modules: nothing flows yet
    if isinstance(site.stmt, ast.Assign) and isinstance(site.stmt.targets[0], ast.Tuple):
        if site.stmt.value is node:
            return  # unpacked: a tuple such as (output, (h, c)), not a tensor
    parent = site.parent
    flows_on = (
        isinstance(parent, ast.Assign | ast.AugAssign | ast.Return) and site.field == "value"
    ) or (isinstance(parent, ast.Call) and site.field == "args" and _is_module_call(parent, site))
    in_value_tuple = (
        isinstance(parent, ast.Tuple)
        and isinstance(site.stmt, ast.Assign | ast.Return)
        and site.stmt.value is parent
    )
    if flows_on or in_value_tuple:
        yield ast.Call(ast.Attribute(copy.deepcopy(node), "detach", ast.Load()), [], [])


def _may_be_tensor(node) -> bool:
    if isinstance(node, ast.Call):
        name = _callee(node) or ""
        return name not in NOT_TENSOR | {"detach"} and not name[:1].isupper()  # not nn.LSTM(...)
    if isinstance(node, ast.Attribute):
        return node.attr not in ("training", "shape")
    return isinstance(node, ast.Name | ast.Subscript | ast.BinOp)


def _is_module_call(call: ast.Call, site: Site) -> bool:
    """self.lstm(x), or a call of a parameter such as lstm(x) / model(x)."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id == "self"
    if isinstance(func, ast.Name) and site.function is not None:
        return func.id in {a.arg for a in site.function.args.args}
    return False


def op_softmax(site: Site) -> Iterator[ast.expr]:
    """softmax <-> log_softmax, or the (log_)softmax removed (its input returned as it is)."""
    node = site.node
    if not isinstance(node, ast.Call) or _callee(node) not in SOFTMAX:
        return
    new = copy.deepcopy(node)
    if isinstance(new.func, ast.Attribute):
        new.func.attr = SOFTMAX[new.func.attr]
    else:
        new.func.id = SOFTMAX[new.func.id]
    yield new
    if _is_function_form(node):
        if node.args:
            yield copy.deepcopy(node.args[0])
    elif isinstance(node.func, ast.Attribute):
        yield copy.deepcopy(node.func.value)


def _is_function_form(call: ast.Call) -> bool:
    """F.softmax(x, ...) / torch.softmax(x, ...) / softmax(x) rather than x.softmax(...)."""
    func = call.func
    if isinstance(func, ast.Name):
        return True
    owner = func.value
    if isinstance(owner, ast.Name):
        return owner.id in {"F", "torch", "functional", "nn"}
    return isinstance(owner, ast.Attribute) and owner.attr == "functional"


def op_dim(site: Site) -> Iterator[ast.expr]:
    """dim=d -> another dimension: 0 for any d != 0, and 1 for 0 (keyword or positional)."""
    node = site.node
    if not isinstance(node, ast.Call):
        return
    for i, kw in enumerate(node.keywords):
        value = _int_value(kw.value)
        if kw.arg in ("dim", "axis") and value is not None:
            new = copy.deepcopy(node)
            new.keywords[i].value = _int_node(_other_dim(value))
            yield new
    position = _positional_dim(node)
    if position is not None:
        new = copy.deepcopy(node)
        new.args[position] = _int_node(_other_dim(_int_value(node.args[position])))
        yield new


def _positional_dim(call: ast.Call) -> int | None:
    name = _callee(call)
    if name not in DIM_METHODS:
        return None
    if name in ("cat", "stack"):  # torch.cat(tensors, d)
        index = 1
    elif _is_function_form(call):  # torch.sum(x, d)
        index = 1
    else:  # x.sum(d)
        index = 0
    if len(call.args) > index and _int_value(call.args[index]) is not None:
        return index
    return None


def _other_dim(value: int) -> int:
    return 0 if value != 0 else 1


def op_reduction(site: Site) -> Iterator[ast.expr]:
    """reduction="mean" <-> "sum"; x.mean() <-> x.sum(); torch.mean <-> torch.sum."""
    node = site.node
    swap = {"mean": "sum", "sum": "mean"}
    if isinstance(site.parent, ast.keyword) and site.parent.arg == "reduction":
        if isinstance(node, ast.Constant) and node.value in swap:
            yield ast.Constant(swap[node.value])
        return
    if not isinstance(node, ast.Call):
        return
    if isinstance(node.func, ast.Attribute) and node.func.attr in swap:
        new = copy.deepcopy(node)
        new.func.attr = swap[node.func.attr]
        yield new


def op_off_by_one(site: Site) -> Iterator[ast.expr]:
    """A slice bound or a range() bound one more or one less."""
    node = site.node
    if isinstance(node, ast.Slice):
        for bound in ("lower", "upper"):
            if getattr(node, bound) is not None:
                for delta in (1, -1):
                    new = copy.deepcopy(node)
                    setattr(new, bound, _plus(getattr(node, bound), delta))
                    yield new
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        for i in range(min(2, len(node.args))):
            for delta in (1, -1):
                new = copy.deepcopy(node)
                new.args[i] = _plus(node.args[i], delta)
                yield new


def op_swap_args(site: Site) -> Iterator[ast.expr]:
    """Two arguments of the same kind (two names, two ints, ...) of one call swapped."""
    node = site.node
    if not isinstance(node, ast.Call):
        return
    args = [a for a in node.args if not isinstance(a, ast.Starred)]
    for i in range(len(args)):
        for j in range(i + 1, len(args)):
            if _kind(args[i]) == _kind(args[j]):
                new = copy.deepcopy(node)
                new.args[i], new.args[j] = new.args[j], new.args[i]
                yield new
    kws = [k for k in node.keywords if k.arg is not None]
    for i in range(len(kws)):
        for j in range(i + 1, len(kws)):
            if _kind(kws[i].value) == _kind(kws[j].value):
                new = copy.deepcopy(node)
                a, b = node.keywords.index(kws[i]), node.keywords.index(kws[j])
                new.keywords[a].value, new.keywords[b].value = (
                    copy.deepcopy(kws[j].value),
                    copy.deepcopy(kws[i].value),
                )
                yield new


def _kind(node) -> str:
    if isinstance(node, ast.Constant):
        return f"Constant:{type(node.value).__name__}"
    if _int_value(node) is not None:
        return "Constant:int"
    return type(node).__name__


def op_replace_name(site: Site) -> Iterator[ast.expr]:
    """A local variable replaced by the local bound most recently before it (a mix-up such
    as out for h_n); parameters count as bound at the def."""
    node = site.node
    if not isinstance(node, ast.Name) or not isinstance(node.ctx, ast.Load):
        return
    if site.function is None or node.id == "self":
        return
    bindings = _bindings(site.function)
    if node.id not in {name for name, _ in bindings}:
        return  # a global or builtin
    here = (node.lineno, node.col_offset)
    earlier = [name for name, pos in bindings if pos < here and name not in (node.id, "self", "_")]
    if earlier:
        yield ast.Name(earlier[-1], ast.Load())


def _bindings(function: ast.FunctionDef) -> list[tuple[str, tuple[int, int]]]:
    """(name, position from which it is bound) of the function's parameters and local
    assignments, in source order (nested functions and comprehension variables excluded: their
    scope is not this one). An assignment binds after its whole statement, a loop variable
    after the loop's iterable."""
    args = function.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    params += [a for a in (args.vararg, args.kwarg) if a is not None]
    found = [(a.arg, (function.lineno, 0)) for a in params]
    stack = [(stmt, None) for stmt in function.body]
    while stack:
        node, bound_at = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.append((node.id, bound_at or (node.lineno, node.col_offset)))
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            bound_at = (node.end_lineno, node.end_col_offset)
        elif isinstance(node, ast.For | ast.AsyncFor):
            stack.append((node.target, (node.iter.end_lineno, node.iter.end_col_offset)))
            stack.extend((c, None) for c in ast.iter_child_nodes(node) if c is not node.target)
            continue
        elif isinstance(node, ast.stmt):
            bound_at = None
        stack.extend((c, bound_at) for c in ast.iter_child_nodes(node))
    seen, ordered = set(), []
    for name, pos in sorted(found, key=lambda b: b[1]):
        if name not in seen:
            seen.add(name)
            ordered.append((name, pos))
    return ordered


def op_flip_comparison(site: Site) -> Iterator[ast.expr]:
    """a < b -> a >= b (negated) and a <= b (boundary); `not x` in a condition -> x."""
    node = site.node
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op = type(node.ops[0])
        for table in (NEGATE, BOUNDARY):
            if op in table:
                new = copy.deepcopy(node)
                new.ops = [table[op]()]
                yield new
    elif (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.Not)
        and site.field == "test"
        and isinstance(site.parent, ast.If | ast.While | ast.IfExp)
    ):
        yield copy.deepcopy(node.operand)


EXPRESSION_OPERATORS: dict[str, Callable[[Site], Iterator[ast.expr]]] = {
    "swap_index": op_swap_index,
    "swap_tuple": op_swap_tuple,
    "detach": op_detach,
    "softmax": op_softmax,
    "dim": op_dim,
    "reduction": op_reduction,
    "off_by_one": op_off_by_one,
    "swap_args": op_swap_args,
    "replace_name": op_replace_name,
    "flip_comparison": op_flip_comparison,
}

# --------------------------------------------------------------------------- statement operators


def drop_call_edits(cell: Cell) -> Iterator[Edit]:
    """Drop optimizer.zero_grad() / .step() / model.eval() / .train(...) statements, and
    no_grad: `with torch.no_grad():` becomes its body, `@torch.no_grad()` goes."""
    for stmt, body, _, _ in cell.statements:
        if not cell.mutable(stmt):
            continue
        if (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
            and stmt.value.func.attr in DROPPED_CALLS
        ):
            yield _delete(cell, stmt, body, "drop_call")
        elif isinstance(stmt, ast.With) and _is_no_grad_with(stmt):
            yield _unwrap_with(cell, stmt)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in stmt.decorator_list:
                if _is_no_grad_call(deco) and deco.lineno in cell.allowed:
                    yield Edit("drop_call", deco.lineno, deco.end_lineno, "")


def delete_statement_edits(cell: Cell) -> Iterator[Edit]:
    """Delete one statement inside a function (a docstring, import, pass, def or class is left)."""
    for stmt, body, _, function in cell.statements:
        if function is None or not cell.mutable(stmt):
            continue
        if isinstance(
            stmt,
            ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom
            | ast.Pass | ast.Global | ast.Nonlocal,
        ):  # fmt: skip
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring or a bare constant
        if not all(n in cell.allowed for n in range(stmt.lineno, stmt.end_lineno + 1)):
            continue
        yield _delete(cell, stmt, body, "delete_statement")


def _delete(cell: Cell, stmt: ast.stmt, body: list, operator: str) -> Edit:
    if len(body) == 1:  # the block must keep a statement
        return Edit(
            operator, stmt.lineno, stmt.end_lineno, _indent(cell.lines[stmt.lineno - 1]) + "pass"
        )
    return Edit(operator, stmt.lineno, stmt.end_lineno, "")


def _unwrap_with(cell: Cell, stmt: ast.With) -> Edit:
    others = [item for item in stmt.items if not _is_no_grad_call(item.context_expr)]
    if others:  # `with torch.no_grad(), other:` keeps `with other:`
        saved = stmt.items
        stmt.items = others
        try:
            return cell.rewrite(stmt, "drop_call")
        finally:
            stmt.items = saved
    outer = len(_indent(cell.lines[stmt.lineno - 1]))
    inner = len(_indent(cell.lines[stmt.body[0].lineno - 1]))
    shift = inner - outer
    body = cell.lines[_header_end(stmt) : stmt.end_lineno]
    dedented = [line[shift:] if line[:shift].strip() == "" else line for line in body]
    return Edit("drop_call", stmt.lineno, stmt.end_lineno, "\n".join(dedented))


STATEMENT_OPERATORS: dict[str, Callable[[Cell], Iterator[Edit]]] = {
    "drop_call": drop_call_edits,
    "delete_statement": delete_statement_edits,
}
# Order matters only for duplicates: a change two operators make is kept under the first one.
OPERATORS = (
    "drop_call", "detach", "softmax", "dim", "reduction", "swap_index", "swap_tuple",
    "off_by_one", "swap_args", "replace_name", "flip_comparison", "delete_statement",
)  # fmt: skip


def cell_edits(source: str, allowed: set[int], operators=OPERATORS) -> Iterator[Edit]:
    """Every one-change edit of the cell by the given operators, in a fixed order."""
    cell = Cell(source, allowed)
    for name in OPERATORS:
        if name not in operators:
            continue
        if name in STATEMENT_OPERATORS:
            yield from STATEMENT_OPERATORS[name](cell)
            continue
        op = EXPRESSION_OPERATORS[name]
        for site in cell.sites():
            for new in op(site):
                undo = site.swap_in(new)
                try:
                    yield cell.splice(site.node, new, name) or cell.rewrite(site.stmt, name)
                finally:
                    undo()
