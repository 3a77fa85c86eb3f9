#!/usr/bin/env python3
"""Reference causal and bidirectional LSTM taggers (assignment 2) vs the exact CpG ceilings.

    .venv/bin/python bench/bench_tagger.py                 # full: STEPS steps per model
    .venv/bin/python bench/bench_tagger.py --quick         # smoke run, 60 steps per model

Both taggers are the hidden suite's ReferenceTagger (Embedding(4, 8), packed nn.LSTM, hidden 32,
one shared Linear), trained on the train split with Adam lr 1e-2 on batches of 32 sequences.
Validation accuracy is checked every --eval-every steps and at the end; the best-validation
checkpoint is scored on the test split. The exact rules (majority, context-free, filtering,
Viterbi, posterior) are recomputed with datasets/cpg/hmm.py and checked against ceilings.json.
The causal LSTM is compared with the filtering rule (the best a left-to-right model can do), the
bidirectional one with the posterior rule (Bayes-optimal). Training seconds exclude evaluation.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _machine import print_header  # bench/ is sys.path[0] when run as a script

from autograder.suites.a02_sequence_tagger.reference import (  # noqa: E402
    ReferenceTagger,
    make_batch,
    masked_accuracy,
    masked_mean_loss,
)
from datasets.cpg import ceilings, hmm, load  # noqa: E402

STEPS = 200  # default budget per model (4 epochs); bench/README.md (c) has the measurements
QUICK_STEPS = 60
GOAL_POINTS = 1.0  # the goal: each LSTM within 1 point of its ceiling


def exact_rules(train, test) -> dict[str, float]:
    """Per-base test accuracy of the five exact rules, recomputed from the HMM."""
    seqs = [bases for bases, _ in test]
    truth = np.array([int(c) for _, labels in test for c in labels])
    train_labels = "".join(labels for _, labels in train)
    majority = int(train_labels.count("1") > train_labels.count("0"))
    predictions = {
        "majority": np.full(truth.shape, majority),
        "context_free": [hmm.context_free(bases) for bases in seqs],
        "filtering": [p > 0.5 for p in hmm.filtered_many(seqs)],
        "viterbi": hmm.viterbi_many(seqs),
        "posterior": [p > 0.5 for p in hmm.posterior_many(seqs)],
    }
    result = {}
    for rule, pred in predictions.items():
        if not isinstance(pred, np.ndarray):
            pred = np.concatenate([np.array([int(x) for x in p]) for p in pred])
        result[rule] = float((pred == truth).mean())
    return result


def evaluate(model: ReferenceTagger, batch) -> float:
    model.eval()
    with torch.no_grad():
        acc = masked_accuracy(model(batch[0], batch[2]), batch[1], batch[2])
    model.train()
    return acc


def train_tagger(train, val_batch, bidirectional: bool, steps: int, eval_every: int, seed: int):
    """Hidden 32, Adam lr 1e-2, batch 32 (shuffled epochs); keep the best-val checkpoint.

    Returns (model at its best-val step, training seconds, best step, best val acc, curve of
    (step, training seconds, val acc))."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = ReferenceTagger(hidden_size=32, bidirectional=bidirectional)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    order: list[tuple[str, str]] = []
    best_val, best_step, best_state = -1.0, 0, None
    seconds, curve = 0.0, []
    for step in range(1, steps + 1):
        if len(order) < 32:
            order = rng.sample(train, k=len(train))  # a new epoch; the tail is dropped
        batch, order = order[:32], order[32:]
        bases, tags, lengths = make_batch(batch)
        t0 = time.perf_counter()
        optimizer.zero_grad()
        loss = masked_mean_loss(model(bases, lengths), tags, lengths)
        loss.backward()
        optimizer.step()
        seconds += time.perf_counter() - t0
        if step % eval_every == 0 or step == steps:
            val_acc = evaluate(model, val_batch)
            curve.append((step, seconds, val_acc))
            if val_acc > best_val:
                best_val, best_step = val_acc, step
                best_state = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    return model, seconds, best_step, best_val, curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--steps", type=int, default=STEPS, help=f"training steps per model (default {STEPS})"
    )
    parser.add_argument("--eval-every", type=int, default=20, help="steps between val checks")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--quick", action="store_true", help=f"smoke run: {QUICK_STEPS} steps per model"
    )
    args = parser.parse_args()
    if args.quick:
        args.steps = QUICK_STEPS

    wall_start = time.perf_counter()
    print_header(
        torch.__version__,
        f"threads={args.threads}, seed={args.seed}, steps={args.steps} per model",
    )
    torch.set_num_threads(args.threads)
    train, val, test = load("train"), load("val"), load("test")
    print(
        f"data: datasets/cpg train {len(train):,} / val {len(val):,} / test {len(test):,} "
        f"sequences, test {sum(len(b) for b, _ in test):,} bases"
    )

    rules = exact_rules(train, test)
    stored = ceilings()["test"]["accuracy"]
    for rule, acc in rules.items():
        if round(acc, 4) != stored[rule]:
            raise SystemExit(f"{rule}: recomputed {acc:.6f} != ceilings.json {stored[rule]}")

    val_batch, test_batch = make_batch(val), make_batch(test)
    runs = {}
    for bidirectional in (False, True):
        model, secs, best_step, best_val, curve = train_tagger(
            train, val_batch, bidirectional, args.steps, args.eval_every, args.seed
        )
        runs[bidirectional] = (evaluate(model, test_batch), secs, best_step, best_val, curve)

    rows = [
        ("majority (train label)", rules["majority"], None, None),
        ("context-free rule", rules["context_free"], None, None),
        ("causal LSTM", runs[False][0], runs[False][1], rules["filtering"]),
        ("filtering ceiling", rules["filtering"], None, None),
        ("Viterbi path", rules["viterbi"], None, None),
        ("bidirectional LSTM", runs[True][0], runs[True][1], rules["posterior"]),
        ("posterior ceiling", rules["posterior"], None, None),
    ]
    print(
        f"\nTEST split, per-base accuracy; gap = ceiling - LSTM in points (goal <= {GOAL_POINTS:g})"
    )
    print(f"{'model / rule':<24} {'test acc':>9} {'train s':>8} {'gap':>6}")
    gaps = []
    for name, acc, secs, ceiling in rows:
        secs_txt = f"{secs:.1f}" if secs is not None else "-"
        gap_txt = "-"
        if ceiling is not None:
            gaps.append(100 * (ceiling - acc))
            gap_txt = f"{gaps[-1]:+.2f}"
        print(f"{name:<24} {acc:>9.2%} {secs_txt:>8} {gap_txt:>6}")

    met = all(g <= GOAL_POINTS for g in gaps)
    print(
        f"\ngoal (each LSTM within {GOAL_POINTS:g} point of its ceiling): "
        f"{'MET' if met else 'NOT MET'} (causal vs filtering {gaps[0]:+.2f}, "
        f"bidirectional vs posterior {gaps[1]:+.2f})"
    )
    for bidirectional, name in ((False, "causal"), (True, "bidirectional")):
        _, secs, best_step, best_val, curve = runs[bidirectional]
        print(
            f"{name}: best val {best_val:.2%} at step {best_step}/{args.steps}, "
            f"{1000 * secs / args.steps:.0f} ms per training step"
        )
    print(
        f"whole run {time.perf_counter() - wall_start:.0f} s wall; load avg at the end: "
        f"{os.getloadavg()[0]:.2f} (this run alone adds ~{args.threads})"
    )
    for bidirectional, name in ((False, "causal"), (True, "bidirectional")):
        curve = runs[bidirectional][4]
        print(f"\n{name} val accuracy every {args.eval_every} steps (step, train s: acc):")
        print("  " + ", ".join(f"{st} {s:.0f}s: {a:.1%}" for st, s, a in curve))


if __name__ == "__main__":
    main()
