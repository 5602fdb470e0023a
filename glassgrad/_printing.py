"""PyTorch-compatible text formatting of tensors.

This module reproduces the output of ``repr(torch.Tensor)`` (``torch._tensor_str``) for
dense CPU tensors, using NumPy arrays as the source of values.  It imports nothing from
glassgrad so that ``Tensor.__repr__`` can delegate to it without import cycles.

The default PyTorch print options are used: precision 4, threshold 1000, edge items 3,
line width 80 and automatic choice of scientific notation.
"""

from __future__ import annotations

import math

import numpy as np

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80

__all__ = ["format_tensor", "format_scalar", "needs_dtype_suffix"]


def needs_dtype_suffix(np_dtype, default_float_np_dtype, *, empty: bool = False) -> bool:
    """Return whether a tensor's repr must show ``dtype=...``, following PyTorch.

    For non-empty tensors the suffix is omitted for the default float dtype, its
    matching complex dtype, ``int64`` and ``bool`` (their values identify them).  An
    empty tensor has no values to infer the type from, so every dtype other than the
    default float dtype is shown.  Pass ``empty=True`` when the tensor has no elements.
    """
    dtype = np.dtype(np_dtype)
    default = np.dtype(default_float_np_dtype)
    if empty:
        return dtype != default
    default_complex = np.dtype(np.complex128 if default == np.float64 else np.complex64)
    implied = (default, default_complex, np.dtype(np.int64), np.dtype(np.bool_))
    return dtype not in implied


def format_scalar(value, spec: str) -> str:
    """Implement ``Tensor.__format__``: format a 0-d tensor's Python item with ``spec``.

    ``value`` may be a Python scalar, a NumPy scalar or a 0-d array.  As in PyTorch, a
    tensor with one or more dimensions falls back to ``object.__format__``: an empty
    spec yields the repr (here without dtype or other suffixes, so ``Tensor.__format__``
    should rather call ``object.__format__(self, spec)`` itself) and any other spec
    raises ``TypeError``.
    """
    array = np.asarray(value)
    if array.ndim == 0:
        return format(array.item(), spec)
    if spec:
        raise TypeError("unsupported format string passed to Tensor.__format__")
    return format_tensor(array)


