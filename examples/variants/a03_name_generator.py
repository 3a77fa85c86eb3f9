"""Example submissions for name_generator: reference, stubs, mistakes, alternatives, hostile code."""

from __future__ import annotations

from examples.variants import Variant

A3 = "03_name_generator"
EXAMPLE = (
    "test_target_ends_with_eos", "test_target_is_input_shifted_by_one",
    "test_examples_are_long_tensors",
)  # fmt: skip
MODEL = (
    "test_model_output_and_state_shapes", "test_model_state_continues_the_sequence",
    "test_model_computes_embedding_lstm_linear", "test_model_gradients_match_the_specification",
    "test_model_has_the_prescribed_modules_and_default_sizes",
)  # fmt: skip
NLL = (
    "test_name_nll_is_the_sum_including_the_endterm",
    "test_name_nll_gradients_match_the_specification",
    "test_training_with_name_nll_learns_to_stop",
)
TEMPERATURE = (
    "test_cold_temperature_is_a_finite_argmax", "test_hot_temperature_is_uniform",
    "test_temperature_one_is_plain_softmax", "test_large_logits_at_every_temperature",
    "test_entropy_grows_with_temperature", "test_temperature_leaves_the_logits_unchanged",
)  # fmt: skip
SAMPLING = (
    "test_samples_follow_softmax_with_temperature", "test_cold_sampling_is_greedy",
    "test_sample_next_draws_from_the_given_generator", "test_sample_next_returns_a_python_int",
)  # fmt: skip
GENERATE = (
    "test_generate_stops_at_eos", "test_generate_stops_at_max_length",
    "test_generate_returns_no_special_tokens", "test_generate_carries_the_state",
    "test_generate_continues_after_the_start_letters",
    "test_generate_feeds_each_drawn_letter_back",
    "test_generate_draws_with_sample_next_from_the_last_logits",
    "test_generate_runs_in_eval_mode_without_gradients",
    "test_generate_is_reproducible_with_a_seeded_generator",
    "test_generate_with_a_start_at_or_over_max_length",
)  # fmt: skip
A3_ANSWERS = ("make_example_answer", "model_answer", "loss_answer", "temperature_answer",
              "sampling_answer", "generate_answer", "beam_search_answer")  # fmt: skip
NLL_RETURN = 'return nn.functional.cross_entropy(logits[:, 0], target_ids, reduction="sum")'
SOFTMAX_BODY = """    scaled = logits / C
    scaled = scaled - scaled.max(dim=-1, keepdim=True).values  # largest entry 0: no overflow
    weights = scaled.exp()
    return weights / weights.sum(dim=-1, keepdim=True)  # the sum is >= 1"""
FEED_BACK = "logits, state = model(torch.tensor([[token]]), state)  # feed the letter back in"
MODEL_FORWARD = """        output, state = self.lstm(self.embed(input_ids), state)  # output (T, B, H)
        return self.head(output), state"""
