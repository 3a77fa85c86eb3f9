"""Helpers for probes: small functions that run in the worker child, next to student code.

A probe takes the namespace built from the submission plus plain-data arguments, exercises the
student's code, and returns plain data (tensors, numbers, strings, lists, dicts). It decides
nothing: the hidden tests in the grader process assert on what it returns.
"""

from __future__ import annotations

import inspect
from typing import Any


class ProbeFailure(Exception):
    """A clear, student-facing reason why a probe could not run (e.g. a name is not defined)."""


def need(ns: dict, name: str, kind: str = "function") -> Any:
    """The student's definition of ``name``, or a ProbeFailure saying what is missing."""
    if name not in ns:
        raise ProbeFailure(
            f"`{name}` is not defined. Keep the {kind} name and signature from the notebook, "
            "and define it at the top level of a code cell (the grader runs only definitions)."
        )
    obj = ns[name]
    if kind == "class" and not inspect.isclass(obj):
        raise ProbeFailure(f"`{name}` should be a class, found {type(obj).__name__}")
    if kind == "function" and not callable(obj):
        raise ProbeFailure(f"`{name}` should be a function, found {type(obj).__name__}")
    return obj


def use_reference(ns: dict, **replacements: Any) -> None:
    """Swap graded names in the submission's namespace for reference versions.

    Tests one part in isolation: e.g. ``predict`` runs with the reference ``names_to_batch``, so
    a mistake in the student's packing costs the packing points only. Each probe runs in a
    throw-away child process, so changing the namespace here affects nothing else.
    """
    ns.update(replacements)


# ------------------------------------------------------------------ hiding the reference
# Student code runs in the same process as the probe that calls it, so it could walk up the
# stack (or search gc) to the reference implementation of the very function under test and
# call that instead. Before a probe child loads the submission, every reference object that
# implements what the probe tests is removed from the suite's modules and freed: it is not in
# the process any more. A probe must therefore never use the reference of what it tests.


def tested_names(probes_module) -> dict[str, set[str]]:
    """probe name -> the student names it tests: every `need(ns, "name", ...)` in the probe,
    or in a module-level helper it calls (found in the probes' source, read while trusted)."""
    import ast

    tree = ast.parse(inspect.getsource(probes_module))
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    direct: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for name, fn in functions.items():
        direct[name], calls[name] = set(), set()
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id == "need" and len(node.args) >= 2:
                if isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                    direct[name].add(node.args[1].value)
            elif node.func.id in functions:
                calls[name].add(node.func.id)
    result = {}
    for name in functions:
        seen, todo, names = set(), [name], set()
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                names |= direct[current]
                todo += calls[current]
        result[name] = names
    return result


def hide_references(modules: list, tested: set[str]) -> list[str]:
    """Remove from ``modules`` every object implementing a tested name: the object of that
    name and those the probes module lists in HIDDEN_WHEN_TESTED[name]; any other module-level
    alias of the same objects goes too. Returns what was removed."""
    import gc

    aliases: dict[str, tuple[str, ...]] = {}
    for module in modules:
        aliases.update(getattr(module, "HIDDEN_WHEN_TESTED", {}))
    names = set(tested)
    for name in tested:
        names.update(aliases.get(name, ()))
    doomed = {id(vars(m)[n]) for m in modules for n in names if n in vars(m)}
    removed = []
    for module in modules:
        for key, value in list(vars(module).items()):
            if id(value) in doomed:
                delattr(module, key)
                removed.append(f"{module.__name__}.{key}")
    gc.collect()  # classes live in reference cycles: free them now, not later
    return removed
