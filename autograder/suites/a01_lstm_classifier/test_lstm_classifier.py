"""Hidden tests for assignment 1 (surname -> language with nn.LSTM).

One behaviour per test; points in grading.yml. Each test asks the worker to run a probe on the
student's code and asserts here, in the grader, on the data it returns. Messages say what was
expected, never the reference values.
"""

from __future__ import annotations

import random

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from autograder.suites.a01_lstm_classifier import reference as ref

SEED = 1234
HIDDEN = 16  # not the notebook's default: sizes must come from the constructor's arguments
K = 7  # likewise for the number of languages
NAMES_MIXED = [
    "Kowalczyk",
    "Wong",
    "O'Brien",
    "Tanaka",
    "Rodriguez-Santos",
    "Fitzgerald-Murphy",
    "Kim",
    "Wojciechowski",
    "X",
    "Ng",
    "Papadopoulakis",
    "Papadopulos",
    "Konstantinopoulosian",
    "Abandonato",
    "Abdul-Rahmanzai",
    "Van der Berg",
    "Smith",
    "Van der Westhuizen",
    "Alexandropoulou-Kim",
    "Nakamura",
]  # fmt: skip -- one name of each length 1..20, deliberately unsorted
SHORT_NAMES = ["A", "b", "Q", "A", "z", "-", "Z", "a", "'"]  # the edges of ALPHABET too
EDGE_NAME = "D'Arcy-Zaza Zu"  # first (a) and last (-) letters of ALPHABET, Z, space, apostrophe


def _tensor(value, what: str) -> torch.Tensor:
    assert isinstance(value, torch.Tensor), f"{what} should be a torch.Tensor, got {value!r:.80}"
    return value


def _one_hot_batch(T: int, B: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, ref.N_LETTERS, (T, B), generator=g)
    return nn.functional.one_hot(idx, ref.N_LETTERS).float()


def _classifier_outputs(sub, batches):
    return sub.probe("classifier_outputs", seed=SEED, hidden=HIDDEN, n_languages=K, batches=batches)


# --------------------------------------------------------------------- Part 1: LSTMClassifier


def test_model_uses_nn_lstm(sub):
    """the model is built on nn.LSTM, and forward runs it"""
    info = sub.probe(
        "classifier_structure", seed=SEED, hidden=HIDDEN, n_languages=K, names=NAMES_MIXED[:4]
    )
    lstms = info["lstms"]
    assert lstms, "LSTMClassifier should contain an nn.LSTM (found none)"
    first = lstms[0]
    assert first["input_size"] == ref.N_LETTERS and first["hidden_size"] == HIDDEN, (
        "the nn.LSTM should take n_letters inputs and have hidden_size units "
        f"(expected input_size={ref.N_LETTERS}, hidden_size={HIDDEN} for "
        f"LSTMClassifier({ref.N_LETTERS}, {HIDDEN}, {K}); got input_size={first['input_size']}, "
        f"hidden_size={first['hidden_size']})"
    )
    assert info["lstm_calls"] >= 1, "forward never calls the nn.LSTM (still the old RNN cell?)"
    concat = [(i, o) for i, o in info["linears"] if i == ref.N_LETTERS + HIDDEN]
    assert not concat, "found a Linear over [input, hidden]: the old custom RNN cell is still used"


def test_output_shape(sub):
    """forward maps a (T, B, n_letters) tensor to a (B, K) tensor"""
    outs = _classifier_outputs(
        sub,
        [
            {"kind": "tensor", "x": _one_hot_batch(5, 3, 0)},
            {"kind": "tensor", "x": _one_hot_batch(7, 1, 1)},
        ],
    )
    for (T, B), out in zip([(5, 3), (7, 1)], outs):
        out = _tensor(out, "forward's output")
        assert tuple(out.shape) == (B, K), (
            f"for input of shape (T, B, n_letters) = ({T}, {B}, {ref.N_LETTERS}) forward should "
            f"return shape (B, K) = ({B}, {K}), got {tuple(out.shape)} (time-major input: "
            "nn.LSTM without batch_first)"
        )


