"""Example submissions for lstm_classifier: reference, stubs, mistakes, alternatives, hostile code."""

from __future__ import annotations

from examples.variants import Variant

A1 = "01_lstm_classifier"
P1 = (
    "test_model_uses_nn_lstm", "test_output_shape", "test_outputs_are_log_probabilities",
    "test_output_depends_on_whole_name", "test_packed_batch_matches_one_at_a_time",
    "test_gradients_reach_lstm_weights", "test_output_is_log_softmax_of_linear_on_h_n",
    "test_gradients_match_specification",
)  # fmt: skip
P2 = (
    "test_step_by_step_matches_whole_sequence", "test_step_by_step_feeds_one_element_per_call",
    "test_step_by_step_carries_state_from_call_to_call",
    "test_step_by_step_gradients_reach_first_step",
)  # fmt: skip
P3 = (
    "test_names_to_batch_returns_packed_sequence", "test_names_to_batch_keeps_names_and_order",
    "test_names_to_batch_rows_are_exact_one_hot", "test_names_to_batch_single_letter_names",
)  # fmt: skip
P4 = (
    "test_train_step_returns_mean_nll", "test_train_step_updates_with_fresh_gradients",
    "test_train_step_zeroes_then_backpropagates_then_steps_once", "test_training_reduces_loss",
)  # fmt: skip
P5 = (
    "test_predict_returns_language_names", "test_predict_picks_most_likely_language",
    "test_predict_single_name", "test_predict_runs_in_eval_mode_without_grad_and_restores_mode",
)  # fmt: skip
ORACLE = ("test_output_is_log_softmax_of_linear_on_h_n", "test_gradients_match_specification")
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
        fails=("test_output_depends_on_whole_name", "test_gradients_reach_lstm_weights", *ORACLE),
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
        fails=("test_output_shape", "test_packed_batch_matches_one_at_a_time", *ORACLE),
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
        fails=("test_outputs_are_log_probabilities", *ORACLE),
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
        fails=("test_packed_batch_matches_one_at_a_time", *ORACLE),
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
        fails=("test_output_shape", "test_packed_batch_matches_one_at_a_time", *ORACLE),
    ),
    "mistake_detached_state": Variant(
        "detaches the final hidden state, so no gradient reaches the LSTM",
        edits=((ANSWERS[0], "self.fc(h_n[-1])", "self.fc(h_n[-1].detach())"),),
        fails=("test_gradients_reach_lstm_weights", "test_gradients_match_specification"),
    ),
    "mistake_state_not_carried": Variant(
        "step by step, but every step starts again from a zero state",
        edits=((ANSWERS[1], STEP_CALL, "out_t, state = lstm(x[t : t + 1])"),),
        fails=(
            "test_step_by_step_matches_whole_sequence",
            "test_step_by_step_carries_state_from_call_to_call",
            "test_step_by_step_gradients_reach_first_step",
        ),
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
        fails=(
            "test_step_by_step_matches_whole_sequence",
            "test_step_by_step_carries_state_from_call_to_call",
            "test_step_by_step_gradients_reach_first_step",
        ),
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
            "test_names_to_batch_rows_are_exact_one_hot",
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
        fails=(
            "test_names_to_batch_keeps_names_and_order",
            "test_names_to_batch_rows_are_exact_one_hot",
        ),
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
        fails=(
            "test_train_step_updates_with_fresh_gradients",
            "test_train_step_zeroes_then_backpropagates_then_steps_once",
            "test_training_reduces_loss",
        ),
    ),
    "mistake_no_optimizer_step": Variant(
        "computes gradients but never calls optimizer.step()",
        edits=((ANSWERS[3], "    optimizer.step()\n", ""),),
        fails=(
            "test_train_step_updates_with_fresh_gradients",
            "test_train_step_zeroes_then_backpropagates_then_steps_once",
            "test_training_reduces_loss",
        ),
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
        fails=(
            "test_predict_returns_language_names",
            "test_predict_picks_most_likely_language",
            "test_predict_single_name",
        ),
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
        fails=(
            "test_predict_returns_language_names",
            "test_predict_picks_most_likely_language",
        ),
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
    # ----- more mistakes, written from the notebook's text (Part 1)
    "mistake_reads_cell_state": Variant(
        "classifies from the cell state c_n instead of the hidden state h_n",
        edits=((ANSWERS[0], "_, (h_n, _) = self.lstm(x)", "_, (_, h_n) = self.lstm(x)"),),
        fails=ORACLE,
    ),
    "mistake_mean_over_time": Variant(
        "averages the LSTM's outputs over each name's letters instead of using h_n",
        edits=(
            (
                ANSWERS[0],
                FORWARD,
                """        out, _ = self.lstm(x)
        if isinstance(out, PackedSequence):
            out, lengths = pad_packed_sequence(out)  # (T_max, B, H), zeros after each name
        else:
            lengths = torch.full((out.shape[1],), out.shape[0])
        summary = out.sum(dim=0) / lengths.unsqueeze(1)  # mean over each name's own letters
        return nn.functional.log_softmax(self.fc(summary), dim=-1)""",
            ),
        ),
        fails=ORACLE,
    ),
    "mistake_max_over_time": Variant(
        "max-pools the LSTM's outputs over time (of a plain tensor or the packed data)",
        edits=(
            (
                ANSWERS[0],
                FORWARD,
                """        out, _ = self.lstm(x)
        if isinstance(out, PackedSequence):
            out, _ = pad_packed_sequence(out, padding_value=-1.0)  # below any tanh output
        return nn.functional.log_softmax(self.fc(out.max(dim=0).values), dim=-1)""",
            ),
        ),
        fails=ORACLE,
    ),
    "mistake_raw_scores": Variant(
        "returns the Linear layer's raw scores, leaving log_softmax to the loss",
        edits=(
            (
                ANSWERS[0],
                "return nn.functional.log_softmax(self.fc(h_n[-1]), dim=-1)",
                "return self.fc(h_n[-1])  # nll_loss will take care of it",
            ),
        ),
        fails=("test_outputs_are_log_probabilities", *ORACLE),
    ),
    "mistake_squeeze_all": Variant(
        "h_n.squeeze() drops the batch dimension too when B = 1",
        edits=((ANSWERS[0], "self.fc(h_n[-1])", "self.fc(h_n.squeeze())"),),
        fails=("test_output_shape", "test_packed_batch_matches_one_at_a_time", *ORACLE),
    ),
    "mistake_softmax_over_batch": Variant(
        "log_softmax over dim=0 (the batch) instead of the languages",
        edits=(
            (
                ANSWERS[0],
                "nn.functional.log_softmax(self.fc(h_n[-1]), dim=-1)",
                "nn.functional.log_softmax(self.fc(h_n[-1]), dim=0)",
            ),
        ),
        fails=(
            "test_outputs_are_log_probabilities",
            "test_output_depends_on_whole_name",
            "test_packed_batch_matches_one_at_a_time",
            *ORACLE,
        ),  # fmt: skip,
    ),
    # ----- Part 2
    "mistake_step_detaches_state": Variant(
        "detaches (h, c) after every step, as in truncated backpropagation through time",
        edits=(
            (
                ANSWERS[1],
                STEP_CALL,
                STEP_CALL + "\n        state = (state[0].detach(), state[1].detach())",
            ),
        ),
        fails=(
            "test_step_by_step_carries_state_from_call_to_call",
            "test_step_by_step_gradients_reach_first_step",
        ),
    ),
    "mistake_step_under_no_grad": Variant(
        "runs the loop under torch.no_grad(), thinking step-by-step is only for inference",
        edits=(
            (
                ANSWERS[1],
                """    for t in range(x.shape[0]):
        out_t, state = lstm(x[t : t + 1], state)
        outputs.append(out_t)""",
                """    with torch.no_grad():
        for t in range(x.shape[0]):
            out_t, state = lstm(x[t : t + 1], state)
            outputs.append(out_t)""",
            ),
        ),
        fails=(
            "test_step_by_step_carries_state_from_call_to_call",
            "test_step_by_step_gradients_reach_first_step",
        ),
    ),
    "mistake_step_swaps_h_and_c": Variant(
        "unpacks the returned state as (c, h) and feeds it back in that order",
        edits=(
            (
                ANSWERS[1],
                STEP_CALL,
                """if state is None:
            out_t, (c, h) = lstm(x[t : t + 1])
        else:
            out_t, (c, h) = lstm(x[t : t + 1], (c, h))
        state = (h, c)""",
            ),
        ),
        fails=(
            "test_step_by_step_matches_whole_sequence",
            "test_step_by_step_carries_state_from_call_to_call",
            "test_step_by_step_gradients_reach_first_step",
        ),
    ),
    "mistake_step_reversed_time": Variant(
        "loops over the steps from the last to the first",
        edits=(
            (ANSWERS[1], "for t in range(x.shape[0]):", "for t in reversed(range(x.shape[0])):"),
        ),
        fails=(
            "test_step_by_step_matches_whole_sequence",
            "test_step_by_step_feeds_one_element_per_call",
            "test_step_by_step_gradients_reach_first_step",
        ),
    ),
    # ----- Part 3
    "mistake_one_hot_integers": Variant(
        "encodes letters with F.one_hot, which makes int64 rows",
        edits=(
            (
                ANSWERS[2],
                PACK,
                """letters = [torch.tensor([ALPHABET.index(ch) for ch in name]) for name in names]
    one_hot = [nn.functional.one_hot(idx, N_LETTERS) for idx in letters]
    return pack_sequence(one_hot, enforce_sorted=False)""",
            ),
        ),
        fails=(
            "test_names_to_batch_rows_are_exact_one_hot",
            "test_names_to_batch_single_letter_names",
        ),
    ),
    "mistake_lowercases_names": Variant(
        "lower-cases every name first, merging upper- and lower-case letters",
        edits=((ANSWERS[2], "name_to_tensor(name) for", "name_to_tensor(name.lower()) for"),),
        fails=(
            "test_names_to_batch_keeps_names_and_order",
            "test_names_to_batch_rows_are_exact_one_hot",
            "test_names_to_batch_single_letter_names",
        ),
    ),
    "mistake_rows_scaled_by_length": Variant(
        "divides each name's rows by its length so that long names do not dominate",
        edits=((ANSWERS[2], "name_to_tensor(name) for", "name_to_tensor(name) / len(name) for"),),
        fails=("test_names_to_batch_rows_are_exact_one_hot",),
    ),
    # ----- Part 4
    "mistake_double_step": Variant(
        "calls optimizer.step() twice",
        edits=(
            (ANSWERS[3], "    optimizer.step()\n", "    optimizer.step()\n    optimizer.step()\n"),
        ),
        fails=(
            "test_train_step_updates_with_fresh_gradients",
            "test_train_step_zeroes_then_backpropagates_then_steps_once",
        ),
    ),
    "mistake_returns_loss_tensor": Variant(
        "returns the loss tensor instead of loss.item()",
        edits=((ANSWERS[3], "return loss.item()", "return loss"),),
        fails=("test_train_step_returns_mean_nll",),
    ),
    "mistake_loss_after_update": Variant(
        "reports the batch's loss measured again after the update",
        edits=(
            (
                ANSWERS[3],
                "return loss.item()",
                """with torch.no_grad():
        return nn.functional.nll_loss(model(names_to_batch(names)), targets).item()""",
            ),
        ),
        fails=("test_train_step_returns_mean_nll",),
    ),
    "mistake_step_before_backward": Variant(
        "calls optimizer.step() before loss.backward()",
        edits=(
            (
                ANSWERS[3],
                "    loss.backward()\n    optimizer.step()\n",
                "    optimizer.step()\n    loss.backward()\n",
            ),
        ),
        fails=(
            "test_train_step_updates_with_fresh_gradients",
            "test_train_step_zeroes_then_backpropagates_then_steps_once",
            "test_training_reduces_loss",
        ),
    ),
    "mistake_nll_of_probabilities": Variant(
        "feeds probabilities (exp of the output) to nll_loss",
        edits=((ANSWERS[3], "nll_loss(log_probs, targets)", "nll_loss(log_probs.exp(), targets)"),),
        fails=(
            "test_train_step_returns_mean_nll",
            "test_train_step_updates_with_fresh_gradients",
        ),
    ),
    # ----- Part 5
    "mistake_predict_no_eval": Variant(
        "predict runs under no_grad but never switches to eval mode",
        edits=((ANSWERS[4], "    model.eval()\n", ""),),
        fails=("test_predict_runs_in_eval_mode_without_grad_and_restores_mode",),
    ),
    "mistake_predict_with_grad": Variant(
        "predict switches to eval mode but builds the autograd graph (no torch.no_grad())",
        edits=(
            (
                ANSWERS[4],
                """        with torch.no_grad():
            log_probs = model(names_to_batch(names))  # (B, K)""",
                """        log_probs = model(names_to_batch(names)).detach()  # (B, K)""",
            ),
        ),
        fails=("test_predict_runs_in_eval_mode_without_grad_and_restores_mode",),
    ),
    "mistake_predict_stays_in_eval": Variant(
        "predict calls model.eval() and leaves the model in eval mode",
        edits=((ANSWERS[4], "        model.train(was_training)\n", "        pass\n"),),
        fails=("test_predict_runs_in_eval_mode_without_grad_and_restores_mode",),
    ),
    "mistake_predict_always_train_after": Variant(
        "predict ends with model.train(), whatever mode the model was in",
        edits=((ANSWERS[4], "model.train(was_training)", "model.train()"),),
        fails=("test_predict_runs_in_eval_mode_without_grad_and_restores_mode",),
    ),
    "mistake_predict_empty_crashes": Variant(
        "predict packs an empty list of names (pack_sequence raises)",
        edits=((ANSWERS[4], "    if not names:\n        return []\n", ""),),
        fails=("test_predict_returns_language_names",),
    ),
    "mistake_predict_argmax_wrong_dim": Variant(
        "argmax over dim=0 (the names) instead of the languages",
        edits=((ANSWERS[4], "log_probs.argmax(dim=1)", "log_probs.argmax(dim=0)"),),
        fails=(
            "test_predict_returns_language_names",
            "test_predict_picks_most_likely_language",
            "test_predict_single_name",
        ),
    ),
    # ----- correct answers written differently: full marks
    "alt_step_outputs_from_h": Variant(
        "step loop that keeps h and c apart, passes hx= by keyword and collects h as the output",
        edits=(
            (
                ANSWERS[1],
                """    for t in range(x.shape[0]):
        out_t, state = lstm(x[t : t + 1], state)
        outputs.append(out_t)
    return torch.cat(outputs, dim=0), state""",
                """    h = c = None
    for t in range(len(x)):
        _, (h, c) = lstm(x[t].unsqueeze(0), hx=None if h is None else (h, c))
        outputs.append(h[-1])  # one layer: the output at step t is h_t
    return torch.stack(outputs), (h, c)""",
            ),
        ),
    ),
    "alt_cross_entropy_and_inference_mode": Variant(
        "cross_entropy on log-probabilities (log_softmax is idempotent); predict under "
        "torch.inference_mode() with an explicit branch to restore the mode",
        edits=(
            (
                ANSWERS[3],
                "loss = nn.functional.nll_loss(log_probs, targets)",
                "loss = nn.functional.cross_entropy(log_probs, targets)",
            ),
            (
                ANSWERS[4],
                """    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            log_probs = model(names_to_batch(names))  # (B, K)
    finally:
        model.train(was_training)
    return [LANGUAGES[k] for k in log_probs.argmax(dim=1).tolist()]""",
                """    if model.training:
        model.eval()
        with torch.inference_mode():
            best = torch.argmax(model(names_to_batch(names)), dim=-1)
        model.train()
    else:
        with torch.inference_mode():
            best = torch.argmax(model(names_to_batch(names)), dim=-1)
    return [LANGUAGES[int(k)] for k in best]""",
            ),
        ),
    ),
    "alt_eye_encoding_and_squeeze0": Variant(
        "rows picked from torch.eye; forward squeezes only the layer dimension of h_n",
        edits=(
            (
                ANSWERS[2],
                PACK,
                """eye = torch.eye(N_LETTERS)
    rows = [eye[[ALPHABET.index(ch) for ch in name]] for name in names]
    return pack_sequence(rows, enforce_sorted=False)""",
            ),
            (
                ANSWERS[0],
                "return nn.functional.log_softmax(self.fc(h_n[-1]), dim=-1)",
                "return self.fc(h_n.squeeze(0)).log_softmax(dim=1)",
            ),
        ),
    ),
    "alt_manual_sort_and_restore": Variant(
        "sorts by length itself, packs sorted, and maps h_n back to the caller's order",
        edits=(
            (
                ANSWERS[2],
                PACK,
                """from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

    order = sorted(range(len(names)), key=lambda i: -len(names[i]))
    padded = pad_sequence([name_to_tensor(names[i]) for i in order])
    lengths = torch.tensor([len(names[i]) for i in order])
    packed = pack_padded_sequence(padded, lengths)  # already sorted
    sorted_indices = torch.tensor(order)
    return PackedSequence(
        packed.data, packed.batch_sizes, sorted_indices, torch.argsort(sorted_indices)
    )""",
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
        "predict loops forever when given a single name",
        edits=(
            (
                ANSWERS[4],
                "    if not names:\n",
                "    while len(names) == 1:\n        pass\n    if not names:\n",
            ),
        ),
        fails=("test_predict_single_name",),
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

ASSIGNMENT = A1
VARIANTS = A1_VARIANTS
