"""The learning-rate range test (Smith, 2015; Lightning's ``lr_find``).

Train for ``num_training`` steps while the learning rate grows exponentially from ``min_lr`` to
``max_lr``:

    lr_i = min_lr * (max_lr / min_lr) ** (i / (num_training - 1))

and record the loss, smoothed by an exponential moving average with bias correction
(s_i = beta s_{i-1} + (1 - beta) loss_i, reported as s_i / (1 - beta^(i+1))). The loss first
barely moves (lr too small), then falls fast, then blows up (lr too large). The suggestion is the
learning rate where the smoothed loss falls fastest: the most negative d loss / d log(lr).
The test stops early once the smoothed loss exceeds ``early_stop_threshold`` times its best.
The model's weights, the optimizer's state and the random state are restored afterwards.

Example:
    >>> result = Trainer().lr_find(model, loader, loss_fn=nn.CrossEntropyLoss())
    >>> result.suggestion()
    0.0031
"""

import copy
import math

import numpy as np

from ..random import get_rng_state, set_rng_state
from ._loop_state import split_batch

__all__ = ["lr_find", "LRFinderResult"]


class LRFinderResult:
    """The learning rates tried and the smoothed loss at each (``lrs``, ``losses``)."""

    def __init__(self, lrs, losses):
        self.lrs = list(lrs)
        self.losses = list(losses)

    @property
    def results(self):
        return {"lr": self.lrs, "loss": self.losses}

    def suggestion(self, skip_begin=10, skip_end=1):
        """The lr of steepest descent of the loss against log(lr), or None if too few points."""
        lrs = np.array(self.lrs[skip_begin:len(self.lrs) - skip_end])
        losses = np.array(self.losses[skip_begin:len(self.losses) - skip_end])
        finite = np.isfinite(losses)
        lrs, losses = lrs[finite], losses[finite]
        if len(losses) < 3:
            return None
        slope = np.gradient(losses, np.log(lrs))
        return float(lrs[int(np.argmin(slope))])

    def __repr__(self):
        return f"LRFinderResult({len(self.lrs)} steps, suggestion={self.suggestion()})"


def lr_find(model, train_loader, *, loss_fn, optimizer=None, min_lr=1e-7, max_lr=1.0,
            num_training=100, early_stop_threshold=4.0, beta=0.98):
    """Run the range test and return an ``LRFinderResult`` (see the module docstring).

    Args:
        model, train_loader, loss_fn: as for ``Trainer.fit``; the loader is cycled as needed.
        optimizer: the optimizer to test (default Adam); its lr is overwritten at each step.
        min_lr, max_lr: the range of learning rates.
        num_training: the number of steps.
        early_stop_threshold: stop when the smoothed loss exceeds this times its minimum
            (None: never stop early).
        beta: the smoothing factor of the moving average.
    """
    if not 0 < min_lr < max_lr:
        raise ValueError(f"lr_find: need 0 < min_lr < max_lr, got min_lr={min_lr}, "
                         f"max_lr={max_lr}")
    if num_training < 2:
        raise ValueError(f"lr_find: num_training must be >= 2, got {num_training}")
    if optimizer is None:
        from ..optim import Adam

        optimizer = Adam(model.parameters(), lr=min_lr)
    saved_model = {key: value.clone() for key, value in model.state_dict().items()}
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    saved_rng = get_rng_state()
    was_training = model.training
    model.train()
    lrs, losses = [], []
    average, best = 0.0, math.inf
    try:
        batches = _cycle(train_loader)
        for i in range(num_training):
            lr = min_lr * (max_lr / min_lr) ** (i / (num_training - 1))
            for group in optimizer.param_groups:
                group["lr"] = lr
            inputs, target = split_batch(next(batches))
            loss = loss_fn(model(inputs), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            value = loss.item()
            average = beta * average + (1 - beta) * value
            smoothed = average / (1 - beta ** (i + 1))
            lrs.append(lr)
            losses.append(smoothed)
            if not math.isfinite(smoothed):
                break
            best = min(best, smoothed)
            if early_stop_threshold is not None and smoothed > early_stop_threshold * best:
                break
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
        optimizer.zero_grad()
        set_rng_state(saved_rng)
        model.train(was_training)
    return LRFinderResult(lrs, losses)


def _cycle(loader):
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("lr_find: the training loader yields no batches")
