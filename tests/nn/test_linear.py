"""Linear, Identity, Bilinear, Flatten, Unflatten and F.linear against PyTorch: default
initialisation (bounds, statistics, reproducibility), values and gradients with copied weights,
error messages, node names, and the fused linear primitive against the composite it replaces."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from parity import assert_close, check_parity, gradcheck_both

import glassgrad as gg
import glassgrad.nn as nn
import glassgrad.nn.functional as F

RNG = np.random.default_rng(0)


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def same_error(gg_call, torch_call):
    with pytest.raises(Exception) as theirs:
        torch_call()
    with pytest.raises(type(theirs.value)) as ours:
        gg_call()
    assert str(ours.value).replace("glassgrad", "torch") == str(theirs.value)


def module_parity(ours, theirs, inputs, dtype):
    """Copy torch's weights into ours, run both, and compare outputs and the gradients of the
    inputs and of every parameter."""
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    gx = [gg.tensor(a, requires_grad=True) for a in inputs]
    tx = [torch.tensor(a, requires_grad=True) for a in inputs]
    out_g, out_t = ours(*gx), theirs(*tx)
    assert_close(out_g, out_t, what="output", **tol)
    upstream = RNG.standard_normal(tuple(out_t.shape)).astype(dtype)
    out_g.backward(gg.tensor(upstream))
    out_t.backward(torch.tensor(upstream))
    for i, (g, t) in enumerate(zip(gx, tx)):
        assert_close(g.grad, t.grad, what=f"grad of input {i}", **tol)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad, q.grad, what=f"grad of {name}", **tol)


# ----------------------------------------------------------------------------- initialisation
def test_default_init_bounds_and_statistics():
    gg.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = layer.weight.detach().numpy()
    b = layer.bias.detach().numpy()
    assert w.shape == (300, 400) and b.shape == (300,)
    assert w.dtype == np.float32 and b.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound  # the whole range is used
    assert abs(w.mean()) < 0.01 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)  # std of U(-a, a) = a/sqrt3
    assert abs(b.mean()) < 0.1 * bound and b.std() == pytest.approx(bound / math.sqrt(3),
                                                                     rel=0.1)
    assert layer.weight.requires_grad and layer.bias.requires_grad


def test_torch_init_has_the_same_distribution():
    # kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) in both libraries
    torch.manual_seed(0)
    theirs = torch.nn.Linear(50, 2000).weight.detach().numpy()
    gg.manual_seed(0)
    ours = nn.Linear(50, 2000).weight.detach().numpy()
    assert np.abs(ours).max() <= 1 / math.sqrt(50) and np.abs(theirs).max() <= 1 / math.sqrt(50)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)


def test_manual_seed_makes_init_reproducible():
    gg.manual_seed(123)
    a = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    gg.manual_seed(123)
    b = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    c = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    for (name, p), q, r in zip(a.named_parameters(), b.parameters(), c.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)
        assert not np.array_equal(p.detach().numpy(), r.detach().numpy())
    state = gg.get_rng_state()
    first = nn.Linear(5, 5)
    gg.set_rng_state(state)
    second = nn.Linear(5, 5)
    first.weight.data.zero_()
    gg.set_rng_state(state)
    first.reset_parameters()
    for p, q in zip(first.parameters(), second.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_reset_parameters_draws_again_and_options():
    gg.manual_seed(0)
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None and list(layer.state_dict()) == ["weight"]
    before = layer.weight.detach().numpy().copy()
    layer.reset_parameters()
    assert not np.array_equal(before, layer.weight.detach().numpy())
    double = nn.Linear(3, 2, dtype=gg.float64)
    assert double.weight.dtype == gg.float64 and double.bias.dtype == gg.float64
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=False)"
    assert repr(double) == repr(torch.nn.Linear(3, 2))


# ----------------------------------------------------------------------------- parity
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3), (2, 1, 2, 3), (0, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(dtype, shape, bias):
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    theirs = torch.nn.Linear(3, 4, bias=bias, dtype=tdtype)
    ours = nn.Linear(3, 4, bias=bias, dtype=gg.float32 if dtype == np.float32 else gg.float64)
    module_parity(ours, theirs, [randn(*shape, dtype=dtype)], dtype)


def test_functional_linear_matches_torch_with_broadcast_bias():
    for bias_shape in [(4,), (5, 4), (1,), ()]:
        check_parity(F.linear, [randn(5, 3), randn(4, 3), randn(*bias_shape)],
                     torch_fn=TF.linear)
    check_parity(F.linear, [randn(5, 3), randn(3)], torch_fn=TF.linear)  # a vector weight


def test_node_names_match_torch():
    w = torch.randn(2, 3, requires_grad=True)
    b = torch.randn(2, requires_grad=True)
    gw, gb = gg.tensor(w.detach().numpy(), requires_grad=True), gg.tensor(b.detach().numpy(),
                                                                           requires_grad=True)
    for shape in [(4, 3), (3,), (2, 4, 3)]:
        x = torch.randn(*shape)
        gx = gg.tensor(x.numpy())
        for with_bias in (True, False):
            ours = F.linear(gx, gw, gb if with_bias else None).grad_fn.name()
            theirs = TF.linear(x, w, b if with_bias else None).grad_fn.name()
            assert ours == theirs, (shape, with_bias)


def test_errors_match_torch():
    cases = [((4, 3), (2, 5), (2,)), ((2, 4, 3), (2, 5), (2,)), ((3,), (2, 5), None),
             ((), (2, 5), None), ((4, 5), (2, 5), (3,)), ((4, 5), (2, 5, 1), None)]
    for x, w, b in cases:
        same_error(lambda: F.linear(gg.ones(*x), gg.ones(*w), None if b is None else gg.ones(*b)),
                   lambda: TF.linear(torch.ones(*x), torch.ones(*w),
                                     None if b is None else torch.ones(*b)))
    dtypes = [("float64", "float32", None), ("float32", "float64", None),
              ("int64", "float32", None), ("float64", "float32", "float32"),
              ("float32", "float32", "float64"), ("float32", "float64", "float32")]
    for x_dtype, w_dtype, b_dtype in dtypes:
        for x_shape in [(4, 5), (4, 3), (2, 4, 5)]:
            def call(L, x_shape=x_shape, x_dtype=x_dtype, w_dtype=w_dtype, b_dtype=b_dtype):
                bias = None if b_dtype is None else L.ones(2, dtype=getattr(L, b_dtype))
                return L.nn.functional.linear(L.ones(*x_shape, dtype=getattr(L, x_dtype)),
                                              L.ones(2, 5, dtype=getattr(L, w_dtype)), bias)

            same_error(lambda: call(gg), lambda: call(torch))
    same_error(lambda: nn.Linear(5, 2)(gg.ones(4, 3)), lambda: torch.nn.Linear(5, 2)(
        torch.ones(4, 3)))
    with pytest.raises(RuntimeError, match=r"\(4x3 and 5x2\)"):
        nn.Linear(5, 2)(gg.ones(4, 3))


# ----------------------------------------------------------------------------- the fused op
def composite(x, w, b=None):
    """What the fused primitive replaces: matmul with the transpose, then a broadcast add."""
    out = x.matmul(w.t())
    return out if b is None else out + b


@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3)])
def test_fused_primitive_equals_composite(shape):
    arrays = [randn(*shape), randn(4, 3), randn(4)]
    fused = [gg.tensor(a, requires_grad=True) for a in arrays]
    plain = [gg.tensor(a, requires_grad=True) for a in arrays]
    out_f, out_c = F.linear(*fused), composite(*plain)
    assert len(out_f.grad_fn.next_functions) == 3  # one node for the whole affine map
    np.testing.assert_allclose(out_f.detach().numpy(), out_c.detach().numpy(), rtol=1e-6,
                               atol=1e-6)
    upstream = gg.tensor(randn(*out_c.shape))
    out_f.backward(upstream)
    out_c.backward(upstream)
    for f, c in zip(fused, plain):
        np.testing.assert_allclose(f.grad.numpy(), c.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_fused_primitive_gradcheck_and_second_order():
    for shape in [(5, 3), (3,), (2, 2, 3)]:
        gradcheck_both(F.linear, [randn(*shape), randn(4, 3), randn(4)])
        gradcheck_both(lambda x, w: F.linear(x, w), [randn(*shape), randn(4, 3)])
    x, w = (gg.tensor(randn(2, 3, dtype=np.float64), requires_grad=True),
            gg.tensor(randn(4, 3, dtype=np.float64), requires_grad=True))
    tx, tw = (torch.tensor(x.detach().numpy(), requires_grad=True),
              torch.tensor(w.detach().numpy(), requires_grad=True))
    (gx,) = gg.autograd.grad(F.linear(x, w).tanh().sum(), x, create_graph=True)
    (tgx,) = torch.autograd.grad(TF.linear(tx, tw).tanh().sum(), tx, create_graph=True)
    gx.square().sum().backward()
    tgx.square().sum().backward()
    assert_close(w.grad, tw.grad, rtol=1e-10, atol=1e-12)


def test_only_needed_gradients_are_computed():
    x = gg.tensor(randn(3, 2))
    layer = nn.Linear(2, 2)
    layer.weight.requires_grad_(False)
    layer(x).sum().backward()
    assert layer.weight.grad is None and layer.bias.grad is not None
    assert layer.bias.grad.tolist() == [3.0, 3.0]


# ----------------------------------------------------------------------------- other layers
def test_identity_ignores_arguments():
    layer = nn.Identity(54, unused="argument")
    x = gg.ones(2, 3, requires_grad=True)
    assert layer(x) is x
    assert repr(layer) == "Identity()" and list(layer.parameters()) == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bilinear_matches_torch(dtype):
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    theirs = torch.nn.Bilinear(3, 4, 5, dtype=tdtype)
    ours = nn.Bilinear(3, 4, 5, dtype=gg.float32 if dtype == np.float32 else gg.float64)
    module_parity(ours, theirs, [randn(6, 3, dtype=dtype), randn(6, 4, dtype=dtype)], dtype)
    module_parity(ours, theirs, [randn(2, 6, 3, dtype=dtype), randn(2, 6, 4, dtype=dtype)],
                  dtype)
    assert repr(ours) == repr(theirs)
    assert np.abs(ours.weight.detach().numpy()).max() <= 1 / math.sqrt(3)
    same_error(lambda: ours(gg.ones(6, 2), gg.ones(6, 4)),
               lambda: theirs(torch.ones(6, 2, dtype=tdtype), torch.ones(6, 4, dtype=tdtype)))
    same_error(lambda: ours(gg.ones(6, 3), gg.ones(5, 4)),
               lambda: theirs(torch.ones(6, 3, dtype=tdtype), torch.ones(5, 4, dtype=tdtype)))


@pytest.mark.parametrize("args, shape", [((), (2, 3, 4, 5)), ((0, 1), (2, 3, 4)),
                                         ((0, -1), (2, 3, 4)), ((1, 2), (2, 3, 4, 5)),
                                         ((-2, -1), (2, 3, 4))])
def test_flatten_matches_torch(args, shape):
    check_parity(nn.Flatten(*args), [randn(*shape)], torch_fn=torch.nn.Flatten(*args))
    assert repr(nn.Flatten(*args)) == repr(torch.nn.Flatten(*args))


def test_unflatten_matches_torch():
    for dim, sizes, shape in [(1, (2, 5), (3, 10)), (-1, [2, -1], (3, 4, 6)), (0, (1, 3), (3,))]:
        check_parity(nn.Unflatten(dim, sizes), [randn(*shape)],
                     torch_fn=torch.nn.Unflatten(dim, sizes))
        assert repr(nn.Unflatten(dim, sizes)) == repr(torch.nn.Unflatten(dim, sizes))
    same_error(lambda: nn.Unflatten(1, 4), lambda: torch.nn.Unflatten(1, 4))
    same_error(lambda: nn.Unflatten(1, (2, 2.0)), lambda: torch.nn.Unflatten(1, (2, 2.0)))
    round_trip = nn.Sequential(nn.Flatten(), nn.Unflatten(1, (3, 4)))
    x = gg.tensor(randn(2, 3, 4))
    np.testing.assert_array_equal(round_trip(x).numpy(), x.numpy())


def test_linear_finds_a_weight_kept_outside_parameters():
    """Linear reads weight and bias from ``_parameters`` (fast); a weight replaced by a plain
    tensor attribute (as weight-normalisation code does) is still the one used."""
    layer = nn.Linear(3, 2)
    replacement = gg.tensor(randn(2, 3), requires_grad=True)
    del layer.weight
    layer.weight = replacement  # a plain Tensor: an ordinary attribute, not a parameter
    assert "weight" not in layer._parameters
    x = gg.tensor(randn(4, 3))
    expected = x.numpy() @ replacement.detach().numpy().T + layer.bias.detach().numpy()
    out = layer(x)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)
    out.sum().backward()
    assert replacement.grad is not None