def test_outputs_are_log_probabilities(sub):
    """forward returns log-probabilities: exp of each row sums to 1"""
    (out,) = _classifier_outputs(sub, [{"kind": "tensor", "x": _one_hot_batch(6, 4, 2)}])
    out = _tensor(out, "forward's output")
    assert out.dim() == 2, f"forward should return (B, K), got shape {tuple(out.shape)}"
    assert torch.isfinite(out).all(), "forward's output contains NaN or inf"
    sums = out.double().exp().sum(dim=-1)
    assert torch.allclose(sums, torch.ones_like(sums), atol=1e-4) and (out <= 1e-6).all(), (
        "forward should return log-probabilities (log_softmax over languages): exp(output) "
        f"should sum to 1 in every row, got row sums {[round(s, 3) for s in sums.tolist()]}"
    )


def test_output_depends_on_whole_name(sub):
    """the prediction uses the whole name: changing the first or the last letter changes it"""
    base = _one_hot_batch(6, 1, 3)
    first, last = base.clone(), base.clone()
    first[0] = torch.roll(base[0], 1, dims=-1)
    last[-1] = torch.roll(base[-1], 1, dims=-1)
    out_base, out_first, out_last = (
        _tensor(o, "forward's output")
        for o in _classifier_outputs(sub, [{"kind": "tensor", "x": v} for v in (base, first, last)])
    )
    assert (out_last - out_base).abs().max() > 1e-6, (
        "changing the LAST letter of a name does not change the output: use the hidden state "
        "after the last letter (h_n), not the first step's"
    )
    assert (out_first - out_base).abs().max() > 1e-6, (
        "changing the FIRST letter of a name does not change the output: feed the whole "
        "sequence to the LSTM"
    )


def test_packed_batch_matches_one_at_a_time(sub):
    """a packed batch of names of lengths 1..20 gives the same outputs as one name at a time"""
    singles = [{"kind": "tensor", "x": ref.name_to_tensor(n).unsqueeze(1)} for n in NAMES_MIXED]
    outs = _classifier_outputs(sub, [{"kind": "names", "names": NAMES_MIXED}, *singles])
    batched = _tensor(outs[0], "forward's output for a PackedSequence")
    assert tuple(batched.shape) == (len(NAMES_MIXED), K), (
        f"for a PackedSequence of B={len(NAMES_MIXED)} names forward should return "
        f"({len(NAMES_MIXED)}, {K}), got {tuple(batched.shape)}"
    )
    for name, out in zip(NAMES_MIXED, outs[1:]):
        out = _tensor(out, "forward's output")
        assert tuple(out.shape) == (1, K), (
            f"for one name as a (T, 1, n_letters) tensor forward should return (1, {K}), got "
            f"{tuple(out.shape)} for {name!r} (T = {len(name)}; time-major input)"
        )
    one_by_one = torch.cat(outs[1:])
    wrong = [
        f"{n!r} (length {len(n)})"
        for n, a, b in zip(NAMES_MIXED, batched, one_by_one)
        if not torch.allclose(a, b, atol=1e-5)
    ]
    assert not wrong, (
        "in a packed batch, these names get a different output than on their own: "
        + ", ".join(wrong[:5])
        + ". Each name's output must come from the state after ITS OWN last letter (h_n of "
        "the packed sequence), in the batch's original order, with no state kept between calls"
    )


def test_gradients_reach_lstm_weights(sub):
    """the loss's gradient reaches every LSTM weight"""
    targets = torch.tensor([i % K for i in range(8)])
    norms = sub.probe(
        "classifier_gradients",
        seed=SEED,
        hidden=HIDDEN,
        n_languages=K,
        names=NAMES_MIXED[:8],
        targets=targets,
    )
    assert norms, "no nn.LSTM found in the model"
    dead = [k for k, v in norms.items() if not (isinstance(v, float) and v > 0)]
    assert not dead, (
        "after loss.backward() these LSTM parameters got no gradient: "
        + ", ".join(dead)
        + " (is the hidden state detached, or the LSTM bypassed?)"
    )


def _padded_one_hot(names: list[str], extra_rows: int) -> torch.Tensor:
    """(T_max + extra_rows, B, N_LETTERS): the one-hot names, zero rows below each name."""
    x = torch.zeros(max(map(len, names)) + extra_rows, len(names), ref.N_LETTERS)
    for b, name in enumerate(names):
        x[: len(name), b] = ref.name_to_tensor(name)
    return x


