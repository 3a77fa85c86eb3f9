"""Hidden tests for assignment 4 (sequence to sequence: number words to digits).

One behaviour per test; points in grading.yml. Each test asks the worker to run a probe on the
student's code and asserts here, in the grader, on the data it returns.
"""

from __future__ import annotations

import torch

from autograder.suites.a04_seq2seq import reference as ref

SEED = 1357
# Mixed lengths, deliberately not sorted by length (packing must cope).
PAIRS = [
    ("seven", "7"),
    ("four hundred and seven", "407"),
    ("twelve thousand and one", "12001"),
    ("ninety-nine", "99"),
    ("six hundred thousand", "600000"),
]


def _tensor(value, what: str) -> torch.Tensor:
    assert isinstance(value, torch.Tensor), f"{what} should be a torch.Tensor, got {value!r:.80}"
    return value


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


# ------------------------------------------------------------------- Part 1: make_batch


# A batch of one pair, with 'z' (the last character of SOURCE_VOCAB) and '0' (the first digit).
ONE_PAIR = [("zero", "0")]


def _batch(sub, pairs=PAIRS):
    got = sub.probe("batches", batches=[PAIRS, ONE_PAIR])[[PAIRS, ONE_PAIR].index(pairs)]
    out = {k: _tensor(got[k], k) for k in ("src", "src_lengths", "tgt_in", "tgt_out")}
    out["dtypes"] = got["dtypes"]
    return out


def test_make_batch_shapes_and_padding(sub):
    """src is (S_max, B), tgt_in and tgt_out are (T_max + 1, B), all torch.long, padded with
    PAD_INDEX; also for a batch of one pair"""
    for pairs in (PAIRS, ONE_PAIR):
        got = _batch(sub, pairs)
        S, T, B = max(len(w) for w, _ in pairs), max(len(d) for _, d in pairs) + 1, len(pairs)
        assert _shape(got["src"]) == (S, B), (
            f"src should have shape (S_max, B) = ({S}, {B}) for {len(pairs)} pair(s): time "
            f"first, one column per pair; got {_shape(got['src'])}"
        )
        assert _shape(got["src_lengths"]) == (B,), (
            f"src_lengths should have shape (B,) = ({B},) for {len(pairs)} pair(s), got "
            f"{_shape(got['src_lengths'])}"
        )
        for name in ("tgt_in", "tgt_out"):
            assert _shape(got[name]) == (T, B), (
                f"{name} should have shape (T_max + 1, B) = ({T}, {B}) for {len(pairs)} "
                f"pair(s): the digits plus one token (SOS or EOS); got {_shape(got[name])}"
            )
        wrong = {k: v for k, v in got["dtypes"].items() if v != "torch.int64"}
        assert not wrong, (
            f"all four tensors should be torch.long (token ids and lengths), got {wrong}"
        )
        want = ref.make_batch(pairs)
        for name, w in zip(("src", "tgt_in", "tgt_out"), (want[0], want[2], want[3])):
            pad = w == ref.PAD_INDEX
            assert bool((got[name].long()[pad] == ref.PAD_INDEX).all()), (
                f"{name} should be padded with PAD_INDEX = {ref.PAD_INDEX} after each sequence"
            )


def test_source_is_encoded_in_order(sub):
    """src column b holds the characters of pairs[b], src_lengths their true lengths"""
    for pairs in (PAIRS, ONE_PAIR):
        got = _batch(sub, pairs)
        want_src, want_lengths, _, _ = ref.make_batch(pairs)
        assert torch.equal(got["src_lengths"].long(), want_lengths), (
            f"src_lengths[b] should be the number of characters of pairs[b]'s words: for "
            f"{[w for w, _ in pairs]} expected {want_lengths.tolist()}, got "
            f"{got['src_lengths'].tolist()}"
        )
        assert torch.equal(got["src"].long(), want_src), (
            "src[:, b] should be encode_source(pairs[b][0]) followed by padding, in the order "
            f"given (checked on {len(pairs)} pair(s))"
        )


def test_decoder_input_starts_with_sos(sub):
    """tgt_in is SOS followed by the digits"""
    for pairs in (PAIRS, ONE_PAIR):
        got = _batch(sub, pairs)
        _, _, want_in, _ = ref.make_batch(pairs)
        assert bool((got["tgt_in"][0] == ref.SOS_INDEX).all()), (
            "tgt_in[0] should be SOS_INDEX for every pair: the decoder's first input is SOS"
        )
        assert torch.equal(got["tgt_in"].long(), want_in), (
            "tgt_in[:, b] should be SOS, then encode_target(pairs[b][1]), then padding "
            f"(checked on {len(pairs)} pair(s))"
        )


def test_target_is_input_shifted_and_ends_with_eos(sub):
    """tgt_out is the digits then EOS: tgt_in shifted one step ahead"""
    for pairs in (PAIRS, ONE_PAIR):
        got = _batch(sub, pairs)
        _, _, _, want_out = ref.make_batch(pairs)
        for b, (_, digits) in enumerate(pairs):
            column = got["tgt_out"][:, b].long()
            assert int(column[len(digits)]) == ref.EOS_INDEX, (
                f"tgt_out for {digits!r} should have EOS right after its last digit: the model "
                "must learn when to stop"
            )
        assert torch.equal(got["tgt_out"].long(), want_out), (
            "tgt_out[t] should be the token that follows tgt_in[t]: the digits, then EOS, then "
            f"padding (not the same sequence as tgt_in; checked on {len(pairs)} pair(s))"
        )


