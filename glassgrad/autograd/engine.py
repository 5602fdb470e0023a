"""The backward engine: the chain rule applied to the whole graph, in topological order.

``backward()`` starts at the output's node with d(out)/d(out) = 1 and walks the graph towards the
leaves. A node runs only after every node that feeds it a gradient has run, so the gradient it
receives is complete (the sum over all paths, which is the multivariable chain rule):

    dL/dx = sum over the uses u of x:  dL/du * du/dx        (upstream gradient x local gradient)

The walk is iterative (a heap of pending nodes, latest-created first: see ``_execute``), so a
chain of 100,000 operations needs no recursion. Leaves collect their gradient in ``.grad``
(``AccumulateGrad``); ``autograd.grad`` instead returns the gradients of chosen inputs and leaves
``.grad`` alone.

Two modes:
- plain (default): gradients are NumPy arrays and backward formulas run on arrays (fast path);
- ``create_graph=True``: gradients are Tensors and the formulas record a graph of their own, so
  the result can be differentiated again (Hessians, gradient penalties).
"""

from heapq import heapify, heappop, heappush
from sys import getrefcount

import numpy as np

from . import function as _function_module
from .function import _OUTPUT, AccumulateGrad, _ndarray
from .grad_mode import GradMode

__all__ = ["run_backward", "grad"]


def _tensor_class():
    return _function_module.Tensor  # registered by tensor.py, which imports this package


_ONES = {np.dtype(t): np.ones((), t) for t in (np.float16, np.float32, np.float64)}


def _make_root_grads(outputs, grad_outputs, create_graph):
    """The gradients the walk starts with: ones for a scalar output, else what the caller gave."""
    Tensor = _tensor_class()
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            data = out._data
            if data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            one = _ONES.get(data.dtype) if data.ndim == 0 else None
            if one is not None:
                g = one.copy()  # (a 0-d loss, the usual root: cheaper than ``np.ones``)
            elif data.dtype.kind != "f":
                raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                                   f"but got {out.dtype}")
            else:
                g = np.ones(data.shape, dtype=data.dtype)
        else:
            if not isinstance(g, Tensor):
                g = Tensor._make(np.asarray(g, dtype=out._data.dtype))
            if g.shape != out.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{g.shape} and output[{i}] has a shape of {out.shape}.")
            g = g if create_graph else g._data
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._make(g)
        grads.append(g)
    return grads


def _roots(outputs):
    roots = []
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
        roots.append((out._grad_node(), out._output_nr))
    return roots


