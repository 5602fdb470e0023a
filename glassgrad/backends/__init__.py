"""``glassgrad.backends``: ``mps.is_available()`` is False, as on any machine without Metal."""

from . import mps  # noqa: F401
