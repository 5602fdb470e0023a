"""conv2d's stride-1 input gradient (glassgrad/ops/conv.py, ``_shifted_input_grad``) and the bias
added while the output is reordered.

With stride 1, dL/dx is computed over whole zero padded planes and added back with one contiguous
slice per kernel offset; it must equal the general col2im path and PyTorch for paddings
(symmetric, 'same' with an odd total), dilations, groups, 1x1 and whole-input kernels, an empty
batch; a weight holding inf or NaN must fall back to the general path (0 * inf in the padding
would be NaN); NaN in the upstream gradient; float64 gradcheck and gradgradcheck (the double
backward uses the same function through ConvInputGrad).
"""

import numpy as np
import pytest
import torch
from parity import assert_close, check_parity, gradcheck_both

import glassgrad as gg
from glassgrad.ops import conv

TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: {}}  # float32: sums of ~500 terms


def F(t):
    return torch.nn.functional if isinstance(t, torch.Tensor) else gg.nn.functional


def conv_fn(**kwargs):
    return lambda x, w, b=None: F(x).conv2d(x, w, b, **kwargs)


def rand(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


STRIDE_1 = [  # (x shape, w shape, kwargs)
    ((2, 3, 7, 6), (4, 3, 3, 3), {}),
    ((2, 2, 5, 6), (3, 2, 3, 2), dict(padding=(2, 1))),
    ((2, 2, 5, 6), (3, 2, 4, 2), dict(padding="same")),            # odd total: bottom/right
    ((1, 2, 8, 9), (3, 2, 3, 3), dict(dilation=2)),
    ((1, 2, 8, 9), (3, 2, 2, 3), dict(dilation=(3, 1), padding=(1, 2))),
    ((2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2)),
    ((2, 3, 6, 5), (6, 1, 3, 3), dict(groups=3, padding=1)),       # depthwise
    ((2, 3, 4, 4), (5, 3, 1, 1), {}),
    ((2, 3, 4, 5), (2, 3, 4, 5), {}),                              # kernel is the input
    ((4, 8, 13, 13), (16, 8, 3, 3), {}),                           # the conv benchmark's layer
]
IDS = [f"{xs}-{ws}-{kw}" for xs, ws, kw in STRIDE_1]


def input_grads(x, w, g, **kwargs):
    """dL/dx from the shifted (stride 1) function and from the general col2im path."""
    stride = (1, 1)
    dilation = kwargs.get("dilation", 1)
    dilation = (dilation, dilation) if isinstance(dilation, int) else dilation
    padding = conv.conv_padding(kwargs.get("padding", 0), w.shape[2:], stride, dilation)
    params = dict(padding=padding, dilation=dilation, groups=kwargs.get("groups", 1))
    shifted = conv._shifted_input_grad(g, w, x.shape, **params)
    n, _, h_out, w_out = g.shape
    kh, kw = w.shape[2:]
    gcols = np.matmul(conv._grouped_weight(w, params["groups"]).transpose(0, 2, 1),
                      conv._grouped_output(g, params["groups"]))
    gcols = gcols.reshape(x.shape[1], kh, kw, n, h_out, w_out)
    general = conv._col2im(gcols, x.shape, stride, padding, dilation)
    return shifted, general


@pytest.mark.parametrize("xs,ws,kwargs", STRIDE_1, ids=IDS)
def test_shifted_equals_general_col2im(xs, ws, kwargs):
    x, w = rand(xs), rand(ws, seed=1)
    out = conv_fn(**kwargs)(gg.tensor(x), gg.tensor(w))
    g = rand(tuple(out.shape), seed=2)
    shifted, general = input_grads(x, w, g, **kwargs)
    assert shifted.shape == x.shape and shifted.flags.c_contiguous
    np.testing.assert_allclose(shifted, general, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xs,ws,kwargs", STRIDE_1, ids=IDS)
def test_stride_1_parity(xs, ws, kwargs, bias, dtype):
    arrays = [rand(xs, dtype), rand(ws, dtype, seed=1)]
    if bias:
        arrays.append(rand(ws[:1], dtype, seed=2))
    check_parity(conv_fn(**kwargs), arrays, **TOL[dtype])


def test_empty_batch():
    check_parity(conv_fn(padding=1), [rand((0, 2, 5, 5)), rand((3, 2, 3, 3), seed=1)])


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_weight_takes_the_general_path(bad, monkeypatch):
    """Where g is zero padding, W^T @ g would be 0 * inf = NaN: such a W must not use it."""
    calls = []
    shifted = conv._shifted_input_grad
    monkeypatch.setattr(conv, "_shifted_input_grad", lambda *a: calls.append(1) or shifted(*a))
    x, w = rand((2, 2, 6, 6)), rand((3, 2, 3, 3), seed=1)
    w[1, 0, 2, 1] = bad
    check_parity(conv_fn(padding=1), [x, w])
    assert not calls
    check_parity(conv_fn(padding=1), [x, rand((3, 2, 3, 3), seed=1)])
    assert calls


def test_nan_in_upstream_gradient():
    x = gg.tensor(rand((2, 2, 6, 5)), requires_grad=True)
    w = gg.tensor(rand((3, 2, 3, 3), seed=1))
    tx, tw = torch.tensor(x.detach().numpy(), requires_grad=True), torch.tensor(w.numpy())
    g = rand((2, 3, 4, 3), seed=2)
    g[0, 1, 2, 2] = np.nan
    g[1, 0, 0, 0] = np.inf
    F(x).conv2d(x, w).backward(gg.tensor(g))
    F(tx).conv2d(tx, tw).backward(torch.tensor(g))
    assert_close(x.grad, tx.grad)


def test_strided_convolution_keeps_the_general_path(monkeypatch):
    monkeypatch.setattr(conv, "_shifted_input_grad", None)  # would fail if called
    check_parity(conv_fn(stride=2, padding=1), [rand((2, 2, 7, 6)), rand((3, 2, 3, 3), seed=1)])


def test_integer_convolution_with_bias():
    x = np.arange(50).reshape(1, 2, 5, 5) - 20
    w = np.arange(18).reshape(1, 2, 3, 3) % 4 - 1
    check_parity(conv_fn(), [x, w, np.array([3])], grad=False)


@pytest.mark.parametrize("xs,ws,kwargs", [((1, 2, 5, 4), (3, 2, 3, 2), dict(padding=1)),
                                          ((1, 4, 6, 5), (4, 2, 2, 2), dict(dilation=2,
                                                                            groups=2)),
                                          ((2, 3, 4, 4), (2, 3, 2, 2), dict(padding="same"))])
def test_gradcheck_stride_1(xs, ws, kwargs):
    arrays = [rand(xs), rand(ws, seed=1), rand(ws[:1], seed=2)]
    gradcheck_both(conv_fn(**kwargs), arrays)
