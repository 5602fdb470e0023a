"""Small pieces of the Trainer's loop: where the loop is (``LoopState``), batch unpacking,
per-layer parameter groups, and the running sums behind each epoch's loss and metrics."""

from dataclasses import dataclass, field

from ..random import default_generator, set_rng_state
from ..tensor import Tensor
from .metrics import get_metric

__all__ = ["LoopState", "split_batch", "layer_groups", "EpochAccumulator"]


@dataclass(slots=True)
class LoopState:
    """Where ``fit`` is inside an epoch: what a checkpoint taken now must hold, and what a
    resumed run picks up.

    A run stopped mid-epoch (Ctrl-C) resumes by drawing the epoch's shuffle again from the
    random state of the epoch's start, skipping the batches already done, and then putting back
    the random state of the moment it stopped: ``start_epoch`` and ``batches`` do the two halves,
    before and after ``on_train_epoch_start``.

    Args:
        skip_batches: batches of the current epoch a resumed run skips (done before the stop).
        epoch_rng: the random generator's ``_snapshot()`` at the epoch's start (unencoded:
            encoding it costs more than a step; ``checkpoint_state`` encodes it).
        resume_rng: the random state to put back once the skipped batches are drawn.
        mid_epoch: an epoch has started and its end (metrics, validation) has not been reached.
        epoch_done: the epoch's end hooks are running (a checkpoint then counts the epoch done).
        batches_done: batches of the epoch up to the last optimizer step.
        stepped: the current batch ended an accumulation window with an optimizer step.
        in_batch: between ``on_train_batch_start`` and ``on_train_batch_end`` (where
            ``Trainer.log`` writes into the step's row).
        epoch_start: ``time.perf_counter()`` at the epoch's start.
        step_extra: values logged for the current step's History row.
        epoch_extra: values logged for the current epoch's History row.
        epoch_metrics: the finished epoch's row, until ``HistoryRecorder`` has logged it.
    """

    skip_batches: int = 0
    epoch_rng: object = None
    resume_rng: Tensor | None = None
    mid_epoch: bool = False
    epoch_done: bool = False
    batches_done: int = 0
    stepped: bool = False
    in_batch: bool = False
    epoch_start: float = 0.0
    step_extra: dict = field(default_factory=dict)
    epoch_extra: dict = field(default_factory=dict)
    epoch_metrics: dict | None = None

    @property
    def resuming(self):
        """Whether the coming epoch is the rest of one a resumed run was stopped in."""
        return self.skip_batches > 0

    def start_epoch(self, accumulator):
        """Before ``on_train_epoch_start``: put back the random state of a resumed epoch's
        start, or remember this epoch's and clear the running sums of the last."""
        if self.resuming:
            default_generator._restore(self.epoch_rng)
        else:
            self.epoch_rng = default_generator._snapshot()
            accumulator.reset()

    def batches(self, loader):
        """After ``on_train_epoch_start``: ``(batch_idx, batch)`` pairs of the epoch, those a
        resumed run already did drawn and skipped (then the random state of the stop put back)."""
        iterator = iter(loader)
        first = self.skip_batches
        if self.resuming:
            for _ in range(first):
                next(iterator)
            set_rng_state(self.resume_rng)
            self.resume_rng = None
        self.skip_batches = 0
        self.mid_epoch = True
        return enumerate(iterator, start=first)

    def resume_from(self, batches_done, epoch_rng, resume_rng):
        """Set up the rest of an epoch stopped after ``batches_done`` batches (a checkpoint)."""
        self.skip_batches = batches_done
        self.epoch_rng = epoch_rng
        self.resume_rng = resume_rng


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
