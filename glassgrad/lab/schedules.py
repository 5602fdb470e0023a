"""``glassgrad lab schedules``: constant, step, exponential, cosine and one-cycle learning rates.

The course notes' ``compare_lr_schedules`` (seed 003, "Learning Rate Scheduling",
``lr_schedulers.py``): a 10-50-20-1 ReLU MLP, ``X ~ N(0, 1)`` (1000 x 10), targets that are pure
noise ``y ~ N(0, 1)``, full-batch ``optim.SGD(lr=0.1)``, 50 epochs, the scheduler stepped once per
epoch. The learning rate of epoch t (0-based, eta_0 = 0.1, T = 50):

    constant      eta_t = eta_0
    step          eta_t = eta_0 * 0.5 ** floor(t / 10)                    StepLR(10, 0.5)
    exponential   eta_t = eta_0 * 0.95 ** t                               ExponentialLR(0.95)
    cosine        eta_t = eta_0 / 2 * (1 + cos(pi t / T))                 CosineAnnealingLR(T)
    one-cycle     from 0.1 / 25 up to 0.1 (cosine, first 30 % of the steps), then down to
                  0.1 / 25 / 1e4 (cosine); momentum cycles the other way, 0.95 -> 0.85 -> 0.95
                                                                          OneCycleLR(0.1, T)
"""

from ._common import colour, finish, panel, plotly_panels, series

NAME = "schedules"
TITLE = "Learning-rate schedules"
EPOCHS = 50
LEARNING_RATE = 0.1
SCHEDULES = ("constant", "step", "exponential", "cosine", "one-cycle")
REPORTED_EPOCHS = (0, 10, 20, 30, 40)
COLUMNS = [("schedule", "schedule", ""),
           *((f"lr_{e}", f"lr@{e}", ".6f") for e in REPORTED_EPOCHS),
           ("final_loss", "final loss", ".6f"), ("loss_drop", "loss drop", ".6f")]

INTRO = """
<p>A small MLP (10 &rarr; 50 &rarr; 20 &rarr; 1, ReLU) is trained for 50 epochs with full-batch
SGD starting at learning rate 0.1, once per schedule, from the same initial weights. The
schedule changes the learning rate after every epoch:</p>
<ul>
<li><b>constant</b>: 0.1 throughout;</li>
<li><b>step</b>: halved every 10 epochs (<code>StepLR(step_size=10, gamma=0.5)</code>);</li>
<li><b>exponential</b>: multiplied by 0.95 every epoch
(<code>ExponentialLR(gamma=0.95)</code>);</li>
<li><b>cosine</b>: half a cosine wave from 0.1 down to 0 over the 50 epochs
(<code>CosineAnnealingLR(T_max=50)</code>);</li>
<li><b>one-cycle</b>: warms up from 0.004 to 0.1 over the first 30 % of training, then anneals
to almost 0 (<code>OneCycleLR(max_lr=0.1, total_steps=50)</code>). It also cycles SGD's momentum
from 0.95 down to 0.85 and back, so this run uses momentum while the others do not.</li>
</ul>
<p>As in the course notes, the targets are pure noise, so there is nothing to learn that would
generalise: the loss starts near 1 (the variance of the targets) and can only fall by fitting
the noise of these 1000 rows, slowly. Every schedule falls as fast as the constant rate while
its own rate is still near 0.1, then flattens as its rate decays: the decaying schedules end
with a higher loss than the constant one here. On a real problem that slowing down is the
point, as it lets training settle into a minimum instead of bouncing around it; here there is
no minimum worth settling into. One-cycle, with its momentum, goes furthest, after a bump
while its learning rate is at its peak.</p>
"""


def make_scheduler(name, optimizer, epochs=EPOCHS):
    """The seed's scheduler ``name`` for ``optimizer`` (None for "constant")."""
    from ..optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, OneCycleLR, StepLR

    if name == "step":
        return StepLR(optimizer, step_size=10, gamma=0.5)
    if name == "exponential":
        return ExponentialLR(optimizer, gamma=0.95)
    if name == "cosine":
        return CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "one-cycle":
        return OneCycleLR(optimizer, max_lr=LEARNING_RATE, total_steps=epochs)
    return None


