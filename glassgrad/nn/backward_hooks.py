"""Module backward hooks: ``register_full_backward_hook`` and ``register_full_backward_pre_hook``.

To see the gradients *at the module's boundary*, the call is wrapped in two identity functions:
one on the outputs, whose backward receives dL/d(outputs) (and runs the pre-hooks), and one on
the inputs, whose backward receives dL/d(inputs) (and runs the hooks with both). Identity means
the values and the rest of the graph are unchanged.
"""

from ..autograd.function import Function
from ..tensor import Tensor

__all__ = ["call_with_backward_hooks"]


class _HookState:
    """What the two identity functions of one module call share."""

    def __init__(self, module, n_inputs):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = n_inputs
        self.inputs_seen = False


class _OutputBoundary(Function):
    """Identity on the outputs: records dL/d(outputs), runs the backward pre-hooks."""

    @staticmethod
    def forward(ctx, state, *outputs):
        ctx.state = state
        return outputs if len(outputs) > 1 else outputs[0]

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        module = state.module
        for hook in tuple(module._backward_pre_hooks.values()):
            result = hook(module, grads)
            if result is not None:
                grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        state.grad_outputs = grads
        if not state.inputs_seen:  # no input requires grad: the hooks see grad_input = None
            _run_hooks(module, (None,) * state.n_inputs, grads)
        return (None,) + tuple(grads)


class _InputBoundary(Function):
    """Identity on the inputs that require grad: runs the backward hooks with dL/d(inputs)."""

    @staticmethod
    def forward(ctx, state, *inputs):
        ctx.state = state
        return inputs if len(inputs) > 1 else inputs[0]

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        result = _run_hooks(state.module, grads, state.grad_outputs)
        return (None,) + tuple(result)


def _run_hooks(module, grad_inputs, grad_outputs):
    for hook in tuple(module._backward_hooks.values()):
        result = hook(module, grad_inputs, grad_outputs)
        if result is not None:
            grad_inputs = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    return grad_inputs


def call_with_backward_hooks(module, args, kwargs):
    """Run ``module.forward`` with its inputs and outputs wrapped in the boundary functions."""
    tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and
                        a.requires_grad]
    state = _HookState(module, len([a for a in args if isinstance(a, Tensor)]))
    if tensor_positions:
        state.inputs_seen = True
        wrapped = _InputBoundary.apply(state, *[args[i] for i in tensor_positions])
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        args = list(args)
        for position, value in zip(tensor_positions, wrapped):
            args[position] = value
        args = tuple(args)
    output = module.forward(*args, **kwargs)
    outputs = output if isinstance(output, tuple) else (output,)
    if not any(isinstance(o, Tensor) and o.requires_grad for o in outputs):
        return output
    result = _OutputBoundary.apply(state, *outputs)
    return result
