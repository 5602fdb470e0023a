"""``glassgrad.autograd``: reverse-mode automatic differentiation.

- ``backward`` / ``grad``: the engine (``engine.py``);
- ``Function``: define an operation with its own backward (``function.py``);
- ``no_grad``, ``enable_grad``, ``set_grad_enabled``: grad mode (``grad_mode.py``);
- ``gradcheck`` / ``gradgradcheck``: compare with finite differences (``gradcheck.py``);
- ``functional.jacobian`` / ``functional.hessian`` (``functional.py``);
- ``explain``: a step-by-step account of one backward pass (``explain.py``).
"""

from . import function, grad_mode  # noqa: F401
from .engine import grad, run_backward
from .explain import explain  # the function shadows the module
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402  (the function shadows the module)

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode", "gradcheck",
           "gradgradcheck", "functional", "explain"]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Add the gradients of ``tensors`` w.r.t. the graph's leaves into their ``.grad``."""
    run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs)


def __getattr__(name):
    # ``functional`` (jacobian, hessian, ...) is loaded on first use: import glassgrad stays quick
    if name == "functional":
        import importlib

        return importlib.import_module(".functional", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
