"""Hidden tests for assignment 3 (generating names with EOS and temperature sampling).

One behaviour per test; points in grading.yml. Each test asks the worker to run a probe on the
student's code and asserts here, in the grader, on the data it returns.
"""

from __future__ import annotations

import torch

from autograder.suites.a03_name_generator import reference as ref

SEED = 2468
# names with the letters at both edges of the vocabulary, one letter, long, repeated letters
NAMES = ["ada", "li", "maximiliano", "zoe", "a", "z", "zz", "az"]
LETTERS = set(ref.VOCAB[2:])


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
    """the input is SOS + letters and the target the same letters one step ahead (names with
    'a' and 'z', the letters at the edges of the vocabulary, and one-letter names included)"""
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


def test_examples_are_long_tensors(sub):
    """both sequences are 1-d long (int64) tensors of token ids"""
    for name, (inputs, targets) in zip(NAMES, _examples(sub)):
        for what, t in (("input_ids", inputs), ("target_ids", targets)):
            assert t.dtype == torch.int64 and t.dim() == 1, (
                f"{what} for {name!r} should be a 1-d long tensor (dtype torch.long, what "
                f"encode returns), got dtype {t.dtype} and shape {tuple(t.shape)}"
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


E, H = 5, 9


def _oracle_cases():
    """(T, B) inputs with EOS, SOS and 'z' (both edges of the vocabulary), a batch of one, a
    single step; with a given initial state and without; fixed random output weightings."""
    g = torch.Generator().manual_seed(11)
    V = len(ref.VOCAB)
    cases = []
    for T, B, with_state in ((6, 4, True), (5, 1, False), (1, 1, True), (4, 3, False)):
        inputs = torch.randint(0, V, (T, B), generator=g)
        inputs[0, 0], inputs[-1, -1], inputs[T // 2, 0] = V - 1, 0, 1
        h0 = torch.randn(1, B, H, generator=g) * 0.5 if with_state else None
        c0 = torch.randn(1, B, H, generator=g) * 0.5 if with_state else None
        weights = [torch.randn(*s, generator=g) for s in ((T, B, V), (1, B, H), (1, B, H))]
        cases.append({"inputs": inputs, "h0": h0, "c0": c0, "weights": weights})
    return cases


ORACLE_CASES = _oracle_cases()


def _oracle(sub):
    return sub.probe("model_oracle", seed=SEED, embedding_dim=E, hidden=H, cases=ORACLE_CASES)


def _reference_with(params) -> ref.ReferenceGenerator:
    """The reference model carrying the student's own weights (the module names are given)."""
    model = ref.ReferenceGenerator(len(ref.VOCAB), E, H)
    want = dict(model.named_parameters())
    shapes = {n: tuple(t.shape) for n, t in params.items()}
    missing = [n for n, p in want.items() if shapes.get(n) != tuple(p.shape)]
    assert not missing, (
        f"NameGenerator(V, {E}, {H}) should hold exactly nn.Embedding(V, {E}), nn.LSTM({E}, "
        f"{H}) and nn.Linear({H}, V) as self.embed, self.lstm and self.head; its parameters "
        f"are {shapes}, expected { ({n: tuple(p.shape) for n, p in want.items()}) }"
    )
    with torch.no_grad():
        for name, p in want.items():
            p.copy_(params[name])
    return model


def _reference_run(model, case):
    model.zero_grad()
    state = None
    if case["h0"] is not None:
        state = (case["h0"].clone().requires_grad_(), case["c0"].clone().requires_grad_())
    logits, (h, c) = model(case["inputs"], state)
    w_logits, w_h, w_c = case["weights"]
    ((logits * w_logits).sum() + (h * w_h).sum() + (c * w_c).sum()).backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    state_grads = None if state is None else [t.grad for t in state]
    return logits.detach(), h.detach(), c.detach(), grads, state_grads


def _case_text(case) -> str:
    T, B = case["inputs"].shape
    given = "a given initial state" if case["h0"] is not None else "no initial state"
    return f"input_ids of shape (T, B) = ({T}, {B}) and {given}"


def test_model_computes_embedding_lstm_linear(sub):
    """on its own weights, the model computes Linear(LSTM(Embedding(x), state)) at every step:
    raw scores (no softmax), the LSTM's outputs (not only its last state), its final (h, c)"""
    got = _oracle(sub)
    model = _reference_with(got["params"])
    for case, mine in zip(ORACLE_CASES, got["cases"]):
        logits, h, c, _, _ = _reference_run(model, case)
        assert torch.allclose(_tensor(mine["logits"], "logits"), logits, atol=1e-4), (
            f"with {_case_text(case)} the logits differ from head(lstm(embed(input_ids), "
            "state) outputs) computed with your own modules: return the Linear layer's raw "
            "scores for the LSTM's output at every step (no softmax, no other layers)"
        )
        for name, want, value in (("h", h, mine["h"]), ("c", c, mine["c"])):
            assert torch.allclose(_tensor(value, name), want, atol=1e-5), (
                f"with {_case_text(case)} the returned {name} is not the LSTM's final {name}: "
                "return the state (h, c) that nn.LSTM returns, in that order, started from the "
                "given state"
            )


def test_model_gradients_match_the_specification(sub):
    """gradients of a fixed projection of (logits, h, c) reach every parameter and the initial
    state exactly as through Embedding -> LSTM -> Linear (nothing detached)"""
    got = _oracle(sub)
    model = _reference_with(got["params"])
    for case, mine in zip(ORACLE_CASES, got["cases"]):
        *_, grads, state_grads = _reference_run(model, case)
        for name, want in grads.items():
            value = _tensor(mine["grads"].get(name), f"the gradient of {name}")
            assert torch.allclose(value, want, atol=1e-4, rtol=1e-3), (
                f"with {_case_text(case)} the gradient reaching {name} is not what "
                "Embedding -> LSTM -> Linear gives: do not detach or re-create tensors inside "
                "forward, and pass the state on as it is"
            )
        if state_grads is not None:
            for name, want, value in zip("hc", state_grads, mine["state_grads"] or [None] * 2):
                value = _tensor(value, f"the gradient of {name}0")
                assert torch.allclose(value, want, atol=1e-4), (
                    f"with {_case_text(case)} the gradient does not flow back to the initial "
                    f"{name}: pass the given state to the LSTM as it is (no detach, no copy)"
                )


def test_model_has_the_prescribed_modules_and_default_sizes(sub):
    """NameGenerator() holds nn.Embedding(28, 16), nn.LSTM(16, 128), nn.Linear(128, 28)"""
    defaults = _oracle(sub)["defaults"]
    assert "error" not in defaults, (
        f"NameGenerator() with its defaults failed: {defaults.get('error')}"
    )
    want = {
        n: list(p.shape)
        for n, p in ref.ReferenceGenerator(len(ref.VOCAB), 16, 128).named_parameters()
    }
    assert defaults == want, (
        "NameGenerator() should default to vocab_size=28, embedding_dim=16, hidden_size=128 and "
        "hold exactly nn.Embedding(28, 16), nn.LSTM(16, 128) and nn.Linear(128, 28) as "
        f"self.embed, self.lstm and self.head; its parameters are "
        f"{ {n: tuple(s) for n, s in defaults.items()} }"
    )


# ---------------------------------------------------------------------- Part 3: name_nll


def _nll(sub):
    got = sub.probe("nll_values", seed=SEED, names=NAMES)
    model = ref.ReferenceGenerator(hidden_size=32)
    model.load_state_dict(got["state"])
    return got, model


def test_name_nll_is_the_sum_including_the_endterm(sub):
    """name_nll is the sum of -log P over every letter and the final EOS"""
    got, model = _nll(sub)
    with torch.no_grad():
        for name, value in zip(NAMES, got["values"]):
            want = ref.name_nll(model, name).item()
            value = float(_tensor(value, "name_nll's result"))
            assert abs(value - want) <= 1e-4 * max(1.0, want), (
                f"name_nll(model, {name!r}) = {value:.4f}; it should be the SUM over the "
                f"{len(name) + 1} steps of -log P(next token), from the first letter given SOS "
                "to -log P(EOS | whole name) (not a mean, the endterm included, in nats)"
            )


def test_name_nll_gradients_match_the_specification(sub):
    """the gradient of name_nll w.r.t. the model's weights is that of the specified sum"""
    got, model = _nll(sub)
    sum(ref.name_nll(model, name) for name in NAMES).backward()
    for name, p in model.named_parameters():
        value = _tensor(got["grads"].get(name), f"the gradient of {name}")
        assert torch.allclose(value, p.grad, atol=1e-4, rtol=1e-3), (
            f"the gradient of name_nll reaching the model's {name} is not that of the sum of "
            "-log P(next token): keep the loss a tensor computed from the model's logits "
            "(no .item(), no detach, no new tensor)"
        )


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


def _large_logits():
    """(2, 3, 28) logits of magnitude up to 1e3, mixed signs, rows on very different scales,
    a few entries close to each row's maximum, and one exact tie for the maximum."""
    g = torch.Generator().manual_seed(5)
    logits = (torch.rand(2, 3, 28, generator=g) * 2 - 1) * 1000
    logits[1, 2] = logits[1, 2] * 0.01 - 900.0  # every entry far below the other rows'
    for row in logits.reshape(-1, 28):
        top = int(row.argmax())
        for k, gap in enumerate((0.5, 1.5, 3.0, 20.0)):
            row[(top + 3 + 5 * k) % 28] = row[top] - gap
    logits[0, 1, 7] = logits[0, 1].max()  # a tie: the two share the probability
    return logits


TEMPERATURE_CASES = {
    "cold": (torch.tensor([[300.0, 299.0, -50.0, 10.0], [-5.0, 120.0, 119.99, 0.0]]), 1e-4),
    "cold_tie": (torch.tensor([1000.0, -1000.0, 1000.0, 3.0, -7.0, 999.5]), 1e-4),
    "hot": (torch.tensor([5.0, -3.0, 0.0, 8.0, 1.0]), 1e6),
    "plain": (torch.randn(3, 6, generator=torch.Generator().manual_seed(3)), 1.0),
    "plain_1d": (torch.randn(28, generator=torch.Generator().manual_seed(4)) * 4, 1.0),
    **{f"large_{C:g}": (_large_logits(), C) for C in (1e-4, 0.1, 1.0, 10.0, 1e6)},
    **{f"entropy_{C:g}": (torch.tensor([2.0, 1.0, 0.5, -1.0, 0.0]), C)
       for C in (0.25, 0.5, 1.0, 2.0, 4.0)},
}  # fmt: skip


def _temperature(sub) -> dict:
    cases = [{"logits": logits, "C": C} for logits, C in TEMPERATURE_CASES.values()]
    got = sub.probe("temperature_cases", cases=cases)
    return dict(zip(TEMPERATURE_CASES, got))


def _probs(results, key) -> torch.Tensor:
    logits, C = TEMPERATURE_CASES[key]
    got = results[key]
    where = f"softmax_with_temperature(logits of shape {tuple(logits.shape)}, C={C:g})"
    assert "error" not in got, f"{where} raised {got.get('error')}"
    probs = got["probs"]
    assert isinstance(probs, torch.Tensor), f"{where} should return a tensor, got {probs}"
    assert probs.shape == logits.shape, (
        f"{where} returned shape {tuple(probs.shape)}: expected probabilities of the same shape "
        "as the logits, normalised over the last dimension"
    )
    return probs.double()


def _stable_softmax(logits, C) -> torch.Tensor:
    scaled = logits.double() / C
    return torch.softmax(scaled - scaled.amax(-1, keepdim=True), -1)


def test_cold_temperature_is_a_finite_argmax(sub):
    """C = 1e-4 with large logits gives the one-hot argmax, with no NaN or inf; entries tied for
    the maximum share the probability equally"""
    results = _temperature(sub)
    p = _probs(results, "cold")
    assert torch.isfinite(p).all(), (
        "softmax_with_temperature(logits, 1e-4) contains NaN or inf: exp(a / C) overflows; "
        "subtract the maximum of a / C before exponentiating"
    )
    want = torch.nn.functional.one_hot(TEMPERATURE_CASES["cold"][0].argmax(-1), 4).double()
    assert torch.allclose(p, want, atol=1e-6), "as C -> 0 the result should become the argmax"
    p = _probs(results, "cold_tie")
    want = torch.tensor([0.5, 0, 0.5, 0, 0, 0], dtype=torch.float64)
    assert torch.isfinite(p).all() and torch.allclose(p, want, atol=1e-6), (
        "with C = 1e-4 and two logits tied for the largest, each of them should get probability "
        "1/2 (softmax(a / C) computed stably: both have exp(0) = 1), the others 0"
    )


def test_hot_temperature_is_uniform(sub):
    """a huge C gives the uniform distribution"""
    p = _probs(_temperature(sub), "hot")
    assert torch.allclose(p, torch.full((5,), 0.2, dtype=torch.float64), atol=1e-3), (
        "as C -> infinity, softmax(a / C) should become uniform (divide by C, do not multiply)"
    )


def test_temperature_one_is_plain_softmax(sub):
    """C = 1 is the softmax over the last dimension, for a (V,) vector and a batch"""
    results = _temperature(sub)
    for key in ("plain", "plain_1d"):
        logits, _ = TEMPERATURE_CASES[key]
        p = _probs(results, key)
        assert torch.allclose(p, torch.softmax(logits.double(), -1), atol=1e-5), (
            f"with C = 1 and logits of shape {tuple(logits.shape)} the result should equal the "
            "softmax over the LAST dimension"
        )


def test_large_logits_at_every_temperature(sub):
    """logits of magnitude 1e3 (mixed signs, rows on different scales, a tie) at C = 1e-4, 0.1,
    1, 10, 1e6: finite, each row sums to 1, and equal to softmax(a / C) exactly"""
    results = _temperature(sub)
    for C in (1e-4, 0.1, 1.0, 10.0, 1e6):
        logits, _ = TEMPERATURE_CASES[f"large_{C:g}"]
        p = _probs(results, f"large_{C:g}")
        where = f"for logits of magnitude up to 1000 at C = {C:g}"
        assert torch.isfinite(p).all(), (
            f"{where} the result contains NaN or inf: subtract each row's own maximum of a / C "
            "(over the last dimension, keepdim=True) before exp()"
        )
        assert torch.allclose(p.sum(-1), torch.ones(p.shape[:-1], dtype=p.dtype), atol=1e-5), (
            f"{where} the probabilities do not sum to 1 over the last dimension"
        )
        assert torch.allclose(p, _stable_softmax(logits, C), atol=1e-4), (
            f"{where} the result is not softmax(a / C): divide by C, subtract the row maximum, "
            "exponentiate and normalise by the row's sum; do not clip or round the logits"
        )


def test_entropy_grows_with_temperature(sub):
    """the entropy of softmax(a / C) increases with C"""
    results = _temperature(sub)
    entropies = []
    for C in (0.25, 0.5, 1.0, 2.0, 4.0):
        p = _probs(results, f"entropy_{C:g}").clamp_min(1e-300)
        entropies.append(float(-(p * p.log()).sum()))
    assert all(a < b for a, b in zip(entropies, entropies[1:])), (
        f"entropy at C = 0.25, 0.5, 1, 2, 4 should grow, got {[round(e, 3) for e in entropies]}"
    )


def test_temperature_leaves_the_logits_unchanged(sub):
    """softmax_with_temperature does not modify the tensor it is given (no in-place ops)"""
    results = _temperature(sub)
    for key, (_, C) in TEMPERATURE_CASES.items():
        _probs(results, key)  # it ran and returned probabilities
        assert results[key]["unchanged"], (
            f"softmax_with_temperature(logits, C={C:g}) changed the logits passed to it: work "
            "on new tensors (scaled = logits / C), not in place (logits /= C, logits -= ...)"
        )


# -------------------------------------------------------------------- Part 5: sampling

CHI2_LOGITS = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0])
CHI2_CRITICAL = 18.47  # chi-square, 4 degrees of freedom, p = 0.001
SAMPLING_CASES = [
    (CHI2_LOGITS, 0.7),
    (CHI2_LOGITS * 300, 400.0),  # large logits at an ordinary temperature
    (CHI2_LOGITS, 3.0),
    (torch.tensor([1.0, 1.02, 0.9, -3.0]), 1e-4),  # near-tied: cold is still the argmax
]
SAMPLES = 2000


