"""Hidden tests for assignment 2 (an LSTM that tags every base of a DNA sequence).

One behaviour per test; points in grading.yml. Each test asks the worker to run a probe on the
student's code and asserts here, in the grader, on the data it returns. The oracle tests evaluate
the notebook's specification on the student's own weights (the probe sends them back) and compare
values and gradients.
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

# Edge batches: one example of one base; bases at both ends of the alphabet (A = 0, T = 3)
# next to padding; equal lengths; lengths neither sorted up nor down.
EDGE_BATCHES = [
    [("T", "1")],
    [("TTTT", "1111"), ("A", "0"), ("GATTACA", "0110011"), ("CG", "11"), ("TAT", "101")],
    [("AC", "01"), ("GT", "10")],
]
BATCH_CASES = [EXAMPLES, *EDGE_BATCHES]


def _batches(sub) -> list[dict]:
    results = sub.probe("make_batches", batches=BATCH_CASES)
    for examples, got in zip(BATCH_CASES, results):
        assert "error" not in got, f"make_batch({examples!r:.90}) raised {got.get('error')}"
    return results


def test_make_batch_shapes(sub):
    """make_batch returns time-major (T_max, B) long bases and tags, and the (B,) long lengths"""
    for examples, got in zip(BATCH_CASES, _batches(sub)):
        want = (max(len(b) for b, _ in examples), len(examples))
        for name in ("bases", "tags", "lengths"):
            assert got[name + "_type"] == "Tensor", (
                f"make_batch: {name} should be a torch.Tensor, got a {got[name + '_type']}"
            )
        for name in ("bases", "tags"):
            assert tuple(got[name].shape) == want, (
                f"make_batch on {len(examples)} examples of at most {want[0]} bases: {name} "
                f"should be time-major (T_max, B) = {want}, got {tuple(got[name].shape)}"
            )
        assert tuple(got["lengths"].shape) == (len(examples),), (
            f"lengths should have shape (B,) = ({len(examples)},), got "
            f"{tuple(got['lengths'].shape)}"
        )
        for name in ("bases", "tags", "lengths"):
            assert got[name + "_dtype"] == "torch.int64", (
                f"make_batch: {name} should be a long tensor (torch.int64), got "
                f"{got[name + '_dtype']}"
            )
        assert got["lengths"].tolist() == [len(b) for b, _ in examples], (
            "lengths should hold each example's length, in the examples' order"
        )


def test_make_batch_keeps_examples_and_order(sub):
    """batch column b holds examples[b]'s bases and tags, unshifted, for every base A..T"""
    for examples, got in zip(BATCH_CASES, _batches(sub)):
        bases, tags = _tensor(got["bases"], "bases"), _tensor(got["tags"], "tags")
        want_b, want_t, _ = ref.make_batch(examples)
        assert bases.shape == want_b.shape and tags.shape == want_t.shape, (
            "bases or tags has the wrong shape (see the shape test)"
        )
        for b, (seq, labels) in enumerate(examples):
            T = len(seq)
            assert torch.equal(bases[:T, b].long(), want_b[:T, b]), (
                f"bases column {b} does not encode {seq!r}: column b must be examples[b] (keep "
                "the callers' order), each base its index in BASES (encode_bases), in order"
            )
            assert torch.equal(tags[:T, b].long(), want_t[:T, b]), (
                f"tags column {b} does not hold the labels {labels!r} of the same positions "
                "(encode_tags; shifted by one? columns reordered?)"
            )


def test_make_batch_pads_with_zero(sub):
    """positions after a sequence's end hold 0 in both bases and tags"""
    for examples, got in zip(BATCH_CASES, _batches(sub)):
        bases, tags = _tensor(got["bases"], "bases"), _tensor(got["tags"], "tags")
        lengths = torch.tensor([len(b) for b, _ in examples])
        assert bases.shape[1:] == lengths.shape and tags.shape == bases.shape, (
            "bases or tags has the wrong shape (see the shape test)"
        )
        pad = ~ref.real_mask(lengths, bases.shape[0])
        for name, t in (("bases", bases), ("tags", tags)):
            assert not t[pad].any(), (
                f"make_batch({[b for b, _ in examples]}): {name} should hold 0 at every padded "
                f"position (after each sequence's end), found {sorted(set(t[pad].tolist()))}"
            )


# ------------------------------------------------------------------------ Part 2: Tagger

