"""plot_history and plot_schedule on real runs: the traces hold exactly what History recorded."""

import numpy as np
import pytest
from train_helpers import classification_data, loaders, mlp

from glassgrad import nn, optim
from glassgrad.optim import lr_scheduler
from glassgrad.train import History, Trainer, WeightMonitor
from glassgrad.viz import plot_history, plot_schedule
from glassgrad.viz.curves import fractional_epochs


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Three epochs of a small classifier with a step scheduler, written to a run folder."""
    folder = tmp_path_factory.mktemp("run")
    x, y = classification_data()
    train, valid = loaders(x, y)
    model = mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    trainer = Trainer(max_epochs=3, callbacks=[WeightMonitor()], progress=False,
                      default_root_dir=folder)
    history = trainer.fit(model, train, valid, loss_fn=nn.CrossEntropyLoss(),
                          optimizer=optimizer, scheduler=scheduler, metrics=["accuracy"])
    history.to_csv(folder / "metrics.csv")
    return history, folder


def traces(figure):
    return {trace.name: trace for trace in figure.data}


def test_epoch_curves_hold_the_recorded_values(run):
    history, _ = run
    figure = traces(plot_history(history))
    for key in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
        np.testing.assert_allclose(figure[key].y, history.epoch_values(key), err_msg=key)
        assert list(figure[key].x) == [1, 2, 3]
    np.testing.assert_allclose(figure["lr"].y, history.step_values("lr"))
    assert sorted(set(figure["lr"].y)) == [0.025, 0.05, 0.1]


def test_gradient_norms_per_layer_at_fractional_epochs(run):
    history, _ = run
    figure = plot_history(history)
    norms = [trace for trace in figure.data if trace.name.startswith("grad_norm/")]
    assert [trace.name for trace in norms] == ["grad_norm/0", "grad_norm/2"]
    for trace in norms:
        np.testing.assert_allclose(trace.y, history.step_values(trace.name))
        assert figure.layout[trace.yaxis.replace("y", "yaxis")].type == "log"
    x = fractional_epochs(history)
    per_epoch = len(history.steps) // 3
    assert x[per_epoch - 1] == pytest.approx(1.0) and x[-1] == pytest.approx(3.0)
    assert x[0] == pytest.approx(1 / per_epoch)


def test_step_axis_and_panels(run):
    history, _ = run
    figure = plot_history(history, x="step")
    by_name = traces(figure)
    assert list(by_name["train_loss (batch)"].x) == history.step_values("step")
    np.testing.assert_allclose(by_name["train_loss (batch)"].y, history.step_values("train_loss"))
    assert list(by_name["val_loss"].x) == [row["step"] for row in history.epochs]
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert titles == ["Loss", "Accuracy", "Learning rate", "Gradient norm per layer"]


def test_a_run_folder_and_missing_series(run):
    history, folder = run
    from_folder = traces(plot_history(str(folder)))
    np.testing.assert_allclose(from_folder["val_loss"].y, history.epoch_values("val_loss"))
    bare = History()
    bare.log_epoch({"epoch": 0, "step": 4, "train_loss": 1.0})
    figure = plot_history(bare, metrics=["accuracy", "f1"])
    assert [trace.name for trace in figure.data] == ["train_loss"]
    assert len(plot_history(History()).data) == 0
    only = traces(plot_history(history, metrics="val_accuracy"))
    assert "train_accuracy" in only and "val_accuracy" in only
    with pytest.raises(ValueError, match="x must be"):
        plot_history(history, x="batch")


def test_schedule_of_a_scheduler_leaves_it_untouched():
    model = mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    figure = plot_schedule(scheduler, steps=30)
    assert list(figure.data[0].y) == [0.1] * 10 + [0.05] * 10 + [0.025] * 10
    assert list(figure.data[0].x) == list(range(30))
    assert optimizer.param_groups[0]["lr"] == 0.1
    assert scheduler.last_epoch == 0 and scheduler.get_last_lr() == [0.1]


def test_schedule_factories_compared():
    figure = plot_schedule({
        "constant": lambda opt: lr_scheduler.ConstantLR(opt, factor=1.0),
        "step": lambda opt: lr_scheduler.StepLR(opt, step_size=10, gamma=0.5),
        "exponential": lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9),
        "cosine": lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=30),
        "one-cycle": lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=30),
        "plateau": lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=4),
    }, steps=30, lr=0.1)
    lrs = {trace.name: np.array(trace.y) for trace in figure.data}
    assert list(lrs) == ["constant", "step", "exponential", "cosine", "one-cycle", "plateau"]
    np.testing.assert_allclose(lrs["constant"], 0.1)
    np.testing.assert_allclose(lrs["exponential"], 0.1 * 0.9 ** np.arange(30))
    np.testing.assert_allclose(lrs["cosine"], 0.05 * (1 + np.cos(np.pi * np.arange(30) / 30)),
                               atol=1e-12)
    # one-cycle: from max_lr / 25 up to max_lr at step 0.3 * 30 - 1, down to max_lr / 25 / 1e4
    assert lrs["one-cycle"].argmax() == 8 and lrs["one-cycle"].max() == pytest.approx(0.1)
    assert lrs["one-cycle"][[0, -1]] == pytest.approx([0.004, 4e-7])
    # a constant metric never improves: the first sets the best, then every 5th step halves
    assert list(lrs["plateau"][:12]) == [0.1] * 6 + [0.05] * 5 + [0.025]
    with pytest.raises(TypeError, match="plot_schedule"):
        plot_schedule(3)
