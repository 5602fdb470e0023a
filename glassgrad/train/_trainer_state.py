"""What a Trainer checkpoint holds, and how a Trainer is put back from one.

Resuming must continue bit for bit, so the checkpoint holds every piece of state the loop reads:
the weights, the optimizer's buffers, the scheduler, the random generator, the epoch and step,
each callback's state, the History, and, for a run stopped mid-epoch (Ctrl-C), how many batches
of the epoch were done, the random state at the epoch's start (so the same shuffle is drawn
again) and the running sums of the epoch's loss and metrics.

A checkpoint comes from disk, so ``restore_state`` trusts none of it. It first checks the whole
state against ``TRAINER_STATE`` (every field and its type), then each piece against the live
object it goes into (the model's shapes, the optimizer's and scheduler's own state), and turns
whatever a ``load_state_dict`` refuses into one ``CheckpointError`` line that names the field:
``checkpoint runs/a/checkpoints/last: field 'epoch' must be an integer >= 0, got 'three'``.
"""

from .._schema import BOOL, DICT, NON_NEGATIVE_INT, NUMBER, Kind, check_document, list_of, optional
from ..random import Generator, _decode_state, _encode_state, get_rng_state, set_rng_state
from ..tensor import Tensor
from ._loop_state import LoopState
from .checkpoint import CheckpointError

__all__ = ["checkpoint_state", "restore_state", "TRAINER_STATE"]


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_row(row):
    """A History row: numbers, with a whole epoch and step."""
    return (isinstance(row, dict) and all(map(_is_number, row.values()))
            and all(isinstance(row.get(key), int) for key in ("epoch", "step")))


def _is_snapshot(snapshot):
    """A WeightMonitor snapshot in a History: the epoch, and weights and grads by name."""
    return (isinstance(snapshot, dict) and isinstance(snapshot.get("epoch"), int)
            and all(TENSORS.test(snapshot.get(kind)) for kind in ("weights", "grads")))


TENSOR = Kind("a tensor", lambda value: isinstance(value, Tensor))
TENSORS = Kind("an object of tensors", lambda value: isinstance(value, dict)
               and all(isinstance(item, Tensor) for item in value.values()))
NUMBERS = Kind("an object of numbers", lambda value: isinstance(value, dict)
               and all(map(_is_number, value.values())))
OBJECTS = Kind("an object of objects", lambda value: isinstance(value, dict)
               and all(isinstance(item, dict) for item in value.values()))
ROWS = list_of(Kind("a row of numbers with an integer epoch and step", _is_row))
SNAPSHOTS = list_of(Kind("a snapshot: an integer epoch, and weights and grads as objects of "
                         "tensors", _is_snapshot))

# every field ``checkpoint_state`` writes, and what it must hold (and ``history.snapshots``,
# which checkpoints before WeightMonitor lack: ``SNAPSHOTS``, when it is there)
TRAINER_STATE = {
    "model": TENSORS,
    "optimizer": {"state": OBJECTS, "param_groups": list_of(DICT)},
    "scheduler": optional(DICT),
    "rng_state": TENSOR,
    "epoch": NON_NEGATIVE_INT,
    "global_step": NON_NEGATIVE_INT,
    "loop": {"mid_epoch": BOOL, "batches_done": NON_NEGATIVE_INT, "epoch_rng": optional(TENSOR),
             "train_accumulator": {"loss_sum": NUMBER, "count": NUMBER,
                                   "metrics": list_of(DICT)}},
    "callbacks": OBJECTS,
    "callback_metrics": NUMBERS,
    "history": {"steps": ROWS, "epochs": ROWS},
}

# what a load_state_dict raises for a state that does not fit what it is loaded into
_LOAD_ERRORS = (KeyError, TypeError, ValueError, RuntimeError, AttributeError, IndexError)


def checkpoint_state(trainer):
    """Everything a resumed run needs, as a nested dict for ``save_checkpoint``."""
    loop = trainer.loop_state or LoopState()
    mid_epoch = loop.mid_epoch
    return {
        "model": trainer.model.state_dict(),
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": None if trainer.scheduler is None else _scheduler_state(trainer.scheduler),
        "rng_state": get_rng_state(),
        "epoch": trainer.current_epoch + (1 if loop.epoch_done else 0),
        "global_step": trainer.global_step,
        "loop": {"mid_epoch": mid_epoch,
                 "batches_done": loop.batches_done if mid_epoch else 0,
                 # (the loop keeps the epoch's random state as a ``_snapshot()``: encoded here)
                 "epoch_rng": (_encode_state(loop.epoch_rng)
                               if mid_epoch and loop.epoch_rng is not None else None),
                 "train_accumulator": trainer._train_accumulator.state_dict()},
        "callbacks": {c.state_key: c.state_dict() for c in trainer.callbacks},
        "callback_metrics": dict(trainer.callback_metrics),
        "history": trainer.history.state_dict(),
    }


def restore_state(trainer, state):
    """Put a ``checkpoint_state`` back into a Trainer that has been set up by ``fit``.

    Raises CheckpointError, naming the checkpoint (``state.source``, set by
    ``load_checkpoint``) and the field, for a state that is not what the Trainer saves or does
    not fit its model, optimizer, scheduler or callbacks.
    """
    where = f"checkpoint {getattr(state, 'source', None) or '(in memory)'}"
    check_document(state, TRAINER_STATE, where, CheckpointError)
    try:
        _restore(trainer, state)
    except CheckpointError as error:
        raise CheckpointError(f"{where}: {error}") from error.__cause__


