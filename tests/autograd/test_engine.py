"""The backward engine against real PyTorch: accumulation, retain_graph, errors, deep chains,
diamonds, ``autograd.grad``, ``backward(inputs=...)``, hooks on nodes, and the release of saved
values after a backward pass."""

import gc
import sys
import weakref

import numpy as np
import pytest
import torch
from parity import assert_same, same, same_error  # noqa: F401

import glassgrad as gg

# ----------------------------------------------------------------------------- helpers


def leaf(L, values=(1.0, 2.0, 3.0), dtype=None):
    return L.tensor(list(values), requires_grad=True, dtype=dtype)


# ----------------------------------------------------------------------------- accumulation


def test_gradients_accumulate_across_backward_calls():
    def fn(L):
        x = leaf(L)
        (x * x).sum().backward()
        first = x.grad.clone()
        (x * 3).sum().backward()
        (x.exp()).sum().backward()
        return first, x.grad
    same(fn)


def test_gradient_accumulation_keeps_the_grad_tensor():
    for L in (gg, torch):
        x = leaf(L)
        (x * 2).sum().backward()
        grad = x.grad
        (x * 3).sum().backward()
        assert x.grad is grad  # accumulated in place, as torch does
        assert grad.tolist() == [5.0, 5.0, 5.0]


def test_zeroing_grad_between_steps():
    def fn(L):
        x = leaf(L)
        (x * x).sum().backward()
        x.grad.zero_()
        (x * 3).sum().backward()
        return x.grad
    same(fn)


def test_gradient_dtype_follows_the_leaf():
    same(lambda L: _grad_of(leaf(L, dtype=L.float64), lambda x: (x * x).sum()))
    same(lambda L: _grad_of(leaf(L), lambda x: (x.double() ** 2).sum()))


def _grad_of(x, f):
    f(x).backward()
    return x.grad


def test_broadcast_gradients_are_summed_to_each_shape():
    def fn(L):
        a = L.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
        b = L.tensor([[1.0, -1.0, 0.5, 2.0]], requires_grad=True)
        c = L.tensor(2.0, requires_grad=True)
        ((a * b + c) ** 2).sum().backward()
        return a.grad, b.grad, c.grad
    same(fn)


def test_unused_leaf_keeps_grad_none():
    def fn(L):
        x, unused = leaf(L), leaf(L)
        (x * 2).sum().backward()
        return x.grad, unused.grad
    same(fn)


def test_paths_that_do_not_require_grad_are_skipped():
    def fn(L):
        x = leaf(L)
        c = L.tensor([4.0, 5.0, 6.0])
        ((x * c) + (c * c).exp()).sum().backward()
        return x.grad, c.grad
    same(fn)


def test_integer_intermediate_results_stop_the_gradient():
    def fn(L):
        x = leaf(L, (1.5, 2.5, -0.5))
        index = (x * 2).long()
        (x * index).sum().backward()
        return index.requires_grad, x.grad
    same(fn)


# ----------------------------------------------------------------------------- retain_graph


def test_second_backward_through_a_freed_graph_raises():
    def fn(L):
        x = leaf(L)
        y = (x.exp() * x).sum()
        y.backward()
        y.backward()
    error = same_error(fn)
    assert "Trying to backward through the graph a second time" in str(error)


def test_autograd_grad_also_frees_the_graph():
    def fn(L):
        x = leaf(L)
        y = (x.sin() * x).sum()
        L.autograd.grad(y, x)
        L.autograd.grad(y, x)
    same_error(fn)


def test_retain_graph_allows_a_second_backward():
    def fn(L):
        x = leaf(L)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        first = x.grad.clone()
        y.backward()
        return first, x.grad
    same(fn)


def test_backward_twice_through_a_graph_without_saved_values():
    def fn(L):
        x = leaf(L)
        y = (-((x + 1) - x[1:2]).view(3, 1)).sum()   # add, sub, slice, view, neg, sum save nothing
        y.backward()
        y.backward()
        return x.grad
    same(fn)


def test_backward_twice_through_a_multiplication_by_a_constant_raises():
    def fn(L):
        x = leaf(L)
        y = (x * 2).sum()   # Mul saves the constant
        y.backward()
        y.backward()
    same_error(fn)


