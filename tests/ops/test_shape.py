"""Parity and gradient tests for glassgrad/ops/shape.py against PyTorch.

Every case runs as ``glassgrad.X(...)`` or as a Tensor method (the same spelling works in torch,
so one lambda serves both libraries: ``L(t)`` is the module of the tensor it gets). Values, dtypes
and input gradients are compared with torch in float32 and float64; gradients and second
derivatives are checked against finite differences in float64.
"""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from parity import check_parity, gradcheck_both

import glassgrad as gg

DTYPES = [np.float32, np.float64]


def L(t):
    """The library a tensor belongs to: ``torch`` or ``glassgrad``."""
    return torch if isinstance(t, torch.Tensor) else gg


def rand(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# (id, function of the input tensors, input shapes)
CASES = [
    # reshape / view
    ("reshape_varargs", lambda t: t.reshape(4, -1), [(2, 3, 4)]),
    ("reshape_tuple", lambda t: t.reshape((-1, 2)), [(2, 3, 4)]),
    ("reshape_list", lambda t: t.reshape([3, 2, 4]), [(2, 3, 4)]),
    ("reshape_fn", lambda t: L(t).reshape(t, (6, -1)), [(2, 3, 4)]),
    ("reshape_to_0d", lambda t: t.reshape(()), [(1, 1)]),
    ("reshape_from_0d", lambda t: t.reshape(1, 1, -1), [()]),
    ("reshape_noncontiguous", lambda t: t.transpose(0, 2).reshape(-1, 3), [(2, 3, 4)]),
    ("view_varargs", lambda t: t.view(6, 4), [(2, 3, 4)]),
    ("view_minus_one", lambda t: t.view(-1), [(2, 3, 4)]),
    ("view_tuple", lambda t: t.view((2, -1, 2)), [(2, 3, 4)]),
    ("view_size", lambda t: t.view(t.shape[::-1]), [(2, 3, 4)]),
    ("view_of_transposed_ok", lambda t: t.t().view(4, 1, 3), [(3, 4)]),
    ("contiguous_then_view", lambda t: t.t().contiguous().view(-1), [(3, 4)]),
    ("view_as", lambda t: t.view_as(L(t).zeros(4, 6)), [(2, 3, 4)]),
    ("reshape_as", lambda t: t.reshape_as(L(t).zeros(3, 8)), [(2, 3, 4)]),
    # flatten / unflatten
    ("flatten", lambda t: t.flatten(), [(2, 3, 4)]),
    ("flatten_start", lambda t: t.flatten(1), [(2, 3, 4)]),
    ("flatten_start_end", lambda t: L(t).flatten(t, 0, 1), [(2, 3, 4)]),
    ("flatten_negative", lambda t: t.flatten(-2, -1), [(2, 3, 4)]),
    ("flatten_single_dim", lambda t: t.flatten(1, 1), [(2, 3, 4)]),
    ("flatten_0d", lambda t: t.flatten(), [()]),
    ("unflatten", lambda t: t.unflatten(2, (2, -1)), [(2, 3, 4)]),
    ("unflatten_fn_negative", lambda t: L(t).unflatten(t, -1, (2, 1, 2)), [(2, 3, 4)]),
    # squeeze / unsqueeze
    ("squeeze_all", lambda t: t.squeeze(), [(1, 3, 1, 2)]),
    ("squeeze_dim", lambda t: t.squeeze(2), [(1, 3, 1, 2)]),
    ("squeeze_dim_not_one", lambda t: t.squeeze(1), [(1, 3, 1, 2)]),
    ("squeeze_negative", lambda t: L(t).squeeze(t, -2), [(1, 3, 1, 2)]),
    ("squeeze_tuple", lambda t: t.squeeze((0, 2, 3)), [(1, 3, 1, 2)]),
    ("squeeze_0d", lambda t: t.squeeze(0), [()]),
    ("unsqueeze_front", lambda t: t.unsqueeze(0), [(3, 2)]),
    ("unsqueeze_end", lambda t: t.unsqueeze(-1), [(3, 2)]),
    ("unsqueeze_middle_fn", lambda t: L(t).unsqueeze(t, 1), [(3, 2)]),
    ("unsqueeze_negative", lambda t: t.unsqueeze(-3), [(3, 2)]),
    ("unsqueeze_0d", lambda t: t.unsqueeze(0), [()]),
    # permutations
    ("permute_varargs", lambda t: t.permute(2, 0, 1), [(2, 3, 4)]),
    ("permute_tuple", lambda t: t.permute((1, 2, 0)), [(2, 3, 4)]),
    ("permute_negative_fn", lambda t: L(t).permute(t, (-1, 0, -2)), [(2, 3, 4)]),
    ("transpose", lambda t: t.transpose(0, 2), [(2, 3, 4)]),
    ("transpose_fn_negative", lambda t: L(t).transpose(t, -1, 1), [(2, 3, 4)]),
    ("transpose_same_dim", lambda t: t.transpose(1, 1), [(2, 3, 4)]),
    ("swapaxes", lambda t: t.swapaxes(0, 1), [(2, 3, 4)]),
    ("swapaxes_fn", lambda t: L(t).swapaxes(t, 2, 0), [(2, 3, 4)]),
    ("swapdims", lambda t: t.swapdims(-1, -2), [(2, 3, 4)]),
    ("swapdims_fn", lambda t: L(t).swapdims(t, 0, 2), [(2, 3, 4)]),
    ("t_2d", lambda t: t.t(), [(3, 4)]),
    ("t_fn", lambda t: L(t).t(t), [(3, 4)]),
    ("t_1d", lambda t: t.t(), [(3,)]),
    ("T_2d", lambda t: t.T, [(3, 4)]),
    ("mT_3d", lambda t: t.mT, [(2, 3, 4)]),
    ("mT_2d", lambda t: t.mT, [(3, 4)]),
    ("movedim_int", lambda t: t.movedim(0, 2), [(2, 3, 4)]),
    ("movedim_negative", lambda t: t.movedim(-1, 0), [(2, 3, 4)]),
    ("movedim_tuple", lambda t: t.movedim((0, 1), (2, 0)), [(2, 3, 4)]),
    ("movedim_fn_tuple", lambda t: L(t).movedim(t, (0, -1), (-1, 1)), [(2, 3, 4, 5)]),
    # broadcasting copies
    ("expand", lambda t: t.expand(2, 3, 4), [(3, 1)]),
    ("expand_minus_one", lambda t: t.expand(2, -1, 4), [(3, 1)]),
    ("expand_tuple", lambda t: t.expand((5, 3, 2)), [(1, 2)]),
    ("expand_same", lambda t: t.expand(3, 2), [(3, 2)]),
    ("expand_0d", lambda t: t.expand(2, 3), [()]),
    ("expand_as", lambda t: t.expand_as(L(t).zeros(2, 3, 4)), [(1, 4)]),
    ("broadcast_to_fn", lambda t: L(t).broadcast_to(t, (2, 3, 4)), [(3, 1)]),
    ("broadcast_to_method", lambda t: t.broadcast_to((4, 3)), [(3,)]),
    ("repeat", lambda t: t.repeat(2, 3), [(2, 3)]),
    ("repeat_more_dims", lambda t: t.repeat(2, 1, 3), [(2, 3)]),
    ("repeat_tuple", lambda t: t.repeat((1, 2, 2)), [(2, 1, 3)]),
    ("repeat_0d", lambda t: t.repeat(3, 2), [()]),
    ("tile_fewer", lambda t: t.tile((2,)), [(2, 3)]),
    ("tile_int_fn", lambda t: L(t).tile(t, (3, 1, 2)), [(2, 3)]),
    # joining
    ("cat_dim0", lambda a, b: L(a).cat([a, b]), [(2, 3), (4, 3)]),
    ("cat_dim1_tuple", lambda a, b: L(a).cat((a, b, a), dim=1), [(2, 3), (2, 1)]),
    ("cat_negative", lambda a, b: L(a).cat([a, b], -1), [(2, 3, 1), (2, 3, 2)]),
    ("cat_self_twice", lambda a: L(a).cat([a, a * 2]), [(2, 3)]),
    ("concat", lambda a, b: L(a).concat([a, b], 1), [(2, 3), (2, 2)]),
    ("concatenate", lambda a, b: L(a).concatenate([a, b], 0), [(1, 3), (2, 3)]),
    ("stack", lambda a, b: L(a).stack([a, b]), [(2, 3), (2, 3)]),
    ("stack_last", lambda a, b, c: L(a).stack((a, b, c), dim=2), [(2, 3)] * 3),
    ("stack_negative", lambda a, b: L(a).stack([a, b], -2), [(2, 3), (2, 3)]),
    ("stack_0d", lambda a, b: L(a).stack([a, b]), [(), ()]),
    ("hstack_1d", lambda a, b: L(a).hstack([a, b]), [(2,), (3,)]),
    ("hstack_2d", lambda a, b: L(a).hstack([a, b]), [(2, 3), (2, 1)]),
    ("vstack_1d", lambda a, b: L(a).vstack([a, b]), [(3,), (3,)]),
    ("vstack_2d", lambda a, b: L(a).vstack((a, b)), [(2, 3), (1, 3)]),
    # splitting
    ("split_int", lambda t: t.split(2, 1), [(2, 5)]),
    ("split_list", lambda t: t.split([1, 3, 1], 1), [(2, 5)]),
    ("split_fn", lambda t: L(t).split(t, 1), [(3, 2)]),
    ("split_fn_list_negative", lambda t: L(t).split(t, [2, 2], dim=-1), [(3, 4)]),
    ("chunk_even", lambda t: t.chunk(2), [(4, 3)]),
    ("chunk_uneven", lambda t: t.chunk(3, 1), [(2, 7)]),
    ("chunk_more_than_size", lambda t: L(t).chunk(t, 5, 0), [(3, 2)]),
    ("unbind", lambda t: t.unbind(), [(3, 2)]),
    ("unbind_dim", lambda t: L(t).unbind(t, 1), [(3, 2)]),
    ("unbind_negative", lambda t: t.unbind(-1), [(2, 3, 2)]),
    ("narrow", lambda t: t.narrow(1, 1, 3), [(2, 5)]),
    ("narrow_negative_start", lambda t: L(t).narrow(t, -1, -3, 2), [(2, 5)]),
    ("narrow_empty", lambda t: t.narrow(0, 2, 0), [(2, 5)]),
    ("flip", lambda t: t.flip(0), [(3, 4)]),
    ("flip_dims", lambda t: t.flip((0, 2)), [(2, 3, 4)]),
    ("flip_fn_negative", lambda t: L(t).flip(t, [-1]), [(2, 3, 4)]),
    ("flip_0d", lambda t: t.flip(0), [()]),
    ("contiguous", lambda t: t.contiguous() * 1, [(2, 3)]),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn,shapes", CASES, ids=IDS)
def test_parity(name, fn, shapes, dtype):
    arrays = [rand(s, dtype, seed=i) for i, s in enumerate(shapes)]
    check_parity(fn, arrays)


@pytest.mark.parametrize("name,fn,shapes", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes):
    arrays = [rand(s, np.float64, seed=i) for i, s in enumerate(shapes)]
    gradcheck_both(fn, arrays)


# ----------------------------------------------------------------------------- random shapes
def _factors(n):
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out


shapes = st.lists(st.integers(1, 4), min_size=0, max_size=4).map(tuple)


@given(shape=shapes, data=st.data(), dtype=st.sampled_from(DTYPES), use_view=st.booleans())
def test_reshape_random(shape, data, dtype, use_view):
    factors = data.draw(st.permutations(_factors(int(np.prod(shape)))))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(factors)), max_size=3)))
    bounds = [0] + cuts + [len(factors)]
    new = [int(np.prod(factors[a:b])) for a, b in zip(bounds, bounds[1:])]
    if data.draw(st.booleans()):
        new[data.draw(st.integers(0, len(new) - 1))] = -1
    check_parity(lambda t: t.view(*new) if use_view else t.reshape(new), [rand(shape, dtype)])