def _restore(trainer, state):
    loop = state["loop"]
    _generator_snapshot(state["rng_state"], "rng_state")
    epoch_rng = None
    if loop["mid_epoch"]:
        if loop["epoch_rng"] is None:
            raise _field_error("loop.epoch_rng", "is missing for a run stopped mid-epoch")
        epoch_rng = _generator_snapshot(loop["epoch_rng"], "loop.epoch_rng")
    _check_like(state["model"], trainer.model.state_dict(), "model")
    _load("model", trainer.model.load_state_dict, state["model"])
    _restore_optimizer(trainer.optimizer, state["optimizer"])
    if trainer.scheduler is not None and state["scheduler"] is not None:
        _check_like(state["scheduler"], _scheduler_state(trainer.scheduler), "scheduler",
                    strict=True)
        _load("scheduler", trainer.scheduler.load_state_dict, state["scheduler"])
    snapshots = state["history"].get("snapshots", [])
    if not SNAPSHOTS.test(snapshots):
        raise _field_error("history.snapshots", f"must be {SNAPSHOTS.description}, got "
                           f"{_shown(snapshots)}")
    _load("history", trainer.history.load_state_dict, state["history"])
    _restore_accumulator(trainer._train_accumulator, loop["train_accumulator"])
    saved = state["callbacks"]
    for callback in trainer.callbacks:
        if callback.state_key in saved:
            _load(f"callbacks.{callback.state_key}", callback.load_state_dict,
                  saved[callback.state_key])
    trainer.current_epoch = state["epoch"]
    trainer.global_step = state["global_step"]
    trainer.callback_metrics = dict(state["callback_metrics"])
    if loop["mid_epoch"]:
        trainer.loop_state.resume_from(loop["batches_done"], epoch_rng, state["rng_state"])
    set_rng_state(state["rng_state"])


def _field_error(field, problem):
    return CheckpointError(f"field '{field}' {problem}")


def _load(field, load_state_dict, value):
    """``load_state_dict(value)``; what it refuses becomes an error naming ``field``."""
    try:
        load_state_dict(value)
    except CheckpointError:
        raise
    except _LOAD_ERRORS as error:
        reason = f"has no {error}" if isinstance(error, KeyError) else " ".join(
            str(error).split())
        raise _field_error(field, f"does not fit what it is loaded into: {reason}") from error


def _generator_snapshot(tensor, field):
    """The random generator state inside ``tensor`` (tried on a scratch generator first)."""
    try:
        snapshot = _decode_state(tensor)
        Generator()._restore(snapshot)
    except (*_LOAD_ERRORS, OverflowError, RecursionError) as error:
        raise _field_error(field, "is not a random generator state "
                           f"({type(error).__name__}: {error})") from error
    return snapshot


def _check_like(value, template, field, strict=False):
    """``value`` holds what ``template`` (the live object's own state) holds: a tensor of the
    same shape, a number, a bool, a string, a list or a dict, looked into where both have the
    key or index; None in the template accepts anything. ``strict``: no key the template lacks
    (for a state loaded by ``__dict__.update``)."""
    if template is None:
        return
    kind = next(kind for kind in _KINDS if isinstance(template, kind[0]))
    if not isinstance(value, kind[0]) or isinstance(value, bool) != isinstance(template, bool):
        raise _field_error(field, f"must be {kind[1]}, got {_shown(value)}")
    if isinstance(template, Tensor) and tuple(value.shape) != tuple(template.shape):
        raise _field_error(field, f"must have shape {tuple(template.shape)}, got "
                           f"{tuple(value.shape)}")
    if isinstance(template, dict):
        unknown = [key for key in value if key not in template]
        if strict and unknown:
            raise _field_error(f"{field}.{unknown[0]}", "is not part of this state")
        pairs = [(key, value[key], template[key]) for key in value if key in template]
    else:
        same_length = isinstance(template, (list, tuple)) and len(value) == len(template)
        pairs = list(zip(range(len(value)), value, template)) if same_length else []
    for key, item, expected in pairs:
        _check_like(item, expected, f"{field}.{key}")


_KINDS = ((Tensor, "a tensor"), (bool, "true or false"), ((int, float), "a number"),
          (str, "a string"), ((list, tuple), "a list"), (dict, "an object"), (object, "a value"))


def _shown(value):
    if isinstance(value, Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _restore_optimizer(optimizer, saved):
    """Hyper-parameters checked against the optimizer's own, buffers against the parameters."""
    live = optimizer.state_dict()["param_groups"]
    if len(saved["param_groups"]) == len(live):   # (else load_state_dict says so)
        _check_like(saved["param_groups"], live, "optimizer.param_groups")
    _load("optimizer", optimizer.load_state_dict, saved)
    params = [param for group in optimizer.param_groups for param in group["params"]]
    for index, param in enumerate(params):
        for key, value in optimizer.state.get(param, {}).items():
            if (isinstance(value, Tensor) and key != "step"
                    and tuple(value.shape) != tuple(param.shape)):
                raise _field_error(f"optimizer.state.{index}.{key}", "must have its "
                                   f"parameter's shape {tuple(param.shape)}, got "
                                   f"{tuple(value.shape)}")


def _restore_accumulator(accumulator, saved):
    """The running sums of a half-finished epoch: one state per metric the Trainer computes."""
    if len(saved["metrics"]) != len(accumulator.metrics):
        raise _field_error("loop.train_accumulator.metrics", f"must hold "
                           f"{len(accumulator.metrics)} metric states (one per metric), got "
                           f"{len(saved['metrics'])}")
    _load("loop.train_accumulator", accumulator.load_state_dict, saved)


def _scheduler_state(scheduler):
    """The scheduler's state dict without the callables a lambda-based schedule holds."""
    return {key: value for key, value in scheduler.state_dict().items() if not callable(value)}
