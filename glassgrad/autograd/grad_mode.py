"""Grad mode: whether operations record the graph that ``backward()`` walks.

``no_grad``, ``enable_grad`` and ``set_grad_enabled`` work as context managers and as decorators,
exactly as in PyTorch. The mode is one process-wide flag (``GradMode.enabled``): DESIGN.md allows
this and the random generator as the only global state.
"""

import functools
import sys

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]


_GENERATOR_FLAG = 0x20  # CO_GENERATOR: the function is a generator function


class GradMode:
    """Holds the flag; read on every operation, so it is a plain class attribute."""

    enabled = True


def is_grad_enabled():
    """Return True if operations currently record a graph for autograd."""
    return GradMode.enabled


class _GradModeContext:
    """Base of the grad-mode switches: a context manager that is also a decorator."""

    _target = True

    def __enter__(self):
        self._previous = GradMode.enabled
        GradMode.enabled = self._target

    def __exit__(self, *exc_info):
        GradMode.enabled = self._previous
        return False

    def __call__(self, func):
        if isinstance(func, type):
            raise TypeError(f"{type(self).__name__} can decorate functions, not classes")
        if getattr(getattr(func, "__code__", None), "co_flags", 0) & _GENERATOR_FLAG:
            return _wrap_generator(self.clone, func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return type(self)()


def _wrap_generator(make_context, func):
    """Decorate a generator function: the mode applies while the generator's own code runs (each
    step between two ``yield``s), not while the caller holds the suspended generator."""
    @functools.wraps(func)
    def generator(*args, **kwargs):
        gen = func(*args, **kwargs)
        try:
            with make_context():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with make_context():
                        gen.close()
                    raise
                except BaseException:
                    with make_context():
                        response = gen.throw(*sys.exc_info())
                else:
                    with make_context():
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value
    return generator


class _NoParamDecorator(_GradModeContext):
    """A switch that can also decorate without parentheses: ``@no_grad`` as well as
    ``@no_grad()``, as PyTorch allows."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecorator):
    """Context manager and decorator that turns off graph recording.

    Inside it, results never require grad, so in-place updates such as ``w -= lr * w.grad`` are
    allowed on leaves and cost nothing to track.

    Example:
        >>> with glassgrad.no_grad():
        ...     y = x * 2          # y.requires_grad is False
    """

    _target = False


class enable_grad(_NoParamDecorator):
    """Context manager and decorator that turns graph recording back on (inside ``no_grad``)."""

    _target = True


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (glassgrad has no separate inference tensors); ``inference_mode(False)``
    leaves the mode unchanged."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # used bare as ``@inference_mode``

    def __init__(self, mode=True):
        self._mode = mode
        self._target = not mode

    def __enter__(self):
        self._previous = GradMode.enabled
        if self._mode:
            GradMode.enabled = False

    def clone(self):
        return type(self)(self._mode)


class set_grad_enabled(_GradModeContext):
    """Set grad mode on or off: as a function call, a context manager or a decorator.

    Args:
        mode (bool): True to record graphs, False not to.
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not "
                            f"{type(mode).__name__}")
        self._previous = GradMode.enabled
        self._target = mode
        GradMode.enabled = mode

    def __enter__(self):
        pass

    def __call__(self, func):
        GradMode.enabled = self._previous  # used as a decorator: change nothing until called
        return super().__call__(func)

    def clone(self):
        return type(self)(self._target)
