"""How the Trainer steps an lr scheduler: when (per epoch or per optimizer step) and with what.

A scheduler is stepped by what it is: ``ReduceLROnPlateau`` decides from a metric, so it is
given one (``monitor``, else ``val_loss`` when there is validation data, else ``train_loss``);
every other scheduler follows its own count and is stepped with no argument.
"""

from dataclasses import dataclass

from ..optim.lr_scheduler import ReduceLROnPlateau

__all__ = ["SchedulerConfig", "scheduler_config"]


@dataclass(slots=True)
class SchedulerConfig:
    """One scheduler and when the Trainer steps it, as Lightning's scheduler dict.

    Args:
        scheduler: the lr scheduler.
        interval: "epoch" (after each epoch's validation) or "step" (after each optimizer step).
        monitor: the metric a ``ReduceLROnPlateau`` is given (None: ``val_loss`` when it was
            logged, else ``train_loss``).
    """

    scheduler: object
    interval: str = "epoch"
    monitor: str | None = None

    def step(self, metrics):
        """Step the scheduler; a ``ReduceLROnPlateau`` gets its metric from ``metrics``."""
        if isinstance(self.scheduler, ReduceLROnPlateau):
            monitor = self.monitor or ("val_loss" if "val_loss" in metrics else "train_loss")
            self.scheduler.step(metrics[monitor])
        else:
            self.scheduler.step()


def scheduler_config(scheduler):
    """A ``SchedulerConfig`` from what ``fit`` was given: None, a scheduler, or a dict
    ``{"scheduler": s, "interval": "step" | "epoch", "monitor": name}``.

    Example:
        >>> scheduler_config({"scheduler": schedule, "interval": "step"}).interval
        'step'
    """
    if scheduler is None:
        return None
    if not isinstance(scheduler, dict):
        return SchedulerConfig(scheduler)
    if "scheduler" not in scheduler:
        raise ValueError("Trainer: a scheduler dict needs a 'scheduler' key")
    config = SchedulerConfig(scheduler["scheduler"], scheduler.get("interval", "epoch"),
                             scheduler.get("monitor"))
    if config.interval not in ("epoch", "step"):
        raise ValueError("Trainer: a scheduler's interval must be 'epoch' or 'step', got "
                         f"{config.interval!r}")
    return config
