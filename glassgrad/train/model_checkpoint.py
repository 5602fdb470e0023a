"""ModelCheckpoint: save the training state at the end of epochs (best, last, or every one).

Its own state (what a resumed run needs to go on ranking and removing checkpoints) names the
checkpoints it keeps by their names in its folder, never by paths::

    {"best_model": "epoch=3-step=36", "best_model_score": 0.21, "last_model": "last",
     "kept": [[0.21, "epoch=3-step=36"], [0.25, "epoch=2-step=24"]]}

A resumed run removes the checkpoints that drop out of ``kept``, so a name read back must be a
plain file name (no folder part, ``..`` or NUL) whose files stay inside the folder; anything else
is refused with a CheckpointError naming the field. A state saved before names existed (with
``best_model_path``, ``last_model_path`` and paths in ``kept``) is read by the paths' file names,
so nothing outside the folder is ever named.
"""

import math
import os

from .._schema import Kind, check_document, list_of, optional
from .callbacks import Callback, _check_mode, _is_better
from .checkpoint import CheckpointError, checkpoint_name, is_plain_name, remove_checkpoint
from .run_folder import RunFolder

__all__ = ["ModelCheckpoint"]


def _is_score(value):
    return value is None or isinstance(value, (int, float)) and not isinstance(value, bool)


_NAME = Kind("a checkpoint's plain file name (no folder part, '..' or NUL)", is_plain_name)
_SCORE = Kind("a number or null", _is_score)
_KEPT = list_of(Kind("a pair [score, name] (a name: a plain file name)",
                     lambda item: isinstance(item, list) and len(item) == 2
                     and _is_score(item[0]) and is_plain_name(item[1])))
_STATE = {"best_model": optional(_NAME), "best_model_score": _SCORE,
          "last_model": optional(_NAME), "kept": _KEPT}
# the first format: paths (only their file names are used)
_PATH = Kind("a path", lambda value: isinstance(value, str))
_FIRST_STATE = {"best_model_path": optional(_PATH), "best_model_score": _SCORE,
                "last_model_path": optional(_PATH),
                "kept": list_of(Kind("a pair [score, path]", lambda item: isinstance(item, list)
                                     and len(item) == 2 and _is_score(item[0])
                                     and isinstance(item[1], str)))}


