"""Hidden tests for assignment 3 (generating names with EOS and temperature sampling).

One behaviour per test; points in grading.yml. Each test asks the worker to run a probe on the
student's code and asserts here, in the grader, on the data it returns.
"""

from __future__ import annotations

import torch

from autograder.suites.a03_name_generator import reference as ref

SEED = 2468
NAMES = ["ada", "li", "maximiliano", "zoe"]


def _tensor(value, what: str) -> torch.Tensor:
    assert isinstance(value, torch.Tensor), f"{what} should be a torch.Tensor, got {value!r:.80}"
    return value


# ----------------------------------------------------------------- Part 1: make_example


def _examples(sub):
    got = sub.probe("examples", names=NAMES)
    return [(_tensor(e["inputs"], "input_ids"), _tensor(e["targets"], "target_ids")) for e in got]


def test_target_ends_with_eos(sub):
    """every target ends with EOS and has one entry per letter plus one"""
    for name, (_, targets) in zip(NAMES, _examples(sub)):
        assert targets.dim() == 1 and len(targets) == len(name) + 1, (
            f"target_ids for {name!r} should have shape (T+1,) = ({len(name) + 1},), got "
            f"{tuple(targets.shape)}"
        )
        assert int(targets[-1]) == ref.EOS_INDEX, (
            f"target_ids for {name!r} should end with EOS_INDEX: the model must learn to stop"
        )


def test_target_is_input_shifted_by_one(sub):
    """the input is SOS + letters and the target the same letters one step ahead"""
    for name, (inputs, targets) in zip(NAMES, _examples(sub)):
        want_in, want_out = ref.make_example(name)
        assert inputs.dim() == 1 and len(inputs) == len(name) + 1, (
            f"input_ids for {name!r} should have shape (T+1,), got {tuple(inputs.shape)}"
        )
        assert int(inputs[0]) == ref.SOS_INDEX, f"input_ids for {name!r} should start with SOS"
        assert torch.equal(inputs.long(), want_in), (
            f"input_ids for {name!r} should be SOS followed by the letters' indices in VOCAB"
        )
        assert torch.equal(targets.long(), want_out), (
            f"target_ids for {name!r} should be the input shifted by one: target[t] is the "
            "letter that follows input[t]"
        )


# ---------------------------------------------------------------- Part 2: NameGenerator


def _model_case(sub, T=7, B=3, split=4):
    inputs = torch.randint(0, len(ref.VOCAB), (T, B), generator=torch.Generator().manual_seed(1))
    got = sub.probe(
        "model_outputs", seed=SEED, embedding_dim=6, hidden=20, inputs=inputs, split=split
    )
    return inputs, got


def test_model_output_and_state_shapes(sub):
    """forward maps (T, B) token ids to (T, B, V) logits and an (h, c) state of hidden_size"""
    inputs, got = _model_case(sub)
    T, B = inputs.shape
    logits = _tensor(got["logits"], "logits")
    assert tuple(logits.shape) == (T, B, len(ref.VOCAB)), (
        f"logits should have shape (T, B, V) = ({T}, {B}, {len(ref.VOCAB)}), got "
        f"{tuple(logits.shape)}"
    )
    for name in ("h", "c"):
        state = _tensor(got[name], name)
        assert tuple(state.shape) == (1, B, 20), (
            f"{name} should have shape (1, B, hidden_size) = (1, {B}, 20) for "
            f"NameGenerator(V, 6, 20), got {tuple(state.shape)}"
        )


def test_model_state_continues_the_sequence(sub):
    """feeding the returned state back in continues the sequence exactly"""
    _, got = _model_case(sub)
    logits = _tensor(got["logits"], "logits")
    parts = torch.cat([_tensor(got["first"], "logits"), _tensor(got["second"], "logits")])
    assert parts.shape == logits.shape and torch.allclose(parts, logits, atol=1e-5), (
        "forward(x[:4]) followed by forward(x[4:], state) should equal forward(x): use the "
        "state argument as the LSTM's initial (h, c) and return its final state"
    )


# ---------------------------------------------------------------------- Part 3: name_nll


