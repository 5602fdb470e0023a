"""The Trainer: the training loop, written once, with everything optional in callbacks.

One epoch, in the order it happens:

    for each batch (x, y) of train_loader:
        loss = loss_fn(model(x), y) / accumulate_grad_batches
        loss.backward()                                   # gradients add up over the window
        every accumulate_grad_batches batches:
            clip gradients (gradient_clip_val), optimizer.step(), optimizer.zero_grad()
            scheduler.step() if it steps per batch
    validate on val_loader under no_grad (model.eval())
    step an epoch scheduler; callbacks decide whether to stop (EarlyStopping) or save

``History`` records every step and epoch; with ``default_root_dir`` set, the run folder gets
``metrics.csv`` and ``checkpoints/`` (``ModelCheckpoint``). Ctrl-C finishes the current step,
saves a checkpoint, and returns; ``fit(..., ckpt_path=...)`` resumes bit for bit.

Example:
    >>> trainer = Trainer(max_epochs=20, callbacks=[EarlyStopping("val_loss", patience=3)])
    >>> history = trainer.fit(model, train_loader, val_loader, loss_fn=nn.CrossEntropyLoss(),
    ...                       optimizer=optim.Adam(model.parameters(), lr=1e-3),
    ...                       metrics=["accuracy"])
    >>> trainer.test(model, test_loader)
    {'test_loss': 0.11, 'test_accuracy': 0.97}
"""

import math
import os
import time

import numpy as np

from ..autograd.grad_mode import no_grad
from ..ops.join import cat
from ..random import default_generator, set_rng_state
from ._interrupt import InterruptGuard
from ._loop_state import EpochAccumulator, layer_groups, split_batch
from ._trainer_state import checkpoint_state, restore_state
from .callbacks import Callback
from .checkpoint import load_checkpoint, save_checkpoint
from .history import History
from .loggers import CSVLogger
from .model_checkpoint import ModelCheckpoint
from .progress import ProgressBar

__all__ = ["Trainer"]

_vdot = np.vdot


