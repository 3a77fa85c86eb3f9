#!/usr/bin/env python3
"""The reference seq2seq model of assignment 4: held-out exact match against training seconds,
greedy decoding against beam search, in one run.

    .venv/bin/python bench/bench_seq2seq.py             # full: 120 s of training
    .venv/bin/python bench/bench_seq2seq.py --quick     # smoke run, 20 s of training

The model is the hidden suite's reference (autograder/suites/a04_seq2seq/reference.py): a
character Embedding (32) and nn.LSTM (hidden 128) encoder whose final (h, c) starts an
Embedding + nn.LSTM + Linear decoder over digits, SOS and EOS. Training: random batches of 64 from
the train split of datasets/numbers, teacher forcing, mean cross-entropy over digits and EOS
(padding ignored), Adam lr 3e-3 (lr / 5 for the last quarter of the budget), gradient norm
clipped at 1. Training seconds count batching, forward, backward and updates; they exclude the
evaluations. Every --eval-every steps the val split (2,190 numbers never seen in training) is
decoded greedily; "s to 99 %" is the training time at the first check with val exact match >=
99 %. At the end the test split (2,190 other unseen numbers) is decoded greedily and with beam
search (width 5), both capped at 8 tokens.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _machine import print_header  # bench/ is sys.path[0] when run as a script

from autograder.suites.a04_seq2seq import reference as ref  # noqa: E402
from datasets.numbers import load  # noqa: E402

GOAL_EXACT, GOAL_SECONDS = 0.99, 120.0
BATCH_SIZE, LR, MAX_LENGTH = 64, 3e-3, 8


def decode_all(model, pairs, chunk=512) -> list[str]:
    out = []
    for i in range(0, len(pairs), chunk):
        src, src_lengths, _, _ = ref.make_batch(pairs[i : i + chunk])
        ids = ref.greedy_decode(model, src, src_lengths, max_length=MAX_LENGTH)
        out += [ref.decode_target(x) for x in ids]
    return out


def beam_all(model, pairs, width) -> list[str]:
    out = []
    for words, _ in pairs:
        src = ref.encode_source(words).unsqueeze(1)
        ids = ref.beam_search(model, src, torch.tensor([len(words)]), width, MAX_LENGTH)
        out.append(ref.decode_target(ids))
    return out


def train(model, budget: float, eval_every: int, val, seed: int):
    rng = random.Random(seed)
    train_pairs = load("train")
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    seconds, steps, to_goal, log = 0.0, 0, None, []
    while seconds < budget:
        if seconds > 0.75 * budget and optimizer.param_groups[0]["lr"] == LR:
            optimizer.param_groups[0]["lr"] = LR / 5
        start = time.perf_counter()
        batch = ref.make_batch(rng.sample(train_pairs, BATCH_SIZE))
        src, src_lengths, tgt_in, tgt_out = batch
        model.train()
        optimizer.zero_grad()
        loss = ref.seq2seq_loss(model(src, src_lengths, tgt_in), tgt_out)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        seconds += time.perf_counter() - start
        steps += 1
        if steps % eval_every == 0:
            exact = ref.exact_match(decode_all(model, val), [d for _, d in val])
            log.append((steps, seconds, loss.item(), exact))
            print(f"  step {steps:5d}  {seconds:6.1f} s  loss {loss.item():.4f}  val exact "
                  f"{exact:.2%}", flush=True)  # fmt: skip
            if to_goal is None and exact >= GOAL_EXACT:
                to_goal = seconds
    return steps, seconds, to_goal


def by_length(predicted, pairs) -> str:
    hits = defaultdict(lambda: [0, 0])
    for p, (_, d) in zip(predicted, pairs):
        hits[len(d)][0] += p == d
        hits[len(d)][1] += 1
    return ", ".join(f"{n} digits {h / t:.1%} ({t})" for n, (h, t) in sorted(hits.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 s of training")
    parser.add_argument("--seconds", type=float, help=f"training budget (default {GOAL_SECONDS})")
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    budget = args.seconds or (20.0 if args.quick else GOAL_SECONDS)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    print_header(torch.__version__, f"torch threads {args.threads}, seed {args.seed}")
    val, test = load("val"), load("test")
    model = ref.Seq2Seq(embedding_dim=32, hidden_size=128)
    print(f"training for {budget:g} s (batch {BATCH_SIZE}, Adam lr {LR:g}):")
    steps, seconds, to_goal = train(model, budget, args.eval_every, val, args.seed)

    expected = [d for _, d in test]
    start = time.perf_counter()
    greedy = decode_all(model, test)
    greedy_s = time.perf_counter() - start
    start = time.perf_counter()
    beam = beam_all(model, test, 5)
    beam_s = time.perf_counter() - start

    goal = f"{to_goal:.1f} s" if to_goal is not None else f"not within {seconds:.0f} s"
    print(f"\ntrained {steps} steps in {seconds:.1f} s; val exact >= 99 % after: {goal}")
    print(f"test split: {len(test)} numbers never seen in training\n")
    print("| decoding | exact match | char accuracy | decode s |")
    print("|---|---:|---:|---:|")
    for name, pred, secs in (("greedy", greedy, greedy_s), ("beam, width 5", beam, beam_s)):
        print(f"| {name} | {ref.exact_match(pred, expected):.2%} | "
              f"{ref.char_accuracy(pred, expected):.2%} | {secs:.1f} |")  # fmt: skip
    print(f"\ngreedy by output length: {by_length(greedy, test)}")
    differ = sum(g != b for g, b in zip(greedy, beam))
    print(f"greedy and beam differ on {differ} of {len(test)} numbers")
    wrong = [(w, d, g) for (w, d), g in zip(test, greedy) if g != d][:5]
    for words, digits, got in wrong:
        print(f"  wrong: {words!r} -> {got!r} (want {digits})")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
