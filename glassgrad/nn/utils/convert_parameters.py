"""Parameters as one flat vector and back (as ``torch.nn.utils``)."""

from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """Concatenate the parameters, each flattened, into one 1-D tensor (differentiable).

    Args:
        parameters (iterable of Tensor): e.g. ``model.parameters()``.

    Shape:
        parameters of n_1, ..., n_k elements -> (n_1 + ... + n_k,)

    Example:
        >>> glassgrad.nn.utils.parameters_to_vector(glassgrad.nn.Linear(3, 2).parameters()).shape
        glassgrad.Size([8])
    """
    from ...ops.shape import cat

    return cat([param.reshape(-1) for param in parameters])


def vector_to_parameters(vec, parameters):
    """Give each parameter, in order, its slice of ``vec`` as its new values (the inverse of
    ``parameters_to_vector``). As in PyTorch, the parameters then share memory with ``vec``.

    Args:
        vec (Tensor): a 1-D tensor with as many elements as all the parameters together.
        parameters (iterable of Tensor): e.g. ``model.parameters()``.

    Example:
        >>> model = glassgrad.nn.Linear(3, 2)
        >>> vec = glassgrad.nn.utils.parameters_to_vector(model.parameters()).detach()
        >>> glassgrad.nn.utils.vector_to_parameters(vec * 2, model.parameters())
    """
    if not isinstance(vec, Tensor):
        from ..module import _typename

        raise TypeError(f"expected glassgrad.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for param in parameters:
        count = param.numel()
        param.data = vec[pointer:pointer + count].view_as(param).data
        pointer += count
