"""Hidden tests for assignment 1 (surname -> language with nn.LSTM).

One behaviour per test; points in grading.yml. Each test asks the worker to run a probe on the
student's code and asserts here, in the grader, on the data it returns. Messages say what was
expected, never the reference values.
"""

from __future__ import annotations

import random

import torch
from torch import nn

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
SHORT_NAMES = ["A", "b", "Q", "A", "z"]


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
    """step-by-step output and final (h, c) equal one call on the whole sequence"""
    got, out, h, c = _step_by_step_case(sub, T=6, B=3, seed=7)
    _assert_same(got["output"], out, "output", "(T, B, H)")
    _assert_same(got["h_n"], h, "h_n", "(1, B, H)")
    _assert_same(got["c_n"], c, "c_n", "(1, B, H)")


def test_step_by_step_feeds_one_element_per_call(sub):
    """the LSTM is called once per time step, each time on a length-1 sequence"""
    got, *_ = _step_by_step_case(sub, T=5, B=2, seed=8)
    lengths = got["call_lengths"]
    assert lengths == [1] * 5, (
        "for a sequence of T=5 steps, call the LSTM 5 times, each on x[t:t+1] (length 1); "
        f"it was called {len(lengths)} time(s) on lengths {lengths[:10]}"
    )


def test_step_by_step_single_step(sub):
    """a sequence of one element, batch of one, also matches"""
    got, out, h, c = _step_by_step_case(sub, T=1, B=1, seed=9)
    _assert_same(got["output"], out, "output", "(T, B, H)")
    _assert_same(got["h_n"], h, "h_n", "(1, B, H)")
    _assert_same(got["c_n"], c, "c_n", "(1, B, H)")


# ---------------------------------------------------------------- Part 3: names_to_batch


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
    return got, ref.decode_one_hot(padded, got["lengths"])


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
    _, names = _unpacked_names(sub, NAMES_MIXED)
    assert names == NAMES_MIXED, (
        "unpacking the batch does not give back the input names in their original order "
        "(sorted by length without restoring the order? use enforce_sorted=False)"
    )


def test_names_to_batch_single_letter_names(sub):
    """a batch of one-letter names (with repeats) packs correctly"""
    _, names = _unpacked_names(sub, SHORT_NAMES)
    assert names == SHORT_NAMES, "a batch of one-letter names does not unpack to the same names"


# -------------------------------------------------------------------- Part 4: train_step

TRAIN_NAMES = NAMES_MIXED[:12]
TRAIN_TARGETS = torch.tensor([3, 8, 1, 9, 12, 1, 6, 5, 2, 7, 13, 0])


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
    """train_step returns the batch's mean negative log-likelihood before the update"""
    got = sub.probe(
        "train_step_update", seed=SEED, hidden=HIDDEN, names=TRAIN_NAMES,
        targets=TRAIN_TARGETS, lr=0.1,
    )  # fmt: skip
    loss = got["loss"]
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        loss = loss.item()
    assert isinstance(loss, float | int), f"train_step should return a float, got {loss!r:.60}"
    want = _reference_step(got["before"], 0.1)["loss"]
    assert abs(loss - want) <= 1e-4 * max(1.0, abs(want)), (
        "train_step should return the MEAN negative log-likelihood of the batch (before the "
        f"update); the returned value {loss:.4f} is not that (summed instead of averaged?)"
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


def test_training_reduces_loss(sub):
    """repeated train_step calls on one batch drive its loss down"""
    got = sub.probe(
        "train_steps", seed=SEED, hidden=HIDDEN, names=TRAIN_NAMES, targets=TRAIN_TARGETS,
        steps=25, lr=0.03,
    )  # fmt: skip
    before = nn.functional.nll_loss(_tensor(got["log_probs_before"], "log-probs"), TRAIN_TARGETS)
    after = nn.functional.nll_loss(_tensor(got["log_probs_after"], "log-probs"), TRAIN_TARGETS)
    # A correct train_step ends below 0.11x the start on every seed tried (tests/ checks 20).
    assert after < 0.25 * before, (
        "after 25 train_step calls with Adam (lr 0.03) on one batch of 12 names, its loss "
        f"should drop to under a quarter; it went from {before:.3f} to {after:.3f}"
    )


# ----------------------------------------------------------------------- Part 5: predict


def _predictions(sub, names):
    got = sub.probe("predictions", seed=SEED, hidden=HIDDEN, names=names)
    predicted = got["predicted"]
    assert isinstance(predicted, list), f"predict should return a list, got {predicted}"
    return predicted, _tensor(got["log_probs"], "log-probs")


def test_predict_returns_language_names(sub):
    """predict returns one language name (a string from LANGUAGES) per input name"""
    predicted, _ = _predictions(sub, NAMES_MIXED[:5])
    assert len(predicted) == 5, f"5 names in, {len(predicted)} predictions out"
    bad = [p for p in predicted if p not in ref.LANGUAGES]
    assert not bad, f"predictions should be language names from LANGUAGES, got {bad[:3]}"


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
