"""Example submissions for sequence_tagger: reference, stubs, mistakes, alternatives, hostile code."""

from __future__ import annotations

from examples.variants import Variant

A2 = "02_sequence_tagger"
BATCH = (
    "test_make_batch_shapes", "test_make_batch_keeps_examples_and_order",
    "test_make_batch_pads_with_zero",
)  # fmt: skip
SHAPE = "test_tagger_output_shape"
CAUSAL_ORACLE = "test_causal_logits_match_the_specification"
BIDIR_ORACLE = "test_bidirectional_logits_match_the_specification"
GRADIENTS = "test_tagger_gradients_match_the_specification"
ORACLES = (CAUSAL_ORACLE, BIDIR_ORACLE, GRADIENTS)
TAGGER = (
    SHAPE, *ORACLES, "test_tagger_has_one_shared_head", "test_causal_tagger_ignores_the_future",
    "test_bidirectional_tagger_sees_the_future", "test_padding_does_not_change_real_positions",
)  # fmt: skip
LOSS_VALUE = "test_loss_is_mean_cross_entropy_over_real_positions"
LOSS_GRADIENT = "test_loss_gradient_matches_the_specification"
LOSS_PADDING = "test_loss_ignores_padding"
LOSS_NAN_VALUE = "test_loss_value_ignores_non_finite_padding"
LOSS_NAN_GRADIENT = "test_loss_gradient_ignores_non_finite_padding"
LOSS = (LOSS_VALUE, LOSS_GRADIENT, LOSS_PADDING, LOSS_NAN_VALUE, LOSS_NAN_GRADIENT)
ACCURACY_MAIN = "test_accuracy_counts_real_positions_only"
ACCURACY_EDGES = "test_accuracy_edge_cases"
ACCURACY_FLOAT = "test_accuracy_returns_a_python_float"
ACCURACY = (ACCURACY_MAIN, ACCURACY_EDGES, ACCURACY_FLOAT)
STEP_LOSS = "test_train_step_returns_the_loss"
STEP_UPDATE = "test_train_step_updates_with_fresh_gradients"
STEP_CALLS = "test_train_step_runs_one_forward_backward_step"
STEP_TRAINING = "test_training_beats_the_context_free_rule"
STEP = (STEP_LOSS, STEP_UPDATE, STEP_CALLS, STEP_TRAINING)
A2_ANSWERS = ("make_batch_answer", "tagger_answer", "loss_answer", "accuracy_answer",
              "train_step_answer")  # fmt: skip
TAGGER_FORWARD = """        packed = pack_padded_sequence(self.embed(bases), lengths.cpu(), enforce_sorted=False)
        output, _ = self.lstm(packed)
        h, _ = pad_packed_sequence(output, total_length=T)  # (T, B, D * H): h_t of every step
        return self.head(h)  # z_t = w . h_t + b, the same w and b at every t"""
MASK = "mask = torch.arange(logits.shape[0]).unsqueeze(1) < lengths.unsqueeze(0)  # (T, B)"
LOSS_RETURN = "return nn.functional.cross_entropy(logits[mask], tags[mask])"

PACK_LINE = "packed = pack_padded_sequence(self.embed(bases), lengths.cpu(), enforce_sorted=False)"
UNPACK_LINE = "h, _ = pad_packed_sequence(output, total_length=T)"
HEAD_RETURN = "return self.head(h)  # z_t = w . h_t + b, the same w and b at every t"
EMBED_LINE = "self.embed = nn.Embedding(len(BASES), embedding_dim)"
LSTM_LINE = "self.lstm = nn.LSTM(embedding_dim, hidden_size, bidirectional=bidirectional)"
HEAD_LINE = "self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), n_tags)"
ACCURACY_RETURN = "return (logits.argmax(dim=-1)[mask] == tags[mask]).float().mean().item()"
PER_POSITION = """per_position = nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), tags.reshape(-1), reduction="none"
    ).reshape(tags.shape)  # (T, B)
    """


