"""Devices: glassgrad computes on the CPU only, but accepts PyTorch's device arguments.

``glassgrad.device('cpu')``, ``device=`` keywords and ``.to('cpu')`` work as in PyTorch, so the
usual ``device = 'cuda' if torch.cuda.is_available() else 'cpu'`` line runs. Asking for any other
device raises a RuntimeError that says so.
"""

__all__ = ["device", "check_device"]

# The device types PyTorch knows (any of them is a valid name; only "cpu" exists here).
_KNOWN_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")


class device:
    """A device handle; only ``'cpu'`` (optionally ``'cpu:0'``) exists in glassgrad.

    As in PyTorch, a device compares equal to another device only (``device('cpu') == 'cpu'``
    is False): compare ``x.device.type == 'cpu'`` instead.
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu', got {type!r}")
        name, _, number = type.partition(":")
        if name not in _KNOWN_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_KNOWN_TYPES)} device type at start "
                               f"of device string: {type}")
        if number:
            index = int(number)
        self.type = name
        self.index = index

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


def check_device(dev):
    """Accept None, 'cpu' or a cpu device; raise a clear error for anything else."""
    if dev is None:
        return
    if isinstance(dev, int):
        dev = f"cuda:{dev}"
    name = dev.type if isinstance(dev, device) else str(dev).partition(":")[0]
    if name != "cpu":
        raise RuntimeError(f"glassgrad runs on the CPU only; device '{dev}' is not available "
                           "(glassgrad.cuda.is_available() is False)")
