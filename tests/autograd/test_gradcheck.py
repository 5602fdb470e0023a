"""gradcheck / gradgradcheck: pass on correct gradients, fail on wrong ones, as torch's do."""

import inspect
import warnings

import numpy as np
import pytest
import torch

import glassgrad as gg
from glassgrad.autograd.gradcheck import GradcheckError

RNG = np.random.default_rng(0)


def double(*shape, requires_grad=True):
    return gg.tensor(RNG.standard_normal(shape), requires_grad=requires_grad)


class Exp(gg.autograd.Function):
    """A correct user Function: d exp(x)/dx = exp(x)."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class WrongExp(Exp):
    """A deliberately wrong backward: twice the true gradient."""

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * 2


class FirstOrderOnlySquare(gg.autograd.Function):
    """Right first derivative (2x), but computed from a detached x, so its own derivative (the
    second derivative of x^2, 2) is lost: gradcheck passes, gradgradcheck must not."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x.detach()


CORRECT = [
    ("tanh", lambda x: x.tanh(), [(3,)]),
    ("mul broadcast", lambda a, b: a * b, [(2, 3), (3,)]),
    ("matmul", lambda a, b: a @ b, [(2, 3), (3, 4)]),
    ("tuple outputs", lambda x: (x.sin(), (x * x).sum()), [(4,)]),
    ("user Function", lambda x: Exp.apply(x), [(3,)]),
    ("softmax", lambda x: x.softmax(-1), [(2, 3)]),
]


@pytest.mark.parametrize("name,f,shapes", CORRECT, ids=[c[0] for c in CORRECT])
def test_correct_gradients_pass(name, f, shapes):
    inputs = tuple(double(*s) for s in shapes)
    assert gg.autograd.gradcheck(f, inputs) is True
    assert gg.autograd.gradgradcheck(f, inputs) is True


def test_single_tensor_input_and_non_tensor_arguments():
    x = double(3)
    assert gg.autograd.gradcheck(lambda a, k: a * k, (x, 3.0))
    assert gg.autograd.gradcheck(lambda a: a.exp(), x)


def test_wrong_backward_raises():
    x = double(3)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to "
                                             "input 0"):
        gg.autograd.gradcheck(WrongExp.apply, (x,))
    assert issubclass(GradcheckError, RuntimeError)
    assert gg.autograd.gradcheck(WrongExp.apply, (x,), raise_exception=False) is False


def test_wrong_second_derivative_caught_by_gradgradcheck_only():
    x = double(3)
    assert gg.autograd.gradcheck(FirstOrderOnlySquare.apply, (x,))
    with pytest.raises(GradcheckError):
        gg.autograd.gradgradcheck(FirstOrderOnlySquare.apply, (x,))
    assert gg.autograd.gradgradcheck(FirstOrderOnlySquare.apply, (x,),
                                     raise_exception=False) is False


def test_given_grad_outputs():
    x = double(3)
    v = double(3)
    assert gg.autograd.gradgradcheck(lambda a: a.tanh() * a, (x,), (v,))


def test_float32_inputs_warn():
    x = gg.randn(3, requires_grad=True)  # float32
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double "
                                         "precision floating point"):
        assert gg.autograd.gradcheck(lambda a: a * 2, (x,), eps=1e-2, atol=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gg.autograd.gradcheck(lambda a: a * 2, (double(3),))  # float64: no warning


def test_no_input_requires_grad():
    message = "gradcheck expects at least one input tensor to require gradient"
    with pytest.raises(ValueError, match=message):
        gg.autograd.gradcheck(lambda a: a * 2, (double(3, requires_grad=False),))
    with pytest.raises(ValueError, match=message):
        torch.autograd.gradcheck(lambda a: a * 2, (torch.ones(3, dtype=torch.float64),))


def test_outputs_without_graph_like_torch():
    # no differentiable output: the numerical Jacobian must be zero
    for lib, x in ((gg, double(3)), (torch, torch.randn(3, dtype=torch.float64,
                                                       requires_grad=True))):
        with pytest.raises(RuntimeError,  # GradcheckError in both
                           match="Numerical gradient for function expected to be zero"):
            lib.autograd.gradcheck(lambda a: a.detach() * 2, (x,))
        assert lib.autograd.gradcheck(lambda a: a.detach().sum() * 0, (x,))
        # an output without graph next to a differentiable one is not checked
        assert lib.autograd.gradcheck(lambda a: (a * 2, a.detach() * 3), (x,))


def test_non_contiguous_input():
    x = gg.tensor(RNG.standard_normal((3, 2))).t().requires_grad_()
    assert not x.is_contiguous()
    assert gg.autograd.gradcheck(lambda a: (a * a).sum(1), (x,))
    with pytest.raises(GradcheckError):
        gg.autograd.gradcheck(WrongExp.apply, (x,))


@pytest.mark.parametrize("name", ["gradcheck", "gradgradcheck"])
def test_signature_matches_torch(name):
    ours = inspect.signature(getattr(gg.autograd, name)).parameters
    theirs = inspect.signature(getattr(torch.autograd, name)).parameters
    assert list(ours) == list(theirs)
    for key, param in theirs.items():
        assert ours[key].kind == param.kind, key
        assert ours[key].default == param.default or key == "masked", key
