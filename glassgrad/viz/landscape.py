"""Loss landscapes: a loss over two parameters, and the paths optimizers take across it.

Two uses:

- a function of two numbers, ``loss_fn(w1, w2)`` (the course notes' bumpy surface, a
  Rosenbrock valley): its surface or contour over a box, and for each optimizer the path it
  really takes from ``start`` (glassgrad autograd and a glassgrad optimizer, step by step);
- a trained ``model`` and a closure ``loss_fn()`` returning its loss: the loss along two random,
  filter-normalised directions around the current weights (Li et al. 2018, "Visualizing the Loss
  Landscape of Neural Nets"), weights put back afterwards.

Example:
    >>> def bumps(x, y):
    ...     return np.sin(np.sqrt(x**2 + y**2)) + 0.5 * np.cos(2 * x) - 0.05 * x**2
    >>> fig = plot_landscape(bumps, {
    ...     "SGD": lambda p: glassgrad.optim.SGD(p, lr=0.1),
    ...     "momentum": lambda p: glassgrad.optim.SGD(p, lr=0.01, momentum=0.9)},
    ...     start=(0.1, 1.6), steps=200)
    >>> fig.layout.meta["paths"]["momentum"][-1]        # [w1, w2, loss] after 200 steps
"""

import numpy as np

__all__ = ["plot_landscape", "loss_grid", "optimizer_path", "random_directions"]

