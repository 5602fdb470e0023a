"""layer_norm / batch_norm (fused primitives) and LayerNorm / BatchNorm1d/2d/3d against PyTorch:
outputs, input and parameter gradients, second derivatives, running statistics over several
steps (momentum, cumulative average), train and eval modes, the composite they replace, errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from parity import TOLERANCES, assert_close, check_parity, gradcheck_both

import glassgrad as gg
import glassgrad.nn as nn
import glassgrad.nn.functional as F

RNG = np.random.default_rng(0)


def tol(dtype):
    """Parity tolerances. In float32 the weight and bias gradients are sums over the batch of
    float32 products, and both libraries land a few 1e-6 from the exact value (up to 6e-6 for
    40 terms, measured against float64), so float32 keeps rtol 1e-5 with an absolute floor of
    1e-5 instead of 1e-6."""
    if np.dtype(dtype) == np.float32:
        return {"rtol": 1e-5, "atol": 1e-5}
    return dict(TOLERANCES[np.float64])


def both(fn):
    """fn(functional, lib, *tensors) as (glassgrad callable, torch callable)."""
    return (lambda *t: fn(F, gg, *t)), (lambda *t: fn(TF, torch, *t))


def copy_state(ours, theirs):
    """Give our module torch's parameters and buffers."""
    ours.load_state_dict({k: gg.tensor(v.detach().numpy().copy())
                          for k, v in theirs.state_dict().items()})


def randomize(module):
    """Non-trivial weights and running statistics for a torch module."""
    with torch.no_grad():
        for name, value in module.named_parameters():
            value.copy_(torch.randn(value.shape, dtype=value.dtype))
        for name, value in module.named_buffers():
            if name.endswith("running_var"):
                value.copy_(torch.rand(value.shape, dtype=value.dtype) + 0.5)
            elif name.endswith("running_mean"):
                value.copy_(torch.randn(value.shape, dtype=value.dtype))


# ----------------------------------------------------------------------------- layer_norm
@settings(max_examples=15)
@given(data=st.data())
def test_layer_norm_matches_torch(data):
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    k = data.draw(st.integers(1, len(shape)))
    normalized = shape[len(shape) - k:]
    # one element normalised alone has x_hat = 0 exactly; torch's float32 Welford pass leaves
    # noise there that rstd = 1/sqrt(eps) amplifies, so that degenerate case is left out
    assume(np.prod(normalized) > 1 or dtype == np.float64)
    affine = data.draw(st.sampled_from(["both", "weight", "none"]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))  # reproducible draws
    x = rng.normal(size=shape).astype(dtype) * 3 + 1
    w = rng.normal(size=normalized).astype(dtype)
    b = rng.normal(size=normalized).astype(dtype)
    # a group whose values (nearly) coincide is ill-conditioned in float32: 1/std amplifies the
    # rounding of either library's statistics beyond any sensible tolerance
    groups = x.reshape(-1, int(np.prod(normalized)))
    assume(dtype == np.float64 or groups.shape[1] == 1 or groups.std(axis=1).min() > 0.1)
    if affine == "both":
        ours, theirs = both(lambda f, lib, t, w, b: f.layer_norm(t, normalized, w, b))
        check_parity(ours, [x, w, b], torch_fn=theirs, **tol(dtype))
    elif affine == "weight":
        ours, theirs = both(lambda f, lib, t, w: f.layer_norm(t, normalized, weight=w, eps=1e-3))
        check_parity(ours, [x, w], torch_fn=theirs, **tol(dtype))
    else:
        ours, theirs = both(lambda f, lib, t: f.layer_norm(t, list(normalized)))
        check_parity(ours, [x], torch_fn=theirs, **tol(dtype))


def test_layer_norm_gradcheck_and_second_derivatives():
    x = RNG.normal(size=(2, 3, 4))
    w, b = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    gradcheck_both(lambda t, w, b: F.layer_norm(t, (3, 4), w, b), [x, w, b])
    gradcheck_both(lambda t: F.layer_norm(t, (4,)), [x])
    compare_second_derivatives(lambda f, lib, t, w, b: f.layer_norm(t, (4,), w[0], b[0]),
                               [x, w, b])