def make_model():
    """The seed's MLP: Linear(10, 50), ReLU, Linear(50, 20), ReLU, Linear(20, 1)."""
    from .. import nn

    return nn.Sequential(nn.Linear(10, 50), nn.ReLU(), nn.Linear(50, 20), nn.ReLU(),
                         nn.Linear(20, 1))


def _group_recorder():
    """A callback that records the lr and momentum in use at the start of every epoch."""
    from ..train import Callback

    class GroupRecorder(Callback):
        def __init__(self):
            self.lr, self.momentum = [], []

        def on_train_epoch_start(self, trainer, model):
            group = trainer.optimizer.param_groups[0]
            self.lr.append(float(group["lr"]))
            self.momentum.append(float(group.get("momentum", 0.0)))

    return GroupRecorder()


def train(name, x, y, epochs=EPOCHS, seed=1):
    """Train a fresh MLP (``manual_seed(seed)``) with schedule ``name``; lr, momentum, loss."""
    import glassgrad as gg

    from .. import nn, optim
    from ..train import Trainer
    from ..utils.data import DataLoader, TensorDataset

    gg.manual_seed(seed)
    model = make_model()
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE)
    scheduler = make_scheduler(name, optimizer, epochs)
    recorder = _group_recorder()
    trainer = Trainer(max_epochs=epochs, progress=False, callbacks=[recorder])
    history = trainer.fit(model, DataLoader(TensorDataset(x, y), batch_size=len(x)),
                          loss_fn=nn.MSELoss(), optimizer=optimizer, scheduler=scheduler)
    return {"lr": recorder.lr, "momentum": recorder.momentum,
            "loss": history.epoch_values("train_loss")}


def run(folder, fast=False):
    """Train with every schedule and write the page; returns a ``LabResult``.

    ``fast``: 250 rows instead of 1000 (the learning rates are the same; 50 epochs either way).
    """
    import glassgrad as gg

    rows_of_data = 250 if fast else 1000
    gg.manual_seed(0)
    x = gg.randn(rows_of_data, 10)
    y = gg.randn(rows_of_data, 1)
    results = {name: train(name, x, y) for name in SCHEDULES}
    rows = []
    for name, result in results.items():
        row = {"schedule": name}
        row.update({f"lr_{e}": result["lr"][e] for e in REPORTED_EPOCHS})
        row["final_loss"] = result["loss"][-1]
        row["loss_drop"] = result["loss"][0] - result["loss"][-1]
        rows.append(row)
    notes = ["lr@t = the learning rate used in epoch t (0-based), read from "
             "optimizer.param_groups[0]['lr'] before scheduler.step(), as the notes print it",
             "loss drop = loss in the first epoch - loss in the last; the targets are noise, so "
             "the loss stays near 1"]

    epochs = range(EPOCHS)
    lr_panel = panel("Learning rate per epoch", "epoch", "learning rate",
                     [series(name, epochs, result["lr"], colour(i))
                      for i, (name, result) in enumerate(results.items())])
    loss_panel = panel("Training loss per epoch", "epoch", "MSE loss",
                       [series(name, epochs, result["loss"], colour(i))
                        for i, (name, result) in enumerate(results.items())])
    momentum_panel = panel("SGD momentum per epoch (only one-cycle changes it)", "epoch",
                           "momentum", [series(name, epochs, result["momentum"], colour(i))
                                        for i, (name, result) in enumerate(results.items())])
    sections = [("The learning rate and the loss, epoch by epoch",
                 plotly_panels([lr_panel, loss_panel], height=760)),
                ("Momentum", plotly_panels([momentum_panel], height=360))]
    pngs = {"schedules.png": [lr_panel, loss_panel]}
    settings = {"data": f"X ~ N(0, 1), {rows_of_data} x 10; y ~ N(0, 1) (pure noise); "
                        "glassgrad.manual_seed(0)",
                "model": "10-50-20-1 ReLU MLP, the same initial weights for every schedule "
                         "(glassgrad.manual_seed(1))",
                "optimizer": f"optim.SGD(lr={LEARNING_RATE}), full batch",
                "epochs": EPOCHS, "scheduler.step()": "once per epoch, after optimizer.step()"}
    return finish(NAME, TITLE, folder, INTRO, sections, pngs, rows, COLUMNS, notes, settings)
