"""``tensor (op) number``: the operators' own primitives (AddScalar, SubScalar, MulScalar,
DivScalar), against torch: values, gradients, dtypes, node names, saved-value rules, and
float64 finite differences (second order too)."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from parity import check_parity, gradcheck_both, same_error

import glassgrad as gg

OPERATORS = {
    "x + c": lambda x, c: x + c, "c + x": lambda x, c: c + x,
    "x - c": lambda x, c: x - c, "c - x": lambda x, c: c - x,
    "x * c": lambda x, c: x * c, "c * x": lambda x, c: c * x,
    "x / c": lambda x, c: x / c, "c / x": lambda x, c: c / x,
}
NUMBERS = st.one_of(st.floats(-4, 4, allow_nan=False).filter(lambda c: abs(c) > 1e-3),
                    st.integers(-5, 5).filter(lambda c: c != 0))


@pytest.mark.parametrize("name", OPERATORS)
@given(x=hnp.arrays(st.sampled_from([np.float32, np.float64]), hnp.array_shapes(min_dims=0),
                    elements=st.floats(0.5, 4)),
       c=NUMBERS)
def test_operator_with_a_number_matches_torch(name, x, c):
    op = OPERATORS[name]
    check_parity(lambda t: op(t, c), [x])


@pytest.mark.parametrize("name", OPERATORS)
def test_operator_with_a_number_passes_gradcheck(name):
    x = np.random.default_rng(0).uniform(0.5, 2.0, (3, 4))
    gradcheck_both(lambda t: OPERATORS[name](t, 1.7), [x])


@pytest.mark.parametrize("name", OPERATORS)
def test_node_names_are_torch_names(name):
    def grad_fn_name(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        return OPERATORS[name](x, 3.0).grad_fn.name()
    assert grad_fn_name(gg) == grad_fn_name(torch)


@pytest.mark.parametrize("dtype", [gg.float16, gg.float32, gg.float64])
def test_the_result_keeps_the_tensor_dtype(dtype):
    x = gg.ones(3, dtype=dtype, requires_grad=True)
    for name, op in OPERATORS.items():
        assert op(x, 2).dtype == dtype, name
        assert op(x, 0.1).dtype == dtype, name


def test_an_integer_tensor_with_a_float_is_promoted_as_in_torch():
    for name, op in OPERATORS.items():
        ours = op(gg.tensor([1, 2, 3]), 0.5)
        theirs = op(torch.tensor([1, 2, 3]), 0.5)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch", "glassgrad"), name
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["x * c", "x / c"])
def test_a_second_backward_through_a_saved_number_raises_like_torch(name):
    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = OPERATORS[name](x, 2.0).sum()
        y.backward()
        y.backward()
    same_error(fn)


@pytest.mark.parametrize("name", ["x + c", "x - c"])
def test_a_second_backward_through_add_or_sub_of_a_number_works_like_torch(name):
    grads = {}
    for L in (gg, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = OPERATORS[name](x, 2.0).sum()
        y.backward()
        y.backward()
        grads[L.__name__] = x.grad.numpy()
    np.testing.assert_array_equal(grads["glassgrad"], grads["torch"])


def test_retain_graph_keeps_the_saved_number():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3.0).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_second_derivative_through_scalar_operators():
    def second(L):
        x = L.tensor([0.5, 1.5], dtype=L.float64, requires_grad=True)
        y = ((x * 3.0 + 1.0) ** 3 / 2.0 - 4).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        (h,) = L.autograd.grad(g.sum(), x)
        return g.detach().numpy(), h.numpy()
    for ours, theirs in zip(second(gg), second(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_a_number_too_big_for_the_dtype_is_refused_like_torch():
    def fn(L):
        return L.ones(2, dtype=L.float64) + 10 ** 400
    with pytest.raises(OverflowError):
        fn(torch)
    with pytest.raises(OverflowError):
        fn(gg)


# ----------------------------------------------------------------------------- kept numbers


def test_signed_zeros_infinities_and_nan_match_torch_every_time():
    x = np.array([1.0, -2.0, 0.0], np.float32)
    for c in (-0.0, 0.0, -0.0, float("inf"), float("-inf"), float("nan"), 0, 3, 3.0):
        for op in ("x * c", "c * x", "x + c", "x - c", "x / c"):
            check_parity(lambda t, op=op, c=c: OPERATORS[op](t, c), [x], grad=False)
    signs = np.signbit((gg.tensor([1.0, 2.0]) * -0.0).numpy())
    assert signs.all()                              # -0.0 is not confused with a kept 0.0


def test_kept_numbers_are_read_only_and_of_each_dtype():
    from glassgrad._tensor_methods import _KEPT_FLOAT32, _KEPT_FLOAT64

    x32 = gg.tensor([1.0, 2.0], requires_grad=True)
    x64 = gg.tensor([1.0, 2.0], dtype=gg.float64, requires_grad=True)
    (x32 * 0.1).sum().backward()
    (x64 * 0.1).sum().backward()
    assert x32.grad.dtype == gg.float32 and x64.grad.dtype == gg.float64
    np.testing.assert_array_equal(x64.grad.numpy(), [0.1, 0.1])   # 0.1 in float64, not float32
    assert _KEPT_FLOAT32[0.1].dtype == np.float32 and _KEPT_FLOAT64[0.1].dtype == np.float64
    assert not _KEPT_FLOAT32[0.1].flags.writeable and not _KEPT_FLOAT64[0.1].flags.writeable
    x16 = gg.tensor([1.0, 2.0], dtype=gg.float16)     # other float dtypes: converted each time
    assert (x16 * 0.1).dtype == gg.float16


def test_the_kept_numbers_are_bounded():
    from glassgrad._tensor_methods import _KEPT_AT_MOST, _KEPT_FLOAT32

    x = gg.tensor([1.0])
    for i in range(_KEPT_AT_MOST + 50):
        assert (x * (i + 0.5)).item() == i + 0.5
    assert len(_KEPT_FLOAT32) <= _KEPT_AT_MOST
