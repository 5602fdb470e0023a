"""clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_,
parameters_to_vector and vector_to_parameters against torch.nn.utils, on the same gradients."""

import math
import warnings

import numpy as np
import pytest
import torch
from parity import assert_close

import glassgrad as gg
import glassgrad.nn as nn

RNG = np.random.default_rng(0)


def twin_params(shapes, scale=1.0, dtypes=None):
    """Parameters with the same values and gradients in both libraries."""
    ours, theirs = [], []
    for i, shape in enumerate(shapes):
        dtype = (dtypes or [np.float32] * len(shapes))[i]
        value = RNG.standard_normal(shape).astype(dtype)
        grad = (scale * RNG.standard_normal(shape)).astype(dtype)
        p, q = nn.Parameter(gg.tensor(value)), torch.nn.Parameter(torch.tensor(value))
        p.grad, q.grad = gg.tensor(grad), torch.tensor(grad)
        ours.append(p)
        theirs.append(q)
    return ours, theirs


SHAPES = [(3, 4), (4,), (2, 2, 2), ()]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0, -math.inf])
@pytest.mark.parametrize("max_norm, scale", [(1.0, 1.0), (100.0, 1.0), (0.5, 1e-3),
                                             (1e-3, 1e-3)])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, scale):
    ours, theirs = twin_params(SHAPES, scale)
    total_g = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total_g, gg.Tensor) and total_g.shape == ()
    assert_close(total_g, total_t)
    for p, q in zip(ours, theirs):
        assert_close(p.grad, q.grad, what="clipped grad")


def test_clip_grad_norm_rescales_to_max_norm():
    ours, _ = twin_params(SHAPES, scale=10.0)
    grads = [p.grad for p in ours]
    before = math.sqrt(sum(float((g.numpy() ** 2).sum()) for g in grads))
    total = nn.utils.clip_grad_norm_(iter(ours), max_norm=2.0)
    assert total.item() == pytest.approx(before, rel=1e-6)
    after = math.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in ours))
    assert after == pytest.approx(2.0, rel=1e-5)
    assert all(p.grad is g for p, g in zip(ours, grads))  # rescaled in place


def test_clip_grad_norm_skips_missing_grads_and_accepts_one_tensor():
    ours, theirs = twin_params([(3,), (2,)])
    ours[1].grad, theirs[1].grad = None, None
    assert_close(nn.utils.clip_grad_norm_(ours, 0.1, foreach=True),
                 torch.nn.utils.clip_grad_norm_(theirs, 0.1, foreach=True))
    assert ours[1].grad is None
    assert_close(ours[0].grad, theirs[0].grad)
    single, single_t = twin_params([(5,)])
    assert_close(nn.utils.clip_grad_norm_(single[0], 0.5),
                 torch.nn.utils.clip_grad_norm_(single_t[0], 0.5))
    assert_close(single[0].grad, single_t[0].grad)


def test_clip_grad_norm_with_nothing_to_clip():
    assert_close(nn.utils.clip_grad_norm_([], 1.0), torch.nn.utils.clip_grad_norm_([], 1.0))
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        nn.utils.clip_grad_norm_((p for p in []), 1.0)
    no_grad, _ = twin_params([(2,)])
    no_grad[0].grad = None
    assert nn.utils.clip_grad_norm_(no_grad, 1.0).item() == 0.0


def test_clip_grad_norm_mixed_dtypes_match_torch():
    ours, theirs = twin_params([(3,), (4,)], dtypes=[np.float32, np.float64])
    total_g = nn.utils.clip_grad_norm_(ours, 0.3)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, 0.3)
    assert_close(total_g, total_t)
    for p, q in zip(ours, theirs):
        assert_close(p.grad, q.grad)


