"""Loggers: where the History goes besides memory.

``CSVLogger`` rewrites ``<run folder>/metrics.csv`` at the end of every epoch and of the fit, so
the file is complete even if the run is stopped; the Trainer adds one whenever it has a run
folder (``default_root_dir``).
"""

import os

from .callbacks import Callback
from .run_folder import METRICS

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Write ``trainer.history`` to ``metrics.csv`` (in ``save_dir``, default the run folder)."""

    def __init__(self, save_dir=None, filename=METRICS):
        self.save_dir = save_dir
        self.filename = filename

    def path(self, trainer):
        folder = self.save_dir or trainer.default_root_dir
        return None if folder is None else os.path.join(folder, self.filename)

    def _write(self, trainer):
        path = self.path(trainer)
        if path is not None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            trainer.history.to_csv(path)

    def on_train_epoch_end(self, trainer, model):
        self._write(trainer)

    def on_fit_end(self, trainer, model):
        self._write(trainer)

    def __repr__(self):
        return f"CSVLogger(save_dir={self.save_dir!r}, filename={self.filename!r})"