# ---------------------------------------------------------------------- Part 2: Encoder

HIDDEN, EMB = 12, 6


def _encoder_case(sub, unsorted=True):
    src, src_lengths, _, _ = ref.make_batch(PAIRS)
    if not unsorted:
        order = torch.argsort(src_lengths, descending=True)
        src, src_lengths = src[:, order], src_lengths[order]
    got = sub.probe(
        "encoder_states", seed=SEED, embedding_dim=EMB, hidden=HIDDEN,
        src=src, src_lengths=src_lengths, extra_padding=4,
    )  # fmt: skip
    return src, src_lengths, got


def test_encoder_output_and_state_shapes(sub):
    """outputs are (S_max, B, H); h_n and c_n are (1, B, H)"""
    src, _, got = _encoder_case(sub, unsorted=False)
    S, B = src.shape
    outputs = _tensor(got["outputs"], "outputs")
    assert _shape(outputs) == (S, B, HIDDEN), (
        f"Encoder outputs should have shape (S_max, B, hidden_size) = ({S}, {B}, {HIDDEN}), "
        f"got {_shape(outputs)}"
    )
    for name in ("h", "c"):
        assert _shape(_tensor(got[name], name)) == (1, B, HIDDEN), (
            f"{name}_n should have shape (1, B, hidden_size) = (1, {B}, {HIDDEN}), got "
            f"{_shape(got[name])}: one LSTM layer, one direction"
        )


def test_final_state_ignores_padding(sub):
    """each sequence's final (h, c) is the state after its last real character"""
    _, src_lengths, got = _encoder_case(sub, unsorted=False)
    h, c = _tensor(got["h"], "h_n"), _tensor(got["c"], "c_n")
    for b, alone in enumerate(got["alone"]):
        assert torch.allclose(h[:, b], alone["h"][:, 0], atol=1e-5) and torch.allclose(
            c[:, b], alone["c"][:, 0], atol=1e-5
        ), (
            f"the final state of sequence {b} (length {int(src_lengths[b])}) in a padded batch "
            "differs from encoding it alone: the LSTM ran over the padding. Pack the batch "
            "(pack_padded_sequence with the lengths) so each sequence stops at its own end"
        )
    assert torch.allclose(h, _tensor(got["h_padded"], "h_n"), atol=1e-5), (
        "adding more padding rows to src changed h_n: padding must not reach the final state"
    )


def test_encoder_accepts_unsorted_lengths(sub):
    """a batch whose lengths are not sorted gives each sequence its own final state"""
    _, src_lengths, got = _encoder_case(sub, unsorted=True)
    h = _tensor(got["h"], "h_n")
    for b, alone in enumerate(got["alone"]):
        assert torch.allclose(h[:, b], alone["h"][:, 0], atol=1e-5), (
            f"with lengths {src_lengths.tolist()} (not sorted), h_n[:, {b}] is not the final "
            "state of sequence b: pass enforce_sorted=False to pack_padded_sequence (it sorts "
            "and restores the order for you)"
        )


# The first characters of the sources (the edges of SOURCE_VOCAB among them) occur nowhere
# else in the batch, so their embedding rows see only the gradient of the first time step.
FIRST_CHARACTERS = [1, 28, 2, 27]  # ' ', 'z', '-', 'y'


def _encoder_oracle_cases():
    """Mixed, unsorted lengths (one of 1), three more PAD rows than the longest needs; and a batch
    of one source with the edges of SOURCE_VOCAB inside and at its end."""
    g = torch.Generator().manual_seed(SEED)
    lengths = torch.tensor([6, 13, 1, 9])
    src = torch.full((16, 4), ref.PAD_INDEX)
    for b, n in enumerate(lengths.tolist()):
        src[0, b] = FIRST_CHARACTERS[b]
        src[1:n, b] = torch.randint(3, 27, (n - 1,), generator=g)
    single = torch.tensor([[28, 5, 1, 9, 2, 28, 1]]).T
    return [(src, lengths), (single, torch.tensor([7]))]


def _encoder_oracle(sub):
    cases = _encoder_oracle_cases()
    got = sub.probe("encoder_oracle", seed=SEED, embedding_dim=EMB, hidden=HIDDEN, cases=cases)
    return cases, got


def _close(a, b, atol=1e-5) -> bool:
    return (isinstance(a, torch.Tensor) and a.shape == b.shape
            and torch.allclose(a.double(), b.double(), atol=atol, rtol=1e-4))  # fmt: skip


def test_encoder_state_is_the_lstm_state_after_the_last_character(sub):
    """h_n and c_n (and the outputs) equal self.lstm run on self.embed of each source alone"""
    cases, got = _encoder_oracle(sub)
    for (src, lengths), case in zip(cases, got):
        where = (
            f"a batch of {src.shape[1]} source(s) of {lengths.tolist()} characters, "
            f"{src.shape[0]} rows"
        )
        h, c = case["h"], case["c"]
        if _close(h, case["want_c"]) and _close(c, case["want_h"]):
            raise AssertionError(f"{where}: h_n and c_n are swapped: return (outputs, (h_n, c_n))")
        for name in ("h", "c"):
            assert _close(case[name], case[f"want_{name}"]), (
                f"{where}: {name}_n should be, for every column, the {name} of self.lstm after "
                "the column's last real character, as when that column's characters alone are "
                "embedded with self.embed and run through self.lstm. Every id 1-28 of "
                "SOURCE_VOCAB is a real character; the PAD rows after it are not"
            )
        outputs, want = _tensor(case["outputs"], "outputs"), case["want_outputs"]
        assert _shape(outputs) == _shape(want), (
            f"{where}: outputs should have shape (S_max, B, H) = {_shape(want)}, with S_max = "
            f"src.shape[0] (total_length=src.shape[0]), got {_shape(outputs)}"
        )
        assert _close(outputs, want), (
            f"{where}: outputs should be self.lstm's output at every real position of every "
            "column and zeros at its padded positions (pad_packed_sequence does that)"
        )