@given(shape=shapes, data=st.data(), dtype=st.sampled_from(DTYPES))
def test_permute_random(shape, data, dtype):
    dims = data.draw(st.permutations(range(len(shape))))
    check_parity(lambda t: t.permute(tuple(dims)) * 1, [rand(shape, dtype)])


@given(shape=st.lists(st.sampled_from([1, 2, 3]), max_size=3).map(tuple), data=st.data(),
       dtype=st.sampled_from(DTYPES))
def test_expand_random(shape, data, dtype):
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    sizes = [data.draw(st.sampled_from([-1, s] if s != 1 else [-1, 1, 2, 3])) for s in shape]
    check_parity(lambda t: t.expand(tuple(lead + sizes)), [rand(shape, dtype)])


@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple), data=st.data(),
       dtype=st.sampled_from(DTYPES))
def test_cat_stack_random(shape, data, dtype):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    lengths = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    arrays = []
    for i, n in enumerate(lengths):
        s = list(shape)
        s[dim] = n
        arrays.append(rand(tuple(s), dtype, seed=i))
    check_parity(lambda *ts: L(ts[0]).cat(list(ts), dim), arrays)
    same = [rand(shape, dtype, seed=i) for i in range(len(lengths))]
    check_parity(lambda *ts: L(ts[0]).stack(ts, dim), same)


