"""``glassgrad lab backprop``: the notes' 2-3-2 tanh network, trained, its weights animated.

The course notes' backpropagation picture (seed 001, "Section 4", In [4],
``backprop_visualization_numpy.py``): a network with 2 inputs, 3 tanh hidden units and 2 tanh
outputs, weights drawn from N(0, 1) and biases from 0.1 N(0, 1), trained one sample at a time
toward the fixed target [1, 0] on fresh random inputs x ~ N(0, 1)^2 (10 per epoch, 50 epochs),
with momentum updates at learning rate 0.01 and momentum 0.9. The notes write the backward pass
by hand,

    output_delta = (target - out) * tanh'(z2);   hidden_delta = output_delta W2^T * tanh'(z1)
    v <- 0.9 v + 0.01 * (input^T delta);          W <- W + v

which is gradient descent with momentum on the loss ``1/2 sum((out - target)^2)``: here that
loss goes through autograd and ``optim.SGD(lr=0.01, momentum=0.9)`` (the same updates), run by
the Trainer with a ``WeightMonitor`` recording the weights after every epoch for
``glassgrad.viz.plot_network``.
"""

import numpy as np

from ._common import colour, finish, panel, plotly_panels, png_panels, series

NAME = "backprop"
TITLE = "Backpropagation: a 2-3-2 tanh network learning a target"
TARGET = (1.0, 0.0)
SAMPLES_PER_EPOCH = 10
COLUMNS = [("epoch", "epoch", "d"), ("mse", "MSE vs [1, 0]", ".6f"),
           ("mean_out_1", "mean output 1", ".4f"), ("mean_out_2", "mean output 2", ".4f"),
           ("largest_weight", "largest |w|", ".3f")]

INTRO = """
<p>The network of the course notes: 2 inputs, 3 hidden neurons and 2 outputs, each neuron
computing <code>tanh(weights &middot; inputs + bias)</code>. Its task is simple on purpose:
whatever the (random) input, output <code>[1, 0]</code>. Each epoch it sees 10 fresh random
inputs, one at a time; after each, backpropagation computes how the error at the outputs
depends on every weight (the chain rule, layer by layer, from the outputs back to the inputs),
and each weight moves a little against that gradient, with momentum.</p>
<p>In the animated picture every line is one weight (blue positive, red negative, width
proportional to its size); press play to watch them change epoch by epoch. The easiest way
to output 1 whatever the input is through the biases, which do not depend on the input: in
this run output 1's bias goes from {bias_before:.2f} to {bias_after:.2f}, while the largest
weight into output 2 shrinks from {w2_before:.2f} to {w2_after:.2f} in size, so that output 2
stays near 0. Most of the error is gone within the first 5 epochs (50 updates); the rest is
fine tuning. The table follows the network's error on 1000 fixed random inputs.</p>
"""


def make_model():
    """2 -> 3 -> 2 with tanh after both layers; weights N(0, 1), biases 0.1 N(0, 1) (the notes)."""
    import glassgrad as gg

    from .. import nn

    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2), nn.Tanh())
    with gg.no_grad():
        for layer in (model[0], model[2]):
            nn.init.normal_(layer.weight, 0.0, 1.0)
            nn.init.normal_(layer.bias, 0.0, 0.1)
    return model


def fresh_inputs(samples):
    """A Dataset of ``samples`` items, each a new random input x ~ N(0, 1)^2 and the target."""
    import glassgrad as gg

    from ..utils.data import Dataset

    class FreshInputs(Dataset):
        def __len__(self):
            return samples

        def __getitem__(self, index):
            return gg.randn(2), gg.tensor(TARGET)

    return FreshInputs()


def half_squared_error(output, target):
    """``1/2 sum((output - target)^2)``: the loss whose gradient the notes' deltas are."""
    return 0.5 * ((output - target) ** 2).sum()


def evaluate(model, inputs):
    """MSE against the target and the mean of each output, on ``inputs`` (no gradients)."""
    import glassgrad as gg

    with gg.no_grad():
        outputs = model(inputs).numpy()
    return (float(np.mean((outputs - np.array(TARGET)) ** 2)), float(outputs[:, 0].mean()),
            float(outputs[:, 1].mean()))