# The oracle: non-default sizes, so every size must come from the constructor's arguments.
ORACLE_SIZES = {"hidden": 5, "embedding_dim": 3, "n_tags": 3}


def _oracle_batches() -> list[dict]:
    """Mixed unsorted lengths (padded with 0, then with 3 extra rows of junk padding), batch
    size 1 without and with extra padding rows; all four bases occur, A and T at the ends."""
    g = torch.Generator().manual_seed(77)
    K = ORACLE_SIZES["n_tags"]
    mixed, mixed_lengths = _mixed_batch(7)
    mixed[0, 0], mixed[8, 0], mixed[12, 2] = 3, 0, 3
    junk = torch.cat([mixed, torch.zeros(3, mixed.shape[1], dtype=torch.long)])
    junk[~ref.real_mask(mixed_lengths, junk.shape[0])] = torch.randint(
        0, 4, (int((~ref.real_mask(mixed_lengths, junk.shape[0])).sum()),), generator=g
    )
    single = ref.encode_bases("TTAGCAT").unsqueeze(1)
    single_padded = torch.cat([ref.encode_bases("AGCTA"), torch.full((3,), 3)]).unsqueeze(1)
    cases = [
        (mixed, mixed_lengths),
        (junk, mixed_lengths),
        (single, torch.tensor([7])),
        (single_padded, torch.tensor([5])),
    ]
    batches = []
    for bases, lengths in cases:
        mask = ref.real_mask(lengths, bases.shape[0]).unsqueeze(-1)
        projection = torch.randn(*bases.shape, K, generator=g) * mask
        batches.append({"bases": bases, "lengths": lengths, "projection": projection})
    return batches


ORACLE_BATCHES = _oracle_batches()


def _describe_batch(batch: dict) -> str:
    T, B = batch["bases"].shape
    lengths = ", ".join(str(n) for n in batch["lengths"].tolist())
    return f"bases of shape (T, B) = ({T}, {B}) holding sequences of lengths {lengths}"


def _oracle(sub, bidirectional: bool) -> dict:
    return sub.probe(
        "tagger_oracle", seed=SEED, hidden=ORACLE_SIZES["hidden"], bidirectional=bidirectional,
        embedding_dim=ORACLE_SIZES["embedding_dim"], n_tags=ORACLE_SIZES["n_tags"],
        batches=ORACLE_BATCHES,
    )  # fmt: skip


def _constructor(bidirectional: bool) -> str:
    s = ORACLE_SIZES
    return (
        f"Tagger(hidden_size={s['hidden']}, bidirectional={bidirectional}, "
        f"embedding_dim={s['embedding_dim']}, n_tags={s['n_tags']})"
    )


def _structure_problem(layers: dict, bidirectional: bool) -> str | None:
    """What differs from the prescribed layers, or None."""
    H, E, K = ORACLE_SIZES["hidden"], ORACLE_SIZES["embedding_dim"], ORACLE_SIZES["n_tags"]
    D = 2 if bidirectional else 1
    want = (
        f"{_constructor(bidirectional)} should hold exactly one nn.Embedding({len(ref.BASES)}, "
        f"{E}), one nn.LSTM({E}, {H}, bidirectional={bidirectional}) (one layer) and one "
        f"nn.Linear({D * H}, {K}), built from the constructor's arguments"
    )
    counts = [len(layers[k]) for k in ("embed", "lstm", "head")]
    if counts != [1, 1, 1]:
        return f"{want}; found {counts[0]} Embedding, {counts[1]} LSTM and {counts[2]} Linear"
    if layers["other"]:
        return f"{want}, and no other parameters; found also {', '.join(layers['other'][:3])}"
    n, e, _ = layers["embed"][0]
    lstm = layers["lstm"][0]
    prescribed_lstm = {
        "input_size": E, "hidden_size": H, "num_layers": 1, "bidirectional": bidirectional,
        "bias": True, "proj_size": 0,
    }  # fmt: skip
    if (n, e) != (len(ref.BASES), E):
        return f"{want}; found nn.Embedding({n}, {e})"
    if lstm != prescribed_lstm:
        wrong = [f"{k}={lstm[k]}" for k in prescribed_lstm if lstm[k] != prescribed_lstm[k]]
        return f"{want}; the LSTM has {', '.join(wrong)}"
    if tuple(layers["head"][0]) != (D * H, K, True):
        i, o, _ = layers["head"][0]
        return f"{want}; found nn.Linear({i}, {o})"
    return None


