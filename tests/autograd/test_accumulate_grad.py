"""AccumulateGrad adopts a fresh gradient array as ``.grad`` (no copy) only when nothing else
can see it; otherwise ``.grad`` is a copy, so an in-place update of ``.grad`` never changes an
array held elsewhere."""

import numpy as np

import glassgrad as gg
import glassgrad.nn.functional as F


def test_a_fresh_gradient_becomes_grad_without_a_copy():
    seen = []
    w = gg.randn(4, 3, requires_grad=True)
    b = gg.randn(4, requires_grad=True)
    w.register_hook(lambda g: seen.append(id(g._data)))   # keeps only the id, not the array
    F.linear(gg.randn(5, 3), w, b).sum().backward()
    assert seen == [id(w.grad._data)]
    assert w.grad._data.base is None and b.grad._data.base is None


def test_two_leaves_given_the_same_array_get_separate_grads():
    a = gg.randn(3, requires_grad=True)
    b = gg.randn(3, requires_grad=True)
    (a + b).sum().backward()                    # Add hands the same array to both
    assert not np.shares_memory(a.grad._data, b.grad._data)
    a.grad += 1.0
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(3, np.float32))


def test_a_gradient_kept_by_a_hook_is_not_the_grad():
    kept = []
    w = gg.randn(4, 3, requires_grad=True)
    w.register_hook(lambda g: kept.append(g))
    F.linear(gg.randn(5, 3), w).sum().backward()
    assert not np.shares_memory(kept[0]._data, w.grad._data)
    before = kept[0].numpy().copy()
    w.grad.mul_(0.0)
    np.testing.assert_array_equal(kept[0].numpy(), before)


def test_a_gradient_that_is_a_view_is_copied():
    x = gg.randn(3, requires_grad=True)
    y = x.expand(4, 3)                           # backward sums: a fresh array
    z = x * 1.0                                  # MulScalar: a fresh array
    (y.sum() + z.sum()).backward()
    assert x.grad._data.base is None and x.grad._data.flags.owndata
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 5.0, np.float32))


def test_accumulation_across_backwards_adds_in_place():
    w = gg.randn(2, 2, requires_grad=True)
    (w * 2.0).sum().backward()
    first = w.grad
    (w * 3.0).sum().backward()
    assert w.grad is first
    np.testing.assert_allclose(w.grad.numpy(), np.full((2, 2), 5.0, np.float32))


def test_without_a_calibrated_reference_count_every_gradient_is_copied(monkeypatch):
    from glassgrad.autograd import engine

    assert engine._HANDED_OVER is not None       # CPython counts the caller's references
    monkeypatch.setattr(engine, "_HANDED_OVER", None)
    seen = []
    w = gg.randn(4, 3, requires_grad=True)
    w.register_hook(lambda g: seen.append(id(g._data)))
    F.linear(gg.randn(5, 3), w).sum().backward()
    assert seen != [id(w.grad._data)]
    assert w.grad._data.base is None