def _sampling(sub) -> dict:
    cases = [{"logits": logits, "C": C} for logits, C in SAMPLING_CASES]
    return sub.probe("sampling", cases=cases, n=SAMPLES, seed=SEED)


def test_samples_follow_softmax_with_temperature(sub):
    """sampled frequencies match softmax(a / C) (chi-square tests on 2,000 seeded draws each,
    at C = 0.7, 3 and with logits 300 times larger at C = 400)"""
    got = _sampling(sub)
    for (logits, C), counts in zip(SAMPLING_CASES[:3], got["counts"]):
        expected = (torch.softmax(logits.double() / C, -1) * SAMPLES).tolist()
        chi2 = sum((o - e) ** 2 / e for o, e in zip(counts, expected))
        assert chi2 < CHI2_CRITICAL, (
            f"{SAMPLES:,} draws of sample_next at C = {C:g} do not follow softmax(a / C) "
            f"(chi-square {chi2:.1f}, counts {counts}): draw with torch.multinomial from the "
            "tempered probabilities, passing the generator"
        )


def test_cold_sampling_is_greedy(sub):
    """with C = 1e-4 every draw is the argmax, even for near-tied logits"""
    counts = _sampling(sub)["counts"][3]
    assert counts == [0, SAMPLES, 0, 0], (
        f"at C = 1e-4 every draw should be the index of the largest logit (1), got counts {counts}"
    )


