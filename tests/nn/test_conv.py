"""Tests for glassgrad/ops/conv.py and glassgrad/nn/modules/conv.py against PyTorch.

conv2d's forward and its input, weight and bias gradients (float32 and float64) over strides,
paddings (ints, pairs, 'same', 'valid'), dilations and groups, drawn by hypothesis as well; the
double backward (create_graph) against torch's; gradcheck and gradgradcheck; the Conv2d layer
(copied weights, padding modes, initialisation, repr); PyTorch's errors; a small CNN end to end.
"""

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from parity import assert_close, check_parity, gradcheck_both

import glassgrad as gg
import glassgrad.nn as nn

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: {}}


def F(t):
    """The functional module of the library a tensor belongs to."""
    return torch.nn.functional if isinstance(t, torch.Tensor) else gg.nn.functional


def rand(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def conv_fn(**kwargs):
    return lambda x, w, b=None: F(x).conv2d(x, w, b, **kwargs)


def assert_same_error(gg_call, torch_call):
    """Both calls fail with the same exception type and message."""
    with pytest.raises(Exception) as expected:
        torch_call()
    with pytest.raises(type(expected.value)) as actual:
        gg_call()
    assert str(actual.value) == str(expected.value)


# ----------------------------------------------------------------------------- functional parity
CASES = [  # (x shape, w shape, kwargs)
    ("plain", (2, 3, 7, 6), (4, 3, 3, 3), {}),
    ("stride", (2, 3, 9, 8), (4, 3, 3, 2), dict(stride=2)),
    ("stride_pair", (1, 2, 9, 10), (3, 2, 2, 3), dict(stride=(2, 3))),
    ("padding", (2, 2, 5, 5), (3, 2, 3, 3), dict(padding=1)),
    ("padding_pair", (2, 2, 5, 6), (3, 2, 3, 2), dict(padding=(2, 1))),
    ("dilation", (1, 2, 8, 9), (3, 2, 3, 3), dict(dilation=2)),
    ("dilation_pair", (1, 2, 8, 9), (3, 2, 2, 3), dict(dilation=(3, 1), padding=(1, 2))),
    ("groups", (2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2)),
    ("depthwise", (2, 3, 6, 5), (6, 1, 3, 3), dict(groups=3, padding=1)),
    ("same_odd", (2, 2, 5, 6), (3, 2, 3, 3), dict(padding="same")),
    ("same_even", (2, 2, 5, 6), (3, 2, 4, 2), dict(padding="same")),
    ("same_dilated", (1, 2, 7, 6), (3, 2, 2, 3), dict(padding="same", dilation=(3, 2))),
    ("valid", (1, 2, 5, 6), (3, 2, 3, 3), dict(padding="valid", stride=2)),
    ("everything", (2, 6, 11, 10), (4, 3, 3, 2),
     dict(stride=(2, 1), padding=(2, 1), dilation=(1, 2), groups=2)),
    ("kernel_1x1", (2, 3, 4, 4), (5, 3, 1, 1), {}),
    ("kernel_is_input", (2, 3, 4, 5), (2, 3, 4, 5), {}),
    ("stride_skips_edge", (1, 1, 8, 8), (1, 1, 3, 3), dict(stride=3)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("name,xs,ws,kwargs", CASES, ids=[c[0] for c in CASES])
def test_conv2d_parity(name, xs, ws, kwargs, bias, dtype):
    arrays = [rand(xs, dtype), rand(ws, dtype, seed=1)]
    if bias:
        arrays.append(rand(ws[:1], dtype, seed=2))
    check_parity(conv_fn(**kwargs), arrays, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_unbatched(dtype):
    arrays = [rand((3, 6, 5), dtype), rand((4, 3, 3, 3), dtype, seed=1), rand((4,), dtype, 2)]
    out = check_parity(conv_fn(padding=1, stride=2), arrays, **TOL[dtype])[0]
    assert tuple(out.shape) == (4, 3, 3)


def test_conv2d_empty_batch_and_integers():
    check_parity(conv_fn(), [rand((0, 2, 5, 5)), rand((3, 2, 3, 3))])
    x = np.arange(50).reshape(1, 2, 5, 5) - 20
    w = np.arange(18).reshape(1, 2, 3, 3) % 4 - 1
    check_parity(conv_fn(stride=2), [x, w], grad=False)


def test_grad_fn_name():
    x = gg.randn(1, 1, 4, 4, requires_grad=True)
    assert F(x).conv2d(x, gg.randn(1, 1, 2, 2)).grad_fn.name() == "ConvolutionBackward0"


@st.composite
def conv_settings(draw):
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = [max(1, d * (k - 1) + 1 - 2 * p + draw(st.integers(0, 5)))
            for d, k, p in zip(dilation, kernel, padding)]
    x_shape = (draw(st.integers(1, 2)), c_in, *size)
    w_shape = (c_out, c_in // groups, *kernel)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x_shape, w_shape, kwargs, draw(st.booleans()), draw(st.sampled_from(DTYPES))


@given(conv_settings(), st.integers(0, 2 ** 16))
def test_conv2d_hypothesis(settings, seed):
    xs, ws, kwargs, bias, dtype = settings
    arrays = [rand(xs, dtype, seed), rand(ws, dtype, seed + 1)]
    if bias:
        arrays.append(rand(ws[:1], dtype, seed + 2))
    check_parity(conv_fn(**kwargs), arrays, **TOL[dtype])


def test_conv2d_matches_composite_of_shifted_products():
    """The fused primitive equals sum_{i,j} W[:, :, i, j] . x[..., shifted window] (composite)."""
    x = gg.tensor(rand((2, 3, 6, 7)), requires_grad=True)
    w = gg.tensor(rand((4, 3, 2, 3), seed=1), requires_grad=True)
    fused = F(x).conv2d(x, w, stride=(2, 1), dilation=(2, 1))
    composite = 0
    for i in range(2):
        for j in range(3):
            window = x[:, :, 2 * i:2 * i + 2 * (fused.shape[2] - 1) + 1:2,
                       j:j + fused.shape[3]]
            composite = composite + (window.unsqueeze(1) * w[:, :, i, j].reshape(1, 4, 3, 1, 1)
                                     ).sum(2)
    np.testing.assert_allclose(fused.detach().numpy(), composite.detach().numpy(), rtol=1e-12)
    up = gg.tensor(rand(tuple(fused.shape), seed=5))
    grads = gg.autograd.grad(fused, [x, w], up)
    expected = gg.autograd.grad(composite, [x, w], up)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- higher order
GRAD_CASES = [
    ((2, 4, 5, 4), (4, 2, 2, 3), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)),
    ((1, 2, 4, 4), (3, 2, 3, 2), dict(padding="same")),
    ((2, 1, 5, 5), (2, 1, 3, 3), dict(stride=2)),
]


@pytest.mark.parametrize("xs,ws,kwargs", GRAD_CASES)
def test_conv2d_gradcheck(xs, ws, kwargs):
    gradcheck_both(conv_fn(**kwargs), [rand(xs), rand(ws, seed=1), rand(ws[:1], seed=2)])


def test_conv2d_gradcheck_unbatched():
    gradcheck_both(conv_fn(padding=1), [rand((2, 4, 3)), rand((3, 2, 2, 2), seed=1)])


@pytest.mark.parametrize("xs,ws,kwargs", GRAD_CASES)
def test_conv2d_double_backward_parity(xs, ws, kwargs):
    """d/d(x, w) of ||dL/dx||^2 + ||dL/dw||^2 with create_graph, against torch."""
    def second_order(x, w, b):
        out = F(x).conv2d(x, w, b, **kwargs)
        lib = torch if isinstance(x, torch.Tensor) else gg
        gx, gw = lib.autograd.grad((out * out.tanh()).sum(), [x, w], create_graph=True)
        return (gx * gx).sum() + (gw * gw).sum()

    check_parity(second_order, [rand(xs), rand(ws, seed=1), rand(ws[:1], seed=2)], rtol=1e-9,
                 atol=1e-10)


# ----------------------------------------------------------------------------- errors
ERRORS = [
    ((1, 2, 5, 5), (8, 3, 3, 3), {}),                        # wrong channel count
    ((1, 3, 2, 2), (8, 3, 3, 3), {}),                        # kernel larger than input
    ((1, 3, 4, 4), (8, 3, 3, 3), dict(dilation=2)),          # dilated kernel too large
    ((1, 3, 5, 5), (8, 3, 3, 3), dict(padding=-1)),
    ((1, 3, 5, 5), (8, 3, 3, 3), dict(stride=0)),
    ((1, 3, 5, 5), (8, 3, 3, 3), dict(stride=-2)),
    ((1, 3, 5, 5), (8, 3, 3, 3), dict(dilation=0)),
    ((1, 3, 5, 5), (8, 3, 3, 3), dict(groups=0)),
    ((1, 3, 5, 5), (8, 3, 3, 3), dict(groups=3)),
    ((1, 3, 5, 5), (2, 1, 3, 3), dict(groups=3)),
    ((1, 3, 5, 5), (8, 3, 3, 3), dict(padding="same", stride=2)),
    ((1, 3, 5, 5), (8, 3, 3, 3), dict(padding="foo")),
    ((1, 3, 5, 5), (8, 3, 3, 3), dict(stride=(1, 2, 3))),
    ((1, 3, 5, 5), (8, 3, 3, 3), dict(padding=(1, 2, 3))),
    ((3, 5), (8, 3, 3, 3), {}),
    ((1, 1, 3, 5, 5), (8, 3, 3, 3), {}),
    ((1, 3, 5, 5), (8, 3, 3), {}),
    ((1, 3, 0, 5), (8, 3, 3, 3), {}),
]


@pytest.mark.parametrize("xs,ws,kwargs", ERRORS)
def test_conv2d_errors_like_torch(xs, ws, kwargs):
    x, w = rand(xs, np.float32), rand(ws, np.float32, seed=1)
    assert_same_error(lambda: gg.nn.functional.conv2d(gg.tensor(x), gg.tensor(w), **kwargs),
                      lambda: torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w),
                                                         **kwargs))


@pytest.mark.parametrize("bias_shape,bias_dtype,x_dtype", [
    ((7,), np.float32, np.float32), ((8, 1), np.float32, np.float32),
    ((8,), np.float64, np.float32), (None, None, np.float64)])
def test_conv2d_bias_and_dtype_errors(bias_shape, bias_dtype, x_dtype):
    x, w = rand((1, 3, 5, 5), x_dtype), rand((8, 3, 3, 3), np.float32)
    b = None if bias_shape is None else rand(bias_shape, bias_dtype)
    wrap = {"gg": lambda a: None if a is None else gg.tensor(a),
            "torch": lambda a: None if a is None else torch.tensor(a)}
    assert_same_error(lambda: gg.nn.functional.conv2d(*map(wrap["gg"], (x, w, b))),
                      lambda: torch.nn.functional.conv2d(*map(wrap["torch"], (x, w, b))))


def test_conv2d_refuses_bool_like_torch():
    x, w = np.ones((1, 1, 3, 3), bool), np.ones((1, 1, 2, 2), bool)
    assert_same_error(lambda: gg.nn.functional.conv2d(gg.tensor(x), gg.tensor(w)),
                      lambda: torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w)))


