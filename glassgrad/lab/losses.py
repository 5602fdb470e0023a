"""``glassgrad lab losses``: MSE, MAE and Huber lines through data with one outlier.

The course notes' loss-function picture (seed 001, "Section 2: Measuring Success", In [2]):
``x = 1..10``, ``y = 2x + 1 + N(0, 2)`` (NumPy seed 42) and one extreme outlier ``(8, 50)``.
The notes fit the MSE line with ``np.polyfit`` and approximate the MAE line by a weighted
polyfit; here each line is trained with glassgrad (an ``nn.Linear(1, 1)``, Adam with a cosine
learning-rate decay, full batch) under its own loss, with r = prediction - target:

    MSE     mean(r^2)                                    nn.MSELoss()
    MAE     mean(|r|)                                    nn.L1Loss()
    Huber   mean(r^2 / 2 if |r| <= 1 else |r| - 1/2)     nn.HuberLoss(delta=1.0)

and checked against the exact minimisers: least squares for MSE, the best line through two
data points for MAE (a least-absolute-deviations line always passes through two of them), and
iteratively reweighted least squares for Huber.
"""

import itertools

import numpy as np

from ._common import colour, finish, panel, plotly_panels, series

NAME = "losses"
TITLE = "MSE, MAE and Huber: who is pulled by the outlier?"
OUTLIER = (8.0, 50.0)
DELTA = 1.0
COLUMNS = [("loss", "loss", ""), ("w", "w", ".4f"), ("b", "b", ".4f"),
           ("y_at_8", "line at x=8", ".2f"), ("clean_error", "mean |r|, 10 clean points", ".3f"),
           ("outlier_pull", "outlier's pull", ".1%"),
           ("final_loss", "final loss", ".4f"), ("exact_w", "exact w", ".4f"),
           ("exact_b", "exact b", ".4f")]

INTRO = """
<p>Ten points lie near the line <code>y = 2x + 1</code>; an eleventh, at <code>(8, 50)</code>,
is an outlier about 33 above it. The same straight line <code>y = w x + b</code> is fitted three
times, each time minimising a different loss of the errors <code>r = prediction - y</code>.</p>
<p><b>MSE</b> (mean squared error) squares each error, so the outlier's error of about 30 costs
about 900 while a typical point costs a few units, and its gradient, 2r, grows with the error:
the outlier pulls on the line almost as hard as the ten other points together, and the line tilts up
toward it, missing them all. <b>MAE</b> (mean absolute error) charges
the outlier only in proportion to its distance, and its gradient gives every point the same
pull (the sign of its error), so the one outlier is outvoted and the line stays with the ten
points, much as a median ignores one extreme value. <b>Huber</b> is quadratic for small errors
(like MSE: smooth, precise near the fit) and linear for large ones (like MAE: bounded pull), so
it lands close to MAE here.</p>
<p>Each line was trained by glassgrad and agrees with the exact minimiser of its loss (the last
two columns of the table).</p>
"""


def make_data():
    """The seed's data: x = 1..10, y = 2x + 1 + N(0, 2) (NumPy seed 42), plus (8, 50)."""
    rng = np.random.RandomState(42)
    x = np.arange(1, 11, dtype=np.float64)
    y = 2 * x + 1 + rng.normal(0, 2, len(x))
    return np.append(x, OUTLIER[0]), np.append(y, OUTLIER[1])


def pointwise(name, residuals, delta=DELTA):
    """Each point's loss: r^2 (MSE), |r| (MAE) or the Huber loss."""
    r = np.asarray(residuals, dtype=np.float64)
    if name == "MSE":
        return r ** 2
    if name == "MAE":
        return np.abs(r)
    return np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta))


def pull(name, residuals, delta=DELTA):
    """How hard each point pulls the line: |d(point's loss) / d(prediction)|.

    2|r| for MSE, 1 for MAE (every point alike), min(|r|, delta) for Huber.
    """
    r = np.abs(np.asarray(residuals, dtype=np.float64))
    if name == "MSE":
        return 2 * r
    if name == "MAE":
        return np.ones_like(r)
    return np.minimum(r, delta)


def exact_fit(name, x, y, delta=DELTA):
    """The exact minimiser ``(w, b)`` of the loss ``name`` over lines ``y = w x + b``."""
    if name == "MSE":
        w, b = np.polyfit(x, y, 1)
        return float(w), float(b)
    if name == "MAE":
        best = None
        for i, j in itertools.combinations(range(len(x)), 2):
            if x[i] == x[j]:
                continue
            w = (y[j] - y[i]) / (x[j] - x[i])
            b = y[i] - w * x[i]
            cost = np.abs(w * x + b - y).mean()
            if best is None or cost < best[0]:
                best = (cost, float(w), float(b))
        return best[1], best[2]
    w, b = np.polyfit(x, y, 1)
    for _ in range(500):   # IRLS: weight psi(r) / r = min(1, delta / |r|)
        r = np.abs(w * x + b - y)
        weights = np.minimum(1.0, delta / np.maximum(r, 1e-12))
        w, b = np.polyfit(x, y, 1, w=np.sqrt(weights))
    return float(w), float(b)


