"""The computational graph behind a result, and one backward pass drawn on it.

``graph_of(tensor)`` walks ``tensor.grad_fn`` back to the leaves and returns the nodes (one per
operation, one per leaf tensor, the output) and the edges (input -> operation, in the direction
the forward pass ran). ``plot_graph`` draws that graph; ``explain_figure`` (in
``explained.py``) draws the account of ``glassgrad.autograd.explain`` on it: every edge labelled
``local x upstream = gradient``.

Pictures come as Graphviz SVG when ``dot`` is installed (``GraphSVG``, shown inline by Jupyter and
by ``write_page``), else as a plotly Figure with a layered layout; ``format="dot"`` gives the DOT
source. Leaves on the left, the output on the right, as in the course notes' pictures.

Example:
    >>> x = glassgrad.tensor(-2.0, requires_grad=True)
    >>> y = glassgrad.tensor(5.0, requires_grad=True)
    >>> z = glassgrad.tensor(-4.0, requires_grad=True)
    >>> f = (x + y) * z
    >>> explain_figure(f, names={"x": x, "y": y, "z": z}).save("backward.svg")
"""

import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["plot_graph", "graph_of", "Graph", "GraphNode", "GraphSVG", "summary"]

SMALL = 6            # tensors with at most this many elements are shown by value
DOT_TIMEOUT = 20     # seconds given to Graphviz
_COLORS = {"leaf": "#dbeafe", "op": "#eeeeee", "output": "#dcfce7"}
_FORMATS = ("auto", "svg", "plotly", "dot")


@dataclass
class GraphNode:
    """One vertex of the picture: an operation, a leaf tensor or the output."""

    id: int
    kind: str                    # "op", "leaf" or "output"
    label: str                   # "Mul", "x", "leaf 0", "output"
    shape: tuple = None          # the shape of the tensor it stands for (None: unknown)
    lines: list = field(default_factory=list)   # the label, line by line
    hover: str = ""              # details (plotly hover text, SVG tooltip)
    level: int = 0               # 0 for the output, larger further back
    node: object = None          # the autograd node (an operation)
    tensor: object = None        # the Tensor (a leaf, or the output)


@dataclass
class Graph:
    """Nodes and edges ``(source id, target id, input index)``: source feeds target's input."""

    nodes: list
    edges: list
    names: dict                  # the leaf names used (name -> Tensor), for explain
    output: object               # the Tensor drawn


def graph_of(tensor, names=None):
    """The graph behind ``tensor``: its operations, leaves and the output, with labels.

    Operations are named after their ``grad_fn`` without ``Backward0`` (``MulBackward0`` ->
    ``Mul``) and labelled with their result's shape; leaves with their name (from ``names``,
    else ``leaf 0``, ``leaf 1``, ... in reading order), shape and, once ``backward`` has run,
    their ``.grad`` (values when small, the norm otherwise).

    Args:
        tensor (Tensor): a result with a ``grad_fn``, or a leaf that requires grad.
        names (dict name -> Tensor or Module, optional): names of leaves (or intermediate
            results, shown as ``q = Add``); a Module gives its ``named_parameters()``.

    Returns:
        Graph: ``.nodes`` (GraphNode, output last) and ``.edges``.

    Example:
        >>> [n.label for n in graph_of(x * y, names={"x": x, "y": y}).nodes]
        ['Mul', 'x', 'y', 'output']
    """
    from ..tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"plot_graph expects a Tensor, got {type(tensor).__name__}")
    if tensor.grad_fn is None and not tensor.requires_grad:
        raise ValueError("this tensor is not part of a graph: it has no grad_fn and does not "
                         "require grad (was it computed under no_grad(), or from inputs "
                         "created without requires_grad=True?)")
    if hasattr(names, "named_parameters"):
        names = dict(names.named_parameters())
    by_id = {id(t): name for name, t in (names or {}).items() if isinstance(t, Tensor)}
    if tensor.grad_fn is None:
        leaf = GraphNode(0, "leaf", by_id.get(id(tensor), "leaf 0"), tuple(tensor.shape),
                         tensor=tensor)
        _describe(leaf)
        return Graph([leaf], [], {leaf.label: tensor}, tensor)
    order, edges = _walk(tensor.grad_fn)
    shapes = _shapes(tensor, order, names or {})
    nodes, leaf_names = [], {}
    for index, item in enumerate(order):
        if type(item).__name__ == "AccumulateGrad":
            leaf = item.variable
            name = by_id.get(id(leaf), f"leaf {len(leaf_names)}")
            leaf_names[name] = leaf
            nodes.append(GraphNode(index, "leaf", name, tuple(leaf.shape), tensor=leaf))
        else:
            label = re.sub(r"Backward\d*$", "", item.name())
            named = [by_id[id(t)] for t in (names or {}).values() if isinstance(t, Tensor)
                     and t.grad_fn is item and id(t) in by_id and t is not tensor]
            nodes.append(GraphNode(index, "op", f"{named[0]} = {label}" if named else label,
                                   shapes.get((item, 0)), node=item))
    out = GraphNode(len(nodes), "output", by_id.get(id(tensor), "output"), tuple(tensor.shape),
                    tensor=tensor)
    nodes.append(out)
    edges.append((0, out.id, tensor._output_nr))
    for node in nodes:
        _describe(node)
    _levels(nodes, edges)
    return Graph(nodes, edges, leaf_names, tensor)


