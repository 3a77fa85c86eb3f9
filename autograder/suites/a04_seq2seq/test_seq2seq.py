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


def _batch(sub):
    got = sub.probe("batch", pairs=PAIRS)
    return {k: _tensor(got[k], k) for k in ("src", "src_lengths", "tgt_in", "tgt_out")}


def test_make_batch_shapes_and_padding(sub):
    """src is (S_max, B), tgt_in and tgt_out are (T_max + 1, B), padded with PAD_INDEX"""
    got = _batch(sub)
    S, T, B = max(len(w) for w, _ in PAIRS), max(len(d) for _, d in PAIRS) + 1, len(PAIRS)
    assert _shape(got["src"]) == (S, B), (
        f"src should have shape (S_max, B) = ({S}, {B}): time first, one column per pair; "
        f"got {_shape(got['src'])}"
    )
    assert _shape(got["src_lengths"]) == (B,), f"src_lengths should have shape (B,) = ({B},)"
    for name in ("tgt_in", "tgt_out"):
        assert _shape(got[name]) == (T, B), (
            f"{name} should have shape (T_max + 1, B) = ({T}, {B}): the digits plus one "
            f"token (SOS or EOS); got {_shape(got[name])}"
        )
    want = ref.make_batch(PAIRS)
    for name, w in zip(("src", "tgt_in", "tgt_out"), (want[0], want[2], want[3])):
        pad = w == ref.PAD_INDEX
        assert bool((got[name].long()[pad] == ref.PAD_INDEX).all()), (
            f"{name} should be padded with PAD_INDEX = {ref.PAD_INDEX} after each sequence"
        )


def test_source_is_encoded_in_order(sub):
    """src column b holds the characters of pairs[b], src_lengths their true lengths"""
    got = _batch(sub)
    want_src, want_lengths, _, _ = ref.make_batch(PAIRS)
    assert torch.equal(got["src_lengths"].long(), want_lengths), (
        "src_lengths[b] should be the number of characters of pairs[b]'s words"
    )
    assert torch.equal(got["src"].long(), want_src), (
        "src[:, b] should be encode_source(pairs[b][0]) followed by padding, in the order given"
    )


def test_decoder_input_starts_with_sos(sub):
    """tgt_in is SOS followed by the digits"""
    got = _batch(sub)
    _, _, want_in, _ = ref.make_batch(PAIRS)
    assert bool((got["tgt_in"][0] == ref.SOS_INDEX).all()), (
        "tgt_in[0] should be SOS_INDEX for every pair: the decoder's first input is SOS"
    )
    assert torch.equal(got["tgt_in"].long(), want_in), (
        "tgt_in[:, b] should be SOS, then encode_target(pairs[b][1]), then padding"
    )


