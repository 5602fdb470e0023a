"""Utilities: ``glassgrad.utils.hooks`` and ``glassgrad.utils.data`` (imported on first use)."""

from . import hooks  # noqa: F401


def __getattr__(name):
    if name == "data":
        import importlib

        return importlib.import_module(".data", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
