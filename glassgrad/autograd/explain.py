"""explain: a step-by-step account of one backward pass.

Every node of the graph applies the chain rule once:

    d out/d input  =  d out/d node_output  x  d node_output/d input
     (passed down)        (upstream)               (local)

``explain(f)`` runs one backward pass from ``f`` with temporary hooks on every node and records,
in the order the engine runs the nodes, the upstream gradient arriving at each node, what it
passes down to each input, and the local derivative that turns one into the other. The local
derivative is obtained from the node itself (its backward applied to chosen vectors):

- "scalar": the node's output has one element, so local = d output/d input has the input's
  shape and passed down = upstream * local;
- "elementwise": output and input have the same shape and the Jacobian is diagonal, so local is
  that diagonal and passed down = upstream * local, element by element;
- "jacobian": small tensors (at most 16 elements each): the full local Jacobian, of shape
  ``output.shape + input.shape``, and passed down = upstream . J (summed over the output);
- "vjp": larger general tensors: only the vector-Jacobian product passed down.

Nothing about the user's graph changes: the pass is ``autograd.grad(..., retain_graph=True)``
(no ``.grad`` is written, not even for ``retain_grad()`` tensors, and the graph can still be
backpropagated afterwards), and the hooks and flags are put back as they were. Tensor hooks the
user registered do run, as in any ``autograd.grad`` call.

Example:
    >>> x = glassgrad.tensor(-2.0, requires_grad=True)
    >>> y = glassgrad.tensor(5.0, requires_grad=True)
    >>> z = glassgrad.tensor(-4.0, requires_grad=True)
    >>> q = x + y
    >>> f = q * z
    >>> e = glassgrad.autograd.explain(f, names={"x": x, "y": y, "z": z, "q": q, "f": f})
    >>> e.leaf_grads["x"]
    tensor(-4.)
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .engine import _call_backward
from .engine import grad as _grad
from .function import _OUTPUT, AccumulateGrad
from .grad_mode import no_grad

__all__ = ["explain", "Explanation", "Step", "StepInput"]

SMALL = 16  # the local Jacobian is formed when output and input have at most this many elements
_FLAGS = ("_fast", "_hooked", "_post_hooks", "_retained")
_MISSING = object()


@dataclass
class StepInput:
    """One input of a node: its value, the local derivative and the gradient passed to it."""

    name: str
    value: np.ndarray = None       # the input's value, where known
    local: np.ndarray = None       # d node_output / d input (see ``local_kind``)
    local_kind: str = "vjp"        # "scalar", "elementwise", "jacobian" or "vjp"
    grad: np.ndarray = None        # what the node passed down (upstream x local)
    partial: bool = False          # True if the input has other uses: this is one term of a sum


@dataclass
class Step:
    """One node of the backward pass, in the order the engine ran it."""

    index: int                     # 1, 2, ...
    op: str                        # "mul" for MulBackward0
    node_name: str                 # "MulBackward0"
    output_name: str               # the name of the tensor this node produced ("(u, v)" if many)
    output_value: np.ndarray       # its value, where known (else None; a tuple if many)
    upstream: np.ndarray           # d root / d output (a tuple for a multi-output node)
    inputs: list = field(default_factory=list)   # StepInput per differentiable input


@dataclass
class Explanation:
    """The account of one backward pass: ``steps``, then the gradients of the leaves."""

    output_name: str
    output_value: np.ndarray
    steps: list
    leaf_grads: dict               # name -> Tensor (None if the output does not depend on it)

    def __str__(self):
        return _format(self)

    def to_dict(self):
        """Plain lists, numbers and strings (for JSON and for pictures)."""
        return {
            "output": {"name": self.output_name, "value": _plain(self.output_value)},
            "steps": [{
                "index": s.index, "op": s.op, "node": s.node_name, "output": s.output_name,
                "output_value": _plain(s.output_value), "upstream": _plain(s.upstream),
                "inputs": [{"name": i.name, "value": _plain(i.value), "local": _plain(i.local),
                            "local_kind": i.local_kind, "grad": _plain(i.grad),
                            "partial": i.partial} for i in s.inputs],
            } for s in self.steps],
            "leaf_grads": {k: None if g is None else _plain(g._data)
                           for k, g in self.leaf_grads.items()},
        }


def explain(output, inputs=None, print_table=True, *, names=None, gradient=None):
    """Run one backward pass from ``output`` and account for every step of the chain rule.

    At each node: passed down (d output/d input) = upstream (d output/d node) x local
    (d node/d input); the leaves' gradients are the sums of what reaches them.

    Args:
        output (Tensor): where the backward pass starts (a scalar unless ``gradient`` is given).
        inputs (Tensor, sequence or dict name -> Tensor, optional): whose gradients to report in
            ``leaf_grads`` (default: every leaf of the graph). A dict also names them.
        print_table (bool): print the account as a plain-text table.
        names (dict name -> Tensor, optional): names for tensors in the tables (leaves,
            intermediate results, the output). Unnamed leaves are called ``leaf0, leaf1, ...``,
            unnamed intermediates ``<op>_<step>``, the output ``out``.
        gradient (Tensor, optional): d root/d output to start from, for a non-scalar output.

    Returns:
        Explanation: ``.steps`` (a list of ``Step``), ``.leaf_grads`` (name -> Tensor),
        ``str()`` (the table) and ``.to_dict()``.

    Example:
        >>> x = glassgrad.tensor(3.0, requires_grad=True)
        >>> glassgrad.autograd.explain(x * x + x, names={"x": x}).leaf_grads["x"]   # 2x + 1
        tensor(7.)
    """
    Tensor = _tensor_class()
    if not isinstance(output, Tensor):
        raise TypeError(f"explain expects a Tensor, got {type(output).__name__}")
    if not output.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                           "grad_fn")
    names = dict(names or {})
    if isinstance(inputs, dict):
        names.update(inputs)
        inputs = list(inputs.values())
    elif isinstance(inputs, Tensor):
        inputs = [inputs]
    root = (output._grad_node(), output._output_nr)
    nodes, leaves, uses = _walk(root[0])
    labels, values = _known_tensors(nodes, leaves, names, output, root)
    labels.setdefault(root, "out")
    if inputs is None:  # every leaf: the named ones first, in the order they were named
        order = {id(t): k for k, t in enumerate(names.values())}
        inputs = sorted(leaves, key=lambda t: order.get(id(t), len(order)))
    inputs = list(inputs)
    unnamed = (leaf for leaf in leaves if (leaf._grad_node(), 0) not in labels)
    for k, leaf in enumerate(unnamed):
        labels[(leaf._grad_node(), 0)] = f"leaf{k}"

    targets = _unique(leaves + inputs)
    with _untouched(nodes):
        records, grads = _record(output, nodes, targets, gradient)
        for index, (node, _, _) in enumerate(records, start=1):
            labels.setdefault((node, 0), f"{_op_name(node)}_{index}")
        for node in nodes:
            for nr in range(node._num_outputs):  # multi-output nodes: [nr]; never run: ?
                base = labels.get((node, 0), f"{_op_name(node)}_?")
                labels.setdefault((node, nr), base if nr == 0 else f"{base}[{nr}]")
        steps = [_make_step(index, node, upstream, passed, labels, values, uses)
                 for index, (node, upstream, passed) in enumerate(records, start=1)]
    by_id = {id(t): g for t, g in zip(targets, grads)}
    out_name = labels[root]
    leaf_grads = {}
    for t in inputs:
        key = (t._grad_node(), t._output_nr)
        g = by_id[id(t)]
        leaf_grads[labels.get(key, f"input{len(leaf_grads)}")] = None if g is None else g.detach()
    result = Explanation(out_name, output._data.copy(), steps, leaf_grads)
    if print_table:
        print(result)
    return result


# ---------------------------------------------------------------- the graph
def _tensor_class():
    from . import function

    return function.Tensor


def _walk(root):
    """Non-leaf nodes and leaf tensors reachable from ``root``, and how many edges use each
    (node, output_nr) (more than one use: the gradient arriving there is a sum)."""
    nodes, leaves, uses = [], [], {}
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        if type(node) is AccumulateGrad:
            leaves.append(node.variable)
            continue
        nodes.append(node)
        for child, nr in node.next_functions:
            if child is None:
                continue
            uses[(child, nr)] = uses.get((child, nr), 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return nodes, leaves, uses


def _known_tensors(nodes, leaves, names, output, root):
    """Names and values of the tensors flowing through the graph, keyed by (node, output_nr):
    from ``names``, the output, the leaves and whatever the nodes saved for backward."""
    Tensor = _tensor_class()
    labels, values = {}, {}
    for leaf in leaves:
        values[(leaf._grad_node(), 0)] = leaf._data
    values[root] = output._data
    for node in nodes:
        for item in node._saved_sources():
            if item is _OUTPUT:
                values.setdefault((node, 0), node._output_array())
            elif isinstance(item, Tensor) and item.requires_grad:
                values.setdefault((item._grad_node(), item._output_nr), item._data)
    for name, t in names.items():
        if isinstance(t, Tensor) and t.requires_grad:
            key = (t._grad_node(), t._output_nr)
            labels[key] = name
            values[key] = t._data
    return labels, values


def _unique(tensors):
    seen, out = set(), []
    for t in tensors:
        if id(t) not in seen:
            seen.add(id(t))
            out.append(t)
    return out


@contextmanager
def _untouched(nodes):
    """Hide ``retain_grad`` meanwhile, then put every node's hooks and flags back as they were
    (a node's backward, or a hook on it, changes them)."""
    saved = [(node, {k: node.__dict__.get(k, _MISSING) for k in _FLAGS}) for node in nodes]
    try:
        for node in nodes:
            node.__dict__["_retained"] = None   # no .grad for retain_grad() tensors
        yield
    finally:
        for node, flags in saved:
            for key, value in flags.items():
                if value is _MISSING:
                    node.__dict__.pop(key, None)
                else:
                    node.__dict__[key] = value


def _record(output, nodes, targets, gradient):
    """One backward pass (``autograd.grad``, graph retained) with a recording post-hook on every
    node: returns [(node, upstream, passed down)] in the order the engine ran them, and the
    gradients of ``targets``."""
    records = []
    handles = [node.register_hook(_recorder(node, records)) for node in nodes]
    try:
        grads = _grad(output, targets, gradient, retain_graph=True, allow_unused=True)
    finally:
        for handle in handles:
            handle.remove()
    return records, grads


def _recorder(node, records):
    """A post-hook that notes (node, upstream, passed down) as the engine runs the node."""
    def hook(grad_inputs, grad_outputs):
        records.append((node,
                        tuple(None if g is None else np.array(g._data) for g in grad_outputs),
                        tuple(None if g is None else np.array(g._data) for g in grad_inputs)))
    return hook


def _op_name(node):
    """``MulBackward0`` -> ``mul``, ``LogSoftmaxBackward0`` -> ``log_softmax``."""
    base = re.sub(r"Backward\d*$", "", node.name())
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", base).lower()


# ---------------------------------------------------------------- local derivatives
def _node_vjp(node, vectors):
    """The node's own backward applied to ``vectors`` (one per output): one gradient per edge."""
    with no_grad():
        result = _call_backward(node, list(vectors), False)
    return [None if g is None else np.asarray(g) for g in result]


def _make_step(index, node, upstream, passed, labels, values, uses):
    single = len(upstream) == 1
    if single:
        output_name, output_value = labels[(node, 0)], values.get((node, 0))
    else:  # a multi-output node: all its outputs, as a tuple
        keys = [(node, nr) for nr in range(len(upstream))]
        output_name = "(" + ", ".join(labels[k] for k in keys) + ")"
        output_value = tuple(values.get(k) for k in keys)
    step = Step(index, _op_name(node), node.name(), output_name, output_value,
                upstream[0] if single else upstream)
    edges = [i for i, (child, _) in enumerate(node.next_functions)
             if child is not None and i < len(passed) and passed[i] is not None]
    if single and upstream[0] is not None:
        local = _local_derivatives(node, upstream[0], edges, passed)
    else:
        local = [(None, "vjp")] * len(edges)
    for i, (loc, kind) in zip(edges, local):
        key = node.next_functions[i]
        step.inputs.append(StepInput(labels[key], values.get(key), loc, kind, passed[i],
                                     uses.get(key, 1) > 1))
    return step


def _local_derivatives(node, upstream, edges, passed):
    """(local, kind) for the gradient passed to each edge in ``edges``, from the node's own
    backward applied to ones, to a random probe, or to one-hot vectors."""
    with_ones = _node_vjp(node, [np.ones_like(upstream)])
    small = upstream.size <= SMALL and all(passed[i].size <= SMALL for i in edges)
    jacobians = _local_jacobians(node, upstream, edges, passed) if small else None
    probe = with_probe = None
    if not small:
        rng = np.random.default_rng(0)  # a local generator: the global one stays untouched
        probe = rng.uniform(0.5, 2.0, upstream.shape).astype(upstream.dtype)
        with_probe = _node_vjp(node, [probe])
    result = []
    for i in edges:
        shape = passed[i].shape
        if upstream.size == 1:
            result.append((with_ones[i].reshape(shape), "scalar"))
        elif shape == upstream.shape and (
                _diagonal(jacobians[i]) if small
                else _probably_diagonal(probe, with_ones[i], with_probe[i])):
            result.append((with_ones[i], "elementwise"))
        elif small:
            result.append((jacobians[i].reshape(upstream.shape + shape), "jacobian"))
        else:
            result.append((None, "vjp"))
    return result


def _local_jacobians(node, upstream, edges, passed):
    """Row by row: the node's backward with the one-hot vector e_j gives row j of each input's
    Jacobian (output.numel() x input.numel())."""
    n = upstream.size
    jacobians = {i: np.zeros((n, passed[i].size), dtype=passed[i].dtype) for i in edges}
    for j in range(n):
        seed = np.zeros(n, dtype=upstream.dtype)
        seed[j] = 1
        rows = _node_vjp(node, [seed.reshape(upstream.shape)])
        for i in edges:
            jacobians[i][j] = np.broadcast_to(rows[i], passed[i].shape).reshape(-1)
    return jacobians


def _diagonal(jac):
    return not np.any(jac - np.diag(np.diag(jac)))


def _probably_diagonal(probe, with_ones, with_probe):
    """For a diagonal J and any vector r, r^T J = r * (1^T J) element by element; for a
    non-diagonal J a random r breaks the equality (with probability one)."""
    scale = np.max(np.abs(with_ones), initial=0.0) + 1.0
    tol = 1e-4 if with_ones.dtype.itemsize < 8 else 1e-9
    return np.allclose(with_probe, probe * with_ones, rtol=tol, atol=tol * scale)


# ---------------------------------------------------------------- the table
def _plain(value):
    if value is None:
        return None
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return np.asarray(value).tolist()


def _fmt(value, width=48):
    """A value on one line; long arrays as their shape and first elements."""
    if value is None:
        return "?"
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v, width) for v in value) + ")"
    a = np.asarray(value)
    if a.ndim == 0:
        return format(a.item(), ".4g")
    text = np.array2string(a, separator=", ", threshold=8, edgeitems=2, max_line_width=10 ** 6,
                           formatter={"float_kind": lambda v: format(v, ".4g")})
    text = re.sub(r"\s*\n\s*", " ", text)
    if len(text) <= width:
        return text
    head = ", ".join(format(v, ".4g") for v in a.reshape(-1)[:3])
    return f"{'x'.join(map(str, a.shape))} values: {head}, ..."


