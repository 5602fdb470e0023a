"""User-defined operations (``glassgrad.autograd.Function``) against the same classes written with
``torch.autograd.Function``: ctx, saved tensors, needs_input_grad, non-tensor arguments, several
outputs, mark_non_differentiable, mark_dirty, materialized gradients, differentiable backward
passes, and the errors PyTorch raises for a wrong backward."""

import re

import numpy as np
import pytest
import torch
from parity import assert_same, same, same_error  # noqa: F401

import glassgrad as gg

# ----------------------------------------------------------------------------- helpers


# ----------------------------------------------------------------------------- the functions
# Each ``make_*`` builds the same class on top of either library's Function.


def make_exp(L):
    class Exp(L.autograd.Function):
        """exp, saving its output: d exp(x)/dx = exp(x)."""

        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y
    return Exp


def make_scaled_product(L):
    class ScaledProduct(L.autograd.Function):
        """out = x * y * scale + shift, with non-tensor arguments in between."""

        @staticmethod
        def forward(ctx, x, scale, y, shift=0.0):
            ctx.save_for_backward(x, y)
            ctx.scale = scale
            ctx.seen_needs = tuple(ctx.needs_input_grad)
            return x * y * scale + shift

        @staticmethod
        def backward(ctx, grad):
            x, y = ctx.saved_tensors
            grad_x = grad * y * ctx.scale if ctx.needs_input_grad[0] else None
            grad_y = grad * x * ctx.scale if ctx.needs_input_grad[2] else None
            return grad_x, None, grad_y, None
    return ScaledProduct


def make_split(L):
    class SplitScale(L.autograd.Function):
        """Two outputs: (2x, x^2)."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2, x * x

        @staticmethod
        def backward(ctx, grad_double, grad_square):
            (x,) = ctx.saved_tensors
            ctx.received = (grad_double.clone(), grad_square.clone())
            return grad_double * 2 + grad_square * 2 * x
    return SplitScale


def make_cube(L):
    class Cube(L.autograd.Function):
        """x^3 with a differentiable backward (3x^2 written with tensor operations)."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2
    return Cube


def make_sort_with_indices(L):
    class SortValues(L.autograd.Function):
        """Sorted values (differentiable) and a 0/1 mask marked non-differentiable."""

        @staticmethod
        def forward(ctx, x):
            values = x * 1
            mask = (x > 1).to(x.dtype)
            ctx.mark_non_differentiable(mask)
            return values, mask

        @staticmethod
        def backward(ctx, grad_values, grad_mask):
            return grad_values
    return SortValues


# ----------------------------------------------------------------------------- basics


def test_apply_forward_values_and_gradients():
    def fn(L):
        x = L.tensor([0.0, 1.0, -2.0], requires_grad=True)
        y = make_exp(L).apply(x)
        (y * L.tensor([1.0, 2.0, 3.0])).sum().backward()
        return y, x.grad
    same(fn)


def test_grad_fn_name_repr_and_graph():
    def fn(L):
        x = L.tensor([0.0, 1.0], requires_grad=True)
        y = make_exp(L).apply(x)
        node = y.grad_fn
        child, nr = node.next_functions[0]
        return (node.name(), type(node).__name__,
                re.sub(r"0x[0-9a-f]+", "ADDR", repr(node)).replace("torch.", "glassgrad."),
                re.sub(r"grad_fn=<\w+>", "", repr(y)).replace("torch.", "glassgrad."),
                child.variable is x, nr, len(node.next_functions))
    ours, theirs = fn(gg), fn(torch)
    assert ours[0] == theirs[0] == "ExpBackward"
    assert ours[2] == theirs[2]
    assert ours[3:] == theirs[3:]


def test_output_requires_grad_only_when_an_input_does():
    def fn(L):
        Exp = make_exp(L)
        plain = Exp.apply(L.tensor([1.0]))
        with L.no_grad():
            off = Exp.apply(L.tensor([1.0], requires_grad=True))
        tracked = Exp.apply(L.tensor([1.0], requires_grad=True))
        return (plain.requires_grad, plain.grad_fn, off.requires_grad, off.grad_fn,
                tracked.requires_grad)
    same(fn)