def test_name_nll_is_the_sum_including_the_endterm(sub):
    """name_nll is the sum of -log P over every letter and the final EOS"""
    got = sub.probe("nll_values", seed=SEED, names=NAMES)
    model = ref.ReferenceGenerator(hidden_size=32)
    model.load_state_dict(got["state"])
    with torch.no_grad():
        for name, value in zip(NAMES, got["values"]):
            want = ref.name_nll(model, name).item()
            value = float(_tensor(value, "name_nll's result"))
            assert abs(value - want) <= 1e-4 * max(1.0, want), (
                f"name_nll(model, {name!r}) = {value:.4f}; it should be the SUM over the "
                f"{len(name) + 1} steps of -log P(next token), the last one being "
                "-log P(EOS | whole name) (not a mean, and the endterm included)"
            )
    assert got["grad_norm"] > 0, "name_nll's result does not carry a gradient to the model"


SYNTHETIC = ref.synthetic_names(7, 300)


def test_training_with_name_nll_learns_to_stop(sub):
    """a model trained with name_nll ends its names with EOS, at about the data's length"""
    names = sub.probe(
        "train_with_nll", seed=SEED, names=SYNTHETIC, steps=150, lr=1e-2, n_samples=60,
        max_length=20,
    )  # fmt: skip
    assert isinstance(names, list) and names, "expected generated names"
    data_mean = sum(map(len, SYNTHETIC)) / len(SYNTHETIC)
    stopped = sum(len(n) < 20 for n in names) / len(names)
    mean = sum(map(len, names)) / len(names)
    assert stopped >= 0.9 and abs(mean - data_mean) < 1.5, (
        f"after training with name_nll, only {stopped:.0%} of sampled names ended before 20 "
        f"letters (mean length {mean:.1f}, data {data_mean:.1f}): the loss must include the "
        "endterm -log P(EOS | name)"
    )


# ----------------------------------------------------------------- Part 4: temperature


def _probs(sub, logits, C) -> torch.Tensor:
    return _tensor(sub.probe("temperature", logits=logits, C=C), "the probabilities").double()


def test_cold_temperature_is_a_finite_argmax(sub):
    """C = 1e-4 with large logits gives the one-hot argmax, with no NaN or inf"""
    logits = torch.tensor([[300.0, 299.0, -50.0, 10.0], [-5.0, 120.0, 119.99, 0.0]])
    p = _probs(sub, logits, 1e-4)
    assert p.shape == logits.shape, f"expected shape {tuple(logits.shape)}, got {tuple(p.shape)}"
    assert torch.isfinite(p).all(), (
        "softmax_with_temperature(logits, 1e-4) contains NaN or inf: exp(a / C) overflows; "
        "subtract the maximum of a / C before exponentiating"
    )
    want = torch.nn.functional.one_hot(logits.argmax(-1), 4).double()
    assert torch.allclose(p, want, atol=1e-6), "as C -> 0 the result should become the argmax"


def test_hot_temperature_is_uniform(sub):
    """a huge C gives the uniform distribution"""
    p = _probs(sub, torch.tensor([5.0, -3.0, 0.0, 8.0, 1.0]), 1e6)
    assert torch.allclose(p, torch.full((5,), 0.2, dtype=torch.float64), atol=1e-3), (
        "as C -> infinity, softmax(a / C) should become uniform (divide by C, do not multiply)"
    )


def test_temperature_one_is_plain_softmax(sub):
    """C = 1 is the softmax over the last dimension"""
    logits = torch.randn(3, 6, generator=torch.Generator().manual_seed(3))
    p = _probs(sub, logits, 1.0)
    assert p.shape == logits.shape, f"expected shape {tuple(logits.shape)}, got {tuple(p.shape)}"
    assert torch.allclose(p, torch.softmax(logits.double(), -1), atol=1e-5), (
        "with C = 1 the result should equal softmax over the LAST dimension"
    )


