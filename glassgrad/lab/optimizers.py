"""``glassgrad lab optimizers``: SGD, momentum, AdaGrad, RMSprop and Adam on the same line fit.

The course notes' optimizer comparison (seed 003, "4. Optimizer", ``optimizer_comparison.py``):
100 points ``x ~ U(0, 1)``, ``y = 2x + 1 + 0.1 * noise`` (NumPy seed 42), a one-feature
``nn.Linear`` started from the same weights (``manual_seed(42)``) for every optimizer, MSE loss,
learning rate 0.1 and 100 full-batch steps, run by the Trainer.

The update rules compared (g is the gradient of the loss, lr = 0.1):

    SGD        p <- p - lr * g
    momentum   v <- 0.9 v + g;             p <- p - lr * v
    AdaGrad    s <- s + g^2;               p <- p - lr * g / (sqrt(s) + eps)
    RMSprop    s <- 0.99 s + 0.01 g^2;     p <- p - lr * g / (sqrt(s) + eps)
    Adam       m, v: moving averages of g and g^2 (0.9, 0.999), bias-corrected;
               p <- p - lr * m_hat / (sqrt(v_hat) + eps)
"""

import numpy as np

from ._common import colour, finish, panel, plotly_panels, series

NAME = "optimizers"
TITLE = "Five optimizers on the same line fit"
LEARNING_RATE = 0.1
STEPS = 100
COLUMNS = [("optimizer", "optimizer", ""), ("w", "w", ".4f"), ("b", "b", ".4f"),
           ("final_loss", "final loss", ".6f"), ("loss_at_10", "loss at step 10", ".4f")]

INTRO = """
<p>Every optimizer starts from the same weights and sees the same 100 points of the line
<code>y = 2x + 1</code> (plus a little noise), and takes 100 full-batch steps with learning
rate 0.1. Only the update rule differs.</p>
<p><b>Plain SGD</b> moves against the gradient by a fixed fraction of it, so it slows down as
the loss flattens out: it makes quick progress at first, then crawls along the bottom of the
long, narrow valley of the loss (see the contour picture) and is still on its way after 100
steps. <b>Momentum</b> accumulates past gradients into a velocity: it races down the valley,
overshoots and swings back and forth across the minimum a few times, and ends at the bottom.
<b>RMSprop</b> divides each step by a running size of the gradient, so its steps stay about
<code>lr</code> long however flat the loss is: it reaches the bottom in a handful of steps.
<b>Adam</b> does the same with momentum on top: it overshoots like momentum, then settles at
the bottom too. <b>AdaGrad</b> divides by the <em>sum</em> of all past squared gradients, so
its steps keep shrinking and it is the slowest here.</p>
<p>The loss axis is logarithmic: the curves flatten at the noise floor (the loss of the best
line, about 0.008), which no optimizer can beat.</p>
"""

OPTIMIZERS = ("SGD", "Momentum", "Adagrad", "RMSprop", "Adam")


def make_data():
    """The seed's data: x ~ U(0, 1), y = 2x + 1 + 0.1 N(0, 1), 100 points (NumPy seed 42)."""
    rng = np.random.RandomState(42)
    x = rng.rand(100, 1)
    y = 2 * x + 1 + 0.1 * rng.randn(100, 1)
    return x, y


def make_optimizer(name, parameters, lr=LEARNING_RATE):
    """The seed's optimizer ``name`` at learning rate ``lr``."""
    from .. import optim

    factories = {
        "SGD": lambda: optim.SGD(parameters, lr=lr),
        "Momentum": lambda: optim.SGD(parameters, lr=lr, momentum=0.9),
        "Adagrad": lambda: optim.Adagrad(parameters, lr=lr),
        "RMSprop": lambda: optim.RMSprop(parameters, lr=lr),
        "Adam": lambda: optim.Adam(parameters, lr=lr),
    }
    return factories[name]()


def _parameter_trace():
    """A callback that records (w, b) of the one-feature Linear after every optimizer step."""
    from ..train import Callback

    class ParameterTrace(Callback):
        def __init__(self):
            self.path = []

        def on_fit_start(self, trainer, model):
            self.path.append(_weights(model))

        def on_train_batch_end(self, trainer, model, outputs, batch, batch_idx):
            self.path.append(_weights(model))

    return ParameterTrace()


def _weights(model):
    return float(model.weight.item()), float(model.bias.item())


def train(name, x, y, steps=STEPS):
    """Train a fresh ``nn.Linear(1, 1)`` (seed 42) with optimizer ``name`` on full batches.

    Returns ``(losses per step, final (w, b), path of (w, b) from the start)``.
    """
    import glassgrad as gg

    from .. import nn
    from ..train import Trainer
    from ..utils.data import DataLoader, TensorDataset

    inputs = gg.tensor(x, dtype=gg.float32)
    targets = gg.tensor(y, dtype=gg.float32)
    gg.manual_seed(42)
    model = nn.Linear(1, 1)
    trace = _parameter_trace()
    loader = DataLoader(TensorDataset(inputs, targets), batch_size=len(inputs))
    trainer = Trainer(max_epochs=steps, progress=False, callbacks=[trace])
    history = trainer.fit(model, loader, loss_fn=nn.MSELoss(),
                          optimizer=make_optimizer(name, model.parameters()))
    return history.epoch_values("train_loss"), _weights(model), trace.path


