"""Function: a differentiable operation, and the node it leaves in the graph.

A ``Function`` subclass defines ``forward(ctx, ...)`` and ``backward(ctx, grad_output)`` side by
side. Calling ``Op.apply(...)`` runs ``forward`` and, when an input requires grad and grad mode is
on, keeps an instance of ``Op`` as the result's ``grad_fn``: that instance *is* the ``ctx`` both
methods receive, as in PyTorch. Its ``next_functions`` point at the nodes of the inputs, which makes
the graph that ``backward()`` walks (see ``engine.py``).

glassgrad's own primitives (``glassgrad/ops``) work on NumPy arrays: ``forward`` gets the inputs'
arrays and returns an array, and in the ordinary backward pass ``backward`` gets and returns arrays
too. When ``backward(create_graph=True)`` asks for a differentiable backward pass, the very same
``backward`` code receives Tensors instead; it is written with operators and NumPy functions that
Tensors also understand (``__array_ufunc__``), so higher-order gradients need no second formula.
User-defined Functions (``glassgrad.autograd.Function``) get Tensors in both methods, as in PyTorch.

Saved values: ``ctx.save_for_backward(*values)`` may name inputs, the output (the value ``forward``
returns) or other arrays. Inputs and the output are checked against their version counter before
backward runs, so an in-place change between forward and backward raises PyTorch's error. A
primitive's saved arrays are a plain attribute of its node (``ctx.saved_tensors``, read at the
cost of an attribute); a user Function's are Tensors, made when ``ctx.saved_tensors`` is read.
"""

import re
from itertools import count

import numpy as np

from ..utils.hooks import RemovableHandle
from .grad_mode import GradMode

__all__ = ["Function", "FunctionCtx", "Primitive", "AccumulateGrad", "once_differentiable"]

_new = object.__new__
_ndarray = np.ndarray
_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
_OUTPUT = object()  # marks "the forward's own result" in a node's saved values

# Every recorded node takes the next number: a node's consumers are recorded after it, so they
# always have larger numbers, and the engine runs nodes from the largest number down.
_next_sequence_nr = count(1).__next__


Tensor = None  # glassgrad.tensor.Tensor, registered by tensor.py (it imports this module)


def _tensor_class():
    return Tensor


class _SavedTensors:
    """``ctx.saved_tensors`` where the node has no plain attribute of that name: a user
    Function's saved Tensors (made on reading), or the error of a node whose saved values were
    released. A non-data descriptor (only ``__get__``), so a primitive's own attribute, set when
    its operation is recorded, is found first and costs a dictionary lookup."""

    def __get__(self, ctx, owner=None):
        if ctx is None:
            return self
        return ctx._unpack_saved()


