"""Learning curves: loss, metrics, learning rate and gradient norms of a run, and schedule previews.

``plot_history`` draws what ``glassgrad.train.History`` recorded, one panel per quantity, with a
shared x axis:

- loss: ``train_loss`` and ``val_loss`` of every epoch (and the per-step batch loss);
- each metric: ``train_<metric>`` and ``val_<metric>``;
- learning rate: the ``lr`` of every optimizer step (other parameter groups from a
  ``LearningRateMonitor`` as ``lr-<Optimizer>/pg<i>``);
- gradient norm per layer: ``grad_norm/<layer>`` of the step rows, on a log axis.

``plot_schedule`` draws a learning-rate schedule before any training, by stepping a copy of it.

Example:
    >>> history = Trainer(max_epochs=20, progress=False).fit(model, loader, loss_fn=loss_fn)
    >>> plot_history(history).show()
    >>> plot_schedule({"step": lambda opt: StepLR(opt, 30, 0.5),
    ...                "cosine": lambda opt: CosineAnnealingLR(opt, 100)}, steps=100)
"""

import copy
import math
import os
import warnings

__all__ = ["plot_history", "plot_schedule"]

TRAIN_COLOUR = "#1f77b4"
VAL_COLOUR = "#ff7f0e"
BATCH_COLOUR = "rgba(31, 119, 180, 0.3)"
PANEL_HEIGHT = 260


def as_history(source):
    """A History from a History (returned as is), a run folder, or a ``metrics.csv`` path."""
    if hasattr(source, "epochs") and hasattr(source, "steps"):
        return source
    from ..train.history import History

    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if os.path.isdir(path):
            return History.from_run(path)
        if os.path.isfile(path) and path.endswith(".csv"):
            return History.from_csv(path)
        raise FileNotFoundError(f"no run folder or metrics.csv at {path!r}")
    raise TypeError("expected a glassgrad.train.History or the path of a run folder, got "
                    f"{type(source).__name__}")


def fractional_epochs(history):
    """The x position of every step row in completed epochs: step k of the n steps of epoch e
    (0-based) sits at ``e + k / n``, so the last step of the first epoch is at 1.0.

    n comes from the epoch rows (``step`` at the end of each epoch); for an epoch without a row
    (an unfinished last epoch) it is the steps per epoch seen before, else the steps logged.
    """
    ends = {row["epoch"]: row["step"] for row in history.epochs if "epoch" in row and "step" in row}
    by_epoch = {}
    for row in history.steps:
        by_epoch.setdefault(row.get("epoch", 0), []).append(row.get("step", 0))
    lengths = [ends[e] - ends[e - 1] for e in ends if e - 1 in ends]
    typical = lengths[0] if lengths else None
    bounds = {}
    for epoch, steps in by_epoch.items():
        start = ends.get(epoch - 1, min(steps) - 1)
        end = ends.get(epoch, start + (typical or 0))
        bounds[epoch] = (start, max(end, max(steps)))
    positions = []
    for row in history.steps:
        epoch = row.get("epoch", 0)
        start, end = bounds[epoch]
        span = end - start
        positions.append(epoch + ((row.get("step", 0) - start) / span if span > 0 else 1.0))
    return positions


def _metric_names(history, metrics):
    """Metric names (``accuracy``) in the epoch rows, in order; ``metrics`` filters them."""
    found = []
    for key in history.keys("epoch") if history.epochs else []:
        for prefix in ("train_", "val_"):
            if key.startswith(prefix) and key != f"{prefix}loss":
                name = key[len(prefix):]
                if name not in found:
                    found.append(name)
    if metrics is None:
        return found
    wanted = [metrics] if isinstance(metrics, str) else list(metrics)
    wanted = [name.removeprefix("train_").removeprefix("val_") for name in wanted]
    return [name for name in wanted if name in found]


def _series(rows, key, xs):
    """``(x, y)`` of the rows that hold ``key``."""
    pairs = [(x, row[key]) for row, x in zip(rows, xs) if key in row]
    return [x for x, _ in pairs], [y for _, y in pairs]


