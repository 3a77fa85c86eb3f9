"""The assignment 4 hidden suite's own data and margins: checks of the checks."""

from __future__ import annotations

import torch

from autograder.suites.a04_seq2seq import probes
from autograder.suites.a04_seq2seq import reference as ref
from autograder.suites.a04_seq2seq import test_seq2seq as suite

SEEDS = [suite.SEED, 0, 1, 2, 3, 4]


def _exact_after_training(ns: dict, seed: int) -> float:
    pairs = ref.easy_pairs()
    got = probes.learn_easy_pairs(ns, seed, pairs, 200, 32, 0.01, 64)
    return ref.exact_match(got["decoded"], [d for _, d in pairs])


def test_easy_pairs_are_the_dataset_rows_below_100():
    from datasets import numbers

    rows = [(w, d) for w, d in numbers.load("train") if int(d) < 100]
    assert sorted(rows, key=lambda p: int(p[1])) == ref.easy_pairs()


def test_a_correct_model_learns_the_easy_pairs_on_every_seed_tried():
    worst = min(_exact_after_training({"Seq2Seq": ref.Seq2Seq}, s) for s in SEEDS)
    assert worst >= 0.97  # the hidden test asks for 0.9


def test_a_decoder_that_ignores_the_encoder_cannot_learn_them():
    class Blind(ref.Seq2Seq):
        def forward(self, src, src_lengths, tgt_in):
            return self.decoder(tgt_in, None)[0]

    assert _exact_after_training({"Seq2Seq": Blind}, suite.SEED) <= 0.1


def test_correct_training_more_than_halves_the_loss_on_every_seed_tried():
    for seed in SEEDS:
        losses = probes.training_run({"train_step": ref.train_step}, seed, ref.easy_pairs(),
                                     120, 32, 0.01)  # fmt: skip
        assert sum(losses[-10:]) < 0.25 * sum(losses[:10])  # the hidden test asks for 0.5


def test_scripted_model_answers_by_length_and_punishes_decoding_past_eos():
    def run(out_lengths, max_length, never_eos=False):
        model = ref.ScriptedSeq2Seq(out_lengths, never_eos=never_eos)
        src_lengths = torch.tensor([5] * len(out_lengths))
        return ref.greedy_decode(model, torch.zeros(5, len(out_lengths), dtype=torch.long),
                                 src_lengths, max_length)  # fmt: skip

    assert [ref.decode_target(x) for x in run(suite.LENGTHS, 9)] == ["123", "1", "123456", "12"]
    assert [len(x) for x in run([9, 9], 5, never_eos=True)] == [5, 5]

    # Feeding EOS back after the end restarts the count, so output past EOS is visible.
    model = ref.ScriptedSeq2Seq([1])
    _, state = model.encoder(torch.zeros(3, 1, dtype=torch.long), torch.tensor([3]))
    tokens = []
    token = torch.tensor([[ref.SOS_INDEX]])
    for _ in range(4):
        logits, state = model.decoder(token, state)
        token = logits.argmax(-1)
        tokens.append(int(token))
    assert ref.decode_target(tokens) == "1$1$"


def test_scripted_model_gets_stuck_when_not_fed_its_prediction():
    model = ref.ScriptedSeq2Seq([4])
    _, state = model.encoder(torch.zeros(3, 1, dtype=torch.long), torch.tensor([3]))
    sos = torch.tensor([[ref.SOS_INDEX]])
    tokens = []
    for _ in range(4):
        logits, state = model.decoder(sos, state)  # always SOS: not its own prediction
        tokens.append(int(logits.argmax(-1)))
    assert ref.EOS_INDEX not in tokens and ref.decode_target(tokens[1:]) == "000"


def test_char_accuracy_cases_cover_missing_and_extra_digits():
    values = [ref.char_accuracy(p, e) for p, e in suite.METRIC_CASES]
    assert values[0] == 1.0 and 0 < values[1] < 1 and 0 < values[2] < 1
    # Dividing by the expected length instead would change the verdict on the last two cases.
    wrong = [
        sum(sum(a == b for a, b in zip(p, e)) for p, e in zip(P, E)) / sum(len(e) for e in E)
        for P, E in suite.METRIC_CASES
    ]
    assert wrong[1:] != values[1:]
