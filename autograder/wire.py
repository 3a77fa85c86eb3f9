"""Data-only encoding for everything that crosses the grader/worker boundary.

Values are JSON with two tagged forms: tensors (raw bytes, base64) and tuples. Nothing is ever
unpickled, so a hostile worker can send wrong data but never code.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from typing import Any, BinaryIO

import torch

MAX_FRAME_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 32
_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "int64": torch.int64,
    "int32": torch.int32,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


class WireError(ValueError):
    """The other side sent something that is not valid data."""


def encode(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, torch.Tensor):
        # Plain tensor copy: drops subclasses, autograd history and any __torch_function__.
        t = torch.Tensor.detach(value).to("cpu").contiguous()
        t = torch.Tensor.clone(t).as_subclass(torch.Tensor)
        if t.dtype not in _NAMES:
            t = t.to(torch.float64 if t.is_floating_point() else torch.int64)
        raw = t.numpy().tobytes() if t.numel() else b""
        return {
            "__tensor__": {
                "dtype": _NAMES[t.dtype],
                "shape": list(t.shape),
                "data": base64.b64encode(raw).decode("ascii"),
            }
        }
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or k.startswith("__"):
                raise WireError(f"dict keys must be plain strings, got {k!r}")
            out[k] = encode(v, depth + 1)
        return out
    raise WireError(f"cannot send a value of type {type(value).__name__}")


def decode(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is list:
        return [decode(v, depth + 1) for v in value]
    if type(value) is not dict:
        raise WireError(f"unexpected JSON value of type {type(value).__name__}")
    if "__tensor__" in value:
        return _decode_tensor(value["__tensor__"])
    if "__tuple__" in value:
        items = value["__tuple__"]
        if type(items) is not list:
            raise WireError("malformed tuple")
        return tuple(decode(v, depth + 1) for v in items)
    return {str(k): decode(v, depth + 1) for k, v in value.items()}


def _decode_tensor(spec: Any) -> torch.Tensor:
    try:
        dtype = _DTYPES[spec["dtype"]]
        shape = [int(s) for s in spec["shape"]]
        raw = base64.b64decode(spec["data"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"malformed tensor: {exc}") from None
    if any(s < 0 for s in shape) or len(shape) > 16:
        raise WireError("malformed tensor shape")
    numel = math.prod(shape)
    itemsize = torch.empty((), dtype=dtype).element_size()
    if numel * itemsize != len(raw):
        raise WireError("tensor data does not match its shape")
    if numel == 0:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(bytearray(raw), dtype=dtype).reshape(shape).clone()


def dumps(value: Any) -> bytes:
    return json.dumps(encode(value), separators=(",", ":")).encode("utf-8")


def loads(data: bytes) -> Any:
    try:
        return decode(json.loads(data.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise WireError(f"not valid JSON: {exc}") from None


def write_frame(stream: BinaryIO, payload: bytes) -> None:
    stream.write(struct.pack(">Q", len(payload)) + payload)
    stream.flush()


def read_frame(stream: BinaryIO) -> bytes | None:
    """One length-prefixed frame, or None at a clean end of stream."""
    header = _read_exact(stream, 8)
    if header is None:
        return None
    (size,) = struct.unpack(">Q", header)
    if size > MAX_FRAME_BYTES:
        raise WireError(f"frame of {size} bytes exceeds the {MAX_FRAME_BYTES} byte limit")
    body = _read_exact(stream, size)
    if body is None:
        raise WireError("stream ended inside a frame")
    return body


def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            if got == 0:
                return None
            raise WireError("stream ended inside a frame")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
