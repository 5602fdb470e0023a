"""Shared helpers of the loss tests (tests/nn/test_loss.py, test_cross_entropy_loss.py): the same
call in glassgrad and in torch, as a functional, as a module, or as an error."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from parity import check_parity

import glassgrad as gg
import glassgrad.nn as nn
import glassgrad.nn.functional as F

FLOATS = [np.float32, np.float64]
REDUCTIONS = ["none", "mean", "sum"]


def _args(lib, kwargs):
    return {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def parity(name, arrays, grad=True, **kwargs):
    """check_parity of ``F.name`` against ``torch.nn.functional.name`` with the same keyword
    arguments (arrays among them become each library's tensors)."""
    return check_parity(lambda *t: getattr(F, name)(*t, **_args(gg, kwargs)), arrays,
                        torch_fn=lambda *t: getattr(TF, name)(*t, **_args(torch, kwargs)),
                        grad=grad)


def module_parity(name, arrays, **kwargs):
    """The module ``nn.name(**kwargs)`` against ``torch.nn.name(**kwargs)``."""
    ours = getattr(nn, name)(**_args(gg, kwargs))
    theirs = getattr(torch.nn, name)(**_args(torch, kwargs))
    return check_parity(lambda *t: ours(*t), arrays, torch_fn=lambda *t: theirs(*t))


def same_error(call):
    """``call(lib, functional)`` raises the same exception type and message in both libraries."""
    with pytest.raises(Exception) as theirs:
        call(torch, TF)
    with pytest.raises(type(theirs.value)) as ours:
        call(gg, F)
    assert str(ours.value) == str(theirs.value).replace("torch.", "glassgrad.")


def rng(seed=0):
    return np.random.default_rng(seed)


def probabilities(r, shape, dtype):
    return r.uniform(0.05, 0.95, shape).astype(dtype)