def test_fused_layer_norm_equals_the_composite_it_replaces():
    x, w, b = RNG.normal(size=(5, 6)), RNG.normal(size=6), RNG.normal(size=6)

    def composite(t, w, b):
        mean = t.mean(-1, keepdim=True)
        var = ((t - mean) ** 2).mean(-1, keepdim=True)
        return (t - mean) / (var + 1e-5).sqrt() * w + b

    upstream = gg.tensor(RNG.normal(size=(5, 6)))
    results = []
    for fn in (lambda t, w, b: F.layer_norm(t, (6,), w, b), composite):
        inputs = [gg.tensor(a, requires_grad=True) for a in (x, w, b)]
        out = fn(*inputs)
        out.backward(upstream)
        results.append([out] + [i.grad for i in inputs])
    for fused, plain in zip(*results):
        assert_close(fused, plain, rtol=1e-10, atol=1e-12)


def test_layer_norm_module_matches_torch():
    for args, kwargs, shape in [((4,), {}, (3, 4)), (((3, 4),), {"eps": 1e-3}, (2, 3, 4)),
                                ((4,), {"bias": False}, (2, 5, 4)),
                                ([4], {"elementwise_affine": False}, (3, 4))]:
        theirs = torch.nn.LayerNorm(*args, **kwargs)
        randomize(theirs)
        ours = nn.LayerNorm(*args, **kwargs)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        copy_state(ours, theirs)
        check_module(ours, theirs, RNG.normal(size=shape).astype(np.float32))


def test_layer_norm_defaults_and_float64_module():
    norm = nn.LayerNorm(3)
    assert norm.weight.tolist() == [1.0, 1.0, 1.0] and norm.bias.tolist() == [0.0, 0.0, 0.0]
    assert norm.normalized_shape == (3,) and norm.eps == 1e-5
    theirs = torch.nn.LayerNorm(3).double()
    randomize(theirs)
    ours = nn.LayerNorm(3).double()
    copy_state(ours, theirs)
    check_module(ours, theirs, RNG.normal(size=(4, 3)))


def test_layer_norm_errors_like_torch():
    for f, lib in ((F, gg), (TF, torch)):
        with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input "
                                               r"with shape \[\*, 4\], but got input of "
                                               r"size\[2, 3\]"):
            f.layer_norm(lib.ones(2, 3), (4,))
        with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[2, 3, 4\]"):
            f.layer_norm(lib.ones(2, 3), (2, 3, 4))
        with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as "
                                               r"normalized_shape, but got weight of shape \[4\] "
                                               r"and normalized_shape = \[3\]"):
            f.layer_norm(lib.ones(2, 3), (3,), weight=lib.ones(4))
        with pytest.raises(RuntimeError, match="Expected bias to be of same shape"):
            f.layer_norm(lib.ones(2, 3), (3,), bias=lib.ones(4))
        with pytest.raises(TypeError, match="must be tuple of ints, not int"):
            f.layer_norm(lib.ones(2, 3), 3)
        with pytest.raises(RuntimeError, match="at least 1-dimensional"):
            f.layer_norm(lib.ones(2, 3), ())
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            f.layer_norm(lib.ones(2, 3, dtype=lib.long), (3,))
    for module, lib in ((nn, gg), (torch.nn, torch)):
        with pytest.raises(RuntimeError, match=r"expected input with shape \[\*, 2, 3\]"):
            module.LayerNorm((2, 3))(lib.ones(2, 3, 2))


# ----------------------------------------------------------------------------- batch_norm
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_functional_matches_torch(shape, dtype):
    x = (RNG.normal(size=shape) * 2 + 1).astype(dtype)
    w, b = RNG.normal(size=3).astype(dtype), RNG.normal(size=3).astype(dtype)
    mean, var = RNG.normal(size=3).astype(dtype), (RNG.random(3) + 0.5).astype(dtype)
    for training in (True, False):
        ours, theirs = both(lambda f, lib, t, w, b: f.batch_norm(
            t, lib.tensor(mean), lib.tensor(var), w, b, training=training, momentum=0.3,
            eps=1e-4))
        check_parity(ours, [x, w, b], torch_fn=theirs, **tol(dtype))
    ours, theirs = both(lambda f, lib, t: f.batch_norm(t, None, None, training=True))
    check_parity(ours, [x], torch_fn=theirs, **tol(dtype))


