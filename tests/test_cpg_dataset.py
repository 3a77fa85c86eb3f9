"""Checks of the CpG-island tagging data set (datasets/cpg): exact HMM inference, file, loader."""

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # plain `pytest` (unlike `python -m pytest`) does not add it
    sys.path.insert(0, str(ROOT))

from datasets import cpg  # noqa: E402
from datasets.cpg import hmm  # noqa: E402

DIR = ROOT / "datasets" / "cpg"
BUILDER = DIR / "build_cpg.py"
HEADER = ["split", "bases", "labels", "posterior", "filtered"]
RULES = ["majority", "context_free", "filtering", "viterbi", "posterior"]


# --- brute force over all state paths, straight from the model's tables ---------------------


def joint(bases: str, path: tuple[int, ...]) -> float:
    """P(path, bases) = pi[s_0] e[s_0, x_0] prod_t A[s_{t-1}, s_t] e[s_t, x_t]."""
    x = [hmm.BASES.index(b) for b in bases]
    p = hmm.START[path[0]] * hmm.EMISSION[path[0], x[0]]
    for t in range(1, len(x)):
        p *= hmm.TRANSITION[path[t - 1], path[t]] * hmm.EMISSION[path[t], x[t]]
    return float(p)


def paths(length: int):
    return itertools.product((0, 1), repeat=length)


def brute_posterior(bases: str) -> list[float]:
    weights = {path: joint(bases, path) for path in paths(len(bases))}
    total = sum(weights.values())
    return [sum(w for s, w in weights.items() if s[t]) / total for t in range(len(bases))]


def brute_filtered(bases: str) -> list[float]:
    return [brute_posterior(bases[: t + 1])[t] for t in range(len(bases))]


def short_sequences() -> list[str]:
    rng = np.random.default_rng(20240602)
    uniform = ["".join(rng.choice(list("ACGT"), size=t)) for t in (1, 2, 3, 4, 6, 8, 10, 10)]
    sampled = [hmm.sample(rng, t)[0] for t in (5, 7, 9, 10, 10)]
    return uniform + sampled + ["CGCGCGCGCG", "ATATATATAT", "CCCCCAAAAA"]


SHORT = short_sequences()


@pytest.mark.parametrize("bases", SHORT)
def test_posterior_matches_brute_force(bases):
    np.testing.assert_allclose(hmm.posterior(bases), brute_posterior(bases), rtol=0, atol=1e-9)


@pytest.mark.parametrize("bases", SHORT)
def test_filtered_matches_brute_force_over_prefixes(bases):
    np.testing.assert_allclose(hmm.filtered(bases), brute_filtered(bases), rtol=0, atol=1e-9)


@pytest.mark.parametrize("bases", SHORT)
def test_viterbi_matches_brute_force_argmax(bases):
    ranked = sorted(paths(len(bases)), key=lambda path: -joint(bases, path))
    found = tuple(int(s) for s in hmm.viterbi(bases))
    assert len(found) == len(bases)
    assert joint(bases, found) == pytest.approx(joint(bases, ranked[0]), rel=1e-12)
    if len(ranked) > 1 and joint(bases, ranked[1]) < joint(bases, ranked[0]) * (1 - 1e-9):
        assert found == ranked[0]  # unique best path (always, in practice)


def test_context_free_rule():
    assert hmm.context_free("ACGTTGCA") == "01100110"
    rule = {b: int(np.argmax(hmm.START * hmm.EMISSION[:, i])) for i, b in enumerate("ACGT")}
    assert rule == {"A": 0, "C": 1, "G": 1, "T": 0}


def test_model_tables():
    assert np.allclose(hmm.TRANSITION, [[0.98, 0.02], [0.02, 0.98]])
    assert np.allclose(hmm.EMISSION, [[0.30, 0.20, 0.20, 0.30], [0.15, 0.35, 0.35, 0.15]])
    assert np.allclose(hmm.START @ hmm.TRANSITION, hmm.START), "start must be stationary"
    for table in (hmm.START, hmm.TRANSITION, hmm.EMISSION):
        assert np.allclose(table.sum(axis=-1), 1)


def log_space_posterior(bases: str) -> tuple[np.ndarray, np.ndarray]:
    """Unscaled forward-backward in log space: an independent reference for long sequences."""
    log_a, log_e = np.log(hmm.TRANSITION), np.log(hmm.EMISSION[:, hmm.encode(bases)].T)
    fwd = np.empty_like(log_e)
    bwd = np.zeros_like(log_e)
    fwd[0] = np.log(hmm.START) + log_e[0]
    for t in range(1, len(bases)):
        fwd[t] = np.logaddexp.reduce(fwd[t - 1][:, None] + log_a, axis=0) + log_e[t]
    for t in range(len(bases) - 2, -1, -1):
        bwd[t] = np.logaddexp.reduce(log_a + log_e[t + 1] + bwd[t + 1], axis=1)
    gamma, filt = fwd + bwd, fwd
    return (
        np.exp(gamma[:, 1] - np.logaddexp(gamma[:, 0], gamma[:, 1])),
        np.exp(filt[:, 1] - np.logaddexp(filt[:, 0], filt[:, 1])),
    )


