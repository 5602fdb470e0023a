"""``glassgrad.nn``: modules, parameters, initialisation, losses (as ``torch.nn``).

    import glassgrad.nn as nn
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
"""

from . import functional, init, utils  # noqa: F401
from .module import Module
from .modules import *  # noqa: F401,F403  (every layer and loss, listed in modules/__init__.py)
from .modules import __all__ as _module_names
from .parameter import Buffer, Parameter

__all__ = ["Module", "Parameter", "Buffer", "functional", "init", "utils"] + list(_module_names)
