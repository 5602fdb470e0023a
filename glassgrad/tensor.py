"""Tensor: one NumPy array plus what autograd needs to know about it.

A Tensor holds its values in an ``np.ndarray`` (``_data``) and, if it takes part in a graph,
``requires_grad``, its ``grad_fn`` (the node that made it) and, after ``backward()``, its ``.grad``.
The class is thin on purpose: arithmetic, reductions, shape and indexing methods are the functions
of ``glassgrad/ops``, bound to the class in ``_tensor_methods.py``.

Example:
    >>> x = glassgrad.tensor(2.0, requires_grad=True)
    >>> y = x ** 2 + 3 * x + 5          # dy/dx = 2x + 3
    >>> y.backward()
    >>> x.grad
    tensor(7.)
"""

import warnings
import weakref

import numpy as np

from . import _dtype
from .autograd import function as _function_module
from .autograd.engine import run_backward
from .autograd.function import AccumulateGrad
from .device import check_device
from .device import device as _device_class
from .utils.hooks import RemovableHandle

__all__ = ["Tensor", "Size"]

_new = object.__new__
_CPU = _device_class("cpu")


class Size(tuple):
    """The shape of a tensor: a tuple that prints as ``glassgrad.Size([3, 4])``."""

    def __repr__(self):
        return f"glassgrad.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        result = tuple.__getitem__(self, key)
        return Size(result) if isinstance(key, slice) else result

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple(self) * times)

    __rmul__ = __mul__


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation.

    Make tensors with ``glassgrad.tensor``, ``zeros``, ``randn``, ...; ``Tensor(data)`` is accepted
    too (like ``torch.Tensor``: float32 values from a sequence, or an uninitialised tensor of the
    given sizes).
    """

    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_version_counter",
                 "__dict__", "__weakref__")
    __array_priority__ = 1000

    # Rarely set per instance (then they live in the instance __dict__); class defaults otherwise.
    _output_nr = 0
    _backward_hooks = None
    _grad_acc = None    # a weak reference to the leaf's AccumulateGrad (the graph holds it)
    _retains_grad = False

    def __init__(self, *args, device=None, dtype=None):
        from .creation import _legacy_constructor

        check_device(device)
        data = _legacy_constructor(args, dtype)
        self._data = data
        self._requires_grad = False
        self._grad = None
        self.grad_fn = None
        self._version_counter = [0]

    @staticmethod
    def _make(data, requires_grad=False, grad_fn=None):
        """Wrap an array without copying (the hot path of every operation)."""
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        t = _new(Tensor)
        t._data = data
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = grad_fn
        t._version_counter = [0]
        return t

    # ------------------------------------------------------------------ metadata
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape (a ``Size``), or the length of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return _CPU

    @property
    def is_cuda(self):
        return False

    @property
    def layout(self):
        return "torch.strided"

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim, "stride")]

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def get_device(self):
        return -1

    @property
    def _version(self):
        return self._version_counter[0]

    # ------------------------------------------------------------------ autograd state
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._set_requires_grad(value, "only Tensors of floating point and complex dtype can "
                                       "require gradients")

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place (leaves only) and return self."""
        self._set_requires_grad(requires_grad, "only Tensors of floating point dtype can require "
                                               "gradients")
        return self

    def _set_requires_grad(self, requires_grad, integer_message):
        """The rules shared by the ``requires_grad`` setter and ``requires_grad_`` (whose messages
        for integer tensors differ slightly in PyTorch)."""
        requires_grad = bool(requires_grad)
        if self.grad_fn is not None:
            if requires_grad:
                return
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(integer_message)
        self._requires_grad = requires_grad

    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (None until then).

        Only leaves (and non-leaves that called ``retain_grad()``) get one; reading it on any
        other tensor warns, as PyTorch does, since it is almost always a mistake."""
        grad = self._grad
        if grad is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you "
                "access the leaf Tensor instead.", UserWarning, stacklevel=2)
        return grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    "attempting to assign a gradient with dtype "
                    f"'{_dtype.cpp_type_name(value)}' to a tensor with grad_dtype "
                    f"'{_dtype.scalar_type_name(self)}'. The gradient must match the tensor's "
                    "grad_dtype (defaults to the tensor's dtype).")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def retains_grad(self):
        return self._retains_grad

    def _grad_node(self):
        """The node gradients for this tensor flow into: its grad_fn, or its AccumulateGrad.

        A leaf holds its AccumulateGrad weakly, as PyTorch does: the graphs that use the leaf
        keep the node (and through it the leaf) alive, and the leaf alone does not keep the
        node, so there is no reference cycle and a leaf is freed as soon as it is unreachable.
        While any graph holds the node, every new use of the leaf gets the same node."""
        node = self.grad_fn
        if node is not None:
            return node
        ref = self._grad_acc
        node = None if ref is None else ref()
        if node is None:
            node = AccumulateGrad(self)
            self._grad_acc = weakref.ref(node)
        return node

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf of the graph and add it to ``leaf.grad``.

        Args:
            gradient (Tensor, optional): d(loss)/d(self) to start from; needed when self is not a
                scalar (the vector in the vector-Jacobian product).
            retain_graph (bool): keep saved values for another backward (default: create_graph).
            create_graph (bool): record the backward pass itself, for higher-order gradients.
            inputs (sequence of Tensor): accumulate only into these tensors' ``.grad``.
        """
        run_backward([self], [gradient], retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces
        the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._backward_hooks is None:
                self._backward_hooks = {}
            return RemovableHandle(self._backward_hooks, hook)
        node = self.grad_fn
        node._hooked = True
        node._fast = False
        if node._tensor_hooks is None:
            node._tensor_hooks = {}
        hooks = node._tensor_hooks.setdefault(self._output_nr, {})
        return RemovableHandle(hooks, hook)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        node = self.grad_fn
        node._hooked = True
        node._fast = False
        if node._retained is None:
            node._retained = {}
        node._retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def detach(self):
        """A tensor with the same values and storage, cut off from the graph."""
        out = Tensor._make(self._data)
        out._version_counter = self._version_counter
        return out

    def detach_(self):
        """Cut this tensor off from the graph in place (it becomes a leaf)."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        """The same storage, detached; changes made through it are not tracked by autograd."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._data = value._data

    # ------------------------------------------------------------------ conversion
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.item()

    def tolist(self):
        """The values as (nested) Python lists of numbers."""
        return self._data.tolist()

    def numpy(self, *, force=False):
        """The values as an ``np.ndarray`` sharing this tensor's memory."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        data = self._data
        if dtype is not None and data.dtype != dtype:
            return data.astype(dtype)
        return data.copy() if copy else data

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            amount = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {amount} is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self):
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def _scalar(self):
        """The one element, for ``float()`` and ``int()`` (which raise ValueError otherwise)."""
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.item()

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    __hash__ = object.__hash__

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec):
        from ._printing import format_scalar

        if self._data.ndim == 0:
            return format_scalar(self.item(), spec)
        return object.__format__(self, spec)  # str(self) for "", TypeError for any other spec

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        out = type(self).__new__(type(self))
        out._data = self._data.copy()
        out._requires_grad = self._requires_grad
        out.grad = None if self.grad is None else self.grad.__deepcopy__(memo)
        out.grad_fn = None
        out._version_counter = [0]
        if "__dict__" in dir(self) and self.__dict__:
            import copy

            for key, value in self.__dict__.items():
                if key not in ("_grad_acc", "_backward_hooks"):
                    out.__dict__[key] = copy.deepcopy(value, memo)
        memo[id(self)] = out
        return out

    # ------------------------------------------------------------------ devices and dtypes
    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        check_device("cuda")

    @property
    def mT(self):
        """The last two dims swapped (matrices or batches of matrices)."""
        if self._data.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def T(self):
        return self.permute(*range(self._data.ndim - 1, -1, -1))

    @property
    def H(self):
        return self.T

    @property
    def mH(self):
        return self.mT


_function_module.Tensor = Tensor  # the autograd core refers to Tensor without an import cycle


def _rebuild(data, requires_grad):
    t = Tensor._make(data)
    t._requires_grad = requires_grad
    return t


def _wrap_dim(dim, ndim, op="dim"):
    """Turn a possibly negative ``dim`` into an index in ``range(ndim)``, as PyTorch checks it."""
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    if dim < low or dim > high:
        raise IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], "
                         f"but got {dim})")
    return dim + ndim if dim < 0 and ndim else (0 if ndim == 0 else dim)
