#!/usr/bin/env python3
"""Reference LSTM (batched, packed) vs the tutorial-style hand-written RNN, on the same split.

    .venv/bin/python bench/bench_classifier.py                 # full: 100k baseline steps
    .venv/bin/python bench/bench_classifier.py --quick         # ~30 s smoke run

Both models are trained on the train split, scored on the test split. Training seconds exclude
the evaluation passes. "s to baseline acc" is the LSTM's training time until its test accuracy,
checked every --eval-every batches, first reaches the baseline's final test accuracy.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _machine import print_header  # bench/ is sys.path[0] when run as a script

from autograder.suites.a01_lstm_classifier.reference import (  # noqa: E402
    N_LETTERS,
    ReferenceClassifier,
    name_to_tensor,
    names_to_batch,
)
from datasets.surnames import languages, load  # noqa: E402

LANGUAGES = languages()


class CharRNN(nn.Module):
    """h_t = tanh(W_ih x_t + W_hh h_{t-1} + b); log_softmax(W_hy h_T + b_y). One name at a time."""

    def __init__(self, n_letters: int, hidden_size: int, n_languages: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.W_ih = nn.Linear(n_letters, hidden_size)
        self.W_hh = nn.Linear(hidden_size, hidden_size, bias=False)
        self.W_hy = nn.Linear(hidden_size, n_languages)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(self.hidden_size)
        for x_t in x:
            h = torch.tanh(self.W_ih(x_t) + self.W_hh(h))
        return torch.log_softmax(self.W_hy(h), dim=-1)


def scores(predicted: list[int], pairs: list[tuple[str, str]]) -> tuple[float, float]:
    """(accuracy, macro accuracy = mean over languages of the per-language accuracy)."""
    targets = [LANGUAGES.index(lang) for _, lang in pairs]
    hits = [p == t for p, t in zip(predicted, targets, strict=True)]
    per_class = [
        sum(h for h, t in zip(hits, targets, strict=True) if t == k) / targets.count(k)
        for k in set(targets)
    ]
    return sum(hits) / len(hits), sum(per_class) / len(per_class)


def lstm_predict(model: nn.Module, names: list[str]) -> list[int]:
    model.eval()
    with torch.no_grad():
        out = model(names_to_batch(names)).argmax(dim=1).tolist()
    model.train()
    return out


def train_baseline(train, steps: int, seed: int):
    """Classic tutorial loop: random language, then a random name of it; SGD lr 0.005."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    by_lang = {lang: [n for n, lng in train if lng == lang] for lang in LANGUAGES}
    rnn = CharRNN(N_LETTERS, 128, len(LANGUAGES))
    optimizer = torch.optim.SGD(rnn.parameters(), lr=0.005)
    start = time.perf_counter()
    for _ in range(steps):
        k = rng.randrange(len(LANGUAGES))
        name = rng.choice(by_lang[LANGUAGES[k]])
        optimizer.zero_grad()
        loss = -rnn(name_to_tensor(name))[k]
        loss.backward()
        optimizer.step()
    return rnn, time.perf_counter() - start


def baseline_predict(rnn: CharRNN, names: list[str]) -> list[int]:
    with torch.no_grad():
        return [rnn(name_to_tensor(n)).argmax().item() for n in names]


def train_lstm(train, val, test, epochs: int, eval_every: int, seed: int):
    """Batch 64, Adam 3e-3, hidden 128; keep the best-val checkpoint. Also returns the
    (training seconds, test accuracy) curve, measured every eval_every batches."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = ReferenceClassifier(hidden_size=128, n_languages=len(LANGUAGES))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    test_names = [n for n, _ in test]
    curve, best_val, best_state, best_epoch, seconds, batch_no = [], -1.0, None, 0, 0.0, 0
    for epoch in range(1, epochs + 1):
        pairs = rng.sample(train, k=len(train))
        for i in range(0, len(pairs), 64):
            chunk = pairs[i : i + 64]
            targets = torch.tensor([LANGUAGES.index(lang) for _, lang in chunk])
            t0 = time.perf_counter()
            optimizer.zero_grad()
            loss = nn.functional.nll_loss(model(names_to_batch([n for n, _ in chunk])), targets)
            loss.backward()
            optimizer.step()
            seconds += time.perf_counter() - t0
            batch_no += 1
            if batch_no % eval_every == 0:
                curve.append((seconds, scores(lstm_predict(model, test_names), test)[0]))
        val_acc = scores(lstm_predict(model, [n for n, _ in val]), val)[0]
        if val_acc > best_val:
            best_val, best_epoch = val_acc, epoch
            best_state = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    return model, seconds, curve, best_epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-steps", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=8, help="LSTM epochs")
    parser.add_argument("--eval-every", type=int, default=50, help="LSTM batches between checks")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smoke run: 10k steps, 2 epochs")
    args = parser.parse_args()
    if args.quick:
        args.baseline_steps, args.epochs = 10_000, 2

    print_header(torch.__version__, f"threads={args.threads}, seed={args.seed}")
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    train, val, test = load("train"), load("val"), load("test")
    print(f"data: train {len(train):,}, val {len(val):,}, test {len(test):,} names")
    test_names = [n for n, _ in test]

    rnn, rnn_seconds = train_baseline(train, args.baseline_steps, args.seed)
    rnn_acc, rnn_macro = scores(baseline_predict(rnn, test_names), test)
    model, lstm_seconds, curve, best_epoch = train_lstm(
        train, val, test, args.epochs, args.eval_every, args.seed
    )
    lstm_acc, lstm_macro = scores(lstm_predict(model, test_names), test)
    reach = next((s for s, acc in curve if acc >= rnn_acc), None)
    majority = max(LANGUAGES, key=[lang for _, lang in train].count)
    maj_acc, maj_macro = scores([LANGUAGES.index(majority)] * len(test), test)

    rows = [
        (
            f"LSTM ref, {args.epochs} ep, b64",
            f"{lstm_seconds:.1f}",
            lstm_acc,
            lstm_macro,
            f"{reach:.1f}" if reach is not None else "not reached",
        ),
        (
            f"RNN baseline, {args.baseline_steps:,} st",
            f"{rnn_seconds:.1f}",
            rnn_acc,
            rnn_macro,
            "-",
        ),
        (f"always {majority}", "-", maj_acc, maj_macro, "-"),
    ]
    print(f"\n{'model':<28} {'train s':>8} {'test acc':>9} {'macro acc':>10} {'s to RNN acc':>13}")
    for name, secs, acc, mac, to_rnn in rows:
        print(f"{name:<28} {secs:>8} {acc:>9.1%} {mac:>10.1%} {to_rnn:>13}")
    print(
        f"LSTM scored at its best-val epoch ({best_epoch}); s to RNN acc: resolution "
        f"{args.eval_every} batches; majority = largest train class"
    )
    print(f"load avg at the end: {os.getloadavg()[0]:.2f} (this run alone adds ~{args.threads})")
    print(f"\nLSTM test accuracy every {args.eval_every} batches (train s: acc):")
    print("  " + ", ".join(f"{s:.1f}: {a:.1%}" for s, a in curve))


if __name__ == "__main__":
    main()