@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple), data=st.data())
def test_split_chunk_random(shape, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    size = data.draw(st.integers(1, 6))
    chunks = data.draw(st.integers(1, 6))
    x = rand(shape, np.float32)
    check_parity(lambda t: t.split(size, dim), [x])
    check_parity(lambda t: t.chunk(chunks, dim), [x])


# ----------------------------------------------------------------------------- behaviour
def test_view_shares_storage_and_reshape_copy_does_not():
    base = gg.arange(6.0)
    v = base.view(2, 3)
    base[0] = 10.0
    assert v[0, 0].item() == 10.0
    r = gg.arange(6.0).reshape(2, 3).t().reshape(-1)  # no view can describe this: a copy
    np.testing.assert_array_equal(r.numpy(), [0, 3, 1, 4, 2, 5])
    assert gg.arange(6.0).reshape(2, 3).reshape(3, 2).is_contiguous()


def test_reshape_copy_has_its_own_version_counter():
    # modifying the copy must not make the graph think the input was modified
    x = gg.randn(2, 3, requires_grad=True)
    y = x.exp()
    z = y.t().reshape(-1)
    with gg.no_grad():
        z.mul_(2)
    y.sum().backward()  # exp saved y: still intact
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()), rtol=1e-6)


def test_flip_returns_a_copy():
    x = gg.arange(3.0)
    f = x.flip(0)
    f[0] = 100.0
    np.testing.assert_array_equal(x.numpy(), [0.0, 1.0, 2.0])


