"""Reference implementation for assignment 1, shared by the probes (worker) and the tests
(grader). Hidden: never shipped to students. Mirrors the solution notebook's setup cell."""

from __future__ import annotations

import string

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_sequence

ALPHABET = string.ascii_letters + " '-"
N_LETTERS = len(ALPHABET)
LANGUAGES = [
    "Arabic", "Chinese", "Dutch", "English", "French", "German", "Greek",
    "Irish", "Italian", "Japanese", "Polish", "Russian", "Spanish",
]  # fmt: skip
N_LANGUAGES = len(LANGUAGES)


def name_to_tensor(name: str) -> torch.Tensor:
    """(T, N_LETTERS) one-hot."""
    x = torch.zeros(len(name), N_LETTERS)
    for t, letter in enumerate(name):
        x[t, ALPHABET.index(letter)] = 1.0  # names are validated against ALPHABET
    return x


def names_to_batch(names: list[str]) -> PackedSequence:
    return pack_sequence([name_to_tensor(n) for n in names], enforce_sorted=False)


class ReferenceClassifier(nn.Module):
    def __init__(self, n_letters=N_LETTERS, hidden_size=128, n_languages=N_LANGUAGES):
        super().__init__()
        self.lstm = nn.LSTM(n_letters, hidden_size)
        self.fc = nn.Linear(hidden_size, n_languages)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return torch.log_softmax(self.fc(h_n[-1]), dim=-1)


def make_reference_model(seed: int, hidden_size: int, n_languages: int, spread: bool = False):
    """Deterministic weights. ``spread`` zeroes the biases and enlarges the weights so that the
    most likely language varies from name to name (a fresh model predicts one class for all)."""
    torch.manual_seed(seed)
    model = ReferenceClassifier(N_LETTERS, hidden_size, n_languages)
    if spread:
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.zero_() if "bias" in name else p.mul_(4.0)
    return model


def decode_one_hot(padded: torch.Tensor, lengths: list[int]) -> list[str]:
    """Inverse of the packing: (T_max, B, N_LETTERS) padded one-hot -> names."""
    names = []
    for b, length in enumerate(lengths):
        idx = padded[:length, b].argmax(dim=-1).tolist()
        names.append("".join(ALPHABET[i] for i in idx))
    return names
