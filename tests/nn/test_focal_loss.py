"""The focal loss (not in torch.nn): against its formula written out here with torch operations,
against a transcription of torchvision's ``sigmoid_focal_loss`` (torchvision cannot be installed
here), its reduction to the (weighted) binary cross-entropy and cross-entropy at gamma = 0,
stability at logits of +-1e4, gradcheck and gradgradcheck, the module, and its errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st
from parity import assert_close, check_parity, gradcheck_both

import glassgrad as gg
import glassgrad.nn as nn
import glassgrad.nn.functional as F

FLOATS = [np.float32, np.float64]
REDUCTIONS = ["none", "mean", "sum"]


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss (torchvision 0.2x), transcribed line by line."""
    p = torch.sigmoid(inputs)
    ce_loss = TF.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "none":
        pass
    elif reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    else:
        raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported "
                         "reduction modes: 'none', 'mean', 'sum'")
    return loss


def reduce(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def binary_formula(x, t, alpha, gamma, reduction):
    """FL(p_t) = -alpha_t (1 - p_t)^gamma log(p_t) for targets t in {0, 1}, in torch (log p_t
    as log sigmoid(+-x): log(1 - sigmoid(x)) loses float32 digits at large x)."""
    p = torch.sigmoid(x)
    p_t = torch.where(t == 1, p, 1 - p)
    log_p_t = torch.where(t == 1, TF.logsigmoid(x), TF.logsigmoid(-x))
    loss = -(1 - p_t) ** gamma * log_p_t
    if alpha is not None and alpha >= 0:
        ones = torch.ones_like(x)
        loss = torch.where(t == 1, alpha * ones, (1 - alpha) * ones) * loss
    return reduce(loss, reduction)


def multiclass_formula(x, y, alpha, gamma, reduction, weight=None):
    """FL(p_t) = -alpha_y w_y (1 - p_t)^gamma log(p_t), p_t = softmax(x)_y, classes on dim 1."""
    log_p_t = torch.log_softmax(x, 1).gather(1, y.unsqueeze(1)).squeeze(1)
    loss = -(1 - log_p_t.exp()) ** gamma * log_p_t
    if isinstance(alpha, torch.Tensor):
        loss = alpha[y] * loss
    elif alpha is not None:
        loss = alpha * loss
    if weight is None:
        return reduce(loss, reduction)
    loss = weight[y] * loss
    return loss.sum() / weight[y].sum() if reduction == "mean" else reduce(loss, reduction)


def compare(ours, theirs, x, other, dtype):
    """Value and input gradient of glassgrad's ``ours(x, other)`` and torch's
    ``theirs(x, other)`` (``other`` held constant)."""
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    a, b = gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_a, out_b = ours(a, gg.tensor(other)), theirs(b, torch.tensor(other))
    assert_close(out_a, out_b, **tol)
    upstream = np.random.default_rng(0).normal(size=out_b.shape).astype(dtype)
    out_a.backward(gg.tensor(upstream))
    out_b.backward(torch.tensor(upstream))
    assert_close(a.grad, b.grad, what="input gradient", **tol)
    return out_a


# ----------------------------------------------------------------------------- binary
@given(dtype=st.sampled_from(FLOATS), alpha=st.sampled_from([0.25, 0.8, -1.0, None]),
       gamma=st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5]), reduction=st.sampled_from(REDUCTIONS),
       seed=st.integers(0, 2 ** 16))
def test_binary_focal_loss_matches_its_formula(dtype, alpha, gamma, reduction, seed):
    r = np.random.default_rng(seed)
    x = (r.normal(size=(4, 3)) * 3).astype(dtype)
    t = r.integers(0, 2, (4, 3)).astype(dtype)
    compare(lambda a, b: F.focal_loss(a, b, alpha=alpha, gamma=gamma, reduction=reduction),
            lambda a, b: binary_formula(a, b, alpha, gamma, reduction), x, t, dtype)


@given(dtype=st.sampled_from(FLOATS), alpha=st.sampled_from([0.25, 0.6, -1.0]),
       gamma=st.sampled_from([0.0, 1.0, 2.0, 2.5]), reduction=st.sampled_from(REDUCTIONS),
       seed=st.integers(0, 2 ** 16))
