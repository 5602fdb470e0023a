"""binary_cross_entropy(_with_logits), cross_entropy and nll_loss against PyTorch: values and
gradients (for the logits and, where torch gives one, the target), float32 and float64, every
reduction; hypothesis over (N, C) and (N, C, d1, d2); float64 gradcheck and gradgradcheck, and
second derivatives against torch's; stability at logits of +-1e4; the fused cross-entropy
primitive against the composite it replaces; errors worded as torch words them. (The regression
losses, the KL divergence and the modules are in test_loss.py, the focal loss in
test_focal_loss.py; the shared helpers in tests/loss_parity.py.)"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st
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
import glassgrad.nn.functional as F


# ----------------------------------------------------------------------------- binary
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch(reduction, dtype):
    r = rng(7)
    x, t = probabilities(r, (4, 3), dtype), probabilities(r, (4, 3), dtype)
    parity("binary_cross_entropy", [x, t], reduction=reduction)
    parity("binary_cross_entropy", [x, t], reduction=reduction,
           weight=r.uniform(0.5, 2, 3).astype(dtype))  # broadcast over rows
    module_parity("BCELoss", [x, t], reduction=reduction, weight=r.uniform(0.5, 2, (4, 3)))


def test_binary_cross_entropy_clamps_the_log_at_minus_100_like_torch():
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 0.5], np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.5], np.float32)
    out = parity("binary_cross_entropy", [x, t], reduction="none")[0]
    assert out.tolist()[:2] == [100.0, 100.0]  # gradients -1e12, 1e12 and +-inf for the target


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_matches_torch(reduction, dtype):
    r = rng(8)
    z, t = (r.normal(size=(4, 3)) * 3).astype(dtype), probabilities(r, (4, 3), dtype)
    parity("binary_cross_entropy_with_logits", [z, t], reduction=reduction)
    parity("binary_cross_entropy_with_logits", [z, t], reduction=reduction,
           weight=r.uniform(0.5, 2, (4, 1)).astype(dtype),
           pos_weight=r.uniform(0.5, 4, 3).astype(dtype))
    module_parity("BCEWithLogitsLoss", [z, t], reduction=reduction,
                  pos_weight=r.uniform(0.5, 4, 3).astype(dtype))


def test_binary_cross_entropy_with_logits_is_stable_at_huge_logits():
    z = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 30.0, -30.0], np.float32)
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 1.0, 0.0], np.float32)
    for kwargs in ({}, {"pos_weight": np.float32(3.0) * np.ones(7, np.float32)}):
        out = parity("binary_cross_entropy_with_logits", [z, t], reduction="none", **kwargs)[0]
        assert np.isfinite(out.detach().numpy()).all()
        assert out.tolist()[:2] == [1e4, 3e4 if kwargs else 1e4]


def test_binary_losses_take_dtypes_like_torch():
    f32 = np.array([0.3, 0.6], np.float32)
    both = check_parity(lambda a, b: F.binary_cross_entropy_with_logits(a, b), [f32, f32 * 1.0],
                        torch_fn=lambda a, b: TF.binary_cross_entropy_with_logits(a, b))
    assert both[0].dtype == gg.float32
    # a float64 target makes a float64 loss; a float64 input with a float32 target, float32
    for x, t in ((f32, f32.astype(np.float64)), (f32.astype(np.float64), f32)):
        out = parity("binary_cross_entropy_with_logits", [x, t])[0]
        assert out.dtype == (gg.float64 if t.dtype == np.float64 else gg.float32)


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_binary_gradcheck_and_gradgradcheck(name):
    r = rng(9)
    x = probabilities(r, (2, 3), np.float64)
    t = probabilities(r, (2, 3), np.float64)
    if name == "binary_cross_entropy":
        gradcheck_both(lambda a, b: F.binary_cross_entropy(a, b), [x, t])
        gradcheck_both(lambda a, b: F.binary_cross_entropy(
            a, b, weight=gg.tensor([1.0, 2.0, 0.5], dtype=gg.float64), reduction="none"), [x, t])
    else:
        z = r.normal(size=(2, 3)) * 2
        pos = gg.tensor([0.5, 2.0, 3.0], dtype=gg.float64)
        gradcheck_both(lambda a, b: F.binary_cross_entropy_with_logits(a, b), [z, t])
        gradcheck_both(lambda a, b: F.binary_cross_entropy_with_logits(
            a, b, pos_weight=pos, weight=gg.tensor([[2.0], [0.5]], dtype=gg.float64),
            reduction="sum"), [z, t])


def test_binary_errors_match_torch():
    same_error(lambda lib, f: f.binary_cross_entropy(lib.rand(3, 1), lib.rand(3)))
    same_error(lambda lib, f: f.binary_cross_entropy_with_logits(lib.rand(3, 1), lib.rand(3)))
    same_error(lambda lib, f: f.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0])))
    same_error(lambda lib, f: f.binary_cross_entropy(lib.tensor([0.5]), lib.tensor([2.0])))
    same_error(lambda lib, f: f.binary_cross_entropy(lib.tensor([0.5]), lib.tensor([1])))
    same_error(lambda lib, f: f.binary_cross_entropy(
        lib.tensor([0.5]), lib.tensor([1.0], dtype=lib.float64)))
    same_error(lambda lib, f: f.binary_cross_entropy_with_logits(lib.tensor([0.5]),
                                                                 lib.tensor([1])))
    same_error(lambda lib, f: f.binary_cross_entropy_with_logits(lib.tensor([1, 0]),
                                                                 lib.tensor([1.0, 0.0])))
    for kw in ("weight", "pos_weight"):
        same_error(lambda lib, f: f.binary_cross_entropy_with_logits(
            lib.rand(3, 2), lib.rand(3, 2), **{kw: lib.rand(4, 3, 2)}))
        same_error(lambda lib, f: f.binary_cross_entropy_with_logits(
            lib.rand(3, 2), lib.rand(3, 2), **{kw: lib.rand(3)}))
        same_error(lambda lib, f: f.binary_cross_entropy_with_logits(
            lib.rand(3, requires_grad=True), lib.rand(3), **{kw: lib.rand(3, requires_grad=True)}))
    same_error(lambda lib, f: f.binary_cross_entropy(
        lib.rand(3), lib.rand(3), weight=lib.rand(3, requires_grad=True)))


# ----------------------------------------------------------------------------- cross-entropy
@st.composite
def classification(draw, probabilities_target=False):
    """Logits of shape (N, C) or (N, C, d1, d2), targets, and the loss's options."""
    dtype = draw(st.sampled_from(FLOATS))
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    extra = draw(st.sampled_from([(), (2, 3), (1, 2)]))
    r = rng(draw(st.integers(0, 2 ** 16)))
    x = (r.normal(size=(n, c) + extra) * 3).astype(dtype)
    options = {"reduction": draw(st.sampled_from(REDUCTIONS))}
    if draw(st.booleans()):
        options["weight"] = r.uniform(0.2, 2.0, c).astype(dtype)
    if probabilities_target:
        target = r.dirichlet(np.ones(c), (n,) + extra).astype(dtype)
        target = np.moveaxis(target, -1, 1)
    else:
        target = r.integers(0, c, (n,) + extra)
        if draw(st.booleans()):
            options["ignore_index"] = draw(st.sampled_from([-100, 0]))
            target = np.where(r.random(target.shape) < 0.3, options["ignore_index"], target)
    return x, target, options


