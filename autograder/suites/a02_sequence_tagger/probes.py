"""Probes for assignment 2. They run in the worker child, next to the student's code, and
return plain data; every verdict is made by the tests in the grader process."""

from __future__ import annotations

import torch
from torch import nn

from autograder.probing import ProbeFailure, need, use_reference
from autograder.suites.a02_sequence_tagger import reference as ref

# Reference objects removed from the worker child before a probe that tests the key runs
# (besides the reference of the same name): see probing.hide_references.
HIDDEN_WHEN_TESTED = {"Tagger": ("ReferenceTagger", "make_reference_model")}


def _build(ns, seed, hidden, bidirectional):
    cls = need(ns, "Tagger", "class")
    torch.manual_seed(seed)
    model = cls(hidden_size=hidden, bidirectional=bidirectional)
    if not isinstance(model, nn.Module):
        raise ProbeFailure("`Tagger(...)` should create an nn.Module")
    return model


def tagger_outputs(ns, seed, hidden, bidirectional, batches):
    """Logits of one freshly built model for several (bases, lengths) inputs, in eval mode."""
    model = _build(ns, seed, hidden, bidirectional)
    model.eval()
    with torch.no_grad():
        return [model(b["bases"], b["lengths"]) for b in batches]


def tagger_structure(ns, seed, hidden, bidirectional, bases, lengths):
    """The model's Linear layers, parameter count, and how often each Linear runs per forward."""
    model = _build(ns, seed, hidden, bidirectional)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    calls = []
    for m in linears:
        m.register_forward_hook(lambda *_: calls.append(1))
    with torch.no_grad():
        model(bases, lengths)
    return {
        "linears": [(m.in_features, m.out_features) for m in linears],
        "n_params": sum(p.numel() for p in model.parameters()),
        "linear_calls": len(calls),
    }


def tagger_gradients(ns, seed, hidden, bidirectional, bases, tags, lengths):
    """Gradient norm of every parameter after backward of the reference masked loss."""
    model = _build(ns, seed, hidden, bidirectional)
    logits = model(bases, lengths)
    if not isinstance(logits, torch.Tensor) or logits.shape[:2] != bases.shape:
        raise ProbeFailure("forward should return logits of shape (T, B, n_tags)")
    ref.masked_mean_loss(logits, tags, lengths).backward()
    return {
        name: -1.0 if p.grad is None else float(p.grad.norm())
        for name, p in model.named_parameters()
    }


def make_batch(ns, examples):
    """What the student's make_batch returns."""
    got = need(ns, "make_batch")([tuple(e) for e in examples])
    try:
        bases, tags, lengths = got
    except (TypeError, ValueError):
        raise ProbeFailure("`make_batch` should return (bases, tags, lengths)") from None
    return {"bases": bases, "tags": tags, "lengths": lengths}


def loss_value(ns, logits, tags, lengths):
    """The student's masked_mean_loss on given logits, and whether its gradient flows."""
    logits = logits.clone().requires_grad_(True)
    loss = need(ns, "masked_mean_loss")(logits, tags, lengths)
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ProbeFailure("`masked_mean_loss` should return a scalar tensor")
    loss.reshape(()).backward()
    grad = logits.grad if logits.grad is not None else torch.zeros_like(logits)
    return {"loss": loss.detach().reshape(()), "grad": grad}


def accuracy_value(ns, logits, tags, lengths):
    got = need(ns, "masked_accuracy")(logits, tags, lengths)
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    return got if isinstance(got, float | int) else type(got).__name__


def train_step_update(ns, seed, hidden, bases, tags, lengths, lr):
    """One train_step with plain SGD on the reference model, starting from stale gradients."""
    use_reference(ns, masked_mean_loss=ref.masked_mean_loss)
    fn = need(ns, "train_step")
    model = ref.make_reference_model(seed, hidden, bidirectional=True)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.5)
    loss = fn(model, torch.optim.SGD(model.parameters(), lr=lr), bases, tags, lengths)
    return {
        "loss": loss if isinstance(loss, float | int | torch.Tensor) else type(loss).__name__,
        "before": before,
        "after": model.state_dict(),
    }


def train_and_evaluate(ns, seed, hidden, train, val, steps, batch_size, lr):
    """The student's train_step drives the reference bidirectional tagger for a fixed budget;
    returns the logits on the validation batch (the grader measures accuracy itself)."""
    use_reference(ns, masked_mean_loss=ref.masked_mean_loss)
    fn = need(ns, "train_step")
    model = ref.make_reference_model(seed, hidden, bidirectional=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        idx = torch.randint(0, len(train), (batch_size,), generator=g).tolist()
        losses.append(fn(model, optimizer, *ref.make_batch([train[i] for i in idx])))
    bases, tags, lengths = ref.make_batch(val)
    model.eval()
    with torch.no_grad():
        return {"logits": model(bases, lengths), "reported": losses}
