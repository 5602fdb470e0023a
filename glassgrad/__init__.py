"""glassgrad: a deep-learning framework on NumPy that speaks PyTorch's language and shows its work.

    import glassgrad as gg
    x = gg.tensor(2.0, requires_grad=True)
    y = x ** 2 + 3 * x + 5
    y.backward()
    x.grad            # tensor(7.)

The public names mirror ``torch``: tensors and their creation functions, the operations, dtypes,
``no_grad``, ``manual_seed``, ``autograd``; ``nn``, ``optim`` and ``utils.data`` follow the same
names as PyTorch's.
"""

from . import _dtype, _tensor_methods, autograd, backends, cuda  # noqa: F401
from ._dtype import (bool, double, dtype, float, float16, float32, float64,  # noqa: A004
                     get_default_dtype, half, int, int8, int16, int32, int64, long,
                     promote_types, result_type, set_default_dtype, short, uint8)
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                                 set_grad_enabled)
from .creation import (arange, as_tensor, asarray, bernoulli, empty, empty_like, eye,
                       from_numpy, full, full_like, linspace, logspace, multinomial, normal,
                       ones, ones_like, rand, rand_like, randint, randint_like, randn,
                       randn_like, randperm, scalar_tensor, tensor, zeros, zeros_like)
from .creation import range  # noqa: A004
from .device import device
from .ops.activation import log_softmax, relu, softmax
from .ops.comparison import (allclose, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, eq,
                             equal, ge, greater, greater_equal, gt, isclose, isfinite, isinf,
                             isnan, le, less, less_equal, logical_and, logical_not, logical_or,
                             logical_xor, lt, ne, not_equal)
from .ops.elementwise import (abs, absolute, add, ceil, clamp, clip, clone, cos, div, divide,
                              exp, expm1, floor, floor_divide, fmod, log, log1p, log2, log10,
                              maximum, minimum, mul, multiply, neg, negative, pow, reciprocal,
                              remainder, round, rsqrt, rsub, sigmoid, sign, sin, sqrt, square,
                              sub, subtract, tan, tanh, true_divide, trunc)
from .ops.indexing import (gather, index_select, masked_fill, masked_select, nonzero,
                           scatter_add, take_along_dim, where)
from .ops.linalg import bmm, dot, inner, matmul, mm, mv, norm, outer
from .ops.reduction import (all, amax, amin, any, argmax, argmin, count_nonzero, cumsum,
                            logsumexp, max, mean, min, prod, std, std_mean, sum, var, var_mean)
from .ops.shape import (broadcast_to, cat, chunk, concat, concatenate, expand_as, flatten, flip,
                        hstack, movedim, narrow, permute, repeat, reshape, split, squeeze, stack,
                        swapaxes, swapdims, t, tile, transpose, unbind, unflatten, unsqueeze,
                        vstack)
from .random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,
                     seed, set_rng_state)
from .serialization import load, save
from .summary import summary
from .tensor import Size, Tensor

_tensor_methods.bind()

__version__ = "0.1.0"

FloatTensor = DoubleTensor = LongTensor = Tensor  # accepted in isinstance checks


def is_tensor(obj):
    """True if ``obj`` is a glassgrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input):
    """The number of elements of ``input``."""
    return input.numel()


def is_floating_point(input):
    """True if ``input`` has a floating-point dtype."""
    return input.is_floating_point()


def detach(input):
    """``input.detach()``."""
    return input.detach()


def set_printoptions(**kwargs):
    """Accepted for compatibility; glassgrad prints with PyTorch's default options."""


def __getattr__(name):
    # Sub-packages a script may reach as attributes after a bare `import glassgrad`.
    import importlib

    if name in ("nn", "optim", "utils", "train", "viz", "linalg"):
        try:
            return importlib.import_module(f"glassgrad.{name}")
        except ModuleNotFoundError as error:
            if error.name == f"glassgrad.{name}":
                raise AttributeError(f"module 'glassgrad' has no attribute '{name}'") from None
            raise
    raise AttributeError(f"module 'glassgrad' has no attribute '{name}'")