def _oracle_cases() -> list[dict]:
    """Inputs for the specification oracle: packed batches (unsorted lengths 1..20, padded with
    extra rows before packing; a batch of one), and time-major tensors (B = 3 and B = 1).
    Together they use the first and the last letters of ALPHABET."""
    g = torch.Generator().manual_seed(31)
    packed = [NAMES_MIXED, [EDGE_NAME]]
    cases = [
        {
            "what": f"a PackedSequence of {len(names)} name(s) of lengths "
            f"{[len(n) for n in names][:6]}{'...' if len(names) > 6 else ''}",
            "x": _padded_one_hot(names, extra_rows=2),
            "lengths": [len(n) for n in names],
            "r": torch.randn(len(names), K, generator=g),
        }
        for names in packed
    ]
    for T, B, seed in [(5, 3, 4), (4, 1, 5)]:
        cases.append(
            {
                "what": f"a ({T}, {B}, n_letters) tensor",
                "x": _one_hot_batch(T, B, seed),
                "lengths": None,
                "r": torch.randn(B, K, generator=g),
            }
        )
    return cases


def _oracle(sub) -> tuple[dict, list[dict]]:
    cases = _oracle_cases()
    got = sub.probe(
        "classifier_oracle",
        seed=SEED,
        hidden=HIDDEN,
        n_languages=K,
        cases=[{k: c[k] for k in ("x", "lengths", "r")} for c in cases],
    )
    return got, cases


def _reference_on_student_weights(got: dict) -> nn.Module:
    """The specification, evaluated with the student's own LSTM and Linear weights."""
    model = ref.ReferenceClassifier(ref.N_LETTERS, HIDDEN, K)
    try:
        model.lstm.load_state_dict(got["lstm"])
        model.fc.load_state_dict(got["fc"])
    except (RuntimeError, KeyError, TypeError):
        raise AssertionError(
            f"LSTMClassifier({ref.N_LETTERS}, {HIDDEN}, {K}) should hold "
            f"nn.LSTM({ref.N_LETTERS}, {HIDDEN}) (one layer, one direction, with biases) and "
            f"nn.Linear({HIDDEN}, {K}); its modules have other parameters"
        ) from None
    return model


def _reference_inputs(case: dict, x: torch.Tensor):
    if case["lengths"] is None:
        return x
    return pack_padded_sequence(x, torch.tensor(case["lengths"]), enforce_sorted=False)


def _reference_run(model: nn.Module, case: dict) -> dict:
    model.zero_grad(set_to_none=True)
    x = case["x"].clone().requires_grad_(True)
    out = model(_reference_inputs(case, x))
    (out * case["r"]).sum().backward()
    return {
        "output": out.detach(),
        "x_grad": x.grad,
        "lstm_grads": {k: p.grad for k, p in model.lstm.named_parameters()},
        "fc_grads": {k: p.grad for k, p in model.fc.named_parameters()},
    }


def _what_it_computes(model: nn.Module, case: dict, out: torch.Tensor) -> str:
    """A hint for a wrong output: which common misreading of the notebook it equals."""
    with torch.no_grad():
        seq, (h_n, c_n) = model.lstm(_reference_inputs(case, case["x"]))
        if case["lengths"] is None:
            padded, lengths = seq, torch.full((seq.shape[1],), seq.shape[0])
        else:
            padded, lengths = pad_packed_sequence(seq)
        real = (torch.arange(padded.shape[0])[:, None] < lengths[None, :]).unsqueeze(-1)
        mean = (padded * real).sum(0) / lengths[:, None]
        top = padded.masked_fill(~real, float("-inf")).max(0).values
        scores = model.fc(h_n[-1])

        def log_p(h):
            return torch.log_softmax(model.fc(h), dim=-1)

        candidates = [
            (
                log_p(c_n[-1]),
                "log_softmax(fc(c_n)): classify from h_n, not from the cell state c_n",
            ),
            (torch.softmax(scores, -1), "probabilities (softmax): return log_softmax instead"),
            (scores, "raw scores fc(h_n): apply log_softmax over the languages"),
            (log_p(mean), "an average of the LSTM's outputs over time: use h_n instead"),
            (log_p(top), "a maximum of the LSTM's outputs over time: use h_n instead"),
            (
                log_p(padded[-1]),
                "the last row of the padded output, which is padding for shorter names: use "
                "h_n, each name's state after its own last letter",
            ),
            (log_p(padded[0]), "the first step's output: use h_n, the state after the last letter"),
        ]
    for value, hint in candidates:
        if value.shape == out.shape and torch.allclose(value, out, atol=1e-5):
            return f" It equals {hint}."
    return ""


