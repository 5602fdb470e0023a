"""``glassgrad.backends.mps``: Apple's Metal backend does not exist in glassgrad."""


def is_available():
    """Always False."""
    return False


def is_built():
    """Always False."""
    return False
