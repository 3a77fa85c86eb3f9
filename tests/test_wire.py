"""The data-only encoding across the trust boundary."""

from __future__ import annotations

import io
import json
import struct

import pytest
import torch

from autograder import wire


def test_round_trip_of_plain_data():
    value = {
        "t": torch.arange(6, dtype=torch.float32).reshape(2, 3),
        "i": torch.tensor([1, 2], dtype=torch.int64),
        "b": torch.tensor([True, False]),
        "empty": torch.zeros(0, 4),
        "nested": [1, 2.5, "x", None, (True, "y")],
    }
    back = wire.loads(wire.dumps(value))
    assert torch.equal(back["t"], value["t"]) and back["t"].dtype == torch.float32
    assert torch.equal(back["i"], value["i"]) and torch.equal(back["b"], value["b"])
    assert back["empty"].shape == (0, 4)
    assert back["nested"] == [1, 2.5, "x", None, (True, "y")]


def test_tensor_subclass_and_grad_are_dropped():
    class Liar(torch.Tensor):
        def __eq__(self, other):  # an always-equal tensor must not survive the trip
            return True

    t = torch.ones(3, requires_grad=True).as_subclass(Liar)
    back = wire.loads(wire.dumps(t))
    assert type(back) is torch.Tensor and not back.requires_grad


@pytest.mark.parametrize(
    "payload",
    [
        {"__tensor__": {"dtype": "float32", "shape": [4], "data": "AAAA"}},  # wrong size
        {"__tensor__": {"dtype": "object", "shape": [1], "data": ""}},  # unknown dtype
        {"__tensor__": {"dtype": "float32", "shape": [-1], "data": ""}},
        {"__tuple__": "no"},
    ],
)
def test_malformed_tensors_are_rejected(payload):
    with pytest.raises(wire.WireError):
        wire.loads(json.dumps(payload).encode())


def test_objects_cannot_be_sent():
    with pytest.raises(wire.WireError):
        wire.dumps({"f": lambda: 1})
    with pytest.raises(wire.WireError):
        wire.dumps({1: "non-string key"})


def test_frames_refuse_oversized_lengths():
    stream = io.BytesIO(struct.pack(">Q", wire.MAX_FRAME_BYTES + 1))
    with pytest.raises(wire.WireError):
        wire.read_frame(stream)
    assert wire.read_frame(io.BytesIO(b"")) is None