def test_batch_norm_functional_updates_running_stats_in_place_like_torch():
    x = RNG.normal(size=(5, 3, 4)).astype(np.float32) * 3 + 2
    stats = {}
    for f, lib in ((F, gg), (TF, torch)):
        mean, var = lib.zeros(3), lib.ones(3)
        for momentum in (0.1, 0.5, 1.0):
            f.batch_norm(lib.tensor(x), mean, var, training=True, momentum=momentum)
        stats[lib.__name__] = (mean, var)
        f.batch_norm(lib.tensor(x), mean, var, training=False)  # evaluation changes nothing
    for ours, theirs in zip(stats["glassgrad"], stats["torch"]):
        assert_close(ours, theirs)


def test_batch_norm_gradcheck_and_second_derivatives():
    x = RNG.normal(size=(4, 3, 2))
    w, b = RNG.normal(size=3), RNG.normal(size=3)
    mean, var = gg.tensor(RNG.normal(size=3)), gg.tensor(RNG.random(3) + 0.5)
    gradcheck_both(lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True), [x, w, b])
    gradcheck_both(lambda t, w, b: F.batch_norm(t, mean, var, w, b), [x, w, b])
    gradcheck_both(lambda t: F.batch_norm(t, None, None, training=True), [x[:, :, 0]])
    compare_second_derivatives(lambda f, lib, t, w, b: f.batch_norm(t, None, None, w, b, True),
                               [x, w, b])


def test_fused_batch_norm_equals_the_composite_it_replaces():
    x, w, b = RNG.normal(size=(4, 3, 5)), RNG.normal(size=3), RNG.normal(size=3)

    def composite(t, w, b):
        mean = t.mean((0, 2), keepdim=True)
        var = ((t - mean) ** 2).mean((0, 2), keepdim=True)
        return (t - mean) / (var + 1e-5).sqrt() * w.reshape(1, 3, 1) + b.reshape(1, 3, 1)

    upstream = gg.tensor(RNG.normal(size=(4, 3, 5)))
    results = []
    for fn in (lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True), composite):
        inputs = [gg.tensor(a, requires_grad=True) for a in (x, w, b)]
        out = fn(*inputs)
        out.backward(upstream)
        results.append([out] + [i.grad for i in inputs])
    for fused, plain in zip(*results):
        assert_close(fused, plain, rtol=1e-10, atol=1e-12)


