"""The network itself: every neuron a dot, every weight an edge, changing as the weights learn.

``plot_network`` draws a small multilayer perceptron as the course notes do: columns of neurons
(input, hidden..., output) and one line per weight between neighbouring columns. An edge's
colour is the weight's sign (blue positive, red negative) and its width is proportional to
``|w|``, so as training goes on strong connections thicken, useless ones fade and some change
colour. With a History holding ``WeightMonitor`` snapshots the picture is animated over the
recorded epochs (a slider and a play button).

Example:
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> history = Trainer(max_epochs=20, callbacks=[WeightMonitor()], progress=False).fit(
    ...     model, loader, loss_fn=nn.CrossEntropyLoss())
    >>> plot_network(model, history).show()
"""

import math

import numpy as np

from .curves import as_history
from .weights import animation_controls

__all__ = ["plot_network"]

POSITIVE = "#2166ac"   # blue
NEGATIVE = "#b2182b"   # red
NOT_FINITE = "#999999"  # grey: an inf or nan weight (a diverged run)
MAX_WIDTH = 6.0          # the line width (px) of the largest |w| over all frames
HOVER_AT = 0.38          # where along an edge its hover point sits (keeps points distinct)


def _leaves(model):
    """``[(name, module)]`` of the modules without children, in registration order."""
    return [(name, module) for name, module in model.named_modules()
            if not any(True for _ in module.children())]


def linear_chain(model, max_neurons=None):
    """The Linear layers of ``model`` as ``[(name, layer, activation names after it)]``.

    Raises ValueError when there is no Linear layer, when consecutive Linear layers do not chain
    (``out_features`` of one is not ``in_features`` of the next), or when a layer is wider than
    ``max_neurons``.
    """
    from ..nn import Linear

    if not hasattr(model, "named_modules"):
        raise TypeError(f"plot_network: expected an nn.Module, got {type(model).__name__}")
    chain = []
    for name, module in _leaves(model):
        if isinstance(module, Linear):
            chain.append((name, module, []))
        elif chain:
            chain[-1][2].append(type(module).__name__)
    if not chain:
        raise ValueError(f"plot_network: {type(model).__name__} has no Linear layer; it draws "
                         "multilayer perceptrons (Linear layers feeding one another)")
    for (name, layer, _), (next_name, next_layer, _) in zip(chain, chain[1:]):
        if layer.out_features != next_layer.in_features:
            raise ValueError(
                f"plot_network: the Linear layers do not chain: {name!r} gives "
                f"{layer.out_features} outputs but {next_name!r} takes {next_layer.in_features} "
                "inputs; it draws multilayer perceptrons whose Linear layers feed one another")
    if max_neurons is not None:
        first_name, first, _ = chain[0]
        if first.in_features > max_neurons:
            raise ValueError(
                f"plot_network: the input of layer {first_name!r} ({first!r}) has "
                f"{first.in_features} features, more than max_neurons={max_neurons}; every "
                "unit is drawn, so pass a larger max_neurons or draw a smaller model")
        for name, layer, _ in chain:
            if layer.out_features > max_neurons:
                raise ValueError(
                    f"plot_network: layer {name!r} ({layer!r}) has {layer.out_features} units, "
                    f"more than max_neurons={max_neurons}; every unit is drawn, so pass a "
                    "larger max_neurons or draw a smaller model")
    return chain


def _parameter(name, kind):
    return f"{name}.{kind}" if name else kind


def _frames(chain, history):
    """``[(epoch or None, [(W, b or None) per layer])]``: the snapshots, or the current weights."""
    if history is not None:
        history = as_history(history)
    snapshots = getattr(history, "snapshots", None) or []
    if not snapshots:
        return [(None, [(layer.weight.detach().numpy().copy(),
                         None if layer.bias is None else layer.bias.detach().numpy().copy())
                        for _, layer, _ in chain])]
    frames = []
    for snapshot in snapshots:
        weights = snapshot["weights"]
        layers = []
        for name, layer, _ in chain:
            key = _parameter(name, "weight")
            if key not in weights:
                raise ValueError(f"plot_network: the snapshots have no {key!r} (they hold "
                                 f"{list(weights)}); were they recorded from this model?")
            matrix = np.asarray(weights[key])
            if matrix.shape != (layer.out_features, layer.in_features):
                raise ValueError(f"plot_network: snapshot {key!r} has shape {matrix.shape}, the "
                                 f"model's is {(layer.out_features, layer.in_features)}")
            layers.append((matrix, weights.get(_parameter(name, "bias"))))
        frames.append((snapshot["epoch"], layers))
    return frames


def _positions(widths):
    """``[[(x, y) per unit] per column]``: column c at x = c, units centred on y = 0."""
    return [[(float(c), (n - 1) / 2 - k) for k in range(n)] for c, n in enumerate(widths)]


