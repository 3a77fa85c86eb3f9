"""Probes for assignment 4. They run in the worker child, next to the student's code, and
return plain data; every verdict is made by the tests in the grader process."""

from __future__ import annotations

import torch
from torch import nn

from autograder.probing import ProbeFailure, need, use_reference
from autograder.suites.a04_seq2seq import reference as ref

# Reference objects removed from the worker child before a probe that tests the key runs
# (besides the reference of the same name): see probing.hide_references.
HIDDEN_WHEN_TESTED = {"Seq2Seq": ("Decoder",), "greedy_decode": ("beam_search",)}


def batch(ns, pairs):
    """The student's make_batch on (words, digits) pairs."""
    got = need(ns, "make_batch")(list(pairs))
    try:
        src, src_lengths, tgt_in, tgt_out = got
    except (TypeError, ValueError):
        raise ProbeFailure(
            "`make_batch` should return (src, src_lengths, tgt_in, tgt_out)"
        ) from None
    return {"src": src, "src_lengths": src_lengths, "tgt_in": tgt_in, "tgt_out": tgt_out}


def _state(got, who: str):
    try:
        outputs, (h, c) = got
    except (TypeError, ValueError):
        raise ProbeFailure(f"`{who}` should return (outputs, (h_n, c_n))") from None
    return outputs, h, c


def encoder_states(ns, seed, embedding_dim, hidden, src, src_lengths, extra_padding):
    """The student's Encoder on a batch, on the same batch with more padding rows, and on
    every sequence alone (trimmed to its length)."""
    cls = need(ns, "Encoder", "class")
    torch.manual_seed(seed)
    encoder = cls(len(ref.SOURCE_VOCAB), embedding_dim, hidden)
    if not isinstance(encoder, nn.Module):
        raise ProbeFailure("`Encoder(...)` should create an nn.Module")
    encoder.eval()
    padded = torch.cat([src, torch.full((extra_padding, src.shape[1]), ref.PAD_INDEX)])
    with torch.no_grad():
        outputs, h, c = _state(encoder(src, src_lengths), "Encoder.forward")
        _, h_padded, _ = _state(encoder(padded, src_lengths), "Encoder.forward")
        alone = []
        for b, n in enumerate(src_lengths.tolist()):
            _, h_b, c_b = _state(encoder(src[:n, b : b + 1], src_lengths[b : b + 1]), "Encoder")
            alone.append({"h": h_b, "c": c_b})
    return {"outputs": outputs, "h": h, "c": c, "h_padded": h_padded, "alone": alone}


def encoder_gradients(ns, seed, src, src_lengths):
    """Which of the student's Encoder parameters get a gradient from the final state."""
    cls = need(ns, "Encoder", "class")
    torch.manual_seed(seed)
    encoder = cls(len(ref.SOURCE_VOCAB), 8, 16)
    _, h, c = _state(encoder(src, src_lengths), "Encoder.forward")
    (h.sum() + c.sum()).backward()
    return {
        name: p.grad is not None and bool(p.grad.abs().sum() > 0)
        for name, p in encoder.named_parameters()
    }


def _make_seq2seq(ns, seed, embedding_dim, hidden):
    cls = need(ns, "Seq2Seq", "class")
    torch.manual_seed(seed)
    model = cls(len(ref.SOURCE_VOCAB), len(ref.TARGET_VOCAB), embedding_dim, hidden)
    if not isinstance(model, nn.Module):
        raise ProbeFailure("`Seq2Seq(...)` should create an nn.Module")
    for part in ("encoder", "decoder"):
        if not isinstance(getattr(model, part, None), nn.Module):
            raise ProbeFailure(f"`Seq2Seq` should keep its {part} module as `self.{part}`")
    return model


def seq2seq_outputs(ns, seed, embedding_dim, hidden, src, src_lengths, tgt_in, changed_from):
    """Teacher-forced logits of the student's Seq2Seq (with the reference Encoder), and what
    they become when the source, the decoder's initial state, the batch or the future of the
    decoder input changes."""
    use_reference(ns, Encoder=ref.Encoder)
    model = _make_seq2seq(ns, seed, embedding_dim, hidden)
    model.eval()
    with torch.no_grad():
        logits = model(src, src_lengths, tgt_in)
        flipped = model(src.flip(1), src_lengths.flip(0), tgt_in)
        _, state = model.encoder(src, src_lengths)
        try:
            from_state = model.decoder(tgt_in, state)[0]
            from_zeros = model.decoder(tgt_in, tuple(torch.zeros_like(s) for s in state))[0]
        except (TypeError, ValueError, IndexError):
            raise ProbeFailure(
                "`Decoder.forward(tgt_in, state)` should return (logits, state)"
            ) from None
        alone = [
            model(src[:n, b : b + 1], src_lengths[b : b + 1], tgt_in[:, b : b + 1])
            for b, n in enumerate(src_lengths.tolist())
        ]
        future = tgt_in.clone()
        future[changed_from:] = (future[changed_from:] + 5) % len(ref.TARGET_VOCAB)
        changed_future = model(src, src_lengths, future)
    return {
        "logits": logits,
        "flipped": flipped,
        "from_state": from_state,
        "from_zeros": from_zeros,
        "alone": alone,
        "changed_future": changed_future,
    }


def learn_easy_pairs(ns, seed, pairs, steps, batch_size, lr, hidden):
    """Train the student's Seq2Seq with the reference batching, loss and training step, then
    decode the same pairs greedily with the reference decoder."""
    use_reference(ns, Encoder=ref.Encoder)
    model = _make_seq2seq(ns, seed, 16, hidden)
    return _train_and_decode(model, seed, pairs, steps, batch_size, lr, ref.train_step)


