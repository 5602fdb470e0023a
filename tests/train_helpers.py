"""Small models and data shared by the Trainer tests."""

import numpy as np

import glassgrad as gg
from glassgrad import nn
from glassgrad.utils.data import DataLoader, TensorDataset


def classification_data(n=96, features=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    w = rng.normal(size=(features, classes))
    y = (x @ w).argmax(axis=1)
    return gg.tensor(x), gg.tensor(y)


def regression_data(n=80, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = (x @ rng.normal(size=(features, 1)) + 0.1 * rng.normal(size=(n, 1))).astype(np.float32)
    return gg.tensor(x), gg.tensor(y)


def loaders(x, y, batch_size=16, shuffle=True, val=True):
    train = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)
    valid = DataLoader(TensorDataset(x[:32], y[:32]), batch_size=32) if val else None
    return train, valid


def mlp(features=6, outputs=3, dropout=0.0, seed=0):
    gg.manual_seed(seed)
    layers = [nn.Linear(features, 16), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(16, outputs))


def weights(model):
    return {key: value.numpy().copy() for key, value in model.state_dict().items()}


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