def _reference_runs(info: dict, bidirectional: bool) -> list[dict]:
    """The specification evaluated on the student's own weights: logits, gradients of the same
    projection, and the gradient reaching the embedded input, for every oracle batch."""
    s = ORACLE_SIZES
    model = ref.ReferenceTagger(s["hidden"], bidirectional, s["embedding_dim"], s["n_tags"])
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(info["params"][name])
    embedded = []
    model.embed.register_forward_hook(lambda _m, _i, out: embedded.append(out))
    runs = []
    for batch in ORACLE_BATCHES:
        model.zero_grad(set_to_none=True)
        embedded.clear()
        out = model(batch["bases"], batch["lengths"])
        embedded[0].retain_grad()
        mask = ref.real_mask(batch["lengths"], out.shape[0])
        (out[mask] * batch["projection"][mask]).sum().backward()
        runs.append(
            {
                "logits": out.detach(),
                "grads": {k: p.grad.clone() for k, p in model.named_parameters()},
                "embedded_grad": embedded[0].grad.clone(),
                "embedded": embedded[0].detach().clone(),
            }
        )
    return runs


def _checked_oracle(sub, bidirectional: bool):
    info = _oracle(sub, bidirectional)
    problem = _structure_problem(info["layers"], bidirectional)
    assert problem is None, problem
    return info, _reference_runs(info, bidirectional)


def _real_logits(run: dict, batch: dict, bidirectional: bool) -> torch.Tensor:
    """The student's logits at the real positions, as (n_real, K); asserts a usable layout."""
    where = f"{_constructor(bidirectional)} on {_describe_batch(batch)}"
    assert "error" not in run, f"{where} raised {run.get('error')}"
    out = _tensor(run["logits"], "Tagger's output")
    T, B = batch["bases"].shape
    K = ORACLE_SIZES["n_tags"]
    longest = int(batch["lengths"].max())
    assert out.dim() == 3 and out.shape[1:] == (B, K) and out.shape[0] >= longest, (
        f"{where} returned logits of shape {tuple(out.shape)}; expected (T, B, n_tags) = "
        f"({T}, {B}, {K})"
    )
    return out[ref.real_mask(batch["lengths"], out.shape[0])]


def test_tagger_output_shape(sub):
    """forward maps (T, B) bases to (T, B, n_tags) logits: mixed lengths, batch size 1, and a
    time dimension longer than the longest sequence (extra padding rows)"""
    for bidirectional in (False, True):
        info = _oracle(sub, bidirectional)
        for run, batch in zip(info["runs"], ORACLE_BATCHES):
            where = f"{_constructor(bidirectional)} on {_describe_batch(batch)}"
            assert "error" not in run, f"{where} raised {run.get('error')}"
            out = _tensor(run["logits"], "Tagger's output")
            want = (*batch["bases"].shape, ORACLE_SIZES["n_tags"])
            hint = ""
            if out.dim() == 3 and out.shape[0] == int(batch["lengths"].max()) < want[0]:
                hint = (
                    ": the time dimension must stay T even when no sequence is that long "
                    "(pad_packed_sequence(..., total_length=T))"
                )
            assert tuple(out.shape) == want, (
                f"{where} should return logits of shape (T, B, n_tags) = {want}, got "
                f"{tuple(out.shape)}{hint}"
            )


def _scale_hint(got: torch.Tensor, want: torch.Tensor) -> str:
    if torch.allclose(got, torch.softmax(want, -1), atol=1e-4):
        return " They are the softmax probabilities: return the raw scores (logits)."
    if torch.allclose(got, torch.log_softmax(want, -1), atol=1e-4):
        return " They are log-probabilities: return the raw scores of the Linear (logits)."
    return ""


def _assert_logits_match(sub, bidirectional: bool):
    info, want_runs = _checked_oracle(sub, bidirectional)
    for run, want, batch in zip(info["runs"], want_runs, ORACLE_BATCHES):
        got = _real_logits(run, batch, bidirectional)
        expected = want["logits"][ref.real_mask(batch["lengths"], want["logits"].shape[0])]
        assert torch.allclose(got.double(), expected.double(), atol=1e-5, rtol=1e-4), (
            f"{_constructor(bidirectional)} on {_describe_batch(batch)}: the logits at the real "
            "positions are not the shared Linear applied to h_t of your own embedding and LSTM, "
            "with the batch packed by its lengths so that every sequence is read over exactly "
            "its own bases (both directions), in the batch's order."
            + _scale_hint(got.double(), expected.double())
        )


