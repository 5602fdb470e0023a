"""Linear layers: ``Identity``, ``Linear`` (y = x W^T + b) and ``Bilinear``, as in ``torch.nn``."""

import math

from ...creation import empty
from ...ops.linear import bilinear, linear
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Identity", "Linear", "Bilinear"]


class Identity(Module):
    """A placeholder layer that returns its input unchanged (arguments are accepted and ignored).

    y = x

    Example:
        >>> glassgrad.nn.Identity(54, unused="argument")(glassgrad.ones(2, 3)).shape
        glassgrad.Size([2, 3])
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        """Return ``input`` itself."""
        return input


class Linear(Module):
    """A fully connected layer: an affine map of the last dim of its input.

    y = x W^T + b,   W: (out_features, in_features),  b: (out_features,)

    Initialised like PyTorch, from glassgrad's generator (``glassgrad.manual_seed`` makes it
    reproducible): W by ``kaiming_uniform_(a=sqrt(5))``, which is U(-1/sqrt(in_features),
    1/sqrt(in_features)), and b ~ U(-1/sqrt(in_features), 1/sqrt(in_features)).

    Args:
        in_features (int): size of each input sample.
        out_features (int): size of each output sample.
        bias (bool): learn the additive bias b. Default: True.
        device: only 'cpu' (accepted for compatibility).
        dtype: the parameters' dtype (default: ``glassgrad.get_default_dtype()``).

    Shape:
        (*, in_features) -> (*, out_features)

    Example:
        >>> layer = glassgrad.nn.Linear(20, 30)
        >>> layer(glassgrad.randn(128, 20)).shape
        glassgrad.Size([128, 30])
    """

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw new initial values (PyTorch's scheme, see the class docstring)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        """x W^T + b (``glassgrad.nn.functional.linear``)."""
        # ``self.weight`` and ``self.bias`` read from ``_parameters`` directly: through
        # ``Module.__getattr__`` (a Python call after a failed lookup) each costs about as much
        # as the rest of the layer's Python code. A weight or bias kept elsewhere (removed from
        # ``_parameters`` and set as a plain attribute) is still found, the usual way.
        params = self._parameters
        if "weight" in params and "bias" in params:
            return linear(input, params["weight"], params["bias"])
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        """The sizes and whether there is a bias, as PyTorch prints them."""
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """A bilinear layer: one quadratic form per output feature.

    y_k = x1^T A_k x2 + b_k,   A: (out_features, in1_features, in2_features)

    A and b are drawn from U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as in PyTorch.

    Args:
        in1_features (int): size of each first input sample.
        in2_features (int): size of each second input sample.
        out_features (int): size of each output sample.
        bias (bool): learn the additive bias b. Default: True.

    Shape:
        (*, in1_features), (*, in2_features) -> (*, out_features)

    Example:
        >>> m = glassgrad.nn.Bilinear(20, 30, 40)
        >>> m(glassgrad.randn(128, 20), glassgrad.randn(128, 30)).shape
        glassgrad.Size([128, 40])
    """

    __constants__ = ["in1_features", "in2_features", "out_features"]

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in1_features, in2_features), device=device,
                                      dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw new initial values U(-1/sqrt(in1_features), 1/sqrt(in1_features))."""
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got "
                             f"(in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        """x1^T A_k x2 + b_k (``glassgrad.nn.functional.bilinear``)."""
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        """The sizes and whether there is a bias, as PyTorch prints them."""
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
