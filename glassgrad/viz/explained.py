"""One backward pass drawn on its computational graph: ``explain_figure``.

The account of ``glassgrad.autograd.explain`` (each step: the upstream gradient, the local
derivatives, their products) is placed on the edges of the graph that ``graph.graph_of`` walks:
every edge input -> operation reads ``local x upstream = gradient``, as in the course notes'
step tables, and is rendered like ``plot_graph`` (Graphviz SVG, or plotly).

Example:
    >>> f = (x + y) * z            # x=-2, y=5, z=-4
    >>> explain_figure(f, names={"x": x, "y": y, "z": z}).save("backward.svg")
"""

import html
import re

import numpy as np

from .graph import GraphSVG, _render, graph_of, summary

__all__ = ["explain_figure"]


def explain_figure(output, names=None, format="auto"):
    """Draw one backward pass (``glassgrad.autograd.explain``) on the graph behind ``output``.

    Each edge input -> operation is labelled ``local x upstream = gradient``: the local
    derivative d(op)/d(input), the upstream gradient d(output)/d(op) and their product, the
    gradient passed down (numbers for scalars; values or norms for tensors, ``.`` for
    elementwise products, ``J`` for a Jacobian). Nodes show their values; leaves their
    gradients. Nothing is written to ``.grad``. The pass needs the graph's saved values: draw
    before ``backward()``, or after ``backward(retain_graph=True)``.

    Args:
        output (Tensor): a scalar result (the backward pass starts from d output/d output = 1).
        names (dict name -> Tensor, or a Module, optional): as in ``plot_graph``.
        format (str): as in ``plot_graph``.

    Returns:
        GraphSVG, plotly Figure or str, as ``plot_graph``; the Explanation is ``.explanation``
        of a GraphSVG, ``layout.meta["explanation"]`` (its ``to_dict()``) of a Figure.

    Example:
        >>> f = (x + y) * z            # x=-2, y=5, z=-4: edge z -> Mul reads "3 x 1 = 3"
        >>> explain_figure(f, names={"x": x, "y": y, "z": z}, format="plotly")
    """
    from ..autograd.explain import explain

    graph = graph_of(output, names)
    if output.grad_fn is None or output.numel() != 1:
        raise ValueError("explain_figure needs a scalar result (a loss) computed from tensors "
                         f"that require grad; got a tensor of shape {tuple(output.shape)}"
                         + (" that is a leaf" if output.grad_fn is None else ""))
    named = dict(graph.names)
    if isinstance(names, dict):
        named.update(names)
    explanation = explain(output, names=named, print_table=False)
    labels, hover = _edge_labels(graph, explanation)
    result = _render(graph, format, labels, hover, title="Backward pass: local \u00d7 upstream")
    if isinstance(result, GraphSVG):
        result.explanation = explanation
    elif not isinstance(result, str):
        result.layout.meta = dict(result.layout.meta, explanation=explanation.to_dict())
    return result


def _edge_labels(graph, explanation):
    """Edge labels from the steps: each step is matched to its graph node by following the
    names it passes down (the output's step first, then the inputs it named), and its inputs to
    that node's edges in order. Node labels get the values and gradients too."""
    root = explanation.output_name
    out = graph.nodes[-1]
    labels, hover = {len(graph.edges) - 1: summary(explanation.steps[0].upstream)}, {}
    hover[len(graph.edges) - 1] = f"d{root}/d{root} = {labels[len(graph.edges) - 1]}"
    out.lines.append(f"= {summary(explanation.output_value)}")
    incoming = {}
    for k, (src, dst, position) in enumerate(graph.edges):
        incoming.setdefault(dst, []).append((position, k, src))
    known = {explanation.steps[0].output_name: graph.edges[-1][0]}
    for step in explanation.steps:
        names = [step.output_name] + re.findall(r"[^(), ]+(?:\[\d+\])?", step.output_name)
        target = next((known[n] for n in names if n in known), None)
        if target is None or graph.nodes[target].node.name() != step.node_name:
            continue
        node = graph.nodes[target]
        if not _unknown(step.output_value):
            node.lines.append(f"= {summary(step.output_value)}")
        edges = sorted(incoming.get(target, []))
        if len(edges) != len(step.inputs):
            continue
        for (_, k, src), item in zip(edges, step.inputs):
            known.setdefault(item.name, src)
            labels[k], hover[k] = _edge_text(root, step, item)
    for node in graph.nodes:
        if node.kind == "leaf" and node.label in explanation.leaf_grads:
            grad = explanation.leaf_grads[node.label]
            node.lines = [node.label, f"= {summary(node.tensor._data)}",
                          f"d{root}/d{node.label} = {summary(grad)}"]
    return labels, hover


def _unknown(value):
    return value is None or (isinstance(value, tuple) and all(v is None for v in value))


def _edge_text(root, step, item):
    """``local x upstream = gradient`` for one input of one step, and its hover text."""
    up, local, grad = summary(step.upstream), summary(item.local), summary(item.grad)
    sign = " (+= a term of the sum)" if item.partial else ""
    if item.local_kind in ("scalar", "elementwise"):
        times = "\u00d7" if item.local_kind == "scalar" else "\u2299"
        text = f"{local} {times} {up} = {grad}"
    elif item.local_kind == "jacobian":
        text = f"{up} \u00b7 J{tuple(np.shape(item.local))} = {grad}"
    else:
        text = f"vjp = {grad}"
    formula = (f"d{root}/d{item.name} = d{step.output_name}/d{item.name} \u00d7 "
               f"d{root}/d{step.output_name}<br>= {html.escape(text)}{sign}")
    return text + (" (+)" if item.partial else ""), formula