def test_create_graph_implies_retain_graph():
    def fn(L):
        x = leaf(L)
        y = (x ** 3).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        (again,) = L.autograd.grad(y, x)   # the graph of y is still there
        return g, again
    same(fn)


def test_part_of_a_freed_graph_can_be_reused_only_where_nothing_was_saved():
    def fn(L):
        x = leaf(L)
        h = x.exp()            # saves its output
        (h * 2).sum().backward()
        (h * 3).sum().backward()   # ExpBackward's saved output is gone
    same_error(fn)


# ----------------------------------------------------------------------------- errors


def test_implicit_gradient_needs_a_scalar():
    def fn(L):
        (leaf(L) * 2).backward()
    error = same_error(fn)
    assert str(error) == "grad can be implicitly created only for scalar outputs"


def test_autograd_grad_of_a_non_scalar_without_grad_outputs():
    same_error(lambda L: L.autograd.grad(leaf(L) * 2, leaf(L)))


def test_backward_of_a_tensor_without_graph():
    same_error(lambda L: L.tensor([1.0, 2.0]).sum().backward())


def test_grad_output_shape_mismatch():
    def fn(L):
        x = leaf(L)
        L.autograd.grad(x * 2, x, grad_outputs=L.ones(2))
    same_error(fn)


# ----------------------------------------------------------------------------- deep chains


