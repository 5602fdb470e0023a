"""Parity and gradient tests for glassgrad/ops/linalg.py against PyTorch.

matmul in every rank combination (with broadcast batch dims), mm, bmm, mv, dot, inner, outer
and norm, as functions, Tensor methods and the ``@`` operator; ``out=``; and PyTorch's errors.
"""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from parity import check_parity, gradcheck_both

import glassgrad as gg

DTYPES = [np.float32, np.float64]
INF = float("inf")


def L(t):
    """The library a tensor belongs to: ``torch`` or ``glassgrad``."""
    return torch if isinstance(t, torch.Tensor) else gg


def rand(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


MATMUL_SHAPES = [
    ("1d_1d", (3,), (3,)),
    ("1d_2d", (3,), (3, 2)),
    ("2d_1d", (2, 3), (3,)),
    ("2d_2d", (2, 3), (3, 4)),
    ("3d_3d", (2, 2, 3), (2, 3, 4)),
    ("3d_2d", (2, 2, 3), (3, 4)),
    ("2d_3d", (2, 3), (2, 3, 4)),
    ("3d_1d", (2, 4, 3), (3,)),
    ("1d_3d", (3,), (2, 3, 4)),
    ("broadcast_batch", (2, 1, 2, 3), (4, 3, 2)),
    ("broadcast_batch_both", (1, 3, 2, 3), (2, 1, 3, 1)),
]
FORMS = {
    "fn": lambda a, b: L(a).matmul(a, b),
    "method": lambda a, b: a.matmul(b),
    "operator": lambda a, b: a @ b,
}


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,sa,sb", MATMUL_SHAPES, ids=[c[0] for c in MATMUL_SHAPES])
def test_matmul_parity(name, sa, sb, dtype, form):
    check_parity(FORMS[form], [rand(sa, dtype), rand(sb, dtype, seed=1)])


@pytest.mark.parametrize("name,sa,sb", MATMUL_SHAPES, ids=[c[0] for c in MATMUL_SHAPES])
def test_matmul_gradcheck(name, sa, sb):
    gradcheck_both(lambda a, b: a @ b, [rand(sa), rand(sb, seed=1)])


def test_matmul_with_one_operand_requiring_grad():
    a, b = rand((2, 3)), rand((3,))
    for wants in ((True, False), (False, True)):
        ta = gg.tensor(a, requires_grad=wants[0])
        tb = gg.tensor(b, requires_grad=wants[1])
        (ta @ tb).sum().backward()
        grad = ta.grad if wants[0] else tb.grad
        expected = np.broadcast_to(b, (2, 3)) if wants[0] else a.sum(0)
        np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-12)


@st.composite
def matmul_shapes(draw):
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(st.lists(st.integers(1, 3), max_size=2))

    def operand(core):
        if draw(st.booleans()):  # no batch dims: a vector or a matrix
            return core[-1:] if draw(st.booleans()) else core
        own = batch[len(batch) - draw(st.integers(0, len(batch))):]
        own = [1 if draw(st.booleans()) else s for s in own]
        return tuple(own) + core

    a = operand((n, k))
    b = operand((k, m))
    if len(b) == 1:
        b = (k,)
    return a, b


@given(shapes=matmul_shapes(), dtype=st.sampled_from(DTYPES))
def test_matmul_random_shapes(shapes, dtype):
    sa, sb = shapes
    check_parity(lambda a, b: a @ b, [rand(sa, dtype), rand(sb, dtype, seed=1)])


def test_matmul_integers():
    check_parity(lambda a, b: a @ b, [np.arange(6).reshape(2, 3), np.arange(3)])
    check_parity(lambda a, b: a @ b, [np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)])


def test_matmul_out():
    for lib in (torch, gg):
        a, b = lib.ones(2, 3), lib.ones(3, 4)
        out = lib.empty(0)
        result = lib.matmul(a, b, out=out)
        assert result is out and tuple(out.shape) == (2, 4)
        np.testing.assert_array_equal(out.numpy(), np.full((2, 4), 3.0))
        same = lib.zeros(2, 4)
        assert lib.matmul(a, b, out=same) is same
        np.testing.assert_array_equal(same.numpy(), np.full((2, 4), 3.0))


def test_matmul_out_with_input_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        gg.matmul(gg.ones(2, 3, requires_grad=True), gg.ones(3, 4), out=gg.empty(2, 4))


