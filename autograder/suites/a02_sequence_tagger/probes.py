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


def _build(ns, seed, hidden, bidirectional, **sizes):
    cls = need(ns, "Tagger", "class")
    torch.manual_seed(seed)
    model = cls(hidden_size=hidden, bidirectional=bidirectional, **sizes)
    if not isinstance(model, nn.Module):
        raise ProbeFailure("`Tagger(...)` should create an nn.Module")
    return model


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


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


def _layers(model: nn.Module) -> dict:
    """The model's Embedding, LSTM and Linear layers, and its parameters outside them."""
    kinds = {"embed": nn.Embedding, "lstm": nn.LSTM, "head": nn.Linear}
    found = {role: [m for m in model.modules() if isinstance(m, k)] for role, k in kinds.items()}
    inside = {id(p) for ms in found.values() for m in ms for p in m.parameters()}
    found["other"] = [n for n, p in model.named_parameters() if id(p) not in inside]
    return found


def _describe(layers: dict) -> dict:
    return {
        "embed": [(m.num_embeddings, m.embedding_dim, m.padding_idx) for m in layers["embed"]],
        "lstm": [
            {
                "input_size": m.input_size,
                "hidden_size": m.hidden_size,
                "num_layers": m.num_layers,
                "bidirectional": m.bidirectional,
                "bias": m.bias,
                "proj_size": m.proj_size,
            }
            for m in layers["lstm"]
        ],
        "head": [(m.in_features, m.out_features, m.bias is not None) for m in layers["head"]],
        "other": layers["other"],
    }


def _role_params(layers: dict) -> dict:
    """{"embed.weight", "lstm.<name>", "head.weight", "head.bias": parameter} (one of each)."""
    params = {}
    for role in ("embed", "lstm", "head"):
        if len(layers[role]) == 1:
            for name, p in layers[role][0].named_parameters():
                params[f"{role}.{name}"] = p
    return params


def tagger_oracle(ns, seed, hidden, bidirectional, embedding_dim, n_tags, batches):
    """The student's model on several batches, in training mode: its layers and weights (so the
    grader can evaluate the specification on them), its logits, and the gradients of a fixed
    projection of the logits at the real positions (to the weights and to the embedded input).
    Errors are reported per batch."""
    model = _build(ns, seed, hidden, bidirectional, embedding_dim=embedding_dim, n_tags=n_tags)
    model.train()
    layers = _layers(model)
    params = _role_params(layers)
    embedded = []
    for m in layers["embed"]:
        m.register_forward_hook(lambda _m, _i, out: embedded.append(out))
    runs = []
    for batch in batches:
        bases, lengths, projection = batch["bases"], batch["lengths"], batch["projection"]
        run = {}
        for p in model.parameters():
            p.grad = None
        embedded.clear()
        try:
            out = model(bases, lengths)
        except Exception as exc:  # reported to the test, which explains it
            runs.append({"error": _error(exc)})
            continue
        if not isinstance(out, torch.Tensor):
            runs.append({"error": f"forward returned a {type(out).__name__}, not a tensor"})
            continue
        run["logits"] = out
        for e in embedded:
            if isinstance(e, torch.Tensor) and e.requires_grad:
                e.retain_grad()
        # Only the real positions count (padded ones are unspecified); they are the same set,
        # in the same order, whether or not the output keeps the extra padding rows.
        if (
            out.dim() == 3
            and out.shape[1:] == projection.shape[1:]
            and out.shape[0] >= int(lengths.max())
        ):
            real = out[ref.real_mask(lengths, out.shape[0])]
            weights = projection[ref.real_mask(lengths, projection.shape[0])]
            try:
                (real * weights).sum().backward()
            except Exception as exc:
                run["backward_error"] = _error(exc)
            run["grads"] = {
                k: None if p.grad is None else p.grad.clone() for k, p in params.items()
            }
            if len(embedded) == 1 and isinstance(embedded[0], torch.Tensor):
                g = embedded[0].grad
                run["embedded_grad"] = None if g is None else g.clone()
                run["embedded"] = embedded[0].detach().clone()
        runs.append(run)
    return {
        "layers": _describe(layers),
        "params": {k: p.detach().clone() for k, p in params.items()},
        "runs": runs,
    }


