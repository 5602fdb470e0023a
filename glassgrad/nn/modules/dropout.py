"""Dropout layers (as ``torch.nn.modules.dropout``)."""

from ...ops.nn_misc import dropout
from ..module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Randomly zeroes elements during training and scales the rest by 1 / (1 - p).

    In training, out = x * m / (1 - p) with m ~ Bernoulli(1 - p) per element, drawn from
    glassgrad's global generator (``glassgrad.manual_seed`` makes it reproducible), so that
    E[out] = x; in evaluation (``model.eval()``) out = x exactly (the input itself).

    Args:
        p (float): the probability of zeroing an element, in [0, 1] (default 0.5).
        inplace (bool): overwrite the input (default False).

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.manual_seed(0)
        >>> drop = glassgrad.nn.Dropout(p=0.25)
        >>> drop(glassgrad.ones(8))  # kept values are 1 / (1 - 0.25)
        tensor([1.3333, 1.3333, 0.0000, 0.0000, 1.3333, 1.3333, 1.3333, 1.3333])
        >>> drop.eval()(glassgrad.ones(2))
        tensor([1., 1.])
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
