"""``glassgrad.summary(model, input_shape)``: a table of a model's layers, shapes and parameters.

One forward pass on zeros, watched by forward hooks, records each layer's output shape in the
order the layers run; the parameter counts come from the modules themselves. Only the model's
own methods are used (hooks, ``named_modules``, ``parameters``), so this file imports nothing
from ``glassgrad.nn``.
"""

__all__ = ["summary", "ModelSummary"]


class ModelSummary:
    """What ``summary`` returns: the table's ``rows`` and the parameter totals.

    ``rows`` holds one dict per layer call: ``name`` (dotted, as in ``named_modules``),
    ``type``, ``output_shape`` (a list, a list of lists for several outputs, or None) and
    ``params`` (the parameters the layer itself owns, not those of its sub-layers).
    ``str(summary)`` is the table.
    """

    def __init__(self, rows, total_params, trainable_params, param_bytes):
        self.rows = rows
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.non_trainable_params = total_params - trainable_params
        self.param_bytes = param_bytes

    def __str__(self):
        header = ("Layer (type)", "Output Shape", "Param #")
        cells = [(f"{row['name']} ({row['type']})" if row["name"] else row["type"],
                  _shape_text(row["output_shape"]), f"{row['params']:,}") for row in self.rows]
        widths = [max([len(header[i])] + [len(c[i]) for c in cells]) for i in range(3)]
        width = sum(widths) + 6

        def line(values):
            return (f"{values[0]:<{widths[0]}}   {values[1]:<{widths[1]}}   "
                    f"{values[2]:>{widths[2]}}")

        out = ["=" * width, line(header), "=" * width]
        out += [line(c) for c in cells]
        out += ["=" * width,
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.non_trainable_params:,}",
                f"Params size (MB): {self.param_bytes / 1e6:.2f}",
                "=" * width]
        return "\n".join(out)

    def __repr__(self):
        return (f"ModelSummary(layers={len(self.rows)}, total_params={self.total_params}, "
                f"trainable_params={self.trainable_params})")


def _shape_text(shape):
    if shape is None:
        return "-"
    return str(shape)


def _output_shape(output):
    """The shape of a layer's output as a list (a list of them for a tuple or list of tensors)."""
    if hasattr(output, "shape") and hasattr(output, "grad_fn"):
        return list(output.shape)
    if isinstance(output, (tuple, list)):
        shapes = [_output_shape(o) for o in output]
        return [s for s in shapes if s is not None] or None
    return None


def summary(model, input_shape, *, dtype=None, verbose=True):
    """Run ``model`` once on zeros of ``input_shape`` and tabulate its layers: name, type,
    output shape and parameter count, then the totals (each shared parameter counted once).

    The forward pass runs in eval mode (restored afterwards) and without recording gradients.
    Every module that is called gets a row, in call order, except pure containers (modules
    with sub-modules and no parameters of their own, such as Sequential); a model without
    sub-modules is its own single row. Params per row are the layer's own parameters.

    Args:
        model (Module): the model to describe.
        input_shape (tuple of int, list of tuples, or Tensor): the full shape of the input,
            batch dim included (e.g. ``(1, 784)``); a list of shapes for a model with several
            inputs; or an actual input tensor (e.g. integer token ids for an Embedding).
        dtype (dtype, optional): the dtype of the zeros (default: the model's first floating
            parameter's dtype, else the default dtype).
        verbose (bool): print the table. Default: True.

    Returns:
        ModelSummary: ``rows``, ``total_params``, ``trainable_params``; ``str()`` is the table.

    Example:
        >>> model = glassgrad.nn.Sequential(glassgrad.nn.Linear(4, 8), glassgrad.nn.ReLU(),
        ...                                 glassgrad.nn.Linear(8, 2))
        >>> glassgrad.summary(model, (1, 4)).total_params
        58
    """
    from .autograd.grad_mode import no_grad
    from .creation import zeros
    from .tensor import Tensor

    params = list(model.parameters())
    if dtype is None:
        dtype = next((p.dtype for p in params if p.is_floating_point()), None)
    if isinstance(input_shape, Tensor):
        inputs = [input_shape]
    elif input_shape and all(isinstance(s, (tuple, list)) for s in input_shape):
        inputs = [zeros(tuple(s), dtype=dtype) for s in input_shape]
    else:
        inputs = [zeros(tuple(input_shape), dtype=dtype)]
    rows = []
    handles = []
    named = list(model.named_modules())
    for name, module in named:
        has_children = any(True for _ in module.children())
        own = list(module.parameters(recurse=False))
        if has_children and not own:  # a pure container: its layers have their own rows
            continue

        def pre_hook(module, args, name=name):
            row = {"name": name, "type": type(module).__name__, "output_shape": None,
                   "params": sum(p.numel() for p in module.parameters(recurse=False))}
            rows.append(row)
            module.__dict__.setdefault("_summary_rows", []).append(row)

        def hook(module, args, output):
            pending = module.__dict__.get("_summary_rows")
            if pending:
                pending.pop()["output_shape"] = _output_shape(output)

        handles.append(module.register_forward_pre_hook(pre_hook))
        handles.append(module.register_forward_hook(hook))
    modes = [(module, module.training) for _, module in named]
    try:
        model.eval()
        with no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes:
            module.training = mode
            module.__dict__.pop("_summary_rows", None)
    unique = {id(p): p for p in params}.values()
    total = sum(p.numel() for p in unique)
    trainable = sum(p.numel() for p in unique if p.requires_grad)
    size = sum(p.numel() * p.element_size() for p in unique)
    result = ModelSummary(rows, total, trainable, size)
    if verbose:
        print(result)
    return result
