"""Layer normalisation (as ``torch.nn.LayerNorm``)."""

import numbers

from ...creation import empty
from ...device import check_device
from ...ops.normalization import layer_norm
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["LayerNorm"]


class LayerNorm(Module):
    """Normalises each sample over its last dims, then applies a learned per-element affine map.

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, with the mean and the biased variance
    taken over the trailing ``normalized_shape`` dims of each sample (so, unlike BatchNorm, the
    same computation in training and evaluation). weight starts at 1 and bias at 0.

    Args:
        normalized_shape (int or tuple of int): the shape of the normalised trailing dims.
        eps (float): added to the variance (default 1e-5).
        elementwise_affine (bool): learn weight (and bias) of shape normalized_shape (default True).
        bias (bool): learn a bias too (default True; only with elementwise_affine).

    Shape:
        input (*, *normalized_shape); the output has the input's shape.

    Example:
        >>> norm = glassgrad.nn.LayerNorm(3)
        >>> norm(glassgrad.tensor([[1.0, 2.0, 3.0]]))
        tensor([[-1.2247,  0.0000,  1.2247]], grad_fn=<NativeLayerNormBackward0>)
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        check_device(device)
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Set weight to 1 and bias to 0."""
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
