"""Utilities: ``glassgrad.utils.hooks`` (and ``glassgrad.utils.data`` once it exists)."""

from . import hooks  # noqa: F401