@pytest.mark.parametrize("args,kwargs", [
    ((3, 2, 3), dict(groups=2)), ((2, 3, 3), dict(groups=2)), ((2, 2, 3), dict(groups=0)),
    ((2, 2, 3), dict(padding="same", stride=2)), ((2, 2, 3), dict(padding="foo")),
    ((2, 2, 3), dict(padding_mode="x"))])
def test_conv2d_module_errors(args, kwargs):
    with pytest.raises(ValueError) as expected:
        torch.nn.Conv2d(*args, **kwargs)
    with pytest.raises(ValueError) as actual:
        nn.Conv2d(*args, **kwargs)
    assert sorted_sets(str(actual.value)) == sorted_sets(str(expected.value))


def sorted_sets(text):
    """PyTorch prints a Python set (in any order): sort the items of each {...}."""
    return re.sub(r"\{([^}]*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", ")))
                  + "}", text)


# ----------------------------------------------------------------------------- the layer
def copy_conv(torch_layer, dtype):
    """A glassgrad Conv2d with the same settings and weights as ``torch_layer``."""
    layer = nn.Conv2d(torch_layer.in_channels, torch_layer.out_channels, torch_layer.kernel_size,
                      torch_layer.stride, torch_layer.padding, torch_layer.dilation,
                      torch_layer.groups, torch_layer.bias is not None, torch_layer.padding_mode,
                      dtype=gg.float64 if dtype == np.float64 else gg.float32)
    with gg.no_grad():
        layer.weight.copy_(gg.tensor(torch_layer.weight.detach().numpy().astype(dtype)))
        if layer.bias is not None:
            layer.bias.copy_(gg.tensor(torch_layer.bias.detach().numpy().astype(dtype)))
    return layer