def fit(name, x, y, steps, lr):
    """Train ``nn.Linear(1, 1)`` (seed 0) under loss ``name``; returns (w, b, losses)."""
    import glassgrad as gg

    from .. import nn, optim
    from ..optim.lr_scheduler import CosineAnnealingLR

    loss_fn = {"MSE": nn.MSELoss(), "MAE": nn.L1Loss(), "Huber": nn.HuberLoss(delta=DELTA)}[name]
    inputs = gg.tensor(x[:, None], dtype=gg.float32)
    targets = gg.tensor(y[:, None], dtype=gg.float32)
    gg.manual_seed(0)
    model = nn.Linear(1, 1)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    scheduler = CosineAnnealingLR(optimizer, T_max=steps)
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    with gg.no_grad():
        losses.append(loss_fn(model(inputs), targets).item())
    return model.weight.item(), model.bias.item(), losses


def run(folder, fast=False):
    """Fit the three lines and write the page; returns a ``LabResult``.

    ``fast``: 500 Adam steps instead of 2000 (both reach the exact lines).
    """
    steps, lr = (500, 0.5) if fast else (2000, 0.5)
    x, y = make_data()
    fits = {}
    rows = []
    for name in ("MSE", "MAE", "Huber"):
        w, b, losses = fit(name, x, y, steps, lr)
        residuals = w * x + b - y
        per_point = pointwise(name, residuals)
        pulls = pull(name, residuals)
        exact_w, exact_b = exact_fit(name, x, y)
        fits[name] = {"w": w, "b": b, "per_point": per_point, "losses": losses}
        rows.append({"loss": name, "w": w, "b": b, "y_at_8": w * OUTLIER[0] + b,
                     "clean_error": float(np.abs(residuals[:-1]).mean()),
                     "outlier_pull": float(pulls[-1] / pulls.sum()),
                     "final_loss": losses[-1], "exact_w": exact_w, "exact_b": exact_b})
    notes = ["the ten clean points follow y = 2x + 1, which is 17 at x = 8; the outlier is at "
             "(8, 50)",
             "outlier's pull = the outlier's |d loss / d prediction| as a share of all 11 "
             "points' (the gradient is what moves the line); MAE gives every point 1/11",
             "exact w, b: least squares (MSE), the best line through two points (MAE), "
             "iteratively reweighted least squares (Huber)"]

    sections, pngs = _figures(x, y, fits)
    settings = {"data": "x = 1..10, y = 2x + 1 + N(0, 2) (NumPy seed 42), plus the outlier (8, 50)",
                "model": "nn.Linear(1, 1), the same start for each loss (glassgrad.manual_seed(0))",
                "optimizer": f"optim.Adam(lr={lr}) with CosineAnnealingLR(T_max={steps}), "
                             f"{steps} full-batch steps",
                "Huber delta": DELTA}
    return finish(NAME, TITLE, folder, INTRO, sections, pngs, rows, COLUMNS, notes, settings)


def _figures(x, y, fits):
    grid = np.linspace(0.5, 10.5, 50)
    line_series = [series("data", x[:-1], y[:-1], "black", markers=True, lines=False),
                   series("outlier (8, 50)", [OUTLIER[0]], [OUTLIER[1]], "#7f7f7f",
                          markers=True, lines=False),
                   series("y = 2x + 1 (how the data were made)", grid, 2 * grid + 1, "#7f7f7f",
                          dash=True, width=1.2)]
    line_series += [series(f"{name} line: y = {f['w']:.2f}x + {f['b']:.2f}", grid,
                           f["w"] * grid + f["b"], colour(i))
                    for i, (name, f) in enumerate(fits.items())]
    lines = panel("The fitted lines", "x", "y", line_series)
    labels = [f"x={v:g}" for v in x[:-1]] + ["(8, 50)"]
    per_point = panel("Each point's loss under each loss's own line (log scale)", "point",
                      "loss of the point", [series(name, labels, f["per_point"], colour(i))
                                            for i, (name, f) in enumerate(fits.items())],
                      bar=True, log_y=True)
    errors = np.linspace(-4, 4, 161)
    shapes = panel("The losses as functions of the error r", "error r = prediction - y",
                   "loss of one point", [series(name, errors, pointwise(name, errors), colour(i))
                                         for i, name in enumerate(fits)])
    sections = [("The fitted lines", plotly_panels([lines], height=520)),
                ("Per-point losses", plotly_panels([per_point], height=460)),
                ("Why: how each loss grows with the error", plotly_panels([shapes], height=420))]
    pngs = {"lines.png": [lines], "per_point_losses.png": [per_point, shapes]}
    return sections, pngs