def test_gradients_reach_the_encoder(sub):
    """gradients of the final state and outputs reach the embedding (first time step included)
    and the LSTM exactly as through the LSTM run on each source"""
    cases, got = _encoder_oracle(sub)
    for k, case in enumerate(got):
        assert "grads" in case, (
            "the outputs and the final state have the wrong shapes (see the other Encoder "
            "tests), so their gradients could not be compared"
        )
        grads, want = case["grads"], case["want_grads"]
        same_state = all(  # outputs of the wrong shape are left to the shape checks
            _close(case[n], case[f"want_{n}"])
            for n in ("h", "c", "outputs")
            if n != "outputs" or _shape(case[n]) == _shape(case["want_outputs"])
        )
        assert same_state, (
            "the outputs or the final state are not the specified ones (see the test of their "
            "values), so neither are their gradients"
        )
        if k == 0:
            firsts = torch.tensor(FIRST_CHARACTERS)
            assert _close(grads["embed.weight"][firsts], want["embed.weight"][firsts]), (
                "the gradient that reaches the embedding of each source's FIRST character is "
                "not that of the LSTM run over the whole source: keep one computation graph "
                "from the first step to the final state (no .detach() or .data inside, no "
                "state rebuilt outside autograd)"
            )
        for name, w in want.items():
            assert _close(grads[name], w), (
                f"the gradient of the outputs and the final state with respect to the encoder's "
                f"{name} is not that of self.lstm run over self.embed of each source: do not "
                "detach the state or build it outside autograd"
            )


# ------------------------------------------------------------- Part 3: Decoder, Seq2Seq


def _seq2seq_case(sub):
    src, src_lengths, tgt_in, _ = ref.make_batch(PAIRS)
    got = sub.probe(
        "seq2seq_outputs", seed=SEED, embedding_dim=EMB, hidden=HIDDEN, src=src,
        src_lengths=src_lengths, tgt_in=tgt_in, changed_from=3,
    )  # fmt: skip
    return tgt_in, got


def test_logits_shape(sub):
    """Seq2Seq maps (S, B) sources and (T, B) decoder inputs to (T, B, V_target) logits"""
    tgt_in, got = _seq2seq_case(sub)
    T, B = tgt_in.shape
    logits = _tensor(got["logits"], "logits")
    assert _shape(logits) == (T, B, len(ref.TARGET_VOCAB)), (
        f"logits should have shape (T, B, V_target) = ({T}, {B}, {len(ref.TARGET_VOCAB)}), "
        f"got {_shape(logits)}"
    )


def test_seq2seq_builds_its_parts_with_the_given_sizes(sub):
    """Seq2Seq(V_s, V_t, embedding_dim, hidden_size) builds Encoder(V_s, embedding_dim,
    hidden_size) and Decoder(V_t, embedding_dim, hidden_size), with embedding_dim != hidden_size"""
    got = sub.probe("seq2seq_sizes", seed=SEED, embedding_dim=EMB, hidden=HIDDEN)
    want = ref.Seq2Seq(len(ref.SOURCE_VOCAB), len(ref.TARGET_VOCAB), EMB, HIDDEN)
    sizes = {"source_vocab_size": len(ref.SOURCE_VOCAB), "target_vocab_size": len(ref.TARGET_VOCAB),
             "embedding_dim": EMB, "hidden_size": HIDDEN}  # fmt: skip
    for (
        name,
        p,
    ) in want.named_parameters():  # the prescribed parts: encoder, decoder.embed/lstm/head
        shape = got.get(name) if isinstance(got, dict) else None
        assert shape == list(p.shape), (
            f"Seq2Seq({', '.join(f'{k}={v}' for k, v in sizes.items())}): {name} has shape "
            f"{tuple(shape) if shape else 'none (no such parameter)'}, expected {tuple(p.shape)}; "
            "build Encoder(source_vocab_size, embedding_dim, hidden_size) and "
            "Decoder(target_vocab_size, embedding_dim, hidden_size) from the arguments"
        )


def test_decoder_starts_from_the_encoder_state(sub):
    """the encoder's final (h, c) initialises the decoder"""
    _, got = _seq2seq_case(sub)
    logits = _tensor(got["logits"], "logits")
    assert torch.allclose(logits, _tensor(got["from_state"], "decoder logits"), atol=1e-5), (
        "Seq2Seq.forward should give the same logits as self.decoder(tgt_in, state) with the "
        "state returned by self.encoder(src, src_lengths)"
    )
    assert not torch.allclose(logits, got["from_zeros"], atol=1e-4), (
        "the decoder gives the same logits when its initial state is zero: it must start from "
        "the encoder's final (h, c), which carries everything it knows about the input"
    )
    flipped = got["flipped"]
    assert not torch.allclose(logits, flipped, atol=1e-4), (
        "the logits did not change when the sources changed: the decoder must start from the "
        "encoder's final state"
    )


