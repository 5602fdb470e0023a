"""``glassgrad.autograd.functional``: Jacobians, Hessians and their products with vectors.

For ``y = f(x)`` with ``x`` in R^n and ``y`` in R^m the Jacobian is the m x n matrix

    J[i, j] = dy_i / dx_j.

Reverse mode (``autograd.grad``) gives one *row combination* per backward pass, the
vector-Jacobian product ``v^T J``. With ``v = e_i`` (one-hot at output element ``i``) that is row
``i``, so ``jacobian`` makes m backward passes over one recorded graph. The Hessian of a scalar
``f`` is the Jacobian of its gradient, ``H[i, j] = d^2 f / dx_i dx_j``: ``hessian`` runs
``jacobian`` on a function that returns ``grad f`` computed with ``create_graph=True``.

Products without forming the matrix:

- ``vjp``:  v^T J                        one backward pass;
- ``jvp``:  J u, by the double-vjp trick: g(w) = w^T J is linear in w, so d(g(w) . u)/dw = J u;
- ``vhp``:  v^T H = d(grad f . v)/dx     a backward pass through the backward pass;
- ``hvp``:  H v, the double-vjp trick applied to ``vhp`` (equals ``vhp`` when H is symmetric).

Return structure, shapes and error messages follow ``torch.autograd.functional``: a Tensor when
inputs and outputs are single Tensors, a tuple when one of them is a tuple, a tuple of tuples
(``J[i][j]`` = output i w.r.t. input j) when both are, and each block has shape
``out.shape + in.shape``.
"""

import numpy as np

from .engine import grad as _grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tensor_class():
    from . import function

    return function.Tensor


def _zeros_like(t, requires_grad=False):
    out = _tensor_class()._make(np.zeros(t.shape, dtype=t._data.dtype))
    return out.requires_grad_() if requires_grad else out


# ---------------------------------------------------------------- helpers (as PyTorch's)
def _as_tuple(inp, arg_name, fn_name):
    """(was it a tuple?, the tuple of Tensors), with PyTorch's TypeError for anything else."""
    Tensor = _tensor_class()
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple "
                            f"of Tensors but the {where} has type {type(el)}.")
    return is_tuple, items


