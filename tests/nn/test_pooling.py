"""Tests for glassgrad/ops/pooling.py and glassgrad/nn/modules/pooling.py against PyTorch.

max_pool2d (values, indices and the routing of gradients, with ties, NaN and overlapping
windows), avg_pool2d (every divisor rule) and adaptive_avg_pool2d, in float32 and float64, over
hypothesis-drawn shapes and settings; gradcheck and gradgradcheck; the modules and their repr;
unbatched and integer inputs; PyTorch's errors.
"""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from parity import assert_close, check_parity, gradcheck_both

import glassgrad as gg
import glassgrad.nn as nn

DTYPES = [np.float32, np.float64]


def F(t):
    """The functional module of the library a tensor belongs to."""
    return torch.nn.functional if isinstance(t, torch.Tensor) else gg.nn.functional


def rand(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def max_pool(**kwargs):
    return lambda x: F(x).max_pool2d(x, **kwargs)


def avg_pool(**kwargs):
    return lambda x: F(x).avg_pool2d(x, **kwargs)


def adaptive(size):
    return lambda x: F(x).adaptive_avg_pool2d(x, size)


def assert_same_error(gg_call, torch_call):
    with pytest.raises(Exception) as expected:
        torch_call()
    with pytest.raises(type(expected.value)) as actual:
        gg_call()
    assert str(actual.value) == str(expected.value)


# ----------------------------------------------------------------------------- max pooling
MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),                                   # overlapping windows
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), dilation=(2, 1)),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=2, stride=3, ceil_mode=True),
    dict(kernel_size=(2, 3), dilation=2, stride=1, padding=(1, 1)),
    dict(kernel_size=3, stride=[]),                                  # [] means kernel_size
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", MAX_CASES)
def test_max_pool2d_parity(kwargs, dtype):
    check_parity(max_pool(return_indices=True, **kwargs), [rand((2, 3, 9, 8), dtype)])


def test_max_pool2d_ties_route_the_gradient_like_torch():
    """Equal values: the first maximum of a window wins; overlapping windows add up."""
    x = np.random.default_rng(0).integers(0, 3, (2, 2, 7, 7)).astype(np.float64)
    for kwargs in (dict(kernel_size=3, stride=1, padding=1), dict(kernel_size=2),
                   dict(kernel_size=3, stride=2, dilation=2, ceil_mode=True)):
        check_parity(max_pool(return_indices=True, **kwargs), [x])


def test_max_pool2d_nan_and_infinities():
    x = np.array([[[[np.nan, 1.0, -np.inf], [np.nan, 2.0, -np.inf], [0.0, np.nan, -np.inf]]]])
    check_parity(max_pool(kernel_size=2, stride=1, return_indices=True), [x])
    check_parity(max_pool(kernel_size=3, padding=1, return_indices=True),
                 [np.full((1, 1, 2, 2), -np.inf)])


@st.composite
def pool_settings(draw, dilated=True):
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilated else (1, 1)
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    # at least `dilation` rows and columns: a smaller input can leave a dilated window with
    # no input element, where torch's backward writes out of bounds (see the test below)
    size = tuple(max(d, d * (k - 1) + 1 - 2 * p + draw(st.integers(0, 6)))
                 for d, k, p in zip(dilation, kernel, padding))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + size
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding,
                  ceil_mode=draw(st.booleans()))
    if dilated:
        kwargs["dilation"] = dilation
    return shape, kwargs, draw(st.sampled_from(DTYPES))


@given(pool_settings(), st.integers(0, 2 ** 16))
def test_max_pool2d_hypothesis(settings, seed):
    shape, kwargs, dtype = settings
    check_parity(max_pool(return_indices=True, **kwargs), [rand(shape, dtype, seed)])


def test_max_pool2d_unbatched_and_integers():
    out, indices = check_parity(max_pool(kernel_size=2, return_indices=True),
                                [rand((3, 6, 5))])
    assert tuple(out.shape) == (3, 3, 2) and indices.dtype == gg.int64
    x = np.random.default_rng(0).integers(-50, 50, (2, 2, 6, 6))
    check_parity(max_pool(kernel_size=3, stride=2, padding=1, return_indices=True), [x])


def test_max_pool2d_gradcheck():
    x = np.random.default_rng(0).permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) / 10.0
    gradcheck_both(max_pool(kernel_size=3, stride=2, padding=1, ceil_mode=True), [x])
    gradcheck_both(max_pool(kernel_size=2, stride=1, dilation=(1, 2)), [x])  # overlapping
    gradcheck_both(max_pool(kernel_size=2), [x[0]])


