"""``glassgrad lab quadratic``: recovering y = 5x^2 + 10x + 10 by gradient descent.

The course notes' quadratic regression (seed 000, "Example using a Quadratic regression use
case", In [32], ``quadratic_gd.py``): 100 points ``x = linspace(-10, 10)``, ``y = 5x^2 + 10x +
10`` exactly, the model ``w1 x^2 + w2 x + 10`` started at w1 = 2, w2 = 1, MSE loss, full-batch
gradient descent with learning rate 1e-4 for 10000 epochs, stopping early if the loss ever rises.
The notes write the gradients by hand; here autograd computes them and ``optim.SGD`` steps.

Two more runs learn the constant too (``w1 x^2 + w2 x + b``, b from 0): with the notes' plain
gradient descent, and with momentum 0.9. The loss is badly conditioned: its curvature along
w1 is ``2 mean(x^4)`` (about 4000) but along the direction that trades b against w1 it is
about 0.8, so at a learning rate small enough for w1 (below 2 / 4000) b crawls, with its error
shrinking by about 1e-4 * 0.8 per epoch.
"""

from ._common import colour, finish, panel, plotly_panels, series

NAME = "quadratic"
TITLE = "Recovering y = 5x^2 + 10x + 10 by gradient descent"
TRUE = {"w1": 5.0, "w2": 10.0, "b": 10.0}
LEARNING_RATE = 1e-4
VARIANTS = {
    "notes: w1, w2 (b fixed at 10)": {"learn_b": False, "momentum": 0.0, "stop_on_rise": True},
    "GD: w1, w2, b": {"learn_b": True, "momentum": 0.0, "stop_on_rise": True},
    "momentum 0.9: w1, w2, b": {"learn_b": True, "momentum": 0.9, "stop_on_rise": False},
}
COLUMNS = [("variant", "variant", ""), ("w1", "w1", ".4f"), ("w2", "w2", ".4f"),
           ("b", "b", ".4f"), ("final_loss", "final loss", ".6g"), ("epochs", "epochs", "d"),
           ("stopped", "stopped", "")]

INTRO = """
<p>The data are 100 exact points of the parabola <code>y = 5x<sup>2</sup> + 10x + 10</code> for
x from -10 to 10. Gradient descent (learning rate 0.0001, the whole data set at every step)
has to find the coefficients again, starting from wrong ones.</p>
<p>In the course notes' version the model is <code>w1 x<sup>2</sup> + w2 x + 10</code>: the
constant is given, only w1 (from 2) and w2 (from 1) are learned. <b>w1</b> is right within a
few dozen epochs, because x<sup>2</sup> is large (up to 100) and so is the gradient that moves
it; <b>w2</b> follows over about a thousand epochs.</p>
<p>When the constant <b>b</b> must be learned too (from 0), plain gradient descent is much
slower: b's gradient is small, and it is tangled with w1's (raising b and lowering w1 a little
changes the predictions only slightly), so after {epochs} epochs b is still far from 10
({gd_b:.2f}) while w1 compensates a little for it ({gd_w1:.4f}). This is ill-conditioning:
the learning rate must stay small for the steep direction (w1), which leaves the shallow one
(b) crawling. <b>Momentum</b> (0.9) builds up speed along the shallow direction and gets much
further in the same {epochs} epochs (b = {momentum_b:.4f}); with the notes' 10000 epochs it
recovers all three coefficients.</p>
<p>As in the notes, the plain gradient-descent runs stop if the loss ever rises (the momentum
run is exempt: its loss may rise for a while by design).</p>
"""