def run(folder, fast=False):
    """Run the comparison and write its page; returns a ``LabResult``.

    ``fast`` changes nothing here: 5 x 100 full-batch steps already take a fraction of a second.
    """
    x, y = make_data()
    results = {name: train(name, x, y) for name in OPTIMIZERS}
    rows = [{"optimizer": name, "w": w, "b": b, "final_loss": losses[-1],
             "loss_at_10": losses[min(9, len(losses) - 1)]}
            for name, (losses, (w, b), _) in results.items()]
    best_w, best_b = np.polyfit(x[:, 0], y[:, 0], 1)
    floor = float(np.mean((best_w * x + best_b - y) ** 2))
    notes = [f"least-squares line (np.polyfit): w={best_w:.4f}, b={best_b:.4f}, "
             f"loss={floor:.6f} (the floor); the data were made with w=2, b=1",
             "final loss = the loss at the last of the 100 steps, as the notes print it"]

    curves = panel("Training loss (log scale)", "step", "MSE loss",
                   [series(name, range(1, len(losses) + 1), losses, colour(i))
                    for i, (name, (losses, _, _)) in enumerate(results.items())], log_y=True)
    sections = [("Loss against steps", plotly_panels([curves], height=460)),
                ("The paths in the (w, b) plane", _contour_figure(x, y, results))]
    pngs = {"loss_curves.png": [curves],
            "paths.png": lambda path: _contour_png(x, y, results, path)}
    settings = {"data": "100 points, x ~ U(0, 1), y = 2x + 1 + 0.1 N(0, 1), NumPy seed 42",
                "model": "nn.Linear(1, 1), initialised with glassgrad.manual_seed(42)",
                "loss": "nn.MSELoss()", "learning rate": LEARNING_RATE,
                "steps": f"{STEPS} full-batch steps (Trainer, one batch per epoch)"}
    return finish(NAME, TITLE, folder, INTRO, sections, pngs, rows, COLUMNS, notes, settings)


def _loss_grid(x, y, results, size=120):
    """MSE(w, b) on a grid that holds every path (for the contour picture)."""
    points = np.array([p for _, _, path in results.values() for p in path])
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.15 * (high - low) + 0.1
    ws = np.linspace(low[0] - margin[0], high[0] + margin[0], size)
    bs = np.linspace(low[1] - margin[1], high[1] + margin[1], size)
    w_grid, b_grid = np.meshgrid(ws, bs)
    predictions = w_grid[..., None] * x[:, 0] + b_grid[..., None]
    return ws, bs, np.mean((predictions - y[:, 0]) ** 2, axis=-1)


def _contour_figure(x, y, results):
    import plotly.graph_objects as go

    ws, bs, losses = _loss_grid(x, y, results)
    figure = go.Figure(go.Contour(x=ws, y=bs, z=np.log10(losses), colorscale="Greys",
                                  reversescale=True, ncontours=30, showscale=True,
                                  colorbar=dict(title="log10 loss"), name="loss"))
    for i, (name, (_, _, path)) in enumerate(results.items()):
        w, b = zip(*path)
        figure.add_trace(go.Scatter(x=w, y=b, mode="lines+markers", name=name,
                                    line=dict(color=colour(i)), marker=dict(size=4)))
    figure.add_trace(go.Scatter(x=[path[0][0]], y=[path[0][1]], mode="markers", name="start",
                                marker=dict(color="black", size=12, symbol="x")))
    figure.update_layout(title="Each optimizer's path from the same start (contours: log10 MSE)",
                         xaxis_title="w (weight)", yaxis_title="b (bias)", height=600,
                         template="plotly_white")
    return figure


def _contour_png(x, y, results, path):
    from ..viz._io import save_png
    from ._common import pyplot

    plt = pyplot()
    ws, bs, losses = _loss_grid(x, y, results)
    figure, axis = plt.subplots(figsize=(7.5, 6))
    axis.contour(ws, bs, np.log10(losses), levels=30, cmap="Greys_r", linewidths=0.6)
    for i, (name, (_, _, trail)) in enumerate(results.items()):
        w, b = zip(*trail)
        axis.plot(w, b, "-o", markersize=2, color=colour(i), label=name)
    axis.plot(*trail[0], "kx", markersize=10, label="start")
    axis.set_xlabel("w (weight)")
    axis.set_ylabel("b (bias)")
    axis.set_title("Paths in the (w, b) plane (contours: log10 MSE)")
    axis.legend(fontsize=8)
    return save_png(figure, path)