def run_backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Compute the gradient of ``tensors`` w.r.t. the graph's leaves and add it to their ``.grad``.

    This is ``Tensor.backward`` and ``glassgrad.autograd.backward``.
    """
    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif not isinstance(grad_tensors, (list, tuple)):
        grad_tensors = [grad_tensors]
    if retain_graph is None:
        retain_graph = create_graph
    roots = _roots(tensors)
    grads = _make_root_grads(tensors, grad_tensors, create_graph)
    only = None
    if inputs is not None:
        inputs = [inputs] if not isinstance(inputs, (list, tuple)) else list(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        only = {(t._grad_node(), t._output_nr): t for t in inputs}
    _execute(roots, grads, retain_graph, create_graph, capture=None, only=only)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) (summed over outputs, weighted by ``grad_outputs``).

    Unlike ``backward()``, nothing is added to any ``.grad``.

    Args:
        outputs (Tensor or sequence of Tensor): what to differentiate.
        inputs (Tensor or sequence of Tensor): with respect to what.
        grad_outputs: the vector in the vector-Jacobian product (ones for scalar outputs).
        retain_graph (bool): keep the graph for another pass (default: ``create_graph``).
        create_graph (bool): make the result differentiable (higher-order gradients).
        allow_unused (bool): return None for an input the outputs do not depend on instead of
            raising.
        materialize_grads (bool): return zeros instead of None for unused inputs.

    Example:
        >>> x = glassgrad.tensor(3.0, requires_grad=True)
        >>> (dy,) = glassgrad.autograd.grad(x ** 3, x, create_graph=True)   # 3x^2 = 27
        >>> glassgrad.autograd.grad(dy, x)                                 # 6x = 18
    """
    Tensor = _tensor_class()
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched=True (vmap) is not supported by glassgrad")
    single_input = isinstance(inputs, Tensor)
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    roots = _roots(outputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _make_root_grads(outputs, grad_outputs, create_graph)
    capture = {}
    for i, t in enumerate(inputs):
        capture.setdefault((t._grad_node(), t._output_nr), []).append(i)
    results = [None] * len(inputs)
    _execute(roots, grads, retain_graph, create_graph, capture=(capture, results))
    out = []
    for i, (t, g) in enumerate(zip(inputs, results)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
            if materialize_grads:
                g = Tensor._make(np.zeros(t.shape, dtype=t._data.dtype))
        elif not isinstance(g, Tensor):
            g = Tensor._make(g)
        out.append(g)
    return tuple(out)


def _parents(roots):
    """For ``autograd.grad`` and ``backward(inputs=...)``: every node reachable from the roots,
    mapped to the nodes that feed it a gradient."""
    parents = {}
    seen = {node for node, _ in roots}
    stack = list(seen)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            parents.setdefault(child, []).append(node)
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return parents


def _needed(targets, parents):
    """The nodes from which some target can be reached (the only ones worth running)."""
    needed = set(targets)
    stack = list(targets)
    while stack:
        node = stack.pop()
        for parent in parents.get(node, ()):
            if parent not in needed:
                needed.add(parent)
                stack.append(parent)
    return needed


def _execute(roots, root_grads, retain_graph, create_graph, capture=None, only=None):
    """Walk the graph from ``roots`` and apply every node's backward once its inputs are complete.

    The order is that of PyTorch's engine: the node created last runs first. Every node gets a
    sequence number when its operation runs (``Node._seq``), and an operation runs after the
    operations that made its inputs, so a node's consumers always have larger numbers than the
    node itself. Taking the pending node with the largest number (a heap) therefore runs a node
    only after every consumer that can reach it from the roots has run and added its share to
    the node's gradient: the gradient is complete, with no pass over the graph to count
    dependencies first. Leaves (``AccumulateGrad``) have nothing below them; their gradients are
    complete once the heap is empty, and they are accumulated then.

    A pending node's gradient waits in ``buffers``: the gradient itself for a node with one
    output (every primitive), a list of them (one per output) for a user Function with more.

    capture: (dict (node, output_nr) -> [input positions], results list) for ``autograd.grad``.
    only: for ``backward(inputs=...)``: accumulate into these tensors' ``.grad`` only.
    """
    needed = None
    if capture is not None or only is not None:
        targets = {node for node, _ in (capture[0] if capture is not None else only)}
        needed = _needed(targets, _parents(roots))
    buffers = {}
    heap = []
    leaves = []
    for (node, nr), g in zip(roots, root_grads):
        if node not in buffers:
            if type(node) is AccumulateGrad:
                leaves.append(node)
            else:
                heap.append((-node._seq, node))
        _add_to_buffer(buffers, node, nr, g)
    heapify(heap)
    previous_mode = GradMode.enabled
    GradMode.enabled = create_graph
    try:
        fast_walk = capture is None and only is None and not create_graph
        node = None
        while node is not None or heap:
            if node is None:
                node = heappop(heap)[1]
                grads = buffers.pop(node)
            if fast_walk and node._fast:
                # the fast path: one of glassgrad's primitives (one output, arrays in and out),
                # no hooks, nothing to capture or skip. Saved inputs and outputs must be as
                # they were (``_check_saved_versions``, inline); after backward they are
                # dropped (``_drop_saved``, inline), unless the graph is retained.
                checks = node._saved_checks
                if checks:
                    for _, counter, version, source in checks:
                        if counter[0] != version:
                            node._check_version(counter, version,
                                                None if source is _OUTPUT else source)
                grad_inputs = type(node).backward(node, grads)
                if type(grad_inputs) is not tuple:
                    grad_inputs = (grad_inputs,)
                if not retain_graph:
                    if checks is not None:
                        node._saved_checks = None
                        node._freed = True
                        del node.saved_tensors
                    if node._holds_arrays:
                        node._release()
            else:
                if node._num_outputs == 1:
                    grads = [grads]
                if node._hooked:
                    grads = _before_backward(node, grads, create_graph)
                if capture is not None:
                    _capture(node, grads, capture)
                elif only is not None:
                    _accumulate_chosen(node, grads, only, create_graph)
                if needed is not None and not _has_needed_child(node, needed):
                    node = None
                    continue
                if node._freed:
                    node._raise_freed()
                grad_inputs = _call_backward(node, grads, create_graph)
                if not retain_graph:
                    node._release()
            # Each child that receives its first gradient becomes pending. The first of them
            # may skip the heap (``follow``): if no other node is pending, it is the only node
            # left to run before the leaves, so nothing else can still add to its gradient
            # (every node yet to run is reached through a pending one), and it runs next. A
            # chain of operations never touches the heap or the buffers.
            follow = follow_grads = None
            for (child, nr), g in zip(node.next_functions, grad_inputs):
                if g is None or child is None or (needed is not None and child not in needed):
                    continue
                if type(child) is AccumulateGrad:  # a leaf: accumulated after the walk
                    buf = buffers.get(child)
                    if buf is None:
                        buffers[child] = g
                        leaves.append(child)
                    else:
                        buffers[child] = buf + g
                    continue
                if child is follow:  # a second edge to the same child (x * x)
                    if type(follow_grads) is list:
                        current = follow_grads[nr]
                        follow_grads[nr] = g if current is None else current + g
                    else:
                        follow_grads = follow_grads + g
                    continue
                buf = buffers.get(child)
                if buf is None:  # the child's first gradient: it joins the walk
                    if child._num_outputs != 1:
                        buf = [None] * child._num_outputs
                        buf[nr] = g
                        g = buf
                    if follow is None and not heap:
                        follow = child
                        follow_grads = g
                    else:
                        buffers[child] = g
                        heappush(heap, (-child._seq, child))  # numbers are unique: no tie
                elif type(buf) is list:
                    current = buf[nr]
                    buf[nr] = g if current is None else current + g
                else:
                    buffers[child] = buf + g
            node = None
            if follow is not None:
                if heap:  # other nodes are pending too: the heap orders them all
                    buffers[follow] = follow_grads
                    heappush(heap, (-follow._seq, follow))
                else:
                    node = follow
                    grads = follow_grads
        # the walk's last gradients, dropped so that a leaf's own is referenced only by its buffer
        grads = grad_inputs = g = buf = current = follow_grads = variable = None
        for node in leaves:
            variable = node.variable
            if fast_walk and not (node._hooked or variable._backward_hooks):
                # the gradient handed over (popped, never bound to a name here), so that the
                # engine holds no reference of its own: ``_accumulate`` may adopt it
                _accumulate(variable, buffers.pop(node), False, owned=True)
                continue
            grads = [buffers.pop(node)]
            if node._hooked or variable._backward_hooks:
                grads = _before_backward(node, grads, create_graph)
            if capture is not None:
                _capture(node, grads, capture)
            elif only is None or (node, 0) in only:
                _accumulate(variable, grads.pop(), create_graph, owned=True)
    finally:
        GradMode.enabled = previous_mode


def _has_needed_child(node, needed):
    return any(child in needed for child, _ in node.next_functions if child is not None)


def _add_to_buffer(buffers, node, nr, g):
    """Sum the gradients arriving at output ``nr`` of ``node`` (out of place: never aliases)."""
    current = buffers.get(node)
    if node._num_outputs == 1:
        buffers[node] = g if current is None else current + g
        return
    if current is None:
        current = buffers[node] = [None] * node._num_outputs
    current[nr] = g if current[nr] is None else current[nr] + g


def _wrap(g):
    Tensor = _tensor_class()
    return g if isinstance(g, Tensor) or g is None else Tensor._make(g)


def _unwrap(g, create_graph):
    Tensor = _tensor_class()
    if create_graph:
        return _wrap(g)
    return g._data if isinstance(g, Tensor) else g


def _before_backward(node, grads, create_graph):
    """Run tensor hooks, retain_grad and node pre-hooks on a node's complete output gradients."""
    if type(node) is AccumulateGrad:
        hooks = node.variable._backward_hooks
        if hooks:
            g = grads[0]
            for hook in list(hooks.values()):
                result = hook(_wrap(g))
                if result is not None:
                    g = _unwrap(result, create_graph)
            grads = [g]
    if node._tensor_hooks:
        grads = list(grads)
        for nr, hooks in node._tensor_hooks.items():
            if grads[nr] is None:
                continue
            for hook in list(hooks.values()):
                result = hook(_wrap(grads[nr]))
                if result is not None:
                    grads[nr] = _unwrap(result, create_graph)
    if node._retained:
        for nr, ref in node._retained.items():
            tensor = ref()
            if tensor is not None and grads[nr] is not None:
                g = grads[nr]
                if tensor._grad is None:
                    tensor._grad = _wrap(g if create_graph else np.array(g, copy=True))
                else:
                    tensor._grad = tensor._grad + _wrap(g)
    if node._pre_hooks:
        for hook in list(node._pre_hooks.values()):
            result = hook(tuple(_wrap(g) for g in grads))
            if result is not None:
                grads = [_unwrap(g, create_graph) for g in result]
    return grads


def _accumulate_chosen(node, grads, only, create_graph):
    """``backward(inputs=[h])`` with a non-leaf ``h``: its gradient goes into ``h.grad``."""
    for nr, g in enumerate(grads):
        tensor = only.get((node, nr))
        if tensor is not None and g is not None:
            _accumulate(tensor, g, create_graph)


def _capture(node, grads, capture):
    positions_of, results = capture
    for nr in range(len(grads)):
        for position in positions_of.get((node, nr), ()):
            g = grads[nr]
            results[position] = g if results[position] is None else results[position] + g


def _accumulate(variable, g, create_graph, owned=False):
    """AccumulateGrad: ``variable.grad += g``, or ``variable.grad = g`` the first time.

    The first time, ``g`` becomes the ``.grad`` itself when nothing else can see it (PyTorch
    does the same): it owns its memory (not a view), and the only references to it are the
    ones here (``owned``: the caller handed it over). Otherwise it is copied, so that a later
    ``+=`` into ``.grad`` can never change an array someone else holds (two leaves given the
    same gradient array by one backward, a hook that kept it, a saved value)."""
    Tensor = _function_module.Tensor
    # an array (plain backward), a Tensor (create_graph, hooks) or a NumPy scalar (0-d sums)
    data = g if type(g) is _ndarray else (g._data if isinstance(g, Tensor) else g)
    own = variable._data
    if data.shape != own.shape:
        data = np.broadcast_to(data, own.shape)
    if data.dtype is not own.dtype and data.dtype != own.dtype:
        data = data.astype(own.dtype)
        g = Tensor._make(data) if isinstance(g, Tensor) else data
    current = variable._grad  # shapes and dtypes match by construction: no setter checks
    if create_graph:
        g = g if isinstance(g, Tensor) else Tensor._make(data)
        variable._grad = g if current is None else current + g
    elif current is None:
        if not (owned and data is g and getrefcount(data) == _HANDED_OVER
                and data.base is None and data.flags.writeable):
            data = np.array(data, copy=True)
        variable._grad = Tensor._make(data)
    elif current.requires_grad:
        variable._grad = Tensor._make(current._data + data)
    else:
        np.add(current._data, data, out=current._data)
        current._version_counter[0] += 1


def _references_inside(g):
    """``getrefcount`` of an array seen the way ``_accumulate`` sees its gradient."""
    data = g
    return getrefcount(data)


def _calibrate_handed_over():
    """The reference count ``_accumulate`` sees for a gradient nobody else holds (on CPython
    3.10-3.13: the parameter, the local and getrefcount's argument, 3), measured rather than
    assumed; None (never adopt, always copy) if an interpreter does not count a reference the
    caller keeps, as one that borrows references might not."""
    alone = _references_inside(np.empty(1))
    kept = np.empty(1)
    return alone if _references_inside(kept) > alone else None


_HANDED_OVER = _calibrate_handed_over()


def _call_backward(node, grads, create_graph):
    """Run one node's backward; returns one gradient per edge in ``node.next_functions``."""
    if node._num_outputs > 1:
        grads = _materialize(node, grads, create_graph)
    if node._tensor_io:
        result = type(node).backward(node, *[_wrap(g) for g in grads])
        if not isinstance(result, tuple):
            result = (result,)
        result = _user_gradients(node, result, create_graph)
    else:
        if create_graph:
            node._fast = False  # its backward has seen Tensors: leave it to this path
        if node._saved_checks is None:  # nothing saved, or released (backward then raises)
            result = type(node).backward(node, *grads)
        elif create_graph:
            # the backward formula runs on Tensors: its saved values too, for this call
            arrays = node.saved_tensors
            node.saved_tensors = node._saved_for_graph()
            try:
                result = type(node).backward(node, *grads)
            finally:
                node.saved_tensors = arrays
        else:
            node._check_saved_versions()
            result = type(node).backward(node, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        missing = len(node.next_functions) - len(result)
        if missing > 0:  # trailing None gradients a primitive may leave out (x * number)
            result += (None,) * missing
    if node._post_hooks:
        for hook in list(node._post_hooks.values()):
            new = hook(tuple(_wrap(g) for g in result), tuple(_wrap(g) for g in grads))
            if new is not None:
                result = tuple(_unwrap(g, create_graph) if g is not None else None for g in new)
    return result


def _user_gradients(node, result, create_graph):
    """Check what a user Function's ``backward`` returned (one gradient per forward input) as
    PyTorch does, and keep those of the Tensor inputs (one per edge in ``next_functions``).

    A gradient with more dimensions or stretched sizes than its input (the input was broadcast
    in forward) is summed back to the input's shape; any other shape is an error."""
    expected = node._num_inputs
    extra = result[expected:]
    if len(result) < expected or any(g is not None for g in extra):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {expected}, got {len(result)})")
    tensor_positions = set(node._input_positions)
    for i, g in enumerate(result[:expected]):
        if g is not None and i not in tensor_positions:
            raise RuntimeError(f"function {node.name()} returned a gradient different than None "
                               f"at position {i + 1}, but the corresponding forward input was "
                               "not a Variable")
    grads = []
    for i, shape in zip(node._input_positions, node._input_shapes):
        g = result[i]
        if g is not None:
            g = _unwrap(g, create_graph)
            if tuple(g.shape) != shape:
                g = _sum_to_shape(node, i, g, shape)
        grads.append(g)
    return tuple(grads)


def _sum_to_shape(node, index, g, shape):
    """Reduce a broadcast gradient to its input's shape, or raise PyTorch's error."""
    try:
        fits = np.broadcast_shapes(shape, tuple(g.shape)) == tuple(g.shape)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index "
                           f"{index} - got {list(g.shape)} but expected shape compatible with "
                           f"{list(shape)}")
    from ..ops._util import unbroadcast

    return unbroadcast(g, shape)


def _materialize(node, grads, create_graph):
    """Replace a missing output gradient of a multi-output node by zeros (unless the node's
    ``ctx.set_materialize_grads(False)`` asked to see None)."""
    if not getattr(node, "_materialize_grads", True):
        return grads
    out = []
    for g, meta in zip(grads, node._output_meta):
        if g is None and meta is not None:
            g = np.zeros(tuple(meta[0]), dtype=meta[1].numpy)
            g = _wrap(g) if create_graph else g
        out.append(g)
    return out