def test_decoder_is_causal(sub):
    """teacher forcing: the logits at step t depend only on decoder inputs up to t"""
    _, got = _seq2seq_case(sub)
    logits, changed = _tensor(got["logits"], "logits"), got["changed_future"]
    assert torch.allclose(logits[:3], changed[:3], atol=1e-5), (
        "changing tgt_in from step 3 on changed the logits of steps 0-2: the decoder must read "
        "its inputs left to right (one-directional LSTM), as it will when it generates"
    )
    assert not torch.allclose(logits[3:], changed[3:], atol=1e-4), (
        "changing tgt_in did not change the logits: the decoder must read tgt_in"
    )


def test_sequences_in_a_batch_do_not_interact(sub):
    """each pair's logits are the same in a batch as alone"""
    _, got = _seq2seq_case(sub)
    logits = _tensor(got["logits"], "logits")
    for b, ((words, _), alone) in enumerate(zip(PAIRS, got["alone"])):
        assert _shape(alone)[:2] == (logits.shape[0], 1) and torch.allclose(
            logits[:, b], alone[:, 0], atol=1e-5
        ), (
            f"the logits for {words!r} differ between the batch and running it alone: the "
            "state of one sequence leaks into another (check which dimension is the batch)"
        )


def _decoder_cases():
    """tgt_in with every target id 0-12 (PAD, SOS, EOS and the digits '0'-'9'), from a random
    state; and a batch of one."""
    g = torch.Generator().manual_seed(SEED + 1)
    tgt_in = torch.tensor([[1, 1, 1], [12, 3, 4], [5, 2, 6], [7, 8, 0], [9, 10, 0], [11, 0, 0]])
    single = torch.tensor([[1, 12, 3, 2]]).T
    return [
        (tgt_in, torch.randn(1, 3, HIDDEN, generator=g), torch.randn(1, 3, HIDDEN, generator=g), 2),
        (single, torch.randn(1, 1, HIDDEN, generator=g), torch.randn(1, 1, HIDDEN, generator=g), 1),
    ]


def test_decoder_computes_raw_scores_from_the_given_state(sub):
    """Decoder(tgt_in, state) = self.head(self.lstm(self.embed(tgt_in), state)): raw scores and
    the LSTM's new state; two calls chained through the state equal one"""
    cases = _decoder_cases()
    got = sub.probe("decoder_oracle", seed=SEED, embedding_dim=EMB, hidden=HIDDEN, cases=cases)
    for (tgt_in, _, _, split), case in zip(cases, got):
        logits, want = _tensor(case["logits"], "logits"), case["want_logits"]
        where = f"on a ({tgt_in.shape[0]}, {tgt_in.shape[1]}) tgt_in"
        assert _shape(logits) == _shape(want), (
            f"{where}: the decoder's logits should have shape (T, B, V_t) = {_shape(want)}, got "
            f"{_shape(logits)}"
        )
        if _close(logits, torch.softmax(want, -1)) or _close(logits, torch.log_softmax(want, -1)):
            raise AssertionError(
                f"{where}: the decoder returns (log-)probabilities: return the raw scores of "
                "self.head, the softmax belongs to the loss and to whoever wants probabilities"
            )
        assert _close(logits, want), (
            f"{where}: the logits should be self.head(output of self.lstm run on "
            "self.embed(tgt_in) from the given state (h, c)), at every step"
        )
        for name in ("h", "c"):
            assert _close(case[name], case[f"want_{name}"]), (
                f"{where}: the returned {name} should be the LSTM's {name} after the last step"
            )
        chained = torch.cat([_tensor(case["first"], "logits"), _tensor(case["rest"], "logits")])
        assert _close(chained, logits), (
            f"{where}: decoder(x[:{split}], state) and then decoder(x[{split}:], the state it "
            "returned) should give the logits of decoder(x, state): return the new state"
        )


def _seq2seq_oracle(sub):
    src, src_lengths, tgt_in, _ = ref.make_batch(PAIRS)
    src = torch.cat([src, torch.full((2, src.shape[1]), ref.PAD_INDEX)])  # extra PAD rows
    return sub.probe("seq2seq_oracle", seed=SEED, embedding_dim=EMB, hidden=HIDDEN, src=src,
                     src_lengths=src_lengths, tgt_in=tgt_in)  # fmt: skip


def test_teacher_forcing_feeds_tgt_in_from_the_encoder_state(sub):
    """Seq2Seq's logits are the decoder's raw scores on exactly tgt_in, started from the
    encoder's final (h, c), computed with the model's own modules"""
    got = _seq2seq_oracle(sub)
    logits, want = _tensor(got["logits"], "logits"), got["want_logits"]
    assert _shape(logits) == _shape(want), (
        f"Seq2Seq's logits should have shape (T, B, V_t) = {_shape(want)}, got {_shape(logits)}"
    )
    if _close(logits, torch.softmax(want, -1)) or _close(logits, torch.log_softmax(want, -1)):
        raise AssertionError(
            "Seq2Seq returns (log-)probabilities: return the decoder's raw scores (logits)"
        )
    assert _close(logits, want), (
        "Seq2Seq(src, src_lengths, tgt_in) should return the decoder's logits for exactly the "
        "given tgt_in (SOS and the digits, not shifted, not the model's own predictions), with "
        "the decoder started from the encoder's final (h_n, c_n)"
    )