def _walk(root):
    """Autograd nodes reachable from ``root`` in reading order (depth first, inputs left to
    right; the root first) and the edges (producer, consumer, input index). No recursion."""
    index, order = {}, []
    stack = [root]
    while stack:
        node = stack.pop()
        if node in index:
            continue
        index[node] = len(order)
        order.append(node)
        stack.extend(child for child, _ in reversed(node.next_functions)
                     if child is not None and child not in index)
    edges = [(index[child], index[node], position) for node in order
             for position, (child, _) in enumerate(node.next_functions) if child is not None]
    return order, edges


def _shapes(output, order, names):
    """Shapes of the operations' results, keyed by (node, output_nr): from the output, named
    tensors, values the nodes saved, input shapes the nodes keep; else one recording pass."""
    from ..tensor import Tensor

    shapes = {(output.grad_fn, output._output_nr): tuple(output.shape)}
    for t in names.values():
        if isinstance(t, Tensor) and t.grad_fn is not None:
            shapes[(t.grad_fn, t._output_nr)] = tuple(t.shape)
    ops = [n for n in order if type(n).__name__ != "AccumulateGrad"]
    for node in ops:
        out = node._output_array()
        if out is not None:
            shapes.setdefault((node, 0), out.shape)
        for nr, meta in enumerate(getattr(node, "_output_meta", None) or ()):
            if meta is not None:
                shapes.setdefault((node, nr), tuple(meta[0]))
        for item in node._saved_sources():
            if isinstance(item, Tensor) and item.grad_fn is not None:
                shapes.setdefault((item.grad_fn, item._output_nr), tuple(item.shape))
        edges = node.next_functions
        inputs = getattr(node, "_input_shapes", None)
        if inputs is None and type(node).__module__.endswith("ops.arithmetic"):
            inputs = getattr(node, "shapes", None)
        if inputs is None and len(edges) == 1 and hasattr(node, "in_shape"):
            inputs = (node.in_shape,)
        if inputs is not None and len(inputs) == len(edges):
            for (child, nr), shape in zip(edges, inputs):
                if child is not None and isinstance(shape, tuple):
                    shapes.setdefault((child, nr), shape)
    if any((node, 0) not in shapes for node in ops):
        shapes.update({k: v for k, v in _recorded_shapes(output, ops).items()
                       if k not in shapes})
    return shapes


def _recorded_shapes(output, ops):
    """One backward pass (``autograd.grad``, graph retained, no ``.grad`` written) noting the
    gradient arriving at each node, which has its result's shape. Empty if the graph was freed."""
    from ..autograd.explain import _record, _untouched
    from ..autograd.explain import _walk as walk_leaves
    from ..tensor import Tensor

    leaves = walk_leaves(output.grad_fn)[1]
    start = None if output.numel() == 1 else Tensor._make(np.ones_like(output._data))
    try:
        with _untouched(ops):
            records, _ = _record(output, ops, leaves, start)
    except RuntimeError:  # saved values freed by an earlier backward()
        return {}
    return {(node, nr): g.shape for node, upstream, _ in records
            for nr, g in enumerate(upstream) if g is not None}


def _levels(nodes, edges):
    """Layer of each node: the longest path from it to the output (output = 0)."""
    consumers = {n.id: 0 for n in nodes}
    producers = {n.id: [] for n in nodes}
    for src, dst, _ in edges:
        consumers[src] += 1
        producers[dst].append(src)
    ready = [nodes[-1].id]
    by_id = {n.id: n for n in nodes}
    while ready:
        current = by_id[ready.pop()]
        for src in producers[current.id]:
            by_id[src].level = max(by_id[src].level, current.level + 1)
            consumers[src] -= 1
            if consumers[src] == 0:
                ready.append(src)


def _shape_text(shape):
    if shape is None:
        return "?"
    return "scalar" if len(shape) == 0 else str(tuple(shape))


