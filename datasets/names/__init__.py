"""US first names for the character-level name generator (assignment 3).

The data live in names.txt next to this file, one `name<TAB>split` line per name, sorted by name
and without a header. The file is built by build_names.py; source, licences and processing are
described in PROVENANCE.md. This loader needs only the standard library.

    >>> from datasets import names
    >>> train = names.load("train")  # ["aaban", "aabriella", ...]
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("names.txt")
LETTERS = string.ascii_lowercase  # every name uses only these, so add just an end-of-name token
SPLITS = ("train", "val", "test")


@cache
def _rows() -> tuple[tuple[str, str], ...]:
    lines = DATA_FILE.read_text(encoding="utf-8").splitlines()
    return tuple((name, split) for name, split in (line.split("\t") for line in lines))


def load(split: str | None = None) -> list[str]:
    """Names in file (alphabetical) order, for one split or, with None, all of them."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)} or None")
    return [name for name, s in _rows() if split in (None, s)]
