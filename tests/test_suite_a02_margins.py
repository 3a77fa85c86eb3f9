"""The assignment 2 hidden suite's own data and margins: checks of the checks."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from autograder.suites.a02_sequence_tagger import reference as ref
from autograder.suites.a02_sequence_tagger import test_sequence_tagger as suite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "datasets" / "cpg"))
import hmm  # noqa: E402  (datasets/cpg/hmm.py, the data set's own model)

SEEDS = range(20)
STEPS, BATCH_SIZE, HIDDEN, LR = (
    suite.TRAIN_STEPS,
    suite.TRAIN_BATCH,
    suite.TRAIN_HIDDEN,
    suite.TRAIN_LR,
)


def test_suite_samples_from_the_data_sets_model():
    assert ref.STAY == hmm.STAY
    assert ref.EMISSIONS == hmm.EMISSION.tolist()


def _accuracy(seed: int, zero_grad: bool = True) -> float:
    """The training test's procedure (probe train_and_evaluate) with the reference train_step."""
    torch.set_num_threads(1)
    model = ref.make_reference_model(seed, HIDDEN, bidirectional=True)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    g = torch.Generator().manual_seed(seed)
    for _ in range(STEPS):
        idx = torch.randint(0, len(suite.TRAIN), (BATCH_SIZE,), generator=g).tolist()
        bases, tags, lengths = ref.make_batch([suite.TRAIN[i] for i in idx])
        if zero_grad:
            opt.zero_grad()
        ref.masked_mean_loss(model(bases, lengths), tags, lengths).backward()
        opt.step()
    bases, tags, lengths = ref.make_batch(suite.VAL)
    model.eval()
    with torch.no_grad():
        return ref.masked_accuracy(model(bases, lengths), tags, lengths)


def test_training_margin_holds_across_seeds():
    """test_training_beats_the_context_free_rule asks a correct train_step to lift the val
    accuracy above the one-base rule + 8 points (about 73 %) within 40 Adam steps. Over 20 model
    and batch-order seeds, the reference stays at least 8 points above that threshold."""
    threshold = ref.context_free_accuracy(suite.VAL) + 0.08
    accuracies = [_accuracy(seed) for seed in SEEDS]
    worst = min(accuracies)
    assert worst > threshold + 0.08, (worst, threshold)


def test_stale_gradients_fail_the_training_test_clearly():
    """Without zero_grad the accumulated gradients keep the tagger below the one-base rule
    itself (8 points under the threshold) at the seed the hidden test uses."""
    assert _accuracy(suite.SEED, zero_grad=False) < ref.context_free_accuracy(suite.VAL)
