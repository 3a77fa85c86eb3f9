"""The assignment 3 hidden suite's own data and margins: checks of the checks."""

from __future__ import annotations

import torch

from autograder.suites.a03_name_generator import probes
from autograder.suites.a03_name_generator import reference as ref
from autograder.suites.a03_name_generator import test_name_generator as suite


def _good_sampler(logits, C, generator=None):
    probs = ref.softmax_with_temperature(logits, C).float()
    return int(torch.multinomial(probs, 1, generator=generator))


def _chi2(sampler, seed: int) -> float:
    counts = probes.sample_counts({"sample_next": sampler}, suite.CHI2_LOGITS, 0.7, 2000, seed)
    expected = (torch.softmax(suite.CHI2_LOGITS.double() / 0.7, -1) * 2000).tolist()
    return sum((o - e) ** 2 / e for o, e in zip(counts, expected))


def test_chi_square_passes_a_correct_sampler_on_every_seed_tried():
    assert max(_chi2(_good_sampler, seed) for seed in [suite.SEED, *range(10)]) < 10.0


def test_chi_square_fails_argmax_and_multiplying_by_c():
    def argmax(logits, C, generator=None):
        return int(logits.argmax())

    def times_c(logits, C, generator=None):
        return int(torch.multinomial(torch.softmax(logits * C, -1), 1, generator=generator))

    for wrong in (argmax, times_c):
        assert _chi2(wrong, suite.SEED) > 10 * suite.CHI2_CRITICAL


def _stopping(name_nll, seed: int) -> tuple[float, float]:
    names = probes.train_with_nll({"name_nll": name_nll}, seed, suite.SYNTHETIC, 150, 1e-2, 60, 20)
    return sum(len(n) < 20 for n in names) / len(names), sum(map(len, names)) / len(names)


def test_training_learns_to_stop_only_with_the_endterm():
    data_mean = sum(map(len, suite.SYNTHETIC)) / len(suite.SYNTHETIC)
    for seed in (suite.SEED, 1):
        stopped, mean = _stopping(ref.name_nll, seed)
        assert stopped == 1.0 and abs(mean - data_mean) < 0.75  # the test allows 0.9 and 1.5

    def without_endterm(model, name):
        inputs, targets = ref.make_example(name)
        logits, _ = model(inputs.unsqueeze(1))
        return torch.nn.functional.cross_entropy(logits[:-1, 0], targets[:-1], reduction="sum")

    assert _stopping(without_endterm, suite.SEED)[0] < 0.2


def test_scripted_counter_model_needs_the_state():
    g = torch.Generator().manual_seed(0)
    model = ref.ScriptedModel("counter")
    assert probes._reference_generate(model, 5, g) == "abcde"