def make_batches(ns, batches):
    """What the student's make_batch returns for each list of examples (or the error)."""
    fn = need(ns, "make_batch")
    results = []
    for examples in batches:
        try:
            got = fn([tuple(e) for e in examples])
        except Exception as exc:
            results.append({"error": _error(exc)})
            continue
        if not isinstance(got, tuple | list) or len(got) != 3:
            results.append({"error": "make_batch should return a tuple (bases, tags, lengths)"})
            continue
        result = {}
        for name, value in zip(("bases", "tags", "lengths"), got):
            result[name] = value if isinstance(value, torch.Tensor) else repr(value)[:80]
            result[name + "_type"] = type(value).__name__
            result[name + "_dtype"] = str(value.dtype) if isinstance(value, torch.Tensor) else ""
        results.append(result)
    return results


def loss_cases(ns, cases):
    """The student's masked_mean_loss on each (logits, tags, lengths), and the gradient of the
    loss with respect to the logits (or the error)."""
    fn = need(ns, "masked_mean_loss")
    results = []
    for case in cases:
        logits = case["logits"].clone().requires_grad_(True)
        try:
            loss = fn(logits, case["tags"], case["lengths"])
        except Exception as exc:
            results.append({"error": _error(exc)})
            continue
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            results.append({"error": f"returned {type(loss).__name__}, not a scalar tensor"})
            continue
        result = {"loss": loss.detach().reshape(()).double(), "grad": None}
        if loss.requires_grad:
            try:
                loss.reshape(()).backward()
                result["grad"] = logits.grad
            except Exception as exc:
                result["backward_error"] = _error(exc)
        results.append(result)
    return results


def loss_value(ns, logits, tags, lengths):
    """The student's masked_mean_loss on given logits, and whether its gradient flows."""
    logits = logits.clone().requires_grad_(True)
    loss = need(ns, "masked_mean_loss")(logits, tags, lengths)
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ProbeFailure("`masked_mean_loss` should return a scalar tensor")
    loss.reshape(()).backward()
    grad = logits.grad if logits.grad is not None else torch.zeros_like(logits)
    return {"loss": loss.detach().reshape(()), "grad": grad}


def accuracy_cases(ns, cases):
    """The student's masked_accuracy on each case: its value and its Python type (or the error)."""
    fn = need(ns, "masked_accuracy")
    results = []
    for case in cases:
        try:
            got = fn(case["logits"], case["tags"], case["lengths"])
        except Exception as exc:
            results.append({"error": _error(exc)})
            continue
        kind = type(got).__name__
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        value = float(got) if isinstance(got, float | int) else None
        results.append({"value": value, "type": kind, "is_float": kind == "float"})
    return results


class _RecordingSGD(torch.optim.SGD):
    """Plain SGD that notes every step() and zero_grad() in a shared event list."""

    def __init__(self, params, lr, events):
        super().__init__(params, lr=lr)
        self.events = events

    def step(self, closure=None):
        self.events.append("step")
        return super().step(closure)

    def zero_grad(self, set_to_none=True):
        self.events.append("zero_grad")
        return super().zero_grad(set_to_none)


def train_step_update(ns, seed, hidden, bases, tags, lengths, lr):
    """One train_step with plain SGD on the reference model, starting from stale gradients;
    records what the model was fed and the order of forward, backward and optimizer calls."""
    use_reference(ns, masked_mean_loss=ref.masked_mean_loss)
    fn = need(ns, "train_step")
    events, fed = [], []

    class RecordingTagger(ref.ReferenceTagger):  # local: never visible to a Tagger probe
        def forward(self, *args):
            events.append("forward")
            fed.append(
                {
                    "args": [
                        a.clone() if isinstance(a, torch.Tensor) else repr(a)[:80] for a in args
                    ],
                    "grad_enabled": torch.is_grad_enabled(),
                }
            )
            return super().forward(*args)

    torch.manual_seed(seed)
    model = RecordingTagger(hidden, bidirectional=True)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.5)
    # Fires once per backward pass: the head's bias is used exactly once per forward.
    model.head.bias.register_post_accumulate_grad_hook(lambda _p: events.append("backward"))
    optimizer = _RecordingSGD(model.parameters(), lr, events)
    loss = fn(model, optimizer, bases, tags, lengths)
    return {
        "loss": loss if isinstance(loss, float | int | torch.Tensor) else type(loss).__name__,
        "loss_type": type(loss).__name__,
        "before": before,
        "after": model.state_dict(),
        "events": events,
        "fed": fed,
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
