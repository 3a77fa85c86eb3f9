#!/usr/bin/env python3
"""Build the bundled example submissions, in nbgrader's layout, from the notebooks in the repo.

    examples/submitted/<student>/<assignment>/<notebook>.ipynb

Each example is the *released* notebook with its answer cells filled in from the solution
notebook (solution markers removed), then the variant's edits applied: a typical mistake, an
alternative correct answer, or something hostile. Each variant also states which hidden tests it
must fail; tests/test_examples.py grades every example and holds the grader to exactly that.

    python examples/make_examples.py          # rewrite examples/submitted
    python examples/make_examples.py --check  # exit 1 if examples/submitted is out of date
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "submitted"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass(frozen=True)
class Variant:
    about: str
    edits: tuple[tuple[str, str, str], ...] = ()  # (answer cell grade_id, old text, new text)
    stubs: tuple[str, ...] = ()  # answer cells left exactly as released
    fails: tuple[str, ...] = ()  # hidden tests this submission must fail, no more, no fewer
    replace_all: str | None = None  # the whole file's bytes (a broken "notebook")
    extra_cells: tuple[str, ...] = field(default=())  # code cells appended by the student


# --------------------------------------------------------------------------- assignment 1
A1 = "01_lstm_classifier"
P1 = (
    "test_model_uses_nn_lstm", "test_output_shape", "test_outputs_are_log_probabilities",
    "test_output_depends_on_whole_name", "test_packed_batch_matches_one_at_a_time",
    "test_gradients_reach_lstm_weights",
)  # fmt: skip
P2 = (
    "test_step_by_step_matches_whole_sequence", "test_step_by_step_feeds_one_element_per_call",
    "test_step_by_step_single_step",
)  # fmt: skip
P3 = (
    "test_names_to_batch_returns_packed_sequence", "test_names_to_batch_keeps_names_and_order",
    "test_names_to_batch_single_letter_names",
)  # fmt: skip
P4 = (
    "test_train_step_returns_mean_nll", "test_train_step_updates_with_fresh_gradients",
    "test_training_reduces_loss",
)  # fmt: skip
P5 = (
    "test_predict_returns_language_names", "test_predict_picks_most_likely_language",
    "test_predict_single_name",
)  # fmt: skip
ANSWERS = ("lstm_classifier_answer", "step_by_step_answer", "names_to_batch_answer",
           "train_step_answer", "predict_answer")  # fmt: skip
FORWARD = (
    "        _, (h_n, _) = self.lstm(x)  # h_n: (1, B, H), each name's state after its last letter\n"
    "        return nn.functional.log_softmax(self.fc(h_n[-1]), dim=-1)"
)
STEP_CALL = "out_t, state = lstm(x[t : t + 1], state)"
PACK = "return pack_sequence([name_to_tensor(name) for name in names], enforce_sorted=False)"

A1_VARIANTS = {
    # ----- reference points
    "reference": Variant("the reference solution"),
    "stub": Variant(
        "the released notebook, untouched", stubs=ANSWERS, fails=P1 + P2 + P3 + P4 + P5
    ),
    "partial": Variant("Parts 1-3 done, Parts 4-5 not started", stubs=ANSWERS[3:], fails=P4 + P5),
    # ----- typical mistakes: each loses exactly its own problem's tests
    "mistake_first_hidden_state": Variant(
        "classifies from the FIRST step's output instead of the last hidden state",
        edits=(
            (
                ANSWERS[0],
                FORWARD,
                """        out, _ = self.lstm(x)
        if isinstance(out, PackedSequence):
            out, _ = pad_packed_sequence(out)
        return nn.functional.log_softmax(self.fc(out[0]), dim=-1)""",
            ),
        ),
        fails=("test_output_depends_on_whole_name", "test_gradients_reach_lstm_weights"),
    ),
    "mistake_batch_first": Variant(
        "builds the LSTM with batch_first=True but feeds time-major tensors",
        edits=(
            (
                ANSWERS[0],
                "self.lstm = nn.LSTM(n_letters, hidden_size)",
                "self.lstm = nn.LSTM(n_letters, hidden_size, batch_first=True)",
            ),
        ),
        fails=("test_output_shape", "test_packed_batch_matches_one_at_a_time"),
    ),
    "mistake_softmax_output": Variant(
        "returns probabilities (softmax) instead of log-probabilities",
        edits=(
            (
                ANSWERS[0],
                "nn.functional.log_softmax(self.fc(h_n[-1]), dim=-1)",
                "nn.functional.softmax(self.fc(h_n[-1]), dim=-1)",
            ),
        ),
        fails=("test_outputs_are_log_probabilities",),
    ),
    "mistake_padded_last_step": Variant(
        "pads a packed batch and takes the last padded step, which is padding for short names",
        edits=(
            (
                ANSWERS[0],
                FORWARD,
                """        out, _ = self.lstm(x)
        if isinstance(out, PackedSequence):
            out, _ = pad_packed_sequence(out)
        return nn.functional.log_softmax(self.fc(out[-1]), dim=-1)""",
            ),
        ),
        fails=("test_packed_batch_matches_one_at_a_time",),
    ),
    "mistake_state_kept_between_names": Variant(
        "keeps (h, c) on the module and carries it into the next call",
        edits=(
            (
                ANSWERS[0],
                FORWARD,
                """        out, self.state = self.lstm(x, getattr(self, "state", None))
        return nn.functional.log_softmax(self.fc(self.state[0][-1]), dim=-1)""",
            ),
        ),
        fails=("test_output_shape", "test_packed_batch_matches_one_at_a_time"),
    ),
    "mistake_detached_state": Variant(
        "detaches the final hidden state, so no gradient reaches the LSTM",
        edits=((ANSWERS[0], "self.fc(h_n[-1])", "self.fc(h_n[-1].detach())"),),
        fails=("test_gradients_reach_lstm_weights",),
    ),
    "mistake_state_not_carried": Variant(
        "step by step, but every step starts again from a zero state",
        edits=((ANSWERS[1], STEP_CALL, "out_t, state = lstm(x[t : t + 1])"),),
        fails=("test_step_by_step_matches_whole_sequence",),
    ),
    "mistake_cell_state_reset": Variant(
        "carries h but resets the cell state c at every step",
        edits=(
            (
                ANSWERS[1],
                STEP_CALL,
                """out_t, state = lstm(
            x[t : t + 1], None if state is None else (state[0], torch.zeros_like(state[1]))
        )""",
            ),
        ),
        fails=("test_step_by_step_matches_whole_sequence",),
    ),
    "mistake_no_loop": Variant(
        "'step by step' that calls the LSTM once on the whole sequence",
        edits=(
            (ANSWERS[1], "for t in range(x.shape[0]):", "for t in range(1):"),
            (ANSWERS[1], "lstm(x[t : t + 1], state)", "lstm(x, state)"),
        ),
        fails=("test_step_by_step_feeds_one_element_per_call",),
    ),
    "mistake_enforce_sorted": Variant(
        "packs with the default enforce_sorted=True, which rejects unsorted names",
        edits=((ANSWERS[2], ", enforce_sorted=False)", ")"),),
        fails=(
            "test_names_to_batch_returns_packed_sequence",
            "test_names_to_batch_keeps_names_and_order",
        ),
    ),
    "mistake_sorted_order_lost": Variant(
        "sorts the names by length to pack them and never restores the caller's order",
        edits=(
            (
                ANSWERS[2],
                PACK,
                """names = sorted(names, key=len, reverse=True)
    return pack_sequence([name_to_tensor(name) for name in names])""",
            ),
        ),
        fails=("test_names_to_batch_keeps_names_and_order",),
    ),
    "mistake_summed_loss": Variant(
        "sums the loss over the batch instead of averaging it",
        edits=(
            (
                ANSWERS[3],
                "nll_loss(log_probs, targets)",
                'nll_loss(log_probs, targets, reduction="sum")',
            ),
        ),
        fails=("test_train_step_returns_mean_nll", "test_train_step_updates_with_fresh_gradients"),
    ),
    "mistake_no_zero_grad": Variant(
        "never zeroes the gradients, so they accumulate across steps",
        edits=((ANSWERS[3], "    optimizer.zero_grad()\n", ""),),
        fails=("test_train_step_updates_with_fresh_gradients", "test_training_reduces_loss"),
    ),
    "mistake_no_optimizer_step": Variant(
        "computes gradients but never calls optimizer.step()",
        edits=((ANSWERS[3], "    optimizer.step()\n", ""),),
        fails=("test_train_step_updates_with_fresh_gradients", "test_training_reduces_loss"),
    ),
    "mistake_predict_indices": Variant(
        "returns class indices instead of language names",
        edits=(
            (
                ANSWERS[4],
                "[LANGUAGES[k] for k in log_probs.argmax(dim=1).tolist()]",
                "log_probs.argmax(dim=1).tolist()",
            ),
        ),
        fails=P5,
    ),
    "mistake_predict_reorders": Variant(
        "sorts the names by length before predicting, so labels land on the wrong names",
        edits=(
            (
                ANSWERS[4],
                "log_probs = model(names_to_batch(names))",
                "log_probs = model(names_to_batch(sorted(names, key=len)))",
            ),
        ),
        fails=("test_predict_picks_most_likely_language",),
    ),
    # ----- correct answers written differently: full marks
    "alt_batch_first_and_gather": Variant(
        "batch_first LSTM; last real step gathered from the padded output; manual NLL",
        edits=(
            (
                ANSWERS[0],
                "self.lstm = nn.LSTM(n_letters, hidden_size)",
                "self.lstm = nn.LSTM(n_letters, hidden_size, batch_first=True)",
            ),
            (
                ANSWERS[0],
                FORWARD,
                """        if isinstance(x, PackedSequence):
            out, lengths = pad_packed_sequence(self.lstm(x)[0], batch_first=True)
        else:
            out = self.lstm(x.transpose(0, 1))[0]
            lengths = torch.full((out.shape[0],), out.shape[1])
        last = out[torch.arange(out.shape[0]), lengths - 1]  # (B, H)
        return torch.log_softmax(self.fc(last), dim=1)""",
            ),
            (
                ANSWERS[3],
                "loss = nn.functional.nll_loss(log_probs, targets)",
                "loss = -log_probs[torch.arange(len(targets)), targets].mean()",
            ),
        ),
    ),
    "alt_explicit_state_and_padding": Variant(
        "explicit zero state and torch.stack; pad + pack_padded_sequence; model.zero_grad()",
        edits=(
            (
                ANSWERS[1],
                "    state = None  # (h, c); None means zeros\n",
                "    zeros = torch.zeros(1, x.shape[1], lstm.hidden_size)\n"
                "    state = (zeros, zeros.clone())\n",
            ),
            (
                ANSWERS[1],
                "return torch.cat(outputs, dim=0), state",
                "return torch.stack([o[0] for o in outputs]), (state[0], state[1])",
            ),
            (
                ANSWERS[2],
                PACK,
                """from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

    padded = pad_sequence([name_to_tensor(n) for n in names])  # (T_max, B, L)
    lengths = torch.tensor([len(n) for n in names])
    return pack_padded_sequence(padded, lengths, enforce_sorted=False)""",
            ),
            (ANSWERS[3], "optimizer.zero_grad()", "model.zero_grad()"),
        ),
    ),
    "alt_one_at_a_time_predict": Variant(
        "Sequential head with LogSoftmax; CrossEntropy-free loss; predict one name at a time",
        edits=(
            (
                ANSWERS[0],
                "self.fc = nn.Linear(hidden_size, n_languages)",
                "self.fc = nn.Sequential(\n"
                "            nn.Linear(hidden_size, n_languages), nn.LogSoftmax(dim=-1)\n"
                "        )",
            ),
            (
                ANSWERS[0],
                "return nn.functional.log_softmax(self.fc(h_n[-1]), dim=-1)",
                "return self.fc(h_n.squeeze(0))",
            ),
            (
                ANSWERS[4],
                "log_probs = model(names_to_batch(names))  # (B, K)",
                "log_probs = torch.cat([model(name_to_tensor(n).unsqueeze(1)) for n in names])",
            ),
        ),
    ),
    # ----- broken or hostile submissions: graded, never crash the batch
    "broken_syntax_error": Variant(
        "a syntax error in the names_to_batch cell; the other parts still count",
        edits=(
            (ANSWERS[2], PACK, "return pack_sequence([name_to_tensor(name) for name in names]"),
        ),
        fails=P3,
    ),
    "broken_not_json": Variant(
        "a file that is not a notebook at all",
        replace_all='{"cells": [ this is not JSON',
        fails=P1 + P2 + P3 + P4 + P5,
    ),
    "hostile_hangs": Variant(
        "predict loops forever",
        edits=(
            (
                ANSWERS[4],
                "    if not names:\n",
                "    while True:\n        pass\n    if not names:\n",
            ),
        ),
        fails=P5,
    ),
    "hostile_sys_exit": Variant(
        "train_step calls sys.exit(0)",
        edits=(
            (
                ANSWERS[3],
                "    optimizer.zero_grad()\n",
                "    import sys\n    sys.exit(0)\n    optimizer.zero_grad()\n",
            ),
        ),
        fails=P4,
    ),
    "hostile_os_exit": Variant(
        "building the model calls os._exit(0)",
        edits=(
            (
                ANSWERS[0],
                "        super().__init__()\n",
                "        super().__init__()\n        import os\n        os._exit(0)\n",
            ),
        ),
        fails=P1,
    ),
    "hostile_training_at_top_level": Variant(
        "an extra cell that trains for a very long time at the top level: never run by the grader",
        extra_cells=("model = LSTMClassifier()\nfor _ in range(10**9):\n    pass\n",),
    ),
}

# --------------------------------------------------------------------------- assignment 2
A2 = "02_sequence_tagger"
BATCH = ("test_make_batch_shapes", "test_make_batch_keeps_examples_and_order")
TAGGER = (
    "test_tagger_output_shape", "test_tagger_has_one_shared_head",
    "test_causal_tagger_ignores_the_future", "test_bidirectional_tagger_sees_the_future",
    "test_padding_does_not_change_real_positions", "test_gradients_reach_every_parameter",
)  # fmt: skip
LOSS = ("test_loss_is_mean_cross_entropy_over_real_positions", "test_loss_ignores_padding")
ACCURACY = ("test_accuracy_counts_real_positions_only",)
STEP = (
    "test_train_step_returns_the_loss", "test_train_step_updates_with_fresh_gradients",
    "test_training_beats_the_context_free_rule",
)  # fmt: skip
A2_ANSWERS = ("make_batch_answer", "tagger_answer", "loss_answer", "accuracy_answer",
              "train_step_answer")  # fmt: skip
TAGGER_FORWARD = """        packed = pack_padded_sequence(self.embed(bases), lengths.cpu(), enforce_sorted=False)
        output, _ = self.lstm(packed)
        h, _ = pad_packed_sequence(output, total_length=T)  # (T, B, D * H): h_t of every step
        return self.head(h)  # z_t = w . h_t + b, the same w and b at every t"""
