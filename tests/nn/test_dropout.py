"""Dropout (F.dropout and nn.Dropout): the fraction zeroed is about p, kept values are scaled by
1 / (1 - p), the gradient uses the same mask, evaluation mode is the identity, manual_seed makes
it reproducible, and the errors and reprs are PyTorch's."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from parity import assert_close

import glassgrad as gg
import glassgrad.nn as nn
import glassgrad.nn.functional as F


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [gg.float32, gg.float64])
def test_fraction_zeroed_is_p_and_kept_values_are_scaled(p, dtype):
    gg.manual_seed(0)
    x = gg.rand(200, 500, dtype=dtype) + 0.5  # no zeros in the input
    out = F.dropout(x, p=p).numpy()
    dropped = out == 0
    n = dropped.size
    assert abs(dropped.mean() - p) < 4 * np.sqrt(p * (1 - p) / n)  # within 4 standard errors
    scale = np.asarray(1, out.dtype) / np.asarray(1 - p, out.dtype)
    np.testing.assert_array_equal(out[~dropped], x.numpy()[~dropped] * scale)
    assert out.dtype == x.numpy().dtype


def test_mean_is_preserved_in_expectation():
    gg.manual_seed(1)
    out = nn.Dropout(0.3)(gg.ones(1_000_000, dtype=gg.float64))
    assert abs(out.mean().item() - 1.0) < 4 * np.sqrt(0.3 / 0.7 / 1_000_000)


def test_gradient_is_the_same_mask_scaled():
    gg.manual_seed(2)
    x = gg.randn(50, 40, requires_grad=True)
    out = F.dropout(x, p=0.4)
    upstream = gg.randn(50, 40)
    out.backward(upstream)
    kept = out.detach().numpy() != 0
    expected = np.where(kept, upstream.numpy() / np.float32(0.6), 0).astype(np.float32)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)
    assert out.grad_fn.name() == TF.dropout(torch.ones(2, requires_grad=True)).grad_fn.name()


def test_same_seed_same_mask_and_different_seeds_differ():
    def run(seed):
        gg.manual_seed(seed)
        return nn.Dropout(0.5)(gg.ones(1000)).numpy()

    np.testing.assert_array_equal(run(7), run(7))
    assert (run(7) != run(8)).any()
    gg.manual_seed(7)
    first, second = F.dropout(gg.ones(1000)).numpy(), F.dropout(gg.ones(1000)).numpy()
    assert (first != second).any()  # consecutive calls draw fresh masks


def test_eval_mode_and_training_false_are_the_identity():
    drop = nn.Dropout(0.9)
    x = gg.randn(4, 5, requires_grad=True)
    assert drop.eval()(x) is x
    assert F.dropout(x, 0.9, training=False) is x
    assert F.dropout(x, 0.0) is x
    th = torch.ones(3, requires_grad=True)
    assert TF.dropout(th, training=False) is th  # the same behaviour in torch
    assert drop.train()(x) is not x


def test_p_one_zeroes_everything_with_zero_gradient():
    for lib, functional in ((gg, F), (torch, TF)):
        x = lib.ones(3, 4, requires_grad=True)
        out = functional.dropout(x, p=1.0)
        assert (out == 0).all()
        out.sum().backward()
        assert (x.grad == 0).all()


def test_in_place_dropout():
    gg.manual_seed(3)
    x = gg.ones(100)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and x._version > 0
    assert set(np.unique(x.numpy())) == {0.0, 2.0}
    leaf = gg.ones(3, requires_grad=True)
    for lib, value in ((F, leaf), (TF, torch.ones(3, requires_grad=True))):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            lib.dropout(value, inplace=True)
    z = gg.ones(6, requires_grad=True)
    out = nn.Dropout(0.5, inplace=True)(z * 1)
    out.sum().backward()
    assert_close(z.grad, out.detach())  # ones * mask / (1 - p) is the gradient too


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_p_outside_zero_one_is_refused(p):
    for module, functional, lib in ((nn, F, gg), (torch.nn, TF, torch)):
        message = f"dropout probability has to be between 0 and 1, but got {p}"
        with pytest.raises(ValueError, match=message):
            module.Dropout(p)
        with pytest.raises(ValueError, match=message):
            functional.dropout(lib.ones(2), p)


def test_integer_input_is_refused_like_torch():
    for functional, lib in ((F, gg), (TF, torch)):
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                               "output type Long"):
            functional.dropout(lib.ones(3, dtype=lib.long))


def test_repr_and_state_match_torch():
    for args in [(), (0.2,), (0.3, True)]:
        assert repr(nn.Dropout(*args)) == repr(torch.nn.Dropout(*args))
    drop = nn.Dropout()
    assert drop.p == 0.5 and not drop.inplace
    assert list(drop.parameters()) == [] and drop.state_dict() == {}


def test_empty_input():
    x = gg.ones(0, 3)
    assert F.dropout(x).shape == (0, 3)
