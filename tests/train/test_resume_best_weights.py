"""Resume after the best epoch: the best weights EarlyStopping keeps survive the interruption.

The validation rows here come from another labelling than the training rows, so the validation
loss is best early and then rises: the best epoch lies before the interruption, and the weights
the run ends with (the best epoch's, ``restore_best_weights=True``) differ from the last
epoch's. A resumed run must end with exactly the weights an uninterrupted run ends with, after a
Ctrl-C (SIGINT: an ``interrupted`` checkpoint) and after ``kill -9`` (the ``last`` checkpoint).
"""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from train_helpers import assert_same_weights, classification_data, mlp, weights

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
from glassgrad.utils.data import DataLoader, TensorDataset

EPOCHS = 12


def run(root, ckpt_path=None, callbacks=()):
    gg.manual_seed(5)
    x, y = classification_data(n=96, seed=0)
    x_val, y_val = classification_data(n=48, seed=1)       # another labelling: overfits early
    train = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    valid = DataLoader(TensorDataset(x_val, y_val), batch_size=48)
    model = mlp(dropout=0.2, seed=3)
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    stopper = EarlyStopping("val_loss", patience=100, restore_best_weights=True)
    trainer = Trainer(max_epochs=EPOCHS, progress=False, default_root_dir=root,
                      callbacks=[stopper, *callbacks])
    trainer.fit(model, train, valid, loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer,
                ckpt_path=ckpt_path)
    return trainer, model


class InterruptAfterEpoch(Callback):
    """A real signal to this process at the end of an epoch (after the checkpoints are saved)."""

    def __init__(self, epoch, signum):
        self.epoch, self.signum = epoch, signum

    def on_train_epoch_end(self, trainer, model):
        if trainer.current_epoch + 1 == self.epoch:
            os.kill(os.getpid(), self.signum)


def test_the_setup_has_its_best_epoch_early_and_different_last_weights(tmp_path):
    """Without this, the tests below could not tell the best weights from the last ones."""
    trainer, model = run(tmp_path / "full")
    best_epoch = trainer.callbacks[0].best_epoch
    assert best_epoch is not None and best_epoch + 1 < EPOCHS // 2
    last = load_checkpoint(tmp_path / "full" / "checkpoints" / "last")["model"]
    final = weights(model)
    assert any((last[key].numpy() != final[key]).any() for key in final)


def test_ctrl_c_after_the_best_epoch_resumes_to_the_same_weights(tmp_path):
    full, full_model = run(tmp_path / "full")
    assert full.callbacks[0].best_epoch + 1 < EPOCHS // 2
    stopped, _ = run(tmp_path / "part", callbacks=[InterruptAfterEpoch(EPOCHS // 2,
                                                                      signal.SIGINT)])
    assert stopped.interrupted
    resumed, resumed_model = run(tmp_path / "part",
                                 ckpt_path=tmp_path / "part" / "checkpoints" / "interrupted")
    assert resumed.callbacks[0].best_epoch == full.callbacks[0].best_epoch
    assert_same_weights(weights(resumed_model), weights(full_model))


_KILLED_RUN = """
import os, signal, sys
sys.path.insert(0, {tests!r})
sys.path.insert(0, {here!r})
from test_resume_best_weights import InterruptAfterEpoch, run
run({root!r}, callbacks=[InterruptAfterEpoch({epoch}, signal.SIGKILL)])
"""


def test_kill_9_after_the_best_epoch_resumes_to_the_same_weights(tmp_path):
    full, full_model = run(tmp_path / "full")
    here = os.path.dirname(os.path.abspath(__file__))
    script = _KILLED_RUN.format(tests=os.path.dirname(here), here=here,
                                root=str(tmp_path / "part"), epoch=EPOCHS // 2)
    killed = subprocess.run([sys.executable, "-c", textwrap.dedent(script)],
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    resumed, resumed_model = run(tmp_path / "part",
                                 ckpt_path=tmp_path / "part" / "checkpoints" / "last")
    assert resumed.callbacks[0].best_epoch == full.callbacks[0].best_epoch
    assert_same_weights(weights(resumed_model), weights(full_model))


def test_best_weights_that_do_not_fit_the_model_are_refused(tmp_path):
    run(tmp_path / "part")
    path = tmp_path / "part" / "checkpoints" / "last"
    state = load_checkpoint(path)
    best = state["callbacks"]["EarlyStopping"]["best_weights"]
    best["0.weight"] = gg.zeros(3, 3)
    save_checkpoint(tmp_path / "crafted", state)
    with pytest.raises(CheckpointError, match="best_weights' does not fit the model"):
        run(tmp_path / "part", ckpt_path=tmp_path / "crafted")
