"""The hooks of validate and test, schedulers stepped by what they are, and RunFolder's names."""

import os

from train_helpers import loaders, mlp, regression_data

from glassgrad import nn, optim
from glassgrad.train import Callback, CallbackList, RunFolder, Trainer


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_validation_batch_start(self, trainer, model, batch, batch_idx):
        self.calls.append(("validation_start", batch_idx))

    def on_validation_batch_end(self, trainer, model, outputs, batch, batch_idx):
        self.calls.append(("validation_end", batch_idx))

    def on_test_batch_start(self, trainer, model, batch, batch_idx):
        self.calls.append(("test_start", batch_idx))

    def on_test_batch_end(self, trainer, model, outputs, batch, batch_idx):
        assert set(outputs) == {"loss", "output"}
        self.calls.append(("test_end", batch_idx))


def test_test_batches_call_the_test_hooks_and_validation_batches_the_validation_hooks():
    x, y = regression_data(n=32)
    _, loader = loaders(x, y, batch_size=16)
    recorder = Recorder()
    trainer = Trainer(callbacks=[recorder], progress=False)
    trainer.test(mlp(4, 1), loader, loss_fn=nn.MSELoss())
    assert recorder.calls == [("test_start", 0), ("test_end", 0)]
    recorder.calls.clear()
    trainer.validate(mlp(4, 1), loader, loss_fn=nn.MSELoss())
    assert recorder.calls == [("validation_start", 0), ("validation_end", 0)]


def test_a_subclass_of_reduce_lr_on_plateau_is_given_its_metric():
    class Plateau(optim.lr_scheduler.ReduceLROnPlateau):
        pass

    x, y = regression_data(n=64)
    train, valid = loaders(x, y)
    model = mlp(4, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    plateau = Plateau(optimizer, patience=0)
    history = Trainer(max_epochs=1, progress=False).fit(
        model, train, valid, loss_fn=nn.MSELoss(), optimizer=optimizer, scheduler=plateau)
    assert plateau.best == history.epochs[0]["val_loss"]


def test_callback_list_calls_only_the_callbacks_that_implement_a_hook_in_order():
    calls = []

    class First(Callback):
        def on_train_start(self, trainer, model):
            calls.append("first")

    class Second(First):
        def on_train_start(self, trainer, model):
            calls.append("second")

    trainer = Trainer(progress=False)
    hooks = CallbackList([Callback(), First(), Second()], trainer)
    hooks.call("on_train_start")
    assert calls == ["first", "second"]
    assert len(hooks.methods("on_train_start")) == 2 and hooks.methods("on_fit_end") == []


def test_run_folder_names_every_file_the_trainer_writes(tmp_path):
    x, y = regression_data(n=32)
    train, _ = loaders(x, y, val=False)
    Trainer(max_epochs=1, progress=False, default_root_dir=tmp_path).fit(
        mlp(4, 1), train, loss_fn=nn.MSELoss())
    run = RunFolder(tmp_path)
    assert os.path.isfile(run.metrics)
    assert os.path.isfile(run.checkpoint(RunFolder.LAST) + ".json")
    assert run.checkpoints == os.path.join(str(tmp_path), "checkpoints")
