"""relu, softmax and log_softmax against PyTorch: values, gradients (first and second order),
dims, dtypes, numerical stability at +-1e4, in-place relu and errors. (sigmoid and tanh are
tested with the element-wise operations, logsumexp with the reductions.)"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from parity import assert_close, check_parity, gradcheck_both

import glassgrad as gg

FLOATS = [np.float32, np.float64]


@st.composite
def logits_and_dim(draw, low=-20.0, high=20.0, min_dims=1):
    dtype = draw(st.sampled_from(FLOATS))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=5))
    kind = np.dtype(dtype).type
    elements = st.floats(float(kind(low)), float(kind(high)), width=np.dtype(dtype).itemsize * 8,
                         allow_subnormal=False)
    x = draw(hnp.arrays(dtype, shape, elements=elements))
    dim = draw(st.integers(-len(shape), len(shape) - 1)) if shape else 0
    return x, dim


# ----------------------------------------------------------------------------- relu
@given(case=logits_and_dim(low=-3, high=3, min_dims=0))
def test_relu_matches_torch(case):
    x, _ = case
    x = np.where(x == 0, 0.5, x).astype(x.dtype)  # the kink is tested separately
    check_parity(gg.relu, [x], torch_fn=torch.relu)
    check_parity(lambda t: t.relu(), [x])


def test_relu_at_zero_and_on_integers_matches_torch():
    check_parity(lambda t: t.relu(), [np.array([-1.0, 0.0, -0.0, 2.0], np.float32)])
    check_parity(lambda t: t.relu(), [np.array([-1, 0, 2], np.int64)])
    for lib in (gg, torch):
        with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
            lib.relu(lib.tensor([True, False]))
    assert gg.relu(gg.ones(2, requires_grad=True)).grad_fn.name() == "ReluBackward0"


def test_relu_in_place():
    def fn(x):
        y = x * 1
        result = y.relu_()
        assert result is y
        return y * 3

    check_parity(fn, [np.array([-1.0, 0.5, 2.0], np.float32)])
    t = gg.tensor([-1.0, 2.0])
    assert gg.relu(t, inplace=True) is t and t.tolist() == [0.0, 2.0]


def test_relu_output_modified_in_place_makes_backward_raise():
    for lib in (gg, torch):
        x = lib.tensor([-1.0, 2.0], requires_grad=True)
        y = lib.relu(x * 1)  # relu saves its output
        y.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


# ----------------------------------------------------------------------------- softmax
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(case=logits_and_dim())
def test_softmax_and_log_softmax_match_torch(name, case):
    x, dim = case
    check_parity(lambda t: getattr(t, name)(dim), [x])
    check_parity(lambda t: getattr(gg, name)(t, dim), [x],
                 torch_fn=lambda t: getattr(torch, name)(t, dim))
    check_parity(lambda t: getattr(gg, name)(t, dim=dim), [x],
                 torch_fn=lambda t: getattr(F, name)(t, dim=dim))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_0d_and_empty_tensors(name):
    check_parity(lambda t: getattr(t, name)(0), [np.array(2.5, np.float32)])
    check_parity(lambda t: getattr(t, name)(-1), [np.array(2.5, np.float64)])
    check_parity(lambda t: getattr(t, name)(1), [np.zeros((0, 3), np.float32)])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dtype_argument_and_integer_inputs(name):
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    out = check_parity(lambda t: getattr(t, name)(1, dtype=gg.float64) if isinstance(t, gg.Tensor)
                       else getattr(t, name)(1, dtype=torch.float64), [x])[0]
    assert out.dtype == gg.float64
    ints = np.array([1, 2, 3], np.int64)
    check_parity(lambda t: getattr(t, name)(0, dtype=gg.float32) if isinstance(t, gg.Tensor)
                 else getattr(t, name)(0, dtype=torch.float32), [ints])
    for lib in (gg, torch):
        with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
            getattr(lib, name)(lib.tensor([1, 2, 3]), 0)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_is_stable_for_huge_logits(name):
    for dtype in FLOATS:
        x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4 - 5],
                      [3.0, -1e4, 1e4]], dtype)
        for dim in (0, 1):
            out = check_parity(lambda t: getattr(t, name)(dim), [x])[0]
            assert np.isfinite(out.detach().numpy()).all()  # log_softmax gives -2e4, not -inf


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_with_infinities_matches_torch(name):
    inf = np.inf
    for x in ([-inf, 0.0, 1.0], [-inf, -inf], [inf, 0.0]):
        check_parity(lambda t: getattr(t, name)(0), [np.array(x, np.float32)], grad=False)


def test_softmax_dim_errors_match_torch():
    for lib in (gg, torch):
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range "
                                             r"of \[-2, 1\], but got 2\)"):
            lib.softmax(lib.ones(2, 3), 2)
        with pytest.raises(IndexError, match="Dimension out of range"):
            lib.log_softmax(lib.ones(2, 3), -3)


def test_softmax_grad_fn_names_match_torch():
    for name in ("softmax", "log_softmax"):
        ours = getattr(gg.ones(2, 3, requires_grad=True), name)(1).grad_fn.name()
        theirs = getattr(torch.ones(2, 3, requires_grad=True), name)(1).grad_fn.name()
        assert ours == theirs


def test_fused_log_softmax_equals_the_composite_it_replaces():
    x = np.random.default_rng(1).normal(size=(3, 4)) * 3
    weights = np.arange(12.0).reshape(3, 4)
    fused = gg.tensor(x, requires_grad=True)
    plain = gg.tensor(x, requires_grad=True)
    (gg.log_softmax(fused, 1) * gg.tensor(weights)).sum().backward()
    (gg.softmax(plain, 1).log() * gg.tensor(weights)).sum().backward()
    assert_close(fused.grad, plain.grad, rtol=1e-10)
    assert_close(gg.softmax(gg.tensor(x), 1),
                 (gg.tensor(x).exp() / gg.tensor(x).exp().sum(1, keepdim=True)))


def test_softmax_rows_sum_to_one_and_log_softmax_exponentiates_to_softmax():
    x = gg.tensor(np.random.default_rng(2).normal(size=(4, 5)) * 10)
    assert_close(x.softmax(1).sum(1), gg.ones(4, dtype=gg.float64), rtol=1e-12)
    assert_close(x.log_softmax(0).exp(), x.softmax(0), rtol=1e-12)


# ----------------------------------------------------------------------------- gradcheck
RNG = np.random.default_rng(5)
X = RNG.normal(size=(2, 3, 4))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_gradcheck_and_gradgradcheck(name, dim):
    gradcheck_both(lambda t: getattr(gg, name)(t, dim), [X])


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "relu"])
@pytest.mark.parametrize("dim", [0, -1])
def test_graph_mode_gradient_matches_torch(name, dim):
    """create_graph=True with an upstream gradient that requires grad: the same gradient as
    torch (gradgradcheck cannot see a graph-mode formula that is wrong but linear in g)."""
    fn = (lambda lib, t: lib.relu(t)) if name == "relu" else \
        (lambda lib, t: getattr(lib, name)(t, dim))
    ours = gg.tensor(X, requires_grad=True)
    theirs = torch.tensor(X, requires_grad=True)
    upstream = np.random.default_rng(6).normal(size=X.shape)
    (grad,) = gg.autograd.grad(fn(gg, ours), [ours], gg.tensor(upstream, requires_grad=True),
                               create_graph=True)
    (expected,) = torch.autograd.grad(fn(torch, theirs), [theirs], torch.tensor(upstream))
    assert grad.requires_grad
    assert_close(grad, expected, rtol=1e-10, atol=1e-12)


def test_relu_gradcheck_and_gradgradcheck():
    x = np.where(np.abs(X) < 0.05, 0.5, X)  # away from the kink
    gradcheck_both(gg.relu, [x])


def test_second_derivatives_match_torch():
    values = np.array([[0.3, -1.2, 2.0], [1e3, -1e3, 0.0]])

    def loss(lib, t):
        return (lib.softmax(t, 1) ** 2).sum() + (lib.log_softmax(t, 0) * t).sum() \
            + lib.relu(t).pow(3).sum()

    x_gg = gg.tensor(values, requires_grad=True)
    x_th = torch.tensor(values, requires_grad=True)
    (g_gg,) = gg.autograd.grad(loss(gg, x_gg), [x_gg], create_graph=True)
    (g_th,) = torch.autograd.grad(loss(torch, x_th), [x_th], create_graph=True)
    assert_close(g_gg, g_th, rtol=1e-10, atol=1e-10)
    (h_gg,) = gg.autograd.grad((g_gg * g_gg.detach()).sum(), [x_gg])
    (h_th,) = torch.autograd.grad((g_th * g_th.detach()).sum(), [x_th])
    assert_close(h_gg, h_th, rtol=1e-10, atol=1e-10)
