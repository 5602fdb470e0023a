"""``glassgrad lab batch-sizes``: mini-batch SGD at batch sizes 1, 8, 32, 128, 512 and the full set.

The course notes' ``compare_batch_sizes`` (seed 003, "1. Batch Size", ``batch_size_comparison.py``):
5000 rows of 20 features ``X ~ N(0, 1)``, ``y = X w + 0.1 noise`` with random true weights w,
an 80/20 train/validation split, ``nn.Linear(20, 1)``, MSE loss, ``optim.SGD(lr=0.01)``, a
shuffled DataLoader, 50 epochs per batch size (the notes' setting), run by the Trainer.

With the learning rate fixed, the batch size sets how many updates an epoch makes
(``ceil(4000 / batch_size)``) and how noisy each is: the gradient of a batch of B rows is the
full gradient plus noise whose variance falls like 1/B.
"""

import time

from ._common import colour, finish, panel, plotly_panels, series

NAME = "batch-sizes"
TITLE = "Batch size: many noisy steps or few exact ones"
BATCH_SIZES = (1, 8, 32, 128, 512, None)   # None: the whole training set
LEARNING_RATE = 0.01
COLUMNS = [("batch_size", "batch size", ""), ("steps_per_epoch", "steps/epoch", "d"),
           ("val_loss_epoch_1", "val loss after 1 epoch", ".6f"),
           ("final_train_loss", "train loss", ".6f"), ("final_val_loss", "val loss", ".6f"),
           ("seconds_per_epoch", "time/epoch (s)", ".4f")]

INTRO = """
<p>The same linear regression (20 features, {n_train} training rows, {n_val} validation rows,
a little noise in the targets) is trained with plain SGD at learning rate 0.01 and batch sizes
1, 8, 32, 128, 512 and the whole training set, for {epochs} epochs each. An epoch always shows the
model every training row once; what changes is how many updates it makes from them.</p>
<p><b>Small batches</b> make many updates per epoch ({n_train} at batch size 1), so after a single
epoch they are already at the noise floor (a validation loss near 0.01, the variance of the
noise). Each of those updates is noisy, which is why their loss curves are not smooth, but
there are so many that it does not matter here. <b>Large batches</b> make few, accurate updates
(one per epoch for the full set): at this learning rate they need many more epochs to get
anywhere, and the full-batch run is still far from the solution at the end.</p>
<p>The price of small batches is time: every update costs a Python-level forward, backward and
optimizer step, so an epoch at batch size 1 takes far longer than one big matrix product over
the whole set. Measured times depend on the machine.</p>
"""


def make_data(size):
    """The seed's data: X ~ N(0, 1) (size x 20), y = X w + 0.1 N(0, 1), w ~ N(0, 1); 80/20."""
    import glassgrad as gg

    x = gg.randn(size, 20)
    weights = gg.randn(20, 1)
    y = x @ weights + 0.1 * gg.randn(size, 1)
    split = int(0.8 * size)
    return x[:split], y[:split], x[split:], y[split:]


def _epoch_timer():
    """A callback that times the training part of each epoch (validation excluded)."""
    from ..train import Callback

    class EpochTimer(Callback):
        def __init__(self):
            self.seconds = []

        def on_train_epoch_start(self, trainer, model):
            self._start = time.perf_counter()

        def on_validation_epoch_start(self, trainer, model):
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


def train(batch_size, data, epochs):
    """A fresh ``nn.Linear(20, 1)`` trained at ``batch_size``; per-epoch losses and seconds."""
    from .. import nn, optim
    from ..train import Trainer
    from ..utils.data import DataLoader, TensorDataset

    x_train, y_train, x_val, y_val = data
    model = nn.Linear(x_train.shape[1], 1)
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size,
                              shuffle=True)
    val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=len(x_val))
    timer = _epoch_timer()
    trainer = Trainer(max_epochs=epochs, progress=False, callbacks=[timer],
                      log_every_n_steps=10**9)
    history = trainer.fit(model, train_loader, val_loader, loss_fn=nn.MSELoss(),
                          optimizer=optim.SGD(model.parameters(), lr=LEARNING_RATE))
    return {"train": history.epoch_values("train_loss"), "val": history.epoch_values("val_loss"),
            "seconds": timer.seconds, "steps_per_epoch": len(train_loader)}


def run(folder, fast=False):
    """Train at every batch size and write the page; returns a ``LabResult``.

    ``fast``: 1000 rows and 3 epochs instead of 5000 rows and 50 epochs.
    """
    import glassgrad as gg

    size, epochs = (1000, 3) if fast else (5000, 50)
    gg.manual_seed(0)
    data = make_data(size)
    n_train = len(data[0])
    labels, results = {}, {}
    for batch_size in BATCH_SIZES:
        label = f"full ({n_train})" if batch_size is None else str(batch_size)
        labels[label] = batch_size or n_train
        results[label] = train(batch_size or n_train, data, epochs)
    rows = [{"batch_size": label, "steps_per_epoch": result["steps_per_epoch"],
             "val_loss_epoch_1": result["val"][0], "final_train_loss": result["train"][-1],
             "final_val_loss": result["val"][-1],
             "seconds_per_epoch": sum(result["seconds"]) / len(result["seconds"])}
            for label, result in results.items()]
    notes = ["train loss = the mean batch loss over the last epoch; val loss = after it",
             "time/epoch = the training part of an epoch (validation excluded), averaged; "
             "it depends on the machine",
             "the noise floor: the targets' noise has variance 0.01"]

    epoch_axis = range(1, epochs + 1)
    curves = [panel(f"{kind.capitalize()} loss per epoch (log scale)", "epoch",
                    f"{kind} MSE", [series(f"batch {label}", epoch_axis, result[key], colour(i),
                                           markers=epochs <= 10)
                                    for i, (label, result) in enumerate(results.items())],
                    log_y=True)
              for kind, key in (("training", "train"), ("validation", "val"))]
    times = panel("Time per epoch", "batch size", "seconds", [series(
        "time per epoch", list(results), [row["seconds_per_epoch"] for row in rows],
        colour(0))], bar=True, log_y=True)
    finals = panel("Final losses", "batch size", "MSE (log scale)",
                   [series("training", list(results),
                           [row["final_train_loss"] for row in rows], colour(0)),
                    series("validation", list(results),
                           [row["final_val_loss"] for row in rows], colour(1))],
                   bar=True, log_y=True)
    sections = [("Loss against epochs", plotly_panels(curves, cols=2, height=460)),
                ("Time and final loss", plotly_panels([times, finals], cols=2, height=440))]
    pngs = {"losses.png": lambda path: _png(curves, path),
            "time_and_final_loss.png": lambda path: _png([times, finals], path)}
    settings = {"data": f"{size} rows x 20 features, X ~ N(0, 1), y = X w + 0.1 N(0, 1) "
                        f"(glassgrad.manual_seed(0)); {n_train} training / {size - n_train} "
                        "validation rows",
                "model": "nn.Linear(20, 1), a fresh one per batch size",
                "optimizer": f"optim.SGD(lr={LEARNING_RATE}), shuffled batches",
                "epochs": epochs, "batch sizes": ", ".join(labels)}
    intro = INTRO.format(n_train=n_train, n_val=size - n_train, epochs=epochs)
    return finish(NAME, TITLE, folder, intro, sections, pngs, rows, COLUMNS, notes, settings)


def _png(panels, path):
    from ._common import png_panels

    return png_panels(panels, path, cols=2)

