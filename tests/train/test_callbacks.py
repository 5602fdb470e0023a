"""Each callback's behaviour: EarlyStopping, ModelCheckpoint, LearningRateMonitor, NaN guard."""

import math
import os

import numpy as np
import pytest
from train_helpers import assert_same_weights, classification_data, loaders, mlp, weights

import glassgrad as gg
from glassgrad import nn, optim
from glassgrad.train import (
    Callback,
    EarlyStopping,
    LearningRateMonitor,
    ModelCheckpoint,
    TerminateOnNaN,
    Trainer,
    load_checkpoint,
)


class ScriptedMetric(Callback):
    """Logs a given sequence of values as ``score``, one per epoch, before the other callbacks."""

    def __init__(self, values):
        self.values = list(values)

    def on_train_epoch_end(self, trainer, model):
        trainer.log("score", self.values[trainer.current_epoch])


def fit(callbacks, epochs=10, root=None, data=None, **kwargs):
    x, y = data or classification_data()
    train, valid = loaders(x, y)
    trainer = Trainer(max_epochs=epochs, callbacks=callbacks, progress=False,
                      default_root_dir=root, **kwargs)
    model = mlp()
    trainer.fit(model, train, valid, loss_fn=nn.CrossEntropyLoss(), metrics=["accuracy"],
                optimizer=optim.SGD(model.parameters(), lr=0.1))
    return trainer, model


@pytest.mark.parametrize("mode, values, stop_epoch", [
    ("min", [5, 4, 4.5, 4.2, 4.1, 3, 2], 4),   # best 4 at epoch 1; 3 epochs without improvement
    ("max", [1, 2, 3, 2, 2, 2, 9], 5),
    ("min", [5, 4, 3, 2, 1, 0, -1], None),
])
def test_early_stopping_waits_patience_epochs(mode, values, stop_epoch):
    stopper = EarlyStopping("score", patience=3, mode=mode)
    trainer, _ = fit([ScriptedMetric(values), stopper], epochs=len(values))
    assert stopper.stopped_epoch == stop_epoch
    assert trainer.current_epoch == (len(values) if stop_epoch is None else stop_epoch + 1)
    if stop_epoch is not None:
        assert "did not improve for 3 epochs" in trainer.stop_reason


def test_early_stopping_min_delta_and_non_finite():
    stopper = EarlyStopping("score", patience=2, min_delta=0.5)
    fit([ScriptedMetric([5, 4.8, 4.6, 1]), stopper], epochs=4)
    assert stopper.stopped_epoch == 2   # improvements of 0.2 do not count
    stopper = EarlyStopping("score", patience=5)
    trainer, _ = fit([ScriptedMetric([5, math.nan, 4]), stopper], epochs=3)
    assert stopper.stopped_epoch == 1 and "not finite" in trainer.stop_reason


def test_early_stopping_restores_the_best_weights():
    class Snapshot(Callback):
        def __init__(self):
            self.weights = []

        def on_train_epoch_end(self, trainer, model):
            self.weights.append(weights(model))

    snapshot = Snapshot()
    stopper = EarlyStopping("score", patience=2, restore_best_weights=True)
    _, model = fit([ScriptedMetric([3, 1, 2, 2, 2]), snapshot, stopper], epochs=5)
    assert_same_weights(weights(model), snapshot.weights[1])


def test_early_stopping_names_the_available_metrics():
    with pytest.raises(KeyError, match="val_accuracy"):
        fit([EarlyStopping("val_acc")], epochs=1)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


def test_model_checkpoint_keeps_the_best_and_the_last(tmp_path):
    checkpoint = ModelCheckpoint(monitor="score", mode="max", save_last=True)
    trainer, model = fit([ScriptedMetric([1, 3, 2, 2.5]), checkpoint], epochs=4, root=tmp_path)
    folder = tmp_path / "checkpoints"
    assert sorted(os.listdir(folder)) == [
        "epoch=1-step=12.gen1.json", "epoch=1-step=12.gen1.safetensors", "epoch=1-step=12.json",
        "last.gen4.json", "last.gen4.safetensors", "last.json"]
    assert checkpoint.best_model_path == str(folder / "epoch=1-step=12")
    assert checkpoint.best_model_score == 3
    last = load_checkpoint(folder / "last")
    assert last["epoch"] == 4 and last["global_step"] == 24
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(last["model"][key].numpy(), value.numpy())