class FunctionCtx:
    """The part of a node that ``forward`` and ``backward`` use as ``ctx``."""

    saved_tensors = _SavedTensors()

    def save_for_backward(self, *values):
        """Keep values (inputs, the output, or other arrays/Tensors) for ``backward``."""
        self.to_save = values

    def mark_non_differentiable(self, *outputs):
        self._non_differentiable = outputs

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self._materialize_grads = bool(value)

    def _unpack_saved(self):
        """The values given to ``save_for_backward`` of a user Function, as Tensors (the output
        made anew, with this node as its grad_fn); () if nothing was saved. Each saved input
        or output was recorded with its version (``_saved_checks``); a value changed in place
        since then raises PyTorch's error instead of giving a wrong gradient."""
        if self._freed:
            self._raise_freed()
        saved = self._saved
        if saved is None:
            return ()
        values = list(saved)
        for index, counter, version, source in self._saved_checks:
            if source is _OUTPUT:
                self._check_version(counter, version)
                values[index] = self._output_tensor()
            else:
                self._check_version(counter, version, source)
                values[index] = source
        return tuple(values)

    def _check_saved_versions(self):
        """Raise PyTorch's error if a saved input or output changed in place since forward."""
        for _, counter, version, source in self._saved_checks:
            if counter[0] != version:
                self._check_version(counter, version, None if source is _OUTPUT else source)

    def _saved_for_graph(self):
        """A primitive's saved values as Tensors, for a differentiable backward pass: the inputs
        themselves, the output made anew with this node as grad_fn, constants wrapped."""
        self._check_saved_versions()
        values = [Tensor._make(v) if type(v) is np.ndarray else v
                  for v in self.__dict__["saved_tensors"]]
        for index, _, _, source in self._saved_checks:
            values[index] = self._output_tensor() if source is _OUTPUT else source
        return tuple(values)

    def _saved_sources(self):
        """The Tensors this node saved (inputs or others), and ``_OUTPUT`` for its own output:
        for pictures and explanations of the graph."""
        if self._saved_checks is None:
            return []
        return [source for _, _, _, source in self._saved_checks]

    def _output_array(self):
        """The forward's result, if this node saved it (else None)."""
        if self._tensor_io:
            return self._out_data
        for index, _, _, source in self._saved_checks or ():
            if source is _OUTPUT:
                return self.__dict__["saved_tensors"][index]
        return None

    def _output_version(self):
        for _, counter, _, source in self._saved_checks:
            if source is _OUTPUT:
                return counter
        raise LookupError("the node did not save its output")

    def _output_tensor(self):
        """The forward's result as a Tensor carrying this node as grad_fn (no reference cycle)."""
        out = Tensor._make(self._output_array(), requires_grad=True, grad_fn=self)
        out._version_counter = self._output_version()
        return out

    def _check_version(self, counter, expected, tensor=None):
        """Raise PyTorch's error if a saved value (``tensor``, or this node's own output when
        None) was changed in place after it was saved."""
        if counter[0] == expected:
            return
        from .._dtype import scalar_type_name

        if tensor is None:  # the output: produced by this very node
            data, producer, output_nr = self._output_array(), self, 0
        else:  # an input: named after the node that last wrote it (none for a leaf)
            data, producer, output_nr = tensor._data, tensor.grad_fn, tensor._output_nr
        kind = scalar_type_name(data) + "Tensor"
        shape = ", ".join(str(s) for s in data.shape)
        which = ""
        if producer is not None:
            op = re.sub(r"Backward\d*$", "", producer.name())
            which = f", which is output {output_nr} of {op},"
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [glassgrad.{kind} [{shape}]]{which} is at version {counter[0]}; "
            f"expected version {expected} instead. Hint: the backtrace further above can point "
            "at the operation that failed to compute its gradient.")