def test_view_on_non_contiguous_raises_torch_error():
    with pytest.raises(RuntimeError, match="view size is not compatible") as ours:
        gg.randn(3, 4).t().view(-1)
    with pytest.raises(RuntimeError) as theirs:
        torch.randn(3, 4).t().view(-1)
    assert str(ours.value) == str(theirs.value)


def test_expand_gradient_sums_over_stretched_dims():
    x = gg.tensor([[1.0], [2.0]], requires_grad=True)
    x.expand(3, 2, 4).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[12.0], [12.0]])


def test_split_pieces_used_twice_accumulate():
    check_parity(lambda t: [p * p for p in t.split(1)] + [t.split(2)[0]], [rand((3, 2))])


def test_cat_promotes_and_returns_grads_in_input_dtypes():
    out = check_parity(lambda a, b: L(a).cat([a, b]),
                       [rand((2,), np.float32), rand((3,), np.float64)])
    assert out[0].dtype == gg.float64


def test_cat_promotes_integers_with_floats_like_torch():
    out = check_parity(lambda a, b: L(a).cat([a.to(L(a).int64), b]),
                       [rand((2,), np.float32), rand((3,), np.float32)])
    assert out[0].dtype == gg.float32
    check_parity(lambda a, b: L(a).stack([a, b]), [np.arange(3, dtype=np.int32), np.arange(3)])


def test_cat_skips_legacy_empty_1d_tensor():
    check_parity(lambda a, b: L(a).cat([a, b]), [rand((2, 3)), rand((0,))])


def test_stack_and_cat_of_integers():
    a = np.arange(6).reshape(2, 3)
    check_parity(lambda t: L(t).stack([t, t], 1), [a])
    check_parity(lambda t: L(t).cat([t, t], 1), [a])


def test_empty_chunk_and_split():
    check_parity(lambda t: t.chunk(3), [rand((0,))])
    check_parity(lambda t: t.split(0), [rand((0,))])


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4)])
def test_T_of_non_matrix_reverses_dims(shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates .T on non-matrices
        check_parity(lambda t: t.T, [rand(shape)])


def test_mT_of_1d_raises_runtime_error():
    with pytest.raises(RuntimeError, match="only supported on matrices"):
        gg.ones(3).mT


def test_second_derivative_through_a_reshape_copy():
    # f = sum(z^2 w) with z = x.t().reshape(-1), z[2i + j] = x[j, i]:  d2f/dx[j,i]^2 = 2 w[2i + j]
    x = gg.tensor(rand((2, 3)), requires_grad=True)
    w = rand((6,), seed=1)
    (g,) = gg.autograd.grad((x.t().reshape(-1) ** 2 * gg.tensor(w)).sum(), x, create_graph=True)
    (h,) = gg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 2 * w.reshape(3, 2).T, rtol=1e-12)


# ----------------------------------------------------------------------------- errors
def _both_raise(fn, exc, match=None):
    """``fn(lib)`` raises ``exc`` for torch and glassgrad alike (message matches ``match``)."""
    with pytest.raises(exc) as theirs:
        fn(torch)
    with pytest.raises(exc, match=match) as ours:
        fn(gg)
    return str(ours.value), str(theirs.value)