def test_entropy_grows_with_temperature(sub):
    """the entropy of softmax(a / C) increases with C"""
    logits = torch.tensor([2.0, 1.0, 0.5, -1.0, 0.0])
    entropies = []
    for C in (0.25, 0.5, 1.0, 2.0, 4.0):
        p = _probs(sub, logits, C).clamp_min(1e-300)
        entropies.append(float(-(p * p.log()).sum()))
    assert all(a < b for a, b in zip(entropies, entropies[1:])), (
        f"entropy at C = 0.25, 0.5, 1, 2, 4 should grow, got {[round(e, 3) for e in entropies]}"
    )


# -------------------------------------------------------------------- Part 5: sampling

CHI2_LOGITS = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0])
CHI2_CRITICAL = 18.47  # chi-square, 4 degrees of freedom, p = 0.001


def test_samples_follow_softmax_with_temperature(sub):
    """sampled frequencies match softmax(a / C) (chi-square test on 2,000 seeded draws)"""
    n, C = 2000, 0.7
    counts = sub.probe("sample_counts", logits=CHI2_LOGITS, C=C, n=n, seed=SEED)
    expected = (torch.softmax(CHI2_LOGITS.double() / C, -1) * n).tolist()
    chi2 = sum((o - e) ** 2 / e for o, e in zip(counts, expected))
    assert chi2 < CHI2_CRITICAL, (
        f"2,000 draws of sample_next at C = {C} do not follow softmax(a / C) (chi-square "
        f"{chi2:.1f}, counts {counts}): draw with torch.multinomial from the tempered "
        "probabilities, passing the generator"
    )


def test_cold_sampling_is_greedy(sub):
    """with C = 1e-4 every draw is the argmax, even for near-tied logits"""
    logits = torch.tensor([1.0, 1.02, 0.9, -3.0])
    counts = sub.probe("sample_counts", logits=logits, C=1e-4, n=50, seed=SEED)
    assert counts == [0, 50, 0, 0], f"at C = 1e-4 every draw should be index 1, got {counts}"


# -------------------------------------------------------------------- Part 6: generate


def _generate(sub, mode, start="", max_length=8, C=1.0):
    got = sub.probe(
        "generate_scripted", mode=mode, start=start, max_length=max_length, C=C, seed=SEED
    )
    assert isinstance(got, str), f"generate should return a string, got {got}"
    return got


def test_generate_stops_at_eos(sub):
    """a model whose first prediction is EOS gives an empty name (or just the start letters)"""
    assert _generate(sub, "eos_first") == "", (
        "when the model predicts EOS right after SOS, generate should return '' (stop at EOS, "
        "without adding it)"
    )
    assert _generate(sub, "eos_first", start="k") == "k", (
        "generate(model, start='k') should return 'k' when EOS follows the start letter"
    )


def test_generate_stops_at_max_length(sub):
    """a model that never predicts EOS stops at exactly max_length letters"""
    for max_length in (1, 8):
        got = _generate(sub, "never_eos", max_length=max_length)
        assert len(got) == max_length, (
            f"with a model that never predicts EOS, generate(max_length={max_length}) should "
            f"return exactly {max_length} letters, got {got!r}"
        )


def test_generate_returns_no_special_tokens(sub):
    """EOS and SOS never appear in the returned name"""
    for mode in ("eos_first", "never_eos", "counter"):
        got = _generate(sub, mode)
        assert ref.EOS not in got and ref.SOS not in got, (
            f"generate returned {got!r}: leave the SOS and EOS symbols out of the name"
        )


def test_generate_carries_the_state(sub):
    """each step continues from the previous (h, c): a history-dependent model spells abcde"""
    got = _generate(sub, "counter", max_length=5, C=1e-4)
    assert got == "abcde", (
        f"with a model whose next letter depends on everything fed so far, generate returned "
        f"{got!r} instead of 'abcde': feed one token at a time and pass the returned (h, c) "
        "into the next call"
    )


def test_generate_continues_after_the_start_letters(sub):
    """the start letters are fed to the model first and kept in the name"""
    got = _generate(sub, "counter", start="ab", max_length=5, C=1e-4)
    assert got == "abcde", (
        f"generate(start='ab') on the counting model should return 'abcde', got {got!r}: feed "
        "SOS, then the start letters, then continue sampling from the last logits"
    )
