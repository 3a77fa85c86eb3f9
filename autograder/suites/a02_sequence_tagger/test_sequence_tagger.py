"""Hidden tests for assignment 2 (an LSTM that tags every base of a DNA sequence).

One behaviour per test; points in grading.yml. Each test asks the worker to run a probe on the
student's code and asserts here, in the grader, on the data it returns.
"""

from __future__ import annotations

import torch

from autograder.suites.a02_sequence_tagger import reference as ref

SEED = 4321
HIDDEN = 12  # not the notebook's default: sizes must come from the constructor's arguments
EXAMPLES = [("ACGTTGCA", "00111100"), ("GGC", "111"), ("ATATAACGCG", "0000001111"), ("T", "0")]


def _tensor(value, what: str) -> torch.Tensor:
    assert isinstance(value, torch.Tensor), f"{what} should be a torch.Tensor, got {value!r:.80}"
    return value


def _mixed_batch(seed: int = 0, lengths=(9, 4, 13, 1, 7)):
    g = torch.Generator().manual_seed(seed)
    T = max(lengths)
    bases = torch.randint(0, 4, (T, len(lengths)), generator=g)
    lengths = torch.tensor(lengths)
    bases[~ref.real_mask(lengths, T)] = 0
    return bases, lengths


def _outputs(sub, bidirectional, batches):
    outs = sub.probe(
        "tagger_outputs", seed=SEED, hidden=HIDDEN, bidirectional=bidirectional,
        batches=[{"bases": b, "lengths": n} for b, n in batches],
    )  # fmt: skip
    return [_tensor(o, "Tagger's output") for o in outs]


# ------------------------------------------------------------------- Part 1: make_batch


def test_make_batch_shapes(sub):
    """make_batch returns time-major (T_max, B) bases and tags, and the (B,) lengths"""
    got = sub.probe("make_batch", examples=EXAMPLES)
    bases, tags = _tensor(got["bases"], "bases"), _tensor(got["tags"], "tags")
    lengths = _tensor(got["lengths"], "lengths")
    want = (max(len(b) for b, _ in EXAMPLES), len(EXAMPLES))
    for name, t in (("bases", bases), ("tags", tags)):
        assert tuple(t.shape) == want, (
            f"{name} should be time-major (T_max, B) = {want}, got {tuple(t.shape)}"
        )
        assert not t.is_floating_point(), f"{name} should hold integer indices (long)"
    assert lengths.tolist() == [len(b) for b, _ in EXAMPLES], (
        "lengths should hold each example's length, in the examples' order"
    )


def test_make_batch_keeps_examples_and_order(sub):
    """batch column b holds examples[b]'s bases and tags, unshifted"""
    got = sub.probe("make_batch", examples=EXAMPLES)
    bases, tags = _tensor(got["bases"], "bases"), _tensor(got["tags"], "tags")
    want_b, want_t, _ = ref.make_batch(EXAMPLES)
    assert bases.shape == want_b.shape, "bases has the wrong shape (see the shape test)"
    for b, (seq, labels) in enumerate(EXAMPLES):
        T = len(seq)
        assert torch.equal(bases[:T, b].long(), want_b[:T, b]), (
            f"bases column {b} does not encode {seq!r} (index of each base in BASES, in order)"
        )
        assert torch.equal(tags[:T, b].long(), want_t[:T, b]), (
            f"tags column {b} does not hold the labels {labels!r} of the same positions "
            "(shifted by one?)"
        )


# ------------------------------------------------------------------------ Part 2: Tagger


def test_tagger_output_shape(sub):
    """forward maps (T, B) bases of mixed lengths to (T, B, n_tags) logits"""
    for bidirectional in (False, True):
        bases, lengths = _mixed_batch()
        (out,) = _outputs(sub, bidirectional, [(bases, lengths)])
        want = (*bases.shape, len(ref.TAGS))
        assert tuple(out.shape) == want, (
            f"Tagger(bidirectional={bidirectional}) on bases of shape (T, B) = "
            f"{tuple(bases.shape)} should return (T, B, n_tags) = {want}, got {tuple(out.shape)}"
        )


def test_tagger_has_one_shared_head(sub):
    """one Linear head, shared by all steps: its size does not depend on T, long inputs work"""
    long_bases, long_lengths = _mixed_batch(1, lengths=(400, 17))
    info = sub.probe(
        "tagger_structure", seed=SEED, hidden=HIDDEN, bidirectional=False,
        bases=long_bases, lengths=long_lengths,
    )  # fmt: skip
    assert len(info["linears"]) == 1, (
        f"expected one Linear head shared by every step, found {len(info['linears'])} Linear "
        "layers (one per time step?)"
    )
    assert info["linears"][0] == (HIDDEN, len(ref.TAGS)), (
        f"the head should map h_t (size {HIDDEN}) to {len(ref.TAGS)} tag scores, found "
        f"Linear{info['linears'][0]}"
    )