def test_clip_grad_norm_non_finite():
    ours, theirs = twin_params([(3,), (2,)])
    ours[0].grad[1] = float("nan")
    theirs[0].grad[1] = float("nan")
    with pytest.raises(RuntimeError) as ours_error:
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as their_error:
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    assert str(ours_error.value) == str(their_error.value)
    assert_close(nn.utils.clip_grad_norm_(ours, 1.0), torch.nn.utils.clip_grad_norm_(theirs, 1.0))
    for p, q in zip(ours, theirs):  # scaled by a nan factor, as torch does
        assert_close(p.grad, q.grad)


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    ours, theirs = twin_params(SHAPES)
    norm_g = nn.utils.get_total_norm([p.grad for p in ours], norm_type=3.0)
    norm_t = torch.nn.utils.get_total_norm([q.grad for q in theirs], norm_type=3.0)
    assert_close(norm_g, norm_t)
    nn.utils.clip_grads_with_norm_(ours, 0.7, norm_g)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.7, norm_t)
    for p, q in zip(ours, theirs):
        assert_close(p.grad, q.grad)


@pytest.mark.parametrize("clip_value", [0.5, 1, 10.0])
def test_clip_grad_value_matches_torch(clip_value):
    ours, theirs = twin_params(SHAPES, scale=2.0)
    assert nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, q in zip(ours, theirs):
        assert_close(p.grad, q.grad)
        assert np.abs(p.grad.numpy()).max() <= clip_value
    single, single_t = twin_params([(6,)], scale=3.0)
    nn.utils.clip_grad_value_(single[0], 0.1, foreach=False)
    torch.nn.utils.clip_grad_value_(single_t[0], 0.1, foreach=False)
    assert_close(single[0].grad, single_t[0].grad)


def test_seed_example_clipping_step_matches_torch():
    """grad_clipping_weight_decay.py's model: loss, grads, total norm and clipped grads."""
    results = []
    for L in (gg, torch):
        weight = L.nn.Parameter(L.tensor([[3.0, -4.0]]))
        bias = L.nn.Parameter(L.tensor([0.5]))
        x = L.tensor([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5]])
        y = L.tensor([[1.0], [0.0], [2.0]])
        loss = ((x @ weight.T + bias - y) ** 2).mean()
        loss.backward()
        total = L.nn.utils.clip_grad_norm_([weight, bias], max_norm=1.0)
        norm_after = L.sqrt((weight.grad ** 2).sum() + (bias.grad ** 2).sum())
        results.append([loss.item(), total.item(), norm_after.item()]
                       + weight.grad[0].tolist() + bias.grad.tolist())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


# ----------------------------------------------------------------------------- vectors
def test_parameters_to_vector_matches_torch_and_is_differentiable():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    vec_g = nn.utils.parameters_to_vector(ours.parameters())
    vec_t = torch.nn.utils.parameters_to_vector(theirs.parameters())
    assert_close(vec_g, vec_t)
    weights = RNG.standard_normal(vec_t.shape[0]).astype(np.float32)
    (vec_g * gg.tensor(weights)).sum().backward()
    (vec_t * torch.tensor(weights)).sum().backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad, q.grad)


def test_vector_to_parameters_round_trip_and_parity():
    ours = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    original = nn.utils.parameters_to_vector(ours.parameters()).detach().numpy().copy()
    new = RNG.standard_normal(original.shape).astype(np.float32)
    weight = ours[0].weight
    nn.utils.vector_to_parameters(gg.tensor(new), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs.parameters())
    assert ours[0].weight is weight  # the same Parameter objects, new values
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.detach(), q.detach(), what=name)
    round_trip = nn.utils.parameters_to_vector(ours.parameters()).detach().numpy()
    np.testing.assert_array_equal(round_trip, new)
    nn.utils.vector_to_parameters(gg.tensor(original), ours.parameters())
    np.testing.assert_array_equal(
        nn.utils.parameters_to_vector(ours.parameters()).detach().numpy(), original)
    with pytest.raises(TypeError) as ours_error:
        nn.utils.vector_to_parameters([1.0], ours.parameters())
    with pytest.raises(TypeError) as their_error:
        torch.nn.utils.vector_to_parameters([1.0], theirs.parameters())
    assert str(ours_error.value).replace("glassgrad", "torch") == str(their_error.value)


def test_clip_in_a_training_step():
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    x, y = gg.randn(16, 4), gg.randn(16, 1)
    ((model(x) - y) ** 2).mean().mul(1000).backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    assert total.item() > 0.5
    assert nn.utils.get_total_norm([p.grad for p in model.parameters()]).item() == \
        pytest.approx(0.5, rel=1e-5)