def test_gradients_flow_from_the_decoder_into_the_encoder(sub):
    """the loss's gradient reaches every encoder and decoder weight, as through the
    specified computation (the encoder's state is not detached)"""
    got = _seq2seq_oracle(sub)
    assert "grads" in got, "the logits have the wrong shape (see the other tests of this part)"
    grads, want = got["grads"], got["want_grads"]
    for name, w in want.items():
        if name.startswith("encoder.") and not bool(grads[name].abs().sum() > 0):
            raise AssertionError(
                f"no gradient reaches the encoder ({name}) from the decoder's logits: hand the "
                "encoder's state to the decoder as it is, without .detach(), so that training "
                "teaches the encoder what to put into it"
            )
        assert _close(grads[name], w), (
            f"the gradient of the logits with respect to {name} differs from that of the "
            "decoder run on tgt_in from the encoder's final state: do not detach or rebuild the "
            "state, and keep every step in one computation graph"
        )


# Training budgets; tests/test_suite_a04_margins.py checks their margins over 21 seeds.
LEARN_STEPS, LEARN_BATCH, LEARN_LR, LEARN_HIDDEN = 100, 32, 0.02, 32
RUN_STEPS, RUN_BATCH, RUN_LR = 60, 32, 0.02


def test_model_learns_easy_pairs(sub):
    """trained briefly on the numbers 0-99, the model writes them back exactly"""
    pairs = ref.easy_pairs()
    got = sub.probe("learn_easy_pairs", seed=SEED, pairs=pairs, steps=LEARN_STEPS,
                    batch_size=LEARN_BATCH, lr=LEARN_LR, hidden=LEARN_HIDDEN)  # fmt: skip
    exact = ref.exact_match(got["decoded"], [d for _, d in pairs])
    assert exact >= 0.9, (
        f"after {LEARN_STEPS} training steps on the numbers 0-99 the model wrote {exact:.0%} of "
        "them "
        "exactly (a correct Seq2Seq gets at least 90%): check that the decoder starts from the "
        "encoder's state and that the logits line up with tgt_out"
    )


# -------------------------------------------------------------------- Part 4: the loss


def _loss_case(seed=0, pairs=PAIRS, scale=2.0):
    _, _, _, tgt_out = ref.make_batch(pairs)
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(*tgt_out.shape, len(ref.TARGET_VOCAB), generator=g) * scale
    return logits, tgt_out


def _non_finite_at_padding(logits, tgt_out):
    """The same logits with inf, -inf and nan at the PAD positions of tgt_out."""
    bad = logits.clone()
    pad = (tgt_out == ref.PAD_INDEX).nonzero().tolist()
    for k, (t, b) in enumerate(pad):
        bad[t, b] = (float("inf"), float("-inf"), float("nan"))[k % 3]
        bad[t, b, k % bad.shape[-1]] = float("nan")
    return bad


LOSS_CASES = [
    _loss_case(0),  # the value
    _loss_case(0, pairs=PAIRS[2:3]),  # the value on a batch of one
    _loss_case(1),  # padding: no gradient there
    (_non_finite_at_padding(*_loss_case(1)), _loss_case(1)[1]),  # non-finite at padding
    _loss_case(2, scale=1e3),  # large logits
]


def _loss(sub, k):
    got = sub.probe("loss_cases", cases=LOSS_CASES)[k]
    assert "error" not in got, f"seq2seq_loss raised an error: {got.get('error')}"
    return got


def test_loss_is_mean_cross_entropy_over_real_targets(sub):
    """the loss is the mean cross-entropy over every digit and EOS target (also for B = 1)"""
    for k in (0, 1):
        logits, tgt_out = LOSS_CASES[k]
        got = _tensor(_loss(sub, k)["loss"], "loss")
        want = ref.seq2seq_loss(logits, tgt_out)
        assert torch.allclose(got.double(), want.double(), atol=1e-4), (
            "seq2seq_loss should be the mean over all non-padding target positions (digits and "
            "EOS, the endterm) of the cross-entropy of the logits; for fixed logits of shape "
            f"{tuple(logits.shape)} your value differs from that"
        )


def test_loss_ignores_padding(sub):
    """logits at padding positions do not change the loss, get no gradient, and may be inf or
    nan without harm"""
    logits, tgt_out = LOSS_CASES[2]
    got = _loss(sub, 2)
    grad = _tensor(got["grad"], "gradient")
    pad = tgt_out == ref.PAD_INDEX
    assert float(grad[pad].abs().max()) == 0.0, (
        "the loss depends on the logits at padding positions: leave targets equal to PAD_INDEX "
        "out (e.g. ignore_index=PAD_INDEX)"
    )
    assert bool((grad[~pad].abs().sum(-1) > 0).all()), (
        "every real target position (every digit and the EOS) should contribute to the loss"
    )
    bad = _loss(sub, 3)
    loss = _tensor(bad["loss"], "loss")
    assert bool(torch.isfinite(loss)) and torch.allclose(loss, got["loss"], atol=1e-5), (
        "with inf or nan in the logits at PAD positions the loss changed (to "
        f"{float(loss):.4g}): those positions must not enter the computation at all (a mask "
        "multiplied in after the fact still lets 0 * nan = nan through)"
    )
    bad_grad = _tensor(bad["grad"], "gradient")[~pad]
    assert bool(torch.isfinite(bad_grad).all()) and torch.allclose(bad_grad, grad[~pad],
                                                                   atol=1e-6), (
        "with inf or nan at PAD positions, the gradient at the real positions changed"
    )  # fmt: skip


