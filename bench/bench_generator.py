#!/usr/bin/env python3
"""Bigram counts vs a tutorial-style RNN vs the reference LSTM (assignment 3), on the same split.

    .venv/bin/python bench/bench_generator.py                 # full: 100k RNN + 3,000 LSTM steps
    .venv/bin/python bench/bench_generator.py --quick         # smoke run, ~30 s

All three models are fitted on the train split of datasets/names and scored on the test split by
the held-out negative log-likelihood per character, EOS included: the sum over the test names of
-log P(letters, then EOS) divided by the number of predicted tokens, sum of (len + 1).

- bigram: add-one smoothed counts of (previous token, SOS or a letter) -> (next token, a letter
  or EOS), 27 x 27, as in the notebook's baseline (SOS is never a next token).
- tutorial RNN: h_t = tanh(W_ih x_t + W_hh h_{t-1} + b) from nn.Linear on one-hot input, hidden
  128, logits W_hy h_t; one random training name per step, loss = name_nll (summed over the
  name's len + 1 predictions), SGD lr 0.005.
- LSTM ref: the hidden suite's ReferenceGenerator (Embedding 16, nn.LSTM hidden 128, Linear),
  trained as in the notebook: shuffled batches of 64 padded names, mean cross-entropy over the
  real positions, Adam lr 5e-3, lr / 5 for the last quarter of the steps.

Training seconds include building the batches and exclude evaluation. The LSTM's test NLL is
checked every --eval-every steps on the full test split (one padded batch, exact because the LSTM
is causal); "s to goal" is the training time at the first check where it is at least GOAL_NATS
below the bigram's test NLL (so it is rounded up to the next check).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _machine import print_header  # bench/ is sys.path[0] when run as a script

from autograder.suites.a03_name_generator.reference import (  # noqa: E402
    EOS_INDEX,
    SOS_INDEX,
    VOCAB,
    ReferenceGenerator,
    make_example,
    name_nll,
)
from datasets.names import load  # noqa: E402

RNN_STEPS = 100_000
LSTM_STEPS = 3_000  # the notebook's N_STEPS; its LR_DROP_AT = 2,250 = 3/4 of them
QUICK_RNN_STEPS, QUICK_LSTM_STEPS = 20_000, 1_000
BATCH_SIZE = 64
GOAL_NATS = 0.45  # the goal: the LSTM beats the bigram by this much ...
GOAL_SECONDS = 60.0  # ... within this many seconds of training


class TutorialRNN(nn.Module):
    """h_t = tanh(W_ih x_t + W_hh h_{t-1} + b) on one-hot x_t; logits W_hy h_t.

    Same interface as ReferenceGenerator: forward(input_ids (T, B), h) -> (logits (T, B, V), h),
    so the suite's name_nll applies to it unchanged."""

    def __init__(self, vocab_size: int = len(VOCAB), hidden_size: int = 128):
        super().__init__()
        self.vocab_size, self.hidden_size = vocab_size, hidden_size
        self.W_ih = nn.Linear(vocab_size, hidden_size)
        self.W_hh = nn.Linear(hidden_size, hidden_size, bias=False)
        self.W_hy = nn.Linear(hidden_size, vocab_size)

    def forward(self, input_ids: torch.Tensor, state: torch.Tensor | None = None):
        x = nn.functional.one_hot(input_ids, self.vocab_size).float()  # (T, B, V)
        h = torch.zeros(input_ids.shape[1], self.hidden_size) if state is None else state
        hs = []
        for x_t in x:
            h = torch.tanh(self.W_ih(x_t) + self.W_hh(h))
            hs.append(h)
        return self.W_hy(torch.stack(hs)), h


def batch_of_names(names: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """The notebook's batches: (inputs, targets), both (T_max + 1, B); inputs padded with EOS,
    targets with -100."""
    examples = [make_example(name) for name in names]
    inputs = pad_sequence([x for x, _ in examples], padding_value=EOS_INDEX)
    targets = pad_sequence([y for _, y in examples], padding_value=-100)
    return inputs, targets


def batch_nll_per_char(model: nn.Module, names: list[str]) -> float:
    """Summed cross-entropy over the real positions of one padded batch / their number. Equal
    to the per-name definition for a causal model (padding comes after each name's EOS)."""
    inputs, targets = batch_of_names(names)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits, _ = model(inputs)
        total = nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            targets.reshape(-1),
            ignore_index=-100,
            reduction="sum",
        ).item()
    model.train(was_training)
    return total / sum(len(name) + 1 for name in names)


def name_nll_per_char(model: nn.Module, names: list[str]) -> float:
    """The definition: sum of the suite's name_nll over the names / sum of (len + 1)."""
    model.eval()
    with torch.no_grad():
        total = sum(name_nll(model, name).item() for name in names)
    return total / sum(len(name) + 1 for name in names)