MASK = "mask = torch.arange(logits.shape[0]).unsqueeze(1) < lengths.unsqueeze(0)  # (T, B)"
LOSS_RETURN = "return nn.functional.cross_entropy(logits[mask], tags[mask])"

A2_VARIANTS = {
    "reference": Variant("the reference solution"),
    "stub": Variant(
        "the released notebook, untouched",
        stubs=A2_ANSWERS,
        fails=BATCH + TAGGER + LOSS + ACCURACY + STEP,
    ),  # fmt: skip
    "partial": Variant(
        "Parts 1-2 done, Parts 3-5 not started", stubs=A2_ANSWERS[2:], fails=LOSS + ACCURACY + STEP
    ),  # fmt: skip
    "mistake_batch_first": Variant(
        "pads batch-first, (B, T), instead of time-major",
        edits=(
            (
                A2_ANSWERS[0],
                "pad_sequence([encode_bases(b) for b, _ in examples])",
                "pad_sequence([encode_bases(b) for b, _ in examples], batch_first=True)",
            ),
            (
                A2_ANSWERS[0],
                "pad_sequence([encode_tags(y) for _, y in examples])",
                "pad_sequence([encode_tags(y) for _, y in examples], batch_first=True)",
            ),
        ),
        fails=BATCH,
    ),
    "mistake_labels_shifted": Variant(
        "shifts the labels by one position against the bases",
        edits=(
            (
                A2_ANSWERS[0],
                "encode_tags(y) for _, y in examples",
                "encode_tags(y[:1] + y[:-1]) for _, y in examples",
            ),
        ),
        fails=("test_make_batch_keeps_examples_and_order",),
    ),
    "mistake_head_per_step": Variant(
        "a separate Linear for every time step instead of one shared head",
        edits=(
            (
                A2_ANSWERS[1],
                "self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), n_tags)",
                "self.head = nn.ModuleList(\n"
                "            nn.Linear(hidden_size * (2 if bidirectional else 1), n_tags)\n"
                "            for _ in range(300)\n"
                "        )",
            ),
            (
                A2_ANSWERS[1],
                "return self.head(h)  # z_t = w . h_t + b, the same w and b at every t",
                "return torch.stack([self.head[t](h[t]) for t in range(T)])",
            ),
        ),
        fails=("test_tagger_has_one_shared_head", "test_gradients_reach_every_parameter"),
    ),
    "mistake_final_state_everywhere": Variant(
        "tags every step from the final state h_n instead of h_t",
        edits=(
            (
                A2_ANSWERS[1],
                TAGGER_FORWARD,
                """        packed = pack_padded_sequence(self.embed(bases), lengths.cpu(), enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)  # (D, B, H)
        final = torch.cat(list(h_n), dim=-1)  # (B, D * H)
        return self.head(final).unsqueeze(0).expand(T, -1, -1)""",
            ),
        ),
        fails=("test_causal_tagger_ignores_the_future",),
    ),
    "mistake_no_packing": Variant(
        "runs the LSTM over the padded batch without packing it",
        edits=(
            (
                A2_ANSWERS[1],
                TAGGER_FORWARD,
                """        h, _ = self.lstm(self.embed(bases))  # (T, B, D * H), padding included
        return self.head(h)""",
            ),
        ),
        fails=("test_padding_does_not_change_real_positions",),
    ),
    "mistake_always_bidirectional": Variant(
        "ignores the bidirectional flag and always reads both directions",
        edits=(
            (
                A2_ANSWERS[1],
                "self.lstm = nn.LSTM(embedding_dim, hidden_size, bidirectional=bidirectional)",
                "self.lstm = nn.LSTM(embedding_dim, hidden_size, bidirectional=True)",
            ),
            (
                A2_ANSWERS[1],
                "nn.Linear(hidden_size * (2 if bidirectional else 1), n_tags)",
                "nn.Linear(hidden_size * 2, n_tags)",
            ),
        ),
        fails=("test_tagger_has_one_shared_head", "test_causal_tagger_ignores_the_future"),
    ),
    "mistake_loss_summed": Variant(
        "sums the per-position losses instead of averaging them",
        edits=(
            (
                A2_ANSWERS[2],
                LOSS_RETURN,
                'return nn.functional.cross_entropy(logits[mask], tags[mask], reduction="sum")',
            ),
        ),
        fails=("test_loss_is_mean_cross_entropy_over_real_positions",),
    ),
    "mistake_loss_counts_padding": Variant(
        "averages over every position, padding included",
        edits=(
            (
                A2_ANSWERS[2],
                LOSS_RETURN,
                "return nn.functional.cross_entropy(logits.flatten(0, 1), tags.flatten())",
            ),
        ),
        fails=LOSS,
    ),
    "mistake_loss_mean_of_sequence_means": Variant(
        "averages each sequence first, so short sequences weigh more per position",
        edits=(
            (
                A2_ANSWERS[2],
                LOSS_RETURN,
                """per_position = nn.functional.cross_entropy(
        logits.permute(1, 2, 0), tags.t(), reduction="none"
    ).t()  # (T, B)
    return ((per_position * mask).sum(0) / lengths).mean()""",
            ),
        ),
        fails=("test_loss_is_mean_cross_entropy_over_real_positions",),
    ),
    "mistake_accuracy_counts_padding": Variant(
        "counts padded positions in the accuracy",
        edits=(
            (
                A2_ANSWERS[3],
                "return (logits.argmax(dim=-1)[mask] == tags[mask]).float().mean().item()",
                "return (logits.argmax(dim=-1) == tags).float().mean().item()",
            ),
        ),
        fails=ACCURACY,
    ),
    "mistake_train_no_zero_grad": Variant(
        "never zeroes the gradients",
        edits=((A2_ANSWERS[4], "    optimizer.zero_grad()\n", ""),),
        fails=(
            "test_train_step_updates_with_fresh_gradients",
            "test_training_beats_the_context_free_rule",
        ),
    ),
    "mistake_train_returns_later_loss": Variant(
        "returns the loss recomputed after the update",
        edits=(
            (
                A2_ANSWERS[4],
                "    return loss.item()",
                "    return masked_mean_loss(model(bases, lengths), tags, lengths).item()",
            ),
        ),
        fails=("test_train_step_returns_the_loss",),
    ),
    "alt_one_hot_batch_first": Variant(
        "one-hot inputs, a batch_first LSTM with transposes, a weighted loss with a float mask",
        edits=(
            (A2_ANSWERS[1], "        self.embed = nn.Embedding(len(BASES), embedding_dim)\n", ""),
            (
                A2_ANSWERS[1],
                "self.lstm = nn.LSTM(embedding_dim, hidden_size, bidirectional=bidirectional)",
                "self.lstm = nn.LSTM(\n"
                "            len(BASES), hidden_size, bidirectional=bidirectional, batch_first=True\n"
                "        )",
            ),
            (
                A2_ANSWERS[1],
                TAGGER_FORWARD,
                """        x = nn.functional.one_hot(bases.t(), len(BASES)).float()  # (B, T, 4)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        h, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=T)
        return self.head(h).transpose(0, 1)  # (T, B, K)""",
            ),
            (
                A2_ANSWERS[2],
                LOSS_RETURN,
                """per_position = nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), tags.reshape(-1), reduction="none"
    ).reshape(tags.shape)
    weights = mask.float()
    return (per_position * weights).sum() / weights.sum()""",
            ),
        ),
    ),
    "alt_manual_loops": Variant(
        "make_batch and accuracy written with explicit loops; log_softmax + gather loss",
        edits=(
            (
                A2_ANSWERS[0],
                """    bases = pad_sequence([encode_bases(b) for b, _ in examples])  # (T_max, B)
    tags = pad_sequence([encode_tags(y) for _, y in examples])  # (T_max, B)""",
                """    T = max(len(b) for b, _ in examples)
    bases = torch.zeros(T, len(examples), dtype=torch.long)
    tags = torch.zeros(T, len(examples), dtype=torch.long)
    for i, (b, y) in enumerate(examples):
        bases[: len(b), i] = encode_bases(b)
        tags[: len(y), i] = encode_tags(y)""",
            ),
            (
                A2_ANSWERS[2],
                LOSS_RETURN,
                """log_p = torch.log_softmax(logits, dim=-1).gather(-1, tags.unsqueeze(-1)).squeeze(-1)
    return -log_p[mask].sum() / mask.sum()""",
            ),
            (
                A2_ANSWERS[3],
                "return (logits.argmax(dim=-1)[mask] == tags[mask]).float().mean().item()",
                """hits = total = 0
    for b, n in enumerate(lengths.tolist()):
        hits += int((logits[:n, b].argmax(-1) == tags[:n, b]).sum())
        total += n
    return hits / total""",
            ),
        ),
    ),
    "alt_ignore_index": Variant(
        "padded tags set to ignore_index; model.zero_grad()",
        edits=(
            (
                A2_ANSWERS[2],
                LOSS_RETURN,
                """targets = tags.masked_fill(~mask, -100)
    return nn.functional.cross_entropy(logits.permute(1, 2, 0), targets.t(), ignore_index=-100)""",
            ),
            (A2_ANSWERS[4], "optimizer.zero_grad()", "model.zero_grad()"),
        ),
    ),
    "hostile_exit_in_loss": Variant(
        "the loss calls os._exit(0)",
        edits=((A2_ANSWERS[2], "    " + MASK, "    import os\n\n    os._exit(0)\n    " + MASK),),
        fails=LOSS,
    ),
}

