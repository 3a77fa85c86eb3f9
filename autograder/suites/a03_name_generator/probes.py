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
    model = _student_model(ns, seed, len(ref.VOCAB), embedding_dim, hidden)
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


def _student_model(ns, seed, *sizes):
    cls = need(ns, "NameGenerator", "class")
    torch.manual_seed(seed)
    model = cls(*sizes)
    if not isinstance(model, nn.Module):
        raise ProbeFailure("`NameGenerator(...)` should create an nn.Module")
    return model


def model_oracle(ns, seed, embedding_dim, hidden, cases):
    """The student's model on each case {inputs, h0, c0 (or None), weights}: its logits and final
    state, the gradient of sum(weights * (logits, h, c)) w.r.t. its parameters and the initial
    state, and its parameters (the grader recomputes all of it with the reference)."""
    model = _student_model(ns, seed, len(ref.VOCAB), embedding_dim, hidden)
    params = {name: p.detach().clone() for name, p in model.named_parameters()}
    out = []
    for case in cases:
        model.zero_grad()
        state = None
        if case["h0"] is not None:
            state = (case["h0"].clone().requires_grad_(), case["c0"].clone().requires_grad_())
        got = model(case["inputs"], state)
        try:
            logits, (h, c) = got
        except (TypeError, ValueError):
            raise ProbeFailure("`forward` should return (logits, (h, c))") from None
        w_logits, w_h, w_c = case["weights"]
        if logits.shape != w_logits.shape or h.shape != w_h.shape or c.shape != w_c.shape:
            raise ProbeFailure(
                f"`forward` on input_ids of shape {tuple(case['inputs'].shape)} returned logits "
                f"{tuple(logits.shape)}, h {tuple(h.shape)}, c {tuple(c.shape)}; expected "
                f"{tuple(w_logits.shape)}, {tuple(w_h.shape)} and {tuple(w_c.shape)}"
            )
        scalar = (logits * w_logits).sum() + (h * w_h).sum() + (c * w_c).sum()
        if scalar.requires_grad:
            scalar.backward()
        out.append(
            {
                "logits": logits,
                "h": h,
                "c": c,
                "grads": {name: _grad_or_zero(p) for name, p in model.named_parameters()},
                "state_grads": None if state is None else [_grad_or_zero(t) for t in state],
            }
        )
    defaults = {}
    try:
        default_model = need(ns, "NameGenerator", "class")()
        defaults = {n: list(p.shape) for n, p in default_model.named_parameters()}
    except Exception as exc:  # noqa: BLE001 - reported as this check's failure
        defaults = {"error": _describe(exc)}
    return {"params": params, "cases": out, "defaults": defaults}


def _describe(exc: Exception) -> str:
    """What the student's code raised, as the worker reports it (where in their code)."""
    try:
        from autograder.worker import describe_exception

        return describe_exception(exc)
    except ImportError:
        return f"{type(exc).__name__}: {exc}"


def _grad_or_zero(t):
    return t.grad.clone() if t.grad is not None else torch.zeros_like(t)


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
    state = {name: t.clone() for name, t in model.state_dict().items()}
    total = torch.stack(values).sum()
    if total.requires_grad:
        total.backward()
    grads = {name: _grad_or_zero(p) for name, p in model.named_parameters()}
    return {"values": values, "state": state, "grads": grads}


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


def temperature_cases(ns, cases):
    """The student's softmax_with_temperature on each case {logits, C}: the result (or what it
    raised, or the type it returned) and whether the logits passed in were left unchanged."""
    fn = need(ns, "softmax_with_temperature")
    out = []
    for case in cases:
        logits = case["logits"].clone()
        try:
            probs = fn(logits, case["C"])
        except Exception as exc:  # noqa: BLE001 - one case's failure, reported by its test
            out.append({"error": _describe(exc)})
            continue
        if not isinstance(probs, torch.Tensor):
            probs = f"a {type(probs).__name__}"
        out.append({"probs": probs, "unchanged": torch.equal(logits, case["logits"])})
    return out


