"""The layers and losses of ``glassgrad.nn``, one family per file (as ``torch.nn.modules``)."""

# Each family adds its import line and its names here.
__all__ = []