# --------------------------------------------------------------------------- assignment 3
A3 = "03_name_generator"
EXAMPLE = ("test_target_ends_with_eos", "test_target_is_input_shifted_by_one")
MODEL = ("test_model_output_and_state_shapes", "test_model_state_continues_the_sequence")
NLL = (
    "test_name_nll_is_the_sum_including_the_endterm",
    "test_training_with_name_nll_learns_to_stop",
)
TEMPERATURE = (
    "test_cold_temperature_is_a_finite_argmax", "test_hot_temperature_is_uniform",
    "test_temperature_one_is_plain_softmax", "test_entropy_grows_with_temperature",
)  # fmt: skip
SAMPLING = ("test_samples_follow_softmax_with_temperature", "test_cold_sampling_is_greedy")
GENERATE = (
    "test_generate_stops_at_eos", "test_generate_stops_at_max_length",
    "test_generate_returns_no_special_tokens", "test_generate_carries_the_state",
    "test_generate_continues_after_the_start_letters",
)  # fmt: skip
A3_ANSWERS = ("make_example_answer", "model_answer", "loss_answer", "temperature_answer",
              "sampling_answer", "generate_answer", "beam_search_answer")  # fmt: skip
NLL_RETURN = 'return nn.functional.cross_entropy(logits[:, 0], target_ids, reduction="sum")'
SOFTMAX_BODY = """    scaled = logits / C
    scaled = scaled - scaled.max(dim=-1, keepdim=True).values  # largest entry 0: no overflow
    weights = scaled.exp()
    return weights / weights.sum(dim=-1, keepdim=True)  # the sum is >= 1"""
