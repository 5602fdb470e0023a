"""Shared helpers for parity tests: run the same computation in glassgrad and in torch and compare
values and gradients.

    check_parity(lambda a, b: a * b, [np_a, np_b])          # same lambda for both libraries
    check_parity(gg_fn, arrays, torch_fn=torch_fn)           # when the spellings differ
"""

import numpy as np
import torch

import glassgrad as gg

TOLERANCES = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def to_numpy(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return t.detach().numpy()


def assert_close(actual, expected, rtol=1e-5, atol=1e-6, what="value"):
    """Compare a glassgrad result with a torch result (shapes, dtypes and values)."""
    a = to_numpy(actual)
    e = to_numpy(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != torch's {e.shape}"
    assert a.dtype == e.dtype, f"{what}: dtype {a.dtype} != torch's {e.dtype}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what, equal_nan=True)


def _flatten(result):
    if isinstance(result, (tuple, list)):
        out = []
        for r in result:
            out.extend(_flatten(r))
        return out
    return [result]


def check_parity(fn, arrays, torch_fn=None, grad=True, rtol=None, atol=None, seed=0):
    """Run ``fn`` on glassgrad tensors and ``torch_fn`` (default ``fn``) on torch tensors made from
    the same arrays; compare every output, then backpropagate the same random upstream gradient
    through both and compare the inputs' gradients. Floating arrays require grad when ``grad``.
    Returns the glassgrad outputs."""
    torch_fn = torch_fn or fn
    dtype = next((a.dtype.type for a in arrays if a.dtype.kind == "f"), np.float32)
    tol = dict(TOLERANCES.get(dtype, TOLERANCES[np.float32]))
    if rtol is not None:
        tol["rtol"] = rtol
    if atol is not None:
        tol["atol"] = atol
    wants = [grad and a.dtype.kind == "f" for a in arrays]
    gg_inputs = [gg.tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants)]
    th_inputs = [torch.tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants)]
    gg_out = _flatten(fn(*gg_inputs))
    th_out = _flatten(torch_fn(*th_inputs))
    assert len(gg_out) == len(th_out)
    for i, (g, t) in enumerate(zip(gg_out, th_out)):
        assert_close(g, t, what=f"output {i}", **tol)
    if not any(wants):
        return gg_out
    rng = np.random.default_rng(seed)
    gg_roots, th_roots, gg_seeds, th_seeds = [], [], [], []
    for g, t in zip(gg_out, th_out):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            upstream = rng.standard_normal(tuple(t.shape)).astype(to_numpy(t).dtype)
            gg_roots.append(g)
            th_roots.append(t)
            gg_seeds.append(gg.tensor(upstream))
            th_seeds.append(torch.tensor(upstream))
    if not th_roots:
        return gg_out
    gg.autograd.backward(gg_roots, gg_seeds)
    torch.autograd.backward(th_roots, th_seeds)
    for i, (g, t) in enumerate(zip(gg_inputs, th_inputs)):
        if not t.requires_grad:
            continue
        if t.grad is None:
            assert g.grad is None or not np.any(g.grad.numpy()), f"grad of input {i}"
            continue
        assert g.grad is not None, f"input {i}: glassgrad gave no gradient, torch did"
        assert_close(g.grad, t.grad, what=f"gradient of input {i}", **tol)
    return gg_out


def gradcheck_both(fn, arrays, second_order=True, **kwargs):
    """float64 finite-difference gradcheck (and gradgradcheck) of a glassgrad function."""
    inputs = [gg.tensor(a.astype(np.float64) if a.dtype.kind == "f" else a,
                        requires_grad=a.dtype.kind == "f") for a in arrays]
    assert gg.autograd.gradcheck(fn, inputs, **kwargs)
    if second_order:
        assert gg.autograd.gradgradcheck(fn, inputs, **kwargs)


def _plain(value):
    if isinstance(value, (gg.Tensor, torch.Tensor)):
        return value.detach().numpy()
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    return value


def assert_same(ours, theirs, rtol=1e-5, atol=1e-6):
    """Nested results (tensors, tuples, numbers) equal torch's: types, dtypes, shapes, values."""
    a, b = _plain(ours), _plain(theirs)
    if isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray), f"{a!r} is not a tensor like {b!r}"
        assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, a.shape, b.dtype, b.shape)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    elif isinstance(b, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), f"{a!r} != {b!r}"
        for x, y in zip(a, b):
            assert_same(x, y, rtol, atol)
    else:
        assert type(a) is type(b) and a == b, f"{a!r} != torch's {b!r}"


def same(fn, **tolerances):
    """``fn(glassgrad)`` and ``fn(torch)`` give the same results."""
    assert_same(fn(gg), fn(torch), **tolerances)


def same_error(fn):
    """``fn`` raises the same exception, with the same message, in glassgrad and torch."""
    import pytest

    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(Exception) as ours:
        fn(gg)
    assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)
    assert str(ours.value) == str(theirs.value).replace("torch.", "glassgrad.")
    return ours.value