def summary(value, width=SMALL):
    """A value in a few characters: ``-4``, ``[1, 2]``, or ``|.| 3.2`` (its norm) when large."""
    if value is None:
        return "?"
    if isinstance(value, tuple):  # the outputs of a multi-output node
        return "(" + ", ".join(summary(v, width) for v in value) + ")"
    a = np.asarray(getattr(value, "_data", value), dtype=float)
    if a.size == 1:
        return format(a.item(), ".4g")
    if a.size <= width:
        return "[" + ", ".join(format(v, ".4g") for v in a.reshape(-1)) + "]"
    return f"\u2016\u00b7\u2016 {np.linalg.norm(a):.4g}"


def _describe(node):
    """Fill ``lines`` (the label) and ``hover`` of a node from what it stands for."""
    shape = _shape_text(node.shape)
    node.lines = [node.label, shape]
    t = node.tensor
    if node.kind == "op":
        node.hover = f"{node.node.name()}<br>result: {shape}"
        return
    node.hover = (f"{node.label}: {shape} {str(t.dtype).replace('glassgrad.', '')}"
                  f"<br>value: {summary(t._data)}")
    if node.kind == "leaf" and t._grad is not None:
        node.lines.append(f"grad {summary(t._grad)}")
        node.hover += f"<br>grad: {summary(t._grad)}"


# ---------------------------------------------------------------- rendering
class GraphSVG:
    """A graph rendered by Graphviz: ``.svg`` (text), ``.dot`` (its source), ``save(path)``."""

    def __init__(self, svg, dot):
        start = svg.find("<svg")
        self.svg = svg[start:] if start >= 0 else svg
        self.dot = dot

    def _repr_svg_(self):
        return self.svg

    def save(self, path):
        """Write ``.svg`` (or ``.dot``/``.gv`` source, or ``.png``/``.pdf`` through Graphviz)."""
        suffix = path.rsplit(".", 1)[-1].lower()
        if suffix in ("png", "pdf"):
            data = _run_dot(self.dot, suffix, text=False)
            with open(path, "wb") as handle:
                handle.write(data)
            return path
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.dot if suffix in ("dot", "gv") else self.svg)
        return path

    def __repr__(self):
        return f"GraphSVG({len(self.svg)} characters of SVG)"


