"""Reductions against PyTorch: sum, mean, var, std, prod, max/min, amax/amin, argmax/argmin,
logsumexp, all/any, count_nonzero, cumsum. Values, dtypes, gradients (first and second order),
tie rules, keepdim/dim handling and errors."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from parity import assert_close, check_parity, gradcheck_both

import glassgrad as gg

FLOATS = [np.float32, np.float64]


def values(dtype, low=-3.0, high=3.0):
    kind = np.dtype(dtype).type
    return st.floats(float(kind(low)), float(kind(high)), width=np.dtype(dtype).itemsize * 8,
                     allow_subnormal=False)


shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@st.composite
def tensors_and_dims(draw, low=-3.0, high=3.0, single_dim=False, allow_none=True):
    """(array, dim, keepdim): dim is None, an int (possibly negative) or a tuple of ints."""
    dtype = draw(st.sampled_from(FLOATS))
    shape = draw(shapes)
    array = draw(hnp.arrays(dtype, shape, elements=values(dtype, low, high)))
    ndim = len(shape)
    one = st.integers(-ndim, ndim - 1)
    options = [one] if single_dim else [one, st.lists(one, min_size=1, max_size=ndim).filter(
        lambda dims: len({d % ndim for d in dims}) == len(dims)).map(tuple)]
    if allow_none:
        options.append(st.none())
    return array, draw(st.one_of(*options)), draw(st.booleans())


def call(name, dim, keepdim, **kwargs):
    """x.name(dim, keepdim=..., **kwargs), or x.name(**kwargs) when dim is None."""
    if dim is None:
        return lambda t: getattr(t, name)(**kwargs)
    return lambda t: getattr(t, name)(dim, keepdim=keepdim, **kwargs)


# ----------------------------------------------------------------------------- sum / mean
@pytest.mark.parametrize("name", ["sum", "mean"])
@given(case=tensors_and_dims())
def test_sum_and_mean_match_torch(name, case):
    x, dim, keepdim = case
    check_parity(call(name, dim, keepdim), [x])
    if dim is not None:
        check_parity(lambda t: getattr(gg, name)(t, dim=dim, keepdim=keepdim), [x],
                     torch_fn=lambda t: getattr(torch, name)(t, dim=dim, keepdim=keepdim))


def test_sum_and_mean_over_nothing_and_of_0d_tensors():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    for op in (lambda t: t.sum(()), lambda t: t.mean(()), lambda t: t.sum([]),
               lambda t: t.sum([0, 1], keepdim=True), lambda t: t.sum(-1)):
        check_parity(op, [x])
    scalar = np.array(2.5, np.float32)
    for op in (lambda t: t.sum(), lambda t: t.sum(0), lambda t: t.mean(-1), lambda t: t.mean(),
               lambda t: t.sum(0, keepdim=True)):
        check_parity(op, [scalar])


def test_sum_dtypes_match_torch():
    cases = [np.array([1, 2, 3], np.int32), np.array([True, True, False]),
             np.array([1, 2], np.uint8), np.array([1.5, 2.5], np.float16)]
    for x in cases:
        check_parity(lambda t: t.sum(), [x])
        check_parity(lambda t: t.sum(0, keepdim=True), [x])
    x = np.array([1.0, 2.0], np.float32)
    check_parity(lambda t: t.sum(dtype=gg.float64) if isinstance(t, gg.Tensor)
                 else t.sum(dtype=torch.float64), [x])
    check_parity(lambda t: t.mean(dtype=gg.float64) if isinstance(t, gg.Tensor)
                 else t.mean(dtype=torch.float64), [x])


def test_mean_of_an_integer_tensor_raises_like_torch():
    for lib in (gg, torch):
        with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
            lib.tensor([1, 2]).mean()
    assert_close(gg.tensor([1, 2]).mean(dtype=gg.float32),
                 torch.tensor([1, 2]).mean(dtype=torch.float32))


def test_mean_of_an_empty_tensor_is_nan():
    check_parity(lambda t: t.mean(), [np.zeros((0,), np.float32)])
    check_parity(lambda t: t.mean(0), [np.zeros((0, 2), np.float32)])
    check_parity(lambda t: t.sum(0), [np.zeros((0, 2), np.float32)])


# ----------------------------------------------------------------------------- var / std
@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")  # dof <= 0
@pytest.mark.parametrize("name", ["var", "std"])
@given(case=tensors_and_dims(), correction=st.sampled_from([None, 0, 1, 2]))
def test_var_and_std_match_torch(name, case, correction):
    x, dim, keepdim = case
    if x.size < 4:
        x = np.concatenate([x.ravel(), np.array([0.5, -1.25, 2.0, 1.0], x.dtype)])
        dim = None if dim is None else 0
    kwargs = {} if correction is None else {"correction": correction}
    dims = range(x.ndim) if dim is None else (dim,) if isinstance(dim, int) else dim
    n = int(np.prod([x.shape[d] for d in dims]))
    # with n <= correction the value is inf or nan in both; only the gradients differ
    # (torch scales by 2 / (n - correction) < 0, glassgrad's composite by 2 / 0)
    grad = n > (1 if correction is None else correction)
    # std's gradient at a constant slice is (x - mean) / std = rounding noise / rounding noise
    # in torch; glassgrad computes x - mean exactly (0) there and gives torch's documented 0
    if name == "std" and x.size and (np.ptp(x, axis=tuple(dims)) == 0).any():
        grad = False
    check_parity(call(name, dim, keepdim, **kwargs), [x], grad=grad,
                 rtol=1e-4 if x.dtype == np.float32 else None,
                 atol=1e-5 if x.dtype == np.float32 else None)


@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
def test_var_std_overloads_match_torch(name):
    x = np.array([[1.0, 2.5, -1.0], [4.0, 0.5, 3.0]], np.float64)
    fn = getattr(gg, name)
    th = getattr(torch, name)
    cases = [((), {}), ((1,), {}), ((True,), {}), ((False,), {}), ((1, True), {}),
             ((1, False, True), {}), ((0,), {"unbiased": False}), (((0, 1),), {"correction": 0}),
             ((None,), {"correction": 2, "keepdim": True}), ((-1,), {"keepdim": True}),
             (([0],), {"correction": 0.5})]
    for args, kwargs in cases:
        check_parity(lambda t: fn(t, *args, **kwargs), [x],
                     torch_fn=lambda t: th(t, *args, **kwargs))


def test_var_std_methods_accept_the_legacy_positional_overload():
    x = np.array([[1.0, 2.5, -1.0], [4.0, 0.5, 3.0]], np.float32)
    check_parity(lambda t: t.var(1, True, True), [x])
    check_parity(lambda t: t.std(0, False), [x])
    check_parity(lambda t: t.std(False), [x])


@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")
def test_var_edge_cases_match_torch():
    for lib in (gg, torch):
        with pytest.warns(UserWarning, match="var\\(\\): degrees of freedom is <= 0"):
            lib.ones(1).var()
        with pytest.warns(UserWarning, match="std\\(\\): degrees of freedom is <= 0"):
            lib.ones(3, 2).std(1, correction=2)
    one = np.array([1.5], np.float64)
    check_parity(lambda t: t.var(), [one])  # 0 / 0 = nan
    check_parity(lambda t: t.std(), [one])
    two = np.array([1.0, 2.0], np.float64)
    check_parity(lambda t: t.var(correction=2), [two], grad=False)   # 0.5 / 0 = inf
    check_parity(lambda t: t.var(correction=3), [two], grad=False)


def test_std_of_a_constant_has_zero_gradient_like_torch():
    check_parity(lambda t: t.std(), [np.array([2.0, 2.0, 2.0], np.float32)])
    check_parity(lambda t: t.std(1), [np.array([[2.0, 2.0], [1.0, 3.0]], np.float64)])
    assert gg.ones(3, requires_grad=True).std().grad_fn.name() == "StdBackward0"
    # constants whose plain mean is off by an ulp still give exactly 0
    for x in (np.full((3, 4), 1e-5, np.float32), np.full((3, 2), 2.75661701)):
        t = gg.tensor(x, requires_grad=True)
        t.std(0).sum().backward()
        assert (t.grad.numpy() == 0).all() and (t.std(0).detach().numpy() == 0).all()


def test_var_of_an_integer_tensor_raises_like_torch():
    for lib in (gg, torch):
        with pytest.raises(RuntimeError, match="std and var only support floating point"):
            lib.tensor([1, 2]).var()
        with pytest.raises(RuntimeError, match="std and var only support floating point"):
            lib.tensor([1, 2]).std()


# ----------------------------------------------------------------------------- prod
@given(case=tensors_and_dims(low=0.5, high=1.5, single_dim=True))
def test_prod_matches_torch(case):
    x, dim, keepdim = case
    if dim is None:
        check_parity(lambda t: t.prod(), [x])
    else:
        check_parity(lambda t: t.prod(dim, keepdim=keepdim), [x])
        check_parity(lambda t: t.prod(dim=dim, keepdim=keepdim), [x])


def test_prod_gradient_with_zeros_matches_torch():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.5, -2.0, 0.5]], np.float64)
    check_parity(lambda t: t.prod(), [x])
    check_parity(lambda t: t.prod(1), [x])
    check_parity(lambda t: t.prod(0, keepdim=True), [x])
    check_parity(lambda t: t.prod(), [np.array([0.0, 2.0, 3.0], np.float32)])


def test_prod_second_derivative_with_zeros_matches_torch():
    for values in ([0.0, 2.0, 3.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]):
        for dim in (None, 0):
            x_gg = gg.tensor(values, dtype=gg.float64, requires_grad=True)
            x_th = torch.tensor(values, dtype=torch.float64, requires_grad=True)
            out_gg = x_gg.prod() if dim is None else x_gg.prod(dim)
            out_th = x_th.prod() if dim is None else x_th.prod(dim)
            (g_gg,) = gg.autograd.grad(out_gg, [x_gg], create_graph=True)
            (g_th,) = torch.autograd.grad(out_th, [x_th], create_graph=True)
            assert_close(g_gg, g_th, rtol=1e-12)
            weights = [1.0, -2.0, 0.5]
            (h_gg,) = gg.autograd.grad((g_gg * gg.tensor(weights, dtype=gg.float64)).sum(),
                                       [x_gg])
            (h_th,) = torch.autograd.grad((g_th * torch.tensor(weights, dtype=torch.float64))
                                          .sum(), [x_th])
            assert_close(h_gg, h_th, rtol=1e-12)


def test_prod_dtypes_names_and_errors():
    for x in (np.array([1, 2, 3], np.int32), np.array([True, True]), np.zeros((0,), np.float32),
              np.array(3.0, np.float32)):
        check_parity(lambda t: t.prod(), [x])
    check_parity(lambda t: t.prod(0), [np.array(3.0, np.float32)])
    x = gg.ones(2, 3, requires_grad=True)
    assert x.prod().grad_fn.name() == "ProdBackward0"
    assert x.prod(1).grad_fn.name() == "ProdBackward1"
    for lib in (gg, torch):
        with pytest.raises(TypeError):
            lib.ones(2, 3).prod((0, 1))


# ----------------------------------------------------------------------------- max / min
@pytest.mark.parametrize("name", ["amax", "amin"])
@given(case=tensors_and_dims(allow_none=False))
def test_amax_amin_match_torch(name, case):
    x, dim, keepdim = case
    check_parity(lambda t: getattr(t, name)(dim, keepdim), [x])


@pytest.mark.parametrize("name", ["amax", "amin", "max", "min"])
def test_full_max_min_share_the_gradient_evenly_on_ties_like_torch(name):
    x = np.array([[1.0, 3.0, 3.0], [3.0, -1.0, 0.0]], np.float32)
    if name in ("min", "amin"):
        x = -x
    check_parity(lambda t: getattr(t, name)(), [x])
    if name.startswith("a"):
        check_parity(lambda t: getattr(t, name)(1), [x])
        check_parity(lambda t: getattr(t, name)((0, 1), keepdim=True), [x])
        check_parity(lambda t: getattr(t, name)(0), [x])


@pytest.mark.parametrize("name", ["max", "min"])
@given(case=tensors_and_dims(single_dim=True, allow_none=False))
def test_max_min_with_dim_return_values_and_indices_like_torch(name, case):
    x, dim, keepdim = case
    out = check_parity(lambda t: getattr(t, name)(dim, keepdim), [x])
    check_parity(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim).values, [x])
    ours = getattr(gg, name)(gg.tensor(x), dim, keepdim)
    values, indices = ours
    assert ours.values is values and ours.indices is indices
    assert indices.dtype == gg.int64 and len(out) == 2


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim_send_the_gradient_to_the_returned_index_on_ties(name):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [5.0, 0.0, 5.0]], np.float32)
    if name == "min":
        x = -x
    for dim in (0, 1, -1):
        check_parity(lambda t: getattr(t, name)(dim), [x])
        check_parity(lambda t: getattr(t, name)(dim, keepdim=True), [x])
    ours = gg.tensor(x, requires_grad=True)
    assert getattr(ours, name)(1).values.grad_fn.name() == \
        getattr(torch.tensor(x, requires_grad=True), name)(1).values.grad_fn.name()
    assert getattr(ours, name)().grad_fn.name() == \
        getattr(torch.tensor(x, requires_grad=True), name)().grad_fn.name()


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_another_tensor_are_maximum_minimum(name):
    a = np.array([[1.0, 5.0, 2.0]], np.float32)
    b = np.array([[3.0], [2.0]], np.float32)
    check_parity(lambda x, y: getattr(x, name)(y), [a, b])
    check_parity(lambda x, y: getattr(gg, name)(x, y) if isinstance(x, gg.Tensor)
                 else getattr(torch, name)(x, y), [a, b])
    check_parity(lambda x, y: getattr(gg, name)(x, other=y) if isinstance(x, gg.Tensor)
                 else getattr(torch, name)(x, other=y), [a, b])


def test_max_min_nan_and_integer_inputs_match_torch():
    x = np.array([1.0, np.nan, 3.0], np.float32)
    for op in (lambda t: t.max(), lambda t: t.max(0), lambda t: t.min(0), lambda t: t.amax(),
               lambda t: t.argmax(), lambda t: t.argmin()):
        check_parity(op, [x], grad=False)
    ints = np.array([[3, 1, 4], [1, 5, 9]], np.int64)
    for op in (lambda t: t.max(), lambda t: t.max(1), lambda t: t.min(0, keepdim=True),
               lambda t: t.amax(1), lambda t: t.amin(0)):
        check_parity(op, [ints])
    check_parity(lambda t: t.max(), [np.array([True, False])])


def test_max_min_of_0d_tensors():
    x = np.array(2.5, np.float32)
    for op in (lambda t: t.max(), lambda t: t.max(0), lambda t: t.min(-1),
               lambda t: t.max(0, keepdim=True), lambda t: t.amax(), lambda t: t.amin(0),
               lambda t: t.argmax(), lambda t: t.argmin(0), lambda t: t.argmax(0, keepdim=True)):
        check_parity(op, [x])


def test_max_min_errors_match_torch():
    empty = (gg.ones(0), torch.ones(0))
    for lib_tensor in empty:
        for name in ("max", "min", "amax", "amin"):
            with pytest.raises(RuntimeError, match=f"{name}\\(\\): Expected reduction dim to be "
                                                   "specified for input.numel\\(\\) == 0"):
                getattr(lib_tensor, name)()
    for lib in (gg, torch):
        with pytest.raises(IndexError, match="max\\(\\): Expected reduction dim 0 to have "
                                             "non-zero size"):
            lib.ones(0, 3).max(0)
        with pytest.raises(IndexError, match="amax\\(\\): Expected reduction dim 0 to have "
                                             "non-zero size"):
            lib.ones(0, 3).amax(0)
        with pytest.raises(IndexError, match="Dimension out of range"):
            lib.ones(2, 3).max(2)
        with pytest.raises(TypeError):
            lib.ones(2, 3).max((0, 1))
        with pytest.raises(RuntimeError):
            lib.ones(2, 3).amax((0, 0))
    check_parity(lambda t: t.amax(1), [np.ones((0, 3), np.float32)])
    check_parity(lambda t: t.max(1), [np.ones((0, 3), np.float32)])


# ----------------------------------------------------------------------------- argmax / argmin
@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(case=tensors_and_dims(single_dim=True))
def test_argmax_argmin_match_torch(name, case):
    x, dim, keepdim = case
    x = np.round(x)  # plenty of ties: the first index wins in both
    check_parity(lambda t: getattr(t, name)(dim, keepdim), [x])
    check_parity(lambda t: getattr(gg, name)(t, dim=dim, keepdim=keepdim), [x],
                 torch_fn=lambda t: getattr(torch, name)(t, dim=dim, keepdim=keepdim))


def test_argmax_errors_match_torch():
    for lib in (gg, torch):
        with pytest.raises(IndexError, match="argmax\\(\\): Expected reduction dim to be "
                                             "specified for input.numel\\(\\) == 0"):
            lib.ones(0).argmax()
        with pytest.raises(IndexError, match="argmin\\(\\): Expected reduction dim 1 to have "
                                             "non-zero size"):
            lib.ones(3, 0).argmin(1)
    check_parity(lambda t: t.argmax(1), [np.ones((0, 3), np.float32)])


# ----------------------------------------------------------------------------- logsumexp
@given(case=tensors_and_dims(low=-30, high=30, allow_none=False))
def test_logsumexp_matches_torch(case):
    x, dim, keepdim = case
    check_parity(lambda t: t.logsumexp(dim, keepdim), [x])
    check_parity(lambda t: gg.logsumexp(t, dim, keepdim=keepdim), [x],
                 torch_fn=lambda t: torch.logsumexp(t, dim, keepdim=keepdim))


def test_logsumexp_is_stable_for_huge_inputs():
    for dtype in FLOATS:
        x = np.array([[1e4, 1e4 - 1, -1e4], [-1e4, -1e4, -1e4 + 3]], dtype)
        out = check_parity(lambda t: t.logsumexp(1), [x])[0]
        assert np.isfinite(out.detach().numpy()).all()
        check_parity(lambda t: t.logsumexp((0, 1)), [x])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf - inf in the backward, as torch
def test_logsumexp_infinities_empty_and_integers_match_torch():
    inf = np.inf
    check_parity(lambda t: t.logsumexp(0), [np.array([-inf, -inf], np.float32)])
    check_parity(lambda t: t.logsumexp(0), [np.array([inf, 1.0], np.float32)])
    check_parity(lambda t: t.logsumexp(0), [np.array([-inf, 1.0, 2.0], np.float32)])
    check_parity(lambda t: t.logsumexp(0), [np.zeros((0,), np.float32)])
    check_parity(lambda t: t.logsumexp(1), [np.array([[1, 2], [3, 4]], np.int64)])
    assert gg.ones(2, requires_grad=True).logsumexp(0).grad_fn.name() == "LogsumexpBackward0"


def test_logsumexp_requires_dim_like_torch():
    for lib in (gg, torch):
        with pytest.raises(TypeError):
            lib.logsumexp(lib.ones(2))


def test_logsumexp_equals_the_composite_it_replaces():
    x = np.random.default_rng(0).normal(size=(3, 4))
    fused = gg.tensor(x, requires_grad=True)
    plain = gg.tensor(x, requires_grad=True)
    weights = gg.tensor(np.arange(3.0))
    (fused.logsumexp(1) * weights).sum().backward()
    (plain.exp().sum(1).log() * weights).sum().backward()
    assert_close(fused.grad, plain.grad, rtol=1e-12)


# ----------------------------------------------------------------------------- logical
@pytest.mark.parametrize("name", ["all", "any"])
@given(case=tensors_and_dims(single_dim=True))
def test_all_any_match_torch(name, case):
    x, dim, keepdim = case
    x = np.round(x / 3)  # some zeros
    for array in (x, x.astype(bool), x.astype(np.int64), x.astype(np.uint8)):
        check_parity(lambda t: getattr(t, name)(dim, keepdim) if dim is not None
                     else getattr(t, name)(), [array], grad=False)


def test_all_any_with_tuple_dims_and_edge_cases():
    x = np.array([[[1, 0], [1, 1]], [[1, 1], [1, 1]]], np.int64)
    for op in (lambda t: t.all((0, 2)), lambda t: t.any((1, 2), keepdim=True),
               lambda t: t.all(-1), lambda t: t.any()):
        check_parity(op, [x])
    for empty in (np.zeros((0,), np.float32), np.zeros((2, 0), np.float32)):
        check_parity(lambda t: t.all(), [empty], grad=False)
        check_parity(lambda t: t.any(), [empty], grad=False)
    check_parity(lambda t: t.all(0), [np.array(0.0, np.float32)], grad=False)


@given(case=tensors_and_dims())
def test_count_nonzero_matches_torch(case):
    x, dim, _ = case
    x = np.round(x / 2)
    check_parity(lambda t: t.count_nonzero(dim), [x], grad=False)
    check_parity(lambda t: gg.count_nonzero(t, dim=dim), [x], grad=False,
                 torch_fn=lambda t: torch.count_nonzero(t, dim=dim))


# ----------------------------------------------------------------------------- cumsum
@given(case=tensors_and_dims(single_dim=True, allow_none=False))
def test_cumsum_matches_torch(case):
    x, dim, _ = case
    check_parity(lambda t: t.cumsum(dim), [x])
    check_parity(lambda t: gg.cumsum(t, dim=dim), [x],
                 torch_fn=lambda t: torch.cumsum(t, dim=dim))


def test_cumsum_dtypes_0d_and_errors():
    for x in (np.array([1, 2, 3], np.int32), np.array([True, True, False]),
              np.array(2.5, np.float32)):
        check_parity(lambda t: t.cumsum(0), [x])
    check_parity(lambda t: t.cumsum(0, dtype=gg.float64) if isinstance(t, gg.Tensor)
                 else t.cumsum(0, dtype=torch.float64), [np.array([1.0, 2.0], np.float32)])
    for lib in (gg, torch):
        with pytest.raises(IndexError, match="Dimension out of range"):
            lib.ones(2, 3).cumsum(2)
        with pytest.raises(TypeError):
            lib.ones(2, 3).cumsum()
    assert gg.ones(2, requires_grad=True).cumsum(0).grad_fn.name() == "CumsumBackward0"


# ----------------------------------------------------------------------------- gradcheck
RNG = np.random.default_rng(3)
X = RNG.uniform(-2, 2, (2, 3, 2))
POSITIVE = RNG.uniform(0.5, 1.5, (2, 3, 2))

GRADCHECKS = {
    "sum": lambda t: t.sum(), "sum dim": lambda t: t.sum(1),
    "sum tuple keepdim": lambda t: t.sum((0, 2), keepdim=True),
    "mean": lambda t: t.mean(), "mean dim": lambda t: t.mean(-1, keepdim=True),
    "mean tuple": lambda t: t.mean((0, 1)),
    "var": lambda t: t.var(), "var dim": lambda t: t.var(1, correction=0),
    "var tuple": lambda t: t.var((0, 2), keepdim=True),
    "std": lambda t: t.std(), "std dim": lambda t: t.std(2, unbiased=False),
    "std tuple": lambda t: t.std((1, 2)),
    "prod": lambda t: t.prod(), "prod dim": lambda t: t.prod(1, keepdim=True),
    "amax": lambda t: t.amax(), "amax dim": lambda t: t.amax(1),
    "amin tuple": lambda t: t.amin((0, 2)),
    "max": lambda t: t.max(), "max dim": lambda t: t.max(1).values,
    "min dim keepdim": lambda t: t.min(0, keepdim=True)[0], "min": lambda t: t.min(),
    "logsumexp": lambda t: t.logsumexp(1), "logsumexp tuple": lambda t: t.logsumexp((0, 2)),
    "cumsum": lambda t: t.cumsum(1), "cumsum last": lambda t: t.cumsum(-1),
    "var_mean": lambda t: gg.var_mean(t, 1), "std_mean": lambda t: gg.std_mean(t, (0, 1)),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck_and_gradgradcheck(name):
    x = POSITIVE if name.startswith("prod") else X
    gradcheck_both(GRADCHECKS[name], [x])


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_differentiable_backward_gives_the_same_gradient(name):
    """gradgradcheck cannot see a wrong create_graph=True formula that is linear in g: compare
    the gradient from the differentiable backward pass with torch's directly."""
    x = POSITIVE if name.startswith("prod") else X
    seed = np.random.default_rng(9)
    ours = gg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    outputs = GRADCHECKS[name](ours)
    outputs = list(outputs) if isinstance(outputs, tuple) else [outputs]
    seeds = [seed.normal(size=tuple(o.shape)) for o in outputs]
    # seeds that require grad make even a linear op's backward record a graph
    (grad,) = gg.autograd.grad(outputs, [ours], [gg.tensor(v, requires_grad=True) for v in seeds],
                               create_graph=True)
    torch_fn = TORCH_GRADCHECKS.get(name, GRADCHECKS[name])
    torch_outputs = torch_fn(theirs)
    torch_outputs = list(torch_outputs) if isinstance(torch_outputs, tuple) else [torch_outputs]
    (expected,) = torch.autograd.grad(torch_outputs, [theirs], [torch.tensor(v) for v in seeds])
    assert grad.requires_grad
    assert_close(grad, expected, rtol=1e-10, atol=1e-12)


TORCH_GRADCHECKS = {"var_mean": lambda t: torch.var_mean(t, 1),
                    "std_mean": lambda t: torch.std_mean(t, (0, 1))}


def test_prod_gradcheck_with_zeros():
    x = np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 0.7], [1.1, 0.9, 1.3]])
    gradcheck_both(lambda t: t.prod(1), [x])
    gradcheck_both(lambda t: t.prod(), [np.array([0.0, 1.5, -2.0])])


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "amax", "logsumexp", "cumsum",
                                  "argmax", "count_nonzero", "all", "prod", "max"])
def test_dim_out_of_range_raises_index_error_like_torch(name):
    for lib in (gg, torch):
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range "
                                             r"of \[-2, 1\], but got 2\)"):
            getattr(lib.ones(2, 3), name)(2)


def test_out_argument():
    out = gg.empty(2)
    assert gg.sum(gg.ones(2, 3), 1, out=out) is out
    assert out.tolist() == [3.0, 3.0]
    assert gg.amax(gg.tensor([[1.0, 4.0], [2.0, 0.0]]), 1, out=out) is out
    assert out.tolist() == [4.0, 2.0]