def _train_and_decode(model, seed, pairs, steps, batch_size, lr, step_fn):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        idx = torch.randint(0, len(pairs), (batch_size,), generator=g).tolist()
        losses.append(float(step_fn(model, optimizer, ref.make_batch([pairs[i] for i in idx]))))
    src, src_lengths, _, _ = ref.make_batch(pairs)
    decoded = ref.greedy_decode(model, src, src_lengths, max_length=8)
    return {"losses": losses, "decoded": [ref.decode_target(ids) for ids in decoded]}


def loss_values(ns, logits, tgt_out):
    """The student's seq2seq_loss on given logits and targets; its gradient wrt the logits."""
    fn = need(ns, "seq2seq_loss")
    logits = logits.clone().requires_grad_(True)
    loss = fn(logits, tgt_out.clone())
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ProbeFailure("`seq2seq_loss` should return a scalar tensor")
    if not loss.requires_grad:
        raise ProbeFailure("`seq2seq_loss` should be differentiable (keep the graph: no .item())")
    loss.reshape(()).backward()
    return {"loss": loss.detach().reshape(()), "grad": logits.grad}


def train_steps(ns, seed, pairs, steps, lr):
    """The student's train_step on the reference model and one reference batch, with plain SGD;
    the weights before and after every call."""
    use_reference(ns, make_batch=ref.make_batch, seq2seq_loss=ref.seq2seq_loss)
    fn = need(ns, "train_step")
    torch.manual_seed(seed)
    model = ref.Seq2Seq(embedding_dim=8, hidden_size=16)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    batch_ = ref.make_batch(pairs)
    states = [{k: v.clone() for k, v in model.state_dict().items()}]
    returned = []
    for _ in range(steps):
        returned.append(fn(model, optimizer, batch_))
        states.append({k: v.clone() for k, v in model.state_dict().items()})
    if not all(isinstance(x, (int, float)) for x in returned):
        kinds = sorted({type(x).__name__ for x in returned})
        raise ProbeFailure(
            f"`train_step` should return the loss as a float, got {', '.join(kinds)}"
        )
    return {"returned": [float(x) for x in returned], "states": states}


def training_run(ns, seed, pairs, steps, batch_size, lr):
    """The student's train_step with Adam on the reference model, sampling batches."""
    use_reference(ns, make_batch=ref.make_batch, seq2seq_loss=ref.seq2seq_loss)
    fn = need(ns, "train_step")
    torch.manual_seed(seed)
    model = ref.Seq2Seq(embedding_dim=16, hidden_size=64)
    return _train_and_decode(model, seed, pairs, steps, batch_size, lr, fn)["losses"]


def _token_lists(got, batch_size: int) -> list[list[int]]:
    if isinstance(got, torch.Tensor):
        got = got.tolist()
    try:
        rows = [row.tolist() if isinstance(row, torch.Tensor) else list(row) for row in got]
        rows = [[int(x) for x in row] for row in rows]
    except (TypeError, ValueError):
        raise ProbeFailure("`greedy_decode` should return a list of B lists of token ids") from None
    if len(rows) != batch_size:
        raise ProbeFailure(f"`greedy_decode` should return B = {batch_size} lists, got {len(rows)}")
    return rows


def greedy_scripted(ns, out_lengths, max_length, never_eos=False):
    """The student's greedy_decode on a scripted stand-in model (reference.ScriptedSeq2Seq)."""
    fn = need(ns, "greedy_decode")
    B = len(out_lengths)
    src_lengths = torch.tensor([5 + b for b in range(B)])
    src = torch.randint(3, len(ref.SOURCE_VOCAB), (int(src_lengths.max()), B))
    model = ref.ScriptedSeq2Seq(out_lengths, never_eos=never_eos)
    return _token_lists(fn(model, src, src_lengths, max_length=max_length), B)


def greedy_reference_model(ns, seed, pairs, max_length):
    """The student's greedy_decode on a briefly trained reference model."""
    fn = need(ns, "greedy_decode")
    torch.manual_seed(seed)
    model = ref.Seq2Seq(embedding_dim=16, hidden_size=32)
    g = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(30):
        idx = torch.randint(0, len(pairs), (16,), generator=g).tolist()
        ref.train_step(model, optimizer, ref.make_batch([pairs[i] for i in idx]))
    with torch.no_grad():  # PAD and SOS never win an argmax: masking them or not is all one
        model.decoder.head.bias[[ref.PAD_INDEX, ref.SOS_INDEX]] = -1e4
    src, src_lengths, _, _ = ref.make_batch(pairs)
    got = _token_lists(fn(model, src, src_lengths, max_length=max_length), len(pairs))
    return {"got": got, "state": model.state_dict()}


def metrics(ns, cases):
    """The student's exact_match and char_accuracy on (predicted, expected) list pairs."""
    em, ca = need(ns, "exact_match"), need(ns, "char_accuracy")
    out = []
    for predicted, expected in cases:
        out.append({"exact": em(list(predicted), list(expected)),
                    "char": ca(list(predicted), list(expected))})  # fmt: skip
    for row in out:
        for key, value in row.items():
            if isinstance(value, torch.Tensor) and value.numel() == 1:
                row[key] = float(value)
            elif not isinstance(value, (int, float)):
                raise ProbeFailure(f"the metrics should return a float, got {type(value).__name__}")
    return out