def test_sample_next_draws_from_the_given_generator(sub):
    """with a seeded generator the draws depend on its seed only (not on torch's global random
    state, which stays untouched); with generator=None they come from torch's global one"""
    got = _sampling(sub)
    same_a, same_b = got["same_seed"]
    assert same_a == same_b, (
        "two generators seeded alike gave different draws (torch.manual_seed differed between "
        "the runs): pass the generator to torch.multinomial(probs, 1, generator=generator)"
    )
    assert same_a != got["other_seed"], (
        "generators with different seeds gave the same 40 draws: draw with the generator you "
        "are given, do not re-seed it or create your own"
    )
    assert got["global_untouched"], (
        "sample_next with a generator changed torch's global random state: draw from the "
        "generator you are given only"
    )
    global_a, global_b, global_other = got["no_generator"]
    assert global_a == global_b and global_a != global_other, (
        "with generator=None the draws should follow torch.manual_seed (torch's global "
        "generator): pass generator=None on to torch.multinomial"
    )


def test_sample_next_returns_a_python_int(sub):
    """sample_next returns a plain Python int"""
    kind = _sampling(sub)["type"]
    assert kind == "int", (
        f"sample_next should return a Python int (int(...) or .item()), got a {kind}"
    )


# -------------------------------------------------------------------- Part 6: generate
# generate runs on recording stand-in models (see reference.RecordingModel) with a recording
# reference sample_next: every call of the model and every draw is logged, in order.


