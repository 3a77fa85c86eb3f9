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


def batches(ns, batches):
    """The student's make_batch on every list of (words, digits) pairs."""
    return [batch(ns, pairs) for pairs in batches]


def batch(ns, pairs):
    """The student's make_batch on (words, digits) pairs."""
    got = need(ns, "make_batch")(list(pairs))
    try:
        src, src_lengths, tgt_in, tgt_out = got
    except (TypeError, ValueError):
        raise ProbeFailure(
            "`make_batch` should return (src, src_lengths, tgt_in, tgt_out)"
        ) from None
    out = {"src": src, "src_lengths": src_lengths, "tgt_in": tgt_in, "tgt_out": tgt_out}
    out["dtypes"] = {k: str(v.dtype) if isinstance(v, torch.Tensor) else type(v).__name__
                     for k, v in out.items()}  # fmt: skip
    return out


def _describe(exc: Exception) -> str:
    """What a student's call raised, in one line (for a test of one case)."""
    if isinstance(exc, NotImplementedError):
        return "NotImplementedError: it is not implemented yet"
    if isinstance(exc, ProbeFailure):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


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


def _part(module, attr: str, kind: type, who: str):
    """A submodule the notebook prescribes by name (self.embed, self.lstm, self.head)."""
    found = getattr(module, attr, None)
    if not isinstance(found, kind):
        raise ProbeFailure(
            f"`{who}` should keep its nn.{kind.__name__} as `self.{attr}`, as the notebook asks"
        )
    return found


def _run_lstm(lstm: nn.LSTM, x: torch.Tensor, state=None):
    """The student's own nn.LSTM on a time-major (T, B, E) input, whatever its batch_first."""
    if lstm.batch_first:
        out, state = lstm(x.transpose(0, 1), state)
        return out.transpose(0, 1), state
    return lstm(x, state)


def _grads(value, params: list) -> list:
    """d value / d params; zeros where the value does not depend on a parameter."""
    if not value.requires_grad:
        return [torch.zeros_like(p) for p in params]
    grads = torch.autograd.grad(value, params, allow_unused=True, retain_graph=True)
    return [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]


def encoder_oracle(ns, seed, embedding_dim, hidden, cases):
    """The student's Encoder against the specification evaluated on its OWN embedding and LSTM:
    each column's real characters alone, unpadded, through self.embed and self.lstm. For every
    (src, src_lengths) case: both outputs and final states, and the gradients of a fixed random
    projection of (outputs at the real positions, h_n, c_n) for both, with respect to the
    embedding table and the LSTM weights."""
    cls = need(ns, "Encoder", "class")
    torch.manual_seed(seed)
    encoder = cls(len(ref.SOURCE_VOCAB), embedding_dim, hidden)
    embed = _part(encoder, "embed", nn.Embedding, "Encoder")
    lstm = _part(encoder, "lstm", nn.LSTM, "Encoder")
    if lstm.num_layers != 1 or lstm.bidirectional:
        raise ProbeFailure("`Encoder` should use one nn.LSTM layer in one direction")
    names = ["embed.weight"] + [f"lstm.{n}" for n, _ in lstm.named_parameters()]
    params = [embed.weight] + list(lstm.parameters())
    g = torch.Generator().manual_seed(seed)
    results = []
    for src, src_lengths in cases:
        outputs, h, c = _state(encoder(src.clone(), src_lengths.clone()), "Encoder.forward")
        S, B = src.shape
        want_out, want_h, want_c = [], [], []
        for b, n in enumerate(src_lengths.tolist()):
            out_b, (h_b, c_b) = _run_lstm(lstm, embed(src[:n, b : b + 1]))
            want_out.append(torch.cat([out_b[:, 0], out_b.new_zeros(S - n, hidden)]))
            want_h.append(h_b[:, 0])
            want_c.append(c_b[:, 0])
        want_out = torch.stack(want_out, 1)  # (S, B, H), zeros at padded positions
        want_h, want_c = torch.stack(want_h, 1), torch.stack(want_c, 1)  # (1, B, H)
        real = (torch.arange(S)[:, None] < src_lengths[None, :]).float()[..., None]
        w_out = torch.randn(S, B, hidden, generator=g) * real
        w_h, w_c = torch.randn(1, B, hidden, generator=g), torch.randn(1, B, hidden, generator=g)
        case = {"outputs": outputs, "h": h, "c": c,
                "want_outputs": want_out, "want_h": want_h, "want_c": want_c}  # fmt: skip
        # Project whatever has the right shape (the shape tests judge the rest).
        terms = [
            (w, got, want)
            for w, got, want in ((w_out, outputs, want_out), (w_h, h, want_h), (w_c, c, want_c))
            if isinstance(got, torch.Tensor) and got.shape == want.shape
        ]
        if terms:
            got_j = sum((w * got).sum() for w, got, _ in terms)
            want_j = sum((w * want).sum() for w, _, want in terms)
            case["grads"] = dict(zip(names, _grads(got_j, params)))
            case["want_grads"] = dict(zip(names, _grads(want_j, params)))
        results.append({k: v.detach() if isinstance(v, torch.Tensor) else v
                        for k, v in case.items()})  # fmt: skip
    return results


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


