"""Comparisons and logic against PyTorch: eq ne lt le gt ge (and their aliases and operators),
logical_*, bitwise_*, isnan isinf isfinite, isclose allclose equal. Values, bool dtypes,
broadcasting, Python numbers, mixed dtypes, no gradient, errors."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from parity import assert_close, check_parity

import glassgrad as gg

DTYPES = [np.float32, np.float64, np.int64, np.int32, np.bool_]
COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal",
               "less_equal", "not_equal"]
OPERATORS = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
             "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
LOGICAL = ["logical_and", "logical_or", "logical_xor"]
BITWISE = ["bitwise_and", "bitwise_or", "bitwise_xor"]


def small_values(dtype):
    """Few distinct values, so that ties (equal elements) are common."""
    if dtype == np.bool_:
        return st.booleans()
    low = 0 if np.dtype(dtype).kind == "u" else -2
    return st.integers(low, 4).map(lambda v: np.dtype(dtype).type(v))


@st.composite
def pairs(draw, dtypes=DTYPES):
    dtype_a = draw(st.sampled_from(dtypes))
    dtype_b = draw(st.sampled_from(dtypes))
    shape_a, shape_b = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4)).input_shapes
    a = draw(hnp.arrays(dtype_a, shape_a, elements=small_values(dtype_a)))
    b = draw(hnp.arrays(dtype_b, shape_b, elements=small_values(dtype_b)))
    return a, b


def both_libs(name):
    return (lambda x, y: getattr(gg, name)(x, y)), (lambda x, y: getattr(torch, name)(x, y))


# ----------------------------------------------------------------------------- comparisons
@pytest.mark.parametrize("name", COMPARISONS)
@given(case=pairs())
def test_comparison_functions_broadcast_and_promote_like_torch(name, case):
    a, b = case
    ours, theirs = both_libs(name)
    out = check_parity(ours, [a, b], torch_fn=theirs, grad=False)[0]
    assert out.dtype == gg.bool
    check_parity(lambda x, y: getattr(x, name)(y), [a, b], grad=False)


@pytest.mark.parametrize("name", sorted(OPERATORS))
@given(case=pairs())
def test_comparison_operators_match_torch(name, case):
    check_parity(OPERATORS[name], list(case), grad=False)


@pytest.mark.parametrize("name", sorted(OPERATORS))
@pytest.mark.parametrize("number", [0, 1, 1.5, -0.5, True])
def test_comparisons_with_python_numbers_both_ways(name, number):
    for x in (np.array([[-1.0, 0.0, 1.0, 1.5]], np.float32), np.array([-1, 0, 1, 2], np.int64),
              np.array([True, False])):
        check_parity(lambda t: OPERATORS[name](t, number), [x], grad=False)
        check_parity(lambda t: OPERATORS[name](number, t), [x], grad=False)


def test_comparisons_with_nan_and_inf_match_torch():
    a = np.array([np.nan, np.inf, -np.inf, 1.0, np.nan], np.float32)
    b = np.array([np.nan, np.inf, np.inf, np.nan, 1.0], np.float32)
    for op in OPERATORS.values():
        check_parity(op, [a, b], grad=False)


def test_comparison_with_a_0d_tensor_of_another_dtype():
    x = np.array([1, 2, 3], np.int64)
    check_parity(lambda t: t.eq(gg.tensor(2.0) if isinstance(t, gg.Tensor) else torch.tensor(2.0)),
                 [x], grad=False)
    check_parity(lambda t: t < (gg.tensor(2.5, dtype=gg.float64) if isinstance(t, gg.Tensor)
                                else torch.tensor(2.5, dtype=torch.float64)), [x], grad=False)


def test_comparisons_record_no_gradient():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    for name in COMPARISONS:
        out = getattr(gg, name)(x, 1.5)
        assert not out.requires_grad and out.grad_fn is None
    for out in (x == x, x > 1, gg.isnan(x), gg.isclose(x, x), gg.logical_not(x)):
        assert not out.requires_grad and out.grad_fn is None


def test_comparison_out_argument():
    out = gg.empty(3, dtype=gg.bool)
    assert gg.eq(gg.tensor([1, 2, 3]), 2, out=out) is out
    assert out.tolist() == [False, True, False]
    assert gg.logical_not(gg.tensor([1, 0, 2]), out=out) is out
    assert out.tolist() == [False, True, False]


@pytest.mark.parametrize("name", COMPARISONS + LOGICAL)
def test_broadcast_mismatch_raises_runtime_error(name):
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 1"):
        getattr(gg, name)(gg.ones(2, 3), gg.ones(4))
    with pytest.raises(RuntimeError, match=r"\[2, 3\].*\[4\]"):
        getattr(gg, name)(gg.ones(2, 3), gg.ones(4))


def test_equality_with_unrelated_objects_is_false_like_torch():
    t = gg.tensor([1.0])
    assert (t == None) is False  # noqa: E711
    assert (t != "a") is True
    assert t not in [None, "a"]


# ----------------------------------------------------------------------------- logical
@pytest.mark.parametrize("name", LOGICAL)
@given(case=pairs())
def test_logical_functions_match_torch(name, case):
    ours, theirs = both_libs(name)
    out = check_parity(ours, list(case), torch_fn=theirs, grad=False)[0]
    assert out.dtype == gg.bool
    check_parity(lambda x, y: getattr(x, name)(y), list(case), grad=False)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logical_not_matches_torch(dtype):
    x = np.array([[0, 1, 2], [-1, 0, 0]]).astype(dtype)
    check_parity(gg.logical_not, [x], torch_fn=torch.logical_not, grad=False)
    check_parity(lambda t: t.logical_not(), [x], grad=False)
    check_parity(gg.logical_not, [np.array([np.nan, 0.0], np.float32)],
                 torch_fn=torch.logical_not, grad=False)


# ----------------------------------------------------------------------------- bitwise
INTEGERS = [np.int64, np.int32, np.uint8, np.bool_]


@pytest.mark.parametrize("name", BITWISE)
@given(case=pairs(dtypes=INTEGERS))
def test_bitwise_functions_match_torch(name, case):
    ours, theirs = both_libs(name)
    check_parity(ours, list(case), torch_fn=theirs, grad=False)


@pytest.mark.parametrize("name,op", [("&", lambda a, b: a & b), ("|", lambda a, b: a | b),
                                     ("^", lambda a, b: a ^ b)])
@given(case=pairs(dtypes=INTEGERS))
def test_bitwise_operators_match_torch(name, op, case):
    check_parity(op, list(case), grad=False)


@pytest.mark.parametrize("op", [lambda t: t & 6, lambda t: 6 & t, lambda t: t | 8,
                                lambda t: 8 | t, lambda t: t ^ 3, lambda t: t & True,
                                lambda t: ~t])
def test_bitwise_with_python_numbers(op):
    check_parity(op, [np.array([0, 3, 5, -2], np.int64)], grad=False)
    check_parity(op, [np.array([0, 3, 5, 250], np.uint8)], grad=False)


def test_bitwise_not_matches_torch():
    for x in (np.array([0, 3, -2], np.int64), np.array([True, False]),
              np.array([0, 3, 255], np.uint8), np.array([1, -1], np.int32)):
        check_parity(gg.bitwise_not, [x], torch_fn=torch.bitwise_not, grad=False)
        check_parity(lambda t: ~t, [x], grad=False)


@pytest.mark.parametrize("name", BITWISE)
def test_bitwise_on_floats_raises_like_torch(name):
    for lib in (gg, torch):
        with pytest.raises(NotImplementedError, match=f'"{name}_cpu" not implemented for '
                                                      "'Float'"):
            getattr(lib, name)(lib.ones(2), lib.ones(2))
        with pytest.raises(NotImplementedError, match="not implemented for 'Double'"):
            getattr(lib, name)(lib.tensor([1, 2]), lib.ones(2, dtype=lib.float64))
    for lib in (gg, torch):
        with pytest.raises(NotImplementedError, match="bitwise_not_cpu"):
            lib.bitwise_not(lib.ones(2))


def test_bitwise_operators_on_floats_raise_runtime_error():
    with pytest.raises(RuntimeError):
        gg.ones(2) & gg.ones(2)


def test_reflected_xor_with_a_python_number():
    check_parity(lambda t: 3 ^ t, [np.array([0, 3, 5], np.int64)], grad=False)


@pytest.mark.parametrize("name", BITWISE)
def test_bitwise_methods_exist(name):
    a = np.array([1, 6, 3], np.int64)
    check_parity(lambda x, y: getattr(x, name)(y), [a, a[::-1].copy()], grad=False)


# ----------------------------------------------------------------------------- isnan & co
@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_isnan_isinf_isfinite_match_torch(name, dtype):
    if np.dtype(dtype).kind == "f":
        x = np.array([[np.nan, np.inf, -np.inf], [0.0, -1.5, 3e38]], dtype)
    else:
        x = np.array([[0, 1, 1], [1, 0, 1]]).astype(dtype)
    out = check_parity(getattr(gg, name), [x], torch_fn=getattr(torch, name), grad=False)[0]
    assert out.dtype == gg.bool
    check_parity(lambda t: getattr(t, name)(), [x], grad=False)


def test_isnan_on_a_tensor_that_requires_grad():
    x = gg.tensor([np.nan, 1.0], requires_grad=True)
    assert gg.isnan(x).tolist() == [True, False]
    assert x.isfinite().tolist() == [False, True]


# ----------------------------------------------------------------------------- isclose & co
@given(case=pairs(dtypes=[np.float64]), rtol=st.sampled_from([1e-5, 0.1, 0.0]),
       atol=st.sampled_from([1e-8, 0.5, 0.0]), equal_nan=st.booleans())
def test_isclose_matches_torch(case, rtol, atol, equal_nan):
    a, b = case
    a = a + np.random.default_rng(0).normal(scale=0.3, size=a.shape)
    check_parity(lambda x, y: gg.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan),
                 [a, b], grad=False,
                 torch_fn=lambda x, y: torch.isclose(x, y, rtol=rtol, atol=atol,
                                                     equal_nan=equal_nan))
    ours = gg.allclose(gg.tensor(a), gg.tensor(b), rtol=rtol, atol=atol, equal_nan=equal_nan)
    theirs = torch.allclose(torch.tensor(a), torch.tensor(b), rtol=rtol, atol=atol,
                            equal_nan=equal_nan)
    assert ours is theirs


def test_isclose_special_values_and_methods():
    nan, inf = np.nan, np.inf
    a = np.array([1.0, 1.00001, nan, inf, -inf, inf, 0.0], np.float32)
    b = np.array([1.0, 1.0, nan, inf, inf, 1e38, 1e-9], np.float32)
    for equal_nan in (False, True):
        check_parity(lambda x, y: x.isclose(y, equal_nan=equal_nan), [a, b], grad=False)
        assert gg.tensor(a).allclose(gg.tensor(b), equal_nan=equal_nan) == \
            torch.tensor(a).allclose(torch.tensor(b), equal_nan=equal_nan)
    ints = np.array([1, 2, 3], np.int64)
    check_parity(lambda x, y: x.isclose(y), [ints, ints[::-1].copy()], grad=False)
    assert gg.allclose(gg.ones(2, 3), gg.ones(3))


def test_isclose_errors_match_torch():
    for lib in (gg, torch):
        with pytest.raises(RuntimeError, match="Long did not match Float"):
            lib.isclose(lib.tensor([1, 2]), lib.tensor([1.0, 2.0]))
        with pytest.raises(RuntimeError, match="Long did not match Float"):
            lib.allclose(lib.tensor([1, 2]), lib.tensor([1.0, 2.0]))
        with pytest.raises(RuntimeError, match="must match the size"):
            lib.allclose(lib.ones(2, 3), lib.ones(4))
        with pytest.raises(RuntimeError, match="must match the size"):
            lib.isclose(lib.ones(2, 3), lib.ones(4))


@pytest.mark.parametrize("a,b", [
    ([1.0, 2.0], [1.0, 2.0]), ([1.0, 2.0], [1.0, 2.5]), ([1.0, 2.0], [[1.0, 2.0]]),
    ([np.nan], [np.nan]), ([1, 2], [1.0, 2.0]), ([], []), ([0.0], [-0.0]), ([True], [1]),
])
def test_equal_matches_torch(a, b):
    ours = gg.equal(gg.tensor(a), gg.tensor(b))
    theirs = torch.equal(torch.tensor(a), torch.tensor(b))
    assert type(ours) is bool and ours == theirs
    assert gg.tensor(a).equal(gg.tensor(b)) == theirs


def test_comparison_results_feed_back_into_arithmetic_like_torch():
    x = np.array([-1.0, 0.5, 2.0], np.float32)
    check_parity(lambda t: t * (t > 0), [x])
    check_parity(lambda t: (t > 0) * t + (t < 1).sum(), [x])
    check_parity(lambda t: (t > 0).float() * 2, [x])
    assert_close(gg.tensor(x).gt(0).sum(), torch.tensor(x).gt(0).sum())