def _unit_labels(widths, input_names, output_names):
    labels = []
    for c, n in enumerate(widths):
        names = (input_names if c == 0 else output_names if c == len(widths) - 1 else None)
        if names is not None and len(names) != n:
            side = "input_names" if c == 0 else "output_names"
            raise ValueError(f"plot_network: {side} has {len(names)} names for {n} units")
        kind = "input" if c == 0 else "output" if c == len(widths) - 1 else f"hidden {c}"
        labels.append([f"{kind} {k}" + (f" ({names[k]})" if names is not None else "")
                       for k in range(n)])
    return labels


def _edge_style(w, scale):
    """An edge's ``line``: MAX_WIDTH * |w| / scale wide, blue or red by sign (grey: inf, nan)."""
    if not math.isfinite(w):
        return dict(width=MAX_WIDTH, color=NOT_FINITE)
    return dict(width=MAX_WIDTH * abs(w) / scale, color=POSITIVE if w >= 0 else NEGATIVE)


def _edges(chain, layers, positions, labels, scale):
    """``(edge traces, hover trace)``: one line per weight, and a hover point on each line."""
    edges, hover_x, hover_y, hover_text = [], [], [], []
    for column, ((name, _, _), (matrix, _)) in enumerate(zip(chain, layers)):
        key = _parameter(name, "weight")
        for j, (x1, y1) in enumerate(positions[column + 1]):
            for i, (x0, y0) in enumerate(positions[column]):
                w = float(matrix[j, i])
                edges.append(dict(type="scatter", x=[x0, x1], y=[y0, y1], mode="lines",
                                  line=_edge_style(w, scale), hoverinfo="skip",
                                  showlegend=False, name=f"{key}[{j},{i}]",
                                  meta=dict(parameter=key, row=j, col=i)))
                hover_x.append(x0 + HOVER_AT * (x1 - x0))
                hover_y.append(y0 + HOVER_AT * (y1 - y0))
                hover_text.append(f"{key}[{j}, {i}] = {w:+.4g}<br>"
                                  f"{labels[column][i]} → {labels[column + 1][j]}")
    hover = dict(type="scatter", x=hover_x, y=hover_y, mode="markers", text=hover_text,
                 hoverinfo="text", showlegend=False, name="weights",
                 marker=dict(size=7, color="rgba(0, 0, 0, 0)"))
    return edges, hover


def _nodes(layers, positions, labels):
    """The neurons: one marker per unit, filled by the sign of its bias, the bias on hover."""
    node_x, node_y, node_text, node_colour = [], [], [], []
    for column, units in enumerate(positions):
        bias = None if column == 0 else layers[column - 1][1]
        for k, (x, y) in enumerate(units):
            node_x.append(x)
            node_y.append(y)
            text = labels[column][k]
            if bias is not None:
                b = float(np.asarray(bias)[k])
                text += f"<br>bias = {b:+.4g}"
                node_colour.append("rgb(209, 229, 240)" if b >= 0 else "rgb(253, 219, 199)")
            else:
                node_colour.append("white")
            node_text.append(text)
    return dict(type="scatter", x=node_x, y=node_y, mode="markers", text=node_text,
                hoverinfo="text", showlegend=False, name="neurons",
                marker=dict(size=16, color=node_colour, line=dict(width=1.5, color="#333")))


def _frame(chain, layers, positions, labels, scale):
    """An animation frame's traces: only what changes (edge styles, hover texts, node fills)."""
    edges, hover = _edges(chain, layers, positions, labels, scale)
    nodes = _nodes(layers, positions, labels)
    return ([dict(type="scatter", line=edge["line"]) for edge in edges]
            + [dict(type="scatter", text=hover["text"]),
               dict(type="scatter", text=nodes["text"], marker=nodes["marker"])])


def _subsample(frames, max_frames):
    """At most ``max_frames`` frames, evenly spaced, the first and the last always kept."""
    if max_frames is None or len(frames) <= max_frames:
        return frames
    keep = sorted(set(np.linspace(0, len(frames) - 1, max(2, max_frames)).round().astype(int)))
    return [frames[i] for i in keep]


def _scale(frames):
    """The largest finite |w| over every layer of every frame (1 if all are zero)."""
    largest = 0.0
    for _, layers in frames:
        for matrix, _ in layers:
            finite = np.abs(matrix[np.isfinite(matrix)])
            if finite.size:
                largest = max(largest, float(finite.max()))
    return largest or 1.0


def _title(epoch):
    when = "" if epoch is None else (" before training" if epoch == 0
                                     else f" after epoch {epoch}")
    return f"The network{when}"