def test_forward_runs_without_recording():
    def fn(L):
        class Probe(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mode = L.is_grad_enabled()
                inner = x * 2
                ctx.inner_requires_grad = inner.requires_grad
                return inner

            @staticmethod
            def backward(ctx, grad):
                ctx.backward_mode = L.is_grad_enabled()
                return grad * 2
        x = L.tensor([1.0], requires_grad=True)
        y = Probe.apply(x)
        y.sum().backward()
        node = y.grad_fn
        return node.mode, node.inner_requires_grad, node.backward_mode, x.grad
    same(fn)


# ----------------------------------------------------------------------------- ctx


def test_non_tensor_arguments_and_needs_input_grad():
    def fn(L):
        F = make_scaled_product(L)
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = L.tensor([3.0, 4.0])
        out = F.apply(x, 2.5, y, 1.0)
        out.sum().backward()
        node = out.grad_fn
        return (out, x.grad, y.grad, node.seen_needs, tuple(node.needs_input_grad),
                len(node.next_functions), node.next_functions[1])
    same(fn)


def test_both_tensor_arguments_get_gradients():
    def fn(L):
        F = make_scaled_product(L)
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = L.tensor([3.0, -4.0], requires_grad=True)
        (F.apply(x, -1.5, y) ** 2).sum().backward()
        return x.grad, y.grad
    same(fn)


def test_saved_tensors_are_the_inputs_and_outputs():
    for L in (gg, torch):
        class Keep(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                out = x * y
                ctx.save_for_backward(x, out, None)
                return out

            @staticmethod
            def backward(ctx, grad):
                return grad, grad

        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = L.tensor([3.0, 4.0])
        out = Keep.apply(x, y)
        saved_x, saved_out, nothing = out.grad_fn.saved_tensors
        assert saved_x is x and nothing is None
        assert saved_out.tolist() == out.tolist()


def test_attributes_on_ctx_survive_until_backward():
    def fn(L):
        class Power(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, n):
                ctx.n = n
                ctx.save_for_backward(x)
                return x ** n

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * ctx.n * x ** (ctx.n - 1), None
        x = L.tensor([1.5, -2.0], requires_grad=True)
        Power.apply(x, 4).sum().backward()
        return x.grad
    same(fn)


def test_default_arguments_of_forward():
    def fn(L):
        class Shift(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, amount=1.0):
                return x + amount

            @staticmethod
            def backward(ctx, grad):
                return grad, None
        x = L.tensor([1.0], requires_grad=True)
        return Shift.apply(x, 3.0), Shift.apply(x)
    same(fn)


# ----------------------------------------------------------------------------- several outputs


def test_multiple_outputs_share_one_node():
    def fn(L):
        x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
        double, square = make_split(L).apply(x)
        (double * square).sum().backward()
        return double, square, double.grad_fn is square.grad_fn, x.grad
    same(fn)


def test_unused_output_gets_a_zero_gradient():
    def fn(L):
        x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
        double, square = make_split(L).apply(x)
        double.sum().backward()
        return x.grad, double.grad_fn.received
    same(fn)


def test_set_materialize_grads_false_passes_none():
    def fn(L):
        class Two(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x.clone(), x.clone()

            @staticmethod
            def backward(ctx, ga, gb):
                ctx.got_none = gb is None
                return ga
        x = L.tensor([1.0, 2.0], requires_grad=True)
        a, b = Two.apply(x)
        a.sum().backward()
        return a.grad_fn.got_none, x.grad
    same(fn)


def test_mark_non_differentiable():
    def fn(L):
        x = L.tensor([0.5, 2.0, 3.0], requires_grad=True)
        values, mask = make_sort_with_indices(L).apply(x)
        (values * 3).sum().backward()
        return values.requires_grad, mask.requires_grad, mask.grad_fn, mask, x.grad
    same(fn)


def test_integer_outputs_do_not_require_grad():
    def fn(L):
        class ArgMaxAndValue(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1, x.argmax()

            @staticmethod
            def backward(ctx, grad, grad_index):
                return grad
        x = L.tensor([0.5, 2.0], requires_grad=True)
        value, index = ArgMaxAndValue.apply(x)
        return value.requires_grad, index.requires_grad, index
    same(fn)


def test_mark_dirty_in_place_function():
    def fn(L):
        class AddOneInPlace(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_dirty(x)
                x.add_(1)
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad * 2
        a = L.tensor([1.0, 2.0], requires_grad=True)
        b = a * 3
        out = AddOneInPlace.apply(b)
        (out * out).sum().backward()
        return out is b, b._version, out.grad_fn.name(), out, a.grad
    same(fn)


def test_returning_an_input_unchanged():
    def fn(L):
        class Identity(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad * 5
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = Identity.apply(x)
        y.sum().backward()
        return y is x, x.is_leaf, y.is_leaf, x.grad
    same(fn)


# ----------------------------------------------------------------------------- higher order


def test_differentiable_backward_with_create_graph():
    def fn(L):
        x = L.tensor([1.0, -2.0, 0.5], requires_grad=True)
        y = make_cube(L).apply(x).sum()
        (first,) = L.autograd.grad(y, x, create_graph=True)      # 3x^2
        (second,) = L.autograd.grad(first.sum(), x)              # 6x
        return first, second
    same(fn)


def test_saved_output_in_a_differentiable_backward():
    def fn(L):
        x = L.tensor([0.0, 1.0, -0.5], requires_grad=True)
        y = make_exp(L).apply(x).sum()
        (first,) = L.autograd.grad(y, x, create_graph=True)
        (second,) = L.autograd.grad(first.sum(), x)
        return first, second
    same(fn)


def test_user_function_inside_a_bigger_graph():
    def fn(L):
        x = L.tensor([[0.5, -1.0], [2.0, 0.1]], requires_grad=True)
        w = L.tensor([[1.0, 2.0], [-0.5, 0.25]], requires_grad=True)
        h = make_exp(L).apply(x @ w)
        out = make_cube(L).apply(h.tanh()).sum()
        out.backward()
        return x.grad, w.grad
    same(fn)


def test_once_differentiable_backward_runs_without_recording():
    def fn(L):
        from_module = L.autograd.function.once_differentiable

        class Square(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @from_module
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return 2 * x * grad
        x = L.tensor([1.0, 3.0], requires_grad=True)
        Square.apply(x).sum().backward()
        return x.grad
    same(fn)


def test_gradients_match_glassgrad_built_in_operations():
    x = gg.tensor(np.linspace(-2, 2, 7), requires_grad=True)
    (ours,) = gg.autograd.grad(make_cube(gg).apply(x).sum(), x)
    (built_in,) = gg.autograd.grad((x ** 3).sum(), x)
    np.testing.assert_allclose(ours.numpy(), built_in.numpy(), rtol=1e-12)
    assert gg.autograd.gradcheck(make_cube(gg).apply, (x,))
    assert gg.autograd.gradgradcheck(make_cube(gg).apply, (x,))


# ----------------------------------------------------------------------------- errors


def test_saved_tensor_modified_in_place_raises():
    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 1
        out = make_cube(L).apply(h)
        h.add_(1)
        out.sum().backward()
    with pytest.raises(RuntimeError) as theirs:
        fn(torch)
    with pytest.raises(RuntimeError) as ours:
        fn(gg)
    head = "one of the variables needed for gradient computation has been modified by an " \
           "inplace operation: [glassgrad.FloatTensor [2]], which is output 0 of Add, is at " \
           "version 1; expected version 0 instead."
    assert str(ours.value).startswith(head)
    assert str(theirs.value).replace("torch.", "glassgrad.").startswith(head)


def test_wrong_number_of_gradients():
    def fn(L):
        class TooMany(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad * 2, grad
        TooMany.apply(L.tensor([1.0], requires_grad=True)).sum().backward()
    same_error(fn)

    def too_few(L):
        class TooFew(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, grad):
                return grad
        x = L.tensor([1.0], requires_grad=True)
        TooFew.apply(x, x).sum().backward()
    same_error(too_few)


def test_extra_none_gradients_are_accepted():
    def fn(L):
        class ExtraNone(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad * 2, None, None
        x = L.tensor([1.0], requires_grad=True)
        ExtraNone.apply(x).sum().backward()
        return x.grad
    same(fn)


def test_gradient_of_the_wrong_shape():
    def fn(L):
        class BadShape(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad[:1]
        BadShape.apply(L.tensor([1.0, 2.0], requires_grad=True)).sum().backward()
    same_error(fn)


def test_broadcast_gradient_is_summed_to_the_input_shape():
    def fn(L):
        class Broadcasting(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.expand(3, 2) * 1

            @staticmethod
            def backward(ctx, grad):
                return grad   # shape (3, 2) for an input of shape (2,)
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (Broadcasting.apply(x) * L.tensor([[1.0], [2.0], [3.0]])).sum().backward()
        return x.grad
    same(fn)


def test_gradient_for_a_non_tensor_input_is_an_error():
    def fn(L):
        class GradForNumber(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, grad):
                return grad, grad
        GradForNumber.apply(L.tensor([1.0], requires_grad=True), 2.0).sum().backward()
    same_error(fn)


def test_missing_backward():
    def fn(L):
        class NoBackward(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2
        NoBackward.apply(L.tensor([1.0], requires_grad=True)).sum().backward()
    same_error(fn)


def test_instances_cannot_be_called():
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        make_exp(gg)()(gg.tensor([1.0]))


def test_second_backward_through_a_user_function():
    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = make_exp(L).apply(x).sum()
        y.backward()
        y.backward()
    same_error(fn)


def test_retain_graph_with_a_user_function():
    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = make_exp(L).apply(x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad
    same(fn)
