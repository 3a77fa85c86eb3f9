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