def test_loss_is_stable_for_large_logits(sub):
    """logits of magnitude 1e3 give the finite, exact loss (log-softmax, not log of softmax)"""
    logits, tgt_out = LOSS_CASES[4]
    got = _loss(sub, 4)
    loss, want = _tensor(got["loss"], "loss"), ref.seq2seq_loss(logits, tgt_out)
    assert bool(torch.isfinite(loss)) and torch.allclose(loss.double(), want.double(),
                                                         rtol=1e-4), (
        f"with logits of magnitude 1e3 the loss should be {float(want):.1f}, got "
        f"{float(loss):.4g}: compute log-probabilities with log_softmax (or cross_entropy), "
        "not the log of a softmax, which underflows to log(0)"
    )  # fmt: skip
    assert bool(torch.isfinite(_tensor(got["grad"], "gradient")).all()), (
        "with logits of magnitude 1e3 the gradient is not finite"
    )


# ------------------------------------------------------------------ Part 5: train_step

TRAIN_LR = 0.5


def _train_steps(sub):
    return sub.probe("train_steps", seed=SEED, pairs=PAIRS, steps=3, lr=TRAIN_LR)


def _loss_and_grads(state: dict):
    """The reference loss of PAIRS and its gradient at the given weights."""
    model = ref.Seq2Seq(embedding_dim=8, hidden_size=16)
    model.load_state_dict(state)
    batch = ref.make_batch(PAIRS)
    loss = ref.seq2seq_loss(model(*batch[:3]), batch[3])
    names, params = zip(*model.named_parameters())
    return float(loss.detach()), dict(zip(names, torch.autograd.grad(loss, params)))


def test_train_step_returns_the_loss(sub):
    """every call returns its batch loss before the update, as a float"""
    got = _train_steps(sub)
    for k, returned in enumerate(got["returned"]):
        want, _ = _loss_and_grads(got["states"][k])
        assert abs(returned - want) < 1e-4, (
            f"call {k + 1} of train_step returned {returned:.4f}, but the loss of the batch "
            f"before that update is {want:.4f}: return loss.item() of the loss you backpropagate"
        )


def test_train_step_updates_with_fresh_gradients(sub):
    """with plain SGD, each call changes the weights by exactly -lr * gradient of its own loss"""
    got = _train_steps(sub)
    for k in range(1, len(got["states"])):
        before, after = got["states"][k - 1], got["states"][k]
        _, grads = _loss_and_grads(before)
        step = torch.cat([(after[n] - before[n]).flatten() for n in grads]).double()
        want = torch.cat([-TRAIN_LR * g.flatten() for g in grads.values()]).double()
        if torch.allclose(step, want, atol=1e-6, rtol=1e-4):
            continue
        if not bool(step.abs().sum() > 0):
            hint = "the weights did not change: backward() and then optimizer.step()"
        elif torch.allclose(step, 2 * want, atol=1e-6, rtol=1e-3):
            hint = "the step is twice as long: call optimizer.step() once per call"
        else:
            ratio = float(step @ want / (want @ want))
            hint = (
                f"the step is {ratio:.2f} times the expected one along the gradient, or goes "
                "elsewhere: zero the old gradients first (optimizer.zero_grad()), backpropagate "
                "the mean loss of this batch once, step once; if you clip, clip at norm 1.0 "
                "(these gradients are shorter than 1, so it must not change them)"
            )
        raise AssertionError(
            f"with plain SGD (lr {TRAIN_LR}), call {k} of train_step should change every weight "
            f"by exactly -lr * the gradient of that call's seq2seq_loss: {hint}"
        )


def test_train_step_runs_in_training_mode(sub):
    """the forward pass runs in training mode with autograd on"""
    got = _train_steps(sub)
    forwards = got["forwards"]
    assert len(forwards) >= len(got["returned"]), (
        "train_step should compute the logits with the model (model(src, src_lengths, tgt_in))"
    )
    assert all(f["training"] for f in forwards) and got["training_after"], (
        "the model was in evaluation mode when train_step ran it: call model.train() first "
        "(the caller may have left it in eval mode after decoding)"
    )
    assert any(f["grad"] for f in forwards), (
        "train_step ran the model with gradients switched off (torch.no_grad): the loss needs "
        "a graph to backpropagate through"
    )


def test_training_reduces_loss(sub):
    """a short seeded run with train_step lowers the training loss"""
    pairs = ref.easy_pairs()
    losses = sub.probe("training_run", seed=SEED, pairs=pairs, steps=RUN_STEPS,
                       batch_size=RUN_BATCH, lr=RUN_LR)  # fmt: skip
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < 0.5 * first, (
        f"over {RUN_STEPS} steps the mean training loss went from {first:.3f} to {last:.3f}; "
        "correct "
        "steps at least halve it"
    )


# --------------------------------------------------------------- Part 6: greedy_decode

LENGTHS = [3, 1, 6, 2]


# Recording stand-ins: (script per column, max_length). Column b's decoder answers script[b][k]
# at its step k (the last character repeats): '$' is EOS.
SCENARIOS = [
    (["407$9", "12$$3", "999999999999", "$5", "6$"], 7),  # column 2 never ends: cut at 7
    (["5$", "31$7"], 10),  # every column done after 3 steps: stop there
    (["0$"], 10),  # a batch of one
]


def _script_ids(text: str, steps: int) -> list[int]:
    return [ref.TARGET_VOCAB.index(text[min(k, len(text) - 1)]) for k in range(steps)]


def _expected_digits(text: str, max_length: int) -> list[int]:
    out = []
    for token in _script_ids(text, max_length):
        if token == ref.EOS_INDEX:
            break
        out.append(token)
    return out


