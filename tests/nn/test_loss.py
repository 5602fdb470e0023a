"""The regression losses, the KL divergence and every loss module against PyTorch: values and
gradients (for the input and the target), float32 and float64, every reduction, gradcheck and
gradgradcheck, signatures, warnings and errors worded as torch words them. (Cross-entropy and
the binary losses are in test_cross_entropy_loss.py, the focal loss in test_focal_loss.py.)"""

import inspect
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from loss_parity import (
    FLOATS,
    REDUCTIONS,
    _args,
    module_parity,
    parity,
    probabilities,
    rng,
    same_error,
)
from parity import assert_close, check_parity, gradcheck_both

import glassgrad as gg
import glassgrad.nn as nn
import glassgrad.nn.functional as F


# ----------------------------------------------------------------------------- regression
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, kwargs", [
    ("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {}), ("huber_loss", {"delta": 0.7}),
    ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0}),
])
def test_regression_losses_match_torch(name, kwargs, reduction, dtype):
    r = rng(1)
    x, y = (r.normal(size=(4, 3)) * 2).astype(dtype), (r.normal(size=(4, 3))).astype(dtype)
    parity(name, [x, y], reduction=reduction, **kwargs)  # gradients for input and target
    parity(name, [x[0, 0], y[0, 0]], reduction=reduction, **kwargs)  # 0-d


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_weight_matches_torch(name, reduction):
    r = rng(2)
    x, y = r.normal(size=(5, 2)).astype(np.float32), r.normal(size=(5, 2)).astype(np.float32)
    weight = r.uniform(0.1, 3.0, (5, 2)).astype(np.float32)
    parity(name, [x, y], reduction=reduction, weight=weight)  # huber's mean is not sum(w)
    same_error(lambda lib, f: getattr(f, name)(lib.ones(2), lib.ones(2), weight=lib.ones(3)))
    same_error(lambda lib, f: getattr(f, name)(lib.ones(2), lib.ones(2), weight=lib.ones(2),
                                               reduction="avg"))


def test_regression_gradient_at_the_kinks_matches_torch():
    x = np.array([1.0, 2.0, 3.0, 0.5, -1.5], np.float32)
    y = np.array([1.0, 3.0, 1.5, 0.0, -0.5], np.float32)  # equal, and exactly |d| = 1 = delta
    for name in ("l1_loss", "huber_loss", "smooth_l1_loss", "mse_loss"):
        parity(name, [x, y], reduction="sum")


def test_target_of_another_shape_warns_and_broadcasts_like_torch():
    r = rng(3)
    x, y = r.normal(size=(3, 1)).astype(np.float32), r.normal(size=3).astype(np.float32)
    for name in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"):
        with pytest.warns(UserWarning) as caught:
            parity(name, [x, y])
        messages = {str(w.message) for w in caught}
        assert "Using a target size (glassgrad.Size([3])) that is different to the input size " \
               "(glassgrad.Size([3, 1])). This will likely lead to incorrect results due to " \
               "broadcasting. Please ensure they have the same size." in messages
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            same_error(lambda lib, f: getattr(f, name)(lib.ones(3), lib.ones(4)))


def test_legacy_size_average_and_reduce_like_torch():
    x, y = np.array([1.0, 2.0], np.float32), np.array([0.0, 0.5], np.float32)
    for legacy, expected in [({"size_average": False}, "sum"), ({"reduce": False}, "none"),
                             ({"size_average": True, "reduce": True}, "mean")]:
        with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
            parity("mse_loss", [x, y], **legacy)
            module_parity("L1Loss", [x, y], **legacy)
            assert nn.CrossEntropyLoss(**legacy).reduction == expected


def test_mse_of_integers_and_empty_tensors_match_torch():
    same_error(lambda lib, f: f.mse_loss(lib.tensor([1, 2]), lib.tensor([0, 4])))
    same_error(lambda lib, f: f.huber_loss(lib.tensor([1, 2]), lib.tensor([0, 4])))
    check_parity(lambda a, b: F.mse_loss(a, b), [np.array([1, 2]), np.array([0.5, 4.0])],
                 torch_fn=lambda a, b: TF.mse_loss(a, b), grad=False)
    with warnings.catch_warnings():  # Mean's backward divides by the count 0 (reduction.py)
        warnings.simplefilter("ignore", RuntimeWarning)
        parity("mse_loss", [np.zeros((0, 3), np.float32)] * 2)  # the mean of nothing: NaN


def test_reduction_must_be_valid_like_torch():
    for name in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
                 "binary_cross_entropy_with_logits"):
        same_error(lambda lib, f: getattr(f, name)(lib.ones(2) / 2, lib.ones(2) / 2,
                                                   reduction="avg"))
    same_error(lambda lib, f: f.cross_entropy(lib.ones(2, 3), lib.tensor([0, 1]), reduction="x"))
    same_error(lambda lib, f: f.nll_loss(lib.ones(2, 3), lib.tensor([0, 1]), reduction="x"))
    same_error(lambda lib, f: f.mse_loss(lib.ones(2), lib.ones(2), reduction="batchmean"))


@pytest.mark.parametrize("name, kwargs, smooth", [
    ("mse_loss", {}, True), ("l1_loss", {}, True), ("huber_loss", {"delta": 0.8}, True),
    ("smooth_l1_loss", {"beta": 0.6}, True), ("mse_loss", {"reduction": "none"}, True),
])
def test_regression_gradcheck_and_gradgradcheck(name, kwargs, smooth):
    x = np.array([[0.3, -1.2, 2.0], [0.1, 0.9, -0.4]])
    y = np.array([[0.0, -0.5, 0.7], [1.1, 0.2, -0.2]])  # no |x - y| near 0 or the switch
    gradcheck_both(lambda a, b: getattr(F, name)(a, b, **kwargs), [x, y], second_order=smooth)


