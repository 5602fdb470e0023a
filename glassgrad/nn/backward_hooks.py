"""Calling a Module with hooks, and the full backward hooks (as ``torch.utils.hooks``).

``call_with_hooks`` runs, in PyTorch's order: the forward pre-hooks, the wrapping of the inputs
for backward hooks, ``forward``, the forward hooks, and the wrapping of the outputs.

To see gradients *at the module's boundary*, the positional input tensors and the output tensors
pass through an identity Function (``BackwardHookFunction``). Its node on the outputs is reached
first in the backward pass, with dL/d(outputs): there the backward pre-hooks run and grad_output
is remembered. Its node on the inputs is reached once dL/d(inputs) is complete: there the full
backward hooks run with ``(module, grad_input, grad_output)``. Identity means the values and the
rest of the graph are unchanged. When no input requires grad, the hooks run at the outputs with
``grad_input`` all None (PyTorch warns, and so do we).
"""

import warnings

from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor

__all__ = ["call_with_hooks", "BackwardHook", "BackwardHookFunction"]


class BackwardHookFunction(Function):
    """Identity on any number of tensors; the inputs that do not require grad stay outside
    the graph. Its node carries the module's backward hooks."""

    @staticmethod
    def forward(ctx, *args):
        outputs = tuple(a.view_as(a) for a in args)
        ctx.mark_non_differentiable(*[o for o, a in zip(outputs, args) if not a.requires_grad])
        return outputs

    @staticmethod
    def backward(ctx, *grads):  # d(identity)/dx = 1: the gradients pass unchanged
        return grads


class BackwardHook:
    """Joins the gradients seen at one call's outputs with those seen at its inputs and calls
    the module's backward pre-hooks and full backward hooks with them."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_outputs = -1
        self.output_tensors_index = None
        self.n_inputs = -1
        self.input_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size):
        packed = [None] * size
        for index, value in zip(indices, values):
            packed[index] = value
        return tuple(packed)

    @staticmethod
    def _unpack_none(indices, values):
        return tuple(values[index] for index in indices)

    def _apply_on_tensors(self, fn, args, materialize):
        """Pass the tensors among ``args`` through the identity and give its node to ``fn``;
        returns the new args and the tensors' positions (None if nothing requires grad)."""
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in positions]
        if not (any(t.requires_grad for t in tensors) and GradMode.enabled):
            return args, None
        new_tensors = BackwardHookFunction.apply(*tensors)
        node = next(t.grad_fn for t in new_tensors if t.grad_fn is not None)
        node.set_materialize_grads(materialize)
        fn(node)
        replaced = list(args)
        for index, value in zip(positions, new_tensors):
            replaced[index] = value
        return tuple(replaced), positions

    def setup_input_hook(self, args):
        """Wrap the positional inputs; their node runs the full backward hooks."""
        def register(node):
            def hook(grad_input, _):
                if self.grad_outputs is None:
                    return None  # the gradient did not come through the module's outputs
                packed = self._pack_with_none(self.input_tensors_index, grad_input,
                                              self.n_inputs)
                for user_hook in self.user_hooks:
                    out = user_hook(self.module, packed, self.grad_outputs)
                    if out is None:
                        continue
                    if len(out) != len(packed):
                        raise RuntimeError("Backward hook returned an invalid number of "
                                           f"grad_input, got {len(out)}, but expected "
                                           f"{len(packed)}")
                    packed = out
                self.grad_outputs = None
                return self._unpack_none(self.input_tensors_index, packed)

            node.register_hook(hook)

        result, positions = self._apply_on_tensors(register, args, materialize=True)
        self.n_inputs = len(args)
        self.input_tensors_index = positions
        return result

    def setup_output_hook(self, result):
        """Wrap the outputs; their node records grad_output and runs the pre-hooks."""
        def register(node):
            def hook(_, grad_output):
                self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output,
                                                         self.n_outputs)
                for user_pre_hook in self.user_pre_hooks:
                    new = user_pre_hook(self.module, self.grad_outputs)
                    if new is None:
                        continue
                    if len(new) != len(self.grad_outputs):
                        raise RuntimeError("Backward pre hook returned an invalid number of "
                                           f"grad_output, got {len(new)}, but expected "
                                           f"{len(self.grad_outputs)}")
                    self.grad_outputs = tuple(new)
                local_grad_outputs = self.grad_outputs
                if self.input_tensors_index is None:
                    warnings.warn(
                        "Full backward hook is firing when gradients are computed with respect "
                        "to module outputs since no inputs require gradients. See "
                        "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                        "#torch.nn.Module.register_full_backward_hook for more details.",
                        stacklevel=5)
                    grad_inputs = self._pack_with_none([], [], self.n_inputs)
                    for user_hook in self.user_hooks:
                        out = user_hook(self.module, grad_inputs, self.grad_outputs)
                        if out is not None and not (isinstance(out, tuple)
                                                    and all(g is None for g in out)):
                            raise RuntimeError("Backward hook for Modules where no input "
                                               "requires gradient should always return None "
                                               "or None for all gradients.")
                    self.grad_outputs = None
                return tuple(local_grad_outputs[i] for i in self.output_tensors_index)

            node.register_hook(hook)

        is_tuple = isinstance(result, tuple)
        outputs = result if is_tuple else (result,)
        wrapped, positions = self._apply_on_tensors(register, outputs, materialize=False)
        self.n_outputs = len(outputs)
        self.output_tensors_index = positions
        return wrapped if is_tuple else wrapped[0]


