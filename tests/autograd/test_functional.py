"""glassgrad.autograd.functional against torch.autograd.functional: values (float64, 1e-10),
return structure (Tensor / tuple / tuple of tuples), shapes out.shape + in.shape, strict mode."""

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import glassgrad as gg
from glassgrad.autograd import functional as F

RNG = np.random.default_rng(0)
TOL = dict(rtol=1e-10, atol=1e-10)


def assert_same(g, t, what="result"):
    """Same nesting, shapes, dtypes and values (float64, 1e-10)."""
    if isinstance(t, (tuple, list)):
        assert type(g) is type(t), f"{what}: glassgrad gave {type(g).__name__}, torch a " \
            f"{type(t).__name__}"
        assert len(g) == len(t), f"{what}: length {len(g)} != {len(t)}"
        for k, (a, b) in enumerate(zip(g, t)):
            assert_same(a, b, f"{what}[{k}]")
        return
    assert isinstance(g, gg.Tensor), f"{what}: glassgrad gave {type(g).__name__}, torch a Tensor"
    assert tuple(g.shape) == tuple(t.shape), f"{what}: shape {tuple(g.shape)} != {tuple(t.shape)}"
    assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], what
    np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), err_msg=what, **TOL)


def make(shapes, tupled, requires_grad=False):
    arrays = [RNG.standard_normal(s) for s in shapes]
    gi = tuple(gg.tensor(a, requires_grad=requires_grad) for a in arrays)
    ti = tuple(torch.tensor(a, requires_grad=requires_grad) for a in arrays)
    return (gi, ti) if tupled else (gi[0], ti[0])


# name, function (the same code runs on both libraries), input shapes, inputs given as a tuple
JACOBIAN_CASES = [
    ("scalar->scalar", lambda x: x ** 2 + 3 * x + 5, [()], False),
    ("vector->vector", lambda x: x.tanh() * x.sum(), [(4,)], False),
    ("vector->scalar", lambda x: (x.exp() * x).sum(), [(3,)], False),
    ("matrix->vector", lambda w: w @ torch_or_gg_ones(w, 3), [(2, 3)], False),
    ("tuple in", lambda x, y: x * y + x.exp(), [(3,), (3,)], True),
    ("tuple out", lambda x: (x ** 2, x.sum(), x.sin()), [(2, 2)], False),
    ("tuple in, tuple out", lambda x, y: (x @ y, (x * 2).sum()), [(2, 3), (3,)], True),
    ("one-element tuple in", lambda x: x.cos(), [(3,)], True),
]


def torch_or_gg_ones(like, n):
    if isinstance(like, torch.Tensor):
        return torch.arange(1.0, n + 1, dtype=torch.float64)
    return gg.arange(1.0, n + 1, dtype=gg.float64)


@pytest.mark.parametrize("name,f,shapes,tupled", JACOBIAN_CASES, ids=[c[0] for c in
                                                                    JACOBIAN_CASES])
def test_jacobian_matches_torch(name, f, shapes, tupled):
    gi, ti = make(shapes, tupled)
    assert_same(F.jacobian(f, gi), TF.jacobian(f, ti), name)
    assert_same(F.jacobian(f, gi, vectorize=True), TF.jacobian(f, ti, vectorize=True), name)


def test_jacobian_of_the_seeds_example_is_2x_plus_3():
    j = F.jacobian(lambda x: x ** 2 + 3 * x + 5, gg.tensor(2.0, dtype=gg.float64))
    assert j.item() == 7.0
    h = F.hessian(lambda x: x ** 2 + 3 * x + 5, gg.tensor(2.0, dtype=gg.float64))
    assert h.item() == 2.0


@pytest.mark.parametrize("name,f,shapes,tupled", JACOBIAN_CASES[:7], ids=[c[0] for c in
                                                                        JACOBIAN_CASES[:7]])