@given(case=classification(), smoothing=st.sampled_from([0.0, 0.0, 0.1, 0.6]))
def test_cross_entropy_with_class_indices_matches_torch(case, smoothing):
    x, target, options = case
    parity("cross_entropy", [x, target], label_smoothing=smoothing, **options)


@given(case=classification(probabilities_target=True), smoothing=st.sampled_from([0.0, 0.3]))
def test_cross_entropy_with_class_probabilities_matches_torch(case, smoothing):
    x, target, options = case  # gradients for the logits and for the target probabilities
    parity("cross_entropy", [x, target], label_smoothing=smoothing, **options)


@given(case=classification())
def test_nll_loss_matches_torch(case):
    x, target, options = case
    parity("nll_loss", [x, target], **options)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_and_nll_of_a_single_sample_match_torch(reduction):
    x = np.array([0.5, -1.0, 2.0, 0.1], np.float32)
    for target in (np.array(2), np.array([2])):
        # (torch's backward fails for a target of shape (1,): "size mismatch (got input: [4],
        # target: [1])"; glassgrad treats it as the 0-d target it stands for)
        grad = target.ndim == 0
        parity("cross_entropy", [x, target], reduction=reduction, grad=grad)
        parity("nll_loss", [x, target], reduction=reduction, grad=grad)
    # (and torch's forward fails on label smoothing with a (1,) target: "output with shape []
    # doesn't match the broadcast shape [1]")
    parity("cross_entropy", [x, np.array(2)], reduction=reduction, label_smoothing=0.2)
    expected = F.cross_entropy(gg.tensor(x), gg.tensor(2), reduction=reduction,
                               label_smoothing=0.2)
    assert_close(F.cross_entropy(gg.tensor(x), gg.tensor([2]), reduction=reduction,
                                 label_smoothing=0.2), expected)
    parity("cross_entropy", [x, np.array([0.1, 0.2, 0.3, 0.4], np.float32)],
           reduction=reduction)


