"""Probes for assignment 3. They run in the worker child, next to the student's code, and
return plain data; every verdict is made by the tests in the grader process."""

from __future__ import annotations

import torch
from torch import nn

from autograder.probing import ProbeFailure, need, use_reference
from autograder.suites.a03_name_generator import reference as ref

# Reference objects removed from the worker child before a probe that tests the key runs
# (besides the reference of the same name): see probing.hide_references.
HIDDEN_WHEN_TESTED = {
    "NameGenerator": ("ReferenceGenerator", "make_reference_model"),
    "sample_next": ("_reference_sample_next",),
    "generate": ("_reference_generate",),
}


def examples(ns, names):
    """The student's make_example for each name."""
    fn = need(ns, "make_example")
    out = []
    for name in names:
        got = fn(name)
        try:
            inputs, targets = got
        except (TypeError, ValueError):
            raise ProbeFailure("`make_example` should return (input_ids, target_ids)") from None
        out.append({"inputs": inputs, "targets": targets})
    return out


def model_outputs(ns, seed, embedding_dim, hidden, inputs, split):
    """One call on the whole input, and two calls (0..split, split..) passing the state on."""
    cls = need(ns, "NameGenerator", "class")
    torch.manual_seed(seed)
    model = cls(len(ref.VOCAB), embedding_dim, hidden)
    if not isinstance(model, nn.Module):
        raise ProbeFailure("`NameGenerator(...)` should create an nn.Module")
    model.eval()
    with torch.no_grad():
        whole = model(inputs)
        first = model(inputs[:split])
        second = model(inputs[split:], first[1])
    try:
        logits, (h, c) = whole
        first_logits, second_logits = first[0], second[0]
    except (TypeError, ValueError, IndexError):
        raise ProbeFailure("`forward` should return (logits, (h, c))") from None
    return {"logits": logits, "h": h, "c": c, "first": first_logits, "second": second_logits}


def nll_values(ns, seed, names):
    """The student's name_nll on the reference model; its gradient must reach the weights."""
    use_reference(ns, make_example=ref.make_example)
    fn = need(ns, "name_nll")
    model = ref.make_reference_model(seed)
    values = []
    for name in names:
        loss = fn(model, name)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise ProbeFailure("`name_nll` should return a scalar tensor")
        values.append(loss.reshape(()))
    torch.stack(values).sum().backward()
    grad = sum(float(p.grad.norm()) for p in model.parameters() if p.grad is not None)
    return {"values": values, "state": model.state_dict(), "grad_norm": grad}


def train_with_nll(ns, seed, names, steps, lr, n_samples, max_length):
    """Train the reference model with the student's name_nll, then sample names from it with
    the reference sampler: a loss that includes the endterm teaches the model to stop."""
    use_reference(ns, make_example=ref.make_example)
    fn = need(ns, "name_nll")
    model = ref.make_reference_model(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(0, len(names), (8,), generator=g).tolist()
        optimizer.zero_grad()
        loss = sum(fn(model, names[i]) for i in idx) / 8
        loss.backward()
        optimizer.step()
    return [_reference_generate(model, max_length, g) for _ in range(n_samples)]


def _reference_generate(model, max_length, generator) -> str:
    model.eval()
    out, state = [], None
    token = torch.tensor([[ref.SOS_INDEX]])
    with torch.no_grad():
        while len(out) < max_length:
            logits, state = model(token, state)
            nxt = int(torch.multinomial(torch.softmax(logits[-1, 0], -1), 1, generator=generator))
            if nxt == ref.EOS_INDEX:
                break
            out.append(ref.VOCAB[nxt])
            token = torch.tensor([[nxt]])
    return "".join(out)


def temperature(ns, logits, C):
    """The student's softmax_with_temperature."""
    return need(ns, "softmax_with_temperature")(logits.clone(), C)


def sample_counts(ns, logits, C, n, seed):
    """How often each index comes out of n calls of the student's sample_next."""
    use_reference(ns, softmax_with_temperature=ref.softmax_with_temperature)
    fn = need(ns, "sample_next")
    g = torch.Generator().manual_seed(seed)
    counts = [0] * logits.shape[-1]
    for _ in range(n):
        i = fn(logits.clone(), C, g)
        i = int(i.item()) if isinstance(i, torch.Tensor) and i.numel() == 1 else i
        if not isinstance(i, int) or not 0 <= i < len(counts):
            raise ProbeFailure(f"`sample_next` should return an index in 0..{len(counts) - 1}")
        counts[i] += 1
    return counts


def generate_scripted(ns, mode, start, max_length, C, seed):
    """The student's generate on a scripted stand-in model (see reference.ScriptedModel),
    with the reference sampler, so that only generate itself is under test."""
    use_reference(
        ns,
        sample_next=_reference_sample_next,
        softmax_with_temperature=ref.softmax_with_temperature,
    )
    fn = need(ns, "generate")
    g = torch.Generator().manual_seed(seed)
    got = fn(ref.ScriptedModel(mode), start=start, max_length=max_length, C=C, generator=g)
    return got if isinstance(got, str) else f"<{type(got).__name__}>"


def _reference_sample_next(logits, C, generator=None):
    probs = ref.softmax_with_temperature(logits, C).float()
    return int(torch.multinomial(probs, 1, generator=generator))
