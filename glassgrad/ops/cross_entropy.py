"""Cross-entropy losses, fused into primitives: cross_entropy, nll_loss (and the binary ones in
``binary_cross_entropy.py``).

``cross_entropy(x, y)`` is ``nll_loss(log_softmax(x), y)``. Written as one primitive it is
faster (one node instead of two, no (N, C) gradient of log_softmax in between) and its gradient
is the short, well-known one: with p = softmax(x) and q the target distribution (a one-hot row
for a class index, scaled by the class weight),

    loss_i = -sum_c q_ic log p_ic,      dloss_i/dx_ic = p_ic sum_k q_ik - q_ic   (= p - onehot).

The log-probabilities are computed as x - max - log(sum e^(x - max)), so logits of +-1e4 give
finite losses and gradients. Classes run along dim 1 (dim 0 for a single sample of shape (C,));
any further dims (d1, d2, ...) are positions, as in image segmentation. In a differentiable
backward pass (``create_graph=True``) softmax is recomputed from x with recorded operations, so
second derivatives come out right.
"""

import numpy as np

from .._dtype import scalar_type_name
from ..autograd.function import Primitive
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor
from ._util import cast
from .activation import LogSoftmax, Softmax
from .loss import check_tensor, resolve_reduction

__all__ = ["cross_entropy", "nll_loss"]

_INT64 = np.dtype(np.int64)
_ROW_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))  # CrossEntropyRows' dtypes


# ----------------------------------------------------------------------------- shared pieces
def _softmax_parts(x, axis, want_p=True):
    """shifted = x - max and log Z = log(sum e^shifted) along ``axis`` (kept as size 1), so that
    log p = shifted - log Z; and p = e^shifted / Z itself if wanted. The hot path of training:
    each (N, C) temporary costs, so p is divided in place and log p left to the caller."""
    shifted = x - x.max(axis=axis, keepdims=True)
    p = np.exp(shifted)
    total = p.sum(axis=axis, keepdims=True)
    if want_p:
        p /= total
    return shifted, np.log(total), p if want_p else None


def _reduced(losses, reduction, denominator):
    """The forward's result: the losses ('none'), their sum, or their sum / ``denominator``."""
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "mean":  # nothing counted (every target ignored): nan, as PyTorch
        total = total / denominator if denominator else total * np.nan
    return np.asarray(total, dtype=losses.dtype)


def _sample_grad(g, ctx):
    """The upstream gradient of each sample's loss, broadcastable against (N, C, ...):
    g / denominator for 'mean' (0 when nothing counted, as PyTorch), g for 'sum', and g per
    sample with the class axis re-inserted for 'none'."""
    if ctx.reduction == "mean":
        return g / ctx.denominator if ctx.denominator else g * 0.0
    if ctx.reduction == "none":
        return _unsqueeze(g, ctx.axis)
    return g


def _unsqueeze(a, axis):
    """``a`` with a new axis of size 1 at ``axis`` (``np.expand_dims`` without its checks)."""
    return a.reshape(a.shape[:axis] + (1,) + a.shape[axis:])


def _picked(values, index, axis):
    """values[i, index_i] for every sample i: the entries of the target classes."""
    if values.ndim == 2 and axis == 1:  # a batch of rows: one fancy index
        return values[np.arange(values.shape[0]), index[:, 0]]
    return np.take_along_axis(values, index, axis).squeeze(axis)


def _one_hot(shape, index, axis, dtype):
    hot = np.zeros(shape, dtype=dtype)
    np.put_along_axis(hot, index, 1, axis)
    return hot


def _subtract_at_targets(grad, amount, index, axis):
    """grad[i, index_i] -= amount_i: in place on an array, as a recorded product on a Tensor."""
    if isinstance(grad, Tensor):
        return grad - amount * _one_hot(grad.shape, index, axis, grad._data.dtype)
    if grad.ndim == 2 and axis == 1:  # a batch of rows: each row's entry once
        grad[np.arange(grad.shape[0]), index[:, 0]] -= amount[:, 0]
        return grad
    current = np.take_along_axis(grad, index, axis)
    np.put_along_axis(grad, index, current - amount, axis)
    return grad


