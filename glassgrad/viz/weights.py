"""Pictures of the weights: histograms over the epochs, and the health of every layer per step.

Both draw what ``glassgrad.train.WeightMonitor`` recorded into a History:

- ``plot_weights``: per parameter, the histogram of its values and of its gradient at each
  snapshot epoch, with a slider and a play button. The bin edges stay fixed per parameter, so
  the histogram visibly widens, shifts or collapses as training goes on.
- ``plot_health``: two heat maps, layers by steps, of log10 of each layer's gradient norm and of
  its update-to-weight ratio ``||W_after - W_before|| / ||W_after||``. Blue is tiny (vanishing
  gradients, frozen layers), red is huge (exploding gradients, updates as large as the weights).

Example:
    >>> history = Trainer(max_epochs=10, callbacks=[WeightMonitor()], progress=False).fit(
    ...     model, loader, loss_fn=nn.CrossEntropyLoss())
    >>> plot_weights(history).show()
    >>> plot_health(history).show()
"""

import math

import numpy as np

from .curves import as_history

__all__ = ["plot_weights", "plot_health"]

WEIGHT_COLOUR = "#1f77b4"
GRAD_COLOUR = "#d62728"
# Colour scales in log10 units: deep blue (vanishing) ... green (typical / healthy) ... deep red
# (exploding); values beyond the range keep the end colours.
GRAD_NORM_SCALE = [(-8, "#08306b"), (-6, "#2171b5"), (-4, "#c6dbef"), (-3, "#e5f5e0"),
                   (-1, "#74c476"), (1, "#e5f5e0"), (2, "#fcbba1"), (3, "#ef3b2c"), (4, "#67000d")]
UPDATE_RATIO_SCALE = [(-7, "#08306b"), (-6, "#2171b5"), (-5, "#c6dbef"), (-4, "#e5f5e0"),
                      (-3, "#74c476"), (-2, "#e5f5e0"), (-1, "#fcbba1"), (0, "#ef3b2c"),
                      (1, "#67000d")]
ZERO_LOG10 = -12.0                 # where an exact zero is drawn (log10(0) is -inf)


def animation_controls(names, duration=700, label="epoch "):
    """Layout entries (``updatemenus``, ``sliders``) that play frames named ``names``.

    Args:
        names: the frame names, in order.
        duration: milliseconds per frame when playing.
        label: the prefix of the slider's current-value label.
    """
    play = dict(frame=dict(duration=duration, redraw=True), transition=dict(duration=0),
                fromcurrent=True, mode="immediate")
    pause = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0),
                 mode="immediate")
    buttons = [dict(label="▶ Play", method="animate", args=[None, play]),
               dict(label="❚❚ Pause", method="animate", args=[[None], pause])]
    steps = [dict(label=str(name), method="animate",
                  args=[[str(name)], dict(frame=dict(duration=0, redraw=True), mode="immediate",
                                          transition=dict(duration=0))])
             for name in names]
    return dict(
        updatemenus=[dict(type="buttons", direction="left", showactive=False, buttons=buttons,
                          x=0.0, y=0.0, xanchor="left", yanchor="top", pad=dict(t=45, r=10))],
        sliders=[dict(active=0, steps=steps, x=0.12, y=0.0, len=0.88, xanchor="left",
                      yanchor="top", pad=dict(t=30), currentvalue=dict(prefix=label))])


def _edges(arrays, bins):
    """``bins + 1`` equal-width edges spanning the finite values of all ``arrays``."""
    finite = [a[np.isfinite(a)] for a in arrays]
    finite = [a for a in finite if a.size]
    if not finite:
        return np.linspace(-1.0, 1.0, bins + 1)
    low = min(float(a.min()) for a in finite)
    high = max(float(a.max()) for a in finite)
    if high <= low:
        pad = abs(low) * 0.1 or 1e-3
        low, high = low - pad, high + pad
    return np.linspace(low, high, bins + 1)


def _default_parameters(snapshot):
    """The weight matrices (ndim >= 2) of a snapshot, else every parameter."""
    names = [name for name, array in snapshot["weights"].items() if np.ndim(array) >= 2]
    return names or list(snapshot["weights"])


def _no_data(title, text):
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    figure.update_layout(title=title, height=300, xaxis_visible=False, yaxis_visible=False)
    return figure


def _epoch_title(snapshot):
    epoch = snapshot["epoch"]
    when = "before training (epoch 0)" if epoch == 0 else f"after epoch {epoch}"
    note = "; no gradients yet" if not snapshot["grads"] else ""
    return f"Weights and gradients {when}{note}"


