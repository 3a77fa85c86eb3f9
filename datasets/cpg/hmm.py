"""The two-state CpG-island hidden Markov model behind cpg.tsv, with exact inference (numpy only).

States: 0 = background, 1 = island. Each state is kept with probability 0.98. The start
distribution is the stationary one (0.5/0.5), so the chain is stationary from the first base.

    >>> import numpy as np
    >>> from datasets.cpg import hmm
    >>> bases, labels = hmm.sample(np.random.default_rng(0), 200)
    >>> hmm.posterior(bases)  # P(state_t = island | x_0..x_{T-1}), shape (T,)

Notation: x_t is the base at position t (0-based), e_t[s] = P(x_t | s) its emission
likelihoods, A the transition matrix, pi the start distribution.

The recursions run along time, which is sequential, so each step is vectorised over states and
over sequences instead. posterior_many, filtered_many and viterbi_many take a list of sequences
and process them together, padded to the longest. The whole test split (38k bases) takes about
50 ms; calling the one-sequence functions in a loop costs about 5 ms per sequence. The results
are bit-identical either way: no result depends on which other sequences share a batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BASES = "ACGT"
STATES = ("background", "island")
STAY = 0.98
START = np.array([0.5, 0.5])
TRANSITION = np.array([[STAY, 1 - STAY], [1 - STAY, STAY]])  # TRANSITION[i, j] = P(j | i)
#                       A     C     G     T
EMISSION = np.array([[0.30, 0.20, 0.20, 0.30],  # background
                     [0.15, 0.35, 0.35, 0.15]])  # island  # fmt: skip
for _array in (START, TRANSITION, EMISSION):
    _array.setflags(write=False)

_CODE = np.full(256, -1, dtype=np.int64)
_CODE[np.frombuffer(BASES.encode("ascii"), dtype=np.uint8)] = np.arange(len(BASES))
# The rule that sees one base only: argmax_s P(s) P(x | s), per base (island for C and G).
_CONTEXT_FREE = np.argmax(START[:, None] * EMISSION, axis=0)


def encode(bases: str) -> np.ndarray:
    """Base indices into BASES, shape (T,); ValueError for any other character."""
    codes = _CODE[np.frombuffer(bases.encode("latin-1", errors="replace"), dtype=np.uint8)]
    if (codes < 0).any():
        bad = sorted(set(bases) - set(BASES))
        raise ValueError(f"bases must be a string over {BASES!r}; found {bad}")
    return codes


def sample(rng: np.random.Generator, length: int) -> tuple[str, str]:
    """One sequence from the model: (bases over ACGT, labels over '01'), both of `length`.

    Draws exactly 2 * length uniforms with rng.random(): the first `length` choose the states
    (s_0 ~ pi, then s_t ~ A[s_{t-1}]), the rest choose the bases (x_t ~ EMISSION[s_t]), both by
    inverting the cumulative distribution. Only Generator.random() is used, the draw that
    numpy's stream-compatibility policy is least likely to change.
    """
    u_state, u_base = rng.random((2, length))
    start_cdf = np.cumsum(START)[:-1].tolist()
    step_cdf = np.cumsum(TRANSITION, axis=1)[:, :-1].tolist()
    states = np.empty(length, dtype=np.int64)
    s = -1
    for t, u in enumerate(u_state.tolist()):
        cdf = start_cdf if t == 0 else step_cdf[s]
        s = sum(u >= c for c in cdf)  # index of the interval of the CDF that u falls in
        states[t] = s
    emission_cdf = np.cumsum(EMISSION, axis=1)[:, :-1]  # (states, bases - 1)
    codes = (u_base[:, None] >= emission_cdf[states]).sum(axis=1)
    bases = "".join(BASES[c] for c in codes.tolist())
    return bases, "".join(map(str, states.tolist()))


def _likelihoods(seqs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """e_t[s] for every sequence, shape (N, T_max, K), padded with 1; and the lengths (N,)."""
    lengths = np.array([len(bases) for bases in seqs], dtype=np.int64)
    lik = np.ones((len(seqs), int(lengths.max(initial=0)), len(STATES)))
    for n, bases in enumerate(seqs):
        lik[n, : len(bases)] = EMISSION[:, encode(bases)].T
    return lik, lengths


def _forward(lik: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scaled forward pass: alpha_hat (N, T, K) = P(s_t | x_0..x_t) and scales c (N, T).

    alpha_hat_0 = pi * e_0 / c_0;  alpha_hat_t = (alpha_hat_{t-1} A) * e_t / c_t, where c_t
    normalises alpha_hat_t to sum 1 (so c_t = P(x_t | x_0..x_{t-1})).
    """
    n, length, k = lik.shape
    alpha = np.empty((n, length, k))
    scale = np.empty((n, length))
    for t in range(length):
        # Products and sums written out, not `@`, so no BLAS kernel can change the rounding.
        prior = START[None, :] if t == 0 else (alpha[:, t - 1, :, None] * TRANSITION).sum(1)
        joint = prior * lik[:, t]
        scale[:, t] = joint.sum(axis=1)
        alpha[:, t] = joint / scale[:, t, None]
    return alpha, scale