def test_long_sequences_are_numerically_stable():
    bases, _ = hmm.sample(np.random.default_rng(7), 4000)
    post, filt = log_space_posterior(bases)
    np.testing.assert_allclose(hmm.posterior(bases), post, rtol=0, atol=1e-9)
    np.testing.assert_allclose(hmm.filtered(bases), filt, rtol=0, atol=1e-9)
    path = hmm.viterbi(bases)
    assert len(path) == 4000 and set(path) <= {"0", "1"}


def test_batched_inference_equals_one_sequence_at_a_time():
    rng = np.random.default_rng(3)
    seqs = [hmm.sample(rng, t)[0] for t in (1, 250, 2, 17, 250, 60)]
    for many, one in [
        (hmm.posterior_many, hmm.posterior),
        (hmm.filtered_many, hmm.filtered),
    ]:
        for got, bases in zip(many(seqs), seqs):
            assert np.array_equal(got, one(bases))  # exactly: padding must never leak in
    assert hmm.viterbi_many(seqs) == [hmm.viterbi(bases) for bases in seqs]


def test_sample_follows_the_model():
    first = hmm.sample(np.random.default_rng(11), 60_000)
    assert first == hmm.sample(np.random.default_rng(11), 60_000)
    bases, labels = first
    assert len(bases) == len(labels) == 60_000
    assert set(bases) <= set("ACGT") and set(labels) <= set("01")
    x = hmm.encode(bases)
    s = np.array(list(labels)) == "1"
    assert abs(s.mean() - 0.5) < 0.1  # long runs (mean 50 bases): a loose bound
    assert abs(np.mean(s[1:] != s[:-1]) - 0.02) < 0.004
    for state in (0, 1):
        freq = np.bincount(x[s == state], minlength=4) / np.sum(s == state)
        np.testing.assert_allclose(freq, hmm.EMISSION[state], atol=0.015)


def test_encode_rejects_other_characters():
    with pytest.raises(ValueError, match="N"):
        hmm.encode("ACGN")
    with pytest.raises(ValueError):
        hmm.posterior("acgt")


# --- the committed files -------------------------------------------------------------------


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    lines = cpg.DATA_FILE.read_bytes().decode("ascii").split("\n")
    assert lines[0].split("\t") == HEADER
    assert lines[-1] == "", "file must end with a newline"
    return [line.split("\t") for line in lines[1:-1]]


def test_build_is_byte_identical_to_committed_files(run_check):
    result = run_check(BUILDER)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("tampered", ["cpg.tsv", "ceilings.json"])
def test_check_mode_fails_on_a_stale_file(tmp_path, tampered, run_check):
    # On a copy, so the committed files are never touched.
    for name in ("build_cpg.py", "hmm.py", "cpg.tsv", "ceilings.json"):
        shutil.copy(DIR / name, tmp_path / name)
    text = (tmp_path / tampered).read_text(encoding="ascii")
    edit = ("\ntest\t", "\nval\t") if tampered == "cpg.tsv" else ('"bases": ', '"bases": 1')
    assert edit[0] in text
    (tmp_path / tampered).write_text(text.replace(*edit, 1), encoding="ascii")
    result = run_check(tmp_path / "build_cpg.py")
    assert result.returncode == 1
    assert f"{tampered} is stale" in result.stderr


def test_format(rows):
    assert len(rows) == 2000
    assert all(len(row) == 5 for row in rows)
    counts = {split: sum(row[0] == split for row in rows) for split in cpg.SPLITS}
    assert counts == {"train": 1600, "val": 200, "test": 200}
    for split, bases, labels, post, filt in rows:
        assert 100 <= len(bases) <= 300
        assert len(labels) == len(bases)
        assert set(bases) <= set(cpg.BASES) and set(labels) <= set(cpg.LABELS)
        if split == "train":
            assert post == filt == "", "probabilities are only stored for val and test"
        else:
            assert len(post) == len(filt) == len(bases)
            assert (post + filt).isdigit() and post.isascii()
    assert cpg.DATA_FILE.stat().st_size < 1_500_000


def test_quantised_probabilities_bracket_the_exact_ones(rows):
    held = [row for row in rows if row[0] != "train"]
    exact = {
        "posterior": hmm.posterior_many([row[1] for row in held]),
        "filtered": hmm.filtered_many([row[1] for row in held]),
    }
    for column, index in (("posterior", 3), ("filtered", 4)):
        digits = np.array([int(d) for row in held for d in row[index]])
        p = np.concatenate(exact[column])
        assert np.all(digits / 10 <= p) and np.all((p < (digits + 1) / 10) | (digits == 9)), column


def as_bool(labels: str) -> np.ndarray:
    return np.array(list(labels)) == "1"