class _Formatter:
    """Chooses a common notation and column width for all printed elements.

    Floating tensors use one of three modes decided from the nonzero finite values:
    integer mode (all values integral, printed as ``3.``), fixed point with
    ``PRECISION`` decimals, or scientific notation when the values span more than three
    orders of magnitude, exceed 1e8 or fall below 1e-4.
    """

    def __init__(self, values: np.ndarray):
        flat = values.reshape(-1)
        self.floating = flat.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            self.width = max(1, self._int_width(flat))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        magnitudes = np.abs(finite).astype(np.float64)
        low, high = float(magnitudes.min()), float(magnitudes.max())
        self.sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        if self.sci_mode:
            spec, extra = f".{PRECISION}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1  # room for the trailing "."
        else:
            spec, extra = f".{PRECISION}f", 0
        # Rounding is monotone, so the longest text comes from an extreme magnitude of
        # either sign (largest for digits before the point, smallest for negative
        # exponents); formatting those few candidates avoids a pass over all values.
        candidates = []
        for part in (finite[finite > 0], finite[finite < 0]):
            if part.size:
                candidates += [float(part.min()), float(part.max())]
        self.width = max(1, max(len(format(v, spec)) for v in candidates) + extra)

    @staticmethod
    def _int_width(flat: np.ndarray) -> int:
        """Widest ``str()`` of an integer or bool element, computed from the extremes."""
        if flat.dtype.kind == "b":
            return 5 if not flat.all() else 4
        return max(len(str(int(flat.min()))), len(str(int(flat.max()))))

    def format(self, value) -> str:
        """Format one Python scalar, right-aligned to the common width."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = format(value, f".{PRECISION}e")
        elif self.int_mode:
            text = format(value, ".0f")
            if math.isfinite(value):
                text += "."
        else:
            text = format(value, f".{PRECISION}f")
        return text.rjust(self.width)


def _edge_indices(size: int, summarize: bool) -> list[int] | None:
    """Indices of the leading and trailing edge items, or None when nothing is elided."""
    if summarize and size > 2 * EDGEITEMS:
        return list(range(EDGEITEMS)) + list(range(size - EDGEITEMS, size))
    return None


def _summarized_data(array: np.ndarray) -> np.ndarray:
    """Keep only the elements that a summarised print shows (edge items of every axis)."""
    index = []
    for size in array.shape:
        edges = _edge_indices(size, True)
        index.append(np.arange(size) if edges is None else np.array(edges))
    return array[np.ix_(*index)] if array.ndim else array


def _render(array: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """Recursively render nested brackets; ``indent`` is the column of the opening '['."""
    if array.ndim == 0:
        return fmt.format(array.item())
    edges = _edge_indices(array.shape[0], summarize)
    if array.ndim == 1:
        if edges is None:
            items = [fmt.format(v) for v in array.tolist()]
        else:
            items = [fmt.format(v) for v in array[:EDGEITEMS].tolist()] + [" ..."]
            items += [fmt.format(v) for v in array[-EDGEITEMS:].tolist()]
        per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if edges is None:
        parts = [_render(row, indent + 1, summarize, fmt) for row in array]
    else:
        parts = [_render(array[i], indent + 1, summarize, fmt) for i in edges]
        parts.insert(EDGEITEMS, "...")
    separator = "," + "\n" * (array.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items and the closing parenthesis, wrapping long lines.

    The length of the last line is computed exactly as PyTorch does (which counts two
    characters more than the actual line on single-line output).
    """
    pieces = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > LINEWIDTH:
            pieces.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            last_line_len += len(suffix) + 2
    pieces.append(")")
    return "".join(pieces)


def format_tensor(array: np.ndarray, *, prefix: str = "tensor(", dtype_name: str | None = None,
                  suffixes: list[str] = ()) -> str:
    """Return the PyTorch-style repr of a tensor holding ``array``.

    Args:
        array: the tensor's values, of any shape (including 0-d and empty).
        prefix: text before the values; continuation lines are indented by its length.
        dtype_name: if given, ``dtype=<dtype_name>`` is appended (e.g.
            ``"glassgrad.float64"``); see :func:`needs_dtype_suffix` for when to pass it.
        suffixes: further items such as ``"requires_grad=True"`` or
            ``"grad_fn=<MulBackward0>"``, appended after the dtype.

    Empty tensors print as ``[]`` followed by ``size=(...)`` unless they are 1-D.  When
    the tensor has more than ``THRESHOLD`` elements only ``EDGEITEMS`` leading and
    trailing items of each axis are printed, and only those are ever formatted.
    """
    array = np.asarray(array)
    indent = len(prefix)
    extra = []
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:
            extra.append(f"size={tuple(int(n) for n in array.shape)}")
    else:
        summarize = array.size > THRESHOLD
        shown = _summarized_data(array) if summarize else array
        body = _render(array, indent, summarize, _Formatter(shown))
    if dtype_name is not None:
        extra.append(f"dtype={dtype_name}")
    extra.extend(suffixes)
    return _add_suffixes(prefix + body, extra, indent)


def tensor_repr(tensor) -> str:
    """``repr`` of a glassgrad Tensor: its values, then dtype, requires_grad and grad_fn."""
    from ._dtype import get_default_dtype

    array = tensor._data
    suffixes = []
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor._requires_grad:
        suffixes.append("requires_grad=True")
    dtype_name = None
    if needs_dtype_suffix(array.dtype, get_default_dtype().numpy, empty=array.size == 0):
        dtype_name = f"glassgrad.{array.dtype.name}"
    return format_tensor(array, prefix="tensor(", dtype_name=dtype_name, suffixes=suffixes)