def test_output_is_log_softmax_of_linear_on_h_n(sub):
    """forward returns log_softmax(fc(h_n[-1])), recomputed with the model's own lstm and fc"""
    got, cases = _oracle(sub)
    model = _reference_on_student_weights(got)
    for case, entry in zip(cases, got["cases"]):
        out = _tensor(entry["output"], "forward's output")
        want = _reference_run(model, case)["output"]
        assert tuple(out.shape) == tuple(want.shape), (
            f"for {case['what']} forward should return shape (B, K) = {tuple(want.shape)}, got "
            f"{tuple(out.shape)}"
        )
        assert torch.allclose(out, want, atol=1e-5), (
            f"for {case['what']}, forward's output is not log_softmax(fc(h_n[-1])) computed "
            "with the model's own nn.LSTM and nn.Linear (h_n: each name's hidden state after "
            "its own last letter, in the batch's order)." + _what_it_computes(model, case, out)
        )


def _close(a, b) -> bool:
    return a is not None and b is not None and torch.allclose(a, b, atol=1e-5, rtol=1e-4)


def test_gradients_match_specification(sub):
    """gradients of the output reach every input step and parameter exactly as specified"""
    got, cases = _oracle(sub)
    model = _reference_on_student_weights(got)
    for case, entry in zip(cases, got["cases"]):
        want = _reference_run(model, case)
        assert "x_grad" in entry, (
            f"for {case['what']}, forward's output is not a (B, K) tensor connected to the "
            "autograd graph (computed under torch.no_grad() or detached?)"
        )
        x_grad = entry["x_grad"]
        assert x_grad is not None and _close(x_grad[0], want["x_grad"][0]), (
            f"for {case['what']}, the gradient of the output with respect to the FIRST letter "
            "is not what one LSTM pass followed by log_softmax(fc(h_n[-1])) gives: is part of "
            "the state detached, or is the output read from the wrong place?"
        )
        assert _close(x_grad, want["x_grad"]), (
            f"for {case['what']}, the gradient with respect to the input letters differs from "
            "the specification's (log_softmax(fc(h_n[-1])), nothing detached)"
        )
        wrong = [
            f"{part}.{k}"
            for part in ("lstm", "fc")
            for k, g in want[f"{part}_grads"].items()
            if not _close(entry[f"{part}_grads"].get(k), g)
        ]
        assert not wrong, (
            f"for {case['what']}, these parameters get a different gradient than in "
            "log_softmax(fc(h_n[-1])) with nothing detached: " + ", ".join(wrong)
        )


# ------------------------------------------------------------- Part 2: lstm_step_by_step


def _step_by_step_case(sub, T: int, B: int, seed: int):
    torch.manual_seed(seed)
    lstm = nn.LSTM(5, 4)
    x = torch.randn(T, B, 5)
    got = sub.probe("step_by_step", weights=lstm.state_dict(), input_size=5, hidden=4, x=x)
    with torch.no_grad():
        want_out, (want_h, want_c) = lstm(x)
    return got, want_out, want_h, want_c


def _assert_same(got, want, what: str, shape_hint: str):
    got = _tensor(got, what)
    assert tuple(got.shape) == tuple(want.shape), (
        f"{what} should have shape {shape_hint} = {tuple(want.shape)}, got {tuple(got.shape)}"
    )
    assert torch.allclose(got, want, atol=1e-5), (
        f"{what} differs from calling the LSTM on the whole sequence: carry (h, c) from each "
        "step into the next"
    )


def test_step_by_step_matches_whole_sequence(sub):
    """step-by-step output and final (h, c) equal one call on the whole sequence (also T = B = 1)"""
    for T, B, seed in [(6, 3, 7), (1, 1, 9)]:
        got, out, h, c = _step_by_step_case(sub, T=T, B=B, seed=seed)
        _assert_same(got["output"], out, f"output (T = {T}, B = {B})", "(T, B, H)")
        _assert_same(got["h_n"], h, f"h_n (T = {T}, B = {B})", "(1, B, H)")
        _assert_same(got["c_n"], c, f"c_n (T = {T}, B = {B})", "(1, B, H)")


