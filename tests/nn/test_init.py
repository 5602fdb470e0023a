"""nn.init against torch.nn.init: the deterministic initialisers and calculate_gain value for
value, the random ones by their bounds and statistics, orthogonality, truncation, and
reproducibility from glassgrad's generator."""

import math

import numpy as np
import pytest
import torch

import glassgrad as gg
import glassgrad.nn as nn
from glassgrad.nn import init


def values(t):
    return t.detach().numpy()


def same_error(gg_call, torch_call):
    with pytest.raises(Exception) as theirs:
        torch_call()
    with pytest.raises(type(theirs.value)) as ours:
        gg_call()
    assert str(ours.value).replace("glassgrad", "torch") == str(theirs.value)


NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_calculate_gain_matches_torch(name):
    assert init.calculate_gain(name) == torch.nn.init.calculate_gain(name)
    assert type(init.calculate_gain(name)) is type(torch.nn.init.calculate_gain(name))


def test_calculate_gain_leaky_relu_param_and_errors():
    for param in [None, 0, 0.2, 1, 3.5, -0.1]:
        assert init.calculate_gain("leaky_relu", param) == \
            torch.nn.init.calculate_gain("leaky_relu", param)
    assert init.calculate_gain("leaky_relu", 0) == pytest.approx(math.sqrt(2))
    for bad in [True, "0.1", [0.1]]:
        same_error(lambda: init.calculate_gain("leaky_relu", bad),
                   lambda: torch.nn.init.calculate_gain("leaky_relu", bad))
    same_error(lambda: init.calculate_gain("swish"), lambda: torch.nn.init.calculate_gain("swish"))


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (6, 3, 2, 2)])
def test_fan_in_and_fan_out_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(gg.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_deterministic_initialisers_match_torch():
    pairs = [
        (lambda t: init.constant_(t, 0.3), lambda t: torch.nn.init.constant_(t, 0.3), (2, 3)),
        (init.zeros_, torch.nn.init.zeros_, (4,)),
        (init.ones_, torch.nn.init.ones_, (2, 2, 2)),
        (init.eye_, torch.nn.init.eye_, (3, 5)),
        (init.eye_, torch.nn.init.eye_, (4, 2)),
        (init.dirac_, torch.nn.init.dirac_, (4, 2, 3)),
        (init.dirac_, torch.nn.init.dirac_, (2, 3, 3, 3)),
        (lambda t: init.dirac_(t, groups=2), lambda t: torch.nn.init.dirac_(t, groups=2),
         (4, 2, 3, 3, 3)),
    ]
    for ours, theirs, shape in pairs:
        p = nn.Parameter(gg.full(shape, 7.0))
        q = torch.nn.Parameter(torch.full(shape, 7.0))
        assert ours(p) is p  # in place, on a parameter that requires grad
        theirs(q)
        np.testing.assert_array_equal(values(p), values(q))
        assert p.requires_grad and p.is_leaf and p.dtype == gg.float32
    same_error(lambda: init.eye_(gg.empty(2, 2, 2)), lambda: torch.nn.init.eye_(
        torch.empty(2, 2, 2)))
    same_error(lambda: init.dirac_(gg.empty(2, 2)), lambda: torch.nn.init.dirac_(
        torch.empty(2, 2)))
    same_error(lambda: init.xavier_uniform_(gg.empty(3)), lambda: torch.nn.init.xavier_uniform_(
        torch.empty(3)))
    same_error(lambda: init.kaiming_normal_(gg.empty(3, 3), mode="fan_avg"),
               lambda: torch.nn.init.kaiming_normal_(torch.empty(3, 3), mode="fan_avg"))


def test_init_keeps_dtype_and_bumps_version():
    t = gg.zeros(3, 4, dtype=gg.float64)
    version = t._version
    init.uniform_(t)
    assert t.dtype == gg.float64 and t._version > version


# ----------------------------------------------------------------------------- random
def stats(fn, shape=(400, 500)):
    gg.manual_seed(0)
    t = fn(gg.empty(shape))
    return values(t)


def test_uniform_and_normal_statistics():
    u = stats(lambda t: init.uniform_(t, -2.0, 3.0))
    assert u.min() >= -2.0 and u.max() <= 3.0
    assert u.mean() == pytest.approx(0.5, abs=0.01)
    assert u.std() == pytest.approx(5 / math.sqrt(12), rel=0.01)
    n = stats(lambda t: init.normal_(t, 1.5, 0.5))
    assert n.mean() == pytest.approx(1.5, abs=0.005)
    assert n.std() == pytest.approx(0.5, rel=0.01)


def test_xavier_statistics():
    fan_in, fan_out = 500, 400
    std = math.sqrt(2.0 / (fan_in + fan_out))
    u = stats(lambda t: init.xavier_uniform_(t, gain=2.0))
    bound = 2.0 * math.sqrt(3.0) * std
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.99 * bound
    assert u.std() == pytest.approx(2.0 * std, rel=0.01)
    n = stats(init.xavier_normal_)
    assert abs(n.mean()) < 0.01 * std and n.std() == pytest.approx(std, rel=0.01)


@pytest.mark.parametrize("mode, fan", [("fan_in", 500), ("fan_out", 400)])
@pytest.mark.parametrize("nonlinearity, a", [("relu", 0), ("leaky_relu", 0.2),
                                             ("leaky_relu", math.sqrt(5)), ("tanh", 0)])
def test_kaiming_statistics(mode, fan, nonlinearity, a):
    gain = torch.nn.init.calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    u = stats(lambda t: init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity))
    assert np.abs(u).max() <= math.sqrt(3.0) * std
    assert u.std() == pytest.approx(std, rel=0.01)
    n = stats(lambda t: init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity))
    assert n.std() == pytest.approx(std, rel=0.01) and abs(n.mean()) < 0.01 * std


