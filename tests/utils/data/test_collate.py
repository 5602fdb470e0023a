"""default_collate / default_convert: values, dtypes and structure match torch's."""

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import glassgrad
from glassgrad.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", "x y")


def _same(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, glassgrad.Tensor)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and ours.keys() == theirs.keys()
        for k in theirs:
            _same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours).__name__ == type(theirs).__name__ and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert ours == theirs


def _both(make):
    """A batch built twice: once with glassgrad tensors, once with torch tensors."""
    return make(glassgrad), make(torch)


CASES = {
    "tensors": lambda m: [m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0])],
    "int_tensors": lambda m: [m.tensor([1, 2]), m.tensor([3, 4])],
    "ints": lambda m: [1, 2, 3],
    "floats": lambda m: [1.5, 2.5],
    "bools": lambda m: [True, False],
    "strings": lambda m: ["a", "bc"],
    "numpy_f32": lambda m: [np.ones(3, np.float32), np.zeros(3, np.float32)],
    "numpy_i32": lambda m: [np.arange(2, dtype=np.int32), np.arange(2, dtype=np.int32)],
    "numpy_scalars": lambda m: [np.float32(1.5), np.float32(2)],
    "numpy_int64_scalars": lambda m: [np.int64(1), np.int64(2)],
    "tuples": lambda m: [(m.tensor([1.0]), 0), (m.tensor([2.0]), 1)],
    "lists": lambda m: [[1, 2.0], [3, 4.0]],
    "dicts": lambda m: [{"x": m.tensor([1.0]), "y": 1}, {"x": m.tensor([2.0]), "y": 2}],
    "namedtuples": lambda m: [Point(1, 2.0), Point(3, 4.0)],
    "nested": lambda m: [{"a": (1, [2.0, "s"])}, {"a": (3, [4.0, "t"])}],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_default_collate_matches_torch(name):
    ours, theirs = _both(CASES[name])
    _same(default_collate(ours), tud.default_collate(theirs))


def test_namedtuple_type_kept():
    out = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(out, Point)


def test_unequal_lists_error():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])


def test_unsupported_type_error():
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_stack_keeps_grad():
    a = glassgrad.tensor([1.0, 2.0], requires_grad=True)
    out = default_collate([a, a])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])


@pytest.mark.parametrize("data", [np.arange(3.0), (np.float32(1), "s"), {"k": np.ones(2)}, 5])
def test_default_convert_matches_torch(data):
    _same(default_convert(data), tud.default_convert(data))