# ----------------------------------------------------------------------------- KL divergence
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean"])
def test_kl_div_matches_torch(reduction, log_target, dtype):
    r = rng(4)
    x = np.log(probabilities(r, (3, 4), dtype))
    p = probabilities(r, (3, 4), dtype)
    parity("kl_div", [x, np.log(p) if log_target else p], reduction=reduction,
           log_target=log_target)
    module_parity("KLDivLoss", [x, p], reduction=reduction)


def test_kl_div_mean_warns_and_zero_targets_match_torch():
    x = np.log(np.array([[0.2, 0.3, 0.5]], np.float32))
    p = np.array([[0.0, 0.4, 0.6]], np.float32)  # p = 0 adds nothing; its gradient is NaN
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        parity("kl_div", [x, p])
    parity("kl_div", [x, p], reduction="none")
    same_error(lambda lib, f: f.kl_div(lib.tensor([1, 2]), lib.tensor([0.5, 0.5]),
                                       reduction="sum"))
    gradcheck_both(lambda a, b: F.kl_div(a, b, reduction="batchmean"),
                   [np.log(probabilities(rng(5), (2, 3), np.float64)),
                    probabilities(rng(6), (2, 3), np.float64)])
    gradcheck_both(lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True),
                   [np.log(probabilities(rng(5), (2, 3), np.float64)),
                    np.log(probabilities(rng(6), (2, 3), np.float64))])


# ----------------------------------------------------------------------------- modules
@pytest.mark.parametrize("name, kwargs, make", [
    ("MSELoss", {"reduction": "sum"}, "regression"),
    ("L1Loss", {}, "regression"),
    ("HuberLoss", {"delta": 0.5, "reduction": "none"}, "regression"),
    ("SmoothL1Loss", {"beta": 0.3}, "regression"),
    ("BCELoss", {"weight": np.array([1.0, 2.0, 0.5], np.float32)}, "probabilities"),
    ("BCEWithLogitsLoss", {"pos_weight": np.array([1.0, 2.0, 0.5], np.float32)}, "logits"),
    ("CrossEntropyLoss", {"weight": np.array([1.0, 2.0, 0.5], np.float32),
                          "label_smoothing": 0.1, "ignore_index": 2}, "classes"),
    ("CrossEntropyLoss", {}, "soft"),
    ("NLLLoss", {"reduction": "none"}, "classes"),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, "logits"),
])
def test_modules_match_torch(name, kwargs, make):
    r = rng(15)
    x = r.normal(size=(4, 3)).astype(np.float32)
    target = {"regression": r.normal(size=(4, 3)), "probabilities": r.uniform(0, 1, (4, 3)),
              "logits": r.uniform(0, 1, (4, 3)), "classes": np.array([0, 2, 1, 1]),
              "soft": r.dirichlet(np.ones(3), 4)}[make]
    target = target.astype(np.float32) if target.dtype.kind == "f" else target
    if make == "probabilities":
        x = r.uniform(0.05, 0.95, (4, 3)).astype(np.float32)
    module_parity(name, [x, target], **kwargs)
    ours = getattr(nn, name)(**_args(gg, kwargs))
    theirs = getattr(torch.nn, name)(**_args(torch, kwargs))
    assert repr(ours) == repr(theirs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    assert ours.reduction == theirs.reduction
    for attribute in ("delta", "beta", "ignore_index", "label_smoothing", "log_target"):
        assert getattr(ours, attribute, None) == getattr(theirs, attribute, None)


def test_module_weights_are_buffers_that_move_with_the_module():
    loss = nn.CrossEntropyLoss(weight=gg.tensor([1.0, 2.0]))
    assert [name for name, _ in loss.named_buffers()] == ["weight"]
    assert list(loss.parameters()) == []
    assert loss.double().weight.dtype == gg.float64
    logits = nn.BCEWithLogitsLoss(pos_weight=gg.tensor([3.0]))
    assert set(logits.state_dict()) == {"pos_weight"}
    assert nn.BCEWithLogitsLoss().weight is None


def test_losses_train_a_model_and_free_their_graph_like_torch():
    x = gg.tensor(rng(16).normal(size=(8, 3)).astype(np.float32))
    y = gg.tensor(rng(17).integers(0, 2, 8))
    model = nn.Linear(3, 2)
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward(retain_graph=True)
    first = model.weight.grad.clone()
    loss.backward()  # retained: a second pass adds the same gradient again
    assert_close(model.weight.grad, first * 2)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    with gg.no_grad():
        assert not nn.CrossEntropyLoss()(model(x), y).requires_grad
    assert F.nll_loss(gg.randn(2, 3, requires_grad=True), gg.tensor([0, 1])).grad_fn.name() == \
        "NllLossBackward0"
    for name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        ours = getattr(F, name)(gg.rand(2, requires_grad=True), gg.rand(2)).grad_fn.name()
        theirs = getattr(TF, name)(torch.rand(2, requires_grad=True), torch.rand(2))
        assert ours == theirs.grad_fn.name()


FUNCTIONS = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
             "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div"]
MODULES = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss", "KLDivLoss"]


def test_signatures_match_torch():
    """Same parameter names, order and defaults, so positional calls mean the same."""
    def parameters(function):
        return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]

    for name in FUNCTIONS:
        assert parameters(getattr(F, name)) == parameters(getattr(TF, name)), name
    for name in MODULES:
        assert parameters(getattr(nn, name).__init__) == \
            parameters(getattr(torch.nn, name).__init__), name
