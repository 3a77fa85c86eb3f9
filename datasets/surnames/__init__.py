"""Surname -> language-of-origin data set for the character-level RNN exercise.

The data live in surnames.tsv next to this file, built by build_surnames.py; sources,
licences and processing are described in PROVENANCE.md.

    >>> from datasets import surnames
    >>> train = surnames.load("train")  # [("Abe", "Japanese"), ...]
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("surnames.tsv")
ALPHABET = string.ascii_letters + " '-"
SPLITS = ("train", "val", "test")


@cache
def _rows() -> tuple[tuple[str, str, str], ...]:
    lines = DATA_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(tuple(line.split("\t")) for line in lines[1:])


def load(split: str | None = None) -> list[tuple[str, str]]:
    """(name, language) pairs in file order, for one split or, with None, all of them."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)} or None")
    return [(name, language) for name, language, s in _rows() if split in (None, s)]


def languages() -> list[str]:
    """Sorted class names."""
    return sorted({language for _, language, _ in _rows()})
