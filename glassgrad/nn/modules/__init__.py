"""The layers and losses of ``glassgrad.nn``, one family per file (as ``torch.nn.modules``)."""

# Each family adds its import line and its names here.
__all__ = []

from .container import ModuleDict, ModuleList, Sequential  # noqa: E402
from .flatten import Flatten, Unflatten  # noqa: E402
from .linear import Bilinear, Identity, Linear  # noqa: E402

__all__ += ["Sequential", "ModuleList", "ModuleDict", "Identity", "Linear", "Bilinear",
            "Flatten", "Unflatten"]

from .conv import Conv2d  # noqa: E402
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d  # noqa: E402

__all__ += ["Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]

from .activation import (  # noqa: E402
    ELU,
    GELU,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d  # noqa: E402
from .dropout import Dropout  # noqa: E402
from .normalization import LayerNorm  # noqa: E402
from .sparse import Embedding  # noqa: E402

__all__ += ["ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus", "Softmax",
            "LogSoftmax", "Hardtanh", "ReLU6", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
            "Dropout", "LayerNorm", "Embedding"]

from .loss import (  # noqa: E402
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    FocalLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)

__all__ += ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
            "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "FocalLoss"]