def _rows(explanation):
    root = explanation.output_name
    rows = []
    for s in explanation.steps:
        first = True
        for i in s.inputs:
            if i.local_kind in ("scalar", "elementwise"):
                local = f"d{s.output_name}/d{i.name} = {_fmt(i.local)}"
                rule = "local x upstream"
            elif i.local_kind == "jacobian":
                local = f"d{s.output_name}/d{i.name} = J{tuple(i.local.shape)}"
                if i.local.size <= 9:
                    local += f" {_fmt(i.local)}"
                rule = "upstream . J"
            else:
                local = "(not formed)"
                rule = "vector-Jacobian product"
            sign = "+=" if i.partial else "="
            rows.append([str(s.index) if first else "", s.op if first else "",
                         f"d{root}/d{s.output_name} = {_fmt(s.upstream)}" if first else "",
                         i.name, _fmt(i.value), local, rule,
                         f"d{root}/d{i.name} {sign} {_fmt(i.grad)}"])
            first = False
        if first:  # a node that passed nothing down
            rows.append([str(s.index), s.op, f"d{root}/d{s.output_name} = {_fmt(s.upstream)}",
                         "", "", "", "", ""])
    return rows


def _format(explanation):
    header = ["step", "op", "upstream", "input", "value", "local", "rule", "passed down"]
    rows = _rows(explanation)
    widths = [max(len(r[c]) for r in rows + [header]) for c in range(len(header))]

    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    root = explanation.output_name
    out = [f"backward pass of {root} = {_fmt(explanation.output_value)}: "
           f"{len(explanation.steps)} step(s), each passing down local x upstream",
           line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    out.append("gradients:")
    for name, g in explanation.leaf_grads.items():
        out.append(f"  d{root}/d{name} = {_fmt(None if g is None else g._data)}")
    return "\n".join(out)