def _loss(new: str) -> tuple[str, str, str]:
    return (A2_ANSWERS[2], LOSS_RETURN, new)


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
    # ----------------------------------------------------------------- Part 1: make_batch
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
    "mistake_batch_pads_tags_with_ignore_index": Variant(
        "pads the tags with -100 (cross_entropy's ignore_index) instead of 0",
        edits=(
            (
                A2_ANSWERS[0],
                "pad_sequence([encode_tags(y) for _, y in examples])",
                "pad_sequence([encode_tags(y) for _, y in examples], padding_value=-100)",
            ),
        ),
        fails=("test_make_batch_pads_with_zero",),
    ),
    "mistake_batch_lengths_as_list": Variant(
        "returns the lengths as a Python list",
        edits=(
            (
                A2_ANSWERS[0],
                "lengths = torch.tensor([len(b) for b, _ in examples], dtype=torch.long)",
                "lengths = [len(b) for b, _ in examples]",
            ),
        ),
        fails=("test_make_batch_shapes",),
    ),
    "mistake_batch_sorted_by_length": Variant(
        "sorts the examples longest first (for packing) instead of keeping the caller's order",
        edits=(
            (
                A2_ANSWERS[0],
                "    bases = pad_sequence([encode_bases(b) for b, _ in examples])  # (T_max, B)",
                "    examples = sorted(examples, key=lambda e: len(e[0]), reverse=True)\n"
                "    bases = pad_sequence([encode_bases(b) for b, _ in examples])  # (T_max, B)",
            ),
        ),
        fails=BATCH,
    ),
    "mistake_batch_bases_from_one": Variant(
        "shifts the base indices to 1..4 so that 0 can mean padding",
        edits=(
            (
                A2_ANSWERS[0],
                "pad_sequence([encode_bases(b) for b, _ in examples])",
                "pad_sequence([encode_bases(b) + 1 for b, _ in examples])",
            ),
        ),
        fails=("test_make_batch_keeps_examples_and_order",),
    ),
    # --------------------------------------------------------------------- Part 2: Tagger
    "mistake_head_per_step": Variant(
        "a separate Linear for every time step instead of one shared head",
        edits=(
            (
                A2_ANSWERS[1],
                HEAD_LINE,
                "self.head = nn.ModuleList(\n"
                "            nn.Linear(hidden_size * (2 if bidirectional else 1), n_tags)\n"
                "            for _ in range(300)\n"
                "        )",
            ),
            (
                A2_ANSWERS[1],
                HEAD_RETURN,
                "return torch.stack([self.head[t](h[t]) for t in range(T)])",
            ),
        ),
        fails=(*ORACLES, "test_tagger_has_one_shared_head"),
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
        fails=(*ORACLES, "test_causal_tagger_ignores_the_future"),
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
        fails=(BIDIR_ORACLE, GRADIENTS, "test_padding_does_not_change_real_positions"),
    ),
    "mistake_always_bidirectional": Variant(
        "ignores the bidirectional flag and always reads both directions",
        edits=(
            (
                A2_ANSWERS[1],
                LSTM_LINE,
                "self.lstm = nn.LSTM(embedding_dim, hidden_size, bidirectional=True)",
            ),
            (
                A2_ANSWERS[1],
                "nn.Linear(hidden_size * (2 if bidirectional else 1), n_tags)",
                "nn.Linear(hidden_size * 2, n_tags)",
            ),
        ),
        fails=(
            CAUSAL_ORACLE,
            GRADIENTS,
            "test_tagger_has_one_shared_head",
            "test_causal_tagger_ignores_the_future",
        ),
    ),  # fmt: skip
    "mistake_tagger_softmax_output": Variant(
        "returns softmax probabilities instead of the raw scores",
        edits=((A2_ANSWERS[1], HEAD_RETURN, "return torch.softmax(self.head(h), dim=-1)"),),
        fails=ORACLES,
    ),
    "mistake_tagger_log_softmax_output": Variant(
        "returns log-probabilities (log_softmax) instead of the raw scores",
        edits=((A2_ANSWERS[1], HEAD_RETURN, "return torch.log_softmax(self.head(h), dim=-1)"),),
        fails=ORACLES,
    ),
    "mistake_tagger_no_total_length": Variant(
        "unpacks without total_length: T shrinks to the longest sequence",
        edits=((A2_ANSWERS[1], UNPACK_LINE, "h, _ = pad_packed_sequence(output)"),),
        fails=(SHAPE,),
    ),
    "mistake_tagger_padding_idx": Variant(
        "nn.Embedding(..., padding_idx=0): the embedding of base A never trains",
        edits=(
            (
                A2_ANSWERS[1],
                EMBED_LINE,
                "self.embed = nn.Embedding(len(BASES), embedding_dim, padding_idx=0)",
            ),
        ),
        fails=(GRADIENTS,),
    ),
    "mistake_tagger_detached_embedding": Variant(
        "detaches the embedded bases before the LSTM: the embedding never learns",
        edits=(
            (
                A2_ANSWERS[1],
                PACK_LINE,
                "x = self.embed(bases).detach()\n"
                "        packed = pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False)",
            ),
        ),
        fails=(GRADIENTS,),
    ),
    "mistake_tagger_fixed_embedding_size": Variant(
        "hard-codes the embedding size 8 instead of embedding_dim",
        edits=(
            (A2_ANSWERS[1], EMBED_LINE, "self.embed = nn.Embedding(len(BASES), 8)"),
            (
                A2_ANSWERS[1],
                LSTM_LINE,
                "self.lstm = nn.LSTM(8, hidden_size, bidirectional=bidirectional)",
            ),
        ),
        fails=ORACLES,
    ),
    "mistake_tagger_fixed_two_tags": Variant(
        "hard-codes two tags instead of n_tags",
        edits=(
            (
                A2_ANSWERS[1],
                HEAD_LINE,
                "self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), len(TAGS))",
            ),
        ),
        fails=(SHAPE, *ORACLES),
    ),
    "mistake_tagger_two_lstms_flipped": Variant(
        "bidirectional as a second LSTM over the flipped padded batch (padding read first)",
        edits=(
            (
                A2_ANSWERS[1],
                LSTM_LINE,
                "self.lstm = nn.LSTM(embedding_dim, hidden_size)\n"
                "        self.backward_lstm = (\n"
                "            nn.LSTM(embedding_dim, hidden_size) if bidirectional else None\n"
                "        )",
            ),
            (
                A2_ANSWERS[1],
                TAGGER_FORWARD,
                """        x = self.embed(bases)
        packed = pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False)
        h, _ = pad_packed_sequence(self.lstm(packed)[0], total_length=T)
        if self.backward_lstm is not None:
            h_back, _ = self.backward_lstm(torch.flip(x, [0]))
            h = torch.cat([h, torch.flip(h_back, [0])], dim=-1)
        return self.head(h)""",
            ),
        ),
        fails=(BIDIR_ORACLE, GRADIENTS, "test_padding_does_not_change_real_positions"),
    ),
    "mistake_tagger_sorted_not_restored": Variant(
        "sorts the batch by length for packing and never puts the columns back",
        edits=(
            (
                A2_ANSWERS[1],
                PACK_LINE,
                "lengths, order = lengths.sort(descending=True)\n"
                "        packed = pack_padded_sequence(self.embed(bases[:, order]), lengths.cpu())",
            ),
        ),
        fails=(*ORACLES, "test_padding_does_not_change_real_positions"),
    ),
    # ------------------------------------------------------------------- Part 3: the loss
    "mistake_loss_summed": Variant(
        "sums the per-position losses instead of averaging them",
        edits=(
            _loss('return nn.functional.cross_entropy(logits[mask], tags[mask], reduction="sum")'),
        ),
        fails=(LOSS_VALUE, LOSS_GRADIENT, LOSS_NAN_VALUE, LOSS_NAN_GRADIENT),
    ),
    "mistake_loss_counts_padding": Variant(
        "averages over every position, padding included",
        edits=(_loss("return nn.functional.cross_entropy(logits.flatten(0, 1), tags.flatten())"),),
        fails=LOSS,
    ),
    "mistake_loss_mean_of_sequence_means": Variant(
        "averages each sequence first, so short sequences weigh more per position",
        edits=(
            _loss(
                """per_position = nn.functional.cross_entropy(
        logits.permute(1, 2, 0), tags.t(), reduction="none"
    ).t()  # (T, B)
    return ((per_position * mask).sum(0) / lengths).mean()"""
            ),
        ),
        fails=(LOSS_VALUE, LOSS_GRADIENT, LOSS_NAN_VALUE, LOSS_NAN_GRADIENT),
    ),
    "mistake_loss_multiplies_by_mask": Variant(
        "per-position losses times the mask: a nan score at padding makes the loss nan",
        edits=(_loss(PER_POSITION + "return (per_position * mask).sum() / mask.sum()"),),
        fails=(LOSS_NAN_VALUE, LOSS_NAN_GRADIENT),
    ),
    "mistake_loss_where_after_cross_entropy": Variant(
        "torch.where on the per-position losses: nan comes back in the backward pass",
        edits=(
            _loss(PER_POSITION + "return torch.where(mask, per_position, 0.0).sum() / mask.sum()"),
        ),
        fails=(LOSS_NAN_GRADIENT,),
    ),
    "mistake_loss_mask_from_longest": Variant(
        "builds the mask with lengths.max() rows instead of T: extra padding rows break it",
        edits=(
            (
                A2_ANSWERS[2],
                "    " + MASK,
                "    mask = torch.arange(int(lengths.max())).unsqueeze(1) < lengths.unsqueeze(0)",
            ),
        ),
        fails=(LOSS_VALUE, LOSS_GRADIENT, LOSS_NAN_VALUE, LOSS_NAN_GRADIENT),
    ),
    "mistake_loss_mask_off_by_one": Variant(
        "t <= lengths[b]: the first padded position counts as real",
        edits=(
            (
                A2_ANSWERS[2],
                MASK,
                "mask = torch.arange(logits.shape[0]).unsqueeze(1) <= lengths.unsqueeze(0)",
            ),
        ),
        fails=LOSS,
    ),
    "mistake_loss_nll_on_logits": Variant(
        "nll_loss on the raw scores, as if they were log-probabilities",
        edits=(_loss("return nn.functional.nll_loss(logits[mask], tags[mask])"),),
        fails=(LOSS_VALUE, LOSS_GRADIENT, LOSS_NAN_VALUE, LOSS_NAN_GRADIENT),
    ),
    "mistake_loss_rewrapped_number": Variant(
        "turns the loss into a number and back into a new tensor: no gradient reaches the logits",
        edits=(
            _loss(
                "loss = nn.functional.cross_entropy(logits[mask], tags[mask])\n"
                "    return torch.tensor(loss.item(), requires_grad=True)"
            ),
        ),
        fails=(LOSS_GRADIENT, LOSS_NAN_GRADIENT),
    ),
    # --------------------------------------------------------------- Part 4: the accuracy
    "mistake_accuracy_counts_padding": Variant(
        "counts padded positions in the accuracy",
        edits=(
            (
                A2_ANSWERS[3],
                ACCURACY_RETURN,
                "return (logits.argmax(dim=-1) == tags).float().mean().item()",
            ),
        ),
        fails=(ACCURACY_MAIN, ACCURACY_EDGES),
    ),
    "mistake_accuracy_mean_of_sequences": Variant(
        "averages the accuracy of each sequence instead of pooling the positions",
        edits=(
            (
                A2_ANSWERS[3],
                ACCURACY_RETURN,
                "hits = ((logits.argmax(dim=-1) == tags) & mask).float().sum(0)\n"
                "    return (hits / lengths).mean().item()",
            ),
        ),
        fails=(ACCURACY_MAIN, ACCURACY_EDGES),
    ),
    "mistake_accuracy_returns_tensor": Variant(
        "returns a 0-dim tensor instead of a Python float",
        edits=(
            (
                A2_ANSWERS[3],
                ACCURACY_RETURN,
                "return (logits.argmax(dim=-1)[mask] == tags[mask]).float().mean()",
            ),
        ),
        fails=(ACCURACY_FLOAT,),
    ),
    "mistake_accuracy_island_threshold": Variant(
        "predicts island where softmax(...)[..., 1] >= 0.5: only right for two tags without ties",
        edits=(
            (
                A2_ANSWERS[3],
                ACCURACY_RETURN,
                "island = (torch.softmax(logits, dim=-1)[..., 1] >= 0.5).long()\n"
                "    return (island[mask] == tags[mask]).float().mean().item()",
            ),
        ),
        fails=(ACCURACY_EDGES,),
    ),
    # ------------------------------------------------------------------ Part 5: train_step
    "mistake_train_no_zero_grad": Variant(
        "never zeroes the gradients",
        edits=((A2_ANSWERS[4], "    optimizer.zero_grad()\n", ""),),
        fails=(STEP_UPDATE, STEP_TRAINING),
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
        fails=(STEP_LOSS, STEP_CALLS),
    ),
    "mistake_train_double_step": Variant(
        "calls optimizer.step() twice",
        edits=(
            (
                A2_ANSWERS[4],
                "    optimizer.step()\n",
                "    optimizer.step()\n    optimizer.step()\n",
            ),
        ),
        fails=(STEP_UPDATE, STEP_CALLS),
    ),
    "mistake_train_returns_tensor": Variant(
        "returns the loss tensor instead of a Python float",
        edits=((A2_ANSWERS[4], "    return loss.item()", "    return loss.detach()"),),
        fails=(STEP_LOSS,),
    ),
    "mistake_train_zero_grad_after_backward": Variant(
        "zeroes the gradients between backward() and step(): nothing is learned",
        edits=(
            (A2_ANSWERS[4], "    optimizer.zero_grad()\n", ""),
            (
                A2_ANSWERS[4],
                "    loss.backward()\n",
                "    loss.backward()\n    optimizer.zero_grad()\n",
            ),
        ),
        fails=(STEP_UPDATE, STEP_TRAINING),
    ),
    "mistake_train_step_before_backward": Variant(
        "calls optimizer.step() before loss.backward()",
        edits=(
            (
                A2_ANSWERS[4],
                "    loss.backward()\n    optimizer.step()\n",
                "    optimizer.step()\n    loss.backward()\n",
            ),
        ),  # fmt: skip
        fails=(STEP_UPDATE, STEP_CALLS, STEP_TRAINING),
    ),
    "mistake_train_unmasked_loss": Variant(
        "plain cross_entropy over every position instead of masked_mean_loss",
        edits=(
            (
                A2_ANSWERS[4],
                "loss = masked_mean_loss(model(bases, lengths), tags, lengths)",
                "logits = model(bases, lengths)\n"
                "    loss = nn.functional.cross_entropy(logits.flatten(0, 1), tags.flatten())",
            ),
        ),
        fails=(STEP_LOSS, STEP_UPDATE),
    ),
    # --------------------------------------------------------------- correct alternatives
    "alt_batch_first_packing": Variant(
        "batch-first embedding and packing around the default LSTM; a loss with a float mask "
        "on scores overwritten at padding",
        edits=(
            (
                A2_ANSWERS[1],
                TAGGER_FORWARD,
                """        x = self.embed(bases.t())  # (B, T, E)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        h, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=T)
        return self.head(h).transpose(0, 1)  # (T, B, K)""",
            ),
            _loss(
                """safe = logits.masked_fill(~mask.unsqueeze(-1), 0.0)  # no nan from the padding
    per_position = nn.functional.cross_entropy(
        safe.reshape(-1, safe.shape[-1]), tags.reshape(-1), reduction="none"
    ).reshape(tags.shape)
    weights = mask.float()
    return (per_position * weights).sum() / weights.sum()"""
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
            _loss(
                """log_p = torch.log_softmax(logits[mask], dim=-1)  # (N, K), real positions only
    return -log_p.gather(1, tags[mask].unsqueeze(1)).sum() / mask.sum()"""
            ),
            (
                A2_ANSWERS[3],
                ACCURACY_RETURN,
                """hits = total = 0
    for b, n in enumerate(lengths.tolist()):
        hits += int((logits[:n, b].argmax(-1) == tags[:n, b]).sum())
        total += n
    return hits / total""",
            ),
        ),
    ),
    "alt_ignore_index": Variant(
        "padded tags set to ignore_index and padded scores zeroed; model.zero_grad()",
        edits=(
            _loss(
                """targets = tags.masked_fill(~mask, -100)
    safe = torch.where(mask.unsqueeze(-1), logits, torch.zeros_like(logits))
    return nn.functional.cross_entropy(safe.permute(1, 2, 0), targets.t(), ignore_index=-100)"""
            ),
            (A2_ANSWERS[4], "optimizer.zero_grad()", "model.zero_grad()"),
        ),
    ),
    "alt_sorted_and_restored": Variant(
        "sorts the batch by length for packing, then puts the columns back in the caller's order",
        edits=(
            (
                A2_ANSWERS[1],
                TAGGER_FORWARD,
                """        sorted_lengths, order = lengths.sort(descending=True)
        x = self.embed(bases[:, order])
        packed = pack_padded_sequence(x, sorted_lengths.cpu())
        h, _ = pad_packed_sequence(self.lstm(packed)[0], total_length=T)
        h = h[:, order.argsort()]  # back to the caller's order
        return self.head(h)""",
            ),
        ),
    ),
    "alt_counts_and_floats": Variant(
        "make_batch from a pre-filled tensor; accuracy by counting; train_step returns float()",
        edits=(
            (
                A2_ANSWERS[0],
                "    lengths = torch.tensor([len(b) for b, _ in examples], dtype=torch.long)  # (B,)",
                "    lengths = torch.LongTensor([len(b) for b, _ in examples])",
            ),
            (
                A2_ANSWERS[3],
                ACCURACY_RETURN,
                "right = ((logits.argmax(dim=-1) == tags) & mask).sum()\n"
                "    return float(right) / float(lengths.sum())",
            ),
            (A2_ANSWERS[4], "    return loss.item()", "    return float(loss)"),
            (
                A2_ANSWERS[4],
                "optimizer.zero_grad()",
                "optimizer.zero_grad(set_to_none=False)",
            ),
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