def register_non_full_hooks(module, result):
    """The deprecated ``register_backward_hook``: the hooks go on the grad_fn of the first
    output tensor and see that one operation's gradients."""
    var = result
    while not isinstance(var, Tensor):
        var = next(v for v in var.values() if isinstance(v, Tensor)) \
            if isinstance(var, dict) else var[0]
    node = var.grad_fn
    if node is None:
        return
    for user_hook in list(module._backward_hooks.values()):
        node.register_hook(lambda grad_input, grad_output, user_hook=user_hook:
                           user_hook(module, grad_input, grad_output))


def call_with_hooks(module, args, kwargs):
    """``module(*args, **kwargs)`` when the module has hooks (``Module.__call__`` calls
    ``forward`` directly otherwise). With ``always_call``, forward hooks also run when
    ``forward`` raises, and the error is raised again."""
    result = None
    called = set()
    try:
        for hook_id, hook in tuple(module._forward_pre_hooks.items()):
            if hook_id in module._forward_pre_hooks_with_kwargs:
                new = hook(module, args, kwargs)
                if new is not None:
                    if not (isinstance(new, tuple) and len(new) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {new}.")
                    args, kwargs = new
            else:
                new = hook(module, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        full_hooks = list(module._backward_hooks.values()) \
            if module._is_full_backward_hook is True else []
        backward_hook = None
        if full_hooks or module._backward_pre_hooks:
            backward_hook = BackwardHook(module, full_hooks,
                                         list(module._backward_pre_hooks.values()))
            args = backward_hook.setup_input_hook(args)
        result = module.forward(*args, **kwargs)
        for hook_id, hook in tuple(module._forward_hooks.items()):
            if hook_id in module._forward_hooks_always_called:
                called.add(hook_id)
            if hook_id in module._forward_hooks_with_kwargs:
                new = hook(module, args, kwargs, result)
            else:
                new = hook(module, args, result)
            if new is not None:
                result = new
        if backward_hook is not None:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a Tensor "
                              f"or a tuple of Tensors but received {type(result)}", stacklevel=3)
            result = backward_hook.setup_output_hook(result)
        if module._is_full_backward_hook is False and module._backward_hooks:
            register_non_full_hooks(module, result)
        return result
    except Exception:
        for hook_id, hook in tuple(module._forward_hooks.items()):
            if hook_id not in module._forward_hooks_always_called or hook_id in called:
                continue
            try:
                if hook_id in module._forward_hooks_with_kwargs:
                    new = hook(module, args, kwargs, result)
                else:
                    new = hook(module, args, result)
                if new is not None:
                    result = new
            except Exception as error:
                warnings.warn("module forward hook with ``always_call=True`` raised an exception "
                              f"that was silenced as another error was raised in forward: {error}",
                              stacklevel=3)
        raise
