"""CallbackList: the callbacks of one run, called hook by hook, in order.

The hooks and their arguments are Lightning 2.x's. In ``Trainer.fit`` they come in this order:

    setup("fit")
    on_fit_start
      on_train_start
        on_train_epoch_start
          on_train_batch_start(batch, batch_idx)
            on_before_backward(loss) -> on_after_backward
            on_before_optimizer_step(optimizer) -> on_before_zero_grad(optimizer)
          on_train_batch_end(outputs, batch, batch_idx)
          ... every batch of the epoch ...
          on_validation_epoch_start                    (with validation data)
            on_validation_batch_start(batch, batch_idx)
            on_validation_batch_end(outputs, batch, batch_idx)
          on_validation_epoch_end
        on_train_epoch_end
        ... every epoch ...
      on_train_end
    on_fit_end                                          (on_exception if the loop raised)
    teardown("fit")

``Trainer.validate`` calls the validation epoch and batch hooks above; ``Trainer.test`` calls
``on_test_epoch_start``, ``on_test_batch_start(batch, batch_idx)``, ``on_test_batch_end(outputs,
batch, batch_idx)`` and ``on_test_epoch_end``; ``Trainer.predict`` the same with ``predict``.
Every hook receives ``(trainer, model, ...)``; ``outputs`` is ``{"loss": float, "output": Tensor}``
(in predict, the output Tensor). Within a hook, callbacks are called in the order of the list.

Example:
    >>> hooks = CallbackList([EarlyStopping("val_loss")], trainer)
    >>> hooks.call("on_train_epoch_end")
"""

from .callbacks import Callback

__all__ = ["CallbackList"]


class CallbackList:
    """Calls a hook on every callback of a list that implements it, in the list's order.

    A callback whose hook is ``Callback``'s own (which does nothing) is not called, so a hook
    that no callback implements costs one lookup per call. Which callbacks implement which
    hook is looked up on the first call of each hook: build a new CallbackList after changing
    a callback's methods.

    Args:
        callbacks: Callback objects, in the order their hooks run.
        trainer: the Trainer passed to every hook (with ``trainer.model``).

    Example:
        >>> CallbackList([ProgressBar()], trainer).call("on_train_epoch_start")
    """

    def __init__(self, callbacks, trainer):
        self.callbacks = list(callbacks)
        self.trainer = trainer
        self._methods = {}

    def methods(self, hook):
        """The bound ``hook`` methods of the callbacks that implement it, in order."""
        methods = self._methods.get(hook)
        if methods is None:
            base = getattr(Callback, hook)
            methods = [getattr(callback, hook) for callback in self.callbacks]
            methods = [method for method in methods
                       if getattr(method, "__func__", None) is not base]
            self._methods[hook] = methods
        return methods

    def call(self, hook, *args):
        """Call ``hook(trainer, trainer.model, *args)`` on each callback that implements it."""
        trainer = self.trainer
        for method in self._methods.get(hook) or self.methods(hook):
            method(trainer, trainer.model, *args)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def __repr__(self):
        return f"CallbackList({[type(c).__name__ for c in self.callbacks]})"
