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

Everything else is a callback (``CallbackList`` gives the order of the hooks): ``History``
records every step and epoch (``GradientNorms``, ``HistoryRecorder``); with ``default_root_dir``
set, the run folder gets ``metrics.csv`` (``CSVLogger``) and ``checkpoints/``
(``ModelCheckpoint``). Ctrl-C finishes the current step, saves a checkpoint, and returns
(``Interrupt``); ``fit(..., ckpt_path=...)`` resumes bit for bit. Where the loop is inside an
epoch is a ``LoopState`` (``trainer.loop_state``).

Example:
    >>> trainer = Trainer(max_epochs=20, callbacks=[EarlyStopping("val_loss", patience=3)])
    >>> history = trainer.fit(model, train_loader, val_loader, loss_fn=nn.CrossEntropyLoss(),
    ...                       optimizer=optim.Adam(model.parameters(), lr=1e-3),
    ...                       metrics=["accuracy"])
    >>> trainer.test(model, test_loader)
    {'test_loss': 0.11, 'test_accuracy': 0.97}
"""

import os
import time

from ..autograd.grad_mode import no_grad
from ..ops.join import cat
from ._interrupt import Interrupt
from ._loop_state import EpochAccumulator, LoopState, split_batch
from ._schedulers import scheduler_config
from ._trainer_state import checkpoint_state, restore_state
from .callback_list import CallbackList
from .callbacks import Callback
from .checkpoint import load_checkpoint, save_checkpoint
from .history import History
from .loggers import CSVLogger
from .model_checkpoint import ModelCheckpoint
from .progress import ProgressBar
from .recorders import GradientNorms, HistoryRecorder

__all__ = ["Trainer"]


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
        self.loop_state = self.interrupt_checkpoint_path = None   # (loop_state: a LoopState)
        # the callbacks every fit has, around the given ones (not saved in checkpoints)
        self._gradient_norms = GradientNorms(self.log_every_n_steps)
        self._recorders = [self._gradient_norms, HistoryRecorder(self._gradient_norms)]
        self._interrupt = Interrupt()
        self._hooks = None
        self._update_hooks()

    # ------------------------------------------------------------------ public loops
    def fit(self, model, train_loader, val_loader=None, *, loss_fn=None, optimizer=None,
            scheduler=None, metrics=None, ckpt_path=None):
        """Train ``model``; returns the History (also ``trainer.history``).

        Args:
            model: a Module; its ``forward`` takes the batch's inputs.
            train_loader, val_loader: iterables of ``(inputs, target)`` batches (DataLoaders).
            loss_fn: ``loss_fn(output, target)`` -> scalar Tensor (e.g. nn.CrossEntropyLoss()).
            optimizer: default Adam(model.parameters(), lr=1e-3).
            scheduler: an lr scheduler, stepped once per epoch (a ReduceLROnPlateau is given
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
        if ckpt_path is not None:
            self._restore(load_checkpoint(ckpt_path))
        self._call("setup", "fit")
        try:
            with self._interrupt:
                self._call("on_fit_start")
                self._call("on_train_start")
                self._run_epochs(train_loader, val_loader)
                self._call("on_train_end")
        except BaseException as error:
            self._call("on_exception", error)
            raise
        self._call("on_fit_end")
        self._call("teardown", "fit")
        return self.history

    def validate(self, model, loader, *, loss_fn=None, metrics=None):
        """Evaluate ``model`` on ``loader``; returns ``{"val_loss": ..., "val_<metric>": ...}``."""
        return self._evaluate_standalone(model, loader, loss_fn, metrics, "validation")

    def test(self, model, loader, *, loss_fn=None, metrics=None):
        """Evaluate on a test set; returns ``{"test_loss": ..., "test_<metric>": ...}``."""
        return self._evaluate_standalone(model, loader, loss_fn, metrics, "test")

    def predict(self, model, loader):
        """The model's outputs for every batch of ``loader``, concatenated (eval mode, no_grad)."""
        self.model = model
        self._update_hooks()
        self._call("on_predict_epoch_start")
        was_training = model.training
        model.eval()
        outputs = []
        with no_grad():
            for batch_idx, batch in enumerate(loader):
                self._call("on_predict_batch_start", batch, batch_idx)
                inputs, _ = split_batch(batch, need_target=False)
                outputs.append(model(inputs))
                self._call("on_predict_batch_end", outputs[-1], batch, batch_idx)
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
        state = self.loop_state
        if state is not None:
            (state.step_extra if state.in_batch else state.epoch_extra)[name] = value

    def save_checkpoint(self, path):
        """Write the whole training state to ``path``: a manifest ``path.json`` naming one
        generation's ``.safetensors`` + ``.json`` (see ``checkpoint.py``); returns their paths."""
        return save_checkpoint(path, self._checkpoint_state())

    def gradient_norms(self):
        """The L2 norm of each layer's gradients, ``{"grad_norm/<layer>": norm}``; the norm of
        all of them together is kept as ``last_grad_norm``."""
        return self._gradient_norms.norms(self)

    @property
    def run_dir(self):
        return self.default_root_dir

    # ------------------------------------------------------------------ the loop
    def _run_epochs(self, train_loader, val_loader):
        while self.current_epoch < self.max_epochs and not self._step_limit_reached():
            self._train_epoch(train_loader)
            if self.should_stop and self.loop_state.mid_epoch:
                return
            self._end_epoch(val_loader)
            self.current_epoch += 1
            if self._stops_after_epoch():
                return

    def _train_epoch(self, loader):
        state = self.loop_state
        self.model.train()
        state.start_epoch(self._train_accumulator)
        state.epoch_start = time.perf_counter()
        self.num_training_batches = len(loader) if hasattr(loader, "__len__") else None
        self._call("on_train_epoch_start")
        for batch_idx, batch in state.batches(loader):
            self.batch_idx = batch_idx
            if not self._train_batch(batch, batch_idx):
                return
        state.mid_epoch = False

    def _train_batch(self, batch, batch_idx):
        """One batch: forward, backward, and (at the end of an accumulation window) the step;
        False when training stops here (a callback, Ctrl-C or ``max_steps``)."""
        state, call = self.loop_state, self._hooks.call
        state.in_batch = True
        call("on_train_batch_start", batch, batch_idx)
        inputs, target = split_batch(batch)
        output = self.model(inputs)
        loss = self.loss_fn(output, target)
        call("on_before_backward", loss)
        if self.should_stop:
            return False
        accumulate = self.accumulate_grad_batches
        (loss / accumulate if accumulate > 1 else loss).backward()
        call("on_after_backward")
        loss_value = loss.item()
        self._train_accumulator.update(output, target, loss_value)
        state.stepped = ((batch_idx + 1) % accumulate == 0
                         or batch_idx + 1 == self.num_training_batches)
        if state.stepped:
            if not self._optimizer_step():
                return False
            state.batches_done = batch_idx + 1
        call("on_train_batch_end", {"loss": loss_value, "output": output}, batch, batch_idx)
        state.in_batch = False
        return not (self.should_stop or (state.stepped and self._step_limit_reached()))

    def _optimizer_step(self):
        """Clip, step, zero the gradients, step a per-step scheduler; False if stopped first."""
        optimizer = self.optimizer
        self._call("on_before_optimizer_step", optimizer)
        if self.should_stop:
            return False
        if self.gradient_clip_val is not None:
            self._clip_gradients()
        optimizer.step()
        self._call("on_before_zero_grad", optimizer)
        optimizer.zero_grad()
        self.global_step += 1
        self._step_scheduler("step")
        return True

    def _clip_gradients(self):
        from ..nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_

        clip = clip_grad_norm_ if self.gradient_clip_algorithm == "norm" else clip_grad_value_
        clip(self.model.parameters(), self.gradient_clip_val)

    def _end_epoch(self, val_loader):
        """Epoch metrics (training, then validation), the epoch scheduler, the end hooks."""
        state = self.loop_state
        state.mid_epoch = False
        row = {"epoch": self.current_epoch, "step": self.global_step}
        row.update(self._train_accumulator.compute("train"))
        if val_loader is not None:
            self._call("on_validation_epoch_start")
            row.update(self._evaluate(val_loader, self._val_accumulator, "val", "validation"))
        row["lr"] = self.optimizer.param_groups[0]["lr"]
        row.update(state.epoch_extra)
        state.epoch_extra = {}
        row["time"] = time.perf_counter() - state.epoch_start
        self.callback_metrics.update(row)
        state.epoch_metrics = row   # (HistoryRecorder logs it at the first end hook)
        self._step_scheduler("epoch")
        state.epoch_done = True
        if val_loader is not None:
            self._call("on_validation_epoch_end")
        self._call("on_train_epoch_end")
        state.epoch_done = False

    def _stops_after_epoch(self):
        """Whether ``fit`` ends after the epoch just finished: Ctrl-C, or a callback's stop once
        ``min_epochs`` are done (before that, the stop is ignored)."""
        if self.should_stop and (self.interrupted or self.current_epoch >= self.min_epochs):
            return True
        self.should_stop = False
        return False

    def _evaluate(self, loader, accumulator, prefix, stage):
        """Loss and metrics of ``model`` over ``loader``, calling the ``stage`` batch hooks."""
        model = self.model
        was_training = model.training
        model.eval()
        accumulator.reset()
        batch_start, batch_end = f"on_{stage}_batch_start", f"on_{stage}_batch_end"
        with no_grad():
            for batch_idx, batch in enumerate(loader):
                self._call(batch_start, batch, batch_idx)
                inputs, target = split_batch(batch)
                output = model(inputs)
                loss_value = self.loss_fn(output, target).item() if self.loss_fn else None
                accumulator.update(output, target, loss_value)
                self._call(batch_end, {"loss": loss_value, "output": output}, batch, batch_idx)
        model.train(was_training)
        return accumulator.compute(prefix)

    def _evaluate_standalone(self, model, loader, loss_fn, metrics, stage):
        self.model = model
        self.loss_fn = loss_fn if loss_fn is not None else self.loss_fn
        metrics = metrics if metrics is not None else getattr(self, "_metric_specs", None)
        self._update_hooks()
        self._call(f"on_{stage}_epoch_start")
        prefix = "val" if stage == "validation" else stage
        results = self._evaluate(loader, EpochAccumulator(metrics), prefix, stage)
        self.callback_metrics.update(results)
        self._call(f"on_{stage}_epoch_end")
        return results

    def _step_scheduler(self, interval):
        config = self._scheduler_config
        if config is not None and config.interval == interval:
            config.step(self.callback_metrics)

    def _step_limit_reached(self):
        return 0 <= self.max_steps <= self.global_step

    # ------------------------------------------------------------------ setup and state
    def _setup(self, model, loss_fn, optimizer, scheduler, metrics):
        if optimizer is None:
            from ..optim import Adam

            optimizer = Adam(model.parameters(), lr=1e-3)
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self._scheduler_config = scheduler_config(scheduler)
        self.scheduler = None if scheduler is None else self._scheduler_config.scheduler
        self._metric_specs = metrics
        self._train_accumulator = EpochAccumulator(metrics)
        self._val_accumulator = EpochAccumulator(metrics)
        self.loop_state = LoopState()
        self.should_stop = self.interrupted = False
        self.stop_reason = None
        self._update_hooks()

    def _checkpoint_state(self):
        state = checkpoint_state(self)
        self._call("on_save_checkpoint", state)
        return state

    def _restore(self, state):
        restore_state(self, state)
        self._call("on_load_checkpoint", state)

    def _update_hooks(self):
        """The recorders, ``callbacks`` and ``Interrupt`` (last), as a CallbackList."""
        hooks = [*self._recorders, *self.callbacks, self._interrupt]
        if self._hooks is None or self._hooks.callbacks != hooks:
            self._hooks = CallbackList(hooks, self)

    def _call(self, hook, *args):
        self._hooks.call(hook, *args)

    def __repr__(self):
        return (f"Trainer(max_epochs={self.max_epochs}, callbacks="
                f"{[type(c).__name__ for c in self.callbacks]}, accumulate_grad_batches="
                f"{self.accumulate_grad_batches}, gradient_clip_val={self.gradient_clip_val})")
