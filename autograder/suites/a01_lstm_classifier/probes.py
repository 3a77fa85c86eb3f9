"""Probes for assignment 1. They run in the worker child, next to the student's code, and
return plain data; every verdict is made by the tests in the grader process."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from autograder.probing import ProbeFailure, need, use_reference
from autograder.suites.a01_lstm_classifier import reference as ref

# Reference objects removed from the worker child before a probe that tests the key runs
# (besides the reference of the same name): see probing.hide_references.
HIDDEN_WHEN_TESTED = {"LSTMClassifier": ("ReferenceClassifier", "make_reference_model")}

STEP_RESULT = "`lstm_step_by_step` should return (output, (h_n, c_n)), like calling the LSTM"


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


def _the_lstm_and_linear(model: nn.Module) -> tuple[nn.LSTM, nn.Linear]:
    lstms = _lstm_modules(model)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if len(lstms) != 1 or len(linears) != 1:
        raise ProbeFailure(
            "the notebook asks for exactly one nn.LSTM and one nn.Linear in LSTMClassifier; "
            f"found {len(lstms)} nn.LSTM and {len(linears)} nn.Linear"
        )
    return lstms[0], linears[0]


def _grads(module: nn.Module) -> dict:
    return {k: None if p.grad is None else p.grad.clone() for k, p in module.named_parameters()}


def classifier_oracle(ns, seed, hidden, n_languages, cases):
    """One freshly built model (in the mode it is built in) on several inputs: its outputs and
    the gradients of a fixed projection of each output, with respect to the input and to the
    parameters, plus the weights of its LSTM and Linear. The grader evaluates the specification
    on these weights. Each case is a padded one-hot tensor x (T, B, L), the lengths of a packed
    batch (None: x itself is the input), and the projection r (B, K)."""
    model = _build_model(ns, seed, hidden, n_languages)
    lstm, fc = _the_lstm_and_linear(model)
    results = []
    for case in cases:
        model.zero_grad(set_to_none=True)
        x = case["x"].clone().requires_grad_(True)
        if case["lengths"] is None:
            inputs = x
        else:
            lengths = torch.tensor(case["lengths"])
            inputs = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out = model(inputs)
        entry = {"output": out if isinstance(out, torch.Tensor) else type(out).__name__}
        r = case["r"]
        if isinstance(out, torch.Tensor) and out.shape == r.shape and out.requires_grad:
            (out * r).sum().backward()
            entry["x_grad"] = None if x.grad is None else x.grad.clone()
            entry["lstm_grads"], entry["fc_grads"] = _grads(lstm), _grads(fc)
        results.append(entry)
    return {"lstm": lstm.state_dict(), "fc": fc.state_dict(), "cases": results}


def step_by_step(ns, weights, input_size, hidden, x):
    """The student's lstm_step_by_step on an LSTM with given weights; counts the LSTM calls."""
    fn = need(ns, "lstm_step_by_step")
    lstm = nn.LSTM(input_size, hidden)
    lstm.load_state_dict(weights)
    call_lengths = []
    lstm.register_forward_hook(lambda m, args, out: call_lengths.append(_seq_len(args[0])))
    with torch.no_grad():
        result = fn(lstm, x)
    output, h_n, c_n = _step_result(result)
    return {"output": output, "h_n": h_n, "c_n": c_n, "call_lengths": call_lengths}


def _seq_len(x) -> int:
    if isinstance(x, PackedSequence):
        return int(x.batch_sizes.numel())
    return int(x.shape[0]) if isinstance(x, torch.Tensor) and x.dim() else -1