def test_binary_focal_loss_is_torchvisions_sigmoid_focal_loss(dtype, alpha, gamma, reduction,
                                                              seed):
    r = np.random.default_rng(seed)
    x = (r.normal(size=(2, 5)) * 3).astype(dtype)
    t = r.uniform(0, 1, (2, 5)).astype(dtype)  # soft targets: gradients for them too
    check_parity(lambda a, b: F.focal_loss(a, b, alpha, gamma, reduction), [x, t],
                 torch_fn=lambda a, b: sigmoid_focal_loss(a, b, alpha, gamma, reduction))
    module = nn.FocalLoss(alpha=alpha, gamma=gamma, reduction=reduction)
    check_parity(module, [x, t], torch_fn=lambda a, b: sigmoid_focal_loss(a, b, alpha, gamma,
                                                                          reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_focal_loss_without_focus_or_balance_is_the_weighted_bce(reduction):
    r = np.random.default_rng(1)
    x = (r.normal(size=(4, 3)) * 2).astype(np.float32)
    t = r.uniform(0, 1, (4, 3)).astype(np.float32)
    w = r.uniform(0.5, 2, 3).astype(np.float32)
    for alpha in (None, -1.0):
        check_parity(lambda a, b: F.focal_loss(a, b, alpha=alpha, gamma=0.0, reduction=reduction,
                                               weight=gg.tensor(w)), [x, t],
                     torch_fn=lambda a, b: TF.binary_cross_entropy_with_logits(
                         a, b, weight=torch.tensor(w), reduction=reduction))
    ours = F.focal_loss(gg.tensor(x), gg.tensor(t), alpha=None, gamma=0, reduction=reduction)
    assert_close(ours, F.binary_cross_entropy_with_logits(gg.tensor(x), gg.tensor(t),
                                                          reduction=reduction), rtol=0, atol=0)


def test_binary_focal_loss_turns_down_easy_examples():
    x = gg.tensor([4.0, 0.0, -4.0])  # easy, uncertain and wrong for a positive
    t = gg.ones(3)
    ratio = F.focal_loss(x, t, alpha=None, reduction="none") / \
        F.binary_cross_entropy_with_logits(x, t, reduction="none")
    p = 1 / (1 + np.exp(-np.array([4.0, 0.0, -4.0])))
    assert np.allclose(ratio.numpy(), (1 - p) ** 2, rtol=1e-5)  # the (1 - p_t)^gamma factor


def test_binary_focal_loss_is_stable_at_huge_logits():
    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0], np.float32)
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0], np.float32)
    for gamma in (0.0, 2.0):
        out = check_parity(lambda a, b: F.focal_loss(a, b, gamma=gamma, reduction="none"),
                           [x, t], torch_fn=lambda a, b: sigmoid_focal_loss(a, b, gamma=gamma))
        assert np.isfinite(out[0].detach().numpy()).all()
        assert out[0].tolist()[:2] == [0.75 * 1e4, 0.25 * 1e4]  # (1 - p_t)^gamma = 1 there


# ----------------------------------------------------------------------------- multi-class
@given(dtype=st.sampled_from(FLOATS), gamma=st.sampled_from([0.0, 0.5, 2.0, 3.0]),
       alpha=st.sampled_from(["none", "float", "tensor"]), weighted=st.booleans(),
       shape=st.sampled_from([(5, 3), (2, 4, 2, 3), (3, 1)]),
       reduction=st.sampled_from(REDUCTIONS), seed=st.integers(0, 2 ** 16))
def test_multiclass_focal_loss_matches_its_formula(dtype, gamma, alpha, weighted, shape,
                                                   reduction, seed):
    r = np.random.default_rng(seed)
    x = (r.normal(size=shape) * 3).astype(dtype)
    y = r.integers(0, shape[1], shape[:1] + shape[2:])
    alpha_value = {"none": None, "float": 0.3,
                   "tensor": r.uniform(0.1, 1, shape[1]).astype(dtype)}[alpha]
    weight = r.uniform(0.2, 2, shape[1]).astype(dtype) if weighted else None

    def as_lib(lib, value):
        return lib.tensor(value) if isinstance(value, np.ndarray) else value

    compare(lambda a, b: F.focal_loss(a, b, as_lib(gg, alpha_value), gamma, reduction,
                                      "multiclass", as_lib(gg, weight)),
            lambda a, b: multiclass_formula(a, b, as_lib(torch, alpha_value), gamma, reduction,
                                            as_lib(torch, weight)), x, y, dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multiclass_focal_loss_without_focus_or_balance_is_the_weighted_cross_entropy(reduction):
    r = np.random.default_rng(2)
    x = (r.normal(size=(6, 4, 2)) * 2).astype(np.float32)
    y = r.integers(0, 4, (6, 2))
    w = r.uniform(0.5, 2, 4).astype(np.float32)
    for weight in (None, w):
        ours = {} if weight is None else {"weight": gg.tensor(weight)}
        theirs = {} if weight is None else {"weight": torch.tensor(weight)}
        check_parity(lambda a, b: F.focal_loss(a, b, alpha=None, gamma=0.0, task="multiclass",
                                               reduction=reduction, **ours), [x, y],
                     torch_fn=lambda a, b: TF.cross_entropy(a, b, reduction=reduction, **theirs))


def test_multiclass_focal_loss_of_a_single_sample_and_at_huge_logits():
    x = np.array([0.5, -1.0, 2.0], np.float32)
    compare(lambda a, b: F.focal_loss(a, b, task="multiclass"),
            lambda a, b: multiclass_formula(a[None], b[None], 0.25, 2.0, "mean"),
            x, np.array(1), np.float32)
    big = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [1e4, 1e4, -1e4]], np.float32)
    y = np.array([1, 1, 2])
    out = compare(lambda a, b: F.focal_loss(a, b, None, 2.0, "none", "multiclass"),
                  lambda a, b: multiclass_formula(a, b, None, 2.0, "none"), big, y, np.float32)
    assert out.tolist() == [2e4, 0.0, pytest.approx(2e4 + np.log(2))]