BATCHNORMS = [
    ("BatchNorm1d", (3,), {}, (8, 3)),
    ("BatchNorm1d", (3,), {}, (4, 3, 5)),
    ("BatchNorm1d", (3,), {"affine": False}, (6, 3)),
    ("BatchNorm1d", (3,), {"bias": False, "eps": 1e-3}, (4, 3, 2)),
    ("BatchNorm2d", (3,), {}, (4, 3, 5, 6)),
    ("BatchNorm2d", (3,), {"momentum": None}, (2, 3, 4, 4)),
    ("BatchNorm2d", (3,), {"momentum": 0.5, "eps": 1e-2}, (2, 3, 3, 2)),
    ("BatchNorm2d", (3,), {"track_running_stats": False}, (3, 3, 2, 2)),
    ("BatchNorm3d", (2,), {}, (2, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", BATCHNORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_modules_over_several_steps_match_torch(name, args, kwargs, shape, dtype):
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    ours = getattr(nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if dtype == np.float64:
        theirs, ours = theirs.double(), ours.double()
    if theirs.affine:
        randomize(theirs)
        copy_state(ours, theirs)
    for step, training in enumerate([True, True, True, False, True, False]):
        ours.train(training)
        theirs.train(training)
        x = (RNG.normal(size=shape) * (step + 1) + step).astype(dtype)
        check_module(ours, theirs, x)
        for key, value in theirs.state_dict().items():
            assert_close(ours.state_dict()[key], value, what=key, **tol(dtype))
    if theirs.track_running_stats:
        assert ours.num_batches_tracked.item() == 4


def test_batch_norm_defaults_and_reset():
    bn = nn.BatchNorm2d(2)
    assert bn.weight.tolist() == [1.0, 1.0] and bn.bias.tolist() == [0.0, 0.0]
    assert bn.running_mean.tolist() == [0.0, 0.0] and bn.running_var.tolist() == [1.0, 1.0]
    assert bn.num_batches_tracked.dtype == gg.int64 and bn.num_batches_tracked.item() == 0
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    bn(gg.randn(4, 2, 3, 3) * 5 + 3)
    assert bn.num_batches_tracked.item() == 1 and bn.running_mean.abs().sum().item() > 0
    bn.reset_parameters()
    assert bn.running_mean.tolist() == [0.0, 0.0] and bn.running_var.tolist() == [1.0, 1.0]
    assert bn.num_batches_tracked.item() == 0
    plain = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert plain.weight is None and plain.running_mean is None
    assert list(plain.state_dict()) == []


def test_batch_norm_eval_uses_running_statistics_per_sample():
    bn = nn.BatchNorm1d(2).eval()
    with gg.no_grad():
        bn.running_mean.copy_(gg.tensor([1.0, -1.0]))
        bn.running_var.copy_(gg.tensor([4.0, 0.25]))
    one = bn(gg.tensor([[3.0, 0.0]]))  # a batch of one is fine in evaluation
    assert_close(one, gg.tensor([[2.0, 1.0]]) / gg.tensor([4.0 + 1e-5, 0.25 + 1e-5]).sqrt(),
                 rtol=1e-6)
    assert bn.num_batches_tracked.item() == 0


def test_batch_norm_errors_like_torch():
    for module, lib in ((nn, gg), (torch.nn, torch)):
        with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
            module.BatchNorm1d(3)(lib.ones(4, 4))
        with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 1D input\)"):
            module.BatchNorm1d(3)(lib.ones(4))
        with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
            module.BatchNorm1d(3)(lib.ones(2, 3, 2, 2))
        with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
            module.BatchNorm2d(3)(lib.ones(4, 3, 2))
        with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when "
                                             r"training, got input size \w+\.Size\(\[1, 3\]\)"):
            module.BatchNorm1d(3)(lib.ones(1, 3))
    for f, lib in ((F, gg), (TF, torch)):
        x = lib.ones(4, 3)
        with pytest.raises(RuntimeError, match="running_var should contain 3 elements not 4"):
            f.batch_norm(x, lib.zeros(3), lib.ones(4), training=True)
        with pytest.raises(RuntimeError, match="weight should contain 3 elements not 2"):
            f.batch_norm(x, None, None, lib.ones(2), training=True)
        with pytest.raises(RuntimeError, match="bias should contain 3 elements not 5"):
            f.batch_norm(x, None, None, lib.ones(3), lib.ones(5), training=True)
        with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation"):
            f.batch_norm(x, None, None, training=False)
        with pytest.raises(RuntimeError, match="running_var must be defined in evaluation"):
            f.batch_norm(x, lib.zeros(3), None, training=False)
        with pytest.raises(ValueError, match="must either both be None or neither be None"):
            f.batch_norm(x, lib.zeros(3), None, training=True)
        with pytest.raises(ValueError, match="eps must be positive during training"):
            f.batch_norm(x, None, None, training=True, eps=0.0)
        with pytest.raises(ValueError, match="eps must be non-negative, but got -1"):
            f.batch_norm(x, lib.zeros(3), lib.ones(3), eps=-1)


def test_grad_fn_names_match_torch():
    for f, lib in ((F, gg), (TF, torch)):
        x = lib.ones(4, 3, requires_grad=True)
        assert f.layer_norm(x, (3,)).grad_fn.name() == "NativeLayerNormBackward0"
        assert f.batch_norm(x, None, None, training=True).grad_fn.name() == \
            "NativeBatchNormBackward0"


# ----------------------------------------------------------------------------- helpers
def check_module(ours, theirs, x):
    """Same output, input gradient and parameter gradients for one forward/backward."""
    check_parity(lambda t: ours(t), [x], torch_fn=lambda t: theirs(t), **tol(x.dtype))
    for (name, mine), (_, other) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(mine.grad, other.grad, what=name, **tol(x.dtype))
        mine.grad, other.grad = None, None


def compare_second_derivatives(fn, arrays):
    """The gradients from a create_graph=True pass and a second derivative equal torch's."""
    results = []
    for f, lib in ((F, gg), (TF, torch)):
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(f, lib, *inputs)
        weights = lib.tensor(np.linspace(-1, 2, out.numel()).reshape(tuple(out.shape)))
        grads = lib.autograd.grad((out * out * weights).sum(), inputs, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), inputs)
        results.append(list(grads) + list(second))
    for ours, theirs in zip(*results):
        assert_close(ours, theirs, rtol=1e-8, atol=1e-10)
