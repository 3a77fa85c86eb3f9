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
    "test_encoder_accepts_unsorted_lengths",
    "test_encoder_state_is_the_lstm_state_after_the_last_character",
    "test_gradients_reach_the_encoder",
)  # fmt: skip
SEQ2SEQ = (
    "test_logits_shape", "test_seq2seq_builds_its_parts_with_the_given_sizes",
    "test_decoder_computes_raw_scores_from_the_given_state",
    "test_decoder_starts_from_the_encoder_state",
    "test_teacher_forcing_feeds_tgt_in_from_the_encoder_state",
    "test_gradients_flow_from_the_decoder_into_the_encoder", "test_decoder_is_causal",
    "test_sequences_in_a_batch_do_not_interact", "test_model_learns_easy_pairs",
)  # fmt: skip
LOSS = (
    "test_loss_is_mean_cross_entropy_over_real_targets", "test_loss_ignores_padding",
    "test_loss_is_stable_for_large_logits",
)  # fmt: skip
TRAIN = (
    "test_train_step_returns_the_loss", "test_train_step_updates_with_fresh_gradients",
    "test_train_step_runs_in_training_mode", "test_training_reduces_loss",
)  # fmt: skip
GREEDY = (
    "test_each_sequence_stops_at_its_own_eos", "test_decoding_returns_no_special_tokens",
    "test_decoding_respects_max_length", "test_decoding_feeds_sos_then_its_own_argmax",
    "test_decoding_carries_the_state", "test_decoding_runs_in_eval_mode_without_gradients",
    "test_decoding_feeds_back_the_argmax",
)  # fmt: skip
METRICS = ("test_exact_match", "test_char_accuracy", "test_metrics_on_empty_inputs")
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
        fails=(
            "test_decoder_starts_from_the_encoder_state",
            "test_teacher_forcing_feeds_tgt_in_from_the_encoder_state",
            "test_gradients_flow_from_the_decoder_into_the_encoder",
            "test_model_learns_easy_pairs",
        ),
    ),
    "mistake_seq2seq_sizes_mixed_up": Variant(
        "Seq2Seq builds its Decoder with hidden_size as the embedding size",
        edits=(
            (
                A4_ANSWERS[3],
                "self.decoder = Decoder(target_vocab_size, embedding_dim, hidden_size)",
                "self.decoder = Decoder(target_vocab_size, hidden_size, hidden_size)",
            ),
        ),  # fmt: skip
        fails=("test_seq2seq_builds_its_parts_with_the_given_sizes",),
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
        fails=(
            "test_each_sequence_stops_at_its_own_eos",
            "test_decoding_respects_max_length",
            "test_decoding_feeds_sos_then_its_own_argmax",
            "test_decoding_feeds_back_the_argmax",
        ),
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
        fails=(
            "test_each_sequence_stops_at_its_own_eos",
            "test_decoding_feeds_sos_then_its_own_argmax",
            "test_decoding_feeds_back_the_argmax",
        ),
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
        fails=tuple(
            t for t in SEQ2SEQ if t != "test_seq2seq_builds_its_parts_with_the_given_sizes"
        ),
    ),
    "mistake_packing_enforce_sorted": Variant(
        "packs with enforce_sorted=True, which fails on batches not sorted by length",
        edits=((A4_ANSWERS[1], "enforce_sorted=False", "enforce_sorted=True"),),
        fails=(
            "test_encoder_accepts_unsorted_lengths",
            "test_encoder_state_is_the_lstm_state_after_the_last_character",
            "test_gradients_reach_the_encoder",
        ),
    ),
    "mistake_no_packing": Variant(
        "runs the encoder LSTM over the padded batch: the final state has read the padding",
        edits=(
            (A4_ANSWERS[1], ENCODE_BODY, "        outputs, state = self.lstm(self.embed(src))"),
        ),
        fails=(
            "test_final_state_ignores_padding",
            "test_encoder_accepts_unsorted_lengths",
            "test_encoder_state_is_the_lstm_state_after_the_last_character",
            "test_gradients_reach_the_encoder",
        ),
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
            "test_teacher_forcing_feeds_tgt_in_from_the_encoder_state",
            "test_gradients_flow_from_the_decoder_into_the_encoder",
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
        "log_softmax and gather on the real positions only; src filled in by hand",
        edits=(
            (
                A4_ANSWERS[4],
                CE,
                "real = tgt_out != PAD_INDEX  # (T, B): the positions that are predictions\n"
                "    log_p = torch.log_softmax(logits[real], dim=-1)  # (N, V), PAD rows left out\n"
                "    return -log_p.gather(1, tgt_out[real].unsqueeze(1)).mean()",
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
    # ----- mistakes written from the notebook's text (issue 11): one class of bug each
    "mistake_lengths_as_float": Variant(
        "make_batch builds src_lengths with torch.Tensor, which makes floats",
        edits=(
            (
                A4_ANSWERS[0],
                "src_lengths = torch.tensor([len(s) for s in sources])",
                "src_lengths = torch.Tensor([len(s) for s in sources])",
            ),
        ),  # fmt: skip
        fails=("test_make_batch_shapes_and_padding",),
    ),
    "mistake_encoder_swaps_h_and_c": Variant(
        "the Encoder unpacks the LSTM's state as if it were (c, h)",
        edits=(
            (
                A4_ANSWERS[1],
                "        return outputs, state",
                "        c_n, h_n = state  # the cell state first\n        return outputs, (h_n, c_n)",
            ),
        ),  # fmt: skip
        fails=(
            "test_encoder_state_is_the_lstm_state_after_the_last_character",
            "test_gradients_reach_the_encoder",
        ),  # fmt: skip
    ),
    "mistake_encoder_mean_pools_outputs": Variant(
        "the Encoder's h_n is the mean of the outputs over each source's real positions",
        edits=(
            (
                A4_ANSWERS[1],
                "        return outputs, state",
                "        h_n = (outputs.sum(0) / src_lengths[:, None].float()).unsqueeze(0)\n"
                "        return outputs, (h_n, state[1])",
            ),
        ),  # fmt: skip
        fails=(
            "test_encoder_state_is_the_lstm_state_after_the_last_character",
            "test_gradients_reach_the_encoder",
        ),  # fmt: skip
    ),
    "mistake_encoder_loop_detaches_state": Variant(
        "the Encoder runs its own loop over time and detaches the state at every step",
        edits=(
            (
                A4_ANSWERS[1],
                ENCODE_BODY + "\n        return outputs, state",
                """        embedded = self.embed(src)
        B, H = src.shape[1], self.lstm.hidden_size
        h, c = torch.zeros(1, B, H), torch.zeros(1, B, H)
        outputs = []
        for t in range(src.shape[0]):
            h, c = h.detach(), c.detach()  # keep the graph short
            out, (h_new, c_new) = self.lstm(embedded[t : t + 1], (h, c))
            real = (t < src_lengths).float()[None, :, None]  # (1, B, 1)
            h, c = real * h_new + (1 - real) * h, real * c_new + (1 - real) * c
            outputs.append(out[0] * real[0])
        return torch.stack(outputs), (h, c)""",
            ),
        ),  # fmt: skip
        fails=("test_gradients_reach_the_encoder",),
    ),
    "mistake_encoder_no_total_length": Variant(
        "the Encoder unpacks without total_length, so extra PAD rows shorten the outputs",
        edits=((A4_ANSWERS[1], ", total_length=src.shape[0])", ")"),),
        fails=("test_encoder_state_is_the_lstm_state_after_the_last_character",),
    ),
    "mistake_decoder_returns_probabilities": Variant(
        "the Decoder returns the softmax of the head's scores",
        edits=(
            (
                A4_ANSWERS[2],
                "        return self.head(outputs), state",
                "        return torch.softmax(self.head(outputs), dim=-1), state",
            ),
        ),  # fmt: skip
        fails=(
            "test_decoder_computes_raw_scores_from_the_given_state",
            "test_teacher_forcing_feeds_tgt_in_from_the_encoder_state",
            "test_gradients_flow_from_the_decoder_into_the_encoder",
            "test_model_learns_easy_pairs",  # cross-entropy on probabilities learns too slowly
        ),  # fmt: skip
    ),
    "mistake_decoder_returns_initial_state": Variant(
        "the Decoder returns the state it was given instead of the LSTM's new one",
        edits=(
            (
                A4_ANSWERS[2],
                "        outputs, state = self.lstm(self.embed(tgt_in), state)  # outputs (T, B, H)",
                "        outputs, _ = self.lstm(self.embed(tgt_in), state)  # outputs (T, B, H)",
            ),
        ),  # fmt: skip
        fails=(
            "test_decoder_computes_raw_scores_from_the_given_state",
            "test_model_learns_easy_pairs",  # greedy decoding never leaves the encoder's state
        ),
    ),
    "mistake_encoder_state_detached": Variant(
        "Seq2Seq detaches the encoder's state before handing it to the decoder",
        edits=(
            (
                A4_ANSWERS[3],
                "logits, _ = self.decoder(tgt_in, state)",
                "logits, _ = self.decoder(tgt_in, tuple(s.detach() for s in state))",
            ),
        ),  # fmt: skip
        fails=(
            "test_gradients_flow_from_the_decoder_into_the_encoder",
            "test_model_learns_easy_pairs",  # the encoder never learns
        ),
    ),
    "mistake_teacher_forcing_shifts_again": Variant(
        "Seq2Seq shifts tgt_in right once more (SOS in front), though make_batch already did",
        edits=(
            (
                A4_ANSWERS[3],
                "logits, _ = self.decoder(tgt_in, state)",
                "sos = torch.full_like(tgt_in[:1], SOS_INDEX)\n"
                "        logits, _ = self.decoder(torch.cat([sos, tgt_in[:-1]]), state)",
            ),
        ),  # fmt: skip
        fails=(
            "test_decoder_starts_from_the_encoder_state",
            "test_teacher_forcing_feeds_tgt_in_from_the_encoder_state",
            "test_gradients_flow_from_the_decoder_into_the_encoder",
            "test_model_learns_easy_pairs",
        ),  # fmt: skip
    ),
    "mistake_loss_log_of_softmax": Variant(
        "the loss takes the log of the softmax and averages it over the real positions",
        edits=(
            (
                A4_ANSWERS[4],
                CE,
                "real = tgt_out != PAD_INDEX\n"
                "    p = torch.softmax(logits, dim=-1).gather(-1, tgt_out.unsqueeze(-1)).squeeze(-1)\n"
                "    return -torch.log(p[real]).mean()",
            ),
        ),  # fmt: skip
        fails=("test_loss_is_stable_for_large_logits",),
    ),
    "mistake_loss_mask_multiplied": Variant(
        "the loss multiplies the per-position terms by a 0/1 mask (0 * nan = nan at PAD)",
        edits=(
            (
                A4_ANSWERS[4],
                CE,
                "log_p = torch.log_softmax(logits, dim=-1)  # (T, B, V)\n"
                "    nll = -log_p.gather(-1, tgt_out.unsqueeze(-1)).squeeze(-1)  # (T, B)\n"
                "    mask = (tgt_out != PAD_INDEX).float()\n"
                "    return (nll * mask).sum() / mask.sum()",
            ),
        ),  # fmt: skip
        fails=("test_loss_ignores_padding",),
    ),
    "mistake_loss_mean_per_sequence": Variant(
        "the loss averages each column over its own tokens, then the columns",
        edits=(
            (
                A4_ANSWERS[4],
                CE,
                "nll = F.cross_entropy(logits.permute(1, 2, 0), tgt_out.t(), "
                "ignore_index=PAD_INDEX, reduction='none')  # (B, T)\n"
                "    real = (tgt_out.t() != PAD_INDEX).float()\n"
                "    return ((nll * real).sum(1) / real.sum(1)).mean()",
            ),
        ),  # fmt: skip
        fails=(
            "test_loss_is_mean_cross_entropy_over_real_targets",
            "test_loss_is_stable_for_large_logits",  # the value, weighted per column, differs
        ),
    ),
    "mistake_double_step": Variant(
        "train_step calls optimizer.step() twice",
        edits=(
            (
                A4_ANSWERS[5],
                "    optimizer.step()\n",
                "    optimizer.step()\n    optimizer.step()\n",
            ),
        ),
        fails=("test_train_step_updates_with_fresh_gradients",),
    ),
    "mistake_returns_loss_after_step": Variant(
        "train_step returns the batch loss recomputed after the update",
        edits=(
            (
                A4_ANSWERS[5],
                "    return loss.item()",
                "    with torch.no_grad():\n"
                "        return seq2seq_loss(model(src, src_lengths, tgt_in), tgt_out).item()",
            ),
        ),  # fmt: skip
        fails=("test_train_step_returns_the_loss",),
    ),
    "mistake_no_train_mode": Variant(
        "train_step never calls model.train()",
        edits=((A4_ANSWERS[5], "    model.train()\n", ""),),
        fails=("test_train_step_runs_in_training_mode",),
    ),
    "mistake_decode_restarts_from_encoder_state": Variant(
        "greedy_decode gives every step the encoder's state instead of the previous step's",
        edits=(
            (
                A4_ANSWERS[6],
                "logits, state = model.decoder(token, state)",
                "logits, _ = model.decoder(token, state)",
            ),
        ),  # fmt: skip
        fails=(
            "test_each_sequence_stops_at_its_own_eos",
            "test_decoding_carries_the_state",
            "test_decoding_feeds_sos_then_its_own_argmax",
            "test_decoding_respects_max_length",
            "test_decoding_feeds_back_the_argmax",
        ),  # fmt: skip
    ),
    "mistake_decode_with_gradients": Variant(
        "greedy_decode forgets torch.no_grad()",
        edits=((A4_ANSWERS[6], "    with torch.no_grad():\n", "    if True:\n"),),
        fails=("test_decoding_runs_in_eval_mode_without_gradients",),
    ),
    "mistake_decode_runs_to_max_length": Variant(
        "greedy_decode always runs max_length steps, even when every column is done",
        edits=((A4_ANSWERS[6], "            if all(finished):\n                break\n", ""),),
        fails=("test_decoding_respects_max_length",),
    ),
    "mistake_decode_feeds_whole_prefix": Variant(
        "greedy_decode feeds the whole prefix from the encoder's state at every step",
        edits=(
            (
                A4_ANSWERS[6],
                """            logits, state = model.decoder(token, state)  # logits (1, B, V_t)
            token = logits.argmax(dim=-1)  # (1, B): fed back in at the next step""",
                """            prefix = token if _ == 0 else torch.cat([prefix, token])
            logits, _unused = model.decoder(prefix, state)  # from the encoder's state
            token = logits[-1:].argmax(dim=-1)  # (1, B)""",
            ),
        ),  # fmt: skip
        fails=(
            "test_decoding_feeds_sos_then_its_own_argmax",
            "test_decoding_carries_the_state",
        ),  # fmt: skip
    ),
    "mistake_char_accuracy_right_aligned": Variant(
        "char_accuracy lines the strings up at their right ends",
        edits=(
            (
                A4_ANSWERS[7],
                "correct = sum(sum(a == b for a, b in zip(p, e)) for p, e in zip(predicted, expected))",
                "correct = sum(\n"
                "        sum(a == b for a, b in zip(p[::-1], e[::-1])) for p, e in zip(predicted, expected)\n"
                "    )",
            ),
        ),  # fmt: skip
        fails=("test_char_accuracy",),
    ),
    "mistake_metrics_divide_by_zero": Variant(
        "the metrics divide without checking for nothing to count",
        edits=(
            (
                A4_ANSWERS[7],
                "    if not expected:\n        return 0.0  # no pairs: nothing to be right about\n",
                "",
            ),
            (
                A4_ANSWERS[7],
                "return correct / positions if positions else 0.0",
                "return correct / positions",
            ),
        ),  # fmt: skip
        fails=("test_metrics_on_empty_inputs",),
    ),
    "alt_encoder_sorts_by_hand": Variant(
        "the Encoder sorts the batch by length, packs it sorted and puts the state back in order",
        edits=(
            (
                A4_ANSWERS[1],
                ENCODE_BODY + "\n        return outputs, state",
                """        order = torch.argsort(src_lengths, descending=True)
        back = torch.argsort(order)
        packed = pack_padded_sequence(self.embed(src[:, order]), src_lengths[order].cpu())
        outputs, (h, c) = self.lstm(packed)
        outputs, _ = pad_packed_sequence(outputs, total_length=src.shape[0])
        return outputs[:, back], (h[:, back], c[:, back])""",
            ),
        ),  # fmt: skip
    ),
    "alt_decode_tensor_mask": Variant(
        "greedy_decode as a decorated function with a tensor of finished columns",
        edits=(
            (
                A4_ANSWERS[6],
                """    model.eval()
    with torch.no_grad():
        _, state = model.encoder(src, src_lengths)
        batch_size = src.shape[1]
        token = torch.full((1, batch_size), SOS_INDEX, dtype=torch.long)
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
                break
    return outputs""",
                """    return _greedy(model, src, src_lengths, max_length)


@torch.no_grad()
def _greedy(model, src, src_lengths, max_length):
    model.eval()
    _, state = model.encoder(src, src_lengths)
    token = torch.full((1, src.shape[1]), SOS_INDEX)
    done = torch.zeros(src.shape[1], dtype=torch.bool)
    steps = []
    for _ in range(max_length):
        logits, state = model.decoder(token, state)
        token = logits.argmax(-1)
        steps.append(torch.where(done, -1, token[0]))
        done |= token[0] == EOS_INDEX
        if done.all():
            break
    result = []
    for column in torch.stack(steps, 1).tolist():  # -1 once a column is done
        ids = [t for t in column if t >= 0]  # its tokens, up to and including its EOS
        result.append(ids[:-1] if ids and ids[-1] == EOS_INDEX else ids)
    return result""",
            ),
        ),  # fmt: skip
    ),
    "alt_train_step_no_clip": Variant(
        "train_step without gradient clipping",
        edits=(
            (
                A4_ANSWERS[5],
                "    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # tames a rare exploding gradient\n",
                "",
            ),
        ),
    ),
    "alt_metrics_loops": Variant(
        "the metrics with explicit loops and counters",
        edits=(
            (
                A4_ANSWERS[7],
                """    if not expected:
        return 0.0  # no pairs: nothing to be right about
    return sum(p == e for p, e in zip(predicted, expected)) / len(expected)""",
                """    hits = 0
    for p, e in zip(predicted, expected):
        if p == e:
            hits += 1
    return hits / len(expected) if len(expected) > 0 else 0.0""",
            ),
            (
                A4_ANSWERS[7],
                """    correct = sum(sum(a == b for a, b in zip(p, e)) for p, e in zip(predicted, expected))
    positions = sum(max(len(p), len(e)) for p, e in zip(predicted, expected))
    return correct / positions if positions else 0.0  # no position at all: 0.0""",
                """    correct = positions = 0
    for p, e in zip(predicted, expected):
        for i in range(max(len(p), len(e))):
            positions += 1
            if i < len(p) and i < len(e) and p[i] == e[i]:
                correct += 1
    if positions == 0:
        return 0.0
    return float(correct / positions)""",
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