def test_forward_mode_jacobian_matches_torch(name, f, shapes, tupled):
    gi, ti = make(shapes, tupled)
    assert_same(F.jacobian(f, gi, vectorize=True, strategy="forward-mode"),
                TF.jacobian(f, ti, vectorize=True, strategy="forward-mode"), name)


def two_layer_loss(lib):
    """A 2-layer tanh net's mean squared error, as a function of its weights."""
    x = RNG.standard_normal((5, 3))
    y = RNG.standard_normal((5, 1))
    b1 = RNG.standard_normal(4)

    def loss(w1, w2):
        h = (lib.tensor(x) @ w1 + lib.tensor(b1)).tanh()
        return ((h @ w2 - lib.tensor(y)) ** 2).mean()
    return loss


HESSIAN_CASES = [
    ("scalar", lambda x: x ** 3 + 3 * x, [()], False),
    ("vector", lambda x: (x.exp() * x.sin()).sum(), [(4,)], False),
    ("matrix", lambda x: (x @ x).tanh().sum(), [(2, 2)], False),
    ("tuple", lambda x, y: (x * y.exp()).sum() + (x ** 2).sum(), [(3,), (3,)], True),
]


@pytest.mark.parametrize("name,f,shapes,tupled", HESSIAN_CASES, ids=[c[0] for c in
                                                                   HESSIAN_CASES])
def test_hessian_matches_torch(name, f, shapes, tupled):
    gi, ti = make(shapes, tupled)
    assert_same(F.hessian(f, gi), TF.hessian(f, ti), name)


def test_hessian_of_two_layer_tanh_net_loss():
    state = RNG.bit_generator.state
    gg_loss = two_layer_loss(gg)
    RNG.bit_generator.state = state
    torch_loss = two_layer_loss(torch)
    gi, ti = make([(3, 4), (4, 1)], True)
    h = F.hessian(gg_loss, gi)
    assert_same(h, TF.hessian(torch_loss, ti), "hessian")
    assert tuple(h[0][1].shape) == (3, 4, 4, 1)
    # symmetric: H[i][j] is H[j][i] with the axes swapped
    np.testing.assert_allclose(h[0][1].numpy(), np.moveaxis(h[1][0].numpy(), [0, 1], [2, 3]),
                               **TOL)


def test_hessian_forward_over_reverse():
    f = HESSIAN_CASES[1][1]
    gi, ti = make([(4,)], False)
    assert_same(F.hessian(f, gi, vectorize=True, outer_jacobian_strategy="forward-mode"),
                TF.hessian(f, ti, vectorize=True, outer_jacobian_strategy="forward-mode"))


def scalar_f(x, y=None):
    return (x ** 3).sum() * x.sum() if y is None else (x.exp() * y).sum() + (x * x * y).sum()


def vector_f(x, y=None):
    return x.sin() * x.sum() if y is None else (x * y.tanh(), (x ** 2).sum())


@pytest.mark.parametrize("fn", ["vjp", "jvp", "vhp", "hvp"])
@pytest.mark.parametrize("tupled", [False, True])
def test_products_match_torch(fn, tupled):
    f = scalar_f if fn in ("vhp", "hvp") else vector_f
    gi, ti = make([(3,), (3,)] if tupled else [(4,)], tupled)
    # v lives where the product's input lives: the outputs for vjp, the inputs otherwise
    like = f(*ti) if tupled else f(ti)
    like = like if fn == "vjp" else ti
    if isinstance(like, tuple):
        vs = [RNG.standard_normal(tuple(t.shape)) for t in like]
        gv, tv = tuple(gg.tensor(v) for v in vs), tuple(torch.tensor(v) for v in vs)
    else:
        v = RNG.standard_normal(tuple(like.shape))
        gv, tv = gg.tensor(v), torch.tensor(v)
    assert_same(getattr(F, fn)(f, gi, gv), getattr(TF, fn)(f, ti, tv), fn)


