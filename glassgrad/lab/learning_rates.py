"""``glassgrad lab learning-rates``: the same SGD run at learning rates 0.001, 0.01, 0.1, 0.5.

The course notes' "Basic Learning Rate Impact" (seed 003, ``learning_rate_comparison.py``):
``X ~ N(0, 1)`` of shape 1000 x 10, ``y = 2 x0 + 3 x1 - 1.5 x2 + 0.5`` (no noise), an
``nn.Linear(10, 1)``, MSE loss, plain SGD, 100 full-batch steps per learning rate.

One more rate is added, 1.0, above the largest stable one. For a quadratic loss, gradient descent
converges exactly when ``lr < 2 / lambda_max``, where lambda_max is the largest eigenvalue of
the loss's Hessian, here ``H = 2/n [X 1]^T [X 1]`` (about 2.4 for this data, so the limit is
about 0.84): along that eigenvector the error is multiplied by ``1 - lr * lambda`` at each step,
which shrinks it when that factor lies in (-1, 1) and flips its sign while shrinking it when
lr * lambda lies in (1, 2). The four rates of the notes are all below the limit.
"""

import math

import numpy as np

from ._common import colour, finish, panel, plotly_panels, series

NAME = "learning-rates"
TITLE = "Learning rate: too small, right, and too large"
LEARNING_RATES = (0.001, 0.01, 0.1, 0.5)
TOO_LARGE = 1.0
EPOCHS = 100
COLUMNS = [("lr", "lr", str), ("initial_loss", "initial loss", ".4f"),
           ("final_loss", "final loss", ".6g"), ("lr_x_lambda_max", "lr x lambda_max", ".3f"),
           ("diverged", "diverged", ""), ("behaviour", "behaviour", "")]

INTRO = """
<p>The same linear model is trained with plain gradient descent on the same data (1000 rows,
10 features, <code>y = 2 x0 + 3 x1 - 1.5 x2 + 0.5</code>) at four learning rates from the
course notes, 0.001, 0.01, 0.1 and 0.5, and one more, 1.0, added to show what "too large"
does.</p>
<p>At <b>0.001</b> each step is tiny: after 100 steps the loss has barely moved. <b>0.01</b> is
ten times faster but still far from the end. <b>0.1</b> and <b>0.5</b> reach the exact solution
(loss ~ 0; the data have no noise). With this data the notes' 0.5 is not too large: it is the
fastest of the four.</p>
<p>How large is too large? For a squared loss, each gradient step multiplies the distance to the
minimum along the loss's steepest direction by <code>1 - lr &times; &lambda;<sub>max</sub></code>
(&lambda;<sub>max</sub>: the largest curvature, the top eigenvalue of the Hessian). It shrinks
while <code>lr &times; &lambda;<sub>max</sub> &lt; 2</code> and grows beyond. Here
&lambda;<sub>max</sub> is about 2.4, so any rate above about 0.84 diverges: at <b>1.0</b> every
step overshoots the minimum by more than it started, and the loss grows without bound.</p>
"""


def make_data():
    """The seed's data: X ~ N(0, 1) of shape (1000, 10), y = 2 x0 + 3 x1 - 1.5 x2 + 0.5."""
    import glassgrad as gg

    x = gg.randn(1000, 10)
    y = 2 * x[:, 0] + 3 * x[:, 1] - 1.5 * x[:, 2] + 0.5
    return x, y.unsqueeze(1)


def largest_curvature(x):
    """lambda_max of the MSE loss's Hessian for a linear model: ``2/n [X 1]^T [X 1]``."""
    features = np.hstack([x.numpy().astype(np.float64), np.ones((x.shape[0], 1))])
    hessian = 2 * features.T @ features / features.shape[0]
    return float(np.linalg.eigvalsh(hessian).max())


def train(lr, x, y, epochs=EPOCHS):
    """A fresh ``nn.Linear(10, 1)`` trained by full-batch SGD at ``lr``; the loss per epoch."""
    from .. import nn, optim
    from ..train import TerminateOnNaN, Trainer
    from ..utils.data import DataLoader, TensorDataset

    model = nn.Linear(x.shape[1], 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=len(x))
    trainer = Trainer(max_epochs=epochs, progress=False, callbacks=[TerminateOnNaN()])
    history = trainer.fit(model, loader, loss_fn=nn.MSELoss(),
                          optimizer=optim.SGD(model.parameters(), lr=lr))
    return history.epoch_values("train_loss")


def verdict(losses, overshoot=False):
    """``(diverged, behaviour)`` of a loss curve; ``overshoot``: lr x lambda_max > 1."""
    first, last = losses[0], losses[-1]
    if not math.isfinite(last) or last > first:
        growth = f"x{last / first:.1e}" if math.isfinite(last) else "to infinity"
        return True, f"diverged: the loss grew {growth}"
    if last < 1e-6 * first:
        return False, "converged" + (", overshooting each step" if overshoot else "")
    return False, f"still decreasing: {100 * (1 - last / first):.0f}% of the loss gone"


def run(folder, fast=False):
    """Train at every learning rate and write the page; returns a ``LabResult``.

    ``fast`` changes nothing here: 5 x 100 full-batch steps take well under a second.
    """
    import glassgrad as gg

    gg.manual_seed(0)
    x, y = make_data()
    curvature = largest_curvature(x)
    rates = (*LEARNING_RATES, TOO_LARGE)
    results = {lr: train(lr, x, y) for lr in rates}
    rows = []
    for lr, losses in results.items():
        diverged, behaviour = verdict(losses, lr * curvature > 1)
        rows.append({"lr": lr, "initial_loss": losses[0], "final_loss": losses[-1],
                     "lr_x_lambda_max": lr * curvature, "diverged": diverged,
                     "behaviour": behaviour})
    notes = [f"lambda_max = {curvature:.3f}: gradient descent converges for lr < 2 / lambda_max"
             f" = {2 / curvature:.3f}",
             f"lr {TOO_LARGE} is not in the notes; it is added to show divergence",
             "final loss = the loss at the last of the 100 steps, as the notes print it"]

    names = {lr: f"lr = {lr}" + (" (added)" if lr == TOO_LARGE else "") for lr in rates}
    log_curves = panel("Loss per epoch (log scale)", "epoch", "MSE loss",
                       [series(names[lr], range(len(losses)), losses, colour(i))
                        for i, (lr, losses) in enumerate(results.items())], log_y=True)
    early = panel("The first 10 epochs (linear scale)", "epoch", "MSE loss",
                  [series(names[lr], range(10), losses[:10], colour(i), markers=True)
                   for i, (lr, losses) in enumerate(results.items())],
                  y_range=(-1.0, 1.5 * max(losses[0] for losses in results.values())))
    sections = [("Loss against epochs", plotly_panels([log_curves], height=480)),
                ("The first steps", plotly_panels([early], height=420))]
    pngs = {"loss_curves.png": [log_curves, early]}
    settings = {"data": "X ~ N(0, 1), 1000 x 10 (glassgrad.manual_seed(0)); "
                        "y = 2 x0 + 3 x1 - 1.5 x2 + 0.5",
                "model": "nn.Linear(10, 1), a fresh one per learning rate", "loss": "nn.MSELoss()",
                "optimizer": "optim.SGD (no momentum)",
                "steps": f"{EPOCHS} full-batch steps (Trainer, one batch per epoch)"}
    return finish(NAME, TITLE, folder, INTRO, sections, pngs, rows, COLUMNS, notes, settings)
