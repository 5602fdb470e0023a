"""ModelCheckpoint: save the training state at the end of epochs (best, last, or every one)."""

import math
import os

from .callbacks import Callback, _check_mode, _is_better
from .checkpoint import checkpoint_paths

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Save checkpoints (``.safetensors`` + ``.json``) after each training epoch.

    With ``monitor``, the checkpoint of the best epoch so far is kept (``save_top_k=1``) under
    ``filename`` (default ``epoch={epoch}-step={step}``) and its path is ``best_model_path``;
    ``save_last`` also writes ``last`` every epoch: the file to resume from. Without ``monitor``
    the latest epoch is kept. A checkpoint is only written after a finished epoch whose monitored
    value is finite, so a run that diverges keeps its last good checkpoint.

    Args:
        dirpath: the folder (default ``<run folder>/checkpoints``).
        filename: a format string with ``{epoch}``, ``{step}`` and any metric name.
        monitor: the metric that decides which checkpoint is best (None: the latest is best).
        mode: "min" or "max" for ``monitor``.
        save_last: also save ``last`` after every epoch.
        save_top_k: keep the best k checkpoints (0: none but ``last``; -1: every epoch).
        every_n_epochs: save only every n epochs.

    Example:
        >>> ModelCheckpoint(monitor="val_accuracy", mode="max", save_last=True)
    """

    def __init__(self, dirpath=None, filename=None, monitor=None, mode="min", save_last=None,
                 save_top_k=1, every_n_epochs=1):
        _check_mode("ModelCheckpoint", mode)
        self.dirpath = None if dirpath is None else os.fspath(dirpath)
        self.filename = filename or "epoch={epoch}-step={step}"
        self.monitor = monitor
        self.mode = mode
        self.save_last = save_last
        self.save_top_k = save_top_k
        self.every_n_epochs = max(1, int(every_n_epochs))
        self.best_model_path = None
        self.best_model_score = None
        self.last_model_path = None
        self.kept = []

    def folder(self, trainer):
        if self.dirpath is not None:
            return self.dirpath
        if trainer.default_root_dir is None:
            raise ValueError("ModelCheckpoint needs dirpath= when the Trainer has no "
                             "default_root_dir")
        return os.path.join(trainer.default_root_dir, "checkpoints")

    def on_train_epoch_end(self, trainer, model):
        if (trainer.current_epoch + 1) % self.every_n_epochs:
            return
        metrics = trainer.callback_metrics
        score = None
        if self.monitor is not None:
            if self.monitor not in metrics:
                raise KeyError(f"ModelCheckpoint monitors {self.monitor!r}, which is not a "
                               f"logged metric; available: {', '.join(sorted(metrics))}")
            score = float(metrics[self.monitor])
            if not math.isfinite(score):
                return
        if not all(math.isfinite(value) for key, value in metrics.items()
                   if key.endswith("_loss")):
            return
        folder = self.folder(trainer)
        if self.save_top_k != 0:
            self._save_ranked(trainer, folder, score)
        if self.save_last:
            path = os.path.join(folder, "last")
            trainer.save_checkpoint(path)
            self.last_model_path = path

    def _save_ranked(self, trainer, folder, score):
        """Save this epoch if it is among the best ``save_top_k``; drop the one it displaces."""
        if score is not None and 0 < self.save_top_k <= len(self.kept):
            worst_score = self._ranked()[-1][0]
            if not _is_better(self.mode, score, worst_score, 0.0):
                return
        values = {**trainer.callback_metrics, "epoch": trainer.current_epoch,
                  "step": trainer.global_step}
        name = self.filename.format(**values)
        path = os.path.join(folder, name)
        trainer.save_checkpoint(path)
        self.kept = [item for item in self.kept if item[1] != path] + [(score, path)]
        best = self._ranked()[0]
        self.best_model_score, self.best_model_path = best
        if self.save_top_k > 0:
            ranked = self._ranked()
            for _, old in ranked[self.save_top_k:]:
                for file in checkpoint_paths(old):
                    if os.path.exists(file):
                        os.remove(file)
            self.kept = ranked[:self.save_top_k]

    def _ranked(self):
        """The kept checkpoints, best first (newest first when nothing is monitored)."""
        if self.monitor is None:
            return self.kept[::-1]
        sign = 1.0 if self.mode == "min" else -1.0
        return sorted(self.kept, key=lambda item: sign * item[0])

    def state_dict(self):
        return {"best_model_path": self.best_model_path, "best_model_score": self.best_model_score,
                "last_model_path": self.last_model_path,
                "kept": [list(item) for item in self.kept]}

    def load_state_dict(self, state_dict):
        self.best_model_path = state_dict["best_model_path"]
        self.best_model_score = state_dict["best_model_score"]
        self.last_model_path = state_dict["last_model_path"]
        self.kept = [tuple(item) for item in state_dict["kept"]]

    def __repr__(self):
        return (f"ModelCheckpoint(dirpath={self.dirpath!r}, monitor={self.monitor!r}, "
                f"mode={self.mode!r}, save_last={self.save_last}, save_top_k={self.save_top_k})")