def _recorded_steps(sub) -> tuple[torch.Tensor, dict]:
    """lstm_step_by_step on a stand-in LSTM that records its calls (T = 5, B = 2)."""
    x = torch.randn(5, 2, 3, generator=torch.Generator().manual_seed(21))
    return x, sub.probe("step_by_step_recorded", input_size=3, hidden=4, x=x, seed=22)


def test_step_by_step_feeds_one_element_per_call(sub):
    """the LSTM is called once per time step t, in order, each time on exactly x[t:t+1]"""
    x, got = _recorded_steps(sub)
    calls = got["calls"]
    shapes = [tuple(c["input"].shape) if c["input"] is not None else c["input_type"] for c in calls]
    assert len(calls) == len(x), (
        f"for a sequence of T={len(x)} steps, call the LSTM {len(x)} times, each on x[t:t+1] "
        f"(length 1); it was called {len(calls)} time(s), on inputs of shapes {shapes[:8]}"
    )
    for t, call in enumerate(calls):
        fed = call["input"]
        assert fed is not None and tuple(fed.shape) == tuple(x[t : t + 1].shape), (
            f"call {t + 1} should get x[{t}:{t + 1}] of shape (1, B, L) = "
            f"{tuple(x[t : t + 1].shape)}, got {shapes[t]}"
        )
        assert torch.equal(fed, x[t : t + 1]), (
            f"call {t + 1} got something other than x[{t}:{t + 1}]: feed the time steps in "
            "order, one per call"
        )


def test_step_by_step_carries_state_from_call_to_call(sub):
    """each call gets the (h, c) the previous call returned, attached to the autograd graph"""
    x, got = _recorded_steps(sub)
    calls, returned = got["calls"], got["returned"]
    assert calls, "`lstm_step_by_step` never called the LSTM"
    first = calls[0]["state"]
    assert first is None or all(not s.any() for s in first), (
        "the first call should start from zeros: pass no state (or None, or zero tensors)"
    )
    for t in range(1, len(calls)):
        state, prev = calls[t]["state"], returned[t - 1]
        assert state is not None and all(
            torch.equal(a, b) for a, b in zip(state, (prev["h"], prev["c"]))
        ), (
            f"call {t + 1} did not get the state (h, c) returned by call {t}, in that order: "
            "carry the whole state from each step into the next"
        )
        assert all(calls[t]["state_requires_grad"]), (
            f"the state passed into call {t + 1} is cut off from the autograd graph (detached, "
            "or computed under torch.no_grad()): gradients must flow back through every step"
        )
    want_out = torch.cat([r["output"] for r in returned])
    out = _tensor(got["output"], "output")
    assert tuple(out.shape) == tuple(want_out.shape) and torch.equal(out, want_out), (
        "output should be the per-step outputs of the LSTM concatenated along time, (T, B, H)"
    )
    for what, value, key in (("h_n", got["h_n"], "h"), ("c_n", got["c_n"], "c")):
        value = _tensor(value, what)
        assert tuple(value.shape) == tuple(returned[-1][key].shape) and torch.equal(
            value, returned[-1][key]
        ), f"{what} should be the {key} of the state returned by the last call"


def test_step_by_step_gradients_reach_first_step(sub):
    """gradients through the loop equal those of one call, down to the first time step"""
    g = torch.Generator().manual_seed(41)
    torch.manual_seed(40)
    lstm = nn.LSTM(5, 4)
    x = torch.randn(6, 2, 5, generator=g)
    r_out, r_h, r_c = (
        torch.randn(*shape, generator=g) for shape in [(6, 2, 4), (1, 2, 4), (1, 2, 4)]
    )
    got = sub.probe(
        "step_by_step_gradients", weights=lstm.state_dict(), input_size=5, hidden=4, x=x,
        r_out=r_out, r_h=r_h, r_c=r_c,
    )  # fmt: skip
    x_ref = x.clone().requires_grad_(True)
    out, (h, c) = lstm(x_ref)
    ((out * r_out).sum() + (h * r_h).sum() + (c * r_c).sum()).backward()
    x_grad = got["x_grad"]
    assert x_grad is not None, (
        "no gradient reaches x through `lstm_step_by_step`: run the loop with autograd on "
        "(no torch.no_grad(), no detach())"
    )
    assert _close(x_grad[0], x_ref.grad[0]), (
        "the gradient reaching the FIRST time step differs from one call on the whole sequence:"
        " pass the state (h, c) from each step to the next without detaching or rebuilding it"
    )
    assert _close(x_grad, x_ref.grad), (
        "the gradients with respect to x differ from one call on the whole sequence"
    )
    wrong = [k for k, p in lstm.named_parameters() if not _close(got["param_grads"].get(k), p.grad)]
    assert not wrong, (
        "the LSTM's weights get different gradients than from one call on the whole sequence: "
        + ", ".join(wrong)
    )


