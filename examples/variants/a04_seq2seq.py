"""Example submissions for seq2seq: reference, stubs, mistakes, alternatives, hostile code."""

from __future__ import annotations

from examples.variants import Variant

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

ASSIGNMENT = A4
VARIANTS = A4_VARIANTS
