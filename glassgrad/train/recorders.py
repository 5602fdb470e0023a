"""The callbacks that fill the Trainer's History: gradient norms, and a row per step and epoch.

The Trainer adds both to every ``fit``, ahead of the callbacks it was given (so a callback's
``on_before_optimizer_step`` finds ``trainer.last_grad_norm`` set, and its
``on_train_epoch_end`` finds the epoch's row in ``trainer.history``). They are not in
``trainer.callbacks``: they hold no state of their own (the History is saved with the
checkpoint), so a checkpoint holds what it held before they were callbacks.

A step row is ``{"epoch", "step", "train_loss", "lr", "grad_norm/<layer>"..., what callbacks
logged during the batch, "time"}`` in that order, which is the order of the columns of
``metrics.csv``.
"""

import math
import time

import numpy as np

from ._loop_state import layer_groups
from .callbacks import Callback

__all__ = ["GradientNorms", "HistoryRecorder"]

_vdot = np.vdot


class GradientNorms(Callback):
    """The L2 norm of each layer's gradients just before the update, every n optimizer steps.

    For a layer with parameters ``p_1 ... p_k``: ``||g|| = sqrt(sum_i sum(p_i.grad ** 2))``; the
    norm of all layers together, ``sqrt(sum of the squares)``, is ``trainer.last_grad_norm``
    (None on the steps in between).

    Args:
        every_n_steps: compute the norms on every n-th optimizer step.

    Example:
        >>> norms = GradientNorms(every_n_steps=10)    # (Trainer(log_every_n_steps=10))
    """

    def __init__(self, every_n_steps=1):
        self.every_n_steps = int(every_n_steps)
        self.step_norms = None
        self._keys = []
        self._params = []

    def setup(self, trainer, model, stage):
        # each layer's History column and parameters, built once (not a new string per step)
        groups = layer_groups(model)
        self._keys = [f"grad_norm/{layer}" for layer, _ in groups]
        self._params = [params for _, params in groups]

    def on_before_optimizer_step(self, trainer, model, optimizer):
        if (trainer.global_step + 1) % self.every_n_steps == 0:
            self.step_norms = self.norms(trainer)
        else:
            trainer.last_grad_norm = self.step_norms = None

    def norms(self, trainer):
        """``{"grad_norm/<layer>": norm}`` of the gradients now; sets ``last_grad_norm``."""
        squares = self._squares()
        trainer.last_grad_norm = math.sqrt(sum(squares))
        return dict(zip(self._keys, map(math.sqrt, squares)))

    def _squares(self):
        """Each layer's sum of squared gradients: one ``np.vdot`` per parameter on its
        gradient's array (no Tensor ops, no copy of a contiguous gradient; the same BLAS dot,
        so the same value, as ``np.dot`` on the flattened array), added up as Python floats
        (float64) across the layer's parameters."""
        squares = []
        for params in self._params:
            arrays = [p._grad._data for p in params if p._grad is not None]
            squares.append(sum(map(float, map(_vdot, arrays, arrays)), 0.0))
        return squares


class HistoryRecorder(Callback):
    """Append a row to ``trainer.history`` after every optimizer step and every epoch.

    Args:
        gradient_norms: the ``GradientNorms`` whose norms go into the step rows.
    """

    def __init__(self, gradient_norms):
        self.gradient_norms = gradient_norms
        self._lr = None
        self._step_start = 0.0

    def setup(self, trainer, model, stage):
        self._lr = None

    def on_train_epoch_start(self, trainer, model):
        self._step_start = time.perf_counter()

    def on_before_zero_grad(self, trainer, model, optimizer):
        # the lr of this step (a per-step scheduler changes it before on_train_batch_end)
        self._lr = optimizer.param_groups[0]["lr"]

    def on_train_batch_end(self, trainer, model, outputs, batch, batch_idx):
        if self._lr is None:   # no optimizer step in this batch (gradient accumulation)
            return
        row = {"epoch": trainer.current_epoch, "step": trainer.global_step,
               "train_loss": outputs["loss"], "lr": self._lr}
        self._lr = None
        norms = self.gradient_norms.step_norms
        if norms is not None:
            row.update(norms)
        extra = trainer.loop_state.step_extra
        if extra:
            row.update(extra)
            extra.clear()
        now = time.perf_counter()
        row["time"] = now - self._step_start
        self._step_start = now
        trainer.history.log_step(row)

    def on_validation_epoch_end(self, trainer, model):
        self._log_epoch(trainer)

    def on_train_epoch_end(self, trainer, model):
        self._log_epoch(trainer)

    @staticmethod
    def _log_epoch(trainer):
        """The epoch's row, once: at its first end hook (validation's, when there is one)."""
        state = trainer.loop_state
        if state is not None and state.epoch_metrics is not None:
            trainer.history.log_epoch(state.epoch_metrics)
            state.epoch_metrics = None
