"""RemovableHandle: what every ``register_*hook`` returns (as ``torch.utils.hooks``)."""

import itertools

__all__ = ["RemovableHandle"]

_ids = itertools.count()


class RemovableHandle:
    """Adds ``hook`` to the ordered dict ``hooks``; ``remove()`` takes it out again.

    Example:
        >>> handle = x.register_hook(print)
        >>> handle.remove()
    """

    def __init__(self, hooks, hook=None):
        self.hooks_dict_ref = hooks
        self.id = next(_ids)
        if hook is not None:
            hooks[self.id] = hook

    def remove(self):
        self.hooks_dict_ref.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