FEED_BACK = "logits, state = model(torch.tensor([[token]]), state)  # feed the letter back in"

A3_VARIANTS = {
    "reference": Variant("the reference solution"),
    "stub": Variant(
        "the released notebook, untouched",
        stubs=A3_ANSWERS,
        fails=EXAMPLE + MODEL + NLL + TEMPERATURE + SAMPLING + GENERATE,
    ),  # fmt: skip
    "partial": Variant(
        "Parts 1-4 done, sampling and generation not started",
        stubs=A3_ANSWERS[4:],
        fails=SAMPLING + GENERATE,
    ),  # fmt: skip
    "mistake_no_eos_in_target": Variant(
        "targets without the EOS token: the model never learns to stop",
        edits=(
            (
                A3_ANSWERS[0],
                "return encode(SOS + name), encode(name + EOS)",
                "return encode(SOS + name), encode(name)",
            ),
        ),
        fails=EXAMPLE,
    ),
    "mistake_target_shift_by_two": Variant(
        "an off-by-one in the target shift (each target is two steps ahead)",
        edits=(
            (
                A3_ANSWERS[0],
                "return encode(SOS + name), encode(name + EOS)",
                "return encode(SOS + name), encode(name[1:] + EOS + EOS)",
            ),
        ),
        fails=("test_target_is_input_shifted_by_one",),
    ),
    "mistake_state_ignored": Variant(
        "forward ignores the state it is given",
        edits=(
            (
                A3_ANSWERS[1],
                "output, state = self.lstm(self.embed(input_ids), state)",
                "output, state = self.lstm(self.embed(input_ids))",
            ),
        ),
        fails=("test_model_state_continues_the_sequence",),
    ),
    "mistake_nll_mean": Variant(
        "averages the per-step losses instead of summing them",
        edits=(
            (
                A3_ANSWERS[2],
                NLL_RETURN,
                "return nn.functional.cross_entropy(logits[:, 0], target_ids)",
            ),
        ),
        fails=("test_name_nll_is_the_sum_including_the_endterm",),
    ),
    "mistake_nll_without_endterm": Variant(
        "leaves out the endterm -log P(EOS | name)",
        edits=(
            (
                A3_ANSWERS[2],
                NLL_RETURN,
                'return nn.functional.cross_entropy(logits[:-1, 0], target_ids[:-1], reduction="sum")',
            ),
        ),
        fails=NLL,
    ),
    "mistake_temperature_multiplies": Variant(
        "multiplies the logits by C instead of dividing",
        edits=((A3_ANSWERS[3], "scaled = logits / C\n", "scaled = logits * C\n"),),
        fails=(
            "test_cold_temperature_is_a_finite_argmax",
            "test_hot_temperature_is_uniform",
            "test_entropy_grows_with_temperature",
        ),
    ),
    "mistake_temperature_overflows": Variant(
        "exponentiates a / C directly, which overflows for small C",
        edits=(
            (
                A3_ANSWERS[3],
                SOFTMAX_BODY,
                """    weights = (logits / C).exp()
    return weights / weights.sum(dim=-1, keepdim=True)""",
            ),
        ),
        fails=("test_cold_temperature_is_a_finite_argmax",),
    ),
    "mistake_temperature_wrong_dim": Variant(
        "normalises over the first dimension instead of the last",
        edits=((A3_ANSWERS[3], SOFTMAX_BODY, "    return torch.softmax(logits / C, dim=0)"),),
        fails=("test_cold_temperature_is_a_finite_argmax", "test_temperature_one_is_plain_softmax"),
    ),
    "mistake_sampling_argmax": Variant(
        "'samples' with argmax",
        edits=(
            (
                A3_ANSWERS[4],
                "return int(torch.multinomial(probs, 1, generator=generator))",
                "return int(probs.argmax())",
            ),
        ),
        fails=("test_samples_follow_softmax_with_temperature",),
    ),
    "mistake_sampling_ignores_temperature": Variant(
        "samples from the plain softmax, whatever C is",
        edits=(
            (
                A3_ANSWERS[4],
                "probs = softmax_with_temperature(logits, C)",
                "probs = torch.softmax(logits, dim=-1)",
            ),
        ),
        fails=SAMPLING,
    ),
    "mistake_generate_resets_state": Variant(
        "starts every generation step from a zero state",
        edits=((A3_ANSWERS[5], FEED_BACK, "logits, state = model(torch.tensor([[token]]))"),),
        fails=(
            "test_generate_carries_the_state",
            "test_generate_continues_after_the_start_letters",
        ),
    ),
    "mistake_generate_keeps_eos": Variant(
        "adds the EOS symbol to the name before stopping",
        edits=(
            (
                A3_ANSWERS[5],
                """            if token == EOS_INDEX:
                break
            name += VOCAB[token]""",
                """            name += VOCAB[token]
            if token == EOS_INDEX:
                break""",
            ),
        ),
        fails=("test_generate_stops_at_eos", "test_generate_returns_no_special_tokens"),
    ),
    "mistake_generate_ignores_max_length": Variant(
        "never checks max_length, so a model that never says EOS never stops",
        edits=((A3_ANSWERS[5], "while len(name) < max_length:", "while True:"),),
        fails=(
            "test_generate_stops_at_max_length",
            "test_generate_returns_no_special_tokens",
            "test_generate_carries_the_state",
            "test_generate_continues_after_the_start_letters",
        ),
    ),
    "mistake_generate_drops_start": Variant(
        "returns only the sampled letters, without the start letters",
        edits=((A3_ANSWERS[5], "        name = start\n", '        name = ""\n'),),
        fails=("test_generate_stops_at_eos", "test_generate_continues_after_the_start_letters"),
    ),
    "alt_builtin_softmax_and_gather": Variant(
        "torch.softmax for the temperature, log_softmax + gather for the loss, .item() sampling",
        edits=(
            (
                A3_ANSWERS[0],
                "return encode(SOS + name), encode(name + EOS)",
                "letters = encode(name)\n"
                "    return (\n"
                "        torch.cat([torch.tensor([SOS_INDEX]), letters]),\n"
                "        torch.cat([letters, torch.tensor([EOS_INDEX])]),\n"
                "    )",
            ),
            (
                A3_ANSWERS[2],
                NLL_RETURN,
                "log_p = torch.log_softmax(logits[:, 0], dim=-1)\n"
                "    return -log_p.gather(1, target_ids.unsqueeze(1)).sum()",
            ),
            (A3_ANSWERS[3], SOFTMAX_BODY, "    return torch.softmax(logits / C, dim=-1)"),
            (
                A3_ANSWERS[4],
                "return int(torch.multinomial(probs, 1, generator=generator))",
                "return torch.multinomial(probs, num_samples=1, generator=generator).item()",
            ),
        ),
    ),
    "alt_batch_first_model": Variant(
        "a batch_first LSTM inside the model, with transposes",
        edits=(
            (
                A3_ANSWERS[1],
                "self.lstm = nn.LSTM(embedding_dim, hidden_size)",
                "self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)",
            ),
            (
                A3_ANSWERS[1],
                "output, state = self.lstm(self.embed(input_ids), state)  # output (T, B, H)",
                "output, state = self.lstm(self.embed(input_ids.t()), state)  # (B, T, H)\n"
                "        output = output.transpose(0, 1)",
            ),
        ),
    ),
    "alt_generate_prefix_at_once": Variant(
        "generate feeds SOS and the start letters in one call and collects a list of letters",
        edits=(
            (
                A3_ANSWERS[5],
                """        state = None
        for token in [SOS_INDEX] + encode(start).tolist():  # SOS, then the start letters
            logits, state = model(torch.tensor([[token]]), state)  # logits (1, 1, V)
        name = start
        while len(name) < max_length:""",
                """        prefix = torch.tensor([SOS_INDEX] + encode(start).tolist()).unsqueeze(1)  # (T, 1)
        logits, state = model(prefix)
        letters = list(start)
        for _ in range(max_length - len(start)):""",
            ),
            (
                A3_ANSWERS[5],
                "            name += VOCAB[token]\n",
                "            letters.append(VOCAB[token])\n",
            ),
            (A3_ANSWERS[5], "    return name", '    return "".join(letters)'),
        ),
    ),
    "hostile_exit_in_temperature": Variant(
        "softmax_with_temperature calls sys.exit(1)",
        edits=(
            (
                A3_ANSWERS[3],
                "    scaled = logits / C\n",
                "    import sys\n\n    sys.exit(1)\n    scaled = logits / C\n",
            ),
        ),
        fails=TEMPERATURE,
    ),
}

