"""glassgrad.train: the training loop (Trainer), its callbacks, metrics, History and checkpoints.

    from glassgrad.train import Trainer, EarlyStopping
    trainer = Trainer(max_epochs=50, callbacks=[EarlyStopping("val_loss", patience=5)])
    history = trainer.fit(model, train_loader, val_loader, loss_fn=nn.CrossEntropyLoss(),
                          metrics=["accuracy"])

Not imported by ``import glassgrad``; ``glassgrad.train`` loads it on first use.
"""

from . import metrics
from .callback_list import CallbackList
from .callbacks import Callback, EarlyStopping, LearningRateMonitor, TerminateOnNaN
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .history import History
from .loggers import CSVLogger
from .lr_finder import LRFinderResult, lr_find
from .model_checkpoint import ModelCheckpoint
from .monitor import WeightMonitor
from .progress import ProgressBar
from .recorders import GradientNorms, HistoryRecorder
from .run_folder import RunFolder, RunFolderError
from .trainer import Trainer

__all__ = ["Trainer", "History", "Callback", "EarlyStopping", "ModelCheckpoint",
           "LearningRateMonitor", "ProgressBar", "TerminateOnNaN", "CSVLogger", "lr_find",
           "LRFinderResult", "save_checkpoint", "load_checkpoint", "CheckpointError", "metrics",
           "WeightMonitor", "CallbackList", "GradientNorms", "HistoryRecorder", "RunFolder",
           "RunFolderError"]
