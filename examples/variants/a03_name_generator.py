"""Example submissions for name_generator: reference, stubs, mistakes, alternatives, hostile code."""

from __future__ import annotations

from examples.variants import Variant

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

ASSIGNMENT = A3
VARIANTS = A3_VARIANTS
