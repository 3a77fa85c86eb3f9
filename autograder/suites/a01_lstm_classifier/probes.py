"""Probes for assignment 1. They run in the worker child, next to the student's code, and
return plain data; every verdict is made by the tests in the grader process."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from autograder.probing import ProbeFailure, need, use_reference
from autograder.suites.a01_lstm_classifier import reference as ref

# Reference objects removed from the worker child before a probe that tests the key runs
# (besides the reference of the same name): see probing.hide_references.
HIDDEN_WHEN_TESTED = {"LSTMClassifier": ("ReferenceClassifier", "make_reference_model")}


def _build_model(ns: dict, seed: int, hidden: int, n_languages: int) -> nn.Module:
    cls = need(ns, "LSTMClassifier", "class")
    torch.manual_seed(seed)
    model = cls(ref.N_LETTERS, hidden, n_languages)
    if not isinstance(model, nn.Module):
        raise ProbeFailure("`LSTMClassifier(...)` should create an nn.Module")
    return model


def _lstm_modules(model: nn.Module) -> list[nn.LSTM]:
    return [m for m in model.modules() if isinstance(m, nn.LSTM)]


def _inputs(batch: dict):
    if batch["kind"] == "names":
        return ref.names_to_batch(batch["names"])
    return batch["x"]


def classifier_structure(ns, seed, hidden, n_languages, names):
    """The model's LSTM layers, and how often they run during one forward pass."""
    model = _build_model(ns, seed, hidden, n_languages)
    lstms = _lstm_modules(model)
    calls = []
    for m in lstms:
        m.register_forward_hook(lambda *_: calls.append(1))
    with torch.no_grad():
        model(ref.names_to_batch(names))
    linears = [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, nn.Linear)]
    return {
        "lstms": [
            {
                "input_size": m.input_size,
                "hidden_size": m.hidden_size,
                "num_layers": m.num_layers,
                "bidirectional": m.bidirectional,
            }
            for m in lstms
        ],
        "linears": linears,
        "lstm_calls": len(calls),
    }


def classifier_outputs(ns, seed, hidden, n_languages, batches):
    """Outputs of one freshly built model for several inputs, in order, without gradients."""
    model = _build_model(ns, seed, hidden, n_languages)
    model.eval()
    with torch.no_grad():
        return [model(_inputs(b)) for b in batches]


def classifier_gradients(ns, seed, hidden, n_languages, names, targets):
    """Gradient norms of each LSTM parameter after one backward pass of the NLL loss."""
    model = _build_model(ns, seed, hidden, n_languages)
    out = model(ref.names_to_batch(names))
    if not isinstance(out, torch.Tensor) or out.shape != (len(names), n_languages):
        raise ProbeFailure(
            f"forward should return a tensor of shape (B, K) = ({len(names)}, {n_languages})"
        )
    nn.functional.nll_loss(out, targets).backward()
    norms = {}
    for i, lstm in enumerate(_lstm_modules(model)):
        for pname, p in lstm.named_parameters():
            norms[f"lstm{i}.{pname}"] = -1.0 if p.grad is None else float(p.grad.norm())
    return norms


def step_by_step(ns, weights, input_size, hidden, x):
    """The student's lstm_step_by_step on an LSTM with given weights; counts the LSTM calls."""
    fn = need(ns, "lstm_step_by_step")
    lstm = nn.LSTM(input_size, hidden)
    lstm.load_state_dict(weights)
    call_lengths = []
    lstm.register_forward_hook(lambda m, args, out: call_lengths.append(_seq_len(args[0])))
    with torch.no_grad():
        result = fn(lstm, x)
    try:
        output, (h_n, c_n) = result
    except (TypeError, ValueError):
        raise ProbeFailure(
            "`lstm_step_by_step` should return (output, (h_n, c_n)), like calling the LSTM"
        ) from None
    return {"output": output, "h_n": h_n, "c_n": c_n, "call_lengths": call_lengths}


def _seq_len(x) -> int:
    if isinstance(x, PackedSequence):
        return int(x.batch_sizes.numel())
    return int(x.shape[0]) if isinstance(x, torch.Tensor) and x.dim() else -1


def names_to_batch(ns, names):
    """What the student's names_to_batch returns, unpacked with torch's own function."""
    batch = need(ns, "names_to_batch")(list(names))
    if not isinstance(batch, PackedSequence):
        return {"type": type(batch).__name__}
    padded, lengths = pad_packed_sequence(batch)
    return {
        "type": "PackedSequence",
        "data_shape": list(batch.data.shape),
        "padded": padded,
        "lengths": lengths.tolist(),
    }


def train_step_update(ns, seed, hidden, names, targets, lr):
    """One call of the student's train_step with plain SGD on the reference model, starting
    from stale gradients (as left behind by an earlier step)."""
    use_reference(ns, names_to_batch=ref.names_to_batch)
    fn = need(ns, "train_step")
    model = ref.make_reference_model(seed, hidden, len(ref.LANGUAGES))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.5)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss = fn(model, optimizer, list(names), targets)
    return {
        "loss": loss if isinstance(loss, float | int | torch.Tensor) else type(loss).__name__,
        "before": before,
        "after": model.state_dict(),
    }


def train_steps(ns, seed, hidden, names, targets, steps, lr):
    """Several train_step calls with Adam on one fixed batch; NLL before and after, measured by
    the reference model itself."""
    use_reference(ns, names_to_batch=ref.names_to_batch)
    fn = need(ns, "train_step")
    model = ref.make_reference_model(seed, hidden, len(ref.LANGUAGES))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    batch = ref.names_to_batch(list(names))
    with torch.no_grad():
        first = model(batch)
    reported = [fn(model, optimizer, list(names), targets) for _ in range(steps)]
    with torch.no_grad():
        last = model(batch)
    return {"log_probs_before": first, "log_probs_after": last, "reported": reported}


def predictions(ns, seed, hidden, names):
    """The student's predict on the reference model, plus that model's own log-probabilities."""
    use_reference(ns, names_to_batch=ref.names_to_batch, LANGUAGES=list(ref.LANGUAGES))
    fn = need(ns, "predict")
    model = ref.make_reference_model(seed, hidden, len(ref.LANGUAGES), spread=True)
    model.eval()
    with torch.no_grad():
        log_probs = model(ref.names_to_batch(list(names)))
    got = fn(model, list(names))
    if isinstance(got, tuple):
        got = list(got)
    if isinstance(got, list):
        got = [g if isinstance(g, str) else f"<{type(g).__name__}: {g!r:.40}>" for g in got]
    else:
        got = f"<{type(got).__name__}>"
    return {"predicted": got, "log_probs": log_probs}
