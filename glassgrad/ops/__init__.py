"""Differentiable primitives, one file per family; each keeps forward and backward together."""

from . import activation, comparison, elementwise, indexing, inplace, linalg, reduction, shape  # noqa: F401