def test_cross_entropy_edge_cases_match_torch():
    x = rng(10).normal(size=(3, 4)).astype(np.float32)
    ignored = np.full(3, -100)
    parity("cross_entropy", [x, ignored])  # NaN loss, zero gradient
    parity("cross_entropy", [x, ignored], label_smoothing=0.1)
    parity("nll_loss", [x, ignored])
    parity("cross_entropy", [x, np.array([0, 1, 2])], ignore_index=1, reduction="none")
    parity("cross_entropy", [x, np.array([0, 7, 2])], ignore_index=7)  # ignored, not checked
    parity("cross_entropy", [x, np.array([0, 1, 2], np.uint8)])  # Byte targets
    for smoothing in (-0.5, 1.0):  # a negative smoothing is ignored, as in torch
        parity("cross_entropy", [x, np.array([0, 1, 2])], label_smoothing=smoothing)
        parity("cross_entropy", [x, np.full((3, 4), 0.25, np.float32)],
               label_smoothing=smoothing)
    parity("cross_entropy", [np.zeros((0, 4), np.float32), np.zeros(0, np.int64)])  # NaN
    parity("cross_entropy", [np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32)])
    out = parity("cross_entropy", [x.astype(np.float32), np.full((3, 4), 0.25)])[0]
    assert out.dtype == gg.float64  # float64 probabilities promote, as in torch


def test_cross_entropy_is_stable_at_huge_logits():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [1e4, 1e4, -1e4]], np.float32)
    for reduction in REDUCTIONS:
        for target in (np.array([1, 1, 2]), np.array([0, 2, 1])):
            out = parity("cross_entropy", [x, target], reduction=reduction,
                         weight=np.array([1.0, 2.0, 0.5], np.float32), label_smoothing=0.1)[0]
            assert np.isfinite(out.detach().numpy()).all()
        soft = np.array([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8], [1.0, 0.0, 0.0]], np.float32)
        out = parity("cross_entropy", [x, soft], reduction=reduction)[0]
        assert np.isfinite(out.detach().numpy()).all()
    out = parity("cross_entropy", [x, np.array([1, 0, 2])], reduction="none")[0]
    assert out.tolist() == pytest.approx([2e4, 2e4, 2e4 + np.log(2)])