def accuracies(pairs: list[tuple[str, str]], majority: str) -> dict[str, float]:
    """Per-base accuracy of every rule, recomputed from (bases, labels) with hmm."""
    bases = [b for b, _ in pairs]
    truth = as_bool("".join(labels for _, labels in pairs))
    predicted = {
        "majority": np.full(truth.size, majority == "1"),
        "context_free": as_bool("".join(hmm.context_free(b) for b in bases)),
        "filtering": np.concatenate(hmm.filtered_many(bases)) > 0.5,
        "viterbi": as_bool("".join(hmm.viterbi_many(bases))),
        "posterior": np.concatenate(hmm.posterior_many(bases)) > 0.5,
    }
    return {rule: float(np.mean(predicted[rule] == truth)) for rule in RULES}


@pytest.mark.parametrize("split", ["val", "test"])
def test_ceilings_match_the_file(split):
    pairs = cpg.load(split)
    stored = cpg.ceilings()[split]
    train_labels = "".join(labels for _, labels in cpg.load("train"))
    majority = "1" if train_labels.count("1") > train_labels.count("0") else "0"
    assert stored["majority_label"] == majority
    assert stored["sequences"] == len(pairs)
    assert stored["bases"] == sum(len(b) for b, _ in pairs)
    assert stored["island_bases"] == sum(labels.count("1") for _, labels in pairs)
    measured = accuracies(pairs, majority)
    for rule in RULES:
        assert stored["accuracy"][rule] == round(measured[rule], 4), rule
        assert 0 < stored["expected_accuracy"][rule] < 1


def test_ceilings_are_ordered_on_the_test_split(rows):
    pairs = [(b, labels) for split, b, labels, _, _ in rows if split == "test"]
    acc = accuracies(pairs, cpg.ceilings()["test"]["majority_label"])
    assert acc["posterior"] >= acc["viterbi"] >= acc["filtering"] >= acc["context_free"], acc
    assert acc["context_free"] > acc["majority"]
    # The stored posterior digits give the same argmax (digit >= 5 <=> p >= 0.5).
    truth = as_bool("".join(labels for _, labels in pairs))
    digits = np.array([int(d) for split, *_, post, _ in rows if split == "test" for d in post])
    assert float(np.mean((digits >= 5) == truth)) == pytest.approx(acc["posterior"], abs=1e-12)
    expected = cpg.ceilings()["test"]["expected_accuracy"]
    assert [expected[rule] for rule in RULES] == sorted(expected[rule] for rule in RULES)


def test_ceilings_are_near_the_known_values():
    # Same model measured elsewhere: majority ~50 %, context-free 65 % (exactly, in
    # expectation), filtering ~80.5 %, Viterbi ~85 %, posterior ~87 %.
    for split in ("val", "test"):
        got = cpg.ceilings()[split]["expected_accuracy"]
        want = {"majority": 0.5, "context_free": 0.65, "filtering": 0.81, "viterbi": 0.855}
        for rule, value in (want | {"posterior": 0.875}).items():
            assert abs(got[rule] - value) < 0.02, (split, rule, got[rule])


# --- the loader ------------------------------------------------------------------------------


def test_loader(rows):
    assert cpg.load() == [(b, labels) for _, b, labels, _, _ in rows]
    for split in cpg.SPLITS:
        assert cpg.load(split) == [(b, labels) for s, b, labels, _, _ in rows if s == split]
    for split in ("val", "test"):
        probabilities = cpg.load_probabilities(split)
        assert probabilities == [(p, f) for s, _, _, p, f in rows if s == split]
        assert [len(p) for p, _ in probabilities] == [len(b) for b, _ in cpg.load(split)]
    ceilings = cpg.ceilings()
    assert ceilings == json.loads(cpg.CEILINGS_FILE.read_text(encoding="utf-8"))
    assert set(ceilings) == {"val", "test"}
    ceilings["test"]["accuracy"]["posterior"] = 1.0
    assert cpg.ceilings()["test"]["accuracy"]["posterior"] != 1.0, "must return a fresh dict"


@pytest.mark.parametrize("split", ["dev", "Test", ""])
def test_loader_rejects_unknown_split(split):
    with pytest.raises(ValueError, match=repr(split)):
        cpg.load(split)
    with pytest.raises(ValueError, match=repr(split)):
        cpg.load_probabilities(split)


def test_no_probabilities_for_train():
    with pytest.raises(ValueError, match="'train'"):
        cpg.load_probabilities("train")


def test_loader_imports_only_the_standard_library():
    code = (
        "import sys, datasets.cpg as c; c.load('val'); c.ceilings(); "
        "print(sorted({'torch', 'numpy'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_expected_accuracy_is_a_probability_weighted_mean():
    # Sanity of the definition used for expected_accuracy: for the posterior rule it is the
    # mean of max(p, 1 - p), recomputed here for the val split.
    p = np.concatenate(hmm.posterior_many([b for b, _ in cpg.load("val")]))
    value = float(np.mean(np.maximum(p, 1 - p)))
    assert cpg.ceilings()["val"]["expected_accuracy"]["posterior"] == round(value, 4)