def test_max_pool2d_grad_fn_name():
    x = gg.randn(1, 1, 4, 4, requires_grad=True)
    assert F(x).max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"


# ----------------------------------------------------------------------------- average pooling
AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(3, 2), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=(3, 2), padding=(1, 0), divisor_override=5),
    dict(kernel_size=2, stride=3, ceil_mode=True, divisor_override=3),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", AVG_CASES)
def test_avg_pool2d_parity(kwargs, dtype):
    check_parity(avg_pool(**kwargs), [rand((2, 3, 9, 8), dtype)])


@given(pool_settings(dilated=False), st.booleans(), st.sampled_from([None, 1, 3]),
       st.integers(0, 2 ** 16))
def test_avg_pool2d_hypothesis(settings, include_pad, divisor, seed):
    shape, kwargs, dtype = settings
    check_parity(avg_pool(count_include_pad=include_pad, divisor_override=divisor, **kwargs),
                 [rand(shape, dtype, seed)])


def test_avg_pool2d_unbatched_and_integers():
    out = check_parity(avg_pool(kernel_size=2, padding=1), [rand((3, 5, 5))])[0]
    assert tuple(out.shape) == (3, 3, 3)
    x = np.random.default_rng(0).integers(-50, 50, (2, 2, 6, 7))  # truncating division
    check_parity(avg_pool(kernel_size=3, stride=2, padding=1), [x])


def test_avg_pool2d_gradcheck():
    x = rand((2, 2, 5, 6))
    gradcheck_both(avg_pool(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                            count_include_pad=False), [x])
    gradcheck_both(avg_pool(kernel_size=(2, 3), stride=1, divisor_override=2), [x[0]])


# ----------------------------------------------------------------------------- adaptive average
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, (3, 5), (None, 3), (7, None), (7, 8), (10, 11), 4])
def test_adaptive_avg_pool2d_parity(size, dtype):
    check_parity(adaptive(size), [rand((2, 3, 7, 8), dtype)])


@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), st.integers(1, 9),
       st.sampled_from(DTYPES), st.integers(0, 2 ** 16))
def test_adaptive_avg_pool2d_hypothesis(h, w, out_h, out_w, dtype, seed):
    check_parity(adaptive((out_h, out_w)), [rand((2, 2, h, w), dtype, seed)])


def test_adaptive_avg_pool2d_unbatched_and_empty_output():
    check_parity(adaptive((2, 3)), [rand((3, 5, 7))])
    check_parity(adaptive((0, 2)), [rand((1, 2, 5, 5))], grad=False)


def test_adaptive_avg_pool2d_gradcheck():
    gradcheck_both(adaptive((3, 2)), [rand((2, 2, 5, 4))])


