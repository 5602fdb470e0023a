"""``glassgrad.cuda``: present so device-selection code runs; no GPU is ever available."""

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all"]


def is_available():
    """Always False: glassgrad computes with NumPy on the CPU."""
    return False


def device_count():
    return 0


def manual_seed(seed):
    """Accepted and ignored (there is no CUDA generator)."""


manual_seed_all = manual_seed
