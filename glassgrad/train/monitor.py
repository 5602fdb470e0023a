"""WeightMonitor: record what the weights do during training, for the pictures of glassgrad.viz.

Two recordings, both kept in the Trainer's History:

- snapshots: after every ``every_n_epochs`` epochs (and once before training), a copy of every
  parameter and of its gradient at the epoch's last step, in ``history.snapshots`` as
  ``{"epoch": completed epochs, "weights": {name: array}, "grads": {name: array}}``. These drive
  the weight histograms and the animated network picture.
- update ratios: at every optimizer step, for each layer, ``||W_after - W_before|| / ||W_after||``
  (the relative size of the update, about 1e-3 in a healthy run), logged in the step rows as
  ``update_ratio/<layer>``. With the gradient norms the Trainer logs, they drive the training-
  health heat maps.

With a run folder, the snapshots are also written to ``weights.safetensors`` at the end of fit
(``History.from_run`` reads them back).
"""

import math

import numpy as np

from ._loop_state import layer_groups
from .callbacks import Callback
from .run_folder import RunFolder

__all__ = ["WeightMonitor"]


class WeightMonitor(Callback):
    """Record weight snapshots per epoch and per-layer update ratios per step.

    Args:
        every_n_epochs: snapshot every n epochs (the last epoch is always included).
        snapshots: record the snapshots.
        update_ratios: record ``update_ratio/<layer>`` at each step.
        max_parameters: skip snapshots for models with more parameters than this (memory).
    """

    def __init__(self, every_n_epochs=1, snapshots=True, update_ratios=True,
                 max_parameters=2_000_000):
        self.every_n_epochs = max(1, int(every_n_epochs))
        self.snapshots = snapshots
        self.update_ratios = update_ratios
        self.max_parameters = max_parameters
        self._before = None
        self._last_grads = {}

    def on_fit_start(self, trainer, model):
        self._layers = layer_groups(model)
        self._named = list(model.named_parameters())
        size = sum(p.numel() for _, p in self._named)
        self._snapshots_on = self.snapshots and size <= self.max_parameters
        if self._snapshots_on and not trainer.history.snapshots:
            self._snapshot(trainer, epoch=trainer.current_epoch)

    def on_before_optimizer_step(self, trainer, model, optimizer):
        if self.update_ratios:
            self._before = [[p._data.copy() for p in params] for _, params in self._layers]

    def on_before_zero_grad(self, trainer, model, optimizer):
        if self.update_ratios and self._before is not None:
            for (layer, params), before in zip(self._layers, self._before):
                change = sum(float(np.sum((p._data - b) ** 2)) for p, b in zip(params, before))
                size = sum(float(np.sum(p._data ** 2)) for p in params)
                ratio = math.sqrt(change / size) if size > 0 else 0.0
                trainer.log(f"update_ratio/{layer}", ratio)
            self._before = None
        last_batch = trainer.num_training_batches
        if self._snapshots_on and (last_batch is None or trainer.batch_idx + 1 >= last_batch):
            self._last_grads = {name: p._grad._data.copy() for name, p in self._named
                                if p._grad is not None}

    def on_train_epoch_end(self, trainer, model):
        done = trainer.current_epoch + 1
        if self._snapshots_on and (done % self.every_n_epochs == 0
                                   or done == trainer.max_epochs):
            self._snapshot(trainer, epoch=done)

    def on_fit_end(self, trainer, model):
        history = trainer.history
        if not self._snapshots_on or not history.snapshots:
            return
        last = history.snapshots[-1]["epoch"]
        if last != trainer.current_epoch and len(history.epochs):
            self._snapshot(trainer, epoch=trainer.current_epoch)
        if trainer.default_root_dir is not None:
            history.save_snapshots(RunFolder(trainer.default_root_dir).weights)

    def _snapshot(self, trainer, epoch):
        trainer.history.snapshots.append({
            "epoch": epoch,
            "weights": {name: p._data.copy() for name, p in self._named},
            "grads": dict(self._last_grads),
        })
        self._last_grads = {}

    def __repr__(self):
        return (f"WeightMonitor(every_n_epochs={self.every_n_epochs}, snapshots={self.snapshots}"
                f", update_ratios={self.update_ratios})")