def _targets(x, target, weight, ignore_index, axis):
    """The target class of each sample as an index array (ignored samples point at class 0), and
    w_i: the weight of sample i's class, 0 for an ignored sample."""
    counted = target != ignore_index
    index = _unsqueeze(np.where(counted, target, 0), axis)
    picked = counted if weight is None else weight[index.squeeze(axis)] * counted
    return index, counted, picked.astype(x.dtype)


def _class_shape(weight, ndim, axis):
    """``weight`` (C,) shaped to broadcast along the class axis of an ndim-d input."""
    shape = [1] * ndim
    shape[axis] = -1
    return weight.reshape(shape)


# ----------------------------------------------------------------------------- primitives
class CrossEntropy(Primitive):
    """loss_i = -(1 - s) w_yi log p_i,yi - (s / C) sum_c w_c log p_ic   (p = softmax(x_i),
    y_i the class index, w the class weights, s the label smoothing; 0 for an ignored sample);
    dloss_i/dx_i = p_i m_i - q_i, with q_i the smoothed, weighted one-hot row and m_i its sum.

    Fused log_softmax + nll_loss, for speed and numerical stability.
    """

    _holds_arrays = True  # target indices and softmax on ctx, dropped after backward

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, smoothing, reduction, axis):
        shifted, log_z, p = _softmax_parts(x, axis, want_p=ctx.needs_input_grad[0])
        index, counted, picked = _targets(x, target, weight, ignore_index, axis)
        losses = -picked * _picked(shifted, index, axis) + picked * log_z.squeeze(axis)
        mass = picked
        spread = None  # (s / C) w_c for each counted sample: the smoothing part of q
        if smoothing > 0:
            classes = x.shape[axis]
            w = np.ones(classes, x.dtype) if weight is None else weight
            spread = (smoothing / classes) * _class_shape(w, x.ndim, axis) \
                * _unsqueeze(counted, axis).astype(x.dtype)
            spread_mass = spread.sum(axis=axis)  # sum_c spread_c log p_c, without log p:
            smooth = (spread * shifted).sum(axis=axis) - spread_mass * log_z.squeeze(axis)
            losses = (1 - smoothing) * losses - smooth
            mass = (1 - smoothing) * picked + spread_mass
        denominator = float(picked.sum())
        ctx.axis, ctx.reduction, ctx.denominator = axis, reduction, denominator
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x)
            ctx.p, ctx.index, ctx.spread = p, index, spread
            ctx.mass = _unsqueeze(mass, axis)
            ctx.hit = _unsqueeze((1 - max(smoothing, 0.0)) * picked, axis)
        return _reduced(losses, reduction, denominator)

    @staticmethod
    def backward(ctx, g):
        g = _sample_grad(g, ctx)
        if isinstance(g, Tensor):  # differentiable pass: softmax recorded from x
            (x,) = ctx.saved_tensors
            p = Softmax.apply(x, dim=ctx.axis)
        else:
            p = ctx.p
        grad = p * (g * ctx.mass)  # p_i m_i ...
        if ctx.spread is not None:
            grad = grad - g * ctx.spread  # ... minus the smoothing part of q_i ...
        return _subtract_at_targets(grad, g * ctx.hit, ctx.index, ctx.axis), None  # ... and 1-hot


