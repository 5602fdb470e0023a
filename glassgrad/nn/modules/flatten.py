"""Reshaping layers: ``Flatten`` and ``Unflatten`` (as ``torch.nn``)."""

from ..module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merges the dims ``start_dim`` .. ``end_dim`` into one (a view of the same values).

    By default every dim but the batch dim: (N, C, H, W) -> (N, C*H*W), what a Linear layer
    after convolutions needs. ``Flatten(0, 1)`` merges the first two dims instead.

    Args:
        start_dim (int): first dim to flatten. Default: 1.
        end_dim (int): last dim to flatten (negative counts from the end). Default: -1.

    Shape:
        (*, S_start, ..., S_end, *) -> (*, S_start * ... * S_end, *)

    Example:
        >>> glassgrad.nn.Flatten()(glassgrad.ones(32, 1, 5, 5)).shape
        glassgrad.Size([32, 25])
        >>> glassgrad.nn.Flatten(0, 2)(glassgrad.ones(32, 1, 5, 5)).shape
        glassgrad.Size([160, 5])
    """

    __constants__ = ["start_dim", "end_dim"]

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        """``input.flatten(start_dim, end_dim)``."""
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        """The dims, as PyTorch prints them."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits dim ``dim`` into the sizes ``unflattened_size`` (the inverse of Flatten).

    Args:
        dim (int): the dim to split.
        unflattened_size (tuple or list of int): its new sizes (their product must equal the
            dim's size; one may be -1).

    Shape:
        (*, S_dim, *) -> (*, U_1, ..., U_n, *)

    Example:
        >>> glassgrad.nn.Unflatten(1, (2, 5, 5))(glassgrad.ones(2, 50)).shape
        glassgrad.Size([2, 2, 5, 5])
    """

    __constants__ = ["dim", "unflattened_size"]

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self._require_tuple_int(unflattened_size)
        self.dim = dim
        self.unflattened_size = unflattened_size

    @staticmethod
    def _require_tuple_int(value):
        if isinstance(value, (tuple, list)):
            for index, element in enumerate(value):
                if not isinstance(element, int):
                    raise TypeError("unflattened_size must be tuple of ints, but found element "
                                    f"of type {type(element).__name__} at pos {index}")
            return
        raise TypeError("unflattened_size must be a tuple of ints, but found type "
                        f"{type(value).__name__}")

    def forward(self, input):
        """``input.unflatten(dim, unflattened_size)``."""
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        """The dim and sizes, as PyTorch prints them."""
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