def test_matmul_out_of_other_dtype_raises():
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype"):
        gg.matmul(gg.ones(2, 3), gg.ones(3, 4), out=gg.empty(2, 4, dtype=gg.float64))


# ----------------------------------------------------------------------------- named products
PRODUCTS = [
    ("mm", lambda a, b: L(a).mm(a, b), [(2, 3), (3, 4)]),
    ("mm_method", lambda a, b: a.mm(b), [(3, 1), (1, 2)]),
    ("bmm", lambda a, b: L(a).bmm(a, b), [(2, 2, 3), (2, 3, 4)]),
    ("bmm_method", lambda a, b: a.bmm(b), [(3, 1, 2), (3, 2, 2)]),
    ("mv", lambda a, b: L(a).mv(a, b), [(2, 3), (3,)]),
    ("mv_method", lambda a, b: a.mv(b), [(4, 2), (2,)]),
    ("dot", lambda a, b: L(a).dot(a, b), [(4,), (4,)]),
    ("dot_method", lambda a, b: a.dot(b), [(3,), (3,)]),
    ("inner_1d", lambda a, b: L(a).inner(a, b), [(3,), (3,)]),
    ("inner_2d_1d", lambda a, b: a.inner(b), [(2, 3), (3,)]),
    ("inner_nd", lambda a, b: L(a).inner(a, b), [(2, 1, 3), (2, 2, 3)]),
    ("inner_0d", lambda a, b: L(a).inner(a, b), [(), (2, 3)]),
    ("outer", lambda a, b: L(a).outer(a, b), [(3,), (2,)]),
    ("outer_method", lambda a, b: a.outer(b), [(1,), (4,)]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn,shapes", PRODUCTS, ids=[c[0] for c in PRODUCTS])
def test_product_parity(name, fn, shapes, dtype):
    check_parity(fn, [rand(s, dtype, seed=i) for i, s in enumerate(shapes)])


@pytest.mark.parametrize("name,fn,shapes", PRODUCTS, ids=[c[0] for c in PRODUCTS])
def test_product_gradcheck(name, fn, shapes):
    gradcheck_both(fn, [rand(s, np.float64, seed=i) for i, s in enumerate(shapes)])


def test_outer_promotes_dtypes():
    out = check_parity(lambda a, b: L(a).outer(a, b),
                       [rand((2,), np.float32), rand((3,), np.float64)])
    assert out[0].dtype == gg.float64


# ----------------------------------------------------------------------------- norm
NORMS = [
    ("default", {}),
    ("fro", {"p": "fro"}),
    ("p2_dim0", {"p": 2, "dim": 0}),
    ("p2_keepdim", {"p": 2, "dim": -1, "keepdim": True}),
    ("fro_dims", {"p": "fro", "dim": (0, 1)}),
    ("p1", {"p": 1}),
    ("p1_dim", {"p": 1, "dim": 1}),
    ("p3", {"p": 3}),
    ("p3_dim_keepdim", {"p": 3, "dim": 0, "keepdim": True}),
    ("p1.5_dim", {"p": 1.5, "dim": -1}),
    ("inf", {"p": INF}),
    ("inf_dim", {"p": INF, "dim": 1}),
    ("ninf", {"p": -INF}),
    ("ninf_dim_keepdim", {"p": -INF, "dim": 0, "keepdim": True}),
    ("p0", {"p": 0}),
    ("p0_dim", {"p": 0, "dim": 1}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs", NORMS, ids=[c[0] for c in NORMS])
def test_norm_parity(name, kwargs, dtype):
    x = rand((3, 4), dtype)
    x[1, 2] = 0.0  # a zero element: p=0 counts it, the gradients must treat it as torch does
    check_parity(lambda t: L(t).norm(t, **kwargs), [x])
    check_parity(lambda t: t.norm(**kwargs), [x])


@pytest.mark.parametrize("name,kwargs", NORMS, ids=[c[0] for c in NORMS])
def test_norm_gradcheck(name, kwargs):
    gradcheck_both(lambda t: t.norm(**kwargs), [rand((3, 4))])


@pytest.mark.parametrize("p", [2, "fro", 1, 3, INF, -INF, 0])
def test_norm_gradient_at_zero_vector_is_zero(p):
    check_parity(lambda t: t.norm(p=p), [np.zeros(3)])
    check_parity(lambda t: t.norm(p=p, dim=1), [np.array([[0.0, 0.0], [3.0, -4.0]])])
    x = gg.zeros(3, requires_grad=True)
    x.norm(p=p).backward()
    assert x.grad is not None and not np.any(x.grad.numpy())


@pytest.mark.parametrize("p", [INF, -INF])
def test_norm_inf_ties_share_the_gradient(p):
    check_parity(lambda t: t.norm(p=p), [np.array([1.0, -3.0, 3.0, -1.0])])


def test_norm_dtype_argument():
    out = check_parity(lambda t: L(t).norm(t, dtype=L(t).float64), [rand((3,), np.float32)])
    assert out[0].dtype == gg.float64


def test_norm_of_integers_raises():
    for lib in (torch, gg):
        with pytest.raises(RuntimeError, match="Expected a floating point"):
            lib.norm(lib.ones(3, dtype=lib.int64))


def test_norm_dim_out_of_range():
    for lib in (torch, gg):
        with pytest.raises(IndexError, match="Dimension out of range"):
            lib.ones(3).norm(dim=1)


# ----------------------------------------------------------------------------- errors
def test_matmul_shape_mismatch_names_op_and_shapes():
    with pytest.raises(RuntimeError):
        torch.ones(2, 3) @ torch.ones(4, 5)
    with pytest.raises(RuntimeError) as ours:
        gg.ones(2, 3) @ gg.ones(4, 5)
    message = str(ours.value)
    assert "matmul" in message and "[2, 3]" in message and "[4, 5]" in message
    assert "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)" in message


PRODUCT_ERRORS = [
    ("matmul_1d_1d", lambda lib: lib.ones(3) @ lib.ones(4)),
    ("matmul_2d_1d", lambda lib: lib.ones(2, 3) @ lib.ones(4)),
    ("matmul_1d_2d", lambda lib: lib.ones(3) @ lib.ones(4, 5)),
    ("matmul_3d_3d", lambda lib: lib.ones(2, 2, 3) @ lib.ones(2, 4, 5)),
    ("matmul_batch", lambda lib: lib.ones(2, 2, 3) @ lib.ones(3, 3, 5)),
    ("matmul_0d", lambda lib: lib.matmul(lib.tensor(1.0), lib.ones(3))),
    ("matmul_dtypes", lambda lib: lib.ones(2, 2) @ lib.ones(2, 2, dtype=lib.float64)),
    ("mm_3d", lambda lib: lib.mm(lib.ones(2, 2, 3), lib.ones(3, 3))),
    ("mm_1d", lambda lib: lib.mm(lib.ones(2, 3), lib.ones(3))),
    ("mm_shapes", lambda lib: lib.mm(lib.ones(2, 3), lib.ones(4, 3))),
    ("bmm_2d", lambda lib: lib.bmm(lib.ones(2, 3), lib.ones(2, 3, 3))),
    ("bmm_batch", lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(3, 3, 3))),
    ("bmm_inner", lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(2, 4, 3))),
    ("mv_3d", lambda lib: lib.mv(lib.ones(2, 3, 3), lib.ones(3))),
    ("mv_shapes", lambda lib: lib.mv(lib.ones(2, 3), lib.ones(2))),
    ("dot_sizes", lambda lib: lib.dot(lib.ones(2), lib.ones(3))),
    ("dot_2d", lambda lib: lib.dot(lib.ones(2, 2), lib.ones(2))),
    ("dot_dtypes", lambda lib: lib.dot(lib.ones(2), lib.ones(2, dtype=lib.float64))),
    ("inner_sizes", lambda lib: lib.inner(lib.ones(2, 3), lib.ones(2, 4))),
    ("outer_2d", lambda lib: lib.outer(lib.ones(2, 2), lib.ones(3))),
]


@pytest.mark.parametrize("name,fn", PRODUCT_ERRORS, ids=[e[0] for e in PRODUCT_ERRORS])
def test_product_errors(name, fn):
    with pytest.raises(RuntimeError) as theirs:
        fn(torch)
    with pytest.raises(RuntimeError) as ours:
        fn(gg)
    if name.startswith(("dot", "inner", "outer")):
        assert str(ours.value) == str(theirs.value)