def _steps_until_done(text: str, max_length: int) -> int:
    """Decoder steps column `text` needs: up to and including its EOS, at most max_length."""
    return min(len(_expected_digits(text, max_length)) + 1, max_length)


def _recorded(sub):
    return sub.probe("greedy_recorded", scenarios=SCENARIOS)


def _fed_per_column(calls: list[dict], batch_size: int) -> list[list[tuple[int, int, int]]]:
    """For every column: (token fed, step in h, step in c) at each decoder call it was part of."""
    fed = [[] for _ in range(batch_size)]
    for call in calls:
        row = call["tokens"][-1] if call["tokens"] else []  # the newest step fed
        for j, column in enumerate(call["columns"]):
            if 0 <= column < batch_size and j < len(row):
                fed[column].append((row[j], call["steps_h"][j], call["steps_c"][j]))
    return fed


def _readable(ids: list[int]) -> str:
    return ref.decode_target([t for t in ids if 0 <= t < len(ref.TARGET_VOCAB)])


def test_each_sequence_stops_at_its_own_eos(sub):
    """in one batch, every sequence ends at its own EOS, whatever the others do"""
    got = sub.probe("greedy_scripted", out_lengths=LENGTHS, max_length=9)
    want = [[ref._digit(k) for k in range(1, n + 1)] for n in LENGTHS]
    recorded = _recorded(sub)
    for (script, max_length), case in zip(SCENARIOS, recorded):
        for b, text in enumerate(script):
            have, exp = case["got"][b], _expected_digits(text, max_length)
            assert have == exp, (
                f"a stand-in model whose argmax for column {b} of {len(script)} is "
                f"{text!r} (then its last character again; '$' = EOS), max_length="
                f"{max_length}: expected {ref.decode_target(exp)!r}, got "
                f"{ref.decode_target([t for t in have if 0 <= t < len(ref.TARGET_VOCAB)])!r}. "
                "Stop each column at its own first EOS, keep decoding the others, and ignore "
                "what a column produces after its EOS"
            )
    for b, (have, exp) in enumerate(zip(got, want)):
        assert have == exp, (
            f"a stand-in model that answers {ref.decode_target(exp)!r} then EOS for sequence "
            f"{b} got {ref.decode_target([t for t in have if 0 <= t < len(ref.TARGET_VOCAB)])!r}"
            " back: stop each sequence at its own EOS, keep decoding the others, and drop "
            "what comes after EOS"
        )


def test_decoding_returns_no_special_tokens(sub):
    """the decoded lists are Python lists of ints, digits only: no SOS, EOS or PAD"""
    got = sub.probe("greedy_scripted", out_lengths=LENGTHS, max_length=9)
    specials = {ref.PAD_INDEX, ref.SOS_INDEX, ref.EOS_INDEX}
    for b, have in enumerate(got):
        bad = sorted({t for t in have if t in specials})
        assert not bad, (
            f"sequence {b} contains special token ids {bad}: return only the predicted digits "
            "(no SOS at the start, no EOS, no padding)"
        )
    for case in _recorded(sub):
        odd = [t for t in case["types"] if t not in ("list", "int")]
        assert not odd, (
            f"greedy_decode should return a list of B lists of Python ints (e.g. from "
            f".tolist() or int(...)), found {', '.join(odd)} in it"
        )


def test_decoding_respects_max_length(sub):
    """a column that never says EOS is cut at max_length tokens, and decoding stops as soon as
    every column has written EOS"""
    got = sub.probe("greedy_scripted", out_lengths=[9, 9], max_length=5, never_eos=True)
    for b, have in enumerate(got):
        assert len(have) == 5, (
            f"with a model that never outputs EOS and max_length=5, sequence {b} has "
            f"{len(have)} tokens: stop after max_length steps"
        )
    for (script, max_length), case in zip(SCENARIOS, _recorded(sub)):
        want = max(_steps_until_done(text, max_length) for text in script)
        calls = len(case["decoder_calls"])
        assert calls == want, (
            f"with columns whose argmax is {script} ('$' = EOS) and max_length={max_length}, "
            f"greedy_decode called model.decoder {calls} times; expected {want}: one step per "
            "token, at most max_length steps, and stop as soon as every column has written EOS"
        )


def test_decoding_feeds_sos_then_its_own_argmax(sub):
    """each column is fed SOS, then the argmax of its previous step, one (1, B) step at a time"""
    for (script, max_length), case in zip(SCENARIOS, _recorded(sub)):
        calls = case["decoder_calls"]
        for k, call in enumerate(calls):
            assert call["dtype"] == "torch.int64" and len(call["shape"]) == 2, (
                f"decoder call {k + 1}: feed a (1, B) long tensor of token ids, got shape "
                f"{tuple(call['shape'])} and dtype {call['dtype']}"
            )
            assert call["shape"][0] == 1, (
                f"decoder call {k + 1}: feed one step at a time, a (1, B) tensor (the state "
                f"carries the past), got shape {tuple(call['shape'])}"
            )
        fed = _fed_per_column(calls, len(script))
        for b, text in enumerate(script):
            steps = _steps_until_done(text, max_length)
            want = [ref.SOS_INDEX] + _script_ids(text, steps - 1)
            have = [token for token, _, _ in fed[b][:steps]]
            assert have == want, (
                f"column {b} (argmax {text!r}, '$' = EOS) should be fed "
                f"{ref.decode_target(want)!r} (SOS, then each step's argmax) until it writes "
                f"EOS; it was fed {_readable(have)!r}"
            )


