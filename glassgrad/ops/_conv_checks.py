"""The argument checks of ``conv2d``: PyTorch's errors, in its order, for settings and shapes
that define no convolution, and the normalisation of ``stride``/``padding``/``dilation``."""

import numpy as np

from .._dtype import c_type_name, scalar_type_name


def int_tuple(value, name, size, op="conv2d"):
    """``value`` (an int, or a list/tuple of 1 or ``size`` ints) as a tuple of ``size`` ints."""
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    for position, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, but found element "
                            f"of type {type(item).__name__} at pos {position}")
    if len(items) == 1:
        items = items * size
    if len(items) != size:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {size} "
                           f"values to match the convolution dimensions, but got {name}="
                           f"{[int(i) for i in items]}")
    return tuple(int(i) for i in items)


def check_conv(input, weight, bias, stride, padding, dilation, groups):
    """Raise PyTorch's errors for shapes and settings that define no convolution, in its
    order: the input's kind, the settings, the weight and bias against the input, the sizes,
    the dtypes."""
    x, w = input._data, weight._data
    if x.dtype == np.bool_:
        raise NotImplementedError("\"slow_conv2d_cpu\" not implemented for 'Bool'")
    if x.ndim != 4:
        raise RuntimeError("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got "
                           f"input of size: {list(x.shape)}")
    _check_conv_settings(stride, padding, dilation, groups)
    _check_conv_shapes(x, w, bias, groups)
    _check_conv_reach(x, w, padding, dilation)
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected scalar type {scalar_type_name(x)} but found "
                           f"{scalar_type_name(w)}")
    if bias is not None and bias._data.dtype != x.dtype:
        raise RuntimeError(f"Input type ({c_type_name(x)}) and bias type "
                           f"({c_type_name(bias)}) should be the same")


def _check_conv_settings(stride, padding, dilation, groups):
    if any(p < 0 for pair in padding for p in pair):
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_conv_shapes(x, w, bias, groups):
    """The weight's output channels split into ``groups``, its input channels x ``groups`` the
    input's channels, and one bias per output channel."""
    if w.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {list(w.shape)} instead")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(w.shape)}] instead")
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, expected "
                           f"input{list(x.shape)} to have {w.shape[1] * groups} channels, but "
                           f"got {x.shape[1]} channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != w.shape[0]):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be "
                           f"1-dimensional with {w.shape[0]} elements, but got bias of size "
                           f"{list(bias.shape)} instead")


def _check_conv_reach(x, w, padding, dilation):
    """The (dilated) kernel must fit in the padded input."""
    padded = [x.shape[2 + a] + sum(padding[a]) for a in range(2)]
    reach = [dilation[a] * (w.shape[2 + a] - 1) + 1 for a in range(2)]
    if padded[0] < reach[0] or padded[1] < reach[1]:
        raise RuntimeError(f"Calculated padded input size per channel: ({padded[0]} x "
                           f"{padded[1]}). Kernel size: ({reach[0]} x {reach[1]}). Kernel size "
                           "can't be greater than actual input size")


def conv_padding(padding, kernel, stride, dilation):
    """((top, bottom), (left, right)) from an int, a pair, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [dilation[a] * (kernel[a] - 1) for a in range(2)]
        return tuple((t // 2, t - t // 2) for t in total)  # any odd extra goes bottom/right
    pad = int_tuple(padding, "padding", 2)
    return ((pad[0], pad[0]), (pad[1], pad[1]))