def bigram_probabilities(names: list[str]) -> torch.Tensor:
    """(V, V) float64: row = current token, column = next token; add-one over the 27 possible
    next tokens (EOS and the letters). Only the SOS and letter rows are ever used."""
    counts = torch.ones(len(VOCAB), len(VOCAB), dtype=torch.float64)
    for name in names:
        inputs, targets = make_example(name)
        counts.index_put_((inputs, targets), torch.ones(len(targets), dtype=torch.float64), True)
    counts[:, SOS_INDEX] = 0  # SOS is never a next token
    return counts / counts.sum(dim=1, keepdim=True)


def bigram_nll_per_char(probs: torch.Tensor, names: list[str]) -> float:
    examples = [make_example(name) for name in names]
    inputs = torch.cat([x for x, _ in examples])
    targets = torch.cat([y for _, y in examples])
    return -probs[inputs, targets].log().sum().item() / len(targets)


def train_rnn(train: list[str], test: list[str], steps: int, eval_every: int, seed: int):
    """One uniformly random training name per step, loss = name_nll (sum), SGD lr 0.005.

    Returns (model, training seconds, curve of (step, training seconds, test NLL/char))."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    rnn = TutorialRNN(hidden_size=128)
    optimizer = torch.optim.SGD(rnn.parameters(), lr=0.005)
    seconds, curve, t0 = 0.0, [], time.perf_counter()
    for step in range(1, steps + 1):
        loss = name_nll(rnn, rng.choice(train))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % eval_every == 0 or step == steps:
            seconds += time.perf_counter() - t0
            curve.append((step, seconds, batch_nll_per_char(rnn, test)))
            t0 = time.perf_counter()
    return rnn, seconds, curve


def train_lstm(train: list[str], test: list[str], steps: int, eval_every: int, seed: int):
    """The notebook's train_generator: shuffled epochs of batches of 64 (the tail dropped), Adam
    lr 5e-3, lr / 5 from step round(0.75 * steps) on (2,250 of 3,000).

    Returns (model, training seconds, curve of (step, training seconds, test NLL/char))."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = ReferenceGenerator(len(VOCAB), embedding_dim=16, hidden_size=128)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    drop_at = round(0.75 * steps)
    names, step, seconds, curve = list(train), 0, 0.0, []
    model.train()
    while step < steps:
        rng.shuffle(names)
        for i in range(0, len(names) - BATCH_SIZE + 1, BATCH_SIZE):
            t0 = time.perf_counter()
            inputs, targets = batch_of_names(names[i : i + BATCH_SIZE])
            logits, _ = model(inputs)
            loss = nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step == drop_at:
                for group in optimizer.param_groups:
                    group["lr"] = 5e-3 / 5
            seconds += time.perf_counter() - t0
            if step % eval_every == 0 or step == steps:
                curve.append((step, seconds, batch_nll_per_char(model, test)))
            if step == steps:
                break
    return model, seconds, curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rnn-steps", type=int, default=RNN_STEPS, help=f"tutorial RNN steps (default {RNN_STEPS})"
    )
    parser.add_argument(
        "--lstm-steps", type=int, default=LSTM_STEPS, help=f"LSTM steps (default {LSTM_STEPS})"
    )
    parser.add_argument("--eval-every", type=int, default=100, help="LSTM steps between checks")
    parser.add_argument(
        "--rnn-eval-every", type=int, default=10_000, help="RNN steps between checks"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_RNN_STEPS:,} RNN and {QUICK_LSTM_STEPS} LSTM steps",
    )
    args = parser.parse_args()
    if args.quick:
        args.rnn_steps, args.lstm_steps = QUICK_RNN_STEPS, QUICK_LSTM_STEPS
        args.rnn_eval_every = min(args.rnn_eval_every, 4_000)

    wall_start = time.perf_counter()
    print_header(
        torch.__version__,
        f"threads={args.threads}, seed={args.seed}, "
        f"steps: RNN {args.rnn_steps:,}, LSTM {args.lstm_steps:,}",
    )
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    train, val, test = load("train"), load("val"), load("test")
    print(
        f"data: datasets/names train {len(train):,} / val {len(val):,} / test {len(test):,} "
        f"names; test {sum(len(n) + 1 for n in test):,} predicted tokens (letters + EOS)"
    )

    t0 = time.perf_counter()
    probs = bigram_probabilities(train)
    bigram_seconds = time.perf_counter() - t0
    bigram = {s: bigram_nll_per_char(probs, names) for s, names in (("val", val), ("test", test))}

    rnn, rnn_seconds, rnn_curve = train_rnn(
        train, test, args.rnn_steps, args.rnn_eval_every, args.seed
    )
    rnn_nll = {"val": name_nll_per_char(rnn, val), "test": name_nll_per_char(rnn, test)}

    lstm, lstm_seconds, lstm_curve = train_lstm(
        train, test, args.lstm_steps, args.eval_every, args.seed
    )
    lstm_nll = {"val": name_nll_per_char(lstm, val), "test": name_nll_per_char(lstm, test)}
    if abs(lstm_nll["test"] - lstm_curve[-1][2]) > 1e-4:
        raise SystemExit(
            f"batched test NLL {lstm_curve[-1][2]:.6f} != sum of name_nll {lstm_nll['test']:.6f}"
        )

    target = bigram["test"] - GOAL_NATS
    reach = next(((st, s) for st, s, nll in lstm_curve if nll <= target), None)
    within = [(st, s, nll) for st, s, nll in lstm_curve if s <= GOAL_SECONDS]

    uniform = math.log(len(VOCAB) - 1)  # 27 possible next tokens
    rows = [
        ("uniform (27 tokens)", uniform, uniform, None, "-", None),
        ("bigram, add-one", bigram["test"], bigram["val"], bigram_seconds, "counts", None),
        (
            "tutorial RNN, 1 name/st",
            rnn_nll["test"],
            rnn_nll["val"],
            rnn_seconds,
            f"{args.rnn_steps:,}",
            None,
        ),
        (
            "LSTM ref, batch 64",
            lstm_nll["test"],
            lstm_nll["val"],
            lstm_seconds,
            f"{args.lstm_steps:,}",
            reach,
        ),
    ]
    print(
        "\nTEST split, NLL per character incl. EOS (nats); vs bigram = model - bigram on test; "
        f"s to goal = training s until test NLL <= bigram - {GOAL_NATS:g}"
    )
    header = (
        f"{'model':<24} {'test NLL':>9} {'perplex':>8} {'vs bigram':>10} {'val NLL':>8} "
        f"{'train s':>8} {'steps':>8} {'s to goal':>10}"
    )
    print(header)
    for name, nll, val_nll, secs, steps, to_goal in rows:
        secs_txt = f"{secs:.1f}" if secs is not None else "-"
        goal_txt = "-"
        if name.startswith("LSTM"):
            goal_txt = f"{to_goal[1]:.1f}" if to_goal else "not reached"
        print(
            f"{name:<24} {nll:>9.3f} {math.exp(nll):>8.2f} {nll - bigram['test']:>+10.3f} "
            f"{val_nll:>8.3f} {secs_txt:>8} {steps:>8} {goal_txt:>10}"
        )

    met = reach is not None and reach[1] <= GOAL_SECONDS
    at_goal = (
        f"first at step {reach[0]:,}, {reach[1]:.1f} s of training" if reach else "never reached"
    )
    at_limit = (
        f"; at the last check within {GOAL_SECONDS:g} s (step {within[-1][0]:,}, "
        f"{within[-1][1]:.1f} s) it was {bigram['test'] - within[-1][2]:.3f} nats below the bigram"
        if within
        else ""
    )
    print(
        f"\ngoal (LSTM test NLL >= {GOAL_NATS:g} nats below the bigram's {bigram['test']:.3f}, "
        f"i.e. <= {target:.3f}, within {GOAL_SECONDS:g} s of training): "
        f"{'MET' if met else 'NOT MET'} ({at_goal}{at_limit}); final margin "
        f"{bigram['test'] - lstm_nll['test']:.3f} nats"
        + (" [--quick: a smoke run, too few LSTM steps to judge the goal]" if args.quick else "")
    )
    print(
        f"ms per training step: RNN {1000 * rnn_seconds / args.rnn_steps:.2f} (one name), "
        f"LSTM {1000 * lstm_seconds / args.lstm_steps:.1f} (64 names); the LSTM's lr drops 5x at "
        f"step {round(0.75 * args.lstm_steps):,}"
    )
    print(
        f"whole run {time.perf_counter() - wall_start:.0f} s wall; load avg at the end: "
        f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} (this run alone adds ~{args.threads})"
    )
    print(f"\nRNN test NLL every {args.rnn_eval_every:,} steps (step, train s: NLL):")
    print("  " + ", ".join(f"{st:,} {s:.0f}s: {nll:.3f}" for st, s, nll in rnn_curve))
    print(f"\nLSTM test NLL every {args.eval_every} steps (step, train s: NLL):")
    print("  " + ", ".join(f"{st} {s:.1f}s: {nll:.3f}" for st, s, nll in lstm_curve))


if __name__ == "__main__":
    main()
