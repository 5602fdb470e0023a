"""Small pieces of the Trainer's loop: batch unpacking, per-layer parameter groups, and the
running sums behind each epoch's loss and metrics."""

from ..tensor import Tensor
from .metrics import get_metric

__all__ = ["split_batch", "layer_groups", "EpochAccumulator"]


def split_batch(batch, need_target=True):
    """``(inputs, target)`` from a batch: a pair (x, y), a list [x, y], or (for predict) x alone."""
    if isinstance(batch, (tuple, list)):  # (x, y), as a DataLoader yields it: checked first
        if len(batch) >= 2:
            return batch[0], batch[1]
        if len(batch) == 1 and not need_target:
            return batch[0], None
    elif isinstance(batch, Tensor):
        if need_target:
            raise ValueError("Trainer: a training batch must be a pair (inputs, target), got a "
                             f"single tensor of shape {tuple(batch.shape)}")
        return batch, None
    raise ValueError("Trainer: a batch must be a pair (inputs, target), e.g. from "
                     f"DataLoader(TensorDataset(x, y)); got {type(batch).__name__}"
                     f"{'' if not hasattr(batch, '__len__') else f' of length {len(batch)}'}")


def layer_groups(model):
    """``[(layer_name, [parameters])]``: parameters grouped by the module that owns them.

    ``0.weight`` and ``0.bias`` form the layer ``0``; a parameter of the root module is its own
    layer (its name).
    """
    groups = {}
    for name, parameter in model.named_parameters():
        layer = name.rsplit(".", 1)[0] if "." in name else name
        groups.setdefault(layer, []).append(parameter)
    return list(groups.items())


class EpochAccumulator:
    """The running mean loss (weighted by batch size) and the metrics over one epoch."""

    def __init__(self, metrics=None):
        self.metrics = [get_metric(metric) for metric in (metrics or [])]
        self.reset()

    def reset(self):
        self.loss_sum = 0.0
        self.count = 0
        for metric in self.metrics:
            metric.reset()

    def update(self, output, target, loss_value):
        data = getattr(target, "_data", target)  # a Tensor's array, or what was given
        n = len(data) if getattr(data, "ndim", 0) else 1
        if loss_value is not None:
            self.loss_sum += loss_value * n
        self.count += n
        for metric in self.metrics:
            metric.update(output, target)

    def compute(self, prefix):
        """``{prefix_loss: mean loss, prefix_<metric>: value}`` (loss omitted without a loss)."""
        results = {}
        if self.count and self.loss_sum == self.loss_sum:
            results[f"{prefix}_loss"] = self.loss_sum / self.count
        for metric in self.metrics:
            results[f"{prefix}_{metric.name}"] = metric.compute()
        return results

    def state_dict(self):
        return {"loss_sum": self.loss_sum, "count": self.count,
                "metrics": [metric.state_dict() for metric in self.metrics]}

    def load_state_dict(self, state):
        self.loss_sum = state["loss_sum"]
        self.count = state["count"]
        for metric, metric_state in zip(self.metrics, state["metrics"]):
            metric.load_state_dict(metric_state)