# ---------------------------------------------------------------- Part 3: names_to_batch


EDGE_NAMES = ["Zz-a'A", "Van Zyl", "a", "O'Neil-Zu", "-", "Zabala-Azaz"]  # ALPHABET's edges


def _unpacked_names(sub, names):
    got = sub.probe("names_to_batch", names=names)
    assert got["type"] == "PackedSequence", (
        f"names_to_batch should return a PackedSequence, got {got['type']}"
    )
    padded = _tensor(got["padded"], "the unpacked batch")
    assert padded.dim() == 3 and padded.shape[-1] == ref.N_LETTERS, (
        f"each packed step should be a one-hot vector of N_LETTERS={ref.N_LETTERS}; unpacked "
        f"shape {tuple(padded.shape)}"
    )
    return got, padded


def _assert_lengths_in_order(got: dict, names: list[str]) -> None:
    assert got["lengths"] == [len(n) for n in names], (
        f"the packed names should have lengths {[len(n) for n in names]} in the caller's order; "
        f"unpacking gives {got['lengths']} (sorted by length without restoring the order? "
        "use enforce_sorted=False)"
    )


def _assert_exact_one_hot(got: dict, padded: torch.Tensor, names: list[str]) -> None:
    assert got["data_dtype"] == "float32", (
        f"the packed letters should be float32 one-hot rows (as name_to_tensor makes them), got "
        f"dtype {got['data_dtype']}"
    )
    _assert_lengths_in_order(got, names)
    for b, name in enumerate(names):
        rows = padded[: len(name), b]
        assert torch.equal(rows, ref.name_to_tensor(name)), (
            f"batch element {b} should be name_to_tensor({name!r}) exactly: one row per letter, "
            "a single 1.0 in the column ALPHABET.index(letter) and zeros elsewhere (use "
            "name_to_tensor, no scaling, no other alphabet)"
        )


def test_names_to_batch_returns_packed_sequence(sub):
    """names_to_batch returns a PackedSequence of one-hot letters, (total letters, N_LETTERS)"""
    got, _ = _unpacked_names(sub, NAMES_MIXED[:6])
    total = sum(len(n) for n in NAMES_MIXED[:6])
    assert got["data_shape"] == [total, ref.N_LETTERS], (
        f"the packed data should have shape (total letters, N_LETTERS) = ({total}, "
        f"{ref.N_LETTERS}), got {tuple(got['data_shape'])}"
    )


def test_names_to_batch_keeps_names_and_order(sub):
    """unpacking gives back every name, letter for letter, in the caller's order"""
    got, padded = _unpacked_names(sub, NAMES_MIXED)
    _assert_lengths_in_order(got, NAMES_MIXED)
    assert ref.decode_one_hot(padded, got["lengths"]) == NAMES_MIXED, (
        "unpacking the batch does not give back the input names in their original order "
        "(sorted by length without restoring the order? use enforce_sorted=False)"
    )


def test_names_to_batch_rows_are_exact_one_hot(sub):
    """every letter is exactly its float32 one-hot row, also at the edges of ALPHABET"""
    got, padded = _unpacked_names(sub, EDGE_NAMES)
    _assert_exact_one_hot(got, padded, EDGE_NAMES)


def test_names_to_batch_single_letter_names(sub):
    """a batch of one-letter names (with repeats) packs into exactly their one-hot rows"""
    got, padded = _unpacked_names(sub, SHORT_NAMES)
    _assert_exact_one_hot(got, padded, SHORT_NAMES)


# -------------------------------------------------------------------- Part 4: train_step

TRAIN_NAMES = NAMES_MIXED[:12]
# Indices into LANGUAGES; the modulo keeps them valid if the data's set of languages changes.
TRAIN_TARGETS = torch.tensor([3, 8, 1, 9, 12, 1, 6, 5, 2, 7, 13, 0]) % len(ref.LANGUAGES)
TRAINING_RATIO = 0.5  # test_training_reduces_loss: after < TRAINING_RATIO * before


