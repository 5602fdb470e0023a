"""glassgrad.lab: the course notes' experiments, run for real and written up as pages.

Each experiment trains with glassgrad itself (autograd, ``glassgrad.optim``, the Trainer where a
loop over a DataLoader fits), writes ``<out>/<experiment>/index.html`` (what the experiment
shows, interactive plotly figures, the summary table) and static PNGs beside it, and returns a
``LabResult`` whose ``rows`` are the summary table. Everything is seeded: a run gives the same
numbers every time.

    optimizers      SGD, momentum, AdaGrad, RMSprop, Adam on y = 2x + 1 + noise
    learning-rates  SGD at lr 0.001 ... 0.5 (and 1.0, too large) on a 10-feature linear problem
    batch-sizes     mini-batch SGD at batch sizes 1 ... full on a 20-feature regression
    schedules       constant, step, exponential, cosine and one-cycle learning rates
    losses          MSE, MAE and Huber lines through data with an outlier
    descent         vanilla and momentum gradient descent on a bumpy 2-D surface, in 3-D
    quadratic       recovering y = 5x^2 + 10x + 10 by gradient descent
    backprop        the 2-3-2 tanh network, trained, with its weights animated

Example:
    >>> import glassgrad.lab
    >>> result = glassgrad.lab.run("optimizers", out="lab", fast=True)
    >>> [row["optimizer"] for row in result.rows]
    ['SGD', 'Momentum', 'Adagrad', 'RMSprop', 'Adam']
    >>> result.folder
    'lab/optimizers'
"""

import importlib
import os

from ._common import LabResult

__all__ = ["run", "EXPERIMENTS", "LabResult"]

# name -> (module, one line for --help); modules are imported only when their experiment runs
EXPERIMENTS = {
    "optimizers": ("optimizers", "SGD, momentum, AdaGrad, RMSprop, Adam on y = 2x + 1"),
    "learning-rates": ("learning_rates", "SGD at lr 0.001, 0.01, 0.1, 0.5 (and 1.0, too large)"),
    "batch-sizes": ("batch_sizes", "batch sizes 1 to full: losses and time per epoch"),
    "schedules": ("schedules", "constant, step, exponential, cosine, one-cycle lr"),
    "losses": ("losses", "MSE, MAE and Huber lines through data with an outlier"),
    "descent": ("descent", "vanilla vs momentum gradient descent on a surface, 3-D"),
    "quadratic": ("quadratic", "recovering y = 5x^2 + 10x + 10 by gradient descent"),
    "backprop": ("backprop", "the 2-3-2 tanh network trained, weights animated"),
}


def run(name, out="lab", fast=False):
    """Run the experiment ``name``, write ``<out>/<name>/``; returns its ``LabResult``.

    Args:
        name: one of ``EXPERIMENTS`` (``"optimizers"``, ``"learning-rates"``, ...).
        out: the folder that holds one subfolder per experiment (created if needed).
        fast: smaller data and fewer epochs, so each experiment takes a second or two (for
            tests and quick looks); the default settings are the course notes'.

    Example:
        >>> result = run("quadratic", out="lab")
        >>> print(result.table())
    """
    if name not in EXPERIMENTS:
        known = ", ".join(EXPERIMENTS)
        raise ValueError(f"unknown experiment {name!r}; the experiments are: {known}")
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"{out} exists and is not a folder (--out needs a folder)")
    module = importlib.import_module(f".{EXPERIMENTS[name][0]}", __name__)
    return module.run(os.path.join(out, name), fast=fast)