def test_fused_cross_entropy_equals_the_composite_it_replaces():
    r = rng(11)
    x = r.normal(size=(5, 4, 2)) * 3
    target = r.integers(0, 4, (5, 2))
    target[0, 1] = -100
    weight = gg.tensor(r.uniform(0.5, 2, 4))
    smoothing = 0.2

    def composite(t):
        log_p = gg.log_softmax(t, 1)
        y = gg.tensor(target)
        nll = F.nll_loss(log_p, y, weight=weight)
        counted = gg.tensor((target != -100)[:, None, :].astype(np.float64))
        smooth = -(log_p * weight.reshape(1, 4, 1) * counted).sum() / \
            weight[gg.tensor(np.where(target == -100, 0, target))][gg.tensor(target != -100)].sum()
        return (1 - smoothing) * nll + smoothing / 4 * smooth

    for fused_fn, plain_fn in [
        (lambda t: F.cross_entropy(t, gg.tensor(target), weight=weight),
         lambda t: F.nll_loss(gg.log_softmax(t, 1), gg.tensor(target), weight=weight)),
        (lambda t: F.cross_entropy(t, gg.tensor(target), weight=weight,
                                   label_smoothing=smoothing), composite),
        (lambda t: F.cross_entropy(t, gg.tensor(target), reduction="none"),
         lambda t: -gg.log_softmax(t, 1).gather(1, gg.tensor(
             np.where(target == -100, 0, target))[:, None]).squeeze(1) * gg.tensor(
             target != -100)),
    ]:
        fused, plain = gg.tensor(x, requires_grad=True), gg.tensor(x, requires_grad=True)
        a, b = fused_fn(fused), plain_fn(plain)
        assert_close(a, b, rtol=1e-12, atol=1e-12)
        upstream = gg.tensor(r.normal(size=a.shape))
        a.backward(upstream)
        b.backward(upstream)
        assert_close(fused.grad, plain.grad, rtol=1e-10, atol=1e-12)
        assert fused.grad_fn is None and a.grad_fn.name().startswith("CrossEntropy")
    soft = r.dirichlet(np.ones(4), (5, 2)).transpose(0, 2, 1)
    fused, plain = gg.tensor(x, requires_grad=True), gg.tensor(x, requires_grad=True)
    a = F.cross_entropy(fused, gg.tensor(soft))
    b = -(gg.log_softmax(plain, 1) * gg.tensor(soft)).sum() / 10
    assert_close(a, b, rtol=1e-12)
    a.backward()
    b.backward()
    assert_close(fused.grad, plain.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs", [
    {}, {"reduction": "none", "label_smoothing": 0.3},
    {"weight": np.array([1.0, 2.0, 0.5]), "ignore_index": 1, "reduction": "sum"},
])
def test_cross_entropy_and_nll_gradcheck_and_gradgradcheck(kwargs):
    r = rng(12)
    x = r.normal(size=(4, 3, 2))
    target = gg.tensor(r.integers(0, 3, (4, 2)))
    options = _args(gg, kwargs)
    gradcheck_both(lambda t: F.cross_entropy(t, target, **options), [x])
    options.pop("label_smoothing", None)
    gradcheck_both(lambda t: F.nll_loss(t, target, **options), [x])
    soft = r.dirichlet(np.ones(3), 4)
    weight = {k: v for k, v in options.items() if k == "weight"}
    gradcheck_both(lambda t, p: F.cross_entropy(t, p, label_smoothing=0.2, **weight),
                   [x[:, :, 0], soft])


@pytest.mark.parametrize("name, make", [
    ("cross_entropy", lambda lib, r: (r.normal(size=(3, 4)), lib.tensor([0, 3, 1]),
                                      {"label_smoothing": 0.1})),
    ("cross_entropy", lambda lib, r: (r.normal(size=(3, 4)),
                                      lib.tensor(r.dirichlet(np.ones(4), 3)), {})),
    ("binary_cross_entropy", lambda lib, r: (r.uniform(0.1, 0.9, (3, 4)),
                                             lib.tensor(r.uniform(0, 1, (3, 4))), {})),
    ("binary_cross_entropy_with_logits",
     lambda lib, r: (r.normal(size=(3, 4)), lib.tensor(r.uniform(0, 1, (3, 4))),
                     {"pos_weight": lib.tensor([0.5, 1.0, 2.0, 3.0], dtype=lib.float64)})),
])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_second_derivatives_of_the_fused_losses_match_torch(name, make, reduction):
    """Hessian-vector products through the differentiable backward (create_graph=True)."""
    results = []
    for lib, functional in ((gg, F), (torch, TF)):
        x, target, kwargs = make(lib, rng(13))
        x = lib.tensor(x, requires_grad=True)
        loss = getattr(functional, name)(x, target, reduction=reduction, **kwargs)
        upstream = lib.tensor(rng(15).normal(size=tuple(loss.shape)))
        (grad,) = lib.autograd.grad((loss * upstream).sum(), [x], create_graph=True)
        (hvp,) = lib.autograd.grad((grad * lib.tensor(rng(14).normal(size=(3, 4)))).sum(), [x])
        results.append((grad, hvp))
    assert_close(results[0][0], results[1][0], rtol=1e-10, atol=1e-12)
    assert_close(results[0][1], results[1][1], rtol=1e-10, atol=1e-12)