def _tuple_postprocess(res, to_unpack):
    """Undo ``_as_tuple``: unwrap one level per input/output that was not a tuple."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph, need_graph):
    """Fresh Tensor objects for the inputs (so captured copies are told apart): a differentiable
    view when the caller wants a graph back to them, else a detached leaf."""
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view_as(inp))
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs, create_graph):
    """Detach results unless a graph was asked for (works on tuples of tuples)."""
    if isinstance(inputs[0], _tensor_class()):
        return inputs if create_graph else tuple(inp.detach() for inp in inputs)
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.size()} but got "
                               f"{el_v.size()}.")


_STRICT_MESSAGES = {
    "hessian": ("The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should ensure "
                "that your function is thrice differentiable and that the hessian depends on the "
                "inputs."),
    "jacobian": ("While computing the hessian, found that the jacobian of the user-provided "
                 "function with respect to input {i} is independent of the input. This is not "
                 "allowed in strict mode. You should ensure that your function is twice "
                 "differentiable and that the jacobian depends on the inputs (this would be "
                 "violated by a linear function for example)."),
    "grad_inputs": ("The gradient with respect to input {i} is independent of the inputs of the "
                    "user-provided function. This is not allowed in strict mode."),
    "outputs": ("Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when running "
                "in strict mode."),
}


def _check_requires_grad(inputs, input_type, strict):
    """In strict mode, refuse outputs (or gradients) that do not depend on the inputs."""
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input "
                               f"{i}. This is not allowed in strict mode.")
        if not inp.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[input_type].format(i=i))


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` that skips outputs without a graph (None for every input if none has)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _grad([o for o, _ in pairs], list(inputs), [g for _, g in pairs], allow_unused=True,
                 create_graph=create_graph, retain_graph=retain_graph)


_FILL_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
            "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} "
                         "in the grad_jacobian. This is not allowed in strict mode as it prevents "
                         "from using the double backward trick to replace forward mode AD.",
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    """Replace a missing gradient by zeros (the true value), or raise in strict mode."""
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_FILL_MESSAGES[stage].format(i=i))
            g = _zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input "
                               f"{i}. This is not allowed in strict mode when create_graph=True.")
        res.append(g)
    return tuple(res)


def _prepare_v(v, refs, is_refs_tuple, create_graph, fn_name, what):
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, refs, is_refs_tuple)
        return v
    if len(refs) != 1 or refs[0].nelement() != 1:
        raise RuntimeError(f"The vector v can only be None if the {what} a single Tensor with a "
                           "single element.")
    return None


def _scalar_outputs(outputs, fn_name, is_outputs_tuple):
    if is_outputs_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           "contain a single element")


def _finish(outputs, result, is_outputs_tuple, is_result_tuple, create_graph):
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(result, is_result_tuple))


# ---------------------------------------------------------------- products
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Jacobian product ``v^T J`` of ``func`` at ``inputs``: one backward pass.

    ``vjp_j = sum_i v_i dy_i/dx_j``; ``v`` has the outputs' shapes, the result the inputs'.

    Returns:
        (func(inputs), vjp), each a Tensor or a tuple like what it mirrors.

    Example:
        >>> vjp(lambda x: x ** 2, glassgrad.tensor([1.0, 2.0]), glassgrad.ones(2))[1]
        tensor([2., 4.])
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs),
                                              "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        v = _prepare_v(v, outputs, is_outputs_tuple, create_graph, "vjp",
                       "user-provided function returns")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    return _finish(outputs, result, is_outputs_tuple, is_inputs_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Jacobian-vector product ``J v`` (forward mode), by the double-vjp trick.

    With a dummy ``w`` (zeros that require grad), ``g(w) = w^T J`` is linear in ``w``; one more
    backward pass, of ``g`` with vector ``v``, gives ``d(g(w) . v)/dw = J v``. ``v`` has the
    inputs' shapes, the result the outputs'.

    Example:
        >>> jvp(lambda x: x ** 2, glassgrad.tensor([1.0, 2.0]), glassgrad.ones(2))[1]
        tensor([2., 4.])
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, "jvp",
                       "input to the user-provided function is")
        is_outputs_tuple, outputs = _as_tuple(func(*inputs),
                                              "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        # the backward pass is linear in w, so w's value never matters (zeros: no inf or nan)
        dummies = tuple(_zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, dummies, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(grad_inputs, dummies, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    return _finish(outputs, result, is_outputs_tuple, is_outputs_tuple, create_graph)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Hessian product ``v^T H`` of a scalar function: ``d(grad f . v)/dx``.

    Example:
        >>> vhp(lambda x: (x ** 3).sum(), glassgrad.tensor([1.0, 2.0]), glassgrad.ones(2))[1]
        tensor([ 6., 12.])
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, "vhp",
                       "input to the user-provided function is")
        is_outputs_tuple, outputs = _as_tuple(func(*inputs),
                                              "outputs of the user-provided function", "vhp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        _scalar_outputs(outputs, "vhp", is_outputs_tuple)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    return _finish(outputs, result, is_outputs_tuple, is_inputs_tuple, create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Hessian-vector product ``H v`` of a scalar function, by the double-vjp trick on
    ``vhp``: ``w^T H`` is linear in ``w``, so ``d((w^T H) . v)/dw = H v``. Equal to ``vhp`` for a
    twice continuously differentiable function (H symmetric), at twice the cost.

    Example:
        >>> hvp(lambda x: (x ** 3).sum(), glassgrad.tensor([1.0, 2.0]), glassgrad.ones(2))[1]
        tensor([ 6., 12.])
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, "hvp",
                       "input to the user-provided function is")
        is_outputs_tuple, outputs = _as_tuple(func(*inputs),
                                              "outputs of the user-provided function", "hvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        _scalar_outputs(outputs, "hvp", is_outputs_tuple)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        dummies = tuple(_zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, dummies, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(double_back, dummies, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")
    return _finish(outputs, result, is_outputs_tuple, is_inputs_tuple, create_graph)


# ---------------------------------------------------------------- full matrices
def _jacobian_rows(out, inputs, create_graph, strict, i):
    """Row by row: for each element k of ``out``, the vjp with the one-hot vector e_k is row k of
    d out/d inputs. Returns one list of rows per input."""
    Tensor = _tensor_class()
    rows = tuple([] for _ in inputs)
    n = out.nelement()
    for k in range(n):
        seed = np.zeros(n, dtype=out._data.dtype)
        seed[k] = 1
        one_hot = Tensor._make(seed.reshape(out.shape))
        vj = _autograd_grad((out,), inputs, (one_hot,), create_graph=create_graph,
                            retain_graph=True)
        for j, (row, g, inp) in enumerate(zip(rows, vj, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is independent "
                                       f"of input {j}. This is not allowed in strict mode.")
                g = _zeros_like(inp)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError("The jacobian of the user-provided function is independent of "
                                   f"input {i}. This is not allowed in strict mode when "
                                   "create_graph=True.")
            row.append(g)
    return rows


def _forward_mode_check(strict, create_graph, vectorize):
    if create_graph:
        raise NotImplementedError(
            "torch.autograd.functional.jacobian: `create_graph=True` and "
            '`strategy="forward-mode"` are not supported together (yet). Please either set '
            '`create_graph=False` or `strategy="reverse-mode"`.')
    if strict:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and `strategy=\"forward-mode\"` "
            "are not supported together (yet). Please either set `strict=False` or "
            '`strategy="reverse-mode"`.')
    if not vectorize:
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
            "only implemented for `vectorize=True`.")


def _jacobian_forward(func, inputs):
    """Column by column: one Jacobian-vector product (double-vjp trick) per input element."""
    Tensor = _tensor_class()
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        inputs = _grad_preprocess(inputs, create_graph=False, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs", "jacobian")
        dummies = tuple(_zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, dummies, create_graph=True)
    jacobian = [[] for _ in outputs]
    for j, inp in enumerate(inputs):
        columns = [[] for _ in outputs]
        for k in range(inp.nelement()):
            seeds = [_zeros_like(x) for x in inputs]
            seeds[j]._data.reshape(-1)[k] = 1
            jv = _autograd_grad(grad_inputs, dummies, tuple(seeds), retain_graph=True)
            for column, g, out in zip(columns, jv, outputs):
                column.append(_zeros_like(out) if g is None else g)
        for block, column, out in zip(jacobian, columns, outputs):
            # columns are stacked along the last axis: d out / d in has shape out + in
            stacked = np.stack([c._data for c in column], axis=-1) if column else \
                np.zeros(out.shape + (0,), dtype=out._data.dtype)
            block.append(Tensor._make(stacked.reshape(out.shape + inp.shape)))
    # lists, not tuples, as PyTorch's forward-mode jacobian returns them
    return _tuple_postprocess(jacobian, (is_outputs_tuple, is_inputs_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: ``J[i][j] = d outputs[i] / d inputs[j]``.

    Reverse mode builds it row by row: for every element k of an output, one backward pass with
    the one-hot vector e_k gives ``e_k^T J``, the k-th row, for all inputs at once. Forward mode
    (``strategy="forward-mode"``, needs ``vectorize=True`` as in PyTorch) builds it column by
    column, one Jacobian-vector product per input element; like PyTorch's, it returns lists
    where reverse mode returns tuples. glassgrad has no vmap, so
    ``vectorize=True`` gives the same numbers with the same loop.

    Args:
        func: a function of Tensors returning a Tensor or a tuple of Tensors.
        inputs (Tensor or tuple of Tensors): the point at which to differentiate.
        create_graph (bool): make the Jacobian differentiable (used by ``hessian``).
        strict (bool): raise if an output does not depend on an input (else zeros).
        vectorize (bool): accepted for PyTorch compatibility (see above).
        strategy (str): ``"reverse-mode"`` (default) or ``"forward-mode"``.

    Shape:
        each block ``J[i][j]`` has shape ``outputs[i].shape + inputs[j].shape``; a Tensor when
        inputs and output are single Tensors, a tuple if either is a tuple, a tuple of tuples if
        both are.

    Example:
        >>> x = glassgrad.tensor([1.0, 2.0])
        >>> jacobian(lambda x: x ** 2, x)            # diag(2x)
        tensor([[2., 0.],
                [0., 4.]])
    """
    from ..ops.shape import stack

    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        _forward_mode_check(strict, create_graph, vectorize)
        return _jacobian_forward(func, inputs)
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs),
                                              "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are "
                "not supported together. Please either set `strict=False` or "
                "`vectorize=False`.")
        jacobian = []
        for i, out in enumerate(outputs):
            rows = _jacobian_rows(out, inputs, create_graph, strict, i)
            jacobian.append(tuple(stack(row, 0).view(out.shape + inp.shape)
                                  for row, inp in zip(rows, inputs)))
        jacobian = _grad_postprocess(tuple(jacobian), create_graph)
        return _tuple_postprocess(jacobian, (is_outputs_tuple, is_inputs_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: ``H[i][j] = d^2 f / d inputs[i] d inputs[j]``.

    It is the Jacobian of the gradient: the inner ``jacobian`` (of the scalar f, i.e. its
    gradient) is taken with ``create_graph=True`` so the outer ``jacobian`` can differentiate it
    again, row by row.

    Args:
        func: a function of Tensors returning a Tensor with one element.
        inputs (Tensor or tuple of Tensors): the point.
        create_graph, strict, vectorize: as in ``jacobian``.
        outer_jacobian_strategy (str): the strategy of the outer Jacobian.

    Shape:
        ``H[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``; a single Tensor for a single
        input, a tuple of tuples for a tuple of inputs.

    Example:
        >>> hessian(lambda x: (x ** 3).sum(), glassgrad.tensor([1.0, 2.0]))   # diag(6x)
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    Tensor = _tensor_class()
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def jac_func(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))