def test_causal_tagger_ignores_the_future(sub):
    """causal model: the output at step t does not change when bases after t change"""
    bases, lengths = _mixed_batch(2, lengths=(12, 12))
    changed = bases.clone()
    changed[6:] = (changed[6:] + 1) % 4
    a, b = _outputs(sub, False, [(bases, lengths), (changed, lengths)])
    assert torch.allclose(a[:6], b[:6], atol=1e-6), (
        "with bidirectional=False, changing bases after step t changed the outputs at or "
        "before t: a causal tagger may only look at the past"
    )
    assert (a[6:] - b[6:]).abs().max() > 1e-6, "the output does not depend on the input at all"


def test_bidirectional_tagger_sees_the_future(sub):
    """bidirectional model: the output at step t depends on bases after t"""
    bases, lengths = _mixed_batch(3, lengths=(12, 12))
    changed = bases.clone()
    changed[8:] = (changed[8:] + 1) % 4
    a, b = _outputs(sub, True, [(bases, lengths), (changed, lengths)])
    assert (a[:8] - b[:8]).abs().max() > 1e-6, (
        "with bidirectional=True, the outputs before step t do not react to bases after t: "
        "use nn.LSTM(..., bidirectional=True) and feed both directions to the head"
    )


def test_padding_does_not_change_real_positions(sub):
    """a sequence's outputs do not depend on how much padding its batch adds (both settings)"""
    alone_bases, alone_len = _mixed_batch(4, lengths=(6,))
    padded = torch.cat([alone_bases, torch.randint(0, 4, (9, 1))])  # 9 steps of junk padding
    partner = torch.randint(0, 4, (15, 1))
    batch = torch.cat([padded, partner], dim=1)
    lengths = torch.tensor([6, 15])
    for bidirectional in (False, True):
        a, b = _outputs(sub, bidirectional, [(alone_bases, alone_len), (batch, lengths)])
        assert b.shape[:2] == (15, 2) and a.shape[:2] == (6, 1), "wrong output shape"
        assert torch.allclose(a[:, 0], b[:6, 0], atol=1e-5), (
            f"bidirectional={bidirectional}: a 6-base sequence gets different outputs when it "
            "is padded to 15 in a batch: pack the batch (pack_padded_sequence with the lengths, "
            "enforce_sorted=False) so that padding never reaches real positions"
        )


def test_gradients_reach_every_parameter(sub):
    """the masked loss's gradient reaches the embedding, the LSTM and the head"""
    bases, lengths = _mixed_batch(5)
    tags = torch.randint(0, 2, bases.shape, generator=torch.Generator().manual_seed(5))
    norms = sub.probe(
        "tagger_gradients", seed=SEED, hidden=HIDDEN, bidirectional=True, bases=bases,
        tags=tags, lengths=lengths,
    )  # fmt: skip
    dead = [k for k, v in norms.items() if not (isinstance(v, float) and v > 0)]
    assert norms and not dead, f"these parameters got no gradient: {', '.join(dead[:5])}"


# ---------------------------------------------------------------------- Part 3: the loss


def _loss_case(seed: int):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([5, 2, 7])
    logits = torch.randn(7, 3, 2, generator=g) * 2
    tags = torch.randint(0, 2, (7, 3), generator=g)
    return logits, tags, lengths


def _student_loss(sub, logits, tags, lengths) -> tuple[float, torch.Tensor]:
    got = sub.probe("loss_value", logits=logits, tags=tags, lengths=lengths)
    return float(_tensor(got["loss"], "the loss")), _tensor(got["grad"], "the gradient")


def test_loss_is_mean_cross_entropy_over_real_positions(sub):
    """the loss is the mean cross-entropy over all real positions (each counts once)"""
    logits, tags, lengths = _loss_case(11)
    got, _ = _student_loss(sub, logits, tags, lengths)
    want = ref.masked_mean_loss(logits, tags, lengths).item()
    assert abs(got - want) < 1e-5, (
        f"masked_mean_loss returned {got:.4f}; it should be the cross-entropy averaged over the "
        f"{int(lengths.sum())} real positions of the batch (not summed, not averaged per "
        "sequence first, padding excluded)"
    )


