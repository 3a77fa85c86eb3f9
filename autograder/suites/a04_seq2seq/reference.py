"""Reference implementation for assignment 4 (sequence to sequence), shared by the probes
(worker) and the tests (grader). Hidden: never shipped to students. Mirrors the notebook's
setup cell."""

from __future__ import annotations

import math
import string

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

PAD, SOS, EOS = "_", "^", "$"
SOURCE_VOCAB = PAD + " -" + string.ascii_lowercase  # index 0 = PAD
TARGET_VOCAB = PAD + SOS + EOS + string.digits  # 0 = PAD, 1 = SOS, 2 = EOS, 3.. = '0'..'9'
PAD_INDEX, SOS_INDEX, EOS_INDEX = 0, 1, 2


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def easy_pairs() -> list[tuple[str, str]]:
    """(words, digits) for 0..99, written as in datasets/numbers (kept here so that the hidden
    suite needs no data files)."""
    words = [_ONES[n] if n < 20 else _TENS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else "")
             for n in range(100)]  # fmt: skip
    return [(w, str(n)) for n, w in enumerate(words)]


def encode_source(words: str) -> torch.Tensor:
    return torch.tensor([SOURCE_VOCAB.index(ch) for ch in words], dtype=torch.long)


def encode_target(digits: str) -> torch.Tensor:
    return torch.tensor([TARGET_VOCAB.index(ch) for ch in digits], dtype=torch.long)


def decode_target(ids) -> str:
    return "".join(TARGET_VOCAB[int(i)] for i in ids)


def make_batch(pairs):
    src = [encode_source(w) for w, _ in pairs]
    tgt = [encode_target(d) for _, d in pairs]
    sos, eos = torch.tensor([SOS_INDEX]), torch.tensor([EOS_INDEX])
    return (
        pad_sequence(src, padding_value=PAD_INDEX),
        torch.tensor([len(s) for s in src]),
        pad_sequence([torch.cat([sos, t]) for t in tgt], padding_value=PAD_INDEX),
        pad_sequence([torch.cat([t, eos]) for t in tgt], padding_value=PAD_INDEX),
    )


class Encoder(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_size):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_INDEX)
        self.lstm = nn.LSTM(embedding_dim, hidden_size)

    def forward(self, src, src_lengths):
        packed = pack_padded_sequence(self.embed(src), src_lengths.cpu(), enforce_sorted=False)
        outputs, state = self.lstm(packed)
        outputs, _ = pad_packed_sequence(outputs, total_length=src.shape[0])
        return outputs, state


class Decoder(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_size):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_INDEX)
        self.lstm = nn.LSTM(embedding_dim, hidden_size)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tgt_in, state):
        outputs, state = self.lstm(self.embed(tgt_in), state)
        return self.head(outputs), state


class Seq2Seq(nn.Module):
    def __init__(
        self,
        source_vocab_size=len(SOURCE_VOCAB),  # noqa: B008 - the notebook's signature
        target_vocab_size=len(TARGET_VOCAB),  # noqa: B008
        embedding_dim=32,
        hidden_size=128,
    ):
        super().__init__()
        self.encoder = Encoder(source_vocab_size, embedding_dim, hidden_size)
        self.decoder = Decoder(target_vocab_size, embedding_dim, hidden_size)

    def forward(self, src, src_lengths, tgt_in):
        _, state = self.encoder(src, src_lengths)
        logits, _ = self.decoder(tgt_in, state)
        return logits


def seq2seq_loss(logits, tgt_out):
    return F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD_INDEX)


def train_step(model, optimizer, batch):
    src, src_lengths, tgt_in, tgt_out = batch
    model.train()
    optimizer.zero_grad()
    loss = seq2seq_loss(model(src, src_lengths, tgt_in), tgt_out)
    loss.backward()
    optimizer.step()
    return loss.item()


@torch.no_grad()
def greedy_decode(model, src, src_lengths, max_length=10):
    model.eval()
    _, state = model.encoder(src, src_lengths)
    batch = src.shape[1]
    token = torch.full((1, batch), SOS_INDEX, dtype=torch.long)
    outputs = [[] for _ in range(batch)]
    finished = torch.zeros(batch, dtype=torch.bool)
    for _ in range(max_length):
        logits, state = model.decoder(token, state)
        token = logits.argmax(dim=-1)  # (1, B)
        for b in range(batch):
            if not finished[b]:
                if token[0, b] == EOS_INDEX:
                    finished[b] = True
                else:
                    outputs[b].append(int(token[0, b]))
        if finished.all():
            break
    return outputs


