"""gradcheck: compare autograd's gradients with finite differences.

The seeds' numerical derivative, applied to every input element: nudge one element by +-eps and
watch every output move,

    dy_j/dx_i  ~=  (f(x + eps e_i)_j - f(x - eps e_i)_j) / (2 eps)      (central difference)

This builds the Jacobian column by column. Autograd builds the same Jacobian row by row, one
vector-Jacobian product per output element. The check passes when the two agree within
``atol + rtol * |numerical|``. Use float64 inputs: in float32 the rounding error of the
difference quotient is as large as the tolerance.
"""

import warnings

import numpy as np

from .engine import grad as autograd_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "numerical_jacobian",
           "analytical_jacobian"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical gradients disagree."""


def _tensor_class():
    from ..tensor import Tensor

    return Tensor


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_outputs(func, inputs):
    """The floating-point Tensors ``func`` returns (those that require grad are checked)."""
    Tensor = _tensor_class()
    outputs = _as_tuple(func(*inputs))
    return [o for o in outputs if isinstance(o, Tensor) and o.dtype.is_floating_point]


def numerical_jacobian(func, inputs, eps=1e-6):
    """For each input that requires grad and each output: the Jacobian d(out)/d(in) by central
    differences, as an array of shape (in.numel(), out.numel())."""
    Tensor = _tensor_class()
    outputs = _differentiable_outputs(func, inputs)
    jacobians = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        flat = x._data.flat  # writes through to x's storage, contiguous or not
        columns = [np.zeros((x.numel(), o.numel())) for o in outputs]
        for i in range(x.numel()):
            original = flat[i]
            # grad mode stays on: gradgradcheck's function itself calls autograd.grad
            flat[i] = original + eps
            plus = [o._data.astype(np.float64).reshape(-1) for o in
                    _differentiable_outputs(func, inputs)]
            flat[i] = original - eps
            minus = [o._data.astype(np.float64).reshape(-1) for o in
                     _differentiable_outputs(func, inputs)]
            flat[i] = original
            for column, p, m in zip(columns, plus, minus):
                column[i] = (p - m) / (2 * eps)
        jacobians.append(columns)
    return jacobians


def analytical_jacobian(func, inputs):
    """The same Jacobians from autograd: one backward pass per output element."""
    Tensor = _tensor_class()
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    outputs = _differentiable_outputs(func, inputs)
    jacobians = [[np.zeros((x.numel(), o.numel())) for o in outputs] for x in wrt]
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        for j in range(out.numel()):
            seed = np.zeros(out.numel(), dtype=out._data.dtype)
            seed[j] = 1
            grads = autograd_grad(out, wrt, Tensor._make(seed.reshape(out.shape)),
                                  retain_graph=True, allow_unused=True)
            for i, g in enumerate(grads):
                if g is not None:
                    jacobians[i][k][:, j] = g._data.astype(np.float64).reshape(-1)
    return jacobians


def gradcheck(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """Check autograd's gradients of ``func`` at ``inputs`` against central finite differences.

    Args:
        func: a function of the inputs returning a Tensor or a tuple of Tensors.
        inputs (Tensor or tuple): the point to check at; those with ``requires_grad`` are checked
            (use float64).
        eps (float): the finite-difference step.
        atol, rtol (float): the tolerance, ``|analytical - numerical| <= atol + rtol *
            |numerical|``.
        raise_exception (bool): raise ``GradcheckError`` on a mismatch (else return False).

    Returns:
        True if every gradient agrees.

    Example:
        >>> x = glassgrad.randn(3, dtype=glassgrad.float64, requires_grad=True)
        >>> glassgrad.autograd.gradcheck(glassgrad.tanh, (x,))
        True
    """
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    try:
        return _check_jacobians(func, inputs, eps, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _check_inputs(inputs):
    """At least one input must require grad; warn (as PyTorch) about any that is not float64."""
    Tensor = _tensor_class()
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for index, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.name != "float64":
            warnings.warn(f"Input #{index} requires gradient and is not a double precision "
                          "floating point or complex. This check will likely fail if all the "
                          "inputs are not of double precision floating point or complex. ",
                          stacklevel=3)


def _check_jacobians(func, inputs, eps, atol, rtol):
    """Compare the Jacobians of the outputs that require grad; outputs that do not must have a
    zero numerical Jacobian if no output requires grad (as PyTorch)."""
    checked = [o.requires_grad for o in _differentiable_outputs(func, inputs)]
    numerical = numerical_jacobian(func, inputs, eps)
    if not any(checked):
        if any(np.any(num != 0) for num_x in numerical for num in num_x):
            raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    analytical = analytical_jacobian(func, inputs)
    for i, (num_x, ana_x) in enumerate(zip(numerical, analytical)):
        kept = [(num, ana) for num, ana, c in zip(num_x, ana_x, checked) if c]
        for k, (num, ana) in enumerate(kept):
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                raise GradcheckError(f"Jacobian mismatch for output {k} with respect to input "
                                     f"{i},\nnumerical:{num}\nanalytical:{ana}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-06, atol=1e-05, rtol=0.001,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Check second derivatives: gradcheck applied to the function that returns the
    vector-Jacobian products of ``func`` (computed with ``create_graph=True``).

    ``grad_outputs`` (random when None) are the vectors, and are checked as inputs too.
    """
    Tensor = _tensor_class()
    inputs = _as_tuple(inputs)
    wrt_positions = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if grad_outputs is None:
        # random vectors in [-1, 1) (a local generator: the global one stays untouched)
        rng = np.random.default_rng(0)
        outputs = [o for o in _differentiable_outputs(func, inputs) if o.requires_grad]
        grad_outputs = tuple(
            Tensor._make(rng.uniform(-1, 1, o.shape).astype(o._data.dtype)).requires_grad_()
            for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    count = len(inputs)

    def first_derivatives(*args):
        xs, vs = args[:count], args[count:]
        outs = [o for o in _differentiable_outputs(func, xs) if o.requires_grad]
        wrt = [xs[i] for i in wrt_positions]
        grads = autograd_grad(outs, wrt, list(vs), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