def test_loss_ignores_padding(sub):
    """changing the logits or tags at padded positions changes neither the loss nor its gradient"""
    logits, tags, lengths = _loss_case(12)
    pad = ~ref.real_mask(lengths, logits.shape[0])
    noisy_logits, noisy_tags = logits.clone(), tags.clone()
    noisy_logits[pad] = 50.0 * torch.randn(int(pad.sum()), 2)
    noisy_tags[pad] = 1 - noisy_tags[pad]
    a, grad = _student_loss(sub, logits, tags, lengths)
    b, _ = _student_loss(sub, noisy_logits, noisy_tags, lengths)
    assert abs(a - b) < 1e-5, "the loss changes when only padded positions change"
    assert grad[pad].abs().max() == 0, "padded positions receive a gradient from the loss"


# ------------------------------------------------------------------ Part 4: the accuracy


def test_accuracy_counts_real_positions_only(sub):
    """accuracy is the fraction of real positions whose argmax is the tag"""
    logits, tags, lengths = _loss_case(13)
    pad = ~ref.real_mask(lengths, logits.shape[0])
    tags[pad] = 1 - logits.argmax(-1)[pad]  # padding would all count as wrong
    got = sub.probe("accuracy_value", logits=logits, tags=tags, lengths=lengths)
    want = ref.masked_accuracy(logits, tags, lengths)
    assert isinstance(got, float | int), f"masked_accuracy should return a float, got {got}"
    assert abs(got - want) < 1e-6, (
        f"masked_accuracy returned {got:.4f}; count only the {int(lengths.sum())} real "
        "positions (a fraction between 0 and 1)"
    )


# -------------------------------------------------------------------- Part 5: train_step


def _reference_sgd_step(before: dict, bases, tags, lengths, lr: float) -> dict:
    model = ref.ReferenceTagger(HIDDEN, bidirectional=True)
    model.load_state_dict(before)
    loss = ref.masked_mean_loss(model(bases, lengths), tags, lengths)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return {"loss": loss.item(), "state": model.state_dict()}


def _update(sub):
    bases, tags, lengths = ref.make_batch(ref.sample_examples(21, 6, 20, 60))
    got = sub.probe(
        "train_step_update", seed=SEED, hidden=HIDDEN, bases=bases, tags=tags,
        lengths=lengths, lr=0.1,
    )  # fmt: skip
    return got, _reference_sgd_step(got["before"], bases, tags, lengths, 0.1)


def test_train_step_returns_the_loss(sub):
    """train_step returns the batch's masked mean loss before the update, as a number"""
    got, want = _update(sub)
    loss = got["loss"]
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        loss = loss.item()
    assert isinstance(loss, float | int), f"train_step should return a float, got {loss!r:.60}"
    assert abs(loss - want["loss"]) <= 1e-4 * max(1.0, abs(want["loss"])), (
        f"train_step returned {loss:.4f}, not the masked mean loss of the batch before the update"
    )


def test_train_step_updates_with_fresh_gradients(sub):
    """one train_step is exactly one optimizer step on this batch's gradient (grads zeroed)"""
    got, want = _update(sub)
    before, after = got["before"], got["after"]
    assert any(not torch.equal(before[k], after[k]) for k in before), (
        "train_step did not change the model (missing backward() or step()?)"
    )
    wrong = [k for k in want["state"] if not torch.allclose(after[k], want["state"][k], atol=1e-5)]
    assert not wrong, (
        "the update is not one optimizer step on this batch's loss: zero the old gradients "
        "first, then backward(), then optimizer.step() (differs in: " + ", ".join(wrong[:3]) + ")"
    )


TRAIN = ref.sample_examples(31, 200, 60, 120)
VAL = ref.sample_examples(32, 40)


def test_training_beats_the_context_free_rule(sub):
    """60 train_step calls make a bidirectional tagger clearly beat the one-base rule"""
    got = sub.probe(
        "train_and_evaluate", seed=SEED, hidden=16, train=TRAIN, val=VAL, steps=60,
        batch_size=16, lr=1e-2,
    )  # fmt: skip
    bases, tags, lengths = ref.make_batch(VAL)
    logits = _tensor(got["logits"], "logits")
    assert logits.shape[:2] == bases.shape, "wrong logits shape"
    accuracy = ref.masked_accuracy(logits, tags, lengths)
    floor = ref.context_free_accuracy(VAL)  # 65 %; a correct train_step reaches 86-89 %
    assert accuracy > floor + 0.08, (
        f"after 60 train_step calls (Adam, lr 1e-2, batches of 16) the tagger reaches "
        f"{accuracy:.1%} per-base accuracy; a correct train_step gets well above the "
        f"{floor:.1%} of the one-base rule"
    )