def test_causal_logits_match_the_specification(sub):
    """causal: logits = head(h_t) of the student's own embedding and packed LSTM, at every real
    position, for mixed unsorted lengths, batch size 1 and extra padding rows"""
    _assert_logits_match(sub, False)


def test_bidirectional_logits_match_the_specification(sub):
    """bidirectional: logits = head([forward h_t; backward h_t]), each direction over exactly the
    real bases (packed), on the student's own weights"""
    _assert_logits_match(sub, True)


def test_tagger_gradients_match_the_specification(sub):
    """backpropagating a fixed projection of the logits gives the specified gradients for every
    parameter and for the embedded input of every step (nothing detached or frozen)"""
    for bidirectional in (False, True):
        info, want_runs = _checked_oracle(sub, bidirectional)
        frozen = info["layers"]["embed"][0][2]
        for run, want, batch in zip(info["runs"], want_runs, ORACLE_BATCHES):
            where = f"{_constructor(bidirectional)} on {_describe_batch(batch)}"
            _real_logits(run, batch, bidirectional)
            assert "backward_error" not in run, (
                f"{where}: backward through the logits raised {run.get('backward_error')}"
            )
            grads = run["grads"]
            dead = [k for k, g in grads.items() if g is None]
            assert not dead, (
                f"{where}: no gradient reached {', '.join(dead)}; keep the logits connected to "
                "every layer (no detach(), no .data, no torch.no_grad() in forward)"
            )
            wrong = [
                k
                for k, g in grads.items()
                if not torch.allclose(g.double(), want["grads"][k].double(), atol=1e-5, rtol=1e-4)
            ]
            hint = ""
            if frozen is not None:
                hint = (
                    f" nn.Embedding(..., padding_idx={frozen}) never trains the embedding of "
                    f"base {ref.BASES[frozen] if 0 <= frozen < 4 else frozen}, a real base: "
                    "packing already keeps the padding out."
                )
            assert not wrong, (
                f"{where}: the gradient reaching {', '.join(wrong[:3])} is not the gradient of "
                "the specified computation (a detach(), a frozen embedding row, a state cut "
                "between steps?)." + hint
            )
            g = _embedded_grad_in_reference_layout(run, want)
            if g is not False:
                assert g is not None and torch.allclose(
                    g, want["embedded_grad"], atol=1e-5, rtol=1e-4
                ), (
                    f"{where}: the gradient reaching the embedded bases of some steps is not "
                    "the specified one: every step's embedding must feed the LSTM directly, "
                    "with nothing detached (e.g. the first steps must still get a gradient "
                    "from the outputs after them)"
                )


def _embedded_grad_in_reference_layout(run: dict, want: dict):
    """The gradient that reached the student's embedded bases, as (T, B, E) in the batch's
    column order; None if none reached them; False if the layout cannot be matched (then only
    the parameters' gradients are compared). Batch-first and reordered columns are fine."""
    g, values = run.get("embedded_grad", False), run.get("embedded")
    if not isinstance(values, torch.Tensor) or g is False:
        return False
    expected = want["embedded"]
    if values.shape != expected.shape and values.transpose(0, 1).shape == expected.shape:
        values = values.transpose(0, 1)
        g = None if g is None else g.transpose(0, 1)
    if values.shape != expected.shape:
        return False
    order = []
    for b in range(values.shape[1]):  # which batch column the student's column b holds
        same = [i for i in range(expected.shape[1]) if torch.equal(values[:, b], expected[:, i])]
        if len(same) != 1:
            return False
        order.append(same[0])
    if sorted(order) != list(range(len(order))):
        return False
    if g is None:
        return None
    return g[:, torch.tensor(order).argsort()]


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


# ---------------------------------------------------------------------- Part 3: the loss


def _loss_case(seed: int, lengths=(5, 2, 7), T: int | None = None, K: int = 2):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor(lengths)
    T = T or int(lengths.max())
    logits = torch.randn(T, len(lengths), K, generator=g) * 2
    tags = torch.randint(0, K, (T, len(lengths)), generator=g)
    return logits, tags, lengths


def _as_case(logits, tags, lengths) -> dict:
    return {"logits": logits, "tags": tags, "lengths": lengths}