LAYERS = [
    ((1, 8, 3), {}),
    ((4, 6, (3, 2)), dict(stride=2, padding=1, dilation=(1, 2), groups=2, bias=False)),
    ((2, 3, 3), dict(padding="same", padding_mode="reflect")),
    ((2, 3, 4), dict(padding="same", padding_mode="circular")),
    ((2, 3, (2, 3)), dict(padding=(1, 2), padding_mode="replicate", stride=(1, 2))),
    ((2, 3, 3), dict(padding=2, padding_mode="circular")),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("args,kwargs", LAYERS)
def test_conv2d_module_parity(args, kwargs, dtype):
    torch.manual_seed(0)
    reference = torch.nn.Conv2d(*args, **kwargs).to(torch.float64 if dtype == np.float64
                                                    else torch.float32)
    layer = copy_conv(reference, dtype)
    assert repr(layer) == repr(reference)
    x = rand((3, args[0], 7, 8), dtype)
    gx, tx = gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = layer(gx), reference(tx)
    assert_close(out, expected, **TOL[dtype])
    up = rand(tuple(expected.shape), dtype, seed=3)
    out.backward(gg.tensor(up))
    expected.backward(torch.tensor(up))
    assert_close(gx.grad, tx.grad, what="input grad", **TOL[dtype])
    assert_close(layer.weight.grad, reference.weight.grad, what="weight grad", **TOL[dtype])
    if reference.bias is not None:
        assert_close(layer.bias.grad, reference.bias.grad, what="bias grad", **TOL[dtype])
    unbatched = layer(gg.tensor(x[0]))
    assert_close(unbatched, reference(torch.tensor(x[0])), **TOL[dtype])


@pytest.mark.parametrize("args,kwargs", LAYERS + [((3, 3, 1), dict(padding="valid"))])
def test_conv2d_repr_and_attributes(args, kwargs):
    layer, reference = nn.Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs)
    assert repr(layer) == repr(reference)
    for name in ("kernel_size", "stride", "padding", "dilation", "groups", "padding_mode",
                 "output_padding", "transposed", "_reversed_padding_repeated_twice"):
        assert getattr(layer, name) == getattr(reference, name), name
    assert [(n, tuple(p.shape)) for n, p in layer.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in reference.named_parameters()]