def _backward(lik: np.ndarray, scale: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Scaled backward pass: beta_hat (N, T, K), with alpha_hat * beta_hat = P(s_t | x).

    beta_hat_{T-1} = 1;  beta_hat_t = A (e_{t+1} * beta_hat_{t+1}) / c_{t+1}, restarted at 1 on
    each sequence's last base so that padding never enters.
    """
    n, length, k = lik.shape
    beta = np.ones((n, length, k))
    for t in range(length - 2, -1, -1):
        message = lik[:, t + 1] * beta[:, t + 1] / scale[:, t + 1, None]
        step = (TRANSITION[None, :, :] * message[:, None, :]).sum(axis=2)
        beta[:, t] = np.where((t < lengths - 1)[:, None], step, 1.0)
    return beta


def filtered_many(seqs: Sequence[str]) -> list[np.ndarray]:
    """filtered() of each sequence."""
    lik, lengths = _likelihoods(seqs)
    alpha, _ = _forward(lik)
    return [alpha[i, :n, 1].copy() for i, n in enumerate(lengths.tolist())]


def posterior_many(seqs: Sequence[str]) -> list[np.ndarray]:
    """posterior() of each sequence."""
    lik, lengths = _likelihoods(seqs)
    alpha, scale = _forward(lik)
    gamma = alpha * _backward(lik, scale, lengths)
    gamma /= gamma.sum(axis=2, keepdims=True)  # equal to 1 already, up to rounding
    return [gamma[i, :n, 1].copy() for i, n in enumerate(lengths.tolist())]


def viterbi_many(seqs: Sequence[str]) -> list[str]:
    """viterbi() of each sequence."""
    lik, lengths = _likelihoods(seqs)
    n, length, k = lik.shape
    with np.errstate(divide="ignore"):  # log 0 = -inf is fine: such paths are never best
        log_a, log_lik = np.log(TRANSITION), np.log(lik)
        delta = np.log(START) + log_lik[:, 0] if length else np.zeros((n, k))
    back = np.zeros((n, length, k), dtype=np.int64)  # back[:, t, j] = best state at t-1
    final = delta.copy()  # delta at each sequence's own last base
    for t in range(1, length):
        scores = delta[:, :, None] + log_a  # (N, from, to)
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_lik[:, t]
        final = np.where((t == lengths - 1)[:, None], delta, final)
    path = np.zeros((n, length), dtype=np.int64)
    state = final.argmax(axis=1)
    rows = np.arange(n)
    for t in range(length - 1, -1, -1):
        inside = t < lengths - 1  # positions before a sequence's last base follow the pointers
        after = back[rows, t + 1, path[:, t + 1]] if t + 1 < length else state
        path[:, t] = np.where(inside, after, state)
    return ["".join(map(str, path[i, :m].tolist())) for i, m in enumerate(lengths.tolist())]


def filtered(bases: str) -> np.ndarray:
    """P(state_t = island | x_0..x_t) for each t, shape (T,): the scaled forward pass.

    alpha_hat_t = (alpha_hat_{t-1} A) * e_t / c_t, with c_t making it sum to 1. Its argmax is
    the best prediction for a model that reads the sequence left to right (causal).
    """
    return filtered_many([bases])[0]


def posterior(bases: str) -> np.ndarray:
    """P(state_t = island | whole sequence) for each t, shape (T,): scaled forward-backward.

    gamma_t = alpha_hat_t * beta_hat_t, beta_hat_t = A (e_{t+1} * beta_hat_{t+1}) / c_{t+1}.
    Its argmax is the Bayes-optimal per-base prediction given the whole sequence.
    """
    return posterior_many([bases])[0]


def viterbi(bases: str) -> str:
    """The most probable state path argmax_s P(s, x), as a string over '01'. Log space.

    delta_t[j] = max_i (delta_{t-1}[i] + log A[i, j]) + log e_t[j], delta_0 = log pi + log e_0,
    then back-tracking from argmax delta_{T-1}. Ties go to the lower state (background).
    """
    return viterbi_many([bases])[0]


def context_free(bases: str) -> str:
    """The best rule that sees only the base itself: argmax_s P(s) P(x_t | s), over '01'.

    With pi = 0.5/0.5 this is island for C and G, background for A and T.
    """
    return "".join(map(str, _CONTEXT_FREE[encode(bases)].tolist()))
