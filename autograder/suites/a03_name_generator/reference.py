"""Reference implementation for assignment 3 (name generator), shared by the probes (worker)
and the tests (grader). Hidden: never shipped to students. Mirrors the notebook's setup cell."""

from __future__ import annotations

import string

import torch
from torch import nn

EOS = "."
SOS = "^"
VOCAB = EOS + SOS + string.ascii_lowercase
EOS_INDEX, SOS_INDEX = 0, 1


def encode(text: str) -> torch.Tensor:
    return torch.tensor([VOCAB.index(ch) for ch in text], dtype=torch.long)


def make_example(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    return encode(SOS + name), encode(name + EOS)


class ReferenceGenerator(nn.Module):
    def __init__(self, vocab_size=len(VOCAB), embedding_dim=16, hidden_size=128):  # noqa: B008
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, input_ids, state=None):
        output, state = self.lstm(self.embed(input_ids), state)
        return self.head(output), state


def name_nll(model, name: str) -> torch.Tensor:
    inputs, targets = make_example(name)
    logits, _ = model(inputs.unsqueeze(1))
    return nn.functional.cross_entropy(logits[:, 0], targets, reduction="sum")


def softmax_with_temperature(logits: torch.Tensor, C: float) -> torch.Tensor:
    scaled = logits.double() / C
    return torch.softmax(scaled - scaled.max(dim=-1, keepdim=True).values, dim=-1)


def make_reference_model(seed: int, hidden_size: int = 32) -> ReferenceGenerator:
    torch.manual_seed(seed)
    return ReferenceGenerator(hidden_size=hidden_size)


class ScriptedModel(nn.Module):
    """A stand-in 'model' for testing generate(): its logits are chosen, not learned.

    ``mode`` decides the next-token logits from the tokens fed so far (it keeps its history in
    the state it returns, as an LSTM keeps (h, c)):
    - "eos_first": EOS is by far the most likely token at every step.
    - "never_eos": EOS is impossible; letters are uniform.
    - "counter": the next letter is 'a' + (number of tokens fed so far) - 1, deterministic; a
      caller that drops the state between steps always sees a history of one token.
    """

    MAX_CALLS = 500  # far beyond any max_length the tests use: generation that never stops

    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode
        self.calls = 0
        self.dummy = nn.Parameter(torch.zeros(1))  # so that .parameters() is not empty

    def forward(self, input_ids, state=None):
        self.calls += 1
        if self.calls > self.MAX_CALLS:
            raise RuntimeError(f"generation still running after {self.MAX_CALLS} model calls")
        T, B = input_ids.shape
        fed = torch.zeros(1, B, 1) if state is None else state[0].clone()
        rows = []
        for _ in range(T):
            fed = fed + 1
            logits = torch.zeros(B, len(VOCAB))
            if self.mode == "eos_first":
                logits[:, EOS_INDEX] = 50.0
            elif self.mode == "never_eos":
                logits[:, EOS_INDEX] = -1e4
                logits[:, SOS_INDEX] = -1e4
            else:  # counter
                logits[:] = -1e4
                letter = (fed[0, :, 0].long() - 1).clamp(0, 25)
                logits[torch.arange(B), 2 + letter] = 1e4
            rows.append(logits)
        return torch.stack(rows), (fed, fed.clone())


def synthetic_names(seed: int, n: int) -> list[str]:
    """Names from a tiny language with a clear ending: a consonant-vowel pattern of 2-4
    syllables. A model that learned EOS stops after 4-8 letters."""
    import random

    rng = random.Random(seed)
    return [
        "".join(rng.choice("bdkmst") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))
        for _ in range(n)
    ]