def train(x, y, epochs, learn_b, momentum, stop_on_rise, lr=LEARNING_RATE):
    """Full-batch SGD on the quadratic model; the parameters and the loss at every epoch.

    Returns ``{"w1": [...], "w2": [...], "b": [...], "loss": [...], "stopped": reason or ""}``;
    the parameters at the start and after each epoch's update, the loss of each epoch (before
    its update).
    """
    import glassgrad as gg

    from .. import optim

    w1 = gg.tensor(2.0, requires_grad=True)
    w2 = gg.tensor(1.0, requires_grad=True)
    b = gg.tensor(0.0 if learn_b else 10.0, requires_grad=learn_b)
    parameters = [w1, w2, b] if learn_b else [w1, w2]
    optimizer = optim.SGD(parameters, lr=lr, momentum=momentum)
    trace = {"w1": [w1.item()], "w2": [w2.item()], "b": [b.item()], "loss": [], "stopped": ""}
    for epoch in range(epochs):
        loss = ((w1 * x ** 2 + w2 * x + b - y) ** 2).mean()
        trace["loss"].append(loss.item())
        if stop_on_rise and epoch > 2 and trace["loss"][-1] > trace["loss"][-2]:
            trace["stopped"] = f"loss rose at epoch {epoch}"
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        for name, value in (("w1", w1), ("w2", w2), ("b", b)):
            trace[name].append(value.item())
    return trace


def run(folder, fast=False):
    """Run the three variants and write the page; returns a ``LabResult``.

    ``fast``: 2000 epochs instead of the notes' 10000 (w1 and w2 are recovered either way; b is
    not, even with momentum).
    """
    import glassgrad as gg

    epochs = 2000 if fast else 10000
    x = gg.linspace(-10, 10, 100)
    y = TRUE["w1"] * x ** 2 + TRUE["w2"] * x + TRUE["b"]
    traces = {name: train(x, y, epochs, **settings) for name, settings in VARIANTS.items()}
    rows = [{"variant": name, "w1": t["w1"][-1], "w2": t["w2"][-1], "b": t["b"][-1],
             "final_loss": t["loss"][-1], "epochs": len(t["loss"]),
             "stopped": t["stopped"] or "no"} for name, t in traces.items()]
    notes = ["the true coefficients: w1 = 5, w2 = 10, b = 10",
             f"lr = {LEARNING_RATE}; epochs = full-batch updates made; final loss = the loss "
             "at the last epoch, before its update"]

    def parameter_panel(key, title):
        lines = [series(name, *_log_spaced(t[key][1:]), colour(i))
                 for i, (name, t) in enumerate(traces.items())]
        lines.append(series(f"true {key} = {TRUE[key]:g}", [1, epochs], [TRUE[key]] * 2,
                            "#7f7f7f", dash=True, width=1.2))
        return panel(title, "epoch (log scale)", key, lines, log_x=True)

    params = [parameter_panel("w1", "w1 (the x^2 coefficient)"),
              parameter_panel("w2", "w2 (the x coefficient)"),
              parameter_panel("b", "b (the constant; fixed at 10 in the notes' model)")]
    losses = panel("Loss (log scales)", "epoch (log scale)", "MSE loss",
                   [series(name, *_log_spaced(t["loss"]), colour(i))
                    for i, (name, t) in enumerate(traces.items())], log_y=True, log_x=True)
    sections = [("The parameters, epoch by epoch",
                 plotly_panels(params + [losses], cols=2, height=760))]
    pngs = {"parameters.png": lambda path: _png(params + [losses], path)}
    settings = {"data": "x = linspace(-10, 10, 100), y = 5x^2 + 10x + 10 (no noise)",
                "start": "w1 = 2, w2 = 1, b = 0 (learned) or 10 (fixed)",
                "optimizer": f"optim.SGD(lr={LEARNING_RATE}), momentum 0 or 0.9, full batch",
                "epochs": epochs, "float": "float32, as in the notes"}
    gd, heavy = traces["GD: w1, w2, b"], traces["momentum 0.9: w1, w2, b"]
    intro = INTRO.format(epochs=epochs, gd_b=gd["b"][-1], gd_w1=gd["w1"][-1],
                         momentum_b=heavy["b"][-1])
    return finish(NAME, TITLE, folder, intro, sections, pngs, rows, COLUMNS, notes, settings)


def _log_spaced(values, most=400):
    """``(epochs, values)`` at about ``most`` log-spaced epochs 1..n (value i is epoch i + 1):
    every early epoch, fewer later ones; the last is always kept."""
    import numpy as np

    n = len(values)
    epochs = np.unique(np.round(np.geomspace(1, n, min(n, most))).astype(int))
    return [int(e) for e in epochs], [values[e - 1] for e in epochs]


def _png(panels, path):
    from ._common import png_panels

    return png_panels(panels, path, cols=2)
