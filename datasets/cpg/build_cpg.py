"""Build cpg.tsv and ceilings.json (per-base CpG-island tagging) by sampling the HMM in hmm.py.

    python datasets/cpg/build_cpg.py           # rewrite cpg.tsv and ceilings.json
    python datasets/cpg/build_cpg.py --check   # exit 1 if either differs from a fresh build

The model, the sampling order, the columns and the ceilings are described in PROVENANCE.md next
to this file. Only numpy is needed. hmm.py is imported from this script's own directory, so the
script runs without the repository on sys.path.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

import hmm  # hmm.py next to this file: a script's own directory is sys.path[0]
import numpy as np

OUT = Path(__file__).with_name("cpg.tsv")
CEILINGS = Path(__file__).with_name("ceilings.json")
HEADER = "split\tbases\tlabels\tposterior\tfiltered"
SEED = 2
N_SEQUENCES = 2_000
MIN_LENGTH, MAX_LENGTH = 100, 300  # inclusive
N_HELD_OUT = 200  # sequences in val and again in test (10 % each)
# Prediction rules compared in ceilings.json, from the weakest to the Bayes-optimal one.
RULES = ("majority", "context_free", "filtering", "viterbi", "posterior")


def sample_corpus() -> tuple[list[str], list[str], list[str]]:
    """(splits, bases, labels) per sequence, in generation order.

    One Generator, drawn in this order: N uniforms for the lengths, N for the split, then the
    sequences one after another (hmm.sample, 2 * length uniforms each).
    """
    rng = np.random.default_rng(SEED)
    span = MAX_LENGTH - MIN_LENGTH + 1
    lengths = (MIN_LENGTH + np.floor(rng.random(N_SEQUENCES) * span)).astype(np.int64)
    order = np.argsort(rng.random(N_SEQUENCES), kind="stable")
    splits = np.full(N_SEQUENCES, "train", dtype=object)
    splits[order[:N_HELD_OUT]] = "val"
    splits[order[N_HELD_OUT : 2 * N_HELD_OUT]] = "test"
    bases, labels = zip(*(hmm.sample(rng, length) for length in lengths.tolist()))
    return splits.tolist(), list(bases), list(labels)


def quantise(p: np.ndarray) -> str:
    """One digit per base: floor(10 p), clipped to 0..9, so digit d means d/10 <= p < (d+1)/10."""
    return "".join(map(str, np.clip(np.floor(p * 10), 0, 9).astype(np.int64).tolist()))


def accuracies(bases: list[str], labels: list[str], majority: str) -> dict:
    """Measured and expected per-base accuracy of every rule in RULES on these sequences.

    measured: agreement with the sampled labels. expected: the mean over bases of
    P(state_t = prediction_t | whole sequence), the accuracy the rule has on average over all
    label sequences that could have produced these bases (same ranking, less sampling noise).
    """
    post = hmm.posterior_many(bases)
    predictions = {
        "majority": [np.full(len(b), majority == "1") for b in bases],
        "context_free": [np.array(list(hmm.context_free(b))) == "1" for b in bases],
        "filtering": [f > 0.5 for f in hmm.filtered_many(bases)],
        "viterbi": [np.array(list(v)) == "1" for v in hmm.viterbi_many(bases)],
        "posterior": [p > 0.5 for p in post],
    }
    truth = np.concatenate([np.array(list(label)) == "1" for label in labels])
    p_island = np.concatenate(post)
    measured, expected = {}, {}
    for rule in RULES:
        guess = np.concatenate(predictions[rule])
        measured[rule] = round(float(np.mean(guess == truth)), 4)
        expected[rule] = round(float(np.mean(np.where(guess, p_island, 1 - p_island))), 4)
    return {
        "sequences": len(bases),
        "bases": int(truth.size),
        "island_bases": int(truth.sum()),
        "majority_label": majority,
        "accuracy": measured,
        "expected_accuracy": expected,
    }


def build() -> tuple[str, str]:
    """The cpg.tsv text and the ceilings.json text."""
    splits, bases, labels = sample_corpus()
    held_out = [i for i, split in enumerate(splits) if split != "train"]
    held_bases = [bases[i] for i in held_out]
    columns = {
        i: (quantise(p), quantise(f))
        for i, p, f in zip(held_out, hmm.posterior_many(held_bases), hmm.filtered_many(held_bases))
    }
    rows = [
        "\t".join((split, b, label, *columns.get(i, ("", ""))))
        for i, (split, b, label) in enumerate(zip(splits, bases, labels))
    ]
    train_labels = "".join(label for split, label in zip(splits, labels) if split == "train")
    # Ties (never in practice) go to background, like every other rule here.
    majority = "1" if train_labels.count("1") > train_labels.count("0") else "0"
    ceilings = {}
    for name in ("val", "test"):
        chosen = [i for i, split in enumerate(splits) if split == name]
        ceilings[name] = accuracies(
            [bases[i] for i in chosen], [labels[i] for i in chosen], majority
        )
    return "\n".join([HEADER, *rows]) + "\n", json.dumps(ceilings, indent=2) + "\n"


def report(ceilings_text: str) -> str:
    """Markdown table of the ceilings, as pasted into PROVENANCE.md."""
    ceilings = json.loads(ceilings_text)
    splits = list(ceilings)
    head = " | ".join(f"{s} measured | {s} expected" for s in splits)
    lines = [f"| rule | {head} |", "|---" + "|---:" * (2 * len(splits)) + "|"]
    for rule in RULES:
        cells = []
        for s in splits:
            cells += [
                f"{100 * ceilings[s][k][rule]:.2f} %" for k in ("accuracy", "expected_accuracy")
            ]
        lines.append(f"| {rule} | " + " | ".join(cells) + " |")
    for s in splits:
        c = ceilings[s]
        lines.append(
            f"\n{s}: {c['sequences']} sequences, {c['bases']} bases, "
            f"{c['island_bases']} island ({100 * c['island_bases'] / c['bases']:.2f} %)"
        )
    return "\n".join(lines)


def stale(path: Path, text: str) -> str | None:
    """None if path holds exactly these bytes, else a short diff."""
    # Bytes, not text: a CRLF or re-encoded copy must fail too.
    committed = path.read_bytes() if path.exists() else b""
    if committed == text.encode("utf-8"):
        return None
    old = committed.decode("utf-8", errors="replace").splitlines()
    diff = difflib.unified_diff(old, text.splitlines(), "committed", "rebuilt", lineterm="")
    # cpg.tsv lines are hundreds of characters long: show where they differ, not all of them.
    shown = "\n".join(line[:120] + ("..." if len(line) > 120 else "") for line in list(diff)[:20])
    return shown or "(only line endings or encoding differ)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if cpg.tsv or ceilings.json is stale"
    )
    args = parser.parse_args(argv)
    data, ceilings = build()
    outputs = {OUT: data, CEILINGS: ceilings}
    if args.check:
        problems = {path: diff for path, text in outputs.items() if (diff := stale(path, text))}
        for path, diff in problems.items():
            print(
                f"{path} is stale: it differs from what build_cpg.py builds now.\n{diff}",
                file=sys.stderr,
            )
        if problems:
            print("Regenerate with: python datasets/cpg/build_cpg.py", file=sys.stderr)
            return 1
        print(f"{OUT.name} and {CEILINGS.name} are up to date ({N_SEQUENCES} sequences)")
        return 0
    for path, text in outputs.items():
        with path.open("w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    print(report(ceilings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
