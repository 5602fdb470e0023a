"""Checkpoints: a run stopped and resumed ends with the same weights as one that was not."""

import os
import signal

import numpy as np
import pytest
from train_helpers import assert_same_weights, classification_data, loaders, mlp, weights

import glassgrad as gg
from glassgrad import nn, optim
from glassgrad.train import (
    Callback,
    CheckpointError,
    EarlyStopping,
    Trainer,
    load_checkpoint,
    save_checkpoint,
)


def run(root, max_epochs, ckpt_path=None, callbacks=(), accumulate=1):
    """Dropout, shuffling, Adam with weight decay, a step schedule and early stopping: every
    piece of state a resume must restore."""
    gg.manual_seed(123)
    x, y = classification_data(n=120)
    train, valid = loaders(x, y, batch_size=16)
    model = mlp(dropout=0.3, seed=7)
    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    trainer = Trainer(max_epochs=max_epochs, progress=False, default_root_dir=root,
                      accumulate_grad_batches=accumulate,
                      callbacks=[EarlyStopping("val_loss", patience=50), *callbacks])
    trainer.fit(model, train, valid, loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer,
                scheduler=scheduler, metrics=["accuracy"], ckpt_path=ckpt_path)
    return trainer, model


def without_time(rows):
    return [{k: v for k, v in row.items() if k != "time"} for row in rows]


@pytest.mark.parametrize("accumulate", [1, 3])
def test_resume_after_epoch_k_is_bit_identical(tmp_path, accumulate):
    full, full_model = run(tmp_path / "full", 6, accumulate=accumulate)
    run(tmp_path / "part", 3, accumulate=accumulate)
    resumed, resumed_model = run(tmp_path / "part", 6, accumulate=accumulate,
                                 ckpt_path=tmp_path / "part" / "checkpoints" / "last")
    assert_same_weights(weights(resumed_model), weights(full_model))
    assert resumed.global_step == full.global_step
    assert without_time(resumed.history.epochs) == without_time(full.history.epochs)
    assert resumed.optimizer.param_groups[0]["lr"] == full.optimizer.param_groups[0]["lr"]
    assert resumed.callbacks[0].best_score == full.callbacks[0].best_score


class InterruptAt(Callback):
    """Sends the process a real SIGINT (Ctrl-C) after a given global step."""

    def __init__(self, step):
        self.step = step

    def on_train_batch_end(self, trainer, model, outputs, batch, batch_idx):
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.parametrize("step", [10, 16])   # mid-epoch, and the last step of epoch 2
def test_ctrl_c_saves_a_checkpoint_that_resumes_bit_identically(tmp_path, step, capsys):
    full, full_model = run(tmp_path / "full", 4)
    stopped, _ = run(tmp_path / "part", 4, callbacks=[InterruptAt(step)])
    assert stopped.interrupted and stopped.global_step == step
    assert "Interrupted" in capsys.readouterr().err
    path = tmp_path / "part" / "checkpoints" / "interrupted"
    assert stopped.interrupt_checkpoint_path == str(path)
    resumed, resumed_model = run(tmp_path / "part", 4, ckpt_path=path)
    assert_same_weights(weights(resumed_model), weights(full_model))
    assert without_time(resumed.history.epochs) == without_time(full.history.epochs)
    assert without_time(resumed.history.steps) == without_time(full.history.steps)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_resumed_epoch_interrupted_again_still_resumes_bit_identically(tmp_path):
    """The second checkpoint is taken inside the epoch the first one resumed: the epoch's random
    state it saves is the one the first checkpoint restored (decoded, kept, encoded again)."""
    full, full_model = run(tmp_path / "full", 4)
    steps_per_epoch = full.global_step // 4
    first, second = steps_per_epoch + 2, steps_per_epoch + 3  # both inside epoch 2
    path = tmp_path / "part" / "checkpoints" / "interrupted"
    stopped, _ = run(tmp_path / "part", 4, callbacks=[InterruptAt(first)])
    assert stopped.interrupted and stopped.global_step == first
    stopped, _ = run(tmp_path / "part", 4, ckpt_path=path, callbacks=[InterruptAt(second)])
    assert stopped.interrupted and stopped.global_step == second
    resumed, resumed_model = run(tmp_path / "part", 4, ckpt_path=path)
    assert_same_weights(weights(resumed_model), weights(full_model))
    assert without_time(resumed.history.steps) == without_time(full.history.steps)


def test_checkpoint_round_trips_nested_state(tmp_path):
    state = {"model": {"w": gg.tensor([[1.5, -2.0]])}, "betas": (0.9, 0.999),
             "state": {0: {"step": gg.tensor(3.0), "buf": np.arange(3)}}, "best": float("inf"),
             "nan": float("nan"), "name": "adam", "none": None, "flags": [True, 2]}
    save_checkpoint(tmp_path / "c", state)
    loaded = load_checkpoint(tmp_path / "c.json")
    assert loaded["betas"] == (0.9, 0.999)
    assert loaded["best"] == float("inf") and np.isnan(loaded["nan"])
    assert list(loaded["state"]) == [0]
    np.testing.assert_array_equal(loaded["state"][0]["buf"].numpy(), np.arange(3))
    np.testing.assert_array_equal(loaded["model"]["w"].numpy(), [[1.5, -2.0]])
    assert loaded["name"] == "adam" and loaded["none"] is None and loaded["flags"] == [True, 2]


def test_checkpoint_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing")
    with pytest.raises(TypeError, match="cannot save builtin_function_or_method at hook"):
        save_checkpoint(tmp_path / "c", {"hook": print})
    save_checkpoint(tmp_path / "c", {"x": 1})
    (tmp_path / "c.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(tmp_path / "c")