def sampling(ns, cases, n, seed):
    """The student's sample_next (with the reference softmax_with_temperature): counts of n
    seeded draws for each case {logits, C}, and runs that show which random generator it uses."""
    use_reference(ns, softmax_with_temperature=ref.softmax_with_temperature)
    fn = need(ns, "sample_next")
    first = fn(torch.zeros(5), 1.0, torch.Generator().manual_seed(seed))
    counts = []
    for i, case in enumerate(cases):
        g = torch.Generator().manual_seed(seed + i)
        row = [0] * case["logits"].shape[-1]
        for _ in range(n):
            row[_index(fn(case["logits"].clone(), case["C"], g), len(row))] += 1
        counts.append(row)

    flat = torch.zeros(8)

    def draws(generator, k=40):
        return [_index(fn(flat.clone(), 1.0, generator), 8) for _ in range(k)]

    torch.manual_seed(1)
    global_before = torch.get_rng_state()
    same_a = draws(torch.Generator().manual_seed(seed))
    global_untouched = torch.equal(global_before, torch.get_rng_state())
    torch.manual_seed(2)
    same_b = draws(torch.Generator().manual_seed(seed))
    other = draws(torch.Generator().manual_seed(seed + 1))
    torch.manual_seed(3)
    global_a = draws(None)
    torch.manual_seed(3)
    global_b = draws(None)
    torch.manual_seed(4)
    global_other = draws(None)
    return {
        "type": type(first).__name__,
        "counts": counts,
        "same_seed": [same_a, same_b],
        "other_seed": other,
        "global_untouched": global_untouched,
        "no_generator": [global_a, global_b, global_other],
    }


def _index(value, size: int) -> int:
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
        value = int(value.item())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
        raise ProbeFailure(
            f"`sample_next` should return an index in 0..{size - 1} (a Python int), got "
            f"{value!r:.60}"
        )
    return value


def generate_runs(ns, runs, seed):
    """The student's generate on recording stand-in models (reference.RecordingModel), with a
    recording reference sampler, so that only generate itself is under test. Each run {mode,
    start, max_length, C, train, repeat} gives the names (or what generate raised), the log of
    model calls and draws, and the modes after it returned."""
    log: list = []
    sampler = _RecordingSampler(log)
    use_reference(ns, sample_next=sampler, softmax_with_temperature=ref.softmax_with_temperature)
    fn = need(ns, "generate")
    out = []
    for run in runs:
        log.clear()
        model = ref.RecordingModel(run["mode"], seed=seed, log=log)
        model.train(run.get("train", False))
        g = torch.Generator().manual_seed(run.get("seed", seed))
        sampler.generator = g
        torch.manual_seed(run.get("global_seed", seed))
        g_before = g.get_state()
        names = []
        try:
            for _ in range(run.get("repeat", 1)):
                got = fn(model, start=run["start"], max_length=run["max_length"], C=run["C"],
                         generator=g)  # fmt: skip
                names.append(got if isinstance(got, str) else f"<a {type(got).__name__}>")
        except Exception as exc:  # noqa: BLE001 - one run's failure, reported by its tests
            names.append({"error": _describe(exc)})
        out.append(
            {
                "names": names,
                "log": list(log),
                "training_after": model.training,
                "grad_after": torch.is_grad_enabled(),
                "generator_used": not torch.equal(g_before, g.get_state()),
            }
        )
        torch.set_grad_enabled(True)
    return out


class _RecordingSampler:
    """The reference sample_next, appending each draw (its logits, C, whether the generator
    passed is the one given to generate, the token) to the log the model writes too."""

    def __init__(self, log: list):
        self.log = log
        self.generator = None

    def __call__(self, logits, C, generator=None):
        if not isinstance(logits, torch.Tensor):
            raise ProbeFailure("`generate` should pass sample_next a tensor of logits, shape (V,)")
        token = _reference_sample_next(logits, C, generator)
        self.log.append(
            {
                "kind": "draw",
                "logits": logits.detach().clone(),
                "C": float(C) if isinstance(C, int | float) else repr(C)[:40],
                "generator": generator is self.generator,
                "token": token,
            }
        )
        return token


def _reference_sample_next(logits, C, generator=None):
    probs = ref.softmax_with_temperature(logits, C).float()
    return int(torch.multinomial(probs, 1, generator=generator))
