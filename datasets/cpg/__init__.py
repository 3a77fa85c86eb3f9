"""Per-base CpG-island tagging data set for the LSTM tagger (assignment 2).

DNA sequences sampled from a known two-state hidden Markov model (hmm.py), with the true state
of every base as its label (0 = background, 1 = island). The data live in cpg.tsv next to this
file, built by build_cpg.py; the exact Bayes accuracy ceilings are in ceilings.json. Model,
generator and columns are described in PROVENANCE.md. This loader needs only the standard
library; the exact inference (numpy) is in the submodule datasets.cpg.hmm.

    >>> from datasets import cpg
    >>> train = cpg.load("train")  # [("CGCAGACG...", "11111111..."), ...]
    >>> cpg.ceilings()["test"]["accuracy"]["posterior"]  # best achievable per-base accuracy
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("cpg.tsv")
CEILINGS_FILE = Path(__file__).with_name("ceilings.json")
BASES = "ACGT"
LABELS = "01"  # background, island
SPLITS = ("train", "val", "test")
SPLITS_WITH_PROBABILITIES = ("val", "test")


@cache
def _rows() -> tuple[tuple[str, str, str, str, str], ...]:
    """(split, bases, labels, posterior, filtered) per sequence, in file order."""
    lines = DATA_FILE.read_text(encoding="ascii").splitlines()
    return tuple(tuple(line.split("\t")) for line in lines[1:])


def load(split: str | None = None) -> list[tuple[str, str]]:
    """(bases, labels) pairs in file order, for one split or, with None, all of them.

    bases is a string over BASES and labels a string over "01" of the same length: the label
    of every base (1 = CpG island).
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)} or None")
    return [(bases, labels) for s, bases, labels, _, _ in _rows() if split in (None, s)]


def load_probabilities(split: str) -> list[tuple[str, str]]:
    """(posterior, filtered) digit strings of the val or test split, aligned with load(split).

    Digit d at position t means d/10 <= p < (d+1)/10 (9 includes p = 1), where p is the exact
    P(island at t | whole sequence) for posterior and P(island at t | bases up to t) for
    filtered. Quantised for plotting; use datasets.cpg.hmm for the exact values.
    """
    if split not in SPLITS_WITH_PROBABILITIES:
        stored = " and ".join(SPLITS_WITH_PROBABILITIES)
        raise ValueError(f"no probabilities for split {split!r}; they are stored for {stored} only")
    return [(post, filt) for s, _, _, post, filt in _rows() if s == split]


def ceilings() -> dict:
    """ceilings.json: per split (val, test), counts and per-base accuracies of reference rules.

    result["test"]["accuracy"] maps majority, context_free, filtering (best causal model),
    viterbi and posterior (best model seeing the whole sequence) to fractions; see
    PROVENANCE.md. A fresh dict on every call.
    """
    return json.loads(CEILINGS_FILE.read_text(encoding="utf-8"))