def _reference_step(before: dict, lr: float) -> dict:
    model = ref.ReferenceClassifier(ref.N_LETTERS, HIDDEN, len(ref.LANGUAGES))
    model.load_state_dict(before)
    loss = nn.functional.nll_loss(model(ref.names_to_batch(TRAIN_NAMES)), TRAIN_TARGETS)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return {"loss": loss.item(), "state": model.state_dict()}


def test_train_step_returns_mean_nll(sub):
    """train_step returns the batch's mean negative log-likelihood before the update, a float"""
    got = sub.probe(
        "train_step_update", seed=SEED, hidden=HIDDEN, names=TRAIN_NAMES,
        targets=TRAIN_TARGETS, lr=0.1,
    )  # fmt: skip
    loss = got["loss"]
    assert isinstance(loss, float), (
        f"train_step should return the loss as a Python float (loss.item()), got {loss!r:.60}"
        + (" (a tensor)" if isinstance(loss, torch.Tensor) else "")
    )
    want = _reference_step(got["before"], 0.1)["loss"]
    assert abs(loss - want) <= 1e-4 * max(1.0, abs(want)), (
        "train_step should return the MEAN negative log-likelihood of the batch, computed "
        f"before the update; the returned value {loss:.4f} is not that (summed instead of "
        "averaged? measured after optimizer.step()? probabilities instead of log-probabilities?)"
    )


def test_train_step_updates_with_fresh_gradients(sub):
    """one train_step is exactly one optimizer step on this batch's gradient (grads zeroed)"""
    got = sub.probe(
        "train_step_update", seed=SEED, hidden=HIDDEN, names=TRAIN_NAMES,
        targets=TRAIN_TARGETS, lr=0.1,
    )  # fmt: skip
    before, after = got["before"], got["after"]
    want = _reference_step(before, 0.1)["state"]
    unchanged = all(torch.equal(before[k], after[k]) for k in before)
    assert not unchanged, "train_step did not change the model (missing backward() or step()?)"
    wrong = [k for k in want if not torch.allclose(after[k], want[k], atol=1e-5)]
    assert not wrong, (
        "the update is not one optimizer step on this batch's mean loss: zero the old "
        "gradients first, then backward(), then optimizer.step() (differs in: "
        + ", ".join(wrong[:4])
        + ")"
    )


def test_train_step_zeroes_then_backpropagates_then_steps_once(sub):
    """gradients are cleared before backward, and optimizer.step() runs once, after backward"""
    got = sub.probe(
        "train_step_recorded", seed=SEED, hidden=HIDDEN, names=TRAIN_NAMES,
        targets=TRAIN_TARGETS, lr=0.1,
    )  # fmt: skip
    events = got["events"]
    backward = [i for i, e in enumerate(events) if e.startswith("backward")]
    steps = [i for i, e in enumerate(events) if e == "step"]
    assert len(backward) == 1, (
        f"train_step should run the backward pass once; it ran {len(backward)} time(s)"
    )
    assert events[backward[0]] == "backward", (
        "the model still had old gradients when loss.backward() ran: call "
        "optimizer.zero_grad() before backward (PyTorch adds new gradients to old ones)"
    )
    assert len(steps) == 1, f"call optimizer.step() exactly once; it was called {len(steps)} times"
    assert steps[0] > backward[0], "call optimizer.step() after loss.backward(), not before"
    assert "zero_grad" not in events[backward[0] :], (
        "the gradients were cleared after backward: optimizer.zero_grad() goes before backward"
    )


def test_training_reduces_loss(sub):
    """repeated train_step calls on one batch drive its loss down"""
    got = sub.probe(
        "train_steps", seed=SEED, hidden=HIDDEN, names=TRAIN_NAMES, targets=TRAIN_TARGETS,
        steps=25, lr=0.03,
    )  # fmt: skip
    before = nn.functional.nll_loss(_tensor(got["log_probs_before"], "log-probs"), TRAIN_TARGETS)
    after = nn.functional.nll_loss(_tensor(got["log_probs_after"], "log-probs"), TRAIN_TARGETS)
    # A correct train_step ends far below this on every seed (tests/test_suite_a01_margins.py).
    assert after < TRAINING_RATIO * before, (
        "after 25 train_step calls with Adam (lr 0.03) on one batch of 12 names, its loss "
        f"should at least halve; it went from {before:.3f} to {after:.3f}"
    )