def _key(scale):
    """The colour and width key, shown above the network."""
    return dict(xref="paper", yref="paper", x=0, y=1.02, xanchor="left", yanchor="bottom",
                showarrow=False, font=dict(size=12, color="#444"),
                text=(f"<span style='color:{POSITIVE}'>blue: positive weight</span>, "
                      f"<span style='color:{NEGATIVE}'>red: negative</span>; width ∝ |w| "
                      f"(widest: |w| = {scale:.3g}); neuron fill: sign of its bias"))


def plot_network(model, history=None, max_neurons=24, input_names=None, output_names=None,
                 max_frames=60):
    """Draw a small MLP: neurons as dots in columns, one edge per weight, animated over epochs.

    Column 0 holds the ``in_features`` of the first Linear layer, column l its l-th Linear
    layer's ``out_features``; the edge from unit i of column l to unit j of column l + 1 is the
    weight ``W_l[j, i]`` (PyTorch's ``(out_features, in_features)`` layout), drawn with

        width = MAX_WIDTH * |W_l[j, i]| / max |w|,   colour = blue if W_l[j, i] >= 0 else red,

    where ``max |w|`` is the largest finite magnitude over all layers and all frames, so widths
    compare across layers and epochs (an inf or nan weight is a grey edge of width MAX_WIDTH).
    Hovering an edge (a point 38% of the way from its input end) shows the value; hovering a
    neuron shows its bias. The Linear layers are found in registration order
    (``named_modules``), so a Sequential or any Module whose Linear layers feed one another
    works; the activations between them are named above the columns, not drawn. Every unit is
    drawn: a layer wider than ``max_neurons`` is an error rather than silently subsampled.

    Args:
        model: an ``nn.Module`` whose Linear layers chain by in/out features.
        history: a History (or run folder) with ``WeightMonitor`` snapshots: one animation
            frame per snapshot, named by its epoch (see ``max_frames``). Without (or without
            snapshots): the model's current weights, one picture.
        max_neurons: the widest layer drawn (inputs included).
        input_names: optional names of the input features (hover labels).
        output_names: optional names of the outputs (class names).
        max_frames: the most animation frames: with more snapshots, evenly spaced ones are
            drawn (the first and the last always), to keep the figure fast to build and load.

    Returns:
        a plotly Figure: one Scatter per weight (``name`` like ``"0.weight[j,i]"``, ``meta``
        ``{"parameter", "row", "col"}``), then the edges' hover points and the neurons; ``frames``
        per snapshot updating the edges' ``line`` (width, colour), the hover texts and the
        neurons.

    Raises:
        ValueError: no Linear layer, layers that do not chain, a layer wider than max_neurons.

    Example:
        >>> figure = plot_network(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)))
        >>> sum(1 for trace in figure.data if trace.meta)
        20
    """
    import plotly.graph_objects as go

    chain = linear_chain(model, max_neurons)
    widths = [chain[0][1].in_features, *(layer.out_features for _, layer, _ in chain)]
    positions = _positions(widths)
    labels = _unit_labels(widths, input_names, output_names)
    frames = _subsample(_frames(chain, history), max_frames)
    scale = _scale(frames)
    edges, hover = _edges(chain, frames[0][1], positions, labels, scale)
    top = (max(widths) - 1) / 2
    annotations = [_key(scale)]
    for column, n in enumerate(widths):
        kind = ("input" if column == 0 else "output" if column == len(widths) - 1
                else f"hidden {column}")
        after = chain[column - 1][2] if column else []
        note = f" · {', '.join(after)}" if after else ""
        annotations.append(dict(x=column, y=top + 0.7, showarrow=False, yanchor="bottom",
                                text=f"<b>{kind}</b><br>{n} units{note}"))
    animated = frames[0][0] is not None
    layout = dict(
        title=dict(text=_title(frames[0][0])), plot_bgcolor="white",
        hovermode="closest", annotations=annotations, height=max(380, 30 * max(widths) + 230),
        margin=dict(b=110 if animated and len(frames) > 1 else 40),
        xaxis=dict(visible=False, range=[-0.4, len(widths) - 0.6]),
        yaxis=dict(visible=False, range=[-top - 0.8, top + 2.0]))
    if animated and len(frames) > 1:
        layout.update(animation_controls([epoch for epoch, _ in frames]))
    figure_frames = [dict(name=str(epoch), layout=dict(title=dict(text=_title(epoch))),
                          data=_frame(chain, layers, positions, labels, scale))
                     for epoch, layers in frames] if animated else []
    # Thousands of small traces: the data and layout (built here from known keys) skip plotly's
    # per-property validation; plotly always validates frames (about 0.1 ms per edge per frame).
    data = [*edges, hover, _nodes(frames[0][1], positions, labels)]
    figure = go.Figure(dict(data=data, layout=layout, frames=figure_frames), _validate=False)
    figure._validate = True
    return figure