# ----------------------------------------------------------------------------- modules
MODULES = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((2, 3), 1, 1), dict(ceil_mode=True, dilation=(1, 2))),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, return_indices=True)),
    ("AvgPool2d", (2,), {}),
    ("AvgPool2d", (3, 2, 1, True, False, None), {}),
    ("AvgPool2d", ((3, 2),), dict(padding=(1, 0), divisor_override=4)),
    ("AdaptiveAvgPool2d", ((None, 3),), {}),
    ("AdaptiveAvgPool2d", (1,), {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,args,kwargs", MODULES)
def test_pooling_modules(name, args, kwargs, dtype):
    layer, reference = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(layer) == repr(reference)
    assert list(layer.parameters()) == []
    check_parity(layer, [rand((2, 3, 7, 9), dtype)], torch_fn=reference)
    check_parity(layer, [rand((3, 7, 9), dtype)], torch_fn=reference)


# ----------------------------------------------------------------------------- errors
POOL_ERRORS = [
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=3, padding=2)),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=3, dilation=2, padding=2)),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=3, dilation=2, padding=3)),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=0)),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=(2, 0), stride=1)),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=2, stride=0)),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=2, stride=-1)),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=2, dilation=0)),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=2, padding=-1)),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=6)),
    ("max_pool2d", (2, 5, 5), dict(kernel_size=6)),
    ("max_pool2d", (5, 5), dict(kernel_size=2)),
    ("max_pool2d", (1, 1, 5, 5, 5), dict(kernel_size=2)),
    ("max_pool2d", (1, 0, 5, 5), dict(kernel_size=2)),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=(2, 2, 2))),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=2, stride=(1, 2, 3))),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=2, padding=(1, 2, 3))),
    ("max_pool2d", (1, 2, 5, 5), dict(kernel_size=2, dilation=(1, 2, 3))),
    ("avg_pool2d", (1, 2, 5, 5), dict(kernel_size=3, padding=2)),
    ("avg_pool2d", (1, 2, 5, 5), dict(kernel_size=0, stride=1)),
    ("avg_pool2d", (1, 2, 5, 5), dict(kernel_size=2, stride=0)),
    ("avg_pool2d", (1, 2, 5, 5), dict(kernel_size=2, padding=-1)),
    ("avg_pool2d", (1, 2, 5, 5), dict(kernel_size=6)),
    ("avg_pool2d", (5, 5), dict(kernel_size=2)),
    ("avg_pool2d", (1, 0, 5, 5), dict(kernel_size=2)),
    ("avg_pool2d", (1, 2, 5, 5), dict(kernel_size=2, divisor_override=0)),
    ("avg_pool2d", (1, 2, 5, 5), dict(kernel_size=(2, 2, 2))),
    ("avg_pool2d", (1, 2, 5, 5), dict(kernel_size=2, stride=(1, 2, 3))),
    ("avg_pool2d", (1, 2, 5, 5), dict(kernel_size=2, padding=(1, 2, 3))),
    ("adaptive_avg_pool2d", (1, 2, 5, 5), dict(output_size=(2, 2, 2))),
    ("adaptive_avg_pool2d", (1, 2, 5, 5), dict(output_size=(-1, 2))),
    ("adaptive_avg_pool2d", (5, 5), dict(output_size=2)),
    ("adaptive_avg_pool2d", (1, 2, 0, 5), dict(output_size=2)),
]


@pytest.mark.parametrize("name,shape,kwargs", POOL_ERRORS)
def test_pooling_errors_like_torch(name, shape, kwargs):
    x = rand(shape, np.float32)
    assert_same_error(lambda: getattr(gg.nn.functional, name)(gg.tensor(x), **kwargs),
                      lambda: getattr(torch.nn.functional, name)(torch.tensor(x), **kwargs))


@pytest.mark.parametrize("name,dtype", [
    ("adaptive_avg_pool2d", np.int64), ("max_pool2d", np.bool_), ("avg_pool2d", np.bool_),
    ("avg_pool2d", np.uint8)])
def test_pooling_refuses_dtypes_like_torch(name, dtype):
    x = (np.arange(16).reshape(1, 1, 4, 4) % 3).astype(dtype)
    assert_same_error(lambda: getattr(gg.nn.functional, name)(gg.tensor(x), 2),
                      lambda: getattr(torch.nn.functional, name)(torch.tensor(x), 2))


def test_pooled_values_are_saved_like_torch():
    """The result and indices do not alias the input: changing x afterwards changes nothing."""
    x = gg.tensor(rand((1, 1, 4, 4)))
    out = F(x).max_pool2d(x, 2)
    before = out.numpy().copy()
    with gg.no_grad():
        x.mul_(2)
    np.testing.assert_array_equal(out.numpy(), before)
    assert_close(out, torch.nn.functional.max_pool2d(torch.tensor(rand((1, 1, 4, 4))), 2))


def test_max_pool2d_dilated_window_that_misses_the_input():
    """A dilated window can hold padding only (input smaller than the dilation): PyTorch
    returns -inf and the index of the first row/column after the padding. No gradient flows
    from it: PyTorch's backward writes it out of bounds (into the next plane, or aborts)."""
    x = rand((1, 2, 1, 3))
    kwargs = dict(kernel_size=(2, 1), stride=1, padding=(1, 0), dilation=(2, 1),
                  return_indices=True)
    out, indices = max_pool(**kwargs)(gg.tensor(x, requires_grad=True))
    expected, expected_indices = max_pool(**kwargs)(torch.tensor(x))
    assert_close(out, expected)
    assert_close(indices, expected_indices)
    check_parity(max_pool(kernel_size=(2, 1), stride=1, padding=(1, 0), dilation=(2, 1)),
                 [rand((1, 2, 2, 3))])  # rows 0 and 1 both reached: no empty window
    x = gg.tensor(x, requires_grad=True)
    out = F(x).max_pool2d(x, **kwargs)[0]
    (out.clamp(min=0) * 2).sum().backward()
    assert not x.grad.numpy().any()