# Mixed lengths; unsorted lengths with K = 3 tags and 3 extra padding rows; batch size 1
# without and with extra padding rows.
LOSS_CASES = [
    _as_case(*_loss_case(11)),
    _as_case(*_loss_case(14, lengths=(3, 8, 1, 6), T=11, K=3)),
    _as_case(*_loss_case(15, lengths=(4,))),
    _as_case(*_loss_case(16, lengths=(3,), T=6)),
]


def _with_non_finite_padding(case: dict) -> dict:
    """The same case with nan, +inf, -inf and 1e30 scores at the padded positions."""
    logits = case["logits"].clone()
    pad = ~ref.real_mask(case["lengths"], logits.shape[0])
    junk = torch.tensor([float("nan"), float("inf"), -float("inf"), 1e30])
    n = int(pad.sum()) * logits.shape[-1]
    logits[pad] = junk.repeat(n // 4 + 1)[:n].reshape(-1, logits.shape[-1])
    return _as_case(logits, case["tags"], case["lengths"])


NON_FINITE_CASES = [_with_non_finite_padding(c) for c in (LOSS_CASES[0], LOSS_CASES[1])]


def _describe_loss_case(case: dict) -> str:
    T, B, K = case["logits"].shape
    lengths = ", ".join(str(n) for n in case["lengths"].tolist())
    return f"logits of shape (T, B, K) = ({T}, {B}, {K}) with lengths {lengths}"


def _loss_results(sub, cases) -> list[dict]:
    results = sub.probe("loss_cases", cases=cases)
    for case, got in zip(cases, results):
        assert "error" not in got, (
            f"masked_mean_loss on {_describe_loss_case(case)}: {got.get('error')}"
        )
    return results


def _want_loss(case: dict) -> tuple[float, torch.Tensor]:
    logits = case["logits"].clone().requires_grad_(True)
    loss = ref.masked_mean_loss(logits, case["tags"], case["lengths"])
    loss.backward()
    return loss.item(), logits.grad


def _student_loss(sub, logits, tags, lengths) -> tuple[float, torch.Tensor]:
    got = sub.probe("loss_value", logits=logits, tags=tags, lengths=lengths)
    return float(_tensor(got["loss"], "the loss")), _tensor(got["grad"], "the gradient")


def test_loss_is_mean_cross_entropy_over_real_positions(sub):
    """the loss is the mean cross-entropy over all real positions (each counts once), for mixed
    and unsorted lengths, any number of tags, batch size 1 and extra padding rows"""
    for case, got in zip(LOSS_CASES, _loss_results(sub, LOSS_CASES)):
        want, _ = _want_loss(case)
        loss = float(got["loss"])
        assert abs(loss - want) < 1e-5, (
            f"masked_mean_loss on {_describe_loss_case(case)} returned {loss:.4f}; it should be "
            f"the cross-entropy of the raw scores, averaged over the {int(case['lengths'].sum())}"
            " real positions of the batch (not summed, not averaged per sequence first, padding "
            "excluded; the mask has T = logits.shape[0] rows)"
        )


def _assert_gradient(case: dict, got: dict, want: torch.Tensor, what: str):
    where = f"masked_mean_loss on {_describe_loss_case(case)}{what}"
    assert "backward_error" not in got, f"{where}: backward raised {got.get('backward_error')}"
    grad = got["grad"]
    assert grad is not None, (
        f"{where}: the loss is not connected to the logits (no gradient): build it from the "
        "logits with torch operations, without .item() or detach()"
    )
    pad = ~ref.real_mask(case["lengths"], grad.shape[0])
    assert torch.isfinite(grad).all() and not grad[pad].any(), (
        f"{where}: the gradient at padded positions should be exactly 0 and every gradient "
        "finite; a nan or inf score at a padded position must not reach the gradient (select "
        "the real positions, or replace the padded scores, before the cross-entropy)"
    )
    assert torch.allclose(grad, want, atol=1e-6, rtol=1e-4), (
        f"{where}: the gradient at the real positions is not that of the mean cross-entropy "
        "over the real positions"
    )


def test_loss_gradient_matches_the_specification(sub):
    """the loss's gradient with respect to the logits is that of the masked mean cross-entropy"""
    for case, got in zip(LOSS_CASES, _loss_results(sub, LOSS_CASES)):
        _assert_gradient(case, got, _want_loss(case)[1], "")


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


def test_loss_value_ignores_non_finite_padding(sub):
    """nan and inf scores at padded positions leave the loss finite and unchanged"""
    for case, got in zip(NON_FINITE_CASES, _loss_results(sub, NON_FINITE_CASES)):
        want, _ = _want_loss(case)
        loss = float(got["loss"])
        assert abs(loss - want) < 1e-5, (
            f"masked_mean_loss on {_describe_loss_case(case)}, with nan and inf scores at the "
            f"padded positions, returned {loss:.4f}: padded positions must not count at all, "
            "even when they hold nan (0 * nan is nan: select the real positions, or replace "
            "the padded scores, instead of multiplying by the mask)"
        )


def test_loss_gradient_ignores_non_finite_padding(sub):
    """with nan and inf scores at padded positions, the gradient is 0 there, unchanged elsewhere"""
    for case, got in zip(NON_FINITE_CASES, _loss_results(sub, NON_FINITE_CASES)):
        _assert_gradient(case, got, _want_loss(case)[1], ", nan and inf at padded positions,")


# ------------------------------------------------------------------ Part 4: the accuracy


def _accuracy_edge_cases() -> list[dict]:
    """Batch size 1; extra padding rows and K = 3 with exact ties (argmax takes the lower
    index); nan and inf scores at padded positions whose tags look right."""
    single = _loss_case(21, lengths=(6,))
    logits, tags, lengths = _loss_case(22, lengths=(4, 9, 2), T=12, K=3)
    logits[0, 0] = torch.tensor([1.0, 1.0, 0.0])  # tie between tags 0 and 1: argmax says 0
    logits[1, 1] = torch.tensor([0.0, 2.0, 2.0])  # tie between tags 1 and 2: argmax says 1
    logits[2, 2:] = torch.tensor([0.5, 0.5, 0.5])
    tags[0, 0], tags[1, 1], tags[3, 2] = 0, 1, 0
    non_finite = _with_non_finite_padding(_as_case(*_loss_case(23)))
    pad = ~ref.real_mask(non_finite["lengths"], non_finite["logits"].shape[0])
    non_finite["tags"] = non_finite["tags"].clone()
    non_finite["tags"][pad] = 0  # nan sorts first in argmax: the padding would look right
    return [_as_case(*single), _as_case(logits, tags, lengths), non_finite]


ACCURACY_MAIN = _loss_case(13)
_pad = ~ref.real_mask(ACCURACY_MAIN[2], ACCURACY_MAIN[0].shape[0])
ACCURACY_MAIN[1][_pad] = 1 - ACCURACY_MAIN[0].argmax(-1)[_pad]  # padding would all count wrong
ACCURACY_CASES = [_as_case(*ACCURACY_MAIN), *_accuracy_edge_cases()]


def _accuracy_results(sub, which: range) -> list[dict]:
    """The student's results on ACCURACY_CASES[which] (one probe runs all the cases)."""
    results = sub.probe("accuracy_cases", cases=ACCURACY_CASES)
    for i in which:
        case, got = ACCURACY_CASES[i], results[i]
        assert "error" not in got, (
            f"masked_accuracy on {_describe_loss_case(case)}: {got.get('error')}"
        )
        assert got["value"] is not None, (
            f"masked_accuracy should return a float, got a {got['type']}"
        )
    return [results[i] for i in which]


def _assert_accuracy(case: dict, got: dict, extra: str):
    want = ref.masked_accuracy(case["logits"], case["tags"], case["lengths"])
    assert abs(got["value"] - want) < 1e-6, (
        f"masked_accuracy on {_describe_loss_case(case)}{extra} returned {got['value']:.4f}: "
        f"it should be the fraction of the {int(case['lengths'].sum())} real positions where "
        "logits.argmax(dim=-1) equals the tag (all real positions of the batch pooled, "
        "padding excluded)"
    )


def test_accuracy_counts_real_positions_only(sub):
    """accuracy is the fraction of real positions whose argmax is the tag"""
    _assert_accuracy(ACCURACY_CASES[0], _accuracy_results(sub, range(1))[0], "")


def test_accuracy_edge_cases(sub):
    """batch size 1, extra padding rows, three tags with ties (argmax), nan at padded positions"""
    results = _accuracy_results(sub, range(1, len(ACCURACY_CASES)))
    notes = ["", " (ties between the highest scores go to the lower tag index, as argmax does)",
             " (nan and inf scores at padded positions)"]  # fmt: skip
    for case, got, note in zip(ACCURACY_CASES[1:], results, notes):
        _assert_accuracy(case, got, note)


def test_accuracy_returns_a_python_float(sub):
    """masked_accuracy returns a Python float, not a tensor"""
    got = _accuracy_results(sub, range(1))[0]
    assert got["is_float"], (
        f"masked_accuracy should return a Python float (e.g. with .item()), got a {got['type']}"
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


STEP_BATCH = ref.make_batch(ref.sample_examples(21, 6, 20, 60))


def _update(sub):
    bases, tags, lengths = STEP_BATCH
    got = sub.probe(
        "train_step_update", seed=SEED, hidden=HIDDEN, bases=bases, tags=tags,
        lengths=lengths, lr=0.1,
    )  # fmt: skip
    return got, _reference_sgd_step(got["before"], bases, tags, lengths, 0.1)


def test_train_step_returns_the_loss(sub):
    """train_step returns the batch's masked mean loss before the update, as a Python float"""
    got, want = _update(sub)
    loss = got["loss"]
    assert got["loss_type"] == "float", (
        f"train_step should return the loss as a Python float (loss.item()), got a "
        f"{got['loss_type']}"
    )
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
        "with plain SGD, the parameters after train_step should be p - lr * (gradient of "
        "masked_mean_loss on this batch): zero the old gradients first, then backward() on the "
        "masked mean loss itself (not scaled or summed), then one optimizer.step() (differs in: "
        + ", ".join(wrong[:3])
        + ")"
    )


def test_train_step_runs_one_forward_backward_step(sub):
    """train_step feeds the model the batch as given, once, with gradients on, then runs one
    backward and one optimizer.step(), in that order"""
    got, _ = _update(sub)
    bases, _, lengths = STEP_BATCH
    events, fed = got["events"], got["fed"]
    n = {e: events.count(e) for e in ("forward", "backward", "step")}
    assert n == {"forward": 1, "backward": 1, "step": 1}, (
        f"train_step ran the model {n['forward']} time(s), backward {n['backward']} time(s) and "
        f"optimizer.step() {n['step']} time(s); one step is one of each"
    )
    order = [e for e in events if e in ("forward", "backward", "step")]
    assert order == ["forward", "backward", "step"], (
        f"train_step called them in the order {', '.join(order)}: forward pass, then "
        "loss.backward(), then optimizer.step()"
    )
    args = fed[0]["args"]
    assert (
        len(args) == 2
        and all(isinstance(a, torch.Tensor) for a in args)
        and torch.equal(args[0], bases)
        and torch.equal(args[1], lengths)
    ), "train_step should call model(bases, lengths) with the batch exactly as it was given"
    assert fed[0]["grad_enabled"], "train_step ran the model with gradients switched off"


TRAIN = ref.sample_examples(31, 200, 40, 80)  # short sequences: a step costs ~10 ms
VAL = ref.sample_examples(32, 40)
# The training budget; tests/test_suite_a02_margins.py checks its margin over 20 seeds.
TRAIN_STEPS, TRAIN_BATCH, TRAIN_HIDDEN, TRAIN_LR = 40, 16, 16, 2e-2


def test_training_beats_the_context_free_rule(sub):
    """40 train_step calls make a bidirectional tagger clearly beat the one-base rule"""
    got = sub.probe(
        "train_and_evaluate", seed=SEED, hidden=TRAIN_HIDDEN, train=TRAIN, val=VAL,
        steps=TRAIN_STEPS, batch_size=TRAIN_BATCH, lr=TRAIN_LR,
    )  # fmt: skip
    bases, tags, lengths = ref.make_batch(VAL)
    logits = _tensor(got["logits"], "logits")
    assert logits.shape[:2] == bases.shape, "wrong logits shape"
    accuracy = ref.masked_accuracy(logits, tags, lengths)
    floor = ref.context_free_accuracy(VAL)  # 65 %; a correct train_step reaches 84-86 %
    assert accuracy > floor + 0.08, (
        f"after {TRAIN_STEPS} train_step calls (Adam, lr {TRAIN_LR:g}, batches of "
        f"{TRAIN_BATCH}) the tagger reaches "
        f"{accuracy:.1%} per-base accuracy; a correct train_step gets well above the "
        f"{floor:.1%} of the one-base rule"
    )