_KINDS = ("surface", "contour")
_COLORS = ["#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]


def plot_landscape(loss_fn, optimizers=None, start=(0.1, 1.6), *, steps=50, bounds=None,
                   resolution=60, kind="surface", model=None, span=1.0, seed=0):
    """Draw a loss over two parameters, with the paths optimizers take across it.

    Function mode (``model=None``): ``loss_fn(w1, w2)`` takes two scalar Tensors and returns a
    scalar Tensor. It is evaluated on a ``resolution x resolution`` grid (in one call on 2-D
    grid tensors when it works elementwise, else point by point), and every optimizer runs
    ``steps`` real steps from ``start``: ``loss = loss_fn(w1, w2); loss.backward();
    opt.step()``.

    Model mode: ``loss_fn()`` takes no arguments and returns the loss of ``model`` (a Module).
    The picture is L(theta + a d1 + b d2) for a, b in [-span, span], with d1, d2 random
    directions normalised filter by filter: for each row i of each weight,
    d[i] <- d[i] / ||d[i]|| * ||theta[i]||; 1-D parameters (biases, norms) are held fixed, as in
    Li et al. 2018 (unless the model has nothing else). The model runs in eval mode and
    gets its weights and mode back afterwards.

    Args:
        loss_fn (callable): ``loss_fn(w1, w2)``, or ``loss_fn()`` with ``model``.
        optimizers (dict name -> callable, optional): factories ``lambda params: optimizer``,
            each given the list ``[w1, w2]`` (function mode only).
        start (pair of float): where every optimizer starts (the course notes' (0.1, 1.6)).
        steps (int): optimizer steps per path.
        bounds (((lo, hi), (lo, hi)) or (lo, hi), optional): the box drawn; default: a box
            around ``start`` and the paths (their finite points), with a margin.
        resolution (int): grid points per axis (model mode: one loss evaluation each).
        kind (str): ``"surface"`` (3-D) or ``"contour"`` (2-D, paths drawn on top).
        model (Module, optional): switches to model mode.
        span (float): model mode: the range of both direction coefficients.
        seed (int): model mode: seed of the random directions (the global generator is untouched).

    Returns:
        plotly Figure. ``layout.meta`` holds ``"paths"`` ({name: [[w1, w2, loss], ...]}, the
        start first, ``steps + 1`` points unless a loss became infinite or NaN), ``"bounds"``,
        and in model mode ``"center_loss"`` (the loss at the current weights).

    Example:
        >>> fig = plot_landscape(lambda a, b: a**2 + 10 * b**2,
        ...                      {"Adam": lambda p: glassgrad.optim.Adam(p, lr=0.1)},
        ...                      start=(2.0, 1.0), kind="contour")
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'surface' or 'contour', got {kind!r}")
    if int(resolution) < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    if model is not None:
        return _model_landscape(loss_fn, model, span, int(resolution), kind, seed)
    paths = {name: optimizer_path(loss_fn, factory, start, steps)
             for name, factory in (optimizers or {}).items()}
    box = _bounds(bounds, start, paths)
    xs = np.linspace(*box[0], int(resolution))
    ys = np.linspace(*box[1], int(resolution))
    zs = loss_grid(loss_fn, xs, ys)
    figure = _figure(xs, ys, zs, kind, ("w1", "w2"), "Loss landscape")
    for k, (name, points) in enumerate(paths.items()):
        _add_path(figure, name, np.asarray(points, dtype=float), kind, _COLORS[k % len(_COLORS)])
    figure.update_layout(meta={"paths": paths, "start": [float(v) for v in start],
                               "bounds": [list(map(float, b)) for b in box]})
    return figure


def optimizer_path(loss_fn, factory, start, steps):
    """Run ``factory([w1, w2])`` for ``steps`` steps on ``loss_fn(w1, w2)`` from ``start``;
    returns ``[[w1, w2, loss], ...]`` (the start first; stops early at a non-finite loss)."""
    import glassgrad

    w1 = glassgrad.tensor(float(start[0]), dtype=glassgrad.float64, requires_grad=True)
    w2 = glassgrad.tensor(float(start[1]), dtype=glassgrad.float64, requires_grad=True)
    optimizer = factory([w1, w2])
    if not hasattr(optimizer, "step"):
        raise TypeError("optimizers maps names to factories such as "
                        "lambda params: glassgrad.optim.SGD(params, lr=0.1); "
                        f"this one returned {type(optimizer).__name__}")
    points = []
    for k in range(int(steps) + 1):
        optimizer.zero_grad()
        loss = loss_fn(w1, w2)
        if not isinstance(loss, glassgrad.Tensor) or loss.numel() != 1:
            raise ValueError("loss_fn(w1, w2) must return a scalar Tensor (built with glassgrad "
                             f"operations), got {type(loss).__name__}")
        value = float(loss.item())
        points.append([float(w1.item()), float(w2.item()), value])
        if k == steps or not np.isfinite(value):
            break
        loss.backward()
        optimizer.step()
    return points


def loss_grid(loss_fn, xs, ys):
    """``Z[i, j] = loss_fn(xs[j], ys[i])`` (rows follow ``ys``, as plotly draws them): one call
    on 2-D grid tensors if ``loss_fn`` works elementwise (checked on a few points), else a loop."""
    import glassgrad

    w1, w2 = np.meshgrid(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))

    def at(a, b):
        with glassgrad.no_grad():
            out = loss_fn(glassgrad.tensor(a, dtype=glassgrad.float64),
                          glassgrad.tensor(b, dtype=glassgrad.float64))
        return np.asarray(getattr(out, "_data", out), dtype=float)

    try:
        zs = at(w1, w2)
        probes = [(0, 0), (w1.shape[0] // 2, w1.shape[1] // 3), (-1, -1)]
        if zs.shape == w1.shape and all(
                np.allclose(zs[p], at(w1[p], w2[p]), rtol=1e-6, atol=1e-9, equal_nan=True)
                for p in probes):
            return zs
    except Exception:  # not elementwise (a reduction, a shape check): evaluate point by point
        pass
    return np.array([[float(at(a, b)) for a, b in zip(row1, row2)]
                     for row1, row2 in zip(w1, w2)])


def _bounds(bounds, start, paths):
    """((lo, hi), (lo, hi)): given, or around the start and the finite path points."""
    if bounds is not None:
        pair = np.asarray(bounds, dtype=float)
        box = np.stack([pair, pair]) if pair.shape == (2,) else pair
        if box.shape != (2, 2) or np.any(box[:, 0] >= box[:, 1]):
            raise ValueError("bounds must be (lo, hi) or ((w1_lo, w1_hi), (w2_lo, w2_hi)) "
                             f"with lo < hi, got {bounds!r}")
        return box
    points = [np.asarray(start, dtype=float)]
    points += [np.asarray(p[:2]) for path in paths.values() for p in path]
    points = np.array([p for p in points if np.all(np.isfinite(p))])
    lo, hi = points.min(axis=0), points.max(axis=0)
    margin = np.maximum(0.2 * (hi - lo).max(), 1.0)
    return np.stack([lo - margin, hi + margin], axis=1)


def _figure(xs, ys, zs, kind, titles, title):
    import plotly.graph_objects as go

    if kind == "surface":
        figure = go.Figure(go.Surface(x=xs, y=ys, z=zs, colorscale="Viridis", opacity=0.85,
                                      name="loss", colorbar=dict(title="loss")))
        figure.update_layout(scene=dict(xaxis_title=titles[0], yaxis_title=titles[1],
                                        zaxis_title="loss",
                                        camera=dict(eye=dict(x=1.3, y=-1.3, z=0.9))))
    else:
        figure = go.Figure(go.Contour(x=xs, y=ys, z=zs, colorscale="Viridis", name="loss",
                                      ncontours=30, colorbar=dict(title="loss")))
        figure.update_layout(xaxis_title=titles[0], yaxis_title=titles[1])
    figure.update_layout(title=title, template="plotly_white", height=620,
                         margin=dict(l=20, r=20, t=60, b=20),
                         legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    return figure


def _add_path(figure, name, points, kind, color):
    """A path as lines+markers at loss height (surface) or on the plane (contour)."""
    import plotly.graph_objects as go

    hover = [f"{name}, step {k}<br>w1 {p[0]:.4g}, w2 {p[1]:.4g}<br>loss {p[2]:.4g}"
             for k, p in enumerate(points)]
    if kind == "surface":
        figure.add_trace(go.Scatter3d(x=points[:, 0], y=points[:, 1], z=points[:, 2], name=name,
                                      mode="lines+markers", hovertext=hover, hoverinfo="text",
                                      marker=dict(size=3, color=color),
                                      line=dict(color=color, width=4)))
    else:
        figure.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], name=name, hovertext=hover,
                                    hoverinfo="text", mode="lines+markers",
                                    marker=dict(size=5, color=color),
                                    line=dict(color=color, width=2)))


# ---------------------------------------------------------------- model mode
def random_directions(parameters, seed=0):
    """Two random directions in parameter space, normalised filter by filter (Li et al. 2018):
    ``d[i] <- d[i] / ||d[i]|| * ||theta[i]||`` for each row i of each parameter of 2 or more
    dimensions; zero for 1-D parameters, unless there are no others (then whole-vector)."""
    rng = np.random.default_rng(seed)
    arrays = [p._data.astype(float) for p in parameters]
    has_filters = any(a.ndim >= 2 for a in arrays)
    directions = []
    for _ in range(2):
        direction = []
        for theta in arrays:
            d = rng.standard_normal(theta.shape)
            if theta.ndim >= 2:
                rows, drows = theta.reshape(len(theta), -1), d.reshape(len(d), -1)
                scale = np.linalg.norm(rows, axis=1) / (np.linalg.norm(drows, axis=1) + 1e-10)
                d = (drows * scale[:, None]).reshape(theta.shape)
            elif has_filters:
                d = np.zeros_like(theta)
            else:
                d = d / (np.linalg.norm(d) + 1e-10) * np.linalg.norm(theta)
            direction.append(d)
        directions.append(direction)
    return directions


def _model_landscape(loss_fn, model, span, resolution, kind, seed):
    import glassgrad

    parameters = list(model.parameters())
    if not parameters:
        raise ValueError("the model has no parameters")
    saved = [p._data.copy() for p in parameters]
    first, second = random_directions(parameters, seed)
    alphas = np.linspace(-span, span, resolution)
    betas = np.linspace(-span, span, resolution)
    zs = np.empty((resolution, resolution))
    was_training = model.training
    model.eval()
    try:
        with glassgrad.no_grad():
            center = float(loss_fn().item())
            for i, b in enumerate(betas):
                for j, a in enumerate(alphas):
                    for p, theta, d1, d2 in zip(parameters, saved, first, second):
                        moved = theta + a * d1 + b * d2
                        p.copy_(glassgrad.tensor(moved.astype(theta.dtype)))
                    zs[i, j] = float(loss_fn().item())
    finally:
        with glassgrad.no_grad():
            for p, theta in zip(parameters, saved):
                p.copy_(glassgrad.tensor(theta))
        model.train(was_training)
    figure = _figure(alphas, betas, zs, kind, ("direction 1 (\u03b1)", "direction 2 (\u03b2)"),
                     "Loss landscape around the current weights (filter-normalised directions)")
    _add_path(figure, "current weights", np.array([[0.0, 0.0, center]]), kind, "#d62728")
    figure.update_layout(meta={"center_loss": center, "span": float(span), "seed": int(seed),
                               "bounds": [[-float(span), float(span)]] * 2})
    return figure