def seq2seq_sizes(ns, seed, embedding_dim, hidden):
    """The shapes of the student's Seq2Seq parameters (with the reference Encoder), by name."""
    use_reference(ns, Encoder=ref.Encoder)
    model = _make_seq2seq(ns, seed, embedding_dim, hidden)
    return {name: list(p.shape) for name, p in model.named_parameters()}


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


def decoder_oracle(ns, seed, embedding_dim, hidden, cases):
    """The student's Decoder against the specification on its OWN modules: head(lstm(embed(x)))
    started from the given state. For every (tgt_in, h0, c0, split) case: the logits and the new
    state of one call, of the specification, and of two calls (x[:split], then x[split:] from
    the state the first returned)."""
    cls = need(ns, "Decoder", "class")
    torch.manual_seed(seed)
    decoder = cls(len(ref.TARGET_VOCAB), embedding_dim, hidden)
    embed = _part(decoder, "embed", nn.Embedding, "Decoder")
    lstm = _part(decoder, "lstm", nn.LSTM, "Decoder")
    head = _part(decoder, "head", nn.Linear, "Decoder")
    results = []
    with torch.no_grad():
        for tgt_in, h0, c0, split in cases:
            logits, h, c = _decoded(decoder(tgt_in.clone(), (h0.clone(), c0.clone())))
            out, (want_h, want_c) = _run_lstm(lstm, embed(tgt_in), (h0, c0))
            first, mid_h, mid_c = _decoded(decoder(tgt_in[:split].clone(), (h0, c0)))
            rest, _, _ = _decoded(decoder(tgt_in[split:].clone(), (mid_h, mid_c)))
            results.append(
                {
                    "logits": logits,
                    "h": h,
                    "c": c,
                    "want_logits": head(out),
                    "want_h": want_h,
                    "want_c": want_c,
                    "first": first,
                    "rest": rest,
                }
            )
    return results


def _decoded(got):
    try:
        logits, (h, c) = got
    except (TypeError, ValueError):
        raise ProbeFailure("`Decoder.forward` should return (logits, (h, c))") from None
    return logits, h, c


def seq2seq_oracle(ns, seed, embedding_dim, hidden, src, src_lengths, tgt_in):
    """The student's Seq2Seq (with the reference Encoder) against the specification on its OWN
    modules: decoder.head(decoder.lstm(decoder.embed(tgt_in), encoder's final state)). The
    logits of both, and the gradients of a fixed random projection of each with respect to
    every parameter (encoder and decoder)."""
    use_reference(ns, Encoder=ref.Encoder)
    model = _make_seq2seq(ns, seed, embedding_dim, hidden)
    embed = _part(model.decoder, "embed", nn.Embedding, "Decoder")
    lstm = _part(model.decoder, "lstm", nn.LSTM, "Decoder")
    head = _part(model.decoder, "head", nn.Linear, "Decoder")
    logits = model(src.clone(), src_lengths.clone(), tgt_in.clone())
    if not isinstance(logits, torch.Tensor):
        raise ProbeFailure(
            f"`Seq2Seq.forward` should return the logits, a tensor, got {logits!r:.60}"
        )
    _, state = model.encoder(src, src_lengths)
    want = head(_run_lstm(lstm, embed(tgt_in), state)[0])
    out = {"logits": logits.detach(), "want_logits": want.detach()}
    if logits.shape == want.shape:
        w = torch.randn(want.shape, generator=torch.Generator().manual_seed(seed))
        names, params = zip(*model.named_parameters())
        out["grads"] = dict(zip(names, _grads((w * logits).sum(), list(params))))
        out["want_grads"] = dict(zip(names, _grads((w * want).sum(), list(params))))
    return out


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


