"""Activation functions and layers against PyTorch: leaky_relu, elu, gelu (exact and tanh), silu,
softplus, hardtanh, relu6 and the modules (ReLU ... LogSoftmax): values, gradients, second
derivatives, in-place forms, reprs, errors, extreme inputs, and the vectorised erf."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from parity import assert_close, check_parity, gradcheck_both

import glassgrad as gg
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad.ops.special import erf as _erf

# (name, keyword arguments): every call is F.<name>(x, **kwargs) in both libraries
CASES = [
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {}), ("elu", {"alpha": 0.5}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}),
    ("silu", {}),
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}),
    ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("relu6", {}), ("relu", {}), ("sigmoid", {}), ("tanh", {}),
]
SMOOTH = [c for c in CASES if c[0] in ("elu", "gelu", "silu", "softplus", "sigmoid", "tanh")]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]


def call(name, kwargs):
    return (lambda t: getattr(F, name)(t, **kwargs)), (lambda t: getattr(TF, name)(t, **kwargs))


def away_from_kinks(x, name, kwargs):
    """Move values off the points where the function is not differentiable."""
    kinks = {"leaky_relu": [0.0], "relu": [0.0], "elu": [0.0], "relu6": [0.0, 6.0],
             "hardtanh": [kwargs.get("min_val", -1.0), kwargs.get("max_val", 1.0)]}
    for k in kinks.get(name, []):
        x = np.where(np.abs(x - k) < 1e-3, k + 0.25, x).astype(x.dtype)
    return x


@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
@settings(max_examples=8)
@given(data=st.data())
def test_functional_matches_torch(name, kwargs, data):
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    x = data.draw(hnp.arrays(dtype, shape, elements=st.floats(-8, 8, width=32)))
    ours, theirs = call(name, kwargs)
    # In float32, a saturating activation's gradient loses about three digits to cancellation
    # (1 + tanh(u) with tanh(u) near -1) in both libraries, whose tanh differ in the last ulp;
    # those inputs get atol 1e-5 in float32. float64 is held to the usual tolerance.
    tolerance = {"atol": 1e-5} if dtype == np.float32 and (name, kwargs) in SMOOTH else {}
    check_parity(ours, [away_from_kinks(x, name, kwargs)], torch_fn=theirs, **tolerance)


@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
def test_values_at_kinks_and_extremes_match_torch(name, kwargs):
    ours, theirs = call(name, kwargs)
    x = np.array([-1e4, -100.0, -30.0, -6.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 6.0, 19.9,
                  20.1, 30.0, 100.0, 1e4])
    for dtype in (np.float32, np.float64):
        out = check_parity(ours, [x.astype(dtype)], torch_fn=theirs)[0]
        assert np.isfinite(out.detach().numpy()).all()


@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
def test_gradcheck(name, kwargs):
    x = away_from_kinks(np.random.default_rng(0).normal(size=(3, 4)) * 3, name, kwargs)
    gradcheck_both(call(name, kwargs)[0], [x], second_order=(name, kwargs) in SMOOTH)


@pytest.mark.parametrize("name, kwargs", SMOOTH, ids=[f"{n}{kw}" for n, kw in SMOOTH])
def test_second_derivatives_match_torch(name, kwargs):
    """create_graph=True gives torch's gradient and torch's second derivative."""
    values = np.array([[-25.0, -3.0, -0.7, 0.0], [0.4, 1.6, 4.0, 25.0]])
    ours_fn, theirs_fn = call(name, kwargs)
    results = []
    for lib, fn in ((gg, ours_fn), (torch, theirs_fn)):
        x = lib.tensor(values, requires_grad=True)
        (g,) = lib.autograd.grad(fn(x).pow(2).sum(), [x], create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), [x])
        results.append((g, h))
    assert_close(results[0][0], results[1][0], rtol=1e-9, atol=1e-12)
    assert_close(results[0][1], results[1][1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "silu", "hardtanh", "relu6"])
def test_in_place_forms_match_torch(name):
    x = np.array([-2.0, -0.5, 0.5, 3.0, 7.0], np.float32)

    def run(lib, functional):
        def fn(t):
            y = t * 1
            result = getattr(functional, name)(y, inplace=True)
            assert result is y
            return y * 2
        return fn

    check_parity(run(gg, F), [x], torch_fn=run(torch, TF))
    t = gg.tensor(x)
    assert getattr(F, name)(t, inplace=True) is t
    assert_close(t, getattr(TF, name)(torch.tensor(x)))


def test_grad_fn_names_match_torch():
    for name, kwargs in CASES:
        ours, theirs = call(name, kwargs)
        assert ours(gg.ones(2, requires_grad=True)).grad_fn.name() == \
            theirs(torch.ones(2, requires_grad=True)).grad_fn.name(), name


def test_integer_inputs_like_torch():
    for name in ["leaky_relu", "elu", "gelu", "silu", "softplus"]:
        ours, theirs = call(name, {})
        for fn, lib in ((ours, gg), (theirs, torch)):
            with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
                fn(lib.tensor([1, 2]))
    check_parity(F.relu6, [np.array([-1, 3, 9])], torch_fn=TF.relu6)
    check_parity(F.hardtanh, [np.array([-4, 0, 2])], torch_fn=TF.hardtanh)


def test_argument_errors_like_torch():
    for functional, lib in ((F, gg), (TF, torch)):
        with pytest.raises(RuntimeError, match="approximate argument must be either none or "
                                               "tanh"):
            functional.gelu(lib.ones(2), approximate="fast")
        with pytest.raises(TypeError):
            functional.gelu(lib.ones(2), "tanh")  # approximate is keyword-only
        with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
            functional.hardtanh(lib.ones(2), 2.0, 1.0)
    for module in (nn, torch.nn):
        with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val"):
            module.Hardtanh(1, 1)


def test_erf_is_accurate_everywhere():
    z = np.concatenate([np.linspace(-8, 8, 4001), np.geomspace(1e-300, 30, 500),
                        -np.geomspace(1e-10, 40, 200), [0.46875, 4.0, 27.0, np.inf, -np.inf]])
    expected = np.array([math.erf(v) for v in z])
    np.testing.assert_allclose(_erf(z), expected, rtol=2e-15, atol=0)
    assert np.isnan(_erf(np.array([np.nan]))).all()
    assert np.signbit(_erf(np.array([-0.0])))[0]


# ----------------------------------------------------------------------------- modules
MODULES = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}),
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}),
    ("ELU", (), {}), ("ELU", (0.5,), {"inplace": True}),
    ("GELU", (), {}), ("GELU", ("tanh",), {}),
    ("SiLU", (), {}), ("SiLU", (True,), {}),
    ("Sigmoid", (), {}), ("Tanh", (), {}),
    ("Softplus", (), {}), ("Softplus", (2.0, 5.0), {}),
    ("Softmax", (), {"dim": 1}), ("Softmax", (-1,), {}), ("LogSoftmax", (0,), {}),
    ("Hardtanh", (), {}), ("Hardtanh", (-2, 2, True), {}), ("ReLU6", (), {"inplace": True}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_modules_match_torch(name, args, kwargs):
    ours = getattr(nn, name)(*args, **kwargs)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(1).normal(size=(3, 4, 2)) * 4
    x = np.where(np.abs(x) < 1e-3, 0.5, x)
    for dtype in (np.float32, np.float64):
        check_parity(lambda t: ours(t * 1), [x.astype(dtype)],
                     torch_fn=lambda t: theirs(t * 1))
    assert list(ours.parameters()) == [] and ours.state_dict() == {}


def test_default_module_reprs_match_torch():
    for name in ["ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus",
                 "Softmax", "LogSoftmax", "Hardtanh", "ReLU6"]:
        assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())


def test_softmax_module_default_dim_like_torch():
    x = np.random.default_rng(2).normal(size=(2, 3, 4)).astype(np.float32)
    check_parity(nn.Softmax(), [x], torch_fn=torch.nn.Softmax())
    check_parity(nn.LogSoftmax(), [x[0]], torch_fn=torch.nn.LogSoftmax())
