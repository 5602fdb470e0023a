"""F.pad (constant, reflect, replicate, circular; negative amounts crop), F.one_hot and
F.normalize against PyTorch: values, gradients, gradcheck and gradgradcheck, errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from parity import assert_close, check_parity, gradcheck_both

import glassgrad as gg
import glassgrad.nn.functional as F

RNG = np.random.default_rng(0)
MODES = ["constant", "reflect", "replicate", "circular"]


def padder(pad, **kwargs):
    return (lambda t: F.pad(t, pad, **kwargs)), (lambda t: TF.pad(t, pad, **kwargs))


# ----------------------------------------------------------------------------- pad
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, pad", [
    ((2, 5), (1, 2)), ((2, 3, 5), (2, 0)), ((2, 3, 5), (3, 1, 2, 0)),
    ((1, 2, 4, 5), (1, 1, 3, 2)), ((1, 2, 4, 5), (0, 4, 1, 0)),
    ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 1)), ((2, 3, 4, 5), (2, 2, 1, 3, 2, 0)),
    ((2, 5), (-1, 2)), ((1, 3, 4, 5), (-1, 2, 1, -2)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pad_matches_torch(mode, shape, pad, dtype):
    ours, theirs = padder(pad, mode=mode)
    check_parity(ours, [RNG.normal(size=shape).astype(dtype)], torch_fn=theirs)


@pytest.mark.parametrize("mode", MODES)
def test_pad_gradcheck_and_gradgradcheck(mode):
    gradcheck_both(padder((2, 1, 1, 2), mode=mode)[0], [RNG.normal(size=(1, 2, 3, 3))])
    gradcheck_both(padder((2, -1), mode=mode)[0], [RNG.normal(size=(2, 4))])


@settings(max_examples=15)
@given(data=st.data())
def test_constant_pad_of_any_dims_matches_torch(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    pad = []
    for size in reversed(shape[len(shape) - data.draw(st.integers(1, len(shape))):]):
        left = data.draw(st.integers(-(size // 2), 3))
        pad += [left, data.draw(st.integers(-(size - (size // 2)), 3))]
    value = data.draw(st.sampled_from([None, 0.0, -2.5]))
    ours, theirs = padder(tuple(pad), value=value)
    check_parity(ours, [RNG.normal(size=shape)], torch_fn=theirs)


def test_pad_values_and_dtypes_like_torch():
    x = np.arange(6).reshape(2, 3)
    for value in (None, 7, 2.5):
        check_parity(*padder((1, 1), value=value)[:1], [x], torch_fn=padder((1, 1),
                                                                            value=value)[1])
    check_parity(*padder([1, 2], mode="reflect")[:1], [np.arange(6.0).reshape(1, 2, 3)],
                 torch_fn=padder([1, 2], mode="reflect")[1])
    assert F.pad(gg.ones(1, 2, 3), (1, 1), mode="reflect", value=0).shape == (1, 2, 5)
    out = F.pad(gg.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
    assert out.tolist() == [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]


def test_pad_grad_fn_names_match_torch():
    for pad, mode in [((1, 1), "reflect"), ((1, 1, 1, 1), "reflect"), ((1, 1, 1, 1), "replicate"),
                      ((1, 1, 1, 1, 1, 1), "replicate"), ((1, -1, 2, 0), "constant")]:
        ours, theirs = padder(pad, mode=mode)
        x = np.ones((1, 2) + (3,) * (len(pad) // 2))
        assert ours(gg.tensor(x, requires_grad=True)).grad_fn.name() == \
            theirs(torch.tensor(x, requires_grad=True)).grad_fn.name()


def test_pad_errors_like_torch():
    for f, lib in ((F, gg), (TF, torch)):
        with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
            f.pad(lib.ones(5), (1, 2, 3))
        with pytest.raises(RuntimeError, match="Padding length should be less than or equal to "
                                               "two times the input dimension but got padding "
                                               "length 4 and input of dimension 1"):
            f.pad(lib.ones(5), (1, 2, 3, 4))
        with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 1D "
                                                      "input tensor"):
            f.pad(lib.ones(5), (1, 1), mode="reflect")
        with pytest.raises(NotImplementedError, match="Padding size 4 is not supported for 2D"):
            f.pad(lib.ones(2, 3), (1, 1, 1, 1), mode="replicate")
        with pytest.raises(NotImplementedError, match="Unrecognised padding mode bogus"):
            f.pad(lib.ones(1, 2, 3), (1, 1), mode="bogus")
        with pytest.raises(RuntimeError, match='Padding mode "reflect" doesn\'t take in value '
                                               'argument'):
            f.pad(lib.ones(1, 2, 3), (1, 1), mode="reflect", value=2)
        with pytest.raises(RuntimeError, match=r"Argument #4: Padding size should be less than "
                                               r"the corresponding input dimension, but got: "
                                               r"padding \(3, 3\) at dimension 3 of input "
                                               r"\[1, 1, 3, 3\]"):
            f.pad(lib.ones(1, 1, 3, 3), (3, 3, 1, 1), mode="reflect")
        with pytest.raises(RuntimeError, match=r"Argument #6: .* padding \(3, 3\) at dimension "
                                               r"2 of input \[1, 1, 3, 3\]"):
            f.pad(lib.ones(1, 1, 3, 3), (1, 1, 3, 3), mode="reflect")
        with pytest.raises(RuntimeError, match="Padding value causes wrapping around more than "
                                               "once"):
            f.pad(lib.ones(1, 1, 3), (1, 4), mode="circular")
        with pytest.raises(RuntimeError, match="length must be non-negative"):
            f.pad(lib.ones(1, 2, 3), (-2, -2))


# ----------------------------------------------------------------------------- one_hot
@settings(max_examples=15)
@given(labels=hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                         elements=st.integers(0, 5)),
       extra=st.sampled_from([None, 0, 3]))
def test_one_hot_matches_torch(labels, extra):
    classes = -1 if extra is None else int(labels.max(initial=0)) + 1 + extra
    ours = F.one_hot(gg.tensor(labels), classes)
    theirs = TF.one_hot(torch.tensor(labels), classes)
    assert ours.dtype == gg.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_one_hot_edge_cases_and_errors_like_torch():
    assert F.one_hot(gg.tensor([], dtype=gg.long), 3).shape == (0, 3)
    assert F.one_hot(gg.tensor(2), 4).tolist() == [0, 0, 1, 0]
    for f, lib in ((F, gg), (TF, torch)):
        for bad in (lib.tensor([1.0]), lib.tensor([1], dtype=lib.int32)):
            with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor "
                                                   "of type LongTensor"):
                f.one_hot(bad)
        with pytest.raises(RuntimeError, match="Class values must be non-negative"):
            f.one_hot(lib.tensor([-1, 0]))
        with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
            f.one_hot(lib.tensor([3]), 3)
        with pytest.raises(RuntimeError, match="Can not infer total number of classes from "
                                               "empty tensor"):
            f.one_hot(lib.tensor([], dtype=lib.long))


# ----------------------------------------------------------------------------- normalize
@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"p": 1.0, "dim": -1}, {"p": 3.0},
                                    {"dim": (1, 2)}])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_matches_torch(kwargs, dtype):
    rng = np.random.default_rng(1)
    x = (np.sign(rng.normal(size=(3, 4, 2))) * rng.uniform(0.5, 2, size=(3, 4, 2))).astype(dtype)
    x[0, :, 0] = 0  # with dim=1, a zero vector: divided by eps, not by 0
    check_parity(lambda t: F.normalize(t, **kwargs), [x],
                 torch_fn=lambda t: TF.normalize(t, **kwargs))


def test_normalize_gradcheck_norms_and_out():
    gradcheck_both(lambda t: F.normalize(t, dim=1), [RNG.normal(size=(3, 4))])
    out = F.normalize(gg.tensor(RNG.normal(size=(5, 3))), dim=1)
    assert_close(out.norm(dim=1), gg.ones(5, dtype=gg.float64), rtol=1e-12)
    target = gg.empty(2, 2)
    result = F.normalize(gg.tensor([[3.0, 4.0], [0.0, 0.0]]), out=target)
    assert result is target and target.tolist() == [[0.6000000238418579, 0.800000011920929],
                                                     [0.0, 0.0]]