class _ScriptedLSTM(nn.LSTM):
    """Stand-in for nn.LSTM: records what every call receives and answers with scripted
    outputs and states (random, but connected to the autograd graph as a real LSTM's are)."""

    def __init__(self, input_size: int, hidden: int, seed: int):
        super().__init__(input_size, hidden)
        self.generator = torch.Generator().manual_seed(seed)
        self.calls: list[dict] = []
        self.returned: list[dict] = []

    def _scripted(self, *shape: int) -> torch.Tensor:
        leaf = torch.randn(*shape, generator=self.generator).requires_grad_(True)
        return leaf * 1.0  # a non-leaf in the graph, unless grad mode is off

    def forward(self, input, hx=None):  # noqa: A002 -- nn.LSTM's own argument name
        call = {"input": input.detach().clone() if isinstance(input, torch.Tensor) else None}
        call["input_type"] = type(input).__name__
        call["grad_enabled"] = torch.is_grad_enabled()
        if hx is None:
            call["state"] = None
        else:
            h, c = hx
            call["state"] = [h.detach().clone(), c.detach().clone()]
            call["state_requires_grad"] = [bool(h.requires_grad), bool(c.requires_grad)]
        self.calls.append(call)
        if not isinstance(input, torch.Tensor) or input.dim() != 3:
            raise ProbeFailure(
                "`lstm_step_by_step` should call the LSTM on slices x[t:t+1] of shape (1, B, L);"
                f" it was called on {call['input_type']} of shape "
                f"{tuple(getattr(input, 'shape', ()))}"
            )
        steps, batch = input.shape[0], input.shape[1]
        out = self._scripted(steps, batch, self.hidden_size)
        h = out[-1:] * 1.0  # as in a one-layer nn.LSTM: h_n is the last step's output
        c = self._scripted(1, batch, self.hidden_size)
        self.returned.append({"output": out.detach(), "h": h.detach(), "c": c.detach()})
        return out, (h, c)


def _step_result(result) -> tuple:
    """(output, h_n, c_n) from what lstm_step_by_step returned, or a clear failure."""
    try:
        output, (h_n, c_n) = result
    except (TypeError, ValueError):
        raise ProbeFailure(STEP_RESULT) from None
    return output, h_n, c_n


def step_by_step_recorded(ns, input_size, hidden, x, seed):
    """The student's lstm_step_by_step on a scripted stand-in LSTM: every call's input and
    state, what the stand-in returned, and what the function returned."""
    fn = need(ns, "lstm_step_by_step")
    lstm = _ScriptedLSTM(input_size, hidden, seed)
    result = fn(lstm, x)
    output, h_n, c_n = _step_result(result)
    return {
        "calls": lstm.calls,
        "returned": lstm.returned,
        "output": output,
        "h_n": h_n,
        "c_n": c_n,
    }


def step_by_step_gradients(ns, weights, input_size, hidden, x, r_out, r_h, r_c):
    """Gradients of a fixed projection of (output, h_n, c_n) of the student's
    lstm_step_by_step, with respect to x and to the LSTM's parameters."""
    fn = need(ns, "lstm_step_by_step")
    lstm = nn.LSTM(input_size, hidden)
    lstm.load_state_dict(weights)
    x = x.clone().requires_grad_(True)
    try:
        output, (h_n, c_n) = fn(lstm, x)
    except (TypeError, ValueError):
        raise ProbeFailure(STEP_RESULT) from None
    parts = [(output, r_out), (h_n, r_h), (c_n, r_c)]
    if not all(isinstance(t, torch.Tensor) and t.shape == r.shape for t, r in parts):
        raise ProbeFailure(
            "`lstm_step_by_step` should return output (T, B, H) and h_n, c_n (1, B, H)"
        )
    if not any(t.requires_grad for t, _ in parts):
        return {"x_grad": None, "param_grads": _grads(lstm)}
    sum((t * r).sum() for t, r in parts if t.requires_grad).backward()
    return {"x_grad": None if x.grad is None else x.grad.clone(), "param_grads": _grads(lstm)}


