"""glassgrad.optim: update rules that read ``.grad`` and change Parameters in place
(``torch.optim``)."""

from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .nadam import NAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "NAdam"]


def __getattr__(name):
    if name == "lr_scheduler":  # written separately; imported on first use
        import importlib

        return importlib.import_module(".lr_scheduler", __name__)
    raise AttributeError(f"module 'glassgrad.optim' has no attribute '{name}'")