def test_kaiming_on_zero_elements_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(gg.empty(0, 3))


def truncated_moments(mean, std, a, b):
    """Mean and std of N(mean, std^2) truncated to [a, b] (closed form)."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    m = (pdf(alpha) - pdf(beta)) / z
    v = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - m * m
    return mean + std * m, std * math.sqrt(v)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04),
                                             (0.0, 1.0, 2.0, 3.0), (1.0, 2.0, -1.0, 0.5)])
def test_trunc_normal_stays_within_bounds_with_the_right_moments(mean, std, a, b):
    t = stats(lambda t: init.trunc_normal_(t, mean, std, a, b), shape=(300, 300))
    assert t.min() >= a and t.max() <= b
    expected_mean, expected_std = truncated_moments(mean, std, a, b)
    assert t.mean() == pytest.approx(expected_mean, abs=0.01 * (b - a))
    assert t.std() == pytest.approx(expected_std, rel=0.02)


def test_trunc_normal_warns_when_mean_is_far():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(gg.empty(10), mean=10.0, std=1.0, a=-1.0, b=1.0)


@pytest.mark.parametrize("shape", [(3, 7), (7, 3), (4, 4), (6, 2, 3, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    gg.manual_seed(0)
    w = values(init.orthogonal_(gg.empty(shape), gain=2.0)).reshape(shape[0], -1) / 2.0
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-5)
    same_error(lambda: init.orthogonal_(gg.empty(3)), lambda: torch.nn.init.orthogonal_(
        torch.empty(3)))


def test_sparse_zeroes_a_fraction_of_each_column():
    gg.manual_seed(0)
    w = values(init.sparse_(gg.empty(10, 6), sparsity=0.3, std=0.5))
    assert ((w == 0).sum(axis=0) == 3).all()
    assert 0.2 < w[w != 0].std() < 0.8


def test_generators_make_draws_reproducible():
    for fn in [init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_,
               init.orthogonal_, lambda t, generator: init.trunc_normal_(t, generator=generator)]:
        a = fn(gg.empty(4, 5), generator=gg.Generator().manual_seed(7))
        b = fn(gg.empty(4, 5), generator=gg.Generator().manual_seed(7))
        np.testing.assert_array_equal(values(a), values(b))
        gg.manual_seed(3)
        c = fn(gg.empty(4, 5), generator=None)
        gg.manual_seed(3)
        d = fn(gg.empty(4, 5), generator=None)
        np.testing.assert_array_equal(values(c), values(d))
        assert not np.array_equal(values(a), values(fn(gg.empty(4, 5), generator=None)))


def test_deprecated_names_warn():
    with pytest.warns(FutureWarning, match="`nn.init.normal` is now deprecated"):
        init.normal(gg.empty(2))