# --------------------------------------------------------------------------- assignment 4
A4 = "04_seq2seq"
BATCH = (
    "test_make_batch_shapes_and_padding", "test_source_is_encoded_in_order",
    "test_decoder_input_starts_with_sos", "test_target_is_input_shifted_and_ends_with_eos",
)  # fmt: skip
ENCODER = (
    "test_encoder_output_and_state_shapes", "test_final_state_ignores_padding",
    "test_encoder_accepts_unsorted_lengths", "test_gradients_reach_the_encoder",
)  # fmt: skip
SEQ2SEQ = (
    "test_logits_shape", "test_decoder_starts_from_the_encoder_state", "test_decoder_is_causal",
    "test_sequences_in_a_batch_do_not_interact", "test_model_learns_easy_pairs",
)  # fmt: skip
LOSS = ("test_loss_is_mean_cross_entropy_over_real_targets", "test_loss_ignores_padding")
TRAIN = (
    "test_train_step_returns_the_loss", "test_train_step_updates_with_fresh_gradients",
    "test_training_reduces_loss",
)  # fmt: skip
GREEDY = (
    "test_each_sequence_stops_at_its_own_eos", "test_decoding_returns_no_special_tokens",
    "test_decoding_respects_max_length", "test_decoding_feeds_back_the_argmax",
)  # fmt: skip
METRICS = ("test_exact_match", "test_char_accuracy")
A4_ANSWERS = ("make_batch_answer", "encoder_answer", "decoder_answer", "seq2seq_answer",
              "loss_answer", "train_step_answer", "greedy_decode_answer", "metrics_answer",
              "beam_search_answer")  # fmt: skip
