"""Build numbers.tsv: whole numbers written in English words, paired with their digits.

    python datasets/numbers/build_numbers.py           # rewrite numbers.tsv, print the statistics
    python datasets/numbers/build_numbers.py --check   # exit 1 if numbers.tsv is stale

The data are generated here, from rules, with a fixed seed: no source data, no downloads. The
rules and the split are described in PROVENANCE.md next to this file. Standard library only, so
the script runs without the repository on sys.path.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from collections import Counter
from pathlib import Path

OUT = Path(__file__).with_name("numbers.tsv")
SEED = 8
SMALL = 1000  # every number below this is in the data set
ALWAYS_TRAIN = 100  # numbers below this name the words themselves: all of them are for training
PER_DIGIT_COUNT = 7000  # sampled numbers with 4, 5 and 6 digits each
HELD_OUT = 0.1  # fraction of the numbers for val and again for test
SPLITS = ("train", "val", "test")

ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def below_hundred(n: int) -> str:
    if n < 20:
        return ONES[n]
    tens, ones = divmod(n, 10)
    return TENS[tens] + (f"-{ONES[ones]}" if ones else "")


def below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if not hundreds:
        return below_hundred(rest)
    words = f"{ONES[hundreds]} hundred"
    return words + (f" and {below_hundred(rest)}" if rest else "")


def to_words(n: int) -> str:
    """British usage, as in "four hundred and seven" and "twelve thousand and one"."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"{n} is outside 0..999999")
    thousands, rest = divmod(n, 1000)
    if not thousands:
        return below_thousand(rest)
    words = f"{below_thousand(thousands)} thousand"
    if not rest:
        return words
    return words + (" and " if rest < 100 else " ") + below_thousand(rest)


def choose_numbers() -> list[int]:
    """All numbers below SMALL, then PER_DIGIT_COUNT distinct ones of each longer length."""
    rng = random.Random(SEED)
    numbers = list(range(SMALL))
    for digits in (4, 5, 6):
        numbers += sorted(rng.sample(range(10 ** (digits - 1), 10**digits), PER_DIGIT_COUNT))
    return numbers


def split_numbers(numbers: list[int]) -> dict[int, str]:
    """Disjoint splits: no val or test number is ever seen in training."""
    order = [n for n in numbers if n >= ALWAYS_TRAIN]
    random.Random(SEED + 1).shuffle(order)
    n_held = round(len(order) * HELD_OUT)
    splits = {n: "train" for n in numbers if n < ALWAYS_TRAIN}
    splits |= {n: "val" for n in order[:n_held]}
    splits |= {n: "test" for n in order[n_held : 2 * n_held]}
    splits |= {n: "train" for n in order[2 * n_held :]}
    return splits


def build() -> tuple[str, dict]:
    numbers = choose_numbers()
    splits = split_numbers(numbers)
    text = "".join(f"{to_words(n)}\t{n}\t{splits[n]}\n" for n in numbers)
    stats = {
        "numbers": len(numbers),
        "per_split": Counter(splits.values()),
        "digits": {s: Counter(len(str(n)) for n in numbers if splits[n] == s) for s in SPLITS},
        "word_lengths": [len(to_words(n)) for n in numbers],
        "bytes": len(text.encode("ascii")),
    }
    return text, stats


def report(stats: dict) -> str:
    lengths = stats["word_lengths"]
    lines = [
        f"numbers: {stats['numbers']}; numbers.tsv: {stats['bytes']} bytes",
        f"input length in characters: mean {statistics.mean(lengths):.1f}, "
        f"median {statistics.median(lengths):g}, min {min(lengths)}, max {max(lengths)}",
        "",
        "| split | numbers | 1 digit | 2 | 3 | 4 | 5 | 6 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for split in SPLITS:
        per = stats["digits"][split]
        cells = " | ".join(str(per.get(d, 0)) for d in range(1, 7))
        lines.append(f"| {split} | {stats['per_split'][split]} | {cells} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if numbers.tsv is stale")
    args = parser.parse_args(argv)
    text, stats = build()
    if args.check:
        current = OUT.read_text(encoding="ascii") if OUT.exists() else ""
        if current != text:
            print(f"{OUT.name} is stale: run python {Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{OUT.name} is up to date")
        return 0
    OUT.write_text(text, encoding="ascii", newline="\n")
    print(report(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
