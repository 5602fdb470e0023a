"""``glassgrad.nn.init``: fill a tensor in place with starting values (as ``torch.nn.init``).

Every function works under ``no_grad`` (so it may change a Parameter that requires grad), returns
the tensor it filled, and draws its random numbers from glassgrad's global generator, or from the
``generator`` it is given: ``glassgrad.manual_seed(0)`` before building a model makes its
initial weights reproducible. (The numbers differ from PyTorch's, whose generator differs.)

The scaled schemes keep the variance of activations about constant from layer to layer:
Xavier/Glorot for tanh-like layers (std = gain * sqrt(2 / (fan_in + fan_out))), Kaiming/He for
ReLU-like layers (std = gain / sqrt(fan)); a uniform draw on [-bound, bound] has std
bound / sqrt(3).
"""

import math
import warnings

import numpy as np

from ..autograd.grad_mode import no_grad
from ..random import numpy_generator

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_", "uniform", "normal", "constant", "eye",
           "dirac", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
           "orthogonal", "sparse"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity: the factor that keeps activations' scale.

    linear, conv*, sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);  selu: 3/4;
    leaky_relu: sqrt(2 / (1 + negative_slope^2)), negative_slope = ``param`` (default 0.01).

    Args:
        nonlinearity (str): the function's name, as in ``torch.nn.functional``.
        param (float, optional): the negative slope of leaky_relu.

    Example:
        >>> glassgrad.nn.init.calculate_gain("leaky_relu", 0.2)
        1.3867504905630728
    """
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with draws from the uniform distribution U(a, b).

    Example:
        >>> glassgrad.nn.init.uniform_(glassgrad.empty(3, 5), -0.1, 0.1)
    """
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with draws from the normal distribution N(mean, std^2).

    Example:
        >>> glassgrad.nn.init.normal_(glassgrad.empty(3, 5), std=0.02)
    """
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with draws from N(mean, std^2) truncated to [a, b] (redrawn until inside).

    When [a, b] holds more than 30% of the normal's mass, out-of-range normal draws are redrawn;
    otherwise uniform proposals on [a, b] are accepted with probability
    exp(-(x - mean)^2 / (2 std^2)) / peak, as PyTorch does (fast for far tails).

    Example:
        >>> w = glassgrad.nn.init.trunc_normal_(glassgrad.empty(1000), std=0.02, a=-0.04, b=0.04)
        >>> bool((w.abs() <= 0.04).all())
        True
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    gen = numpy_generator(generator)
    shape = tuple(tensor.shape)

    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    mass = cdf((b - mean) / std) - cdf((a - mean) / std)
    if mass > 0.3:
        values = mean + std * gen.standard_normal(shape)
        outside = (values < a) | (values > b)
        while outside.any():
            values[outside] = mean + std * gen.standard_normal(int(outside.sum()))
            outside = (values < a) | (values > b)
    else:
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2
        values = np.empty(shape)
        pending = np.ones(shape, dtype=bool)
        while pending.any():
            count = int(pending.sum())
            proposal = gen.uniform(a, b, count)
            log_density = -0.5 * ((proposal - mean) / std) ** 2 - log_peak
            accept = np.log(gen.random(count)) <= log_density
            slots = np.flatnonzero(pending)[accept]
            values.reshape(-1)[slots] = proposal[accept]
            pending.reshape(-1)[slots] = False
    return _write(tensor, np.clip(values, a, b))


def constant_(tensor, val):
    """Fill with the value ``val``.

    Example:
        >>> glassgrad.nn.init.constant_(glassgrad.empty(2, 3), 0.3)
    """
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with 0."""
    with no_grad():
        return tensor.zero_()


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix (ones on the main diagonal, zeros elsewhere);
    a linear layer initialised so passes its inputs through.

    Example:
        >>> glassgrad.nn.init.eye_(glassgrad.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta: a convolution that keeps
    its input channels (in each of ``groups`` groups).

    Example:
        >>> glassgrad.nn.init.dirac_(glassgrad.empty(3, 3, 3, 3)).sum()
        tensor(3.)
    """
    ndim = tensor.ndim
    if ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = sizes[0] // groups
    values = np.zeros(sizes)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min(per_group, sizes[1])):
            values[(g * per_group + d, d) + centre] = 1
    return _write(tensor, values)


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight: in and out features times the receptive field size.

    For a Linear weight (out, in): (in, out); for a conv weight (out, in, k1, k2):
    (in * k1 * k2, out * k1 * k2).
    """
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = 1
    for s in tuple(tensor.shape)[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)).

    Example:
        >>> glassgrad.nn.init.xavier_uniform_(glassgrad.empty(3, 5), gain=5 / 3)
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).

    Example:
        >>> glassgrad.nn.init.xavier_normal_(glassgrad.empty(3, 5))
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan), gain =
    ``calculate_gain(nonlinearity, a)``. (``nn.Linear`` uses a = sqrt(5): bound = 1/sqrt(fan_in).)

    Args:
        a (float): the negative slope of the leaky_relu that follows.
        mode (str): 'fan_in' (keeps the forward pass's scale) or 'fan_out' (the backward's).
        nonlinearity (str): 'relu' or 'leaky_relu' (the default).

    Example:
        >>> glassgrad.nn.init.kaiming_uniform_(glassgrad.empty(3, 5), mode="fan_in")
    """
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std^2), std = gain / sqrt(fan), gain = ``calculate_gain(nonlinearity,
    a)`` (arguments as ``kaiming_uniform_``).

    Example:
        >>> glassgrad.nn.init.kaiming_normal_(glassgrad.empty(3, 5), nonlinearity="relu")
    """
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix times ``gain``: the Q of the QR decomposition of a
    normal random matrix, signs fixed by diag(R). Rows are orthonormal when there are fewer rows
    than columns, columns otherwise; dims after the first are flattened.

    Example:
        >>> w = glassgrad.nn.init.orthogonal_(glassgrad.empty(3, 5))
        >>> bool(((w @ w.T) - glassgrad.eye(3)).abs().max() < 1e-5)
        True
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = numpy_generator(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _write(tensor, gain * q.reshape(tuple(tensor.shape)))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill a 2-D tensor with N(0, std^2) draws and set a fraction ``sparsity`` of each
    column to zero (rows chosen at random).

    Example:
        >>> glassgrad.nn.init.sparse_(glassgrad.empty(10, 3), sparsity=0.5)
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    gen = numpy_generator(generator)
    rows, cols = tuple(tensor.shape)
    values = std * gen.standard_normal((rows, cols))
    num_zeros = math.ceil(sparsity * rows)
    for col in range(cols):
        values[gen.permutation(rows)[:num_zeros], col] = 0
    return _write(tensor, values)


def _write(tensor, values):
    """Copy ``values`` into ``tensor`` in place (under no_grad) and return it."""
    from ..tensor import Tensor

    with no_grad():
        return tensor.copy_(Tensor._make(np.asarray(values).astype(tensor._data.dtype)))


def _make_deprecate(method):
    new_name = method.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return method(*args, **kwargs)

    deprecated_init.__doc__ = f"Deprecated: use ``glassgrad.nn.init.{new_name}``."
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