def test_chain_of_100000_operations_backpropagates_without_recursion_error():
    limit = sys.getrecursionlimit()
    x = gg.tensor(1.5, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    assert sys.getrecursionlimit() == limit
    del y  # tearing down the 100,000-node graph must not overflow the stack either
    gc.collect()


def test_deep_chain_with_saved_values_and_autograd_grad():
    def fn(L):
        x = L.tensor(0.5, requires_grad=True)
        y = x
        for _ in range(3000):
            y = (y * 1.0001).sin() + y * 0.0
        return L.autograd.grad(y, x)
    same(fn, rtol=1e-4)


# ----------------------------------------------------------------------------- diamonds


def test_diamond_graph_sums_the_paths():
    def fn(L):
        x = leaf(L)
        a = x * 2
        b = a.exp()
        c = a * a
        (b + c).sum().backward()
        return x.grad
    same(fn)


def test_tensor_used_many_times():
    def fn(L):
        x = leaf(L)
        y = x * x * x + x.sin() * x - x
        y.sum().backward()
        return x.grad
    same(fn)


def test_wide_fan_out_and_fan_in():
    def fn(L):
        x = leaf(L)
        parts = [x * float(k) for k in range(50)]
        total = parts[0]
        for p in parts[1:]:
            total = total + p * x
        total.sum().backward()
        return x.grad
    same(fn, rtol=1e-5)


def test_multiple_roots():
    def fn(L):
        x = leaf(L)
        y1 = (x * 2).sum()
        y2 = x ** 2
        L.autograd.backward([y1, y2], [L.tensor(3.0), L.tensor([1.0, 0.0, -1.0])])
        return x.grad
    same(fn)


# ----------------------------------------------------------------------------- autograd.grad


def test_grad_returns_the_gradients_and_leaves_dot_grad_alone():
    def fn(L):
        x = leaf(L)
        w = leaf(L, (0.5, -1.0, 2.0))
        w.grad = L.ones(3)
        y = (x * w).sum()
        gx, gw = L.autograd.grad(y, [x, w])
        return gx, gw, x.grad, w.grad
    same(fn)


def test_grad_with_grad_outputs():
    def fn(L):
        x = leaf(L)
        return L.autograd.grad(x ** 2, x, grad_outputs=L.tensor([1.0, 3.0, -2.0]))
    same(fn)


def test_grad_with_several_outputs_and_grad_outputs():
    def fn(L):
        x = leaf(L)
        return L.autograd.grad([x ** 2, (x * 5).sum()], [x],
                               grad_outputs=[L.tensor([1.0, 3.0, -2.0]), L.tensor(2.0)])
    same(fn)


def test_grad_of_unused_input_raises_by_default():
    def fn(L):
        x, z = leaf(L), leaf(L)
        L.autograd.grad((x ** 3).sum(), [x, z])
    error = same_error(fn)
    assert "index 1" in str(error)


def test_grad_of_unused_input_with_allow_unused_is_none():
    def fn(L):
        x, z = leaf(L), leaf(L)
        return L.autograd.grad((x ** 3).sum(), [x, z], allow_unused=True)
    same(fn)


def test_grad_with_materialize_grads_gives_zeros():
    def fn(L):
        x, z = leaf(L), leaf(L)
        return L.autograd.grad((x ** 3).sum(), [x, z], materialize_grads=True)
    same(fn)


def test_grad_of_an_input_that_does_not_require_grad():
    same_error(lambda L: L.autograd.grad((leaf(L) * 2).sum(), L.tensor([1.0])))


def test_grad_of_outputs_without_graph():
    same_error(lambda L: L.autograd.grad(L.tensor([1.0]).sum(), leaf(L)))


def test_grad_with_respect_to_a_non_leaf():
    def fn(L):
        x = leaf(L)
        h = x * 3
        y = (h * h).sum()
        (gh,) = L.autograd.grad(y, h, retain_graph=True)
        (gx,) = L.autograd.grad(y, x)
        return gh, gx, x.grad
    same(fn)


def test_second_derivative_of_a_cube():
    def fn(L):
        x = leaf(L, (-1.0, 0.5, 2.0))
        (first,) = L.autograd.grad((x ** 3).sum(), x, create_graph=True)   # 3x^2
        (second,) = L.autograd.grad(first.sum(), x, create_graph=True)    # 6x
        (third,) = L.autograd.grad(second.sum(), x)                       # 6
        return first, second, third, first.requires_grad, x.grad
    same(fn)


def test_higher_order_of_composite_functions():
    def fn(L):
        x = leaf(L, (0.3, -0.7, 1.1))
        y = (x.sin() * x.exp() + x.tanh() ** 2).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        (h,) = L.autograd.grad(g.sum(), x)
        return g, h
    same(fn)


def test_gradient_penalty_style_double_backward():
    def fn(L):
        w = L.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
        x = L.tensor([[1.0, 2.0], [-1.0, 0.5]], requires_grad=True)
        out = (x @ w).tanh().sum()
        (gx,) = L.autograd.grad(out, x, create_graph=True)
        penalty = (gx ** 2).sum()
        penalty.backward()
        return w.grad, x.grad
    same(fn)


def test_grad_without_create_graph_gives_a_plain_tensor():
    for L in (gg, torch):
        x = leaf(L)
        (g,) = L.autograd.grad((x ** 2).sum(), x)
        assert not g.requires_grad and g.grad_fn is None and g.is_leaf


def test_grad_accepts_a_single_tensor_or_a_list():
    same(lambda L: (lambda x: (L.autograd.grad((x * x).sum(), x, retain_graph=True),
                               L.autograd.grad([(x * x).sum()], [x])))(leaf(L)))


# ----------------------------------------------------------------------------- backward(inputs=)


def test_backward_inputs_limits_accumulation():
    def fn(L):
        x, w = leaf(L), leaf(L, (3.0, 4.0, 5.0))
        (x * w).sum().backward(inputs=[w])
        return x.grad, w.grad
    same(fn)


def test_backward_inputs_accepts_one_tensor():
    def fn(L):
        x, w = leaf(L), leaf(L, (3.0, 4.0, 5.0))
        (x * w).sum().backward(inputs=x)
        return x.grad, w.grad
    same(fn)


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_backward_inputs_with_a_non_leaf():
    def fn(L):
        x, w = leaf(L), leaf(L, (3.0, 4.0, 5.0))
        h = x * w
        (h * h).sum().backward(inputs=[h])
        return x.grad, w.grad, h.grad
    same(fn)


def test_backward_inputs_cannot_be_empty():
    def fn(L):
        x = leaf(L)
        (x * 2).sum().backward(inputs=[])
    same_error(fn)


def test_autograd_backward_function():
    def fn(L):
        x, w = leaf(L), leaf(L, (3.0, 4.0, 5.0))
        L.autograd.backward((x * w).sum(), inputs=[x])
        return x.grad, w.grad
    same(fn)


# ----------------------------------------------------------------------------- node hooks


def test_node_pre_hook_and_post_hook():
    def fn(L):
        x = leaf(L)
        y = x * 2
        z = y.exp()
        seen = []
        z.grad_fn.register_prehook(lambda grad_outputs: seen.append(grad_outputs[0].clone()))
        handle = y.grad_fn.register_hook(
            lambda grad_inputs, grad_outputs: (grad_inputs[0] * 10, None))
        z.sum().backward()
        first = x.grad.clone()
        handle.remove()
        x.grad = None
        (x * 2).exp().sum().backward()
        return seen, first, x.grad
    same(fn)


def test_pre_hook_can_replace_the_incoming_gradient():
    def fn(L):
        x = leaf(L)
        y = x.sin()
        y.grad_fn.register_prehook(lambda grad_outputs: (grad_outputs[0] * 0 + 1,))
        (y * 5).sum().backward()
        return x.grad
    same(fn)


# ----------------------------------------------------------------------------- memory


def test_saved_values_are_released_after_backward():
    for L in (gg, torch):
        x = leaf(L)
        y = x.exp()
        node = y.grad_fn
        y.sum().backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            node._saved_result if L is torch else node.saved_tensors
    x = leaf(gg)
    node = (x * x).grad_fn
    assert node._saved_checks is not None and len(node.saved_tensors) == 2
    (node_output := x * x).sum().backward()
    node = node_output.grad_fn
    assert node._saved_checks is None and node._freed


def test_saved_tensors_of_a_user_function_after_backward():
    class Square(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    y = Square.apply(leaf(gg))
    assert len(y.grad_fn.saved_tensors) == 1
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.grad_fn.saved_tensors


def test_a_big_intermediate_array_dies_after_backward():
    x = gg.randn(500, 500, requires_grad=True)
    h = x * 2
    ref = weakref.ref(h._data)
    loss = (h * h).sum()          # Mul saves h
    del h
    gc.collect()
    assert ref() is not None      # still needed by the graph
    loss.backward()
    gc.collect()
    assert ref() is None          # released with the saved values


def test_retain_graph_keeps_the_big_intermediate():
    x = gg.randn(300, 300, requires_grad=True)
    h = x.exp()
    ref = weakref.ref(h._data)
    loss = h.sin().sum()          # sin saves its input h
    del h
    loss.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    loss.backward()
    gc.collect()
    assert ref() is None


def test_graph_is_collected_when_the_output_goes_away():
    x = gg.randn(300, 300, requires_grad=True)
    y = (x * 2).exp()
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None


# ----------------------------------------------------------------------------- walk order


@pytest.mark.parametrize("shape", ["chain", "square of a non-leaf", "diamond", "fan-out",
                                   "two outputs of a user Function"])
def test_chains_and_joins_match_torch(shape):
    """The walk runs a lone pending node directly (no heap); joins must still wait for every
    gradient: a node used twice by one operation, a diamond, one tensor used by many."""

    def graph(L):
        x = L.tensor([0.5, -1.0, 2.0], dtype=L.float64, requires_grad=True)
        h = x * 2.0 + 1.0
        if shape == "chain":
            y = (h.tanh() * 3.0).exp()
        elif shape == "square of a non-leaf":
            y = h * h + (h * 0.5).tanh()
        elif shape == "diamond":
            a, b = h.sin(), h.cos()
            y = a * b + h
        elif shape == "fan-out":
            y = sum(h * float(k) for k in range(1, 5)) + h.tanh() * h
        else:
            y = _two_outputs(L)(h) if L is gg else _two_outputs_torch(h)
        y.sum().backward()
        return x.grad.numpy()

    np.testing.assert_allclose(graph(gg), graph(torch), rtol=1e-12)


def _split(L, base):
    class Split(base):
        @staticmethod
        def forward(ctx, h):
            return h * 2.0, h * h

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2.0 + g2 * 0.0

    def apply(h):
        a, b = Split.apply(h)
        return a * 3.0 + b.detach() * 0.0 + a.tanh()
    return apply


def _two_outputs(L):
    return _split(L, gg.autograd.Function)


def _two_outputs_torch(h):
    return _split(torch, torch.autograd.Function)(h)
