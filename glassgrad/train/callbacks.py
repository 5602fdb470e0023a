"""Callbacks: everything optional in training, hooked into the Trainer's loop by name.

The Trainer calls each hook on every callback, in the order the callbacks were given (through a
``CallbackList``, whose docstring lists every hook in the order Lightning calls it):

    on_fit_start -> on_train_start -> on_train_epoch_start
      -> on_train_batch_start -> ... -> on_train_batch_end     (each batch)
      -> on_validation_epoch_start -> on_validation_batch_start -> on_validation_batch_end
      -> on_validation_epoch_end -> on_train_epoch_end         (each epoch)
    -> on_train_end -> on_fit_end                              (on_exception if the loop raised)

Every hook receives ``(trainer, model, ...)``. A callback stops training by setting
``trainer.should_stop = True``; set in ``on_before_backward`` or ``on_before_optimizer_step``,
it also prevents that step's update (this is how ``TerminateOnNaN`` keeps the weights finite).
A callback with state worth resuming returns it from ``state_dict`` (numbers, strings, lists,
dicts and tensors).
``trainer.current_epoch`` and ``batch_idx`` count from 0, as in Lightning; messages meant for
people count epochs, steps and batches from 1.
"""

import math

__all__ = ["Callback", "EarlyStopping", "LearningRateMonitor", "TerminateOnNaN"]


class Callback:
    """Base class: override the hooks you need; every hook does nothing by default."""

    def setup(self, trainer, model, stage):
        """Called at the start of fit, validate, test or predict (``stage`` names which)."""

    def teardown(self, trainer, model, stage):
        """Called at the end of fit, validate, test or predict."""

    def on_fit_start(self, trainer, model):
        pass

    def on_fit_end(self, trainer, model):
        pass

    def on_train_start(self, trainer, model):
        pass

    def on_train_end(self, trainer, model):
        pass

    def on_train_epoch_start(self, trainer, model):
        pass

    def on_train_epoch_end(self, trainer, model):
        pass

    def on_train_batch_start(self, trainer, model, batch, batch_idx):
        pass

    def on_train_batch_end(self, trainer, model, outputs, batch, batch_idx):
        pass

    def on_before_backward(self, trainer, model, loss):
        pass

    def on_after_backward(self, trainer, model):
        pass

    def on_before_optimizer_step(self, trainer, model, optimizer):
        pass

    def on_before_zero_grad(self, trainer, model, optimizer):
        pass

    def on_validation_epoch_start(self, trainer, model):
        pass

    def on_validation_epoch_end(self, trainer, model):
        pass

    def on_validation_batch_start(self, trainer, model, batch, batch_idx):
        pass

    def on_validation_batch_end(self, trainer, model, outputs, batch, batch_idx):
        pass

    def on_test_epoch_start(self, trainer, model):
        pass

    def on_test_epoch_end(self, trainer, model):
        pass

    def on_test_batch_start(self, trainer, model, batch, batch_idx):
        pass

    def on_test_batch_end(self, trainer, model, outputs, batch, batch_idx):
        pass

    def on_predict_epoch_start(self, trainer, model):
        pass

    def on_predict_epoch_end(self, trainer, model):
        pass

    def on_predict_batch_start(self, trainer, model, batch, batch_idx):
        pass

    def on_predict_batch_end(self, trainer, model, outputs, batch, batch_idx):
        pass

    def on_exception(self, trainer, model, exception):
        pass

    def on_save_checkpoint(self, trainer, model, checkpoint):
        pass

    def on_load_checkpoint(self, trainer, model, checkpoint):
        pass

    def state_dict(self):
        """What to save in a checkpoint so that a resumed run behaves as an uninterrupted one."""
        return {}

    def load_state_dict(self, state_dict):
        pass

    @property
    def state_key(self):
        """The key of this callback's state in a checkpoint."""
        return type(self).__name__

    def __repr__(self):
        return f"{type(self).__name__}()"


def _is_better(mode, value, best, min_delta):
    """Whether ``value`` improves on ``best`` by more than ``min_delta`` in direction ``mode``."""
    if mode == "min":
        return value < best - min_delta
    return value > best + min_delta


def _optional_int(value):
    return None if value is None else int(value)


def _check_mode(owner, mode):
    if mode not in ("min", "max"):
        raise ValueError(f"{owner}: mode must be 'min' or 'max', got {mode!r}")


