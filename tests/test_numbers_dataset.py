"""Checks of the generated numbers data set (datasets/numbers) and its loader."""

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # plain `pytest` (unlike `python -m pytest`) does not add it
    sys.path.insert(0, str(ROOT))

from datasets import numbers  # noqa: E402

BUILDER = ROOT / "datasets" / "numbers" / "build_numbers.py"


def _builder_module():
    sys.path.insert(0, str(BUILDER.parent))
    try:
        import build_numbers

        return build_numbers
    finally:
        sys.path.pop(0)


def test_build_is_byte_identical_to_committed_file(run_check):
    result = run_check(BUILDER)
    assert result.returncode == 0, result.stderr


def test_check_mode_fails_on_a_stale_file(tmp_path, run_check):
    builder = tmp_path / BUILDER.name
    shutil.copy(BUILDER, builder)
    text = numbers.DATA_FILE.read_text("ascii").replace("\ttest\n", "\ttrain\n", 1)
    (tmp_path / "numbers.tsv").write_text(text, encoding="ascii")
    result = run_check(builder)
    assert result.returncode == 1 and "stale" in result.stderr


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (21, "twenty-one"),
        (100, "one hundred"),
        (407, "four hundred and seven"),
        (1000, "one thousand"),
        (12001, "twelve thousand and one"),
        (12100, "twelve thousand one hundred"),
        (300090, "three hundred thousand and ninety"),
        (999999, "nine hundred and ninety-nine thousand nine hundred and ninety-nine"),
    ],
)
def test_words_follow_british_usage(n, words):
    assert _builder_module().to_words(n) == words


def test_splits_are_disjoint_and_small_numbers_are_for_training():
    seen: dict[str, str] = {}
    for split in numbers.SPLITS:
        for words, digits in numbers.load(split):
            assert digits not in seen, f"{digits} is in {seen[digits]} and {split}"
            seen[digits] = split
            assert str(int(digits)) == digits and words.replace("-", " ").replace(" ", "").isalpha()
    assert all(seen[str(n)] == "train" for n in range(100))
    assert len(numbers.load("val")) == len(numbers.load("test")) == 2190


def test_output_lengths_vary_in_every_split():
    for split in numbers.SPLITS:
        lengths = {len(d) for _, d in numbers.load(split)}
        assert {3, 4, 5, 6} <= lengths


def test_unknown_split_is_rejected():
    with pytest.raises(ValueError, match="unknown split"):
        numbers.load("dev")