class CrossEntropyRows(CrossEntropy):
    """The usual call, fused further: a batch of rows (N, C), one class index per row, no class
    weights, no smoothing, no target ignored, 'mean' or 'sum'. Then every sample counts once and

        sum_i loss_i = sum_i log Z_i - sum_i s_i,yi      (s = x - max, Z_i = sum_c e^s_ic)
        dloss/dx = (p - onehot(y)) g / N   ('mean'; g for 'sum')

    with no per-sample weights, masks or (N, 1) temporaries: the forward is eight NumPy calls and
    the backward two, where the general ``CrossEntropy`` makes about thirty (each costs a
    microsecond or more on a small batch: the loss was a tenth of a training step's time).
    Both sums are of non-negative terms, so subtracting them loses no precision. The node is
    the general one's (same name, same differentiable backward for ``create_graph``).
    """

    @staticmethod
    def forward(ctx, x, target, reduction):
        shifted = x - np.maximum.reduce(x, axis=1, keepdims=True)
        p = np.exp(shifted)
        total = np.add.reduce(p, axis=1, keepdims=True)
        rows = np.arange(x.shape[0])
        loss = np.add.reduce(np.log(total), axis=None) - np.add.reduce(shifted[rows, target])
        denominator = float(x.shape[0])
        if reduction == "mean":
            loss = loss / denominator
        if ctx.needs_input_grad[0]:
            p /= total
            ctx.save_for_backward(x)
            ctx.p, ctx.rows, ctx.target = p, rows, target
            ctx.reduction, ctx.denominator = reduction, denominator
        return np.asarray(loss, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        scale = g / ctx.denominator if ctx.reduction == "mean" else g
        if isinstance(g, Tensor):  # differentiable pass: softmax recorded from x
            (x,) = ctx.saved_tensors
            hot = _one_hot(x.shape, ctx.target[:, None], 1, x._data.dtype)
            return Softmax.apply(x, dim=1) * scale - scale * hot
        grad = ctx.p * scale
        grad[ctx.rows, ctx.target] -= scale
        return grad

    def name(self):
        return "CrossEntropyBackward0"


def _rows_fast_path(input, target, weight, ignore_index, reduction, label_smoothing):
    """The class-index array if the call fits ``CrossEntropyRows`` (every target a class in
    [0, C), so none is ignored), else None. Two reductions (min, max) check the targets here,
    where the general path's checks make four comparisons and an ``any``."""
    x, t = input._data, target._data
    if (weight is not None or label_smoothing != 0 or reduction == "none" or x.ndim != 2
            or t.ndim != 1 or t.dtype is not _INT64 or x.dtype not in _ROW_FLOATS
            or t.shape[0] != x.shape[0]
            or not t.shape[0]):
        return None
    classes = x.shape[1]
    if 0 <= ignore_index < classes:  # a target might equal it: the general path decides
        return None
    if np.minimum.reduce(t) < 0 or np.maximum.reduce(t) >= classes:
        return None  # the general path raises PyTorch's error
    return t


class CrossEntropyProbs(Primitive):
    """loss_i = -sum_c w_c q_ic log p_ic with q = (1 - s) t + s / C (t the target
    probabilities); dloss_i/dx_i = p_i sum_c(w_c q_ic) - w q_i, dloss_i/dt_ic = -(1 - s) w_c
    log p_ic. Fused for speed and numerical stability, like ``CrossEntropy``."""

    _holds_arrays = True  # softmax, log-softmax and class weights on ctx

    @staticmethod
    def forward(ctx, x, t, weight, smoothing, reduction, axis):
        log_p, log_z, p = _softmax_parts(x, axis)
        log_p -= log_z  # in place: shifted becomes log p
        q = _smoothed(t, smoothing, x.shape[axis], weight)
        losses = -(q * log_p).sum(axis=axis)
        denominator = float(x.size // x.shape[axis]) if x.size else 0.0
        ctx.axis, ctx.reduction, ctx.denominator = axis, reduction, denominator
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.smoothing, ctx.weight = smoothing, weight
            ctx.save_for_backward(x, t)
            ctx.p, ctx.log_p = p, log_p
        return _reduced(losses, reduction, denominator)

    @staticmethod
    def backward(ctx, g):
        g = _sample_grad(g, ctx)
        x, t = ctx.saved_tensors
        graph = isinstance(g, Tensor)
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            q = _smoothed(t, ctx.smoothing, x.shape[ctx.axis], ctx.weight)
            p = Softmax.apply(x, dim=ctx.axis) if graph else ctx.p
            grad_x = g * (p * q.sum(axis=ctx.axis, keepdims=True) - q)
        if ctx.needs_input_grad[1]:
            log_p = LogSoftmax.apply(x, dim=ctx.axis) if graph else ctx.log_p
            grad_t = -(1 - max(ctx.smoothing, 0.0)) * g * log_p
            if ctx.weight is not None:
                grad_t = grad_t * ctx.weight
        return grad_x, grad_t


def _smoothed(t, smoothing, classes, weight):
    """The target distribution after label smoothing, times the class weights (broadcast)."""
    q = t if smoothing <= 0 else t * (1 - smoothing) + smoothing / classes
    return q if weight is None else q * weight


class NllLoss(Primitive):
    """loss_i = -w_yi x_i,yi (0 for an ignored sample);  dloss_i/dx_ic = -w_yi where c = y_i,
    else 0. ``x`` holds log-probabilities (from ``log_softmax``)."""

    _holds_arrays = True  # target indices on ctx, dropped after backward

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, axis):
        index, _, picked = _targets(x, target, weight, ignore_index, axis)
        losses = -picked * _picked(x, index, axis)
        denominator = float(picked.sum())
        ctx.axis, ctx.reduction, ctx.denominator = axis, reduction, denominator
        ctx.shape, ctx.index, ctx.hit = x.shape, index, _unsqueeze(picked, axis)
        return _reduced(losses, reduction, denominator)

    @staticmethod
    def backward(ctx, g):
        g = _sample_grad(g, ctx)
        coefficients = np.zeros(ctx.shape, dtype=ctx.hit.dtype)
        np.put_along_axis(coefficients, ctx.index, -ctx.hit, ctx.axis)
        return g * coefficients, None


# ----------------------------------------------------------------------------- checks
def check_class_targets(input, target, weight, ignore_index, op):
    """PyTorch's checks of class-index targets, in its order; returns the targets as an int64
    array (0-d for an input of shape (C,)) and the class weights' array (or None)."""
    _check_target_shape(input, target)
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{scalar_type_name(target)}")
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    weights = None if weight is None else _class_weights(input, weight, classes, op)
    labels = target._data.astype(np.int64).reshape(() if input.ndim == 1 else target.shape)
    wrong = (labels < 0) | (labels >= classes)
    if ignore_index is not None:
        wrong &= labels != ignore_index
    if wrong.any():
        raise IndexError(f"Target {labels[wrong].flat[0]} is out of bounds.")
    return labels, weights


def _check_target_shape(input, target):
    """The target's shape against the input's: (N,) for (N, C), (N, d1, ...) for (N, C, d1,
    ...), one value for (C,); PyTorch's message for each way it can be wrong."""
    ndim, shape, tshape = input.ndim, tuple(input.shape), tuple(target.shape)
    if ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {ndim})")
    if ndim != 1 and shape[0] != (tshape[0] if tshape else 0):
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size "
                         f"({tshape[0] if tshape else 0}).")
    if ndim <= 2:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if ndim == 1 and tshape not in ((), (1,)):
            raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                             f"{tshape[0]}")
    elif ndim == 4 and target.ndim != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {target.ndim}")
    elif ndim == 4 and tshape != shape[:1] + shape[2:]:
        raise RuntimeError(f"size mismatch (got input: {list(shape)} , target: {list(tshape)}")
    elif tshape != shape[:1] + shape[2:]:
        raise RuntimeError(f"Expected target size {list(shape[:1] + shape[2:])}, got "
                           f"{list(tshape)}")


