"""Differentiable primitives, one file per family; each keeps forward and backward together."""

from . import (  # noqa: F401
    activation,
    arithmetic,
    comparison,
    elementwise,
    extrema,
    gather,
    indexing,
    inplace,
    join,
    linalg,
    piecewise,
    reduction,
    shape,
    unary,
)