class Trainer:
    """Runs fit / validate / test / predict loops and calls the callbacks' hooks.

    Args:
        max_epochs: stop after this many epochs (default 1000, as Lightning).
        min_epochs: do not let callbacks stop training before this many epochs.
        max_steps: stop after this many optimizer steps (-1: no limit).
        callbacks: a list of Callback objects, called in order.
        accumulate_grad_batches: add up the gradients of this many batches before each
            optimizer step (the loss of each is divided by it, so the step sees their mean).
        gradient_clip_val: clip gradients before each step (None: no clipping).
        gradient_clip_algorithm: "norm" (clip_grad_norm_) or "value" (clip_grad_value_).
        log_every_n_steps: record per-layer gradient norms every n steps (loss, lr and time are
            recorded every step).
        progress: show a progress bar and a per-epoch table (quiet when not on a terminal).
        default_root_dir: the run folder for metrics.csv and checkpoints (None: keep everything
            in memory, write nothing).
        enable_checkpointing: add a ModelCheckpoint (saving ``last``) when a run folder is set
            and no ModelCheckpoint was given.
    """

    def __init__(self, max_epochs=None, min_epochs=0, max_steps=-1, callbacks=None,
                 accumulate_grad_batches=1, gradient_clip_val=None,
                 gradient_clip_algorithm="norm", log_every_n_steps=1, progress=True,
                 default_root_dir=None, enable_checkpointing=True):
        if accumulate_grad_batches < 1:
            raise ValueError("Trainer: accumulate_grad_batches must be >= 1, got "
                             f"{accumulate_grad_batches}")
        if gradient_clip_algorithm not in ("norm", "value"):
            raise ValueError("Trainer: gradient_clip_algorithm must be 'norm' or 'value', got "
                             f"{gradient_clip_algorithm!r}")
        if log_every_n_steps < 1:
            raise ValueError(f"Trainer: log_every_n_steps must be >= 1, got {log_every_n_steps}")
        callbacks = list(callbacks or [])
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"Trainer: callbacks must be Callback objects, got "
                                f"{type(callback).__name__}")
        self.max_epochs = 1000 if max_epochs is None else int(max_epochs)
        self.min_epochs = int(min_epochs)
        self.max_steps = int(max_steps)
        self.accumulate_grad_batches = int(accumulate_grad_batches)
        self.gradient_clip_val = gradient_clip_val
        self.gradient_clip_algorithm = gradient_clip_algorithm
        self.log_every_n_steps = int(log_every_n_steps)
        self.progress = progress
        self.default_root_dir = None if default_root_dir is None else os.fspath(default_root_dir)
        if self.default_root_dir is not None:
            if enable_checkpointing and not any(isinstance(c, ModelCheckpoint) for c in callbacks):
                callbacks.append(ModelCheckpoint(save_last=True))
            callbacks.append(CSVLogger())
        if progress:
            callbacks.append(ProgressBar())
        self.callbacks = callbacks
        self.history = History()
        self.callback_metrics = {}
        self.current_epoch = 0
        self.global_step = 0
        self.batch_idx = 0
        self.should_stop = False
        self.stop_reason = None
        self.interrupted = False
        self.last_grad_norm = None
        self.num_training_batches = None
        self.model = self.optimizer = self.scheduler = self.loss_fn = None
        self._loop = None

    # ------------------------------------------------------------------ public loops
    def fit(self, model, train_loader, val_loader=None, *, loss_fn=None, optimizer=None,
            scheduler=None, metrics=None, ckpt_path=None):
        """Train ``model``; returns the History (also ``trainer.history``).

        Args:
            model: a Module; its ``forward`` takes the batch's inputs.
            train_loader, val_loader: iterables of ``(inputs, target)`` batches (DataLoaders).
            loss_fn: ``loss_fn(output, target)`` -> scalar Tensor (e.g. nn.CrossEntropyLoss()).
            optimizer: default Adam(model.parameters(), lr=1e-3).
            scheduler: an lr scheduler, stepped once per epoch (ReduceLROnPlateau gets
                val_loss, else train_loss), or a dict ``{"scheduler": s, "interval": "step" |
                "epoch", "monitor": name}`` as Lightning's.
            metrics: names ("accuracy", "f1", "rmse", ...) or Metric objects, computed on the
                training and validation batches of each epoch.
            ckpt_path: a checkpoint to resume from (weights, optimizer, scheduler, random state,
                epoch, step, callbacks, History).
        """
        if loss_fn is None:
            raise TypeError("Trainer.fit needs loss_fn=, e.g. nn.CrossEntropyLoss() for "
                            "classification or nn.MSELoss() for regression")
        self._setup(model, loss_fn, optimizer, scheduler, metrics)
        self._loop = {"skip_batches": 0, "epoch_rng": None, "mid_epoch": False}
        if ckpt_path is not None:
            self._restore(load_checkpoint(ckpt_path))
        self._call("setup", "fit")
        try:
            with InterruptGuard(self):
                self._call("on_fit_start")
                self._call("on_train_start")
                self._run_epochs(train_loader, val_loader)
                self._call("on_train_end")
            if self._interrupt_requested:
                self._save_interrupted()
        except BaseException as error:
            self._call("on_exception", error)
            raise
        self._call("on_fit_end")
        self._call("teardown", "fit")
        return self.history

    def validate(self, model, loader, *, loss_fn=None, metrics=None):
        """Evaluate ``model`` on ``loader``; returns ``{"val_loss": ..., "val_<metric>": ...}``."""
        return self._evaluate_standalone(model, loader, loss_fn, metrics, "val")

    def test(self, model, loader, *, loss_fn=None, metrics=None):
        """Evaluate on a test set; returns ``{"test_loss": ..., "test_<metric>": ...}``."""
        return self._evaluate_standalone(model, loader, loss_fn, metrics, "test")

    def predict(self, model, loader):
        """The model's outputs for every batch of ``loader``, concatenated (eval mode, no_grad)."""
        self.model = model
        self._call("on_predict_epoch_start")
        was_training = model.training
        model.eval()
        outputs = []
        with no_grad():
            for batch in loader:
                inputs, _ = split_batch(batch, need_target=False)
                outputs.append(model(inputs))
        model.train(was_training)
        self._call("on_predict_epoch_end")
        return cat(outputs) if outputs else None

    def lr_find(self, model, train_loader, *, loss_fn, optimizer=None, min_lr=1e-7, max_lr=1.0,
                num_training=100, early_stop_threshold=4.0):
        """The learning-rate range test; see ``glassgrad.train.lr_finder.lr_find``."""
        from .lr_finder import lr_find

        return lr_find(model, train_loader, loss_fn=loss_fn, optimizer=optimizer, min_lr=min_lr,
                       max_lr=max_lr, num_training=num_training,
                       early_stop_threshold=early_stop_threshold)

    def log(self, name, value):
        """Record a value in History: in the current step's row when called during a training
        batch (from ``on_train_batch_start`` to ``on_train_batch_end``), else in the epoch's."""
        value = float(value)
        self.callback_metrics[name] = value
        if self._loop is not None:
            bucket = "step_extra" if self._loop.get("in_batch") else "epoch_extra"
            self._loop.setdefault(bucket, {})[name] = value

    def save_checkpoint(self, path):
        """Write the whole training state to ``path``: a manifest ``path.json`` naming one
        generation's ``.safetensors`` + ``.json`` (see ``checkpoint.py``); returns their paths."""
        return save_checkpoint(path, self._checkpoint_state())

    def _save_interrupted(self):
        """After Ctrl-C: save the state at the last finished step, if there is a run folder."""
        self.interrupted = True
        self.stop_reason = "interrupted (Ctrl-C)"
        self.interrupt_checkpoint_path = None
        if self.default_root_dir is not None:
            path = os.path.join(self.default_root_dir, "checkpoints", "interrupted")
            self.save_checkpoint(path)
            self.interrupt_checkpoint_path = path

    @property
    def run_dir(self):
        return self.default_root_dir

    # ------------------------------------------------------------------ the loop
    def _run_epochs(self, train_loader, val_loader):
        loop = self._loop
        while self.current_epoch < self.max_epochs and not self._step_limit_reached():
            self._train_epoch(train_loader)
            if self.should_stop and loop["mid_epoch"]:
                return
            self.history.log_epoch(self._end_epoch(val_loader))
            self._step_scheduler("epoch")
            loop["epoch_done"] = True
            if val_loader is not None:
                self._call("on_validation_epoch_end")
            self._call("on_train_epoch_end")
            loop["epoch_done"] = False
            self.current_epoch += 1
            if self._interrupt_requested:
                return
            if self.should_stop:
                if self.current_epoch >= self.min_epochs:
                    return
                self.should_stop = False

    def _train_epoch(self, loader):
        loop = self._loop
        model = self.model
        model.train()
        resuming = loop["skip_batches"] > 0
        # the random state at the epoch's start (for a checkpoint taken mid-epoch: a resumed
        # run draws the same shuffle again), kept unencoded: encoding it costs more than a step
        if resuming:
            default_generator._restore(loop["epoch_rng"])
        else:
            loop["epoch_rng"] = default_generator._snapshot()
            self._train_accumulator.reset()
        loop["epoch_start"] = time.perf_counter()
        n_batches = len(loader) if hasattr(loader, "__len__") else None
        self.num_training_batches = n_batches
        self._call("on_train_epoch_start")
        iterator = iter(loader)
        first = loop["skip_batches"]
        if resuming:
            for _ in range(first):
                next(iterator)
            set_rng_state(loop.pop("resume_rng"))
        loop["skip_batches"] = 0
        loop["mid_epoch"] = True
        accumulate = self.accumulate_grad_batches
        call = self._call  # (a local: this loop runs every batch)
        update_epoch_sums = self._train_accumulator.update
        step_start = time.perf_counter()
        for batch_idx, batch in enumerate(iterator, start=first):
            self.batch_idx = batch_idx
            loop["in_batch"] = True
            call("on_train_batch_start", batch, batch_idx)
            inputs, target = split_batch(batch)
            output = model(inputs)
            loss = self.loss_fn(output, target)
            call("on_before_backward", loss)
            if self.should_stop:
                return
            (loss / accumulate if accumulate > 1 else loss).backward()
            call("on_after_backward")
            loss_value = loss.item()
            update_epoch_sums(output, target, loss_value)
            window_done = (batch_idx + 1) % accumulate == 0 or batch_idx + 1 == n_batches
            if window_done:
                if not self._optimizer_step(loss_value, step_start):
                    return
                loop["batches_done"] = batch_idx + 1
                step_start = time.perf_counter()
            call("on_train_batch_end", {"loss": loss_value, "output": output}, batch, batch_idx)
            loop["in_batch"] = False
            if window_done and self._interrupt_requested:
                self.should_stop = True
            if self.should_stop or (window_done and self._step_limit_reached()):
                return
        loop["mid_epoch"] = False

    def _optimizer_step(self, loss_value, step_start):
        """Clip, step, zero the gradients and record the step; False if a callback stopped it."""
        optimizer = self.optimizer
        squares = None
        if (self.global_step + 1) % self.log_every_n_steps == 0:
            squares = self._squared_gradient_norms()
            self.last_grad_norm = math.sqrt(sum(squares))
        else:
            self.last_grad_norm = None
        self._call("on_before_optimizer_step", optimizer)
        if self.should_stop:
            return False
        if self.gradient_clip_val is not None:
            self._clip_gradients()
        optimizer.step()
        self._call("on_before_zero_grad", optimizer)
        optimizer.zero_grad()
        self.global_step += 1
        row = {"epoch": self.current_epoch, "step": self.global_step, "train_loss": loss_value,
               "lr": optimizer.param_groups[0]["lr"]}
        if squares is not None:
            row.update(zip(self._norm_keys, map(math.sqrt, squares)))
        extra = self._loop.pop("step_extra", None)
        if extra:
            row.update(extra)
        row["time"] = time.perf_counter() - step_start
        self.history.log_step(row)
        self._step_scheduler("step")
        return True

    def gradient_norms(self):
        """The L2 norm of each layer's gradients, ``{"grad_norm/<layer>": norm}``; the norm of
        all of them together is kept as ``last_grad_norm``."""
        squares = self._squared_gradient_norms()
        self.last_grad_norm = math.sqrt(sum(squares))
        return dict(zip(self._norm_keys, map(math.sqrt, squares)))

    def _squared_gradient_norms(self):
        """Each layer's sum of squared gradients (a list in ``_norm_keys`` order): one ``np.vdot``
        per parameter on its gradient's array (no Tensor ops, no copy of a contiguous gradient;
        the same BLAS dot, so the same value, as ``np.dot`` on the flattened array), added up
        as Python floats (float64) across the layer's parameters."""
        squares = []
        for params in self._norm_params:
            arrays = [p._grad._data for p in params if p._grad is not None]
            squares.append(sum(map(float, map(_vdot, arrays, arrays)), 0.0))
        return squares

    def _clip_gradients(self):
        from ..nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_

        params = self.model.parameters()
        if self.gradient_clip_algorithm == "norm":
            clip_grad_norm_(params, self.gradient_clip_val)
        else:
            clip_grad_value_(params, self.gradient_clip_val)

    def _end_epoch(self, val_loader):
        """Epoch metrics (training, then validation) as one History row."""
        self._loop["mid_epoch"] = False
        row = {"epoch": self.current_epoch, "step": self.global_step}
        row.update(self._train_accumulator.compute("train"))
        if val_loader is not None:
            self._call("on_validation_epoch_start")
            row.update(self._evaluate(val_loader, self._val_accumulator, "val"))
        row["lr"] = self.optimizer.param_groups[0]["lr"]
        row.update(self._loop.pop("epoch_extra", {}))
        row["time"] = time.perf_counter() - self._loop["epoch_start"]
        self.callback_metrics.update(row)
        return row

    def _evaluate(self, loader, accumulator, prefix, hook="on_validation_batch_end"):
        model = self.model
        was_training = model.training
        model.eval()
        accumulator.reset()
        with no_grad():
            for batch_idx, batch in enumerate(loader):
                inputs, target = split_batch(batch)
                output = model(inputs)
                loss_value = self.loss_fn(output, target).item() if self.loss_fn else None
                accumulator.update(output, target, loss_value)
                self._call(hook, {"loss": loss_value, "output": output}, batch, batch_idx)
        model.train(was_training)
        return accumulator.compute(prefix)

    def _evaluate_standalone(self, model, loader, loss_fn, metrics, prefix):
        self.model = model
        self.loss_fn = loss_fn if loss_fn is not None else self.loss_fn
        metrics = metrics if metrics is not None else getattr(self, "_metric_specs", None)
        accumulator = EpochAccumulator(metrics)
        hook = "on_validation_epoch" if prefix == "val" else "on_test_epoch"
        self._call(f"{hook}_start")
        results = self._evaluate(loader, accumulator, prefix, hook="on_validation_batch_end")
        self.callback_metrics.update(results)
        self._call(f"{hook}_end")
        return results

    def _step_scheduler(self, interval):
        config = self._scheduler_config
        if config is None or config["interval"] != interval:
            return
        scheduler = config["scheduler"]
        if type(scheduler).__name__ == "ReduceLROnPlateau":
            monitor = config["monitor"] or ("val_loss" if "val_loss" in self.callback_metrics
                                            else "train_loss")
            scheduler.step(self.callback_metrics[monitor])
        else:
            scheduler.step()

    def _step_limit_reached(self):
        return 0 <= self.max_steps <= self.global_step

    # ------------------------------------------------------------------ setup and state
    def _setup(self, model, loss_fn, optimizer, scheduler, metrics):
        if optimizer is None:
            from ..optim import Adam

            optimizer = Adam(model.parameters(), lr=1e-3)
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self._scheduler_config = _scheduler_config(scheduler)
        self.scheduler = None if scheduler is None else self._scheduler_config["scheduler"]
        self._metric_specs = metrics
        self._train_accumulator = EpochAccumulator(metrics)
        self._val_accumulator = EpochAccumulator(metrics)
        # each layer's History column and parameters, built once (not a new string per step)
        groups = layer_groups(model)
        self._norm_keys = [f"grad_norm/{layer}" for layer, _ in groups]
        self._norm_params = [params for _, params in groups]
        self._interrupt_requested = False
        self.should_stop = False
        self.stop_reason = None

    def _checkpoint_state(self):
        state = checkpoint_state(self)
        self._call("on_save_checkpoint", state)
        return state

    def _restore(self, state):
        restore_state(self, state)
        self._call("on_load_checkpoint", state)

    def _call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(self, self.model, *args)

    def __repr__(self):
        return (f"Trainer(max_epochs={self.max_epochs}, callbacks="
                f"{[type(c).__name__ for c in self.callbacks]}, accumulate_grad_batches="
                f"{self.accumulate_grad_batches}, gradient_clip_val={self.gradient_clip_val})")


def _scheduler_config(scheduler):
    if scheduler is None:
        return None
    if isinstance(scheduler, dict):
        if "scheduler" not in scheduler:
            raise ValueError("Trainer: a scheduler dict needs a 'scheduler' key")
        config = {"interval": "epoch", "monitor": None, **scheduler}
    else:
        config = {"scheduler": scheduler, "interval": "epoch", "monitor": None}
    if config["interval"] not in ("epoch", "step"):
        raise ValueError("Trainer: a scheduler's interval must be 'epoch' or 'step', got "
                         f"{config['interval']!r}")
    return config