def test_model_checkpoint_top_k(tmp_path):
    checkpoint = ModelCheckpoint(monitor="score", mode="min", save_top_k=2,
                                 filename="e{epoch}")
    fit([ScriptedMetric([5, 1, 3, 2, 4]), checkpoint], epochs=5, root=tmp_path)
    names = sorted(p for p in os.listdir(tmp_path / "checkpoints")
                   if p.endswith(".json") and ".gen" not in p)
    assert names == ["e1.json", "e3.json"]


def test_a_trainer_with_a_run_folder_writes_metrics_and_last(tmp_path):
    trainer, _ = fit([], epochs=2, root=tmp_path)
    assert (tmp_path / "metrics.csv").exists()
    assert load_checkpoint(tmp_path / "checkpoints" / "last")["epoch"] == 2
    history = gg.train.History.from_csv(tmp_path / "metrics.csv")
    assert history.epoch_values("val_accuracy") == pytest.approx(
        trainer.history.epoch_values("val_accuracy"))
    assert len(history.steps) == len(trainer.history.steps)


def test_learning_rate_monitor_logs_each_epochs_rate():
    x, y = classification_data()
    train, _ = loaders(x, y)
    model = mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    monitor = LearningRateMonitor(logging_interval="epoch", log_momentum=True)
    trainer = Trainer(max_epochs=3, callbacks=[monitor], progress=False)
    history = trainer.fit(model, train, loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer,
                          scheduler=optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.1))
    assert monitor.lrs["lr-SGD"] == pytest.approx([0.1, 0.01, 0.001])
    assert history.epoch_values("lr-SGD") == pytest.approx([0.1, 0.01, 0.001])
    assert history.epoch_values("momentum-SGD") == [0.9, 0.9, 0.9]
    with pytest.raises(ValueError, match="logging_interval"):
        LearningRateMonitor(logging_interval="batch")


def test_nan_guard_stops_before_the_update_and_keeps_the_last_good_checkpoint(tmp_path):
    class ExplodingLoss(nn.Module):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def forward(self, output, target):
            self.calls += 1
            loss = nn.functional.cross_entropy(output, target)
            return loss * math.nan if self.calls == 15 else loss

    x, y = classification_data()
    train, valid = loaders(x, y)
    model = mlp()
    seen = []

    class Snapshot(Callback):
        def on_train_batch_end(self, trainer, model, outputs, batch, batch_idx):
            seen.append(weights(model))

    trainer = Trainer(max_epochs=5, callbacks=[TerminateOnNaN(), Snapshot()], progress=False,
                      default_root_dir=tmp_path)
    trainer.fit(model, train, loss_fn=ExplodingLoss(), optimizer=optim.SGD(model.parameters(),
                                                                           lr=0.1))
    assert trainer.should_stop
    assert "loss became nan in epoch 3, at step 15 (batch 3)" in trainer.stop_reason
    assert_same_weights(weights(model), seen[-1])
    last = load_checkpoint(tmp_path / "checkpoints" / "last")
    assert last["epoch"] == 2 and last["global_step"] == 12
    assert len(trainer.history.epochs) == 2


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_guard_catches_an_infinite_gradient():
    class InfiniteGradient(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            return grad * math.inf

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(6, 3)

        def forward(self, x):
            return InfiniteGradient.apply(self.linear(x))

    x, y = classification_data()
    model = Model()
    before = weights(model)
    trainer = Trainer(max_epochs=1, callbacks=[TerminateOnNaN()], progress=False)
    trainer.fit(model, loaders(x, y)[0], loss_fn=nn.CrossEntropyLoss())
    assert "the gradient norm became nan in epoch 1, at step 1" in trainer.stop_reason
    assert_same_weights(weights(model), before)