def _panels(history, x, metrics):
    """``[(title, y axis title, log axis, [trace dicts])]`` of the panels that have data."""
    epochs, steps = history.epochs, history.steps
    if x == "epoch":
        epoch_x = [row.get("epoch", i) + 1 for i, row in enumerate(epochs)]
        step_x = fractional_epochs(history)
    else:
        epoch_x = [row.get("step", i) for i, row in enumerate(epochs)]
        step_x = [row.get("step", i + 1) for i, row in enumerate(steps)]
    seen_legend = set()

    def line(rows, xs, key, name, colour, group, **extra):
        px, py = _series(rows, key, xs)
        if not py:
            return []
        show = group not in seen_legend
        seen_legend.add(group)
        return [dict(x=px, y=py, name=name, mode="lines+markers" if rows is epochs else "lines",
                     line=dict(color=colour), legendgroup=group, showlegend=show, **extra)]

    panels = []
    loss = (line(epochs, epoch_x, "train_loss", "train_loss", TRAIN_COLOUR, "train")
            + line(epochs, epoch_x, "val_loss", "val_loss", VAL_COLOUR, "validation")
            + line(steps, step_x, "train_loss", "train_loss (batch)", BATCH_COLOUR, "batch",
                   visible=True if x == "step" else "legendonly"))
    if loss:
        panels.append(("Loss", "loss", False, loss))
    for name in _metric_names(history, metrics):
        traces = (line(epochs, epoch_x, f"train_{name}", f"train_{name}", TRAIN_COLOUR, "train")
                  + line(epochs, epoch_x, f"val_{name}", f"val_{name}", VAL_COLOUR, "validation"))
        if traces:
            panels.append((name.replace("_", " ").capitalize(), name, False, traces))
    lr_rows, lr_x = (steps, step_x) if any("lr" in row for row in steps) else (epochs, epoch_x)
    lr = line(lr_rows, lr_x, "lr", "lr", "#2ca02c", "lr")
    for key in history.keys("step") if steps else []:
        if key.startswith("lr-") and "/pg" in key and not key.endswith("/pg1"):
            lr += line(steps, step_x, key, key, None, key)
    for trace in lr:  # a learning rate holds until the scheduler changes it: draw steps
        trace["line"]["shape"] = "hv"
    if lr:
        values = [v for trace in lr for v in trace["y"] if v > 0]
        wide = bool(values) and max(values) > 100 * min(values)
        panels.append(("Learning rate", "learning rate", wide, lr))
    norms = []
    for key in history.keys("step") if steps else []:
        if key.startswith("grad_norm/"):
            norms += line(steps, step_x, key, key, None, key)
    if norms:
        panels.append(("Gradient norm per layer", "gradient L2 norm", True, norms))
    return panels