def plot_weights(history, bins=40, parameters=None):
    """Histograms of each weight matrix and its gradient, one animation frame per snapshot epoch.

    For parameter p at snapshot t the bars are ``np.histogram(p_t, edges_p)``, with edges
    ``linspace(min_t min p_t, max_t max p_t, bins + 1)`` fixed across the snapshots (one set for
    the weights, one for the gradients), so a frame's bars are comparable with every other's.
    Non-finite values (inf, nan) are not counted. A snapshot without gradients (the one before
    training) shows empty gradient panels. The y range of each panel is fixed to its largest
    count over the frames.

    Args:
        history: a History with ``snapshots`` (from ``WeightMonitor``), or a run folder path.
        bins: bars per histogram.
        parameters: parameter names to draw (``["0.weight"]``); default every parameter with at
            least two dimensions (the Linear weight matrices), or all if there is none.

    Returns:
        a plotly Figure: rows = parameters, columns = weights and gradients; the traces are Bars
        named ``<parameter>`` and ``<parameter>.grad``; ``frames`` has one frame per snapshot,
        named by its epoch. Without snapshots, a figure saying so.

    Example:
        >>> figure = plot_weights(history, bins=30)
        >>> [frame.name for frame in figure.frames]
        ['0', '1', '2', '3']
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    history = as_history(history)
    snapshots = history.snapshots
    if not snapshots:
        return _no_data("Weights and gradients", "no weight snapshots recorded "
                        "(add glassgrad.train.WeightMonitor to the Trainer's callbacks)")
    names = list(parameters) if parameters is not None else _default_parameters(snapshots[0])
    missing = [name for name in names if name not in snapshots[0]["weights"]]
    if missing:
        raise ValueError(f"plot_weights: no parameter {missing[0]!r} in the snapshots; they hold "
                         f"{list(snapshots[0]['weights'])}")
    # counts[t] = [bars of trace 0, bars of trace 1, ...], traces = (weights, grads) per name
    layout_specs, counts = [], [[] for _ in snapshots]
    for name in names:
        for kind in ("weights", "grads"):
            arrays = [np.asarray(s[kind][name], dtype=np.float64) for s in snapshots
                      if name in s[kind]]
            edges = _edges(arrays, bins)
            layout_specs.append((name, kind, edges))
            for t, snapshot in enumerate(snapshots):
                if name in snapshot[kind]:
                    values = np.asarray(snapshot[kind][name], dtype=np.float64).ravel()
                    bars = np.histogram(values[np.isfinite(values)], edges)[0]
                else:
                    bars = np.zeros(bins, dtype=np.int64)
                counts[t].append([int(c) for c in bars])
    titles = [name if kind == "weights" else f"{name}.grad" for name, kind, _ in layout_specs]
    figure = make_subplots(rows=len(names), cols=2, subplot_titles=titles,
                           vertical_spacing=min(0.12, 0.3 / max(1, len(names) - 1)))
    for index, (name, kind, edges) in enumerate(layout_specs):
        row, col = index // 2 + 1, index % 2 + 1
        centres = (edges[:-1] + edges[1:]) / 2
        figure.add_trace(go.Bar(
            x=centres, y=counts[0][index], width=np.diff(edges),
            name=name if kind == "weights" else f"{name}.grad", showlegend=False,
            marker=dict(color=WEIGHT_COLOUR if kind == "weights" else GRAD_COLOUR,
                        line=dict(width=0)),
            customdata=np.stack([edges[:-1], edges[1:]], axis=1),
            hovertemplate="[%{customdata[0]:.3g}, %{customdata[1]:.3g}]: %{y}<extra>"
                          "%{fullData.name}</extra>"), row=row, col=col)
        top = max(max(frame[index]) for frame in counts)
        figure.update_yaxes(range=[0, max(1, top) * 1.05], row=row, col=col)
        figure.update_xaxes(range=[edges[0], edges[-1]], row=row, col=col)
    traces = list(range(len(layout_specs)))
    figure.frames = [go.Frame(name=str(snapshot["epoch"]), traces=traces,
                              data=[go.Bar(y=bars) for bars in counts[t]],
                              layout=dict(title_text=_epoch_title(snapshot)))
                     for t, snapshot in enumerate(snapshots)]
    figure.update_layout(title=_epoch_title(snapshots[0]), bargap=0,
                         height=230 * len(names) + 160, margin=dict(b=110))
    if len(snapshots) > 1:
        figure.update_layout(**animation_controls([s["epoch"] for s in snapshots]))
    return figure


def _log10_grid(rows, layers, prefix):
    """``(steps, z, raw)``: the steps that logged ``<prefix><layer>``, and per layer the log10 of
    each value (``ZERO_LOG10`` for 0, None when missing or not finite) and the value itself
    (as text when not finite, so that it survives JSON)."""
    rows = [row for row in rows if any(f"{prefix}{layer}" in row for layer in layers)]
    steps = [row.get("step", i + 1) for i, row in enumerate(rows)]
    z, raw = [], []
    for layer in layers:
        z_row, raw_row = [], []
        for row in rows:
            value = row.get(f"{prefix}{layer}")
            if value is None or not math.isfinite(value) or value < 0:
                z_row.append(None)
                raw_row.append(None if value is None else str(value))
            else:
                z_row.append(math.log10(value) if value > 0 else ZERO_LOG10)
                raw_row.append(value)
        z.append(z_row)
        raw.append(raw_row)
    return steps, z, raw


def _colours(anchors):
    """A plotly colour scale, and its (zmin, zmax), from ``[(log10 value, colour)]``."""
    low, high = anchors[0][0], anchors[-1][0]
    return [[(value - low) / (high - low), colour] for value, colour in anchors], (low, high)


def _colorbar(figure, axis, low, high, title, marks):
    """A colour bar beside the subplot of ``axis``, ticks at every decade (``marks`` adds words)."""
    domain = figure.layout[axis].domain
    ticks = list(range(int(low), int(high) + 1))
    text = [f"1e{t}" + marks.get(t, "") for t in ticks]
    return dict(title=dict(text=title, side="right"), tickvals=ticks, ticktext=text,
                y=(domain[0] + domain[1]) / 2, len=domain[1] - domain[0], yanchor="middle")


def plot_health(history):
    """Training health of every layer at every step: log10 gradient norms and update ratios.

    Two heat maps with rows = layers (first layer on top) and columns = optimizer steps:

    - ``log10 ||grad||`` from the ``grad_norm/<layer>`` step columns (the Trainer logs them);
    - ``log10(||W_after - W_before|| / ||W_after||)`` from the ``update_ratio/<layer>`` columns
      (``WeightMonitor`` logs them). About 1e-3 is the usual healthy value: far below it the
      layer barely learns (raise the lr), near 1 each update is as big as the weights (lower it).

    The colour scales are fixed, so a colour means the same in every run: green for the usual
    band (gradient norms 1e-3 to 1e1, darkest at 1e-1; update ratios 1e-4 to 1e-2, darkest at
    the healthy 1e-3), blue for tiny values (vanishing gradients, frozen layers; deepest at 1e-8
    and 1e-7) and red for huge ones (exploding; deepest at 1e4 and 10). These bands are a guide
    for small networks, not a law. The z values are the exact log10 of the recorded numbers; an
    exact zero is drawn at -12, a missing or non-finite value is left blank; the hover shows the
    value and the band.

    Args:
        history: a ``glassgrad.train.History``, or the path of a run folder.

    Returns:
        a plotly Figure with Heatmap traces named ``grad_norm`` and ``update_ratio`` (each only
        when recorded; an empty panel says so, e.g. "no update ratios recorded (add
        WeightMonitor)"), each with ``y`` = layer names, ``x`` = steps and ``customdata`` = the
        recorded values.

    Example:
        >>> figure = plot_health(history)
        >>> figure.data[0].y
        ('0', '2')
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    history = as_history(history)
    keys = history.keys("step") if history.steps else []
    titles = ["log10 gradient norm per layer (green: typical; blue: vanishing; red: exploding)",
              "log10 update / weight ratio per layer (green: healthy ≈ 1e-3; blue: barely "
              "learning; red: too big)"]
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.16,
                           subplot_titles=titles)
    panels = [("grad_norm", "grad_norm/", GRAD_NORM_SCALE, {-1: " typical"},
               "‖grad‖ = %{customdata:.3e}<br>typical band ≈ 1e-3 to 1e1",
               "no gradient norms recorded"),
              ("update_ratio", "update_ratio/", UPDATE_RATIO_SCALE, {-3: " healthy"},
               "update / weight = %{customdata:.3e}<br>healthy band ≈ 1e-4 to 1e-2 (about 1e-3)",
               "no update ratios recorded (add WeightMonitor)")]
    for row, (name, prefix, anchors, marks, value_text, empty) in enumerate(panels, start=1):
        ref = "" if row == 1 else str(row)
        layers = [key[len(prefix):] for key in keys if key.startswith(prefix)]
        if not layers:
            figure.add_annotation(text=empty, showarrow=False, x=0.5, y=0.5,
                                  xref=f"x{ref} domain", yref=f"y{ref} domain",
                                  font=dict(size=14, color="#555"))
            figure.update_yaxes(visible=False, row=row, col=1)
            continue
        steps, z, raw = _log10_grid(history.steps, layers, prefix)
        colorscale, (low, high) = _colours(anchors)
        figure.add_trace(go.Heatmap(
            x=steps, y=layers, z=z, customdata=raw, name=name, zmin=low, zmax=high,
            colorscale=colorscale,
            colorbar=_colorbar(figure, f"yaxis{ref}", low, high, name.replace("_", " "), marks),
            hovertemplate=f"layer %{{y}}, step %{{x}}<br>{value_text}"
                          "<br>log10 = %{z:.2f}<extra></extra>"), row=row, col=1)
        figure.update_yaxes(type="category", autorange="reversed", title_text="layer",
                            row=row, col=1)
    figure.update_xaxes(title_text="optimizer step", row=2, col=1)
    figure.update_layout(title="Training health", height=640, margin=dict(t=110))
    return figure
