"""Activation layers (as ``torch.nn.modules.activation``): thin Modules around the functions of
``glassgrad.nn.functional``, holding their configuration and printing it like PyTorch."""

from ...ops import activation as A
from ...ops.unary import sigmoid, tanh
from ..module import Module

__all__ = ["ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus", "Softmax",
           "LogSoftmax", "Hardtanh", "ReLU6"]


def _inplace_text(inplace, first=False):
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class ReLU(Module):
    """Applies max(x, 0) element-wise.

    ReLU(x) = max(x, 0).

    Args:
        inplace (bool): overwrite the input (default False).

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.nn.ReLU()(glassgrad.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return A.relu(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_text(self.inplace, first=True)


class LeakyReLU(Module):
    """Applies x for x > 0 and negative_slope * x otherwise.

    LeakyReLU(x) = max(0, x) + negative_slope * min(0, x).

    Args:
        negative_slope (float): the slope of the negative side (default 0.01).
        inplace (bool): overwrite the input (default False).

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.nn.LeakyReLU(0.1)(glassgrad.tensor([-2.0, 3.0]))
        tensor([-0.2000,  3.0000])
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return A.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_text(self.inplace)}"


class ELU(Module):
    """Applies the exponential linear unit.

    ELU(x) = x if x > 0 else alpha (e^x - 1).

    Args:
        alpha (float): the negative saturation value (default 1.0).
        inplace (bool): overwrite the input (default False).

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.nn.ELU()(glassgrad.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000])
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return A.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_text(self.inplace)}"


class GELU(Module):
    """Applies the Gaussian error linear unit.

    GELU(x) = x Phi(x), Phi the standard normal CDF; with approximate='tanh',
    x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Args:
        approximate (str): ``'none'`` (default) or ``'tanh'``.

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.nn.GELU()(glassgrad.tensor([1.0]))
        tensor([0.8413])
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return A.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """Applies the sigmoid linear unit (swish).

    SiLU(x) = x sigmoid(x).

    Args:
        inplace (bool): overwrite the input (default False).

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.nn.SiLU()(glassgrad.tensor([1.0]))
        tensor([0.7311])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return A.silu(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_text(self.inplace, first=True)


class Sigmoid(Module):
    """Applies the logistic sigmoid.

    Sigmoid(x) = 1 / (1 + e^-x).

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.nn.Sigmoid()(glassgrad.tensor([0.0]))
        tensor([0.5000])
    """

    def forward(self, input):
        return sigmoid(input)


class Tanh(Module):
    """Applies the hyperbolic tangent.

    Tanh(x) = (e^x - e^-x) / (e^x + e^-x).

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.nn.Tanh()(glassgrad.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input):
        return tanh(input)


class Softplus(Module):
    """Applies a smooth approximation of ReLU.

    Softplus(x) = log(1 + e^(beta x)) / beta, and x itself where beta x > threshold.

    Args:
        beta (float): sharpness (default 1.0).
        threshold (float): where the function turns linear (default 20.0).

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.nn.Softplus()(glassgrad.tensor([0.0]))
        tensor([0.6931])
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """Applies softmax along ``dim``: non-negative values that sum to 1.

    Softmax(x)_i = e^(x_i) / sum_j e^(x_j).

    Args:
        dim (int): the dim along which the values sum to 1.

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.nn.Softmax(dim=0)(glassgrad.tensor([1.0, 1.0]))
        tensor([0.5000, 0.5000])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return A.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Applies log(softmax(x)) along ``dim``, computed stably.

    LogSoftmax(x)_i = x_i - log(sum_j e^(x_j)).

    Args:
        dim (int): the dim of the softmax.

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.nn.LogSoftmax(dim=0)(glassgrad.tensor([1.0, 1.0]))
        tensor([-0.6931, -0.6931])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return A.log_softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Hardtanh(Module):
    """Clips the input to [min_val, max_val].

    Hardtanh(x) = min(max(x, min_val), max_val).

    Args:
        min_val, max_val (float): the interval (default -1, 1).
        inplace (bool): overwrite the input (default False).

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.nn.Hardtanh()(glassgrad.tensor([-2.0, 0.5]))
        tensor([-1.0000,  0.5000])
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return A.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_text(self.inplace)}"


class ReLU6(Hardtanh):
    """Applies min(max(x, 0), 6).

    ReLU6(x) = min(max(0, x), 6).

    Args:
        inplace (bool): overwrite the input (default False).

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.nn.ReLU6()(glassgrad.tensor([-1.0, 7.0]))
        tensor([0., 6.])
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_text(self.inplace, first=True)