def test_products_default_v_for_one_element():
    x = gg.tensor(1.5, dtype=gg.float64)
    tx = torch.tensor(1.5, dtype=torch.float64)
    for fn in ("vjp", "jvp", "vhp", "hvp"):
        assert_same(getattr(F, fn)(lambda a: a ** 3, x), getattr(TF, fn)(lambda a: a ** 3, tx))
    with pytest.raises(RuntimeError, match="The vector v can only be None"):
        F.vjp(lambda a: a * 2, gg.ones(3, dtype=gg.float64))


def test_create_graph_gives_differentiable_jacobian():
    gi, ti = make([(3,)], False, requires_grad=True)
    j = F.jacobian(lambda x: x ** 3, gi, create_graph=True)
    tj = TF.jacobian(lambda x: x ** 3, ti, create_graph=True)
    assert j.requires_grad and tj.requires_grad
    (j * j).sum().backward()
    (tj * tj).sum().backward()
    assert_same(gi.grad, ti.grad)


def test_results_detached_and_grad_untouched():
    x = gg.tensor(RNG.standard_normal(3), requires_grad=True)
    j = F.jacobian(lambda a: a.exp(), x)
    h = F.hessian(lambda a: (a ** 3).sum(), x)
    out, v = F.vjp(lambda a: a.exp(), x, gg.ones(3, dtype=gg.float64))
    assert not (j.requires_grad or h.requires_grad or out.requires_grad or v.requires_grad)
    assert x.grad is None


def test_independent_output_zero_or_strict_error():
    def f(x, y):
        return x * 2

    gi, ti = make([(2,), (2,)], True)
    assert_same(F.jacobian(f, gi), TF.jacobian(f, ti))
    message = "Output 0 of the user-provided function is independent of input 1"
    with pytest.raises(RuntimeError, match=message):
        TF.jacobian(f, ti, strict=True)
    with pytest.raises(RuntimeError, match=message):
        F.jacobian(f, gi, strict=True)
    message = "The output of the user-provided function is independent of input 1"
    for lib, inputs in ((TF, ti), (F, gi)):
        with pytest.raises(RuntimeError, match=message):
            lib.vjp(f, inputs, inputs[0], strict=True)


def test_strict_rejects_outputs_without_graph_and_linear_hessians():
    gi, ti = make([(2,)], False)
    message = "Output 0 of the user-provided function does not require gradients"
    with pytest.raises(RuntimeError, match=message):
        TF.jacobian(lambda x: torch.ones(2, dtype=torch.float64), ti, strict=True)
    with pytest.raises(RuntimeError, match=message):
        F.jacobian(lambda x: gg.ones(2, dtype=gg.float64), gi, strict=True)
    message = "the jacobian of the user-provided function with respect to input 0 is independent"
    for lib, x in ((TF, ti), (F, gi)):
        with pytest.raises(RuntimeError, match=message):
            lib.hessian(lambda a: (a * 3).sum(), x, strict=True)
        # not strict: the true value, zeros
    assert_same(F.hessian(lambda a: (a * 3).sum(), gi), TF.hessian(lambda a: (a * 3).sum(), ti))


def test_errors_match_torch():
    gi, ti = make([(2,)], False)
    with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor"):
        F.jacobian(lambda x: x, [gi])
    with pytest.raises(RuntimeError, match="should contain a single element"):
        F.hessian(lambda x: x * 2, gi)
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        F.vhp(lambda x: (x.sum(), x.sum()), gi, gi)
    with pytest.raises(RuntimeError, match="v has invalid size: should be"):
        F.vjp(lambda x: x * 2, gi, gg.ones(3, dtype=gg.float64))
    with pytest.raises(AssertionError, match="Expected strategy"):
        F.jacobian(lambda x: x, gi, strategy="sideways")
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        F.jacobian(lambda x: x, gi, strategy="forward-mode")
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True`"):
        F.jacobian(lambda x: x * 2, gi, strict=True, vectorize=True)
