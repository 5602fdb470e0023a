"""The learning-rate range test."""

import numpy as np
import pytest
from train_helpers import assert_same_weights, classification_data, loaders, mlp, weights

from glassgrad import nn, optim
from glassgrad.train import LRFinderResult, Trainer


def test_lr_find_sweeps_exponentially_and_restores_the_model():
    x, y = classification_data(n=256)
    model = mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.123)
    before = weights(model)
    result = Trainer(progress=False).lr_find(model, loaders(x, y)[0], optimizer=optimizer,
                                             loss_fn=nn.CrossEntropyLoss(), min_lr=1e-4,
                                             max_lr=10.0, num_training=60)
    assert result.lrs[0] == pytest.approx(1e-4)
    ratios = np.diff(np.log(result.lrs))
    np.testing.assert_allclose(ratios, ratios[0])
    assert 1e-4 < result.suggestion() < 10.0
    assert_same_weights(weights(model), before)
    assert optimizer.param_groups[0]["lr"] == 0.123
    assert optimizer.state == {} or all(not s for s in optimizer.state.values())


def test_suggestion_is_the_steepest_descent():
    lrs = np.logspace(-5, 0, 40)
    losses = 2.0 - np.tanh(4 * (np.log10(lrs) + 2.5))   # falls fastest at lr = 10^-2.5
    assert LRFinderResult(lrs, losses).suggestion(skip_begin=0, skip_end=0) == pytest.approx(
        10 ** -2.5, rel=0.2)
    assert LRFinderResult([1e-3, 1e-2], [1.0, 0.5]).suggestion() is None


def test_lr_find_validates_its_range():
    with pytest.raises(ValueError, match="min_lr < max_lr"):
        Trainer(progress=False).lr_find(mlp(), [], loss_fn=nn.MSELoss(), min_lr=1.0, max_lr=0.1)
