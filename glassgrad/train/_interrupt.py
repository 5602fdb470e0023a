"""Ctrl-C during ``fit``: finish the current step, save, and return instead of dying mid-update.

While ``fit`` runs (``with Interrupt(...)``), the first SIGINT only sets ``requested``. As a
callback, called after every other one, ``Interrupt`` turns the request into
``trainer.should_stop`` at the first safe point: the end of a batch that ended with an optimizer
step, or the end of an epoch. At ``on_train_end`` it saves the ``interrupted`` checkpoint of the
run folder. A second Ctrl-C raises KeyboardInterrupt at once, as usual. Outside the main thread
(where signal handlers cannot be installed) nothing is installed and Ctrl-C is never requested.
"""

import signal
import sys
import threading

from .callbacks import Callback
from .run_folder import RunFolder

__all__ = ["Interrupt"]


class Interrupt(Callback):
    """Stop ``fit`` cleanly on Ctrl-C and save a checkpoint to resume from.

    After an interrupted fit, ``trainer.interrupted`` is True, ``trainer.stop_reason`` says so
    and ``trainer.interrupt_checkpoint_path`` is the checkpoint (None without a run folder).
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\nInterrupted: finishing the current step and saving a checkpoint "
              "(press Ctrl-C again to abort at once)", file=sys.stderr)

    def __enter__(self):
        self.requested = False
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False

    def on_train_batch_end(self, trainer, model, outputs, batch, batch_idx):
        if self.requested and trainer.loop_state.stepped:
            trainer.should_stop = trainer.interrupted = True

    def on_train_epoch_end(self, trainer, model):
        if self.requested:
            trainer.should_stop = trainer.interrupted = True

    def on_train_end(self, trainer, model):
        """Save the state at the last finished step, if there is a run folder."""
        if not self.requested:
            return
        trainer.interrupted = True
        trainer.stop_reason = "interrupted (Ctrl-C)"
        trainer.interrupt_checkpoint_path = None
        if trainer.default_root_dir is not None:
            path = RunFolder(trainer.default_root_dir).checkpoint(RunFolder.INTERRUPTED)
            trainer.save_checkpoint(path)
            trainer.interrupt_checkpoint_path = path