def test_conv2d_default_init():
    gg.manual_seed(0)
    layer = nn.Conv2d(8, 64, 3)
    bound = 1 / math.sqrt(8 * 9)  # kaiming_uniform(a=sqrt(5)) on fan_in = 72
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.dtype == np.float32 and w.shape == (64, 8, 3, 3)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound  # U(-a, a) has std a/sqrt(3)
    assert abs(w.mean()) < 0.02 * bound
    gg.manual_seed(0)
    again = nn.Conv2d(8, 64, 3)
    np.testing.assert_array_equal(again.weight.detach().numpy(), w)
    np.testing.assert_array_equal(again.bias.detach().numpy(), b)
    assert not np.array_equal(nn.Conv2d(8, 64, 3).weight.detach().numpy(), w)
    grouped = nn.Conv2d(4, 4, 2, groups=4)  # fan_in = 1 * 2 * 2
    assert np.abs(grouped.weight.detach().numpy()).max() <= 0.5
    assert np.abs(grouped.weight.detach().numpy()).max() > 0.3
    assert layer.weight.requires_grad and layer.weight.is_leaf


def test_first_cnn_forward_backward_like_torch():
    """Conv2d(1,8,3)-ReLU-MaxPool2-Conv2d(8,16,3)-ReLU-MaxPool2-Linear(400,10), batch 64."""
    torch.manual_seed(0)
    t1, t2 = torch.nn.Conv2d(1, 8, 3), torch.nn.Conv2d(8, 16, 3)
    t_fc = torch.nn.Linear(400, 10)
    c1, c2 = copy_conv(t1, np.float32), copy_conv(t2, np.float32)
    fc_w = gg.tensor(t_fc.weight.detach().numpy(), requires_grad=True)
    fc_b = gg.tensor(t_fc.bias.detach().numpy(), requires_grad=True)
    pool, t_pool = nn.MaxPool2d(2), torch.nn.MaxPool2d(2)
    x = rand((64, 1, 28, 28), np.float32)
    labels = np.random.default_rng(1).integers(0, 10, 64)

    h = pool(c2(pool(c1(gg.tensor(x)).relu())).relu()).reshape(64, 400)
    logits = h @ fc_w.mT + fc_b
    loss = -logits.log_softmax(1)[np.arange(64), labels].mean()
    loss.backward()
    t_h = t_pool(t2(t_pool(t1(torch.tensor(x)).relu())).relu()).reshape(64, 400)
    t_loss = torch.nn.functional.cross_entropy(t_fc(t_h), torch.tensor(labels))
    t_loss.backward()

    assert_close(loss, t_loss, rtol=1e-5, atol=1e-6)
    for mine, theirs in [(c1.weight, t1.weight), (c1.bias, t1.bias), (c2.weight, t2.weight),
                         (c2.bias, t2.bias), (fc_w, t_fc.weight), (fc_b, t_fc.bias)]:
        assert_close(mine.grad, theirs.grad, rtol=1e-4, atol=1e-6)


def test_saved_tensors_are_version_checked_and_freed():
    x = gg.randn(1, 2, 5, 5, requires_grad=True)
    w = gg.randn(3, 2, 3, 3, requires_grad=True)
    y = F(x).conv2d(x, w).sum()
    y.backward(retain_graph=True)
    first = w.grad.clone()
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * first.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    y = F(x).conv2d(x, w).sum()
    with gg.no_grad():
        w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