def test_decoding_carries_the_state(sub):
    """encode once; start from the encoder's state and pass each step the state it returned"""
    for (script, _), case in zip(SCENARIOS, _recorded(sub)):
        enc = case["encoder_calls"]
        assert len(enc) == 1 and enc[0]["src"] and enc[0]["src_lengths"], (
            "encode the source once, model.encoder(src, src_lengths), with the src and "
            f"src_lengths given (the encoder was called {len(enc)} times"
            + (", not with the given tensors)" if enc and not (enc[0]["src"] and
               enc[0]["src_lengths"]) else ")")
        )  # fmt: skip
        calls = case["decoder_calls"]
        assert calls and calls[0]["columns"] == list(range(len(script))), (
            "the first decoder step should start from the encoder's state (h_n, c_n), all "
            "columns in their order"
        )
        for b, steps in enumerate(_fed_per_column(calls, len(script))):
            for k, (_, step_h, step_c) in enumerate(steps):
                assert step_h == step_c == k, (
                    f"decoder call {k + 1} of column {b} did not get the state returned by the "
                    "call before (start from the encoder's (h, c); then logits, state = "
                    "model.decoder(token, state) at every step)"
                )


def test_decoding_runs_in_eval_mode_without_gradients(sub):
    """the encoder and every decoder step run in eval mode under torch.no_grad()"""
    for case in _recorded(sub):
        calls = case["encoder_calls"] + case["decoder_calls"]
        assert all(not c["training"] for c in calls), (
            "greedy_decode ran the model in training mode: call model.eval() before encoding"
        )
        assert all(not c["grad"] for c in calls), (
            "greedy_decode ran the model with gradients on: encode and decode inside "
            "`with torch.no_grad():` (or decorate the function with @torch.no_grad())"
        )


def test_decoding_feeds_back_the_argmax(sub):
    """on a real model, greedy_decode returns the argmax path, fed back step by step"""
    pairs = PAIRS[:4]
    got = sub.probe("greedy_reference_model", seed=SEED, pairs=pairs, max_length=8)
    model = ref.Seq2Seq(embedding_dim=16, hidden_size=32)
    model.load_state_dict(got["state"])
    src, src_lengths, _, _ = ref.make_batch(pairs)
    want = ref.greedy_decode(model, src, src_lengths, max_length=8)
    assert got["got"] == want, (
        "on a small trained model your decoding differs from taking the argmax at every step "
        "and feeding that token back as the next input (starting from SOS with the encoder's "
        "final state)"
    )


# -------------------------------------------------------------------- Part 7: metrics

METRIC_CASES = [
    (["407", "12001", "7"], ["407", "12001", "7"]),
    (["407", "1201", "77"], ["407", "12001", "7"]),
    (["", "99", "123456"], ["5", "98", "12345"]),
    # Position by position from the left: not right-aligned, not a count of shared characters.
    (["0407", "21", "5", "120"], ["407", "12", "55", "12"]),
]
EMPTY_CASES = [([], []), ([""], [""]), (["", ""], ["", "7"])]
EMPTY_WANT = [(0.0, 0.0), (1.0, 0.0), (0.5, 0.0)]  # (exact match, char accuracy)
FLOAT_TYPES = ("float", "float64")


def _metrics(sub):
    return sub.probe("metrics", cases=METRIC_CASES + EMPTY_CASES)


def _value(got: dict, key: str, call: str) -> float:
    kind = got[f"{key}_type"]
    assert not kind.startswith("error"), f"{call} raised an error: {kind[len('error: ') :]}"
    assert kind in FLOAT_TYPES and got[key] is not None, (
        f"{call} should return a Python float, got {kind}"
    )
    return got[key]


def test_exact_match(sub):
    """exact_match is the fraction of predictions equal to their target, a float"""
    for (predicted, expected), got in zip(METRIC_CASES, _metrics(sub)):
        want = ref.exact_match(predicted, expected)
        call = f"exact_match({predicted}, {expected})"
        value = _value(got, "exact", call)
        assert abs(value - want) < 1e-6, (
            f"{call} should be {want:.3f} (whole strings equal), got {value:.3f}"
        )


def test_char_accuracy(sub):
    """char_accuracy counts agreeing positions from the left over the longer string of each pair"""
    for (predicted, expected), got in zip(METRIC_CASES, _metrics(sub)):
        want = ref.char_accuracy(predicted, expected)
        call = f"char_accuracy({predicted}, {expected})"
        value = _value(got, "char", call)
        assert abs(value - want) < 1e-6, (
            f"{call} should be {want:.3f}, got {value:.3f}: compare position by position from "
            "the left, divide by the sum of max(len(p), len(e)); missing and extra digits count "
            "as wrong"
        )


def test_metrics_on_empty_inputs(sub):
    """empty lists give 0.0; so does a character accuracy with no position to compare"""
    got = _metrics(sub)[len(METRIC_CASES) :]
    for (predicted, expected), row, (want_em, want_ca) in zip(EMPTY_CASES, got, EMPTY_WANT):
        for key, name, want in (("exact", "exact_match", want_em), ("char", "char_accuracy",
                                                                   want_ca)):  # fmt: skip
            call = f"{name}({predicted}, {expected})"
            value = _value(row, key, call)
            assert abs(value - want) < 1e-9, (
                f"{call} should be {want}, got {value}: when the denominator is 0 (no pairs "
                "at all; for char_accuracy also only empty strings) return 0.0"
            )
