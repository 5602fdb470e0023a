"""Ctrl-C during ``fit``: finish the current step, save, and return instead of dying mid-update.

While the guard is active, the first SIGINT only sets ``trainer._interrupt_requested``; the loop
checks it after each optimizer step, stops there, and the Trainer saves an ``interrupted``
checkpoint. A second Ctrl-C raises KeyboardInterrupt at once, as usual. Outside the main thread
(where signal handlers cannot be installed) the guard does nothing.
"""

import signal
import sys
import threading


class InterruptGuard:
    def __init__(self, trainer):
        self.trainer = trainer
        self.previous = None

    def _handle(self, signum, frame):
        if self.trainer._interrupt_requested:
            raise KeyboardInterrupt
        self.trainer._interrupt_requested = True
        print("\nInterrupted: finishing the current step and saving a checkpoint "
              "(press Ctrl-C again to abort at once)", file=sys.stderr)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None
        return False