def test_class_index_errors_match_torch():
    cases = [
        lambda lib, f: f.cross_entropy(lib.randn(3, 4), lib.tensor([0.0, 1.0, 2.0])),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4), lib.tensor([0, 1, 2], dtype=lib.int32)),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4), lib.zeros(3, 4, dtype=lib.long)),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4), lib.tensor([0, 5, 2])),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4), lib.tensor([0, -1, 2])),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4), lib.tensor([0, 1])),
        lambda lib, f: f.cross_entropy(lib.randn(2, 3, 4), lib.zeros(2, 5, dtype=lib.long)),
        lambda lib, f: f.cross_entropy(lib.randn(2, 3, 4, 5), lib.zeros(2, 4, 6, dtype=lib.long)),
        lambda lib, f: f.cross_entropy(lib.randn(2, 3, 4, 5), lib.zeros(2, 4, dtype=lib.long)),
        lambda lib, f: f.cross_entropy(lib.tensor(1.0), lib.tensor(0)),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4), lib.rand(3, 5)),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4), lib.tensor([0, 1, 2]), weight=lib.ones(3)),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4), lib.rand(3, 4), weight=lib.ones(3)),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4, 2), lib.zeros(3, 2, dtype=lib.long),
                                       weight=lib.ones(3)),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4), lib.tensor([0, 1, 2]),
                                       weight=lib.ones(4, dtype=lib.float64)),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4), lib.tensor([0, 1, 2]),
                                       label_smoothing=1.5),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4), lib.rand(3, 4), label_smoothing=1.5),
        lambda lib, f: f.cross_entropy(lib.ones(3, 4, dtype=lib.long), lib.tensor([0, 1, 2])),
        lambda lib, f: f.cross_entropy(lib.randn(3, 4, requires_grad=True), lib.tensor([0, 1, 2]),
                                       weight=lib.ones(4, requires_grad=True)),
        lambda lib, f: f.cross_entropy(lib.randn(4), lib.tensor([2, 1])),
        lambda lib, f: f.nll_loss(lib.tensor(1.0), lib.tensor(0)),
        lambda lib, f: f.nll_loss(lib.randn(3, 4), lib.tensor([0.0, 1.0, 2.0])),
        lambda lib, f: f.nll_loss(lib.randn(3, 4), lib.tensor([0, 9, 1])),
        lambda lib, f: f.nll_loss(lib.randn(1, 4), lib.tensor(2)),
        lambda lib, f: f.nll_loss(lib.randn(4), lib.tensor([[2]])),
        lambda lib, f: f.nll_loss(lib.randn(3, 4, 5), lib.full((3, 5), 9)),
    ]
    for case in cases:
        same_error(case)


# ----------------------------------------------------------------------------- the rows fast path
def _primitive(loss):
    return type(loss.grad_fn).__name__


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_rows_of_class_indices_take_the_fast_primitive_and_match_torch(reduction, dtype):
    r = rng(11)
    x = (r.standard_normal((9, 5)) * 4).astype(dtype)
    target = r.integers(0, 5, 9)
    parity("cross_entropy", [x, target], reduction=reduction)
    loss = F.cross_entropy(gg.tensor(x, requires_grad=True), gg.tensor(target), reduction=reduction)
    assert _primitive(loss) == "CrossEntropyRows"
    assert loss.grad_fn.name() == "CrossEntropyBackward0"  # the same node as the general path
    gradcheck_both(lambda t: F.cross_entropy(t, gg.tensor(target), reduction=reduction),
                   [x.astype(np.float64)])


@pytest.mark.parametrize("options", [dict(ignore_index=2), dict(weight=True),
                                     dict(reduction="none"), dict(label_smoothing=0.1)])
def test_calls_the_fast_path_cannot_serve_take_the_general_one(options):
    r = rng(12)
    x = r.standard_normal((8, 4)).astype(np.float32)
    target = r.integers(0, 4, 8)
    target[:3] = 2  # some targets equal an in-range ignore_index: they must count for nothing
    if options.get("weight"):
        options = dict(weight=r.uniform(0.5, 2, 4).astype(np.float32))
    parity("cross_entropy", [x, target], **options)
    weight = options.get("weight")
    kwargs = dict(options, weight=None if weight is None else gg.tensor(weight))
    loss = F.cross_entropy(gg.tensor(x, requires_grad=True), gg.tensor(target), **kwargs)
    assert _primitive(loss) == "CrossEntropy"


def test_out_of_range_targets_still_raise_torch_error_after_the_fast_path_check():
    x = rng(13).standard_normal((3, 4)).astype(np.float32)
    for bad in ([0, 4, 1], [0, -1, 1]):
        same_error(lambda lib, functional: functional.cross_entropy(lib.tensor(x), lib.tensor(bad)))
