"""The random generator: one global ``Generator`` (seeded by ``manual_seed``) and explicit ones.

glassgrad draws from NumPy's PCG64 generator. ``manual_seed(s)`` makes every later draw (rand,
randn, parameter initialisation, dropout, DataLoader shuffling) reproducible; the numbers differ
from PyTorch's, which uses another algorithm.
"""

import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator"]


class Generator:
    """A source of random numbers, accepted as ``generator=`` by every random function.

    Example:
        >>> g = glassgrad.Generator().manual_seed(0)
        >>> glassgrad.rand(2, generator=g)
    """

    def __init__(self, device="cpu"):
        self._seed = None
        self._numpy = None
        self.device = device

    @property
    def numpy(self):
        """The ``np.random.Generator`` (PCG64) behind this generator. It is created on first use,
        seeded from fresh entropy, so that ``import glassgrad`` does not load ``numpy.random``."""
        if self._numpy is None:
            self._seed = int(np.random.SeedSequence().entropy % (2 ** 63))
            self._numpy = np.random.Generator(np.random.PCG64(self._seed))
        return self._numpy

    @numpy.setter
    def numpy(self, generator):
        self._numpy = generator

    def manual_seed(self, seed):
        """Reset to a fixed state derived from ``seed``; returns self."""
        seed = int(seed)
        self._seed = seed
        self.numpy = np.random.Generator(np.random.PCG64(seed % (2 ** 64)))
        return self

    def seed(self):
        """Reseed from fresh entropy; returns the new seed."""
        new = int(np.random.SeedSequence().entropy % (2 ** 63))
        self.manual_seed(new)
        return new

    def initial_seed(self):
        if self._seed is None:
            self.numpy  # noqa: B018  (creating the generator draws the seed)
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor (restorable with ``set_state``): the UTF-8
        bytes of a JSON object holding the seed and the PCG64 state."""
        return _encode_state(self._snapshot())

    def set_state(self, new_state):
        """Restore a state returned by ``get_state``."""
        return self._restore(_decode_state(new_state))

    def _snapshot(self):
        """The state as plain Python values, ``{"seed", "bit_generator"}``: what ``get_state``
        encodes, taken without encoding it (one C call), for code that takes the state often
        and saves it rarely (the Trainer, at the start of every epoch)."""
        bit_generator = self.numpy.bit_generator.state   # first: creating it draws the seed
        return {"seed": self._seed, "bit_generator": bit_generator}

    def _restore(self, snapshot):
        """Go back to a ``_snapshot()``; returns self."""
        self._seed = snapshot["seed"]
        self.numpy = np.random.Generator(np.random.PCG64())
        self.numpy.bit_generator.state = snapshot["bit_generator"]
        return self


def _encode_state(snapshot):
    """A ``_snapshot()`` as ``get_state`` returns it: a uint8 tensor of its JSON."""
    import json

    from .tensor import Tensor

    state = json.dumps(snapshot)
    # the bytes straight into a writable array: no Python int per byte
    return Tensor._make(np.frombuffer(bytearray(state.encode()), dtype=np.uint8))


def _decode_state(state):
    """The ``_snapshot()`` inside a ``get_state`` tensor."""
    import json

    return json.loads(state.numpy().astype(np.uint8, copy=False).tobytes().decode())


default_generator = Generator()


def manual_seed(seed):
    """Seed the global generator (and so every unseeded random function); returns it."""
    return default_generator.manual_seed(seed)


def seed():
    """Seed the global generator from fresh entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed the global generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The global generator's state (a uint8 tensor)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the global generator's state from ``get_rng_state``."""
    default_generator.set_state(new_state)


def numpy_generator(generator=None):
    """The ``np.random.Generator`` behind ``generator`` (the global one when None)."""
    return (generator or default_generator).numpy