@torch.no_grad()
def beam_search(model, src, src_lengths, beam_width=5, max_length=10):
    """The most likely token list found with a beam of `beam_width` hypotheses (batch of one).

    A hypothesis ends when it emits EOS; its score is the sum of its log-probabilities, EOS
    included. The live hypotheses run through the decoder together, as one batch. Stops when the
    best finished score beats every live one (log P only falls as a hypothesis grows) or after
    max_length tokens.
    """
    model.eval()
    _, (h, c) = model.encoder(src, src_lengths)
    scores = torch.zeros(1)  # (K,) log P of the live hypotheses
    tokens: list[list[int]] = [[]]
    finished: list[tuple[float, list[int]]] = []
    last = torch.full((1, 1), SOS_INDEX)
    for _ in range(max_length):
        logits, (h, c) = model.decoder(last, (h, c))
        log_p = torch.log_softmax(logits[0], dim=-1)  # (K, V)
        log_p[:, [PAD_INDEX, SOS_INDEX]] = -math.inf
        for k in range(len(tokens)):
            finished.append((float(scores[k] + log_p[k, EOS_INDEX]), tokens[k]))
        log_p[:, EOS_INDEX] = -math.inf
        total = (scores[:, None] + log_p).flatten()
        top = torch.topk(total, min(beam_width, total.numel()))
        rows = torch.div(top.indices, log_p.shape[1], rounding_mode="floor")
        cols = top.indices % log_p.shape[1]
        scores = top.values
        tokens = [tokens[r] + [int(t)] for r, t in zip(rows.tolist(), cols.tolist())]
        h, c, last = h[:, rows], c[:, rows], cols.view(1, -1)
        if max(finished)[0] >= float(scores[0]):
            break
    finished += [(float(s), t) for s, t in zip(scores, tokens)]  # cut at max_length
    return max(finished, key=lambda f: f[0])[1]


def exact_match(predicted, expected):
    return sum(p == e for p, e in zip(predicted, expected)) / len(expected) if expected else 0.0


def char_accuracy(predicted, expected):
    agree = sum(sum(a == b for a, b in zip(p, e)) for p, e in zip(predicted, expected))
    total = sum(max(len(p), len(e)) for p, e in zip(predicted, expected))
    return agree / total if total else 0.0


class ScriptedSeq2Seq(nn.Module):
    """A stand-in seq2seq 'model' for testing greedy_decode(): its logits are chosen, not learned.

    Sequence b should come out as the digits 1, 2, 3, ... (TARGET ids 4, 5, 6, ...) of length
    ``out_lengths[b]``, then EOS. The state carries, per sequence, (length wanted, tokens emitted,
    token emitted last), so a caller that slices the state for unfinished sequences is fine.
    A decoder fed anything but its own last prediction answers with '0' forever (never EOS); fed
    EOS after finishing, it starts again with '1', so output past EOS shows. ``never_eos`` makes
    EOS impossible.
    """

    MAX_CALLS = 300

    def __init__(self, out_lengths, never_eos=False):
        super().__init__()
        self.out_lengths = [int(n) for n in out_lengths]
        self.never_eos = never_eos
        self.calls = 0
        self.dummy = nn.Parameter(torch.zeros(1))  # so that .parameters() is not empty
        self.encoder = _ScriptedEncoder(self)
        self.decoder = _ScriptedDecoder(self)


class _ScriptedEncoder(nn.Module):
    def __init__(self, owner):
        super().__init__()
        self.owner = [owner]  # a list, so the owner is not registered as a submodule

    def forward(self, src, src_lengths):
        wanted = torch.tensor(self.owner[0].out_lengths, dtype=torch.float)
        if wanted.numel() != src.shape[1]:
            raise RuntimeError("the scripted encoder got a batch of another size")
        h = torch.stack([wanted, torch.zeros_like(wanted), torch.full_like(wanted, SOS_INDEX)], -1)
        return torch.zeros(src.shape[0], src.shape[1], 3), (h.unsqueeze(0), h.unsqueeze(0).clone())


class _ScriptedDecoder(nn.Module):
    def __init__(self, owner):
        super().__init__()
        self.owner = [owner]

    def forward(self, tgt_in, state):
        owner = self.owner[0]
        owner.calls += 1
        if owner.calls > owner.MAX_CALLS:
            raise RuntimeError(f"decoding still running after {owner.MAX_CALLS} decoder calls")
        h = state[0].detach().clone()  # (1, B, 3): wanted, emitted, last token
        rows = []
        for t in range(tgt_in.shape[0]):
            logits = torch.full((tgt_in.shape[1], len(TARGET_VOCAB)), -20.0)
            for b in range(tgt_in.shape[1]):
                wanted, emitted, last = (int(v) for v in h[0, b])
                fed = int(tgt_in[t, b])
                if fed == EOS_INDEX and last == EOS_INDEX:
                    emitted = 0  # decoding past EOS: start again
                    nxt = _digit(1)
                elif fed != last or last == DIGIT_ZERO:
                    nxt = DIGIT_ZERO  # not fed its own prediction: stuck at '0'
                elif emitted >= wanted and not owner.never_eos:
                    nxt = EOS_INDEX
                else:
                    nxt = _digit(emitted + 1)
                emitted += 1
                logits[b, nxt] = 20.0
                h[0, b] = torch.tensor([wanted, emitted, nxt], dtype=torch.float)
            rows.append(logits)
        return torch.stack(rows), (h, h.clone())