SAMPLE_RETURN = "return int(torch.multinomial(probs, 1, generator=generator))"
DRAW = "token = sample_next(next_logits, C, generator)"

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
        fails=EXAMPLE[:2],
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
        fails=MODEL[1:4],
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
        fails=NLL[:2],
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
            "test_large_logits_at_every_temperature",
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
        fails=(
            "test_cold_temperature_is_a_finite_argmax",
            "test_large_logits_at_every_temperature",
        ),
    ),
    "mistake_temperature_wrong_dim": Variant(
        "normalises over the first dimension instead of the last",
        edits=((A3_ANSWERS[3], SOFTMAX_BODY, "    return torch.softmax(logits / C, dim=0)"),),
        fails=(
            "test_cold_temperature_is_a_finite_argmax",
            "test_temperature_one_is_plain_softmax",
            "test_large_logits_at_every_temperature",
        ),
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
        fails=(
            "test_samples_follow_softmax_with_temperature",
            "test_sample_next_draws_from_the_given_generator",
        ),
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
        fails=SAMPLING[:2],
    ),
    "mistake_generate_resets_state": Variant(
        "starts every generation step from a zero state",
        edits=((A3_ANSWERS[5], FEED_BACK, "logits, state = model(torch.tensor([[token]]))"),),
        fails=("test_generate_carries_the_state",),
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
        fails=(
            "test_generate_stops_at_eos",
            "test_generate_returns_no_special_tokens",
            "test_generate_feeds_each_drawn_letter_back",
        ),
    ),
    "mistake_generate_ignores_max_length": Variant(
        "never checks max_length, so a model that never says EOS never stops",
        edits=((A3_ANSWERS[5], "while len(name) < max_length:", "while True:"),),
        fails=tuple(
            t
            for t in GENERATE
            if t
            not in (
                "test_generate_stops_at_eos",
                "test_generate_is_reproducible_with_a_seeded_generator",
            )
        ),
    ),
    "mistake_generate_drops_start": Variant(
        "returns only the sampled letters, without the start letters",
        edits=((A3_ANSWERS[5], "        name = start\n", '        name = ""\n'),),
        fails=(
            "test_generate_stops_at_eos",
            "test_generate_continues_after_the_start_letters",
            "test_generate_feeds_each_drawn_letter_back",
            "test_generate_with_a_start_at_or_over_max_length",
        ),
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
    # ---- Part 1
    "mistake_example_int32_ids": Variant(
        "builds the id tensors with dtype=torch.int32",
        edits=(
            (
                A3_ANSWERS[0],
                "return encode(SOS + name), encode(name + EOS)",
                "return (\n"
                "        torch.tensor([VOCAB.index(ch) for ch in SOS + name], dtype=torch.int32),\n"
                "        torch.tensor([VOCAB.index(ch) for ch in name + EOS], dtype=torch.int32),\n"
                "    )",
            ),
        ),
        fails=("test_examples_are_long_tensors",),
    ),
    # ---- Part 2
    "mistake_model_softmax_output": Variant(
        "forward returns probabilities (softmax of the scores) instead of raw logits",
        edits=(
            (
                A3_ANSWERS[1],
                "return self.head(output), state",
                "return torch.softmax(self.head(output), dim=-1), state",
            ),
        ),  # fmt: skip
        fails=MODEL[2:4],
    ),
    "mistake_model_log_softmax_output": Variant(
        "forward returns log-probabilities instead of raw logits",
        edits=(
            (
                A3_ANSWERS[1],
                "return self.head(output), state",
                "return torch.log_softmax(self.head(output), dim=-1), state",
            ),
        ),  # fmt: skip
        fails=MODEL[2:4],
    ),
    "mistake_model_state_swapped": Variant(
        "returns the state as (c, h)",
        edits=(
            (
                A3_ANSWERS[1],
                "return self.head(output), state",
                "h, c = state\n        return self.head(output), (c, h)",
            ),
        ),  # fmt: skip
        fails=MODEL[1:4],
    ),
    "mistake_model_detaches_returned_state": Variant(
        "detaches the state it returns (truncated backpropagation inside forward)",
        edits=(
            (
                A3_ANSWERS[1],
                "return self.head(output), state",
                "return self.head(output), (state[0].detach(), state[1].detach())",
            ),
        ),  # fmt: skip
        fails=("test_model_gradients_match_the_specification",),
    ),
    "mistake_model_detaches_given_state": Variant(
        "detaches the state it is given before the LSTM",
        edits=(
            (
                A3_ANSWERS[1],
                MODEL_FORWARD,
                "        if state is not None:\n"
                "            state = (state[0].detach(), state[1].detach())\n" + MODEL_FORWARD,
            ),
        ),
        fails=("test_model_gradients_match_the_specification",),
    ),
    "mistake_model_eos_padding_idx": Variant(
        "nn.Embedding with padding_idx=EOS_INDEX (EOS pads the inputs): EOS never learns",
        edits=(
            (
                A3_ANSWERS[1],
                "self.embed = nn.Embedding(vocab_size, embedding_dim)",
                "self.embed = nn.Embedding(vocab_size, embedding_dim, padding_idx=EOS_INDEX)",
            ),
        ),  # fmt: skip
        fails=("test_model_gradients_match_the_specification",),
    ),
    "mistake_model_relu_before_head": Variant(
        "an extra ReLU between the LSTM and the output layer",
        edits=(
            (
                A3_ANSWERS[1],
                "return self.head(output), state",
                "return self.head(torch.relu(output)), state",
            ),
        ),  # fmt: skip
        fails=MODEL[2:4],
    ),
    "mistake_model_batch_first": Variant(
        "nn.LSTM(..., batch_first=True) on time-major input",
        edits=(
            (
                A3_ANSWERS[1],
                "self.lstm = nn.LSTM(embedding_dim, hidden_size)",
                "self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)",
            ),
        ),  # fmt: skip
        fails=MODEL,
    ),
    # ---- Part 3
    "mistake_nll_skips_first_letter": Variant(
        "leaves out the first prediction, P(first letter | SOS)",
        edits=(
            (
                A3_ANSWERS[2],
                NLL_RETURN,
                'return nn.functional.cross_entropy(logits[1:, 0], target_ids[1:], reduction="sum")',
            ),
        ),  # fmt: skip
        fails=NLL[:2],
    ),
    "mistake_nll_rewrapped_item": Variant(
        "returns torch.tensor(loss.item(), requires_grad=True): right value, no gradient to the model",
        edits=(
            (
                A3_ANSWERS[2],
                NLL_RETURN,
                'loss = nn.functional.cross_entropy(logits[:, 0], target_ids, reduction="sum")\n'
                "    return torch.tensor(loss.item(), requires_grad=True)",
            ),
        ),
        fails=NLL[1:],
    ),
    "mistake_nll_logits_as_log_probs": Variant(
        "nll_loss on the raw logits (log_softmax forgotten)",
        edits=(
            (
                A3_ANSWERS[2],
                NLL_RETURN,
                'return nn.functional.nll_loss(logits[:, 0], target_ids, reduction="sum")',
            ),
        ),  # fmt: skip
        fails=NLL,
    ),
    # ---- Part 4
    "mistake_temperature_global_max": Variant(
        "subtracts the maximum of the whole tensor, not of each row",
        edits=(
            (
                A3_ANSWERS[3],
                "scaled = scaled - scaled.max(dim=-1, keepdim=True).values",
                "scaled = scaled - scaled.max()",
            ),
        ),  # fmt: skip
        fails=(
            "test_cold_temperature_is_a_finite_argmax",
            "test_large_logits_at_every_temperature",
        ),
    ),
    "mistake_temperature_max_indices": Variant(
        "subtracts the max's indices ([1]) instead of its values",
        edits=(
            (
                A3_ANSWERS[3],
                "scaled = scaled - scaled.max(dim=-1, keepdim=True).values",
                "scaled = scaled - scaled.max(dim=-1, keepdim=True)[1]",
            ),
        ),  # fmt: skip
        fails=(
            "test_cold_temperature_is_a_finite_argmax",
            "test_large_logits_at_every_temperature",
        ),
    ),
    "mistake_temperature_in_place": Variant(
        "divides and shifts the caller's logits in place",
        edits=(
            (
                A3_ANSWERS[3],
                SOFTMAX_BODY,
                """    logits /= C
    logits -= logits.max(dim=-1, keepdim=True).values
    weights = logits.exp()
    return weights / weights.sum(dim=-1, keepdim=True)""",
            ),
        ),
        fails=("test_temperature_leaves_the_logits_unchanged",),
    ),
    "mistake_temperature_clamped": Variant(
        "avoids overflow by clamping a / C to [-80, 80] instead of subtracting the maximum",
        edits=(
            (
                A3_ANSWERS[3],
                SOFTMAX_BODY,
                """    weights = (logits / C).clamp(-80, 80).exp()
    return weights / weights.sum(dim=-1, keepdim=True)""",
            ),
        ),
        fails=(
            "test_cold_temperature_is_a_finite_argmax",
            "test_large_logits_at_every_temperature",
        ),
    ),
    # ---- Part 5
    "mistake_sampling_ignores_generator": Variant(
        "accepts a generator but draws with torch's global one",
        edits=((A3_ANSWERS[4], SAMPLE_RETURN, "return int(torch.multinomial(probs, 1))"),),
        fails=("test_sample_next_draws_from_the_given_generator",),
    ),
    "mistake_sampling_returns_tensor": Variant(
        "returns the (1,) tensor torch.multinomial gives",
        edits=(
            (
                A3_ANSWERS[4],
                SAMPLE_RETURN,
                "return torch.multinomial(probs, 1, generator=generator)",
            ),
        ),  # fmt: skip
        fails=("test_sample_next_returns_a_python_int",),
    ),
    "mistake_sampling_own_default_generator": Variant(
        "generator=None becomes a fresh torch.Generator() (always the same draws)",
        edits=(
            (
                A3_ANSWERS[4],
                "probs = softmax_with_temperature(logits, C)",
                "if generator is None:\n"
                "        generator = torch.Generator()\n"
                "    probs = softmax_with_temperature(logits, C)",
            ),
        ),
        fails=("test_sample_next_draws_from_the_given_generator",),
    ),
    # ---- Part 6
    "mistake_generate_sos_not_masked": Variant(
        "draws from the model's logits as they are (SOS not set to -inf)",
        edits=(
            (
                A3_ANSWERS[5],
                "            next_logits[SOS_INDEX] = -math.inf  # SOS is an input only, never a next token\n",
                "",
            ),
        ),  # fmt: skip
        fails=(
            "test_generate_returns_no_special_tokens",
            "test_generate_draws_with_sample_next_from_the_last_logits",
        ),
    ),
    "mistake_generate_feeds_argmax": Variant(
        "feeds back the most likely letter instead of the one drawn",
        edits=(
            (
                A3_ANSWERS[5],
                FEED_BACK,
                "logits, state = model(next_logits.argmax().reshape(1, 1), state)",
            ),
        ),  # fmt: skip
        fails=("test_generate_feeds_each_drawn_letter_back",),
    ),
    "mistake_generate_rereads_prefix": Variant(
        "re-reads SOS and the whole name at every step instead of carrying the state",
        edits=(
            (A3_ANSWERS[5], FEED_BACK, "logits, state = model(encode(SOS + name).unsqueeze(1))"),
        ),  # fmt: skip
        fails=("test_generate_carries_the_state", "test_generate_feeds_each_drawn_letter_back"),
    ),
    "mistake_generate_no_eval": Variant(
        "never calls model.eval() (only torch.no_grad())",
        edits=(
            (
                A3_ANSWERS[5],
                "    was_training = model.training\n    model.eval()\n",
                "    was_training = model.training\n",
            ),
        ),  # fmt: skip
        fails=("test_generate_runs_in_eval_mode_without_gradients",),
    ),
    "mistake_generate_leaves_eval_mode": Variant(
        "leaves the model in eval mode after generating",
        edits=(
            (A3_ANSWERS[5], "    model.train(was_training)  # back to the mode it was in\n", ""),
        ),
        fails=("test_generate_runs_in_eval_mode_without_gradients",),
    ),
    "mistake_generate_without_generator": Variant(
        "calls sample_next without passing the generator on",
        edits=((A3_ANSWERS[5], DRAW, "token = sample_next(next_logits, C)"),),
        fails=(
            "test_generate_draws_with_sample_next_from_the_last_logits",
            "test_generate_is_reproducible_with_a_seeded_generator",
        ),
    ),
    "mistake_generate_ignores_temperature": Variant(
        "always draws at C = 1",
        edits=((A3_ANSWERS[5], DRAW, "token = sample_next(next_logits, 1.0, generator)"),),
        fails=("test_generate_draws_with_sample_next_from_the_last_logits",),
    ),
    "mistake_generate_truncates_start": Variant(
        "cuts a start longer than max_length down to max_length letters",
        edits=(
            (
                A3_ANSWERS[5],
                "    was_training = model.training\n",
                "    start = start[:max_length]\n    was_training = model.training\n",
            ),
        ),  # fmt: skip
        fails=("test_generate_with_a_start_at_or_over_max_length",),
    ),
    "mistake_generate_off_by_one_length": Variant(
        "loops while len(name) <= max_length: one letter too many",
        edits=((A3_ANSWERS[5], "while len(name) < max_length:", "while len(name) <= max_length:"),),
        fails=(
            "test_generate_stops_at_max_length",
            "test_generate_with_a_start_at_or_over_max_length",
        ),
    ),
    "mistake_generate_prefix_first_logits": Variant(
        "feeds SOS and the start in one call, then draws from the first step's logits",
        edits=(
            (
                A3_ANSWERS[5],
                """        state = None
        for token in [SOS_INDEX] + encode(start).tolist():  # SOS, then the start letters
            logits, state = model(torch.tensor([[token]]), state)  # logits (1, 1, V)
""",
                """        logits, state = model(encode(SOS + start).unsqueeze(1))
        logits = logits[:1]  # the logits of the first step
""",
            ),
        ),
        fails=("test_generate_draws_with_sample_next_from_the_last_logits",),
    ),
    # ---- correct alternatives
    "alt_log_softmax_and_inverse_cdf": Variant(
        "temperature via log_softmax().exp(); sampling by inverse CDF with torch.rand(generator=...)",
        edits=(
            (
                A3_ANSWERS[3],
                SOFTMAX_BODY,
                "    return torch.log_softmax(logits / C, dim=-1).exp()",
            ),
            (
                A3_ANSWERS[4],
                SAMPLE_RETURN,
                "cdf = probs.cumsum(dim=-1)\n"
                "    u = torch.rand((), generator=generator) * cdf[-1]\n"
                "    return min(int(torch.searchsorted(cdf, u, right=True)), len(probs) - 1)",
            ),
        ),
    ),
    "alt_model_explicit_zero_state": Variant(
        "forward builds the zero state itself when none is given",
        edits=(
            (
                A3_ANSWERS[1],
                MODEL_FORWARD,
                "        if state is None:\n"
                "            zeros = torch.zeros(1, input_ids.shape[1], self.lstm.hidden_size)\n"
                "            state = (zeros, zeros.clone())\n" + MODEL_FORWARD,
            ),
        ),
    ),
    "alt_nll_step_by_step": Variant(
        "name_nll runs the model one token at a time and adds -log_softmax terms",
        edits=(
            (
                A3_ANSWERS[2],
                """    logits, _ = model(input_ids.unsqueeze(1))  # (T+1, 1, V)
    """
                + NLL_RETURN,
                """    total, state = 0.0, None
    for x, y in zip(input_ids.tolist(), target_ids.tolist()):
        logits, state = model(torch.tensor([[x]]), state)
        total = total - torch.log_softmax(logits[0, 0], dim=-1)[y]
    return total""",
            ),
        ),
    ),
    "alt_generate_inference_mode": Variant(
        "generate returns early for a full start, uses torch.inference_mode and try/finally",
        edits=(
            (
                A3_ANSWERS[5],
                """    was_training = model.training
    model.eval()
    with torch.no_grad():""",
                """    if len(start) >= max_length:
        return start
    was_training = model.training
    model.eval()
    try:
        return _generate_letters(model, start, max_length, C, generator)
    finally:
        model.train(was_training)


@torch.inference_mode()
def _generate_letters(model, start, max_length, C, generator):
    if True:""",
            ),
            (A3_ANSWERS[5], "    model.train(was_training)  # back to the mode it was in\n", ""),
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

ASSIGNMENT = A3
VARIANTS = A3_VARIANTS
