"""What a Trainer checkpoint holds, and how a Trainer is put back from one.

Resuming must continue bit for bit, so the checkpoint holds every piece of state the loop reads:
the weights, the optimizer's buffers, the scheduler, the random generator, the epoch and step,
each callback's state, the History, and, for a run stopped mid-epoch (Ctrl-C), how many batches
of the epoch were done, the random state at the epoch's start (so the same shuffle is drawn
again) and the running sums of the epoch's loss and metrics.
"""

from ..random import _decode_state, _encode_state, get_rng_state, set_rng_state

__all__ = ["checkpoint_state", "restore_state"]


def checkpoint_state(trainer):
    """Everything a resumed run needs, as a nested dict for ``save_checkpoint``."""
    loop = trainer._loop or {}
    mid_epoch = bool(loop.get("mid_epoch"))
    return {
        "model": trainer.model.state_dict(),
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": None if trainer.scheduler is None else _scheduler_state(trainer.scheduler),
        "rng_state": get_rng_state(),
        "epoch": trainer.current_epoch + (1 if loop.get("epoch_done") else 0),
        "global_step": trainer.global_step,
        "loop": {"mid_epoch": mid_epoch,
                 "batches_done": loop.get("batches_done", 0) if mid_epoch else 0,
                 # (the loop keeps the epoch's random state as a ``_snapshot()``: encoded here)
                 "epoch_rng": (_encode_state(loop["epoch_rng"])
                               if mid_epoch and loop.get("epoch_rng") is not None else None),
                 "train_accumulator": trainer._train_accumulator.state_dict()},
        "callbacks": {c.state_key: c.state_dict() for c in trainer.callbacks},
        "callback_metrics": dict(trainer.callback_metrics),
        "history": trainer.history.state_dict(),
    }


def restore_state(trainer, state):
    """Put a ``checkpoint_state`` back into a Trainer that has been set up by ``fit``."""
    trainer.model.load_state_dict(state["model"])
    trainer.optimizer.load_state_dict(state["optimizer"])
    if trainer.scheduler is not None and state["scheduler"] is not None:
        trainer.scheduler.load_state_dict(state["scheduler"])
    trainer.current_epoch = state["epoch"]
    trainer.global_step = state["global_step"]
    trainer.history.load_state_dict(state["history"])
    trainer.callback_metrics = dict(state["callback_metrics"])
    saved = state.get("callbacks", {})
    for callback in trainer.callbacks:
        if callback.state_key in saved:
            callback.load_state_dict(saved[callback.state_key])
    loop = state["loop"]
    trainer._train_accumulator.load_state_dict(loop["train_accumulator"])
    if loop["mid_epoch"]:
        trainer._loop.update(skip_batches=loop["batches_done"],
                             epoch_rng=_decode_state(loop["epoch_rng"]),
                             resume_rng=state["rng_state"])
    set_rng_state(state["rng_state"])


def _scheduler_state(scheduler):
    """The scheduler's state dict without the callables a lambda-based schedule holds."""
    return {key: value for key, value in scheduler.state_dict().items() if not callable(value)}