def test_target_is_input_shifted_and_ends_with_eos(sub):
    """tgt_out is the digits then EOS: tgt_in shifted one step ahead"""
    got = _batch(sub)
    _, _, _, want_out = ref.make_batch(PAIRS)
    for b, (_, digits) in enumerate(PAIRS):
        column = got["tgt_out"][:, b].long()
        assert int(column[len(digits)]) == ref.EOS_INDEX, (
            f"tgt_out for {digits!r} should have EOS right after its last digit: the model "
            "must learn when to stop"
        )
    assert torch.equal(got["tgt_out"].long(), want_out), (
        "tgt_out[t] should be the token that follows tgt_in[t]: the digits, then EOS, then "
        "padding (not the same sequence as tgt_in)"
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


def test_gradients_reach_the_encoder(sub):
    """the final state is differentiable with respect to the embedding and the LSTM"""
    src, src_lengths, _, _ = ref.make_batch(sorted(PAIRS, key=lambda p: -len(p[0])))
    got = sub.probe("encoder_gradients", seed=SEED, src=src, src_lengths=src_lengths)
    assert got, "the Encoder should have trainable parameters (an nn.Embedding and an nn.LSTM)"
    missing = [name for name, ok in got.items() if not ok]
    assert not missing, (
        f"no gradient reached {', '.join(missing)} from the final state: do not detach it or "
        "build it outside autograd"
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


def test_model_learns_easy_pairs(sub):
    """trained briefly on the numbers 0-99, the model writes them back exactly"""
    pairs = ref.easy_pairs()
    got = sub.probe("learn_easy_pairs", seed=SEED, pairs=pairs, steps=200, batch_size=32,
                    lr=0.01, hidden=64)  # fmt: skip
    exact = ref.exact_match(got["decoded"], [d for _, d in pairs])
    assert exact >= 0.9, (
        f"after 200 training steps on the numbers 0-99 the model wrote {exact:.0%} of them "
        "exactly (a correct Seq2Seq gets at least 90%): check that the decoder starts from the "
        "encoder's state and that the logits line up with tgt_out"
    )


# -------------------------------------------------------------------- Part 4: the loss


def _loss_case(seed=0):
    _, _, _, tgt_out = ref.make_batch(PAIRS)
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(*tgt_out.shape, len(ref.TARGET_VOCAB), generator=g) * 2
    return logits, tgt_out


def test_loss_is_mean_cross_entropy_over_real_targets(sub):
    """the loss is the mean cross-entropy over every digit and EOS target"""
    logits, tgt_out = _loss_case()
    got = _tensor(sub.probe("loss_values", logits=logits, tgt_out=tgt_out)["loss"], "loss")
    want = ref.seq2seq_loss(logits, tgt_out)
    assert torch.allclose(got.double(), want.double(), atol=1e-4), (
        "seq2seq_loss should be the mean over all non-padding target positions (digits and "
        "EOS, the endterm) of the cross-entropy of the logits; for fixed logits your value "
        "differs from that"
    )


def test_loss_ignores_padding(sub):
    """logits at padding positions do not change the loss and get no gradient"""
    logits, tgt_out = _loss_case(1)
    got = sub.probe("loss_values", logits=logits, tgt_out=tgt_out)
    grad = _tensor(got["grad"], "gradient")
    pad = tgt_out == ref.PAD_INDEX
    assert float(grad[pad].abs().max()) == 0.0, (
        "the loss depends on the logits at padding positions: leave targets equal to PAD_INDEX "
        "out (e.g. ignore_index=PAD_INDEX)"
    )
    assert bool((grad[~pad].abs().sum(-1) > 0).all()), (
        "every real target position (every digit and the EOS) should contribute to the loss"
    )


# ------------------------------------------------------------------ Part 5: train_step


def test_train_step_returns_the_loss(sub):
    """train_step returns the batch loss before the update, as a float"""
    got = sub.probe("train_steps", seed=SEED, pairs=PAIRS, steps=1, lr=0.5)
    torch.manual_seed(SEED)
    model = ref.Seq2Seq(embedding_dim=8, hidden_size=16)
    src, src_lengths, tgt_in, tgt_out = ref.make_batch(PAIRS)
    with torch.no_grad():
        want = float(ref.seq2seq_loss(model(src, src_lengths, tgt_in), tgt_out))
    assert abs(got["returned"][0] - want) < 1e-4, (
        f"train_step returned {got['returned'][0]:.4f}, but the loss of the batch before the "
        f"update is {want:.4f}: return loss.item() of seq2seq_loss on the batch"
    )


def test_train_step_updates_with_fresh_gradients(sub):
    """every call moves the weights against the gradient of its own batch loss"""
    got = sub.probe("train_steps", seed=SEED, pairs=PAIRS, steps=3, lr=0.5)
    model = ref.Seq2Seq(embedding_dim=8, hidden_size=16)
    batch = ref.make_batch(PAIRS)
    for k in range(1, len(got["states"])):
        before, after = got["states"][k - 1], got["states"][k]
        model.load_state_dict(before)
        model.zero_grad()
        ref.seq2seq_loss(model(*batch[:3]), batch[3]).backward()
        names = [name for name, _ in model.named_parameters()]
        grad = torch.cat([p.grad.flatten() for p in model.parameters()]).double()
        step = torch.cat([(after[n] - before[n]).flatten() for n in names]).double()
        cosine = float(torch.nn.functional.cosine_similarity(step, -grad, dim=0))
        # Plain SGD moves along -gradient; gradient clipping only shortens the step.
        assert cosine > 0.999, (
            f"call {k} of train_step did not move the weights along the gradient of that "
            "call's loss: zero the gradients first, then backward, then one optimizer.step()"
        )


def test_training_reduces_loss(sub):
    """a short seeded run with train_step lowers the training loss"""
    pairs = ref.easy_pairs()
    losses = sub.probe("training_run", seed=SEED, pairs=pairs, steps=120, batch_size=32, lr=0.01)
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < 0.5 * first, (
        f"over 120 steps the mean training loss went from {first:.3f} to {last:.3f}; correct "
        "steps at least halve it"
    )


# --------------------------------------------------------------- Part 6: greedy_decode

LENGTHS = [3, 1, 6, 2]


def test_each_sequence_stops_at_its_own_eos(sub):
    """in one batch, every sequence ends at its own EOS, whatever the others do"""
    got = sub.probe("greedy_scripted", out_lengths=LENGTHS, max_length=9)
    want = [[ref._digit(k) for k in range(1, n + 1)] for n in LENGTHS]
    for b, (have, exp) in enumerate(zip(got, want)):
        assert have == exp, (
            f"a stand-in model that answers {ref.decode_target(exp)!r} then EOS for sequence "
            f"{b} got {ref.decode_target([t for t in have if 0 <= t < len(ref.TARGET_VOCAB)])!r}"
            " back: stop each sequence at its own EOS, keep decoding the others, and drop "
            "what comes after EOS"
        )


def test_decoding_returns_no_special_tokens(sub):
    """the decoded lists contain digits only: no SOS, EOS or PAD"""
    got = sub.probe("greedy_scripted", out_lengths=LENGTHS, max_length=9)
    specials = {ref.PAD_INDEX, ref.SOS_INDEX, ref.EOS_INDEX}
    for b, have in enumerate(got):
        bad = sorted({t for t in have if t in specials})
        assert not bad, (
            f"sequence {b} contains special token ids {bad}: return only the predicted digits "
            "(no SOS at the start, no EOS, no padding)"
        )


def test_decoding_respects_max_length(sub):
    """a model that never says EOS is cut at max_length tokens"""
    got = sub.probe("greedy_scripted", out_lengths=[9, 9], max_length=5, never_eos=True)
    for b, have in enumerate(got):
        assert len(have) == 5, (
            f"with a model that never outputs EOS and max_length=5, sequence {b} has "
            f"{len(have)} tokens: stop after max_length steps"
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
]


def _metrics(sub):
    return sub.probe("metrics", cases=METRIC_CASES)


def test_exact_match(sub):
    """exact_match is the fraction of predictions equal to their target"""
    for (predicted, expected), got in zip(METRIC_CASES, _metrics(sub)):
        want = ref.exact_match(predicted, expected)
        assert abs(got["exact"] - want) < 1e-6, (
            f"exact_match({predicted}, {expected}) should be {want:.3f}, got {got['exact']:.3f}"
        )


def test_char_accuracy(sub):
    """char_accuracy counts agreeing positions over the longer string of each pair"""
    for (predicted, expected), got in zip(METRIC_CASES, _metrics(sub)):
        want = ref.char_accuracy(predicted, expected)
        assert abs(got["char"] - want) < 1e-6, (
            f"char_accuracy({predicted}, {expected}) should be {want:.3f}, got "
            f"{got['char']:.3f}: missing and extra digits count as wrong"
        )