DIGIT_ZERO = TARGET_VOCAB.index("0")


def _digit(k: int) -> int:
    return TARGET_VOCAB.index(str(k % 10))


class RecordingSeq2Seq(nn.Module):
    """A stand-in seq2seq 'model' for greedy_decode that records everything it is fed.

    ``script[b]`` is what column b's decoder answers, one character of TARGET_VOCAB per step
    (e.g. "407$9": the digits 4 0 7, then EOS, then 9 for ever after: the last character repeats
    once the script runs out). The state is (h, c), each (1, B, 2): h = (column, steps taken),
    c = (steps taken, column), so that the decoder knows which column each position holds even
    if the caller slices finished columns away, and counts steps only if the state is carried.
    The logits are raw scores (some negative, not normalised) with the scripted token highest.
    Logs, as plain data: every encoder call (were src and src_lengths the ones given; mode;
    autograd on?) and every decoder call (the tokens fed, their shape and dtype, the column and
    step each position's state says, mode, autograd).
    """

    MAX_CALLS = 300

    def __init__(self, script, src, src_lengths):
        super().__init__()
        self.script = [str(s) for s in script]
        self.given = (src.clone(), src_lengths.clone())
        self.encoder_log: list[dict] = []
        self.decoder_log: list[dict] = []
        self.dummy = nn.Parameter(torch.zeros(1))  # so that .parameters() is not empty
        self.encoder = _RecordingEncoder(self)
        self.decoder = _RecordingDecoder(self)

    def answer(self, column: int, step: int) -> int:
        text = self.script[column]
        return TARGET_VOCAB.index(text[min(step, len(text) - 1)])

    def forward(self, *args, **kwargs):
        raise RuntimeError("greedy_decode should call model.encoder and model.decoder")


class _RecordingEncoder(nn.Module):
    def __init__(self, owner):
        super().__init__()
        self.owner = [owner]  # a list, so the owner is not registered as a submodule

    def forward(self, src, src_lengths):
        owner = self.owner[0]
        src_given, lengths_given = owner.given
        same = (isinstance(src, torch.Tensor) and src.shape == src_given.shape
                and bool((src == src_given).all()))  # fmt: skip
        same_lengths = (isinstance(src_lengths, torch.Tensor)
                        and src_lengths.shape == lengths_given.shape
                        and bool((src_lengths == lengths_given).all()))  # fmt: skip
        owner.encoder_log.append(
            {
                "src": same,
                "src_lengths": same_lengths,
                "training": self.training,
                "grad": torch.is_grad_enabled(),
            }
        )
        B = src_given.shape[1]
        columns = torch.arange(B, dtype=torch.float)
        h = torch.stack([columns, torch.zeros(B)], -1).unsqueeze(0)
        c = torch.stack([torch.zeros(B), columns], -1).unsqueeze(0)
        return torch.zeros(src_given.shape[0], B, 2), (h, c)


class _RecordingDecoder(nn.Module):
    def __init__(self, owner):
        super().__init__()
        self.owner = [owner]

    def forward(self, tokens, state):
        owner = self.owner[0]
        if len(owner.decoder_log) >= owner.MAX_CALLS:
            raise RuntimeError(f"decoding still running after {owner.MAX_CALLS} decoder calls")
        if not isinstance(tokens, torch.Tensor) or tokens.dim() != 2:
            raise RuntimeError(
                "model.decoder should be fed a (1, B) tensor of token ids, got "
                f"{tuple(tokens.shape) if isinstance(tokens, torch.Tensor) else type(tokens)}"
            )
        h, c = state
        columns = [int(round(float(v))) for v in h[0, :, 0]]
        steps_h = [int(round(float(v))) for v in h[0, :, 1]]
        steps_c = [int(round(float(v))) for v in c[0, :, 0]]
        owner.decoder_log.append({
            "tokens": tokens.tolist(), "shape": list(tokens.shape), "dtype": str(tokens.dtype),
            "columns": columns, "steps_h": steps_h, "steps_c": steps_c,
            "training": self.training, "grad": torch.is_grad_enabled(),
        })  # fmt: skip
        T, B = tokens.shape
        logits = torch.linspace(-4.0, -1.0, len(TARGET_VOCAB)).repeat(T, B, 1)  # (T, B, V)
        for b, (column, step) in enumerate(zip(columns, steps_c)):
            for t in range(T):
                logits[t, b, owner.answer(column, step + t)] = 2.5
        step = torch.full((1, B, 1), float(T))
        return logits, (h + torch.cat([torch.zeros_like(step), step], -1),
                        c + torch.cat([step, torch.zeros_like(step)], -1))  # fmt: skip
