"""max_pool2d's fast path for disjoint tiles (glassgrad/ops/pooling.py, ``_tile_argmax``).

Stride equal to the kernel, no padding, no dilation and no ceil_mode overhang take the fast path;
it must agree with PyTorch and with the general path on values, indices (first maximum in
row-major window order; a window with NaN reports its last NaN, as PyTorch's running maximum
does) and gradients, for ties, NaN, infinities, signed zeros, odd sizes (rows and columns that no
window reads), integers, unbatched inputs; float64 gradcheck and gradgradcheck.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from parity import check_parity, gradcheck_both

import glassgrad as gg
from glassgrad.ops import pooling

DTYPES = [np.float32, np.float64]


def F(t):
    return torch.nn.functional if isinstance(t, torch.Tensor) else gg.nn.functional


def max_pool(**kwargs):
    return lambda x: F(x).max_pool2d(x, return_indices=True, **kwargs)


def rand(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def with_nan(x, fraction, seed=1):
    x = x.copy()
    x[np.random.default_rng(seed).random(x.shape) < fraction] = np.nan
    return x


@pytest.fixture
def general_only(monkeypatch):
    """Send every max_pool2d call down the general path."""
    monkeypatch.setattr(pooling, "_tiles_cover", lambda *args: False)


def both_paths(x, **kwargs):
    """(values, indices, input gradient) of the fast path and of the general one."""
    results = []
    for fast in (True, False):
        mp = pytest.MonkeyPatch()
        if not fast:
            mp.setattr(pooling, "_tiles_cover", lambda *args: False)
        try:
            t = gg.tensor(x.copy(), requires_grad=x.dtype.kind == "f")
            out, idx = gg.nn.functional.max_pool2d(t, return_indices=True, **kwargs)
            grad = None
            if t.requires_grad:
                out.backward(gg.tensor(rand(tuple(out.shape), x.dtype, seed=7)))
                grad = t.grad.numpy()
            results.append((out.detach().numpy(), idx.numpy(), grad))
        finally:
            mp.undo()
    return results


# ----------------------------------------------------------------------------- which path
@pytest.mark.parametrize("kernel,stride,pad,dilation,out,shape,expected", [
    ((2, 2), (2, 2), (0, 0), (1, 1), (13, 13), (1, 8, 26, 26), True),
    ((2, 2), (2, 2), (0, 0), (1, 1), (6, 6), (1, 8, 13, 13), True),      # a row and column unread
    ((2, 3), (2, 3), (0, 0), (1, 1), (3, 2), (1, 1, 7, 8), True),
    ((2, 2), (2, 2), (0, 0), (1, 1), (7, 7), (1, 1, 13, 13), False),     # ceil_mode overhang
    ((2, 2), (1, 1), (0, 0), (1, 1), (7, 7), (1, 1, 8, 8), False),       # overlapping
    ((3, 3), (3, 3), (1, 1), (1, 1), (3, 3), (1, 1, 8, 8), False),       # padding
    ((2, 2), (2, 2), (0, 0), (2, 2), (3, 3), (1, 1, 8, 8), False),       # dilation
])
def test_tiles_cover(kernel, stride, pad, dilation, out, shape, expected):
    assert pooling._tiles_cover(kernel, stride, pad, dilation, out, shape) is expected


def test_benchmark_shapes_take_the_fast_path(monkeypatch):
    calls = []
    tile_argmax = pooling._tile_argmax
    monkeypatch.setattr(pooling, "_tile_argmax", lambda *a: calls.append(1) or tile_argmax(*a))
    for shape in [(2, 8, 26, 26), (2, 16, 11, 11), (3, 7, 7)]:
        gg.nn.MaxPool2d(2)(gg.tensor(rand(shape)))
    assert len(calls) == 3


# ----------------------------------------------------------------------------- parity with torch
FAST_CASES = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 13, 11), dict(kernel_size=2)),                     # odd: last row/column dropped
    ((2, 2, 7, 10), dict(kernel_size=(2, 3))),
    ((1, 2, 9, 10), dict(kernel_size=3)),                      # 10 = 3*3 + 1
    ((2, 1, 6, 6), dict(kernel_size=3, stride=3)),
    ((2, 2, 8, 8), dict(kernel_size=2, ceil_mode=True)),       # ceil_mode, nothing left over
    ((1, 2, 5, 5), dict(kernel_size=1)),
    ((2, 2, 4, 4), dict(kernel_size=4)),                       # one window per plane
    ((64, 8, 26, 26), dict(kernel_size=2)),                    # the conv benchmark's layers
    ((64, 16, 11, 11), dict(kernel_size=2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,kwargs", FAST_CASES)
def test_fast_path_parity(shape, kwargs, dtype):
    check_parity(max_pool(**kwargs), [rand(shape, dtype)])


@pytest.mark.parametrize("shape,kwargs", [((1, 2, 9, 9), dict(kernel_size=2, ceil_mode=True)),
                                          ((1, 2, 9, 9), dict(kernel_size=2, stride=1))])
def test_general_path_still_right(shape, kwargs):
    """Settings just outside the fast path (an overhanging ceil_mode window, overlap)."""
    check_parity(max_pool(**kwargs), [with_nan(rand(shape), 0.1)])


def test_ties_pick_the_first_maximum():
    x = np.random.default_rng(0).integers(0, 3, (3, 2, 9, 8)).astype(np.float64)
    check_parity(max_pool(kernel_size=2), [x])
    check_parity(max_pool(kernel_size=(3, 2)), [x])
    flat = np.ones((1, 1, 4, 4))  # every element ties: the top-left of each window
    _, idx = gg.nn.functional.max_pool2d(gg.tensor(flat), 2, return_indices=True)
    assert idx.numpy().tolist() == [[[[0, 2], [8, 10]]]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.9])
def test_nan_windows_like_torch(fraction, dtype):
    """A window holding NaN gives NaN and the index of its last NaN, as torch does."""
    x = with_nan(rand((2, 3, 10, 9), dtype), fraction)
    check_parity(max_pool(kernel_size=2), [x])
    check_parity(max_pool(kernel_size=(3, 2)), [x])


def test_nan_index_is_the_last_nan():
    x = np.array([[[[np.nan, 1.0, 5.0, np.nan], [np.nan, 2.0, np.nan, 1.0]]]])
    _, idx = gg.nn.functional.max_pool2d(gg.tensor(x), 2, return_indices=True)
    _, t_idx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    assert idx.numpy().tolist() == t_idx.numpy().tolist() == [[[[4, 6]]]]


def test_infinities_and_signed_zeros():
    x = np.array([[[[-np.inf, -np.inf, np.inf, 1.0, -0.0, 0.0],
                    [-np.inf, -np.inf, np.inf, np.nan, 0.0, -0.0]]]])
    out = check_parity(max_pool(kernel_size=2), [x])
    t_out = torch.nn.functional.max_pool2d(torch.tensor(x), 2)
    np.testing.assert_array_equal(np.signbit(out[0].detach().numpy()), np.signbit(t_out.numpy()))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float16])
def test_other_dtypes(dtype):
    x = np.random.default_rng(0).integers(-50, 50, (2, 3, 7, 9)).astype(dtype)
    check_parity(max_pool(kernel_size=2), [x], grad=False)


def test_unbatched_and_without_indices():
    x = rand((3, 7, 6))
    check_parity(max_pool(kernel_size=2), [x])
    check_parity(lambda t: F(t).max_pool2d(t, 2), [x])
    check_parity(lambda t: F(t).max_pool2d(t, (2, 3)), [rand((2, 3, 7, 6))])


def test_module_with_odd_input():
    x = rand((4, 2, 13, 13), np.float32)
    check_parity(lambda t: (torch.nn if isinstance(t, torch.Tensor) else gg.nn).MaxPool2d(2)(t),
                 [x])


# ----------------------------------------------------------------------------- fast == general
@pytest.mark.parametrize("shape,kwargs", FAST_CASES[:8])
@pytest.mark.parametrize("nan", [0.0, 0.2])
def test_fast_path_equals_general_path(shape, kwargs, nan):
    x = with_nan(rand(shape), nan) if nan else rand(shape)
    (out, idx, grad), (g_out, g_idx, g_grad) = both_paths(x, **kwargs)
    np.testing.assert_array_equal(out, g_out)
    np.testing.assert_array_equal(idx, g_idx)
    np.testing.assert_array_equal(grad, g_grad)


def test_general_only_fixture_reaches_the_general_path(general_only):
    assert not pooling._tiles_cover((2, 2), (2, 2), (0, 0), (1, 1), (4, 4), (1, 1, 8, 8))
    check_parity(max_pool(kernel_size=2), [rand((2, 2, 8, 8))])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.integers(0, 4), st.integers(0, 4), st.sampled_from([0.0, 0.1, 0.5]),
       st.booleans(), st.integers(0, 2 ** 16))
def test_fast_path_hypothesis(kh, kw, rows, columns, extra_h, extra_w, nan, ties, seed):
    shape = (2, 2, kh * rows + extra_h % kh if kh > 1 else kh * rows,
             kw * columns + extra_w % kw if kw > 1 else kw * columns)
    if ties:
        x = np.random.default_rng(seed).integers(0, 3, shape).astype(np.float64)
    else:
        x = rand(shape, seed=seed)
    if nan:
        x = with_nan(x, nan, seed + 1)
    check_parity(max_pool(kernel_size=(kh, kw)), [x])


# ----------------------------------------------------------------------------- gradcheck
def test_fast_path_gradcheck():
    x = rand((2, 2, 7, 6))  # distinct values: the maximum of each window is unique
    gradcheck_both(lambda t: gg.nn.functional.max_pool2d(t, 2), [x])
    gradcheck_both(lambda t: gg.nn.functional.max_pool2d(t, (3, 2)), [x])
    gradcheck_both(lambda t: gg.nn.functional.max_pool2d(t, 2), [x[0]])  # unbatched
