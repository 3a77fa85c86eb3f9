"""Reference implementation for assignment 3 (name generator), shared by the probes (worker)
and the tests (grader). Hidden: never shipped to students. Mirrors the notebook's setup cell."""

from __future__ import annotations

import math
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


class RecordingModel(nn.Module):
    """A stand-in 'model' for testing generate(): chosen logits, and a log of every call.

    It has NameGenerator's interface: (T, 1) token ids (or (T,) like an unbatched nn.LSTM) and
    an optional state in, (logits, (h, c)) out. Its next-token logits are a fixed pseudo-random
    function of everything fed so far; the state it returns is a marker of that history, so the
    log shows whether each call continued from the state of the call before. ``mode`` shapes
    the logits:
    - "plain": letters pseudo-random, EOS more likely the longer the name, SOS likely;
    - "sos_heavy": SOS by far the most likely token (it must be masked before drawing);
    - "never_eos": EOS impossible (logit -inf);
    - "eos_first": EOS by far the most likely token.
    Each entry of ``log`` is {"kind": "feed", "tokens", "state", "training", "grad",
    "logits" (V,) of the last step}; ``state`` is "none", "zero", "unknown" or the number of the
    earlier call whose returned state was passed in. A sampler can append its draws to the
    same log.
    """

    MAX_CALLS = 300  # far beyond any max_length the tests use: generation that never stops
    HIDDEN = 3

    def __init__(self, mode: str = "plain", seed: int = 0, log: list | None = None):
        super().__init__()
        self.mode, self.seed = mode, seed
        self.log = [] if log is None else log
        self.histories: list[tuple[int, ...]] = []  # call number -> tokens fed up to its end
        self.dummy = nn.Parameter(torch.zeros(1))  # so that .parameters() is not empty

    def next_logits(self, history: tuple[int, ...]) -> torch.Tensor:
        key = self.seed
        for token in history:
            key = (key * 1_000_003 + token + 1) % (2**61 - 1)
        logits = torch.randn(len(VOCAB), generator=torch.Generator().manual_seed(key)) * 1.5
        letters = len(history) - 1
        if self.mode == "plain":
            logits[EOS_INDEX] = -2.0 + 0.9 * letters
            logits[SOS_INDEX] = 1.0
        elif self.mode == "sos_heavy":
            logits[SOS_INDEX] = 12.0
        elif self.mode == "never_eos":
            logits[EOS_INDEX] = -math.inf
        elif self.mode == "eos_first":
            logits[EOS_INDEX] = 40.0
        return logits

    def forward(self, input_ids, state=None):
        from autograder.probing import ProbeFailure

        if len(self.histories) >= self.MAX_CALLS:
            raise ProbeFailure(
                f"`generate` called the model more than {self.MAX_CALLS} times without "
                "stopping: stop at EOS or once the name has max_length letters"
            )
        if not isinstance(input_ids, torch.Tensor) or input_ids.is_floating_point():
            raise ProbeFailure("`generate` should feed the model a tensor of token ids (long)")
        batched = input_ids.dim() == 2
        if not (batched and input_ids.shape[1] == 1) and input_ids.dim() != 1:
            raise ProbeFailure(
                "`generate` should feed the model token ids of shape (T, 1): time first, a "
                f"batch of one name; got shape {tuple(input_ids.shape)}"
            )
        tokens = [int(t) for t in input_ids.reshape(-1)]
        source = self._state_source(state)
        history = self.histories[source] if isinstance(source, int) else ()
        rows = []
        for token in tokens:
            history = (*history, token)
            rows.append(self.next_logits(history))
        logits = torch.stack(rows)
        self.log.append(
            {
                "kind": "feed",
                "tokens": tokens,
                "state": source,
                "training": self.training,
                "grad": torch.is_grad_enabled(),
                "logits": logits[-1].clone(),
            }
        )
        marker = len(self.histories) + 1.0  # call i returns the state marked i + 1
        self.histories.append(history)
        shape = (1, 1, self.HIDDEN) if batched else (1, self.HIDDEN)
        state = (torch.full(shape, marker), torch.full(shape, -marker - 0.5))
        return (logits.unsqueeze(1) if batched else logits), state

    def _state_source(self, state):
        """Which earlier call returned this state: its number, or "none", "zero", "unknown"."""
        if state is None:
            return "none"
        try:
            h, c = state
            h, c = torch.as_tensor(h).detach().float(), torch.as_tensor(c).detach().float()
        except (TypeError, ValueError, RuntimeError):
            return "unknown"
        if h.numel() and not h.any() and not c.any():
            return "zero"
        if h.numel() == 0 or h.shape != c.shape:
            return "unknown"
        marker = float(h.reshape(-1)[0])
        call = int(marker) - 1
        if (
            marker.is_integer()
            and 0 <= call < len(self.histories)
            and bool((h == marker).all())
            and bool((c == -marker - 0.5).all())
        ):
            return call
        return "unknown"


def synthetic_names(seed: int, n: int) -> list[str]:
    """Names from a tiny language with a clear ending: a consonant-vowel pattern of 2-4
    syllables. A model that learned EOS stops after 4-8 letters."""
    import random

    rng = random.Random(seed)
    return [
        "".join(rng.choice("bdkmst") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))
        for _ in range(n)
    ]