# ----------------------------------------------------------------------- Part 5: predict


def _predictions(sub, names):
    got = sub.probe("predictions", seed=SEED, hidden=HIDDEN, names=names)
    predicted = got["predicted"]
    assert isinstance(predicted, list), f"predict should return a list, got {predicted}"
    return predicted, _tensor(got["log_probs"], "log-probs")


PREDICT_NAMES = [n for n in NAMES_MIXED[:9] if n != "Kim"]


def _script() -> dict[str, int]:
    """The class a stand-in model makes most likely for each name: the first and the last
    language among them."""
    last = len(ref.LANGUAGES) - 1
    classes = [0, last, 1, last - 1, last // 2, 0, last, 2]
    return {n: classes[i % len(classes)] for i, n in enumerate(PREDICT_NAMES)}


def _recorded_predict(sub, start_in_training_mode: bool) -> dict:
    return sub.probe(
        "predict_recorded",
        script=_script(),
        names=PREDICT_NAMES,
        start_in_training_mode=start_in_training_mode,
    )


def test_predict_returns_language_names(sub):
    """predict returns LANGUAGES[argmax] per name, in order; an empty list gives an empty list"""
    got = _recorded_predict(sub, True)
    predicted = got["predicted"]
    want = [ref.LANGUAGES[k] for k in _script().values()]
    assert isinstance(predicted, list) and len(predicted) == len(want), (
        f"predict should return a list with one language per name: {len(want)} names in, got "
        f"{predicted if not isinstance(predicted, list) else f'{len(predicted)} values'}"
    )
    bad = [p for p in predicted if p not in ref.LANGUAGES]
    assert not bad, f"predictions should be language names from LANGUAGES, got {bad[:3]}"
    assert predicted == want, (
        "predict should return LANGUAGES[k] with k the column of the largest log-probability "
        "of each name's row, in the input's order (also for the first and the last language)"
    )
    assert got["empty"] == [], (
        f"predict(model, []) should return an empty list, got {got['empty']!r:.120}"
    )


def test_predict_runs_in_eval_mode_without_grad_and_restores_mode(sub):
    """the model runs in eval mode under torch.no_grad(), and is left in the mode it was in"""
    for start in (True, False):
        got = _recorded_predict(sub, start)
        calls = got["calls"]
        assert calls, "predict never ran the model"
        assert not any(c["grad_enabled"] for c in calls), (
            "run the model inside `with torch.no_grad():` in predict"
        )
        assert not any(c["training"] for c in calls), (
            "call model.eval() before running the model in predict"
        )
        after, where = got["training_after"], ""
        if after == start and isinstance(got["empty"], list):
            after, where = got["training_after_empty"], " an empty list"
        assert after == start, (
            f"predict should put the model back in the mode it was in: it was in "
            f"{_mode(start)} mode before predict(model,{where or ' names'}) and in {_mode(after)} "
            "mode after (remember model.training, then call model.train(that value))"
        )


def _mode(training: bool) -> str:
    return "training" if training else "eval"


def test_predict_picks_most_likely_language(sub):
    """predict returns the most likely language of each name, in the input's order"""
    names = random.Random(5).sample(NAMES_MIXED, len(NAMES_MIXED))
    predicted, log_probs = _predictions(sub, names)
    assert len(predicted) == len(names), f"{len(names)} names in, {len(predicted)} out"
    top2 = log_probs.topk(2, dim=-1).values
    clear = (top2[:, 0] - top2[:, 1]) > 1e-4  # ignore near-ties
    want = [ref.LANGUAGES[i] for i in log_probs.argmax(dim=-1).tolist()]
    wrong = [n for n, p, w, c in zip(names, predicted, want, clear.tolist()) if c and p != w]
    assert not wrong, (
        "predict should return LANGUAGES[argmax of the model's output] for each name, in the "
        f"input order; it did not for {wrong[:3]}"
    )


def test_predict_single_name(sub):
    """predict works for a single name"""
    predicted, log_probs = _predictions(sub, ["Kim"])
    want = ref.LANGUAGES[int(log_probs.argmax())]
    assert predicted == [want], (
        f"predict(model, ['Kim']) should return a 1-element list, got {predicted}"
    )