def _run(mode, start="", max_length=20, C=1.0, **extra):
    return {"mode": mode, "start": start, "max_length": max_length, "C": C, **extra}


GENERATE_RUNS = {
    "plain_a": _run("plain", train=True),
    "plain_b": _run("plain", seed=1),
    "plain_c": _run("plain", seed=2, C=0.7),
    "start_mar": _run("plain", "mar", C=0.8, seed=3, train=True),
    "hot": _run("plain", max_length=12, C=1e3, seed=4),
    "cold_z": _run("plain", "z", C=1e-4, seed=5),
    "eos_first": _run("eos_first"),
    "eos_first_k": _run("eos_first", "k"),
    "never_1": _run("never_eos", max_length=1),
    "never_8": _run("never_eos", max_length=8, seed=6),
    "never_jo": _run("never_eos", "jo", max_length=6, seed=7, train=True),
    "sos_a": _run("sos_heavy", max_length=10, seed=8),
    "sos_b": _run("sos_heavy", "b", max_length=10, seed=9),
    "sos_hot": _run("sos_heavy", max_length=10, C=50.0, seed=10),
    "repro_a": _run("plain", repeat=5, seed=11, global_seed=1),
    "repro_b": _run("plain", repeat=5, seed=11, global_seed=2),
    "repro_other": _run("plain", repeat=5, seed=12, global_seed=1),
    "full_kate": _run("plain", "kate", max_length=4),
    "over_christopher": _run("plain", "christopher", max_length=5, train=True),
    "zero_length": _run("plain", "", max_length=0),
}
SINGLE = [k for k, run in GENERATE_RUNS.items() if run.get("repeat", 1) == 1]


