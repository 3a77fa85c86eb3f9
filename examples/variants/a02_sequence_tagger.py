"""Example submissions for sequence_tagger: reference, stubs, mistakes, alternatives, hostile code."""

from __future__ import annotations

from examples.variants import Variant

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

ASSIGNMENT = A2
VARIANTS = A2_VARIANTS