def names_to_batch(ns, names):
    """What the student's names_to_batch returns, unpacked with torch's own function."""
    batch = need(ns, "names_to_batch")(list(names))
    if not isinstance(batch, PackedSequence):
        return {"type": type(batch).__name__}
    padded, lengths = pad_packed_sequence(batch)
    return {
        "type": "PackedSequence",
        "data_shape": list(batch.data.shape),
        "data_dtype": str(batch.data.dtype).replace("torch.", ""),
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


class _RecordingSGD(torch.optim.SGD):
    """Plain SGD that logs zero_grad and step into a shared event list."""

    def __init__(self, params, lr, events):
        super().__init__(params, lr=lr)
        self.events = events

    def zero_grad(self, set_to_none: bool = True):
        self.events.append("zero_grad")
        super().zero_grad(set_to_none=set_to_none)

    def step(self, closure=None):
        self.events.append("step")
        return super().step(closure)


class _RecordingModel(nn.Module):
    """The reference classifier, logging forward calls, zero_grad and the moment the backward
    pass reaches the output (with whether the parameters' gradients were clean then)."""

    def __init__(self, inner: nn.Module, events: list):
        super().__init__()
        self.inner, self.events = inner, events

    def zero_grad(self, set_to_none: bool = True):
        self.events.append("zero_grad")
        super().zero_grad(set_to_none=set_to_none)

    def _clean(self) -> bool:
        return all(p.grad is None or not p.grad.any() for p in self.parameters())

    def forward(self, x):
        self.events.append("forward")
        out = self.inner(x)
        if out.requires_grad:
            out.register_hook(
                lambda g: self.events.append("backward" if self._clean() else "backward_stale")
            )
        return out


def train_step_recorded(ns, seed, hidden, names, targets, lr):
    """The order of zero_grad, forward, backward and step in one train_step call, starting
    from stale gradients; and the type of the returned value."""
    use_reference(ns, names_to_batch=ref.names_to_batch)
    fn = need(ns, "train_step")
    events: list[str] = []
    model = _RecordingModel(ref.make_reference_model(seed, hidden, len(ref.LANGUAGES)), events)
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.5)
    optimizer = _RecordingSGD(model.parameters(), lr, events)
    loss = fn(model, optimizer, list(names), targets)
    return {"events": events, "loss_type": type(loss).__name__}


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
    return {"predicted": _plain_predictions(fn(model, list(names))), "log_probs": log_probs}


def _plain_predictions(got):
    """A list of strings stays; anything else is reported by its type (data only)."""
    if isinstance(got, tuple):
        got = list(got)
    if isinstance(got, list):
        return [g if isinstance(g, str) else f"<{type(g).__name__}: {g!r:.40}>" for g in got]
    return f"<{type(got).__name__}>"


class _ScriptedClassifier(nn.Module):
    """Stand-in model for predict: decodes the names it is fed (packed or a (T, B, L) tensor),
    records its mode and grad mode, and answers each name with a row of log-probabilities whose
    largest entry is the class scripted for that name."""

    def __init__(self, script: dict, n_languages: int):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.script, self.n_languages = script, n_languages
        self.calls: list[dict] = []

    def _row(self, name: str) -> torch.Tensor:
        g = torch.Generator().manual_seed(sum(ord(ch) * (i + 1) for i, ch in enumerate(name)))
        scores = torch.randn(self.n_languages, generator=g)
        if name in self.script:
            scores[self.script[name]] = scores.max() + 2.0
        return torch.log_softmax(scores, dim=-1)

    def forward(self, x):
        if isinstance(x, PackedSequence):
            padded, lengths = pad_packed_sequence(x)
            lengths = lengths.tolist()
        else:
            padded, lengths = x, [x.shape[0]] * x.shape[1]
        names = ref.decode_one_hot(padded, lengths)
        self.calls.append(
            {"names": names, "training": self.training, "grad_enabled": torch.is_grad_enabled()}
        )
        return torch.stack([self._row(n) for n in names]) * self.scale


def predict_recorded(ns, script, names, start_in_training_mode):
    """The student's predict on a scripted stand-in model: what it returned for the names and
    for an empty list, the mode and grad mode of every forward call, and the mode after."""
    use_reference(ns, names_to_batch=ref.names_to_batch, LANGUAGES=list(ref.LANGUAGES))
    fn = need(ns, "predict")
    model = _ScriptedClassifier(script, len(ref.LANGUAGES))
    model.train(start_in_training_mode)
    got = _plain_predictions(fn(model, list(names)))
    mode_after = model.training
    try:
        empty = _plain_predictions(fn(model, []))
    except Exception as exc:  # reported, so that the other checks of this bundle still run
        empty = f"<raised {type(exc).__name__}: {exc}>"
    return {
        "predicted": got,
        "empty": empty,
        "calls": model.calls,
        "training_after": mode_after,
        "training_after_empty": model.training,
    }