PACKED = "packed = pack_padded_sequence(self.embed(src), src_lengths.cpu(), enforce_sorted=False)"
ENCODE_BODY = """        packed = pack_padded_sequence(self.embed(src), src_lengths.cpu(), enforce_sorted=False)
        outputs, state = self.lstm(packed)  # state: after each column's own last character
        outputs, _ = pad_packed_sequence(outputs, total_length=src.shape[0])  # (S_max, B, H)"""
GREEDY_STOP = """                if next_id == EOS_INDEX:
                    finished[b] = True
                else:
                    outputs[b].append(next_id)"""
CE = "return F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD_INDEX)"

A4_VARIANTS = {
    "reference": Variant("the reference solution"),
    "stub": Variant(
        "the released notebook, untouched",
        stubs=A4_ANSWERS,
        fails=BATCH + ENCODER + SEQ2SEQ + LOSS + TRAIN + GREEDY + METRICS,
    ),
    "partial": Variant(
        "Parts 1-4 done, the rest not started",
        stubs=A4_ANSWERS[5:],
        fails=TRAIN + GREEDY + METRICS,
    ),
    # ----- typical mistakes: each loses exactly its own problem's tests
    "mistake_decoder_starts_from_zeros": Variant(
        "Seq2Seq runs the encoder but starts the decoder from a zero state",
        edits=(
            (
                A4_ANSWERS[3],
                "logits, _ = self.decoder(tgt_in, state)",
                "logits, _ = self.decoder(tgt_in, None)",
            ),
        ),  # fmt: skip
        fails=("test_decoder_starts_from_the_encoder_state", "test_model_learns_easy_pairs"),
    ),
    "mistake_eos_never_appended": Variant(
        "make_batch forgets the EOS at the end of tgt_out",
        edits=((A4_ANSWERS[0], "torch.cat([t, eos])", "t"),),
        fails=(
            "test_make_batch_shapes_and_padding",
            "test_target_is_input_shifted_and_ends_with_eos",
        ),  # fmt: skip
    ),
    "mistake_targets_not_shifted": Variant(
        "make_batch uses the decoder input (SOS + digits) as the target too",
        edits=(
            (
                A4_ANSWERS[0],
                "[torch.cat([t, eos]) for t in targets]",
                "[torch.cat([sos, t]) for t in targets]",
            ),
        ),  # fmt: skip
        fails=("test_target_is_input_shifted_and_ends_with_eos",),
    ),
    "mistake_loss_counts_padding": Variant(
        "the loss averages over padding positions too (no ignore_index)",
        edits=(
            (A4_ANSWERS[4], CE, "return F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten())"),
        ),
        fails=LOSS,
    ),
    "mistake_decodes_past_eos": Variant(
        "greedy_decode keeps appending tokens after a column's EOS",
        edits=(
            (
                A4_ANSWERS[6],
                "                if finished[b]:\n                    continue  "
                "# this column has written its EOS already\n",
                "",
            ),
        ),  # fmt: skip
        fails=("test_each_sequence_stops_at_its_own_eos",),
    ),
    "mistake_stops_at_first_eos": Variant(
        "greedy_decode stops the whole batch as soon as one column says EOS",
        edits=((A4_ANSWERS[6], "if all(finished):", "if any(finished):"),),
        fails=("test_each_sequence_stops_at_its_own_eos", "test_decoding_feeds_back_the_argmax"),
    ),
    "mistake_keeps_eos": Variant(
        "greedy_decode returns the EOS token at the end of each list",
        edits=(
            (
                A4_ANSWERS[6],
                "                    finished[b] = True\n",
                "                    finished[b] = True\n                    outputs[b].append(next_id)\n",
            ),
        ),  # fmt: skip
        fails=(
            "test_each_sequence_stops_at_its_own_eos",
            "test_decoding_returns_no_special_tokens",
            "test_decoding_feeds_back_the_argmax",
        ),  # fmt: skip
    ),
    "mistake_feeds_sos_every_step": Variant(
        "greedy_decode feeds SOS at every step instead of its last prediction",
        edits=(
            (
                A4_ANSWERS[6],
                "logits, state = model.decoder(token, state)",
                "logits, state = model.decoder(torch.full_like(token, SOS_INDEX), state)",
            ),
        ),  # fmt: skip
        fails=("test_each_sequence_stops_at_its_own_eos", "test_decoding_feeds_back_the_argmax"),
    ),
    "mistake_batch_first_decoder": Variant(
        "the decoder's LSTM is batch_first=True but gets time-major input",
        edits=(
            (
                A4_ANSWERS[2],
                "        self.lstm = nn.LSTM(embedding_dim, hidden_size)\n",
                "        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)\n",
            ),
        ),  # fmt: skip
        fails=SEQ2SEQ,
    ),
    "mistake_packing_enforce_sorted": Variant(
        "packs with enforce_sorted=True, which fails on batches not sorted by length",
        edits=((A4_ANSWERS[1], "enforce_sorted=False", "enforce_sorted=True"),),
        fails=("test_encoder_accepts_unsorted_lengths",),
    ),
    "mistake_no_packing": Variant(
        "runs the encoder LSTM over the padded batch: the final state has read the padding",
        edits=(
            (A4_ANSWERS[1], ENCODE_BODY, "        outputs, state = self.lstm(self.embed(src))"),
        ),
        fails=("test_final_state_ignores_padding", "test_encoder_accepts_unsorted_lengths"),
    ),
    "mistake_state_shared_across_batch": Variant(
        "Seq2Seq starts every column of the decoder from the first column's encoder state",
        edits=(
            (
                A4_ANSWERS[3],
                "logits, _ = self.decoder(tgt_in, state)",
                "state = tuple(s[:, :1].expand_as(s).contiguous() for s in state)\n"
                "        logits, _ = self.decoder(tgt_in, state)",
            ),
        ),  # fmt: skip
        fails=(
            "test_decoder_starts_from_the_encoder_state",
            "test_sequences_in_a_batch_do_not_interact",
            "test_model_learns_easy_pairs",
        ),  # fmt: skip
    ),
    "mistake_no_zero_grad": Variant(
        "train_step never zeroes the gradients, so they pile up across steps",
        edits=((A4_ANSWERS[5], "    optimizer.zero_grad()\n", ""),),
        fails=("test_train_step_updates_with_fresh_gradients",),  # Adam still lowers the loss
    ),
    "mistake_char_accuracy_over_expected": Variant(
        "char_accuracy divides by the expected lengths, so extra digits cost nothing",
        edits=(
            (
                A4_ANSWERS[7],
                "sum(max(len(p), len(e)) for p, e in zip(predicted, expected))",
                "sum(len(e) for e in expected)",
            ),
        ),  # fmt: skip
        fails=("test_char_accuracy",),
    ),
    # ----- different but correct
    "alt_manual_masked_loss": Variant(
        "log_softmax, gather and an explicit mask for the loss; a GRU-free manual batch",
        edits=(
            (
                A4_ANSWERS[4],
                CE,
                "log_p = torch.log_softmax(logits, dim=-1)  # (T, B, V)\n"
                "    nll = -log_p.gather(-1, tgt_out.unsqueeze(-1)).squeeze(-1)  # (T, B)\n"
                "    mask = (tgt_out != PAD_INDEX).float()\n"
                "    return (nll * mask).sum() / mask.sum()",
            ),
            (
                A4_ANSWERS[0],
                "    src = pad_sequence(sources, padding_value=PAD_INDEX)  # (S_max, B)\n",
                "    src = torch.full((max(len(s) for s in sources), len(pairs)), PAD_INDEX)\n"
                "    for b, s in enumerate(sources):\n"
                "        src[: len(s), b] = s\n",
            ),
        ),  # fmt: skip
    ),
    "alt_batch_first_inside": Variant(
        "batch_first LSTMs inside the encoder and decoder, with transposes",
        edits=(
            (
                A4_ANSWERS[1],
                "        self.lstm = nn.LSTM(embedding_dim, hidden_size)\n",
                "        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)\n",
            ),
            (
                A4_ANSWERS[1],
                ENCODE_BODY,
                "        packed = pack_padded_sequence(self.embed(src.t()), src_lengths, "
                "batch_first=True, enforce_sorted=False)\n"
                "        outputs, state = self.lstm(packed)\n"
                "        outputs, _ = pad_packed_sequence(outputs, batch_first=True, "
                "total_length=src.shape[0])\n"
                "        outputs = outputs.transpose(0, 1)",
            ),
            (
                A4_ANSWERS[2],
                "        self.lstm = nn.LSTM(embedding_dim, hidden_size)\n",
                "        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)\n",
            ),
            (
                A4_ANSWERS[2],
                "outputs, state = self.lstm(self.embed(tgt_in), state)  # outputs (T, B, H)",
                "outputs, state = self.lstm(self.embed(tgt_in.t()), state)  # (B, T, H)\n"
                "        outputs = outputs.transpose(0, 1)",
            ),
        ),  # fmt: skip
    ),
    "alt_decode_active_only": Variant(
        "greedy_decode feeds only the unfinished columns, slicing the state",
        edits=(
            (
                A4_ANSWERS[6],
                """        token = torch.full((1, batch_size), SOS_INDEX, dtype=torch.long)
        outputs = [[] for _ in range(batch_size)]
        finished = [False] * batch_size
        for _ in range(max_length):
            logits, state = model.decoder(token, state)  # logits (1, B, V_t)
            token = logits.argmax(dim=-1)  # (1, B): fed back in at the next step
            for b, next_id in enumerate(token[0].tolist()):
                if finished[b]:
                    continue  # this column has written its EOS already
                if next_id == EOS_INDEX:
                    finished[b] = True
                else:
                    outputs[b].append(next_id)
            if all(finished):
                break""",
                """        outputs = [[] for _ in range(batch_size)]
        active = torch.arange(batch_size)
        token = torch.full((1, batch_size), SOS_INDEX, dtype=torch.long)
        for _ in range(max_length):
            logits, state = model.decoder(token, state)
            token = logits.argmax(dim=-1)
            keep = token[0] != EOS_INDEX
            for b, t in zip(active[keep].tolist(), token[0][keep].tolist()):
                outputs[b].append(t)
            active, token = active[keep], token[:, keep]
            state = (state[0][:, keep], state[1][:, keep])
            if len(active) == 0:
                break""",
            ),
        ),  # fmt: skip
    ),
    "hostile_exit_in_decode": Variant(
        "greedy_decode calls os._exit(0)",
        edits=(
            (
                A4_ANSWERS[6],
                "    model.eval()\n",
                "    import os\n\n    os._exit(0)\n    model.eval()\n",
            ),
        ),  # fmt: skip
        fails=GREEDY,
    ),
}