def _run_dot(source, fmt="svg", text=True):
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError("Graphviz's `dot` is not installed (apt-get install graphviz); "
                           "use format='plotly' instead")
    try:
        result = subprocess.run([dot, f"-T{fmt}"], input=source.encode("utf-8"),
                                capture_output=True, timeout=DOT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Graphviz took more than {DOT_TIMEOUT} s to lay out this graph; "
                           "use format='plotly'") from None
    if result.returncode != 0:
        raise RuntimeError(f"dot failed: {result.stderr.decode('utf-8', 'replace').strip()}")
    return result.stdout.decode("utf-8") if text else result.stdout


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph, edge_labels=None):
    """The DOT source of ``graph`` (left to right); ``edge_labels`` maps edge index -> text."""
    shapes = {"leaf": "ellipse", "op": "box", "output": "doubleoctagon"}
    lines = ["digraph glassgrad {", "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=11, style="filled"];',
             '  edge [fontname="Helvetica", fontsize=10, color="#555555"];']
    for node in graph.nodes:
        tooltip = re.sub("<br>", "\n", node.hover)
        lines.append(f"  n{node.id} [label={_quote(chr(10).join(node.lines))}, "
                     f"shape={shapes[node.kind]}, fillcolor=\"{_COLORS[node.kind]}\", "
                     f"tooltip={_quote(tooltip)}];")
    for k, (src, dst, _) in enumerate(graph.edges):
        label = (edge_labels or {}).get(k)
        extra = f" [label={_quote(label)}, fontcolor=\"#b91c1c\"]" if label else ""
        lines.append(f"  n{src} -> n{dst}{extra};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _positions(graph):
    """Layered layout: x = layer (leaves left), y ordered by the mean y of each node's
    consumers (the barycentre heuristic), centred per layer."""
    consumers = {}
    for src, dst, _ in graph.edges:
        consumers.setdefault(src, []).append(dst)
    layers = {}
    for node in graph.nodes:
        layers.setdefault(node.level, []).append(node.id)
    top = max(layers)
    y = {}
    for level in sorted(layers):
        members = sorted(layers[level], key=lambda i: (
            np.mean([y[c] for c in consumers.get(i, []) if c in y] or [0.0]), i))
        for rank, i in enumerate(members):
            y[i] = (len(members) - 1) / 2 - rank
    return {i: (float(top - graph.nodes[i].level), y[i]) for i in y}, layers


def to_plotly(graph, edge_labels=None, edge_hover=None, title=None):
    """A plotly Figure of ``graph``: nodes as markers with their labels, edges as arrows."""
    import plotly.graph_objects as go

    position, layers = _positions(graph)
    figure = go.Figure()
    symbols = {"leaf": "circle", "op": "square", "output": "diamond"}
    names = {"leaf": "leaf tensors", "op": "operations", "output": "output"}
    for kind in ("leaf", "op", "output"):
        members = [n for n in graph.nodes if n.kind == kind]
        if members:
            figure.add_trace(go.Scatter(
                x=[position[n.id][0] for n in members], y=[position[n.id][1] for n in members],
                mode="markers+text", name=names[kind], text=["<br>".join(n.lines) for n in members],
                textposition="bottom center", hovertext=[n.hover for n in members],
                hoverinfo="text", marker=dict(size=22, symbol=symbols[kind],
                                              color=_COLORS[kind], line=dict(width=1.5,
                                                                             color="#444"))))
    annotations = []
    middles = ([], [], [])
    for k, (src, dst, _) in enumerate(graph.edges):
        (x0, y0), (x1, y1) = position[src], position[dst]
        annotations.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x",
                                ayref="y", text="", showarrow=True, arrowhead=2, arrowsize=1.2,
                                arrowwidth=1.2, arrowcolor="#777", standoff=13, startstandoff=13))
        if edge_labels and k in edge_labels:
            annotations.append(dict(x=(x0 + x1) / 2, y=(y0 + y1) / 2, text=edge_labels[k],
                                    showarrow=False, font=dict(size=11, color="#b91c1c"),
                                    bgcolor="rgba(255,255,255,0.85)", yshift=10))
            middles[0].append((x0 + x1) / 2)
            middles[1].append((y0 + y1) / 2)
            middles[2].append((edge_hover or {}).get(k, edge_labels[k]))
    if middles[0]:
        figure.add_trace(go.Scatter(x=middles[0], y=middles[1], mode="markers", name="gradients",
                                    hovertext=middles[2], hoverinfo="text", showlegend=False,
                                    marker=dict(size=10, color="rgba(185,28,28,0.15)")))
    tallest = max(len(v) for v in layers.values())
    figure.update_layout(
        title=title, annotations=annotations, template="plotly_white", hovermode="closest",
        width=min(4000, 220 + 190 * len(layers)), height=min(4000, 260 + 110 * tallest),
        xaxis=dict(visible=False, range=[-0.6, len(layers) - 0.4]),
        yaxis=dict(visible=False, range=[-(tallest + 1) / 2, (tallest + 0.5) / 2]),
        legend=dict(orientation="h", y=-0.05), margin=dict(l=20, r=20, t=50, b=20),
        meta={"nodes": [{"id": n.id, "kind": n.kind, "label": n.label, "level": n.level,
                         "shape": None if n.shape is None else list(n.shape), "lines": n.lines}
                        for n in graph.nodes],
              "edges": [list(e) for e in graph.edges],
              "edge_labels": {str(k): v for k, v in (edge_labels or {}).items()}})
    return figure


def _render(graph, format, edge_labels=None, edge_hover=None, title=None):
    if format not in _FORMATS:
        raise ValueError(f"format must be one of {', '.join(_FORMATS)}, got {format!r}")
    if format == "dot":
        return to_dot(graph, edge_labels)
    if format == "svg" or (format == "auto" and shutil.which("dot")):
        source = to_dot(graph, edge_labels)
        try:
            return GraphSVG(_run_dot(source), source)
        except RuntimeError as error:
            if format == "svg":
                raise
            warnings.warn(f"{error}; drawing it with plotly instead", stacklevel=3)
    return to_plotly(graph, edge_labels, edge_hover, title)


def plot_graph(tensor, names=None, format="auto"):
    """Draw the computational graph behind ``tensor``.

    One node per operation (``Mul`` for ``MulBackward0``) labelled with its result's shape,
    one per leaf tensor (named from ``names``, else ``leaf 0``, ...; with its ``.grad`` once
    ``backward()`` has run), and the output; arrows run from inputs to the operations using them.
    Shapes that only a backward pass could reveal are found by one (``autograd.grad``, graph
    kept, no ``.grad`` written); after ``backward()`` freed the graph they show as ``?``.

    Args:
        tensor (Tensor): the result (usually a loss), or a leaf that requires grad.
        names (dict name -> Tensor, or a Module, optional): names of leaves (and intermediates).
        format (str): ``"auto"`` (Graphviz SVG if ``dot`` is on PATH, else plotly), ``"svg"``,
            ``"plotly"`` or ``"dot"`` (the DOT source as a string).

    Returns:
        GraphSVG, plotly Figure (``layout.meta`` holds the nodes and edges) or str.

    Example:
        >>> x = glassgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> plot_graph((x * x).sum(), names={"x": x}, format="plotly").show()
    """
    graph = graph_of(tensor, names)
    return _render(graph, format, title="Computational graph")
