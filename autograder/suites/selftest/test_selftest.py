"""Self-test suite: a tiny assignment whose student defines ``add`` and ``shout``."""

import torch


def test_add_integers(sub):
    """add(2, 3) returns 5"""
    got = sub.probe("call", name="add", args=[2, 3])
    assert got == 5, f"add(2, 3) should return 5, got {got!r}"


def test_add_tensors(sub):
    """add works on tensors"""
    got = sub.probe("call", name="add", args=[torch.ones(2), torch.ones(2)])
    assert isinstance(got, torch.Tensor), "add should return a tensor for tensor inputs"
    assert torch.equal(got, torch.full((2,), 2.0)), "add(ones, ones) should be twos"


def test_shout(sub):
    """shout upper-cases its argument"""
    got = sub.probe("call", name="shout", args=["hi"])
    assert got == "HI", f"shout('hi') should return 'HI', got {got!r}"