# ----------------------------------------------------------------------------- gradcheck
def test_focal_loss_gradcheck_and_gradgradcheck():
    r = np.random.default_rng(3)
    x = r.normal(size=(3, 4)) * 2
    t = r.uniform(0.05, 0.95, (3, 4))
    gradcheck_both(lambda a, b: F.focal_loss(a, b), [x, t])
    gradcheck_both(lambda a, b: F.focal_loss(a, b, alpha=-1, gamma=1.5, reduction="none"), [x, t])
    y = gg.tensor(r.integers(0, 4, 3))
    alpha = gg.tensor([0.1, 0.4, 0.3, 0.2], dtype=gg.float64)
    weight = gg.tensor([1.0, 2.0, 0.5, 1.5], dtype=gg.float64)
    gradcheck_both(lambda a: F.focal_loss(a, y, alpha, 2.0, "mean", "multiclass", weight), [x])
    gradcheck_both(lambda a: F.focal_loss(a, y, 0.5, 3.0, "none", "multiclass"), [x])


# ----------------------------------------------------------------------------- module, errors
def test_focal_loss_module():
    loss = nn.FocalLoss()
    assert repr(loss) == "FocalLoss(alpha=0.25, gamma=2.0, reduction='mean', task='binary')"
    assert (loss.alpha, loss.gamma, loss.reduction, loss.task) == (0.25, 2.0, "mean", "binary")
    assert list(loss.state_dict()) == [] and list(loss.parameters()) == []
    alpha, weight = gg.tensor([0.2, 0.3, 0.5]), gg.tensor([1.0, 2.0, 1.0])
    multi = nn.FocalLoss(alpha=alpha, gamma=1.0, task="multiclass", weight=weight)
    assert sorted(multi.state_dict()) == ["alpha", "weight"]
    x, y = gg.randn(4, 3), gg.tensor([0, 2, 1, 1])
    assert_close(multi(x, y), F.focal_loss(x, y, alpha, 1.0, "mean", "multiclass", weight),
                 rtol=0, atol=0)
    assert isinstance(multi, nn.Module) and "FocalLoss" in nn.__all__


def test_focal_loss_errors():
    x, t = gg.randn(3, 4), gg.rand(3, 4)
    with pytest.raises(ValueError, match="task must be 'binary' or 'multiclass', got 'multi'"):
        F.focal_loss(x, t, task="multi")
    with pytest.raises(ValueError, match="task must be 'binary' or 'multiclass'"):
        nn.FocalLoss(task="softmax")
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.focal_loss(x, t, reduction="avg")
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.FocalLoss(reduction="avg")
    with pytest.raises(ValueError, match="gamma must be >= 0, got -1"):
        F.focal_loss(x, t, gamma=-1)
    with pytest.raises(TypeError, match="alpha of the binary task is a float"):
        F.focal_loss(x, t, alpha=gg.tensor([0.5]))
    with pytest.raises(ValueError, match=r"Target size \(glassgrad.Size\(\[3\]\)\) must be the "
                                         r"same as input size \(glassgrad.Size\(\[3, 4\]\)\)"):
        F.focal_loss(x, gg.rand(3))
    y = gg.tensor([0, 1, 5])
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F.focal_loss(x, y, task="multiclass")
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got "
                                           "Float"):
        F.focal_loss(x, gg.tensor([0.0, 1.0, 2.0]), task="multiclass")
    with pytest.raises(ValueError, match=r"alpha should hold one value per class \(4\), got "
                                         r"shape \[3\]"):
        F.focal_loss(x, gg.tensor([0, 1, 2]), alpha=gg.ones(3), task="multiclass")