class Node(FunctionCtx):
    """A vertex of the backward graph: ``grad_fn`` of a result, with edges to its inputs' nodes."""

    _tensor_io = False  # True for user-defined Functions: forward/backward see Tensors
    _view = False       # True for primitives whose output shares its input's storage

    # Per-node state. Class-level defaults keep node creation cheap (one per recorded op):
    # an instance only stores what differs.
    next_functions = ()         # ((node, output_nr) or (None, 0)) per forward input
    _seq = 0                    # the sequence number: when the node was recorded (see engine)
    needs_input_grad = ()
    to_save = None              # what forward passed to save_for_backward, until resolved
    _saved = None               # a user Function's saved values (see _resolve_saved); a
                                # primitive's are its attribute ``saved_tensors``
    _saved_checks = None        # (position, version counter, version, Tensor or _OUTPUT) of
                                # each saved input and output; None if nothing was saved
    _out_data = None            # a user Function's output array, if it saved its output
    _freed = False              # True once saved values were released (a second pass raises)
    _pre_hooks = None
    _post_hooks = None
    _tensor_hooks = None        # {output_nr: {id: hook}} from Tensor.register_hook
    _retained = None            # {output_nr: weakref to a non-leaf that retains its grad}
    _num_outputs = 1
    _hooked = False             # True once any hook or retain_grad is attached (engine checks)
    _holds_arrays = False       # set by primitives that keep arrays on ctx (masks, indices):
                                # those attributes are dropped after backward, like saved values
    _fast = False               # True while the engine may call backward directly: set for
                                # primitives, cleared by a hook, a differentiable backward
                                # pass and the release of saved values

    def name(self):
        """The node's name as PyTorch prints it: ``MulBackward0`` for a built-in operation,
        ``MyOpBackward`` for a user-defined ``Function`` subclass ``MyOp``."""
        return type(self).__name__ + ("Backward" if self._tensor_io else "Backward0")

    def __repr__(self):
        module = "glassgrad.autograd.function." if self._tensor_io else ""
        return f"<{module}{self.name()} object at {hex(id(self))}>"

    @property
    def metadata(self):
        if "_metadata" not in self.__dict__:
            self._metadata = {}
        return self._metadata

    def register_hook(self, hook):
        """Call ``hook(grad_inputs, grad_outputs)`` after this node's backward; it may return new
        grad_inputs. Returns a handle with ``remove()``."""
        if self._post_hooks is None:
            self._post_hooks = {}
        self._fast = False
        return RemovableHandle(self._post_hooks, hook)

    def register_prehook(self, hook):
        """Call ``hook(grad_outputs)`` before this node's backward; it may return new ones."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._hooked = True
        self._fast = False
        return RemovableHandle(self._pre_hooks, hook)

    def _release(self):
        """Drop saved values after a backward pass without ``retain_graph``: what
        ``save_for_backward`` kept and any array a primitive stored on ``ctx`` (masks, indices).
        A node that held any of them refuses a second backward pass, as in PyTorch. (The
        engine's direct path does the first part inline: ``_drop_saved``.)"""
        if self._saved_checks is not None:
            _drop_saved(self)
        if self._holds_arrays and not self._freed:
            attributes = self.__dict__
            held = [name for name, value in attributes.items() if _holds_array(value)]
            for name in held:
                del attributes[name]
            if held:
                self._freed = True
                self._fast = False

    def _raise_freed(self):
        raise RuntimeError(
            "Trying to backward through the graph a second time (or directly access saved "
            "tensors after they have already been freed). Saved intermediate values of the "
            "graph are freed when you call .backward() or autograd.grad(). Specify "
            "retain_graph=True if you need to backward through the graph a second time or "
            "if you need to access saved tensors after calling backward.")


def _drop_saved(node):
    """Release what ``save_for_backward`` kept (the engine inlines these three lines)."""
    node._saved_checks = None
    node._freed = True
    if node._tensor_io:
        node._saved = None
        node._out_data = None
    else:
        del node.saved_tensors


def _holds_array(value):
    """True for an array, or a tuple holding one (an index), kept on a node's ctx."""
    if type(value) is np.ndarray:
        return True
    return type(value) is tuple and any(type(v) is np.ndarray for v in value)


class AccumulateGrad(Node):
    """The node of a leaf: adds the arriving gradient into ``variable.grad``."""

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


class Function(Node):
    """Base class of differentiable operations (also ``glassgrad.autograd.Function``).

    Subclass it with two static methods and call ``apply``:

    Example:
        >>> class Exp(glassgrad.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         y = x.exp()
        ...         ctx.save_for_backward(y)
        ...         return y
        ...     @staticmethod
        ...     def backward(ctx, grad):        # d exp(x)/dx = exp(x)
        ...         (y,) = ctx.saved_tensors
        ...         return grad * y
        >>> Exp.apply(glassgrad.tensor([0.0, 1.0], requires_grad=True))
    """

    _tensor_io = True

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is "
                           "deprecated. Please use new-style autograd function with static "
                           "forward method: call MyFunction.apply(...)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` (without recording inside it) and, if any input requires grad and grad
        mode is on, make the outputs carry a new node of this class as ``grad_fn``."""
        return _apply_tensor_function(cls, args, kwargs)


_NO_EDGE = (None, 0)


class Primitive(Function):
    """Base of glassgrad's own operations: ``forward`` and ``backward`` exchange NumPy arrays
    (Tensors when a differentiable backward pass is asked for)."""

    _tensor_io = False
    _fast = True

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the inputs' arrays; record a node if an input requires grad.

        Positional arguments are the inputs (Tensors or Python numbers), one gradient each;
        keyword arguments are parameters of the operation (dims, shapes), passed to forward.

        This is the hot path of every operation (a few microseconds is what an operation costs
        on small arrays), so it is written out in one piece, with the one- and two-input cases
        spelled out: they are nearly all operations, and a loop that builds lists of arrays,
        flags and edges costs more than the rest of the recording.
        """
        nargs = len(args)
        if nargs == 1:
            a = args[0]
            if isinstance(a, Tensor):
                if not (a._requires_grad and GradMode.enabled):
                    return _untracked(cls, (a._data,), kwargs, a)
                node = cls()
                node._seq = _next_sequence_nr()
                node.needs_input_grad = _NEEDS_ONE
                # (a call with **{} costs more than one without: most operations have none)
                out = (cls.forward(node, a._data, **kwargs) if kwargs
                       else cls.forward(node, a._data))
                edges = ((a.grad_fn or a._grad_node(), a._output_nr),)
                arrays = None
            else:
                return _untracked(cls, args, kwargs, None)
        elif nargs == 2:
            a, b = args
            a_is_tensor = isinstance(a, Tensor)
            b_is_tensor = isinstance(b, Tensor)
            need_a = a_is_tensor and a._requires_grad
            need_b = b_is_tensor and b._requires_grad
            x = a._data if a_is_tensor else a
            y = b._data if b_is_tensor else b
            if not ((need_a or need_b) and GradMode.enabled):
                return _untracked(cls, (x, y), kwargs, a)
            node = cls()
            node._seq = _next_sequence_nr()
            node.needs_input_grad = (need_a, need_b)
            out = cls.forward(node, x, y, **kwargs) if kwargs else cls.forward(node, x, y)
            edges = ((a.grad_fn or a._grad_node(), a._output_nr) if need_a else _NO_EDGE,
                     (b.grad_fn or b._grad_node(), b._output_nr) if need_b else _NO_EDGE)
            arrays = (x, y)
        elif nargs == 3:  # linear (x, W, b), addmm, where, lerp, ...: as two, with a third
            a, b, c = args
            a_is_tensor = isinstance(a, Tensor)
            b_is_tensor = isinstance(b, Tensor)
            c_is_tensor = isinstance(c, Tensor)
            need_a = a_is_tensor and a._requires_grad
            need_b = b_is_tensor and b._requires_grad
            need_c = c_is_tensor and c._requires_grad
            arrays = (a._data if a_is_tensor else a, b._data if b_is_tensor else b,
                      c._data if c_is_tensor else c)
            if not ((need_a or need_b or need_c) and GradMode.enabled):
                return _untracked(cls, arrays, kwargs, a)
            node = cls()
            node._seq = _next_sequence_nr()
            node.needs_input_grad = (need_a, need_b, need_c)
            out = cls.forward(node, *arrays, **kwargs) if kwargs else cls.forward(node, *arrays)
            edges = ((a.grad_fn or a._grad_node(), a._output_nr) if need_a else _NO_EDGE,
                     (b.grad_fn or b._grad_node(), b._output_nr) if need_b else _NO_EDGE,
                     (c.grad_fn or c._grad_node(), c._output_nr) if need_c else _NO_EDGE)
        else:
            if not GradMode.enabled:
                return _untracked(cls, tuple([a._data if isinstance(a, Tensor) else a
                                              for a in args]), kwargs, args[0] if args else None)
            arrays = []
            needs = []
            edges = []
            for a in args:  # one pass: the arrays, and an edge for each input that needs grad
                if isinstance(a, Tensor):
                    arrays.append(a._data)
                    if a._requires_grad:
                        needs.append(True)
                        edges.append((a.grad_fn or a._grad_node(), a._output_nr))
                        continue
                else:
                    arrays.append(a)
                needs.append(False)
                edges.append(_NO_EDGE)
            arrays = tuple(arrays)
            if True not in needs:
                return _untracked(cls, arrays, kwargs, args[0] if args else None)
            edges = tuple(edges)
            node = cls()
            node._seq = _next_sequence_nr()
            node.needs_input_grad = needs
            out = cls.forward(node, *arrays, **kwargs)
        # NumPy gives scalars for 0-d results (``out`` stays as forward made it: what it
        # saved is recognised by identity)
        data = out if type(out) is _ndarray else np.asarray(out)
        dtype = data.dtype  # (compared by identity first: ``dtype.kind`` costs more)
        if dtype is not _FLOAT32 and dtype is not _FLOAT64 and dtype.kind != "f":
            # integer and bool results never require grad
            return Tensor._make(data)
        result = _new(Tensor)  # Tensor._make(data, True, node), written out: the hot path
        result._data = data
        result._requires_grad = True
        result._grad = None
        result.grad_fn = node
        result._version_counter = [0]
        if cls._view:
            result._version_counter = args[0]._version_counter
            result._base = args[0]
        node.next_functions = edges
        to_save = node.to_save
        if to_save is not None:
            if len(to_save) == 1 and to_save[0] is out:  # the output alone (tanh, exp, ...)
                node.saved_tensors = to_save
                node._saved_checks = ((0, result._version_counter, 0, _OUTPUT),)
                node.to_save = None
            else:
                _resolve_saved(node, to_save, args,
                               arrays if arrays is not None else (args[0]._data,), out, result)
        return result


_NEEDS_ONE = (True,)


def _untracked(cls, arrays, kwargs, first):
    """An operation that records nothing: forward on the arrays, the result wrapped (a view
    shares its input's version counter, so in-place changes through either are seen)."""
    out = cls.forward(_NO_CTX, *arrays, **kwargs) if kwargs else cls.forward(_NO_CTX, *arrays)
    result = Tensor._make(out)
    if cls._view:
        result._version_counter = first._version_counter
    return result


def _resolve_saved(node, values, args, arrays, out, result):
    """Record what ``save_for_backward`` named: the values themselves (a primitive's attribute
    ``saved_tensors``, arrays; a user Function's ``_saved``, Tensors) and ``_saved_checks``: for
    each value that is an input (found by identity) or the output, its position, its version
    counter and current version, and the Tensor (or ``_OUTPUT``), so that backward can detect
    an in-place change and a differentiable backward can use the Tensors themselves. The output
    is never held as a Tensor (that would be a reference cycle through its ``grad_fn``)."""
    checks = []
    inputs = len(arrays)
    for index, v in enumerate(values):
        if v is None:
            continue
        if v is out or v is result:
            counter = result._version_counter
            checks.append((index, counter, counter[0], _OUTPUT))
            if node._tensor_io:
                node._out_data = result._data
            continue
        if index < inputs and v is arrays[index] and isinstance(args[index], Tensor):
            match = args[index]  # an input saved at its own position (x, W of linear): no search
        elif isinstance(v, Tensor):
            match = v
        else:
            for a, arr in zip(args, arrays):
                if v is arr and isinstance(a, Tensor):
                    match = a
                    break
            else:
                match = None
            if match is None:  # a constant: an array made in forward, a number
                continue
        counter = match._version_counter
        checks.append((index, counter, counter[0], match))
    if node._tensor_io:  # user Functions save Tensors: the output must not be held
        node._saved = tuple(_OUTPUT if v is result else v for v in values)
    else:
        node.saved_tensors = values
    node._saved_checks = checks
    node.to_save = None


class _NeverNeeded:
    """``needs_input_grad`` when nothing is recorded: False at every index."""

    def __getitem__(self, index):
        return False


class _NoContext:
    """Stands in for ``ctx`` when no graph is recorded: ``save_for_backward`` does nothing and
    attributes set on it are simply overwritten by the next operation, so a primitive's forward
    must never read back what it stored on ``ctx``."""

    needs_input_grad = _NeverNeeded()

    def save_for_backward(self, *values):
        pass


_NO_CTX = _NoContext()


def _apply_tensor_function(cls, args, kwargs):
    """``apply`` of a user-defined Function: forward sees Tensors, runs without recording."""
    track = GradMode.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args)
    node = cls()
    node._seq = _next_sequence_nr()
    node.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    previous = GradMode.enabled
    GradMode.enabled = False
    try:
        outputs = cls.forward(node, *args, **kwargs)
    finally:
        GradMode.enabled = previous
    single = not isinstance(outputs, tuple)
    outputs = (outputs,) if single else outputs
    if track:
        # The edges are taken before the outputs are marked: an input changed in place
        # (mark_dirty) is about to carry this very node as its grad_fn.
        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        node.next_functions = tuple(
            (args[i]._grad_node(), args[i]._output_nr) if args[i].requires_grad else (None, 0)
            for i in positions)
        node._input_positions = positions
        node._input_shapes = tuple(args[i]._data.shape for i in positions)
        node._num_inputs = len(args)
    non_diff = getattr(node, "_non_differentiable", ())
    dirty = getattr(node, "_dirty", ())
    results = []
    for nr, o in enumerate(outputs):
        if not isinstance(o, Tensor):
            results.append(o)
            continue
        differentiable = not any(o is n for n in non_diff)
        if any(o is a for a in args) and not any(o is d for d in dirty):
            o = o.detach()  # an input returned as is: a new Tensor that can carry the grad_fn
        if track and o.dtype.is_floating_point and differentiable:
            o._requires_grad = True
            o.grad_fn = node
            o._output_nr = nr
            if any(o is d for d in dirty):
                o._version_counter[0] += 1
        results.append(o)
    if track:
        node._num_outputs = len(outputs)
        node._output_meta = tuple((o.shape, o.dtype) if isinstance(o, Tensor) else None
                                  for o in outputs)
        if node.to_save is not None:
            _resolve_saved(node, node.to_save, args, [None] * len(args),
                           object(), results[0] if single else object())
    return results[0] if single else tuple(results)


def once_differentiable(backward):
    """Decorator for a user Function's ``backward`` that is not itself differentiable."""
    def wrapper(ctx, *grads):
        from .grad_mode import no_grad

        with no_grad():
            return backward(ctx, *grads)
    wrapper.__doc__ = backward.__doc__
    return wrapper