def _generate(sub) -> dict:
    got = sub.probe("generate_runs", runs=list(GENERATE_RUNS.values()), seed=SEED)
    return dict(zip(GENERATE_RUNS, got))


def _call(key) -> str:
    run = GENERATE_RUNS[key]
    args = [f"start={run['start']!r}"] if run["start"] else []
    args += [f"max_length={run['max_length']}", f"C={run['C']:g}"]
    return f"generate(model, {', '.join(args)}, generator=...)"


def _names(runs, key) -> list[str]:
    names = runs[key]["names"]
    for name in names:
        assert not isinstance(name, dict), f"{_call(key)} raised {name['error']}"
        assert isinstance(name, str), f"generate should return a str, got {name}"
    return names


def _name(runs, key) -> str:
    return _names(runs, key)[0]


def _feeds(runs, key) -> list[dict]:
    return [e for e in runs[key]["log"] if e["kind"] == "feed"]


def _draws(runs, key) -> list[dict]:
    return [e for e in runs[key]["log"] if e["kind"] == "draw"]


def _fed(runs, key) -> list[int]:
    return [t for e in _feeds(runs, key) for t in e["tokens"]]


def _text(tokens) -> str:
    return "".join(ref.VOCAB[t] if 0 <= t < len(ref.VOCAB) else "?" for t in tokens)