DIM_ERRORS = [
    ("squeeze", lambda lib: lib.ones(2, 3).squeeze(2)),
    ("squeeze_tuple", lambda lib: lib.ones(2, 3).squeeze((0, -3))),
    ("unsqueeze", lambda lib: lib.ones(2, 3).unsqueeze(3)),
    ("unsqueeze_negative", lambda lib: lib.ones(2, 3).unsqueeze(-4)),
    ("transpose", lambda lib: lib.ones(2, 3).transpose(0, 2)),
    ("permute", lambda lib: lib.ones(2, 3).permute(0, 2)),
    ("flatten", lambda lib: lib.ones(2, 3).flatten(0, 2)),
    ("unflatten", lambda lib: lib.ones(2, 4).unflatten(2, (2, 2))),
    ("movedim", lambda lib: lib.ones(2, 3).movedim(0, 2)),
    ("narrow", lambda lib: lib.ones(2, 3).narrow(2, 0, 1)),
    ("split", lambda lib: lib.ones(2, 3).split(1, 2)),
    ("chunk", lambda lib: lib.ones(2, 3).chunk(2, -3)),
    ("unbind", lambda lib: lib.ones(2, 3).unbind(2)),
    ("flip", lambda lib: lib.ones(2, 3).flip(2)),
    ("cat", lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 3)], 2)),
    ("stack", lambda lib: lib.stack([lib.ones(2, 3), lib.ones(2, 3)], 3)),
    ("size", lambda lib: lib.ones(2, 3).size(2)),
]


@pytest.mark.parametrize("name,fn", DIM_ERRORS, ids=[e[0] for e in DIM_ERRORS])
def test_dim_out_of_range_raises_index_error(name, fn):
    ours, theirs = _both_raise(fn, IndexError, match="Dimension out of range")
    assert ours == theirs


RUNTIME_ERRORS = [
    ("reshape_numel", lambda lib: lib.ones(3, 4).reshape(5, -1)),
    ("view_two_inferred", lambda lib: lib.ones(3, 4).view(-1, -1)),
    ("expand_mismatch", lambda lib: lib.ones(3, 4).expand(2, 4)),
    ("expand_too_few", lambda lib: lib.ones(3, 4).expand(4)),
    ("expand_leading_minus_one", lambda lib: lib.ones(3, 4).expand(-1, 3, 4)),
    ("cat_sizes", lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 4)])),
    ("cat_ndim", lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2)])),
    ("cat_0d", lambda lib: lib.cat([lib.tensor(1.0), lib.tensor(2.0)])),
    ("stack_sizes", lambda lib: lib.stack([lib.ones(2, 3), lib.ones(3, 2)])),
    ("permute_duplicate", lambda lib: lib.ones(2, 3).permute(0, 0)),
    ("permute_length", lambda lib: lib.ones(2, 3).permute(0)),
    ("t_3d", lambda lib: lib.ones(2, 3, 4).t()),
    ("flatten_order", lambda lib: lib.ones(2, 3, 4).flatten(2, 1)),
    ("unflatten_sizes", lambda lib: lib.ones(3, 4).unflatten(1, (3, -1))),
    ("repeat_too_few", lambda lib: lib.ones(2, 3).repeat(2)),
    ("split_sizes", lambda lib: lib.ones(3, 4).split([1, 1])),
    ("chunk_zero", lambda lib: lib.ones(3, 4).chunk(0)),
    ("narrow_too_long", lambda lib: lib.ones(3, 4).narrow(0, 1, 5)),
    ("narrow_negative_length", lambda lib: lib.ones(3, 4).narrow(0, 1, -1)),
    ("squeeze_repeated_dim", lambda lib: lib.ones(3, 1).squeeze((1, 1))),
    ("flip_repeated_dim", lambda lib: lib.ones(3, 1).flip((0, -2))),
    ("movedim_repeated", lambda lib: lib.ones(3, 1).movedim((0, 0), (0, 1))),
    ("movedim_lengths", lambda lib: lib.ones(3, 1).movedim((0, 1), (0,))),
    ("view_non_contiguous", lambda lib: lib.ones(3, 4).t().view(12)),
]


@pytest.mark.parametrize("name,fn", RUNTIME_ERRORS, ids=[e[0] for e in RUNTIME_ERRORS])
def test_runtime_errors_match_torch(name, fn):
    ours, theirs = _both_raise(fn, RuntimeError)
    assert ours == theirs.replace("torch.", "glassgrad.")


def test_narrow_start_out_of_range_raises_index_error():
    ours, theirs = _both_raise(lambda lib: lib.ones(3, 4).narrow(0, 5, 1), IndexError)
    assert ours == theirs


def test_cat_of_empty_list_raises():
    _both_raise(lambda lib: lib.cat([]), ValueError)