VARIANTS = {A1: A1_VARIANTS, A2: A2_VARIANTS, A3: A3_VARIANTS, A4: A4_VARIANTS}


# --------------------------------------------------------------------------- building


def build(out: Path) -> None:
    for assignment, variants in VARIANTS.items():
        source = _only_notebook(ROOT / "solutions" / assignment)
        released = ROOT / "assignments" / assignment / source.name
        answers = _filled_answers(json.loads(source.read_text(encoding="utf-8")))
        for student, variant in variants.items():
            target = out / student / assignment / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if variant.replace_all is not None:
                target.write_text(variant.replace_all, encoding="utf-8")
                continue
            nb = json.loads(released.read_text(encoding="utf-8"))
            _fill(nb, answers, variant, student)
            target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _only_notebook(folder: Path) -> Path:
    (nb,) = sorted(folder.glob("*.ipynb"))
    return nb


def _filled_answers(source_nb: dict) -> dict[str, str]:
    answers = {}
    for cell in source_nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            lines = "".join(cell["source"]).split("\n")
            kept = [line for line in lines if line.strip() not in MARKERS]
            answers[meta["grade_id"]] = "\n".join(kept)
    return answers


def _fill(nb: dict, answers: dict[str, str], variant: Variant, student: str) -> None:
    edits: dict[str, str] = {}
    for grade_id, old, new in variant.edits:
        text = edits.get(grade_id, answers[grade_id])
        if text.count(old) != 1:
            raise SystemExit(f"{student}: edit of {grade_id} must match exactly once: {old!r}")
        edits[grade_id] = text.replace(old, new)
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers and grade_id not in variant.stubs:
            cell["source"] = edits.get(grade_id, answers[grade_id])
    for code in variant.extra_cells:
        nb["cells"].append(
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": code,
            }  # fmt: skip
        )


def main() -> int:
    if "--check" not in sys.argv[1:]:
        if OUT.exists():
            shutil.rmtree(OUT)
        build(OUT)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp))
        want = {p.relative_to(tmp): p.read_bytes() for p in Path(tmp).rglob("*") if p.is_file()}
    have = {p.relative_to(OUT): p.read_bytes() for p in OUT.rglob("*") if p.is_file()}
    if want != have:
        stale = sorted(str(p) for p in set(want) ^ set(have) | {
            p for p in set(want) & set(have) if want[p] != have[p]})  # fmt: skip
        print("examples/submitted is out of date; run python examples/make_examples.py:")
        print("\n".join(f"  {s}" for s in stale[:20]))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