def test_generate_stops_at_eos(sub):
    """a model whose first prediction is EOS gives an empty name (or just the start letters)"""
    runs = _generate(sub)
    assert _name(runs, "eos_first") == "", (
        f"when the model predicts EOS right after SOS, generate should return '' (stop at EOS, "
        f"without adding it), got {_name(runs, 'eos_first')!r}"
    )
    assert _name(runs, "eos_first_k") == "k", (
        "generate(model, start='k') should return 'k' when EOS follows the start letter, got "
        f"{_name(runs, 'eos_first_k')!r}"
    )


def test_generate_stops_at_max_length(sub):
    """a model that never predicts EOS stops at exactly max_length letters (start included)"""
    runs = _generate(sub)
    for key in ("never_1", "never_8", "never_jo"):
        name, max_length = _name(runs, key), GENERATE_RUNS[key]["max_length"]
        assert len(name) == max_length, (
            f"with a model that never predicts EOS, {_call(key)} should return exactly "
            f"{max_length} letters (the start letters count), got {name!r}"
        )
    for key in SINGLE:
        run, name = GENERATE_RUNS[key], _name(runs, key)
        assert len(name) <= max(run["max_length"], len(run["start"])), (
            f"{_call(key)} returned {name!r}, longer than max_length"
        )