class EarlyStopping(Callback):
    """Stop training when a monitored metric has stopped improving.

    After each validation (or each training epoch when there is no validation data), the metric
    ``m`` counts as improved when ``m < best - min_delta`` (mode "min") or ``m > best + min_delta``
    (mode "max"). After ``patience`` epochs in a row without improvement, training stops.

    Args:
        monitor: the metric's name in ``trainer.callback_metrics`` (e.g. "val_loss",
            "val_accuracy", "train_loss").
        min_delta: the smallest change that counts as an improvement.
        patience: how many epochs without improvement to allow.
        mode: "min" (lower is better) or "max".
        restore_best_weights: at the end of training, load the weights of the best epoch back
            into the model (as Keras does).
        check_finite: stop at once when the metric becomes NaN or infinite.
        verbose: print a line when training stops.

    Example:
        >>> trainer = Trainer(callbacks=[EarlyStopping("val_loss", patience=5)])
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=3, mode="min",
                 restore_best_weights=False, check_finite=True, verbose=False):
        _check_mode("EarlyStopping", mode)
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.mode = mode
        self.restore_best_weights = restore_best_weights
        self.check_finite = check_finite
        self.verbose = verbose
        self.wait_count = 0
        self.stopped_epoch = None
        self.best_score = math.inf if mode == "min" else -math.inf
        self.best_epoch = None
        self.best_weights = None

    def on_train_epoch_end(self, trainer, model):
        metrics = trainer.callback_metrics
        if self.monitor not in metrics:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, which is not a logged "
                           f"metric; available: {', '.join(sorted(metrics)) or 'none'}")
        value = float(metrics[self.monitor])
        if self.check_finite and not math.isfinite(value):
            self._stop(trainer, f"{self.monitor} = {value} is not finite")
            return
        if _is_better(self.mode, value, self.best_score, self.min_delta):
            self.best_score = value
            self.best_epoch = trainer.current_epoch
            self.wait_count = 0
            if self.restore_best_weights:
                self.best_weights = {k: v.clone() for k, v in model.state_dict().items()}
            return
        self.wait_count += 1
        if self.wait_count >= self.patience:
            self._stop(trainer, f"{self.monitor} did not improve for {self.wait_count} epochs "
                                f"(best {self.best_score:.6g} in epoch {self.best_epoch + 1})")

    def _stop(self, trainer, reason):
        trainer.should_stop = True
        trainer.stop_reason = f"early stopping: {reason}"
        self.stopped_epoch = trainer.current_epoch
        if self.verbose:
            print(f"EarlyStopping: {reason}; stopping after epoch {trainer.current_epoch + 1}")

    def on_fit_end(self, trainer, model):
        if self.restore_best_weights and self.best_weights is not None:
            model.load_state_dict(self.best_weights)

    def state_dict(self):
        """The counters, the best score and epoch, and (with ``restore_best_weights``) the best
        epoch's weights: a resumed run must end with the same weights as an uninterrupted one."""
        return {"wait_count": self.wait_count, "best_score": self.best_score,
                "best_epoch": self.best_epoch, "stopped_epoch": self.stopped_epoch,
                "best_weights": self.best_weights}

    def load_state_dict(self, state_dict):
        self.wait_count = int(state_dict["wait_count"])
        self.best_score = float(state_dict["best_score"])
        self.best_epoch = _optional_int(state_dict["best_epoch"])
        self.stopped_epoch = _optional_int(state_dict["stopped_epoch"])
        best_weights = state_dict.get("best_weights")
        if best_weights is not None:
            best_weights = {name: value.clone() for name, value in best_weights.items()}
        self.best_weights = best_weights

    def on_load_checkpoint(self, trainer, model, checkpoint):
        """Refuse best weights that do not fit the model (a checkpoint from elsewhere)."""
        if self.best_weights is None:
            return
        from .checkpoint import CheckpointError

        expected = {name: tuple(value.shape) for name, value in model.state_dict().items()}
        found = {name: tuple(getattr(value, "shape", ())) for name, value in
                 self.best_weights.items()}
        if found != expected:
            raise CheckpointError("checkpoint: field 'callbacks.EarlyStopping.best_weights' does "
                                  "not fit the model (other names or shapes)")

    def __repr__(self):
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"mode={self.mode!r}, min_delta={self.min_delta})")


class LearningRateMonitor(Callback):
    """Log each parameter group's learning rate (and momentum) as a metric.

    The values appear in ``trainer.callback_metrics``, in the History rows and so in
    ``metrics.csv``, under ``lr-<Optimizer>`` (``lr-<Optimizer>/pg<i>`` with several groups), as
    Lightning names them. ``self.lrs`` keeps every logged value.

    Args:
        logging_interval: "epoch", "step", or None for both.
        log_momentum: also log ``momentum`` (or Adam's beta1) as ``momentum-<Optimizer>``.
    """

    def __init__(self, logging_interval=None, log_momentum=False):
        if logging_interval not in (None, "step", "epoch"):
            raise ValueError("LearningRateMonitor: logging_interval must be None, 'step' or "
                             f"'epoch', got {logging_interval!r}")
        self.logging_interval = logging_interval
        self.log_momentum = log_momentum
        self.lrs = {}

    def _log(self, trainer):
        optimizer = trainer.optimizer
        name = type(optimizer).__name__
        groups = optimizer.param_groups
        for i, group in enumerate(groups):
            suffix = f"/pg{i + 1}" if len(groups) > 1 else ""
            trainer.log(f"lr-{name}{suffix}", group["lr"])
            self.lrs.setdefault(f"lr-{name}{suffix}", []).append(group["lr"])
            if self.log_momentum:
                momentum = group.get("momentum", group.get("betas", (None,))[0])
                if momentum is not None:
                    trainer.log(f"momentum-{name}{suffix}", momentum)

    def on_train_batch_start(self, trainer, model, batch, batch_idx):
        if self.logging_interval in (None, "step"):
            self._log(trainer)

    def on_train_epoch_start(self, trainer, model):
        if self.logging_interval in (None, "epoch"):
            self._log(trainer)


class TerminateOnNaN(Callback):
    """Stop as soon as the loss or a gradient stops being a finite number.

    The check runs before the update, so the weights (and the last checkpoint) stay those of the
    last good step; ``trainer.stop_reason`` names the epoch, step and batch where it happened.
    """

    def on_before_backward(self, trainer, model, loss):
        value = float(loss.detach()._data.sum())
        if not math.isfinite(value):
            self._stop(trainer, f"the loss became {value}")

    def on_before_optimizer_step(self, trainer, model, optimizer):
        if trainer.last_grad_norm is None:
            trainer.gradient_norms()
        norm = trainer.last_grad_norm
        if not math.isfinite(norm):
            self._stop(trainer, f"the gradient norm became {norm}")

    @staticmethod
    def _stop(trainer, what):
        trainer.should_stop = True
        where = (f"in epoch {trainer.current_epoch + 1}, at step {trainer.global_step + 1} "
                 f"(batch {trainer.batch_idx + 1})")
        trainer.stop_reason = (f"{what} {where}; stopped before the update, so the weights are "
                               "those of the last good step")