def loss_cases(ns, cases):
    """loss_values on every (logits, tgt_out) case; a case whose call raises reports the error
    instead, so that each test loses only on its own inputs."""
    need(ns, "seq2seq_loss")
    results = []
    for logits, tgt_out in cases:
        try:
            results.append(loss_values(ns, logits, tgt_out))
        except Exception as exc:  # noqa: BLE001 - reported to the test of this case only
            results.append({"error": _describe(exc)})
    return results


def train_steps(ns, seed, pairs, steps, lr):
    """The student's train_step on the reference model and one reference batch, with plain SGD
    and stale gradients left over before the first call; the weights before and after every
    call, and, for every forward pass of the model, its mode and whether autograd was on."""
    use_reference(ns, make_batch=ref.make_batch, seq2seq_loss=ref.seq2seq_loss)
    fn = need(ns, "train_step")
    torch.manual_seed(seed)
    model = ref.Seq2Seq(embedding_dim=8, hidden_size=16)
    forwards = []
    model.decoder.register_forward_pre_hook(  # the decoder runs in every forward pass
        lambda module, args: forwards.append(
            {"training": module.training, "grad": torch.is_grad_enabled()}
        )
    )
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.5)  # stale gradients of an earlier step
    model.eval()  # train_step must switch to training mode itself
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    batch_ = ref.make_batch(pairs)
    states = [{k: v.clone() for k, v in model.state_dict().items()}]
    returned = []
    for _ in range(steps):
        returned.append(fn(model, optimizer, tuple(t.clone() for t in batch_)))
        states.append({k: v.clone() for k, v in model.state_dict().items()})
    if not all(isinstance(x, float) for x in returned):
        kinds = sorted({type(x).__name__ for x in returned})
        raise ProbeFailure(
            f"`train_step` should return the loss as a Python float (loss.item()), got "
            f"{', '.join(kinds)}"
        )
    return {"returned": [float(x) for x in returned], "states": states,
            "forwards": forwards, "training_after": model.training}  # fmt: skip


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


def greedy_recorded(ns, scenarios):
    """The student's greedy_decode on recording stand-ins (reference.RecordingSeq2Seq), one per
    (script, max_length) scenario: what it returned (with the Python types of the ids) and the
    stand-in's log of every encoder and decoder call."""
    fn = need(ns, "greedy_decode")
    results = []
    for script, max_length in scenarios:
        B = len(script)
        src_lengths = torch.tensor([4 + 3 * ((b * 5) % 4) for b in range(B)])
        src = torch.full((int(src_lengths.max()) + 2, B), ref.PAD_INDEX)
        for b, n in enumerate(src_lengths.tolist()):
            src[:n, b] = torch.arange(n) % (len(ref.SOURCE_VOCAB) - 1) + 1
        model = ref.RecordingSeq2Seq(script, src, src_lengths)
        model.train()
        got = fn(model, src.clone(), src_lengths.clone(), max_length=max_length)
        if isinstance(got, torch.Tensor):
            got = got.tolist()
        if not isinstance(got, (list, tuple)):
            raise ProbeFailure(f"`greedy_decode` should return a list of B lists, got {got!r:.60}")
        types = sorted({type(x).__name__ for row in got if isinstance(row, (list, tuple))
                        for x in row} | {type(row).__name__ for row in got})  # fmt: skip
        results.append(
            {
                "got": _token_lists(got, B),
                "types": types,
                "encoder_calls": model.encoder_log,
                "decoder_calls": model.decoder_log,
            }
        )
    return results


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
    """The student's exact_match and char_accuracy on (predicted, expected) list pairs: the value
    (or the error it raised) and its Python type, per case and function."""
    em, ca = need(ns, "exact_match"), need(ns, "char_accuracy")
    out = []
    for predicted, expected in cases:
        row = {}
        for key, fn in (("exact", em), ("char", ca)):
            try:
                value = fn(list(predicted), list(expected))
            except Exception as exc:  # noqa: BLE001 - reported to the test of this case only
                row[key], row[f"{key}_type"] = None, "error: " + _describe(exc)
                continue
            row[f"{key}_type"] = type(value).__name__
            if isinstance(value, torch.Tensor) and value.numel() == 1:
                value = value.item()
            try:
                row[key] = float(value)
            except (TypeError, ValueError):
                row[key] = None
        out.append(row)
    return out