class ModelCheckpoint(Callback):
    """Save checkpoints (see ``glassgrad.train.checkpoint``) after each training epoch.

    With ``monitor``, the checkpoint of the best epoch so far is kept (``save_top_k=1``) under
    ``filename`` (default ``epoch={epoch}-step={step}``) and its path is ``best_model_path``;
    ``save_last`` also writes ``last`` every epoch: the file to resume from. Without ``monitor``
    the latest epoch is kept. A checkpoint is only written after a finished epoch whose monitored
    value is finite, so a run that diverges keeps its last good checkpoint. ``kept`` lists the
    ``(score, name)`` of the checkpoints kept, by name in the folder.

    Args:
        dirpath: the folder (default ``<run folder>/checkpoints``).
        filename: a format string with ``{epoch}``, ``{step}`` and any metric name; a file
            name, without a folder part.
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
        if filename is not None and not is_plain_name(filename):
            raise ValueError(f"ModelCheckpoint: filename must be a file name without a folder "
                             f"part (the folder is dirpath=), got {filename!r}")
        self.dirpath = None if dirpath is None else os.fspath(dirpath)
        self.filename = filename or "epoch={epoch}-step={step}"
        self.monitor = monitor
        self.mode = mode
        self.save_last = save_last
        self.save_top_k = save_top_k
        self.every_n_epochs = max(1, int(every_n_epochs))
        self.best_model_score = None
        self.kept = []
        self._best_model = self._last_model = None
        self._folder = self.dirpath

    @property
    def best_model_path(self):
        """The path of the best checkpoint (None before one is saved)."""
        return self._path(self._best_model)

    @property
    def last_model_path(self):
        """The path of ``last`` (None before it is saved)."""
        return self._path(self._last_model)

    def _path(self, name):
        return None if name is None else os.path.join(self._folder or "", name)

    def folder(self, trainer):
        if self.dirpath is not None:
            return self.dirpath
        if trainer.default_root_dir is None:
            raise ValueError("ModelCheckpoint needs dirpath= when the Trainer has no "
                             "default_root_dir")
        return RunFolder(trainer.default_root_dir).checkpoints

    def on_train_epoch_end(self, trainer, model):
        if (trainer.current_epoch + 1) % self.every_n_epochs:
            return
        score = self._score(trainer.callback_metrics)
        if self.monitor is not None and not math.isfinite(score):
            return
        if not all(math.isfinite(value) for key, value in trainer.callback_metrics.items()
                   if key.endswith("_loss")):
            return
        self._folder = self.folder(trainer)
        if self.save_top_k != 0:
            self._save_ranked(trainer, score)
        if self.save_last:
            trainer.save_checkpoint(os.path.join(self._folder, RunFolder.LAST))
            self._last_model = RunFolder.LAST

    def _score(self, metrics):
        """The monitored value this epoch (None without ``monitor``)."""
        if self.monitor is None:
            return None
        if self.monitor not in metrics:
            raise KeyError(f"ModelCheckpoint monitors {self.monitor!r}, which is not a "
                           f"logged metric; available: {', '.join(sorted(metrics))}")
        return float(metrics[self.monitor])

    def _save_ranked(self, trainer, score):
        """Save this epoch if it is among the best ``save_top_k``; drop the one it displaces."""
        if score is not None and 0 < self.save_top_k <= len(self.kept):
            worst_score = self._ranked()[-1][0]
            if not _is_better(self.mode, score, worst_score, 0.0):
                return
        values = {**trainer.callback_metrics, "epoch": trainer.current_epoch,
                  "step": trainer.global_step}
        name = self.filename.format(**values)
        trainer.save_checkpoint(os.path.join(self._folder, name))
        self.kept = [item for item in self.kept if item[1] != name] + [(score, name)]
        self.best_model_score, self._best_model = self._ranked()[0]
        if self.save_top_k > 0:
            ranked = self._ranked()
            for _, old in ranked[self.save_top_k:]:
                remove_checkpoint(checkpoint_name(self._folder, old, "kept"))
            self.kept = ranked[:self.save_top_k]

    def _ranked(self):
        """The kept checkpoints, best first (newest first when nothing is monitored)."""
        if self.monitor is None:
            return self.kept[::-1]
        sign = 1.0 if self.mode == "min" else -1.0
        return sorted(self.kept, key=lambda item: sign * item[0])

    def state_dict(self):
        return {"best_model": self._best_model, "best_model_score": self.best_model_score,
                "last_model": self._last_model, "kept": [list(item) for item in self.kept]}

    def load_state_dict(self, state_dict):
        """Take back a ``state_dict()`` (or one of the first format, with paths), checking it
        first: the names must be plain file names (CheckpointError naming the field)."""
        where = self._where()
        if isinstance(state_dict, dict) and "best_model_path" in state_dict:
            state_dict = _names_from_paths(state_dict, where)
        check_document(state_dict, _STATE, where, CheckpointError)
        self.best_model_score = state_dict["best_model_score"]
        self._best_model = state_dict["best_model"]
        self._last_model = state_dict["last_model"]
        self.kept = [tuple(item) for item in state_dict["kept"]]

    def on_load_checkpoint(self, trainer, model, checkpoint):
        """The names just loaded must not lead out of the folder (a symlink in it)."""
        named = [("best_model", self._best_model), ("last_model", self._last_model)]
        named += [(f"kept[{i}]", name) for i, (_, name) in enumerate(self.kept)]
        named = [(field, name) for field, name in named if name is not None]
        if named:
            self._folder = self.folder(trainer)
        for field, name in named:
            try:
                checkpoint_name(self._folder, name, field)
            except CheckpointError as error:
                source = getattr(checkpoint, "source", None) or "(in memory)"
                raise CheckpointError(f"checkpoint {source}: {self._where()}: {error}") from None

    def _where(self):
        return f"the {self.state_key} callback's state"

    def __repr__(self):
        return (f"ModelCheckpoint(dirpath={self.dirpath!r}, monitor={self.monitor!r}, "
                f"mode={self.mode!r}, save_last={self.save_last}, save_top_k={self.save_top_k})")


def _names_from_paths(state_dict, where):
    """A first-format state (paths) as names: each path's file name, which is in the folder."""
    check_document(state_dict, _FIRST_STATE, where, CheckpointError)

    def name(path):
        return None if path is None else os.path.basename(path)

    return {"best_model": name(state_dict["best_model_path"]),
            "best_model_score": state_dict["best_model_score"],
            "last_model": name(state_dict["last_model_path"]),
            "kept": [[score, name(path)] for score, path in state_dict["kept"]]}
