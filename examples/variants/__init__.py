"""Example submissions, one module per assignment: each defines ``ASSIGNMENT`` and ``VARIANTS``
(student name -> Variant). ``examples/make_examples.py`` builds them into examples/submitted."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Variant:
    about: str
    edits: tuple[tuple[str, str, str], ...] = ()  # (answer cell grade_id, old text, new text)
    stubs: tuple[str, ...] = ()  # answer cells left exactly as released
    fails: tuple[str, ...] = ()  # hidden tests this submission must fail, no more, no fewer
    replace_all: str | None = None  # the whole file's bytes (a broken "notebook")
    extra_cells: tuple[str, ...] = field(default=())  # code cells appended by the student
