"""The assignment 3 hidden suite's own data and margins: checks of the checks.

Each test states what the hidden test asks and shows, over at least 20 seeds, that a correct
answer clears it with room to spare and that the typical mistake it targets does not.
"""

from __future__ import annotations

import torch

from autograder.suites.a03_name_generator import probes
from autograder.suites.a03_name_generator import reference as ref
from autograder.suites.a03_name_generator import test_name_generator as suite

SEEDS = [suite.SEED, *range(20)]


def _good_sampler(logits, C, generator=None):
    probs = ref.softmax_with_temperature(logits, C).float()
    return int(torch.multinomial(probs, 1, generator=generator))


def _chi2s(sampler, seed: int, n: int = suite.SAMPLES) -> list[float]:
    """The chi-square statistic of each tempered case of the hidden sampling test."""
    cases = [{"logits": logits, "C": C} for logits, C in suite.SAMPLING_CASES]
    got = probes.sampling({"sample_next": sampler}, cases, n, seed)
    out = []
    for (logits, C), counts in zip(suite.SAMPLING_CASES[:3], got["counts"]):
        expected = (torch.softmax(logits.double() / C, -1) * n).tolist()
        out.append(sum((o - e) ** 2 / e for o, e in zip(counts, expected)))
    return out


def test_chi_square_passes_a_correct_sampler_on_every_seed_tried():
    """The hidden test asks chi-square < 18.47 (4 degrees of freedom, p = 0.001) for each of 3
    cases; a correct sampler stays below 15 on every case of 21 seeds."""
    worst = max(max(_chi2s(_good_sampler, seed)) for seed in SEEDS)
    assert worst < 15.0, worst


def test_chi_square_fails_argmax_and_multiplying_by_c():
    """Sampling the argmax, or from softmax(a * C), is rejected by at least 10x the critical
    value on some case, for every seed."""

    def argmax(logits, C, generator=None):
        return int(logits.argmax())

    def times_c(logits, C, generator=None):
        return int(torch.multinomial(torch.softmax(logits * C, -1), 1, generator=generator))

    for wrong in (argmax, times_c):
        for seed in SEEDS[:5]:
            assert max(_chi2s(wrong, seed, 500)) > 10 * suite.CHI2_CRITICAL


def test_sampler_generator_checks_hold_for_a_correct_sampler_on_every_seed():
    """The hidden generator test asks: same seed -> same 40 draws, another seed -> other draws,
    global state untouched, generator=None follows torch.manual_seed. A correct sampler passes
    for every seed; one that ignores the generator fails for every seed."""

    def ignores_generator(logits, C, generator=None):
        return int(torch.multinomial(ref.softmax_with_temperature(logits, C).float(), 1))

    cases = [{"logits": suite.CHI2_LOGITS, "C": 1.0}]
    for seed in SEEDS:
        got = probes.sampling({"sample_next": _good_sampler}, cases, 1, seed)
        a, b = got["same_seed"]
        assert a == b and a != got["other_seed"] and got["global_untouched"]
        g1, g2, g3 = got["no_generator"]
        assert g1 == g2 and g1 != g3
        bad = probes.sampling({"sample_next": ignores_generator}, cases, 1, seed)
        assert bad["same_seed"][0] != bad["same_seed"][1] and not bad["global_untouched"]


def _stopping(name_nll, seed: int) -> tuple[float, float]:
    names = probes.train_with_nll({"name_nll": name_nll}, seed, suite.SYNTHETIC, 150, 1e-2, 60, 20)
    return sum(len(n) < 20 for n in names) / len(names), sum(map(len, names)) / len(names)


def test_training_learns_to_stop_only_with_the_endterm():
    """The hidden test asks that >= 90 % of 60 sampled names stop before 20 letters and that
    their mean length is within 1.5 of the data's. With the specified loss, every one of 21
    seeds has all names stopped and the mean within 1.2 (worst measured: 0.96); without
    the endterm < 20 % stop."""
    data_mean = sum(map(len, suite.SYNTHETIC)) / len(suite.SYNTHETIC)
    worst_stop, worst_gap = 1.0, 0.0
    for seed in SEEDS:
        stopped, mean = _stopping(ref.name_nll, seed)
        worst_stop, worst_gap = min(worst_stop, stopped), max(worst_gap, abs(mean - data_mean))
    assert worst_stop == 1.0 and worst_gap < 1.2, (worst_stop, worst_gap)

    def without_endterm(model, name):
        inputs, targets = ref.make_example(name)
        logits, _ = model(inputs.unsqueeze(1))
        return torch.nn.functional.cross_entropy(logits[:-1, 0], targets[:-1], reduction="sum")

    assert _stopping(without_endterm, suite.SEED)[0] < 0.2


def test_recording_model_modes_make_the_generate_checks_able_to_fail():
    """The stand-in's modes do what the generate tests rely on: 'sos_heavy' makes an unmasked
    draw pick SOS almost always, 'plain' names stop at EOS within max_length, 'never_eos' never
    stops, and a caller that drops the state sees another history (other logits)."""
    g = torch.Generator().manual_seed(0)
    model = ref.RecordingModel("sos_heavy", seed=suite.SEED)
    logits, _ = model(torch.tensor([[ref.SOS_INDEX]]))
    draws = [_good_sampler(logits[-1, 0], 1.0, g) for _ in range(200)]
    assert draws.count(ref.SOS_INDEX) > 190
    lengths = []
    for seed in SEEDS:
        model = ref.RecordingModel("plain", seed=suite.SEED)
        lengths.append(
            len(probes._reference_generate(model, 20, torch.Generator().manual_seed(seed)))
        )
    assert max(lengths) < 20 and min(lengths) >= 0, lengths
    model = ref.RecordingModel("never_eos", seed=suite.SEED)
    assert len(probes._reference_generate(model, 15, g)) == 15
    model = ref.RecordingModel("plain", seed=suite.SEED)
    first, state = model(torch.tensor([[ref.SOS_INDEX]]))
    carried, _ = model(torch.tensor([[5]]), state)
    dropped, _ = model(torch.tensor([[5]]))
    assert not torch.equal(carried, dropped)
    assert [e["state"] for e in model.log] == ["none", 0, "none"]
