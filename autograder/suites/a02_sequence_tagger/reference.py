"""Reference implementation for assignment 2 (per-base tagger), shared by the probes (worker)
and the tests (grader). Hidden: never shipped to students. Mirrors the notebook's setup cell."""

from __future__ import annotations

import random

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

BASES = "ACGT"
TAGS = ["background", "island"]


def encode_bases(bases: str) -> torch.Tensor:
    return torch.tensor([BASES.index(b) for b in bases], dtype=torch.long)


def encode_tags(labels: str) -> torch.Tensor:
    return torch.tensor([int(c) for c in labels], dtype=torch.long)


def make_batch(examples: list[tuple[str, str]]):
    bases = pad_sequence([encode_bases(b) for b, _ in examples])
    tags = pad_sequence([encode_tags(t) for _, t in examples])
    lengths = torch.tensor([len(b) for b, _ in examples])
    return bases, tags, lengths


class ReferenceTagger(nn.Module):
    def __init__(self, hidden_size=32, bidirectional=False, embedding_dim=8, n_tags=2):
        super().__init__()
        self.embed = nn.Embedding(len(BASES), embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), n_tags)

    def forward(self, bases, lengths):
        packed = pack_padded_sequence(self.embed(bases), lengths.cpu(), enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, total_length=bases.shape[0])
        return self.head(out)


def real_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """(T, B) bool, True at real (unpadded) positions."""
    return torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)


def masked_mean_loss(logits, tags, lengths):
    mask = real_mask(lengths, logits.shape[0])
    return nn.functional.cross_entropy(logits[mask], tags[mask])


def masked_accuracy(logits, tags, lengths) -> float:
    mask = real_mask(lengths, logits.shape[0])
    return (logits.argmax(-1)[mask] == tags[mask]).float().mean().item()


def make_reference_model(seed: int, hidden_size: int, bidirectional: bool) -> ReferenceTagger:
    torch.manual_seed(seed)
    return ReferenceTagger(hidden_size, bidirectional)


# The same hidden Markov model as datasets/cpg (tests/ checks the numbers agree), so that the
# hidden suite can make fresh data without depending on the repository's files.
EMISSIONS = [[0.30, 0.20, 0.20, 0.30], [0.15, 0.35, 0.35, 0.15]]  # P(base | state)
STAY = 0.98


def sample_examples(seed: int, n: int, low: int = 100, high: int = 300) -> list[tuple[str, str]]:
    """n (bases, labels) pairs from the CpG-island HMM, lengths uniform in [low, high]."""
    rng = random.Random(seed)
    examples = []
    for _ in range(n):
        state = int(rng.random() < 0.5)
        bases, labels = [], []
        for _ in range(rng.randint(low, high)):
            bases.append(rng.choices(BASES, EMISSIONS[state])[0])
            labels.append(str(state))
            if rng.random() >= STAY:
                state = 1 - state
        examples.append(("".join(bases), "".join(labels)))
    return examples


def context_free_accuracy(examples: list[tuple[str, str]]) -> float:
    """The best rule that looks at one base alone: island for C/G, background for A/T."""
    hits = sum((b in "CG") == (t == "1") for bases, tags in examples for b, t in zip(bases, tags))
    return hits / sum(len(b) for b, _ in examples)