def test_generate_returns_no_special_tokens(sub):
    """only letters come out: EOS and SOS never appear, even from a model that favours SOS or at
    a high temperature"""
    runs = _generate(sub)
    for key in GENERATE_RUNS:
        for name in _names(runs, key):
            assert set(name) <= LETTERS, (
                f"{_call(key)} returned {name!r}: a name holds letters only; stop at EOS without "
                "adding it, and set the SOS logit to -inf before every draw (SOS is never a next "
                "token)"
            )


def test_generate_carries_the_state(sub):
    """each call of the model continues from the state (h, c) the previous call returned; the
    first call starts from no state (or zeros)"""
    runs = _generate(sub)
    for key in SINGLE:
        _name(runs, key)
        for i, feed in enumerate(_feeds(runs, key)):
            where = f"{_call(key)}: model call {i + 1} (fed {_text(feed['tokens'])!r})"
            if i == 0:
                assert feed["state"] in ("none", "zero"), (
                    f"{where} should start from no state (state=None) or zeros"
                )
                continue
            assert feed["state"] == i - 1, (
                f"{where} was not given the state (h, c) returned by the call before it (got "
                f"{_STATE_TEXT.get(feed['state'], 'the state of an earlier call')}): pass the "
                "state returned by each call into the next, as it is, (h, c) in that order"
            )


_STATE_TEXT = {
    "none": "no state",
    "zero": "a zero state",
    "unknown": "a state the model never returned",
}


def test_generate_continues_after_the_start_letters(sub):
    """the model reads SOS and then the start letters before the first draw, and the name
    begins with them"""
    runs = _generate(sub)
    for key in ("start_mar", "cold_z", "eos_first_k", "never_jo", "sos_b"):
        start, name = GENERATE_RUNS[key]["start"], _name(runs, key)
        assert name.startswith(start), (
            f"{_call(key)} returned {name!r}: the name should begin with the start letters"
        )
        fed = _fed(runs, key)
        prefix = ref.encode(ref.SOS + start).tolist()
        assert fed[: len(prefix)] == prefix, (
            f"{_call(key)}: the model should first be fed SOS and then the start letters "
            f"({ref.SOS + start!r}), it was fed {_text(fed)!r}"
        )
        assert not _draws(runs, key) or _first_draw_after(runs, key) >= len(prefix), (
            f"{_call(key)}: the first letter should be drawn after the model has read SOS and all "
            "the start letters"
        )


def _first_draw_after(runs, key) -> int:
    """How many tokens the model had been fed when the first draw happened."""
    fed = 0
    for event in runs[key]["log"]:
        if event["kind"] == "draw":
            return fed
        fed += len(event["tokens"])
    return fed


def test_generate_feeds_each_drawn_letter_back(sub):
    """the model is fed exactly SOS, the start letters, then each letter of the name once, in
    order (feeding the very last draw is optional)"""
    runs = _generate(sub)
    for key in SINGLE:
        run, name = GENERATE_RUNS[key], _name(runs, key)
        fed = _fed(runs, key)
        full = ref.encode(ref.SOS + name).tolist()
        allowed = [full, [*full, ref.EOS_INDEX]]
        if len(name) > len(run["start"]) and len(name) >= run["max_length"]:
            allowed.append(full[:-1])  # the last letter need not be fed
        if len(run["start"]) >= run["max_length"]:
            allowed.append([])  # nothing to draw: the model need not run
        assert fed in allowed, (
            f"{_call(key)} returned {name!r}, so the model should have been fed "
            f"{ref.SOS + name!r} (SOS, the start letters, then each drawn letter once, one "
            f"token at a time), but it was fed {_text(fed)!r}"
        )