def plot_history(history, x="epoch", metrics=None):
    """The learning curves of a run: loss, metrics, learning rate and gradient norms per layer.

    One panel per quantity, sharing the x axis. Epoch-level values (the ``history.epochs`` rows:
    epoch means of the training loss and metrics, and the validation values) are drawn as lines
    with markers; step-level values (the ``history.steps`` rows: batch loss, lr, gradient norms)
    as lines. A series the run did not record is left out, and so is a panel with nothing in it.

    With ``x="epoch"`` the axis counts completed epochs: epoch i's values (0-based in the rows)
    sit at i + 1, and the step-level values at fractional epochs (step k of the n steps of
    epoch e at ``e + k / n``), so the last step of an epoch lines up with that epoch's point.
    With ``x="step"`` the axis counts optimizer steps: step rows at their ``step``, epoch rows at
    the step that ended the epoch. The batch loss is shown with ``x="step"`` and one click away
    (in the legend) with ``x="epoch"``. Gradient norms use a log axis, as does the learning rate
    when it spans more than a factor 100.

    Args:
        history: a ``glassgrad.train.History``, or the path of a run folder (or its metrics.csv).
        x: "epoch" or "step".
        metrics: metric names to draw (``"accuracy"`` or ``["accuracy", "f1"]``); default every
            ``train_<name>`` / ``val_<name>`` column. Names the run lacks are skipped.

    Returns:
        a plotly Figure; each trace is named by its History column (``train_loss``,
        ``val_accuracy``, ``lr``, ``grad_norm/0``; the batch loss is ``train_loss (batch)``).

    Example:
        >>> figure = plot_history(trainer.fit(model, loader, val_loader, loss_fn=loss_fn,
        ...                                   metrics=["accuracy"]))
        >>> [trace.name for trace in figure.data][:2]
        ['train_loss', 'val_loss']
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if x not in ("epoch", "step"):
        raise ValueError(f"plot_history: x must be 'epoch' or 'step', got {x!r}")
    history = as_history(history)
    panels = _panels(history, x, metrics)
    if not panels:
        figure = go.Figure()
        figure.add_annotation(text="nothing recorded yet", showarrow=False,
                              xref="paper", yref="paper", x=0.5, y=0.5)
        figure.update_layout(title="Training history", height=PANEL_HEIGHT)
        return figure
    figure = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                           subplot_titles=[title for title, *_ in panels])
    for row, (title, y_title, log, traces) in enumerate(panels, start=1):
        for trace in traces:
            figure.add_trace(go.Scatter(**trace), row=row, col=1)
        figure.update_yaxes(title_text=y_title, type="log" if log else "linear", row=row, col=1)
        if title == "Learning rate" and not log:
            figure.update_yaxes(row=row, col=1, **_from_zero([v for t in traces for v in t["y"]]))
    x_title = "epoch (completed)" if x == "epoch" else "optimizer step"
    figure.update_xaxes(title_text=x_title, row=len(panels), col=1)
    figure.update_layout(title="Training history", height=PANEL_HEIGHT * len(panels) + 80,
                         hovermode="x unified", legend=dict(tracegroupgap=4))
    return figure


def _from_zero(values):
    """y-axis settings for a learning rate: from 0, with room above a constant one (plotly would
    otherwise centre a flat line on a range of +-1)."""
    finite = [v for v in values if math.isfinite(v)]
    if finite and min(finite) == max(finite) and finite[0] > 0:
        return dict(range=[0, 1.5 * finite[0]])
    return dict(rangemode="tozero")


def _is_scheduler(schedule):
    return hasattr(schedule, "optimizer") and hasattr(schedule, "step")


def _simulate(schedule, steps, lr):
    """The lr of param group 0 before each of ``steps`` ``step()`` calls, on a copy."""
    from ..nn.parameter import Parameter
    from ..optim import SGD
    from ..optim.lr_scheduler import ReduceLROnPlateau

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if _is_scheduler(schedule):
            optimizer = schedule.optimizer
            # Share the parameters and optimizer state (never touched by a scheduler) instead
            # of copying them; everything else (param_groups, the scheduler) is a fresh copy.
            memo = {id(p): p for group in optimizer.param_groups for p in group["params"]}
            state = getattr(optimizer, "state", None)
            if state is not None:
                memo[id(state)] = state
            scheduler = copy.deepcopy(schedule, memo)
        elif callable(schedule):
            from ..creation import zeros

            dummy = SGD([Parameter(zeros(1))], lr=lr, momentum=0.9)
            scheduler = schedule(dummy)
            if not _is_scheduler(scheduler):
                raise TypeError("plot_schedule: the factory must return a scheduler, got "
                                f"{type(scheduler).__name__}")
        else:
            raise TypeError("plot_schedule: expected a scheduler, a function optimizer -> "
                            f"scheduler, or a dict of them; got {type(schedule).__name__}")
        plateau = isinstance(scheduler, ReduceLROnPlateau)
        values = []
        for i in range(steps):
            values.append(float(scheduler.optimizer.param_groups[0]["lr"]))
            if i == steps - 1:
                break
            if plateau:
                scheduler.step(1.0)
            else:
                scheduler.step()
    return values


def plot_schedule(schedule, steps=100, lr=0.1, log_y=False):
    """Preview a learning-rate schedule (or several) before training.

    The schedule is stepped ``steps`` times and the trace's y is the learning rate in use at
    each step: ``optimizer.param_groups[0]["lr"]`` read before each ``scheduler.step()``,
    so ``y[0]`` is the starting lr. A scheduler instance is simulated on a deep copy (from its
    current state, at its optimizer's lr; ``lr`` is not used), so the caller's optimizer and
    scheduler are untouched. A factory ``optimizer -> scheduler`` is given a dummy SGD optimizer
    (one parameter, momentum 0.9 so momentum-cycling schedules work) at ``lr``.
    ``ReduceLROnPlateau`` is fed the same metric (1.0) at every step: it never improves, so the
    preview shows the lr falling by ``factor`` each time more than ``patience`` steps pass
    without improvement (the first value sets the best), the worst case.

    Args:
        schedule: a scheduler, a function ``optimizer -> scheduler``, or a dict
            ``{name: scheduler or function}`` for one trace each (to compare schedules).
        steps: how many steps (one ``scheduler.step()`` each) to draw.
        lr: the starting learning rate of the dummy optimizer given to factories.
        log_y: draw the lr on a log axis (for exponential decays over many decades).

    Returns:
        a plotly Figure with one trace per schedule, x = step 0..steps-1, y = lr.

    Example:
        >>> from glassgrad.optim.lr_scheduler import StepLR, CosineAnnealingLR, OneCycleLR
        >>> plot_schedule({"constant": lambda opt: StepLR(opt, 10**9),
        ...                "step": lambda opt: StepLR(opt, step_size=30, gamma=0.5),
        ...                "cosine": lambda opt: CosineAnnealingLR(opt, T_max=100),
        ...                "one-cycle": lambda opt: OneCycleLR(opt, max_lr=0.1, total_steps=100)})
    """
    import plotly.graph_objects as go

    steps = int(steps)
    if steps < 1:
        raise ValueError(f"plot_schedule: steps must be at least 1, got {steps}")
    named = schedule if isinstance(schedule, dict) else {_schedule_name(schedule): schedule}
    figure = go.Figure()
    for name, item in named.items():
        values = _simulate(item, steps, lr)
        figure.add_trace(go.Scatter(x=list(range(steps)), y=values, mode="lines", name=str(name),
                                    line=dict(shape="hv"),
                                    hovertemplate="step %{x}: lr %{y:.3g}<extra>%{fullData.name}"
                                                  "</extra>"))
    figure.update_layout(title="Learning-rate schedule",
                         xaxis_title="step (scheduler.step() calls)", yaxis_title="learning rate",
                         yaxis_type="log" if log_y else "linear",
                         yaxis=dict() if log_y else _from_zero(
                             [v for trace in figure.data for v in trace.y]),
                         showlegend=len(named) > 1 or isinstance(schedule, dict), height=380)
    return figure


def _schedule_name(schedule):
    if _is_scheduler(schedule):
        return type(schedule).__name__
    name = getattr(schedule, "__name__", "schedule")
    return "schedule" if name == "<lambda>" else name