def train(epochs):
    """Train the network (seed 0); returns ``(model, history, evaluation inputs)``."""
    import glassgrad as gg

    from .. import optim
    from ..train import Trainer, WeightMonitor
    from ..utils.data import DataLoader

    gg.manual_seed(0)
    model = make_model()
    evaluation = gg.randn(1000, 2)
    loader = DataLoader(fresh_inputs(SAMPLES_PER_EPOCH), batch_size=1)
    trainer = Trainer(max_epochs=epochs, progress=False, callbacks=[WeightMonitor()])
    history = trainer.fit(model, loader, loss_fn=half_squared_error,
                          optimizer=optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    return model, history, evaluation


def _model_at(snapshot):
    """A copy of the network holding a snapshot's weights."""
    import glassgrad as gg

    model = make_model()
    model.load_state_dict({name: gg.tensor(array) for name, array in
                           snapshot["weights"].items()})
    return model


def run(folder, fast=False):
    """Train the network and write the page; returns a ``LabResult``.

    ``fast``: 20 epochs instead of the notes' 50.
    """
    from ..viz import plot_history, plot_network

    epochs = 20 if fast else 50
    model, history, evaluation = train(epochs)
    shown = sorted({0, 1, 2, 5, *range(10, epochs + 1, 10), epochs})
    rows = []
    for snapshot in history.snapshots:
        if snapshot["epoch"] in shown:
            mse, out_1, out_2 = evaluate(_model_at(snapshot), evaluation)
            largest = max(float(np.abs(a).max()) for name, a in snapshot["weights"].items()
                          if name.endswith("weight"))
            rows.append({"epoch": snapshot["epoch"], "mse": mse, "mean_out_1": out_1,
                         "mean_out_2": out_2, "largest_weight": largest})
    notes = ["MSE vs [1, 0] = mean((output - [1, 0])^2) over 1000 fixed random inputs "
             "(the notes' evaluate); epoch 0 = before training",
             f"{SAMPLES_PER_EPOCH} fresh inputs per epoch, one update per input"]

    network = plot_network(model, history, input_names=["x1", "x2"],
                           output_names=["output 1 (target 1)", "output 2 (target 0)"])
    error_panels = _error_panels(history, evaluation)
    recorded = plot_history(history, x="step")
    recorded.update_layout(title="What the Trainer recorded at every step (plot_history)")
    sections = [("The network, epoch by epoch", network),
                ("The error as it learns", plotly_panels(error_panels, cols=2, height=440)),
                ("Per step: loss, learning rate and gradient norm per layer", recorded)]
    snapshots = (history.snapshots[0], history.snapshots[-1])
    pngs = {"network.png": lambda path: _network_png(snapshots, path),
            "error.png": lambda path: png_panels(error_panels, path, cols=2)}
    settings = {"network": "Linear(2, 3), Tanh, Linear(3, 2), Tanh; weights N(0, 1), "
                           "biases 0.1 N(0, 1) (glassgrad.manual_seed(0))",
                "data": f"{SAMPLES_PER_EPOCH} fresh inputs x ~ N(0, 1)^2 per epoch, "
                        "target [1, 0]",
                "loss": "1/2 sum((output - target)^2), per sample (batch size 1)",
                "optimizer": "optim.SGD(lr=0.01, momentum=0.9)", "epochs": epochs,
                "recorded by": "glassgrad.train.WeightMonitor (a snapshot after every epoch)"}
    before, after = (snapshot["weights"] for snapshot in snapshots)
    intro = INTRO.format(bias_before=before["2.bias"][0], bias_after=after["2.bias"][0],
                         w2_before=float(np.abs(before["2.weight"][1]).max()),
                         w2_after=float(np.abs(after["2.weight"][1]).max()))
    return finish(NAME, TITLE, folder, intro, sections, pngs, rows, COLUMNS, notes, settings)


def _draw_network(axis, weights, title):
    """A static network picture: edges coloured by sign, widths by |w|; neurons as dots with
    their biases."""
    layers = [np.asarray(weights["0.weight"]), np.asarray(weights["2.weight"])]
    biases = [None, np.asarray(weights["0.bias"]), np.asarray(weights["2.bias"])]
    widths = [2, 3, 2]
    scale = max(float(np.abs(w).max()) for w in layers)
    positions = [[(column, i - (n - 1) / 2) for i in range(n)] for column, n in enumerate(widths)]
    for column, matrix in enumerate(layers):
        for j, i in np.ndindex(*matrix.shape):
            (x0, y0), (x1, y1) = positions[column][i], positions[column + 1][j]
            value = matrix[j, i]
            axis.plot([x0, x1], [y0, y1], color="#2166ac" if value >= 0 else "#b2182b",
                      linewidth=0.5 + 6 * abs(value) / scale, alpha=0.8, zorder=1)
    for column, names in enumerate((["x1", "x2"], ["h1", "h2", "h3"], ["out 1", "out 2"])):
        for unit, ((x, y), name) in enumerate(zip(positions[column], names)):
            axis.scatter([x], [y], s=500, color="white", edgecolor="black", zorder=2)
            axis.text(x, y, name, ha="center", va="center", fontsize=8, zorder=3)
            if biases[column] is not None:
                axis.text(x, y - 0.28, f"b={biases[column][unit]:+.2f}", ha="center",
                          va="center", fontsize=7, color="#444", zorder=3)
    axis.set_title(title)
    axis.set_xlim(-0.4, 2.4)
    axis.set_ylim(-1.6, 1.6)
    axis.axis("off")


def _network_png(snapshots, path):
    from ..viz._io import save_png
    from ._common import pyplot

    plt = pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    first, last = snapshots
    _draw_network(axes[0], first["weights"], "before training")
    _draw_network(axes[1], last["weights"], f"after epoch {last['epoch']}")
    figure.suptitle("Weights: blue positive, red negative, width proportional to |w|")
    return save_png(figure, path)


def _error_panels(history, evaluation):
    """The error on the evaluation inputs per snapshot, and the training loss per step."""
    epochs, errors = [], []
    for snapshot in history.snapshots:
        epochs.append(snapshot["epoch"])
        errors.append(evaluate(_model_at(snapshot), evaluation)[0])
    error = panel("Error on 1000 random inputs (log scale)", "epoch", "MSE vs [1, 0]",
                  [series("MSE vs [1, 0]", epochs, errors, colour(0), markers=True)],
                  log_y=True)
    steps = history.step_values("train_loss")
    loss = panel("Training loss of each sample (log scale)", "step (one sample each)",
                 "1/2 sum((output - target)^2)",
                 [series("training loss", range(1, len(steps) + 1), steps, colour(1))],
                 log_y=True)
    return [error, loss]