def test_generate_draws_with_sample_next_from_the_last_logits(sub):
    """every token is drawn by sample_next(logits, C, generator): the logits of the model's last
    step with the SOS logit set to -inf, the C and the generator generate was given"""
    runs = _generate(sub)
    for key in SINGLE:
        run, name = GENERATE_RUNS[key], _name(runs, key)
        draws = _draws(runs, key)
        if not name.startswith(run["start"]) or not set(name) <= LETTERS:
            continue  # the tests of the start letters and of special tokens say what is wrong
        want = ref.encode(name[len(run["start"]) :]).tolist()
        if len(name) < run["max_length"]:
            want.append(ref.EOS_INDEX)
        assert [d["token"] for d in draws] == want, (
            f"{_call(key)} returned {name!r} after drawing {_text(d['token'] for d in draws)!r} "
            "with sample_next: draw every next token with sample_next, stop right after it "
            "draws EOS, and put each drawn letter into the name"
        )
        last, number = None, 0
        for event in runs[key]["log"]:
            if event["kind"] == "feed":
                last = event["logits"]
                continue
            number += 1
            where = f"{_call(key)}, draw {number}"
            assert event["C"] == run["C"] and event["generator"], (
                f"{where}: pass generate's own C and generator on to sample_next"
            )
            logits = _tensor(event["logits"], "the logits passed to sample_next")
            assert last is not None and logits.shape == last.shape, (
                f"{where}: sample_next should get the logits of the model's last step, shape (V,) "
                f"= ({len(ref.VOCAB)},), got shape {tuple(logits.shape)}"
            )
            others = [i for i in range(len(ref.VOCAB)) if i != ref.SOS_INDEX]
            assert torch.equal(logits[others], last[others]), (
                f"{where}: sample_next should get the logits of the model's LAST step (after the "
                "token fed just before), unchanged except for SOS"
            )
            p_sos = ref.softmax_with_temperature(logits, run["C"])[ref.SOS_INDEX]
            assert p_sos == 0, (
                f"{where}: the SOS logit should be -inf (on a copy of the logits) so that SOS has "
                "probability 0 at every temperature"
            )


def test_generate_runs_in_eval_mode_without_gradients(sub):
    """the model is called in eval mode under torch.no_grad(); afterwards it is back in the mode
    it was in and gradients are enabled again"""
    runs = _generate(sub)
    for key in SINGLE:
        run = runs[key]
        _name(runs, key)
        for feed in _feeds(runs, key):
            assert not feed["training"], (
                f"{_call(key)} called the model in training mode: call model.eval() first"
            )
            assert not feed["grad"], (
                f"{_call(key)} called the model with gradients enabled: run the loop inside "
                "`with torch.no_grad():`"
            )
        was = GENERATE_RUNS[key].get("train", False)
        assert run["training_after"] == was, (
            f"the model was in {'training' if was else 'eval'} mode before {_call(key)} and in "
            f"{'training' if run['training_after'] else 'eval'} mode after it: put it back in the "
            "mode it was in (was_training = model.training ... model.train(was_training))"
        )
        assert run["grad_after"], (
            f"after {_call(key)} gradients were still disabled: use `with torch.no_grad():` "
            "(it re-enables them at the end), not torch.set_grad_enabled(False)"
        )


def test_generate_is_reproducible_with_a_seeded_generator(sub):
    """the same seed gives the same names whatever torch's global random state; another seed
    gives other names"""
    runs = _generate(sub)
    same_a, same_b = _names(runs, "repro_a"), _names(runs, "repro_b")
    assert same_a == same_b, (
        "five names from a generator seeded alike differed when torch.manual_seed differed: "
        f"{same_a} and {same_b}; draw only with sample_next(..., generator), passing generate's "
        "generator on"
    )
    assert same_a != _names(runs, "repro_other"), (
        "generators with different seeds gave the same five names: use the generator you are "
        "given, do not re-seed it or create your own"
    )


def test_generate_with_a_start_at_or_over_max_length(sub):
    """a start of max_length letters or more is returned unchanged, and nothing is drawn"""
    runs = _generate(sub)
    for key in ("full_kate", "over_christopher", "zero_length"):
        run, name = GENERATE_RUNS[key], _name(runs, key)
        assert name == run["start"], (
            f"{_call(key)} returned {name!r}: a start that already has max_length letters or "
            f"more is the name, returned unchanged ({run['start']!r})"
        )
        assert not _draws(runs, key) and not runs[key]["generator_used"], (
            f"{_call(key)} drew a token although the name was already complete: draw only while "
            "the name is shorter than max_length"
        )