def _class_weights(input, weight, classes, op):
    """The per-class weights' array, after PyTorch's checks (one per class, the input's dtype,
    no gradient wanted)."""
    if weight.ndim != 1 or weight.numel() != classes:
        raise RuntimeError(
            f"weight tensor should be defined either for all {classes} classes or no classes"
            f" but got weight tensor of shape: {list(weight.shape)}" if input.ndim <= 2 else
            "weight tensor should be defined either for all or no classes")
    if weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {scalar_type_name(input)} but found "
                           f"{scalar_type_name(weight)}")
    if weight.requires_grad and GradMode.enabled:
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to "
                           "argument 'weight'. This input cannot have requires_grad True.")
    return weight._data


def _floating_input(input, kernel):
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{scalar_type_name(input)}\'')


def _check_smoothing(label_smoothing):
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing:g}")


# ----------------------------------------------------------------------------- functions
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy between the softmax of logits and target classes (or class probabilities).

    With p_i = softmax(x_i) over the classes and target class y_i:
        loss_i = -w_yi log p_i,yi                       (class indices)
        loss_i = -sum_c w_c t_ic log p_ic               (class probabilities t_i, input's shape)
    Label smoothing s mixes the target with the uniform distribution: (1 - s) target + s / C.
    'mean' divides by sum_i w_yi over the counted samples (indices) or by the sample count
    (probabilities). dloss_i/dx_i = p_i - onehot(y_i) for the plain case: one fused primitive,
    for speed and for stability at large logits (see the module's docstring).

    Args:
        input (Tensor): unnormalised logits.
        target (Tensor): int64 (or uint8) class indices, or float class probabilities.
        weight (Tensor, optional): a weight per class, shape (C,).
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        ignore_index (int): a target value that counts for nothing (indices only; default -100).
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').
        label_smoothing (float): s in [0, 1] (default 0).

    Shape:
        input (C), (N, C) or (N, C, d1, ..., dk); target () / (N) / (N, d1, ..., dk) for
        indices, input's shape for probabilities; the result is a scalar, or the target's
        shape without C for 'none'.

    Example:
        >>> x = glassgrad.tensor([[2.0, 0.5, -1.0]])
        >>> F.cross_entropy(x, glassgrad.tensor([0]))
        tensor(0.2413)
    """
    check_tensor(input, "input", "cross_entropy")
    check_tensor(target, "target", "cross_entropy")
    reduction = resolve_reduction(size_average, reduce, reduction)
    if input._data.shape == target._data.shape:
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing)
    labels = _rows_fast_path(input, target, weight, ignore_index, reduction, label_smoothing)
    if labels is not None:
        return CrossEntropyRows.apply(input, target=labels, reduction=reduction)
    labels, weights = check_class_targets(input, target, weight, ignore_index,
                                           "nll_loss_forward")
    _floating_input(input, "log_softmax_lastdim_kernel_impl")
    if label_smoothing > 0:
        _check_smoothing(label_smoothing)
    return CrossEntropy.apply(input, target=labels, weight=weights, ignore_index=ignore_index,
                              smoothing=float(label_smoothing), reduction=reduction,
                              axis=0 if input.ndim == 1 else 1)


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing):
    if target._data.dtype.kind != "f":
        raise RuntimeError("Expected floating point type for target with class probabilities, "
                           f"got {scalar_type_name(target)}")
    if input.ndim == 0:
        raise IndexError("Dimension specified as 1 but tensor has no dimensions")
    _floating_input(input, "log_softmax_lastdim_kernel_impl")
    axis = 0 if input.ndim == 1 else 1
    classes = input.shape[axis]
    if weight is not None and (weight.ndim != 1 or weight.numel() != classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                           f"{classes} classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    if label_smoothing > 0:
        _check_smoothing(label_smoothing)
    dtype = np.result_type(input._data.dtype, target._data.dtype)
    weights = None
    if weight is not None:
        weights = _class_shape(weight._data.astype(dtype, copy=False), input.ndim, axis)
    return CrossEntropyProbs.apply(cast(input, dtype), cast(target, dtype), weight=weights,
                                   smoothing=float(label_smoothing), reduction=reduction,
                                   axis=axis)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of the target classes, given log-probabilities.

    loss_i = -w_yi x_i,yi, with x_i = log p_i (e.g. from ``log_softmax``) and y_i the target
    class; 'mean' divides the sum by sum_i w_yi over the counted samples. The gradient is
    -w_yi at the target class and 0 elsewhere. ``nll_loss(log_softmax(x, 1), y)`` equals
    ``cross_entropy(x, y)``.

    Args:
        input (Tensor): log-probabilities.
        target (Tensor): int64 (or uint8) class indices in [0, C).
        weight (Tensor, optional): a weight per class, shape (C,).
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        ignore_index (int): a target value that counts for nothing (default -100).
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').

    Shape:
        input (C), (N, C) or (N, C, d1, ..., dk); target () / (N) / (N, d1, ..., dk); the
        result is a scalar, or the target's shape for 'none'.

    Example:
        >>> log_p = glassgrad.tensor([[0.1, 0.7, 0.2]]).log()
        >>> F.nll_loss(log_p, glassgrad.tensor([1]))
        tensor(0.3567)
    """
    check_tensor(input, "input", "nll_loss")
    check_tensor(target, "target", "nll_loss")
    reduction = resolve_reduction(size_average, reduce, reduction)
    labels, weights = check_class_targets(input, target, weight, ignore_index,
                                           "nll_loss_forward")
    _floating_input(input, "nll_loss_out_frame")
    return NllLoss.apply(input, target=labels, weight=weights, ignore_index=ignore_index,
                         reduction=reduction, axis=0 if input.ndim == 1 else 1)
