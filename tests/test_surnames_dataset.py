"""Checks of the committed surname data set (datasets/surnames) and its loader."""

import json
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # plain `pytest` (unlike `python -m pytest`) does not add it
    sys.path.insert(0, str(ROOT))

from datasets import surnames  # noqa: E402

BUILDER = ROOT / "datasets" / "surnames" / "build_surnames.py"
NOTEBOOK = ROOT / "solutions" / "01_lstm_classifier" / "lstm_classifier.ipynb"
SPLITS = {"train", "val", "test"}


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    lines = surnames.DATA_FILE.read_bytes().decode("utf-8").split("\n")
    assert lines[0] == "name\tlanguage\tsplit"
    assert lines[-1] == "", "file must end with a newline"
    return [line.split("\t") for line in lines[1:-1]]


def test_build_is_byte_identical_to_committed_file(run_check):
    result = run_check(BUILDER)
    assert result.returncode == 0, result.stderr


def test_check_mode_fails_on_a_stale_file(tmp_path, run_check):
    # On a copy, so the committed file is never touched.
    builder = tmp_path / BUILDER.name
    shutil.copy(BUILDER, builder)
    text = surnames.DATA_FILE.read_text(encoding="utf-8")
    (tmp_path / "surnames.tsv").write_text(text.replace("\tval\n", "\ttrain\n", 1), "utf-8")
    result = run_check(builder)
    assert result.returncode == 1
    assert "stale" in result.stderr


def test_format(rows):
    assert len(rows) > 10_000
    assert all(len(row) == 3 and all(row) for row in rows)
    assert {split for _, _, split in rows} == SPLITS
    keys = [(language, name) for name, language, _ in rows]
    assert keys == sorted(keys), "rows must be sorted by (language, name)"
    assert len(set(keys)) == len(keys), "duplicate rows"


def test_names_use_only_the_alphabet(rows):
    bad = [name for name, _, _ in rows if not set(name) <= set(surnames.ALPHABET)]
    assert not bad, bad[:10]
    short = [name for name, _, _ in rows if len(name) < 2 or name != " ".join(name.split())]
    assert not short, short[:10]


def test_no_name_has_two_labels(rows):
    labels = defaultdict(set)
    for name, language, _ in rows:
        labels[name.lower()].add(language)  # case-insensitively: "MacDonald" == "Macdonald"
    clashes = {name: langs for name, langs in labels.items() if len(langs) > 1}
    assert not clashes, list(clashes.items())[:10]


def test_no_name_in_two_splits(rows):
    splits = defaultdict(set)
    for name, _, split in rows:
        splits[name.lower()].add(split)
    leaks = {name: s for name, s in splits.items() if len(s) > 1}
    assert not leaks, list(leaks.items())[:10]


def test_every_language_is_split_about_80_10_10(rows):
    per_language = defaultdict(Counter)
    for _, language, split in rows:
        per_language[language][split] += 1
    assert len(per_language) >= 13
    for language, counts in per_language.items():
        assert set(counts) == SPLITS, f"{language} has only {dict(counts)}"
        total = counts.total()
        for held_out in ("val", "test"):
            assert abs(counts[held_out] - 0.1 * total) <= 1, f"{language}: {dict(counts)}"


MIN_NAMES = 100  # a test split of 10 % then holds at least 10 names per language


def test_every_language_has_enough_names_for_a_test_split(rows):
    sizes = Counter(language for _, language, _ in rows)
    assert len(sizes) >= 13
    thin = {language: n for language, n in sizes.items() if n < MIN_NAMES}
    assert not thin, f"languages with fewer than {MIN_NAMES} names (leave them out): {thin}"


def test_the_notebook_states_the_datas_figures(rows):
    """Assignment 1's text gives the size, the languages and the extremes of this file."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    text = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    text = " ".join(text.split())
    sizes = Counter(language for _, language, _ in rows)
    splits = Counter(split for _, _, split in rows)
    (largest, most), *_, (smallest, fewest) = sizes.most_common()
    smallest_held_out = min(Counter(lang for _, lang, s in rows if s == "test").values())
    stated = [
        f"It holds {len(rows):,} surnames in {len(sizes)} languages",
        f"({splits['train']:,} / {splits['val']:,} / {splits['test']:,} names)",
        f"Every language has at least {fewest:,} names",
        f"{smallest_held_out} names in `val` and in `test`",
        f"{largest} ({most:,} names)",
        f"{smallest} ({fewest:,})",
    ]
    missing = [figure for figure in stated if figure not in text]
    assert not missing, f"{NOTEBOOK.name} does not say (or says otherwise): {missing}"


def test_loader(rows):
    everything = surnames.load()
    assert everything == [(name, language) for name, language, _ in rows]
    parts = [surnames.load(split) for split in ("train", "val", "test")]
    assert sorted(sum(parts, [])) == sorted(everything)
    assert surnames.load("val") == [(n, lang) for n, lang, s in rows if s == "val"]
    assert surnames.languages() == sorted({language for _, language, _ in rows})


@pytest.mark.parametrize("split", ["dev", "Train", ""])
def test_loader_rejects_unknown_split(split):
    with pytest.raises(ValueError, match=repr(split)):
        surnames.load(split)


def test_loader_imports_only_the_standard_library():
    code = "import sys, datasets.surnames; print(sorted({'torch', 'numpy'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
