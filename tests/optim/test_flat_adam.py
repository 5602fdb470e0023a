"""Adam's multi-tensor path (``glassgrad/optim/_flat.py``): when it is taken, that it gives the
per-parameter loop's numbers bit for bit, that it falls back (a parameter without a gradient,
AMSGrad, coupled weight decay, ``foreach=False``) and rebuilds after the state is replaced, and
that a run with a skipped parameter still follows torch's trajectory."""

import numpy as np
import pytest
import torch

import glassgrad as gg


def _model(lib, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(np.float32) * 0.5 for s in ((5, 4), (5,), (3, 5), (3,))]
    make = (lambda a: torch.nn.Parameter(torch.tensor(a))) if lib is torch else \
        (lambda a: gg.nn.Parameter(gg.tensor(a)))
    return [make(a) for a in arrays]


def _loss(params, x, y):
    w1, b1, w2, b2 = params
    h = (x @ w1.T + b1).tanh()
    return ((h @ w2.T + b2 - y) ** 2).mean()


def _data(lib, seed=1):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 3))
    return lib.tensor(x.astype(np.float32)), lib.tensor(y.astype(np.float32))


def _train(optimizer_class, steps, skip=None, **kwargs):
    params = _model(gg)
    x, y = _data(gg)
    opt = optimizer_class(params, **kwargs)
    for step in range(steps):
        opt.zero_grad()
        used = params if step != skip else params[:2] + [params[2].detach(), params[3].detach()]
        _loss(used, x, y).backward()
        opt.step()
    return params, opt


def _flat_taken(opt):
    return bool(opt.__dict__.get("_flat_moments"))


@pytest.mark.parametrize("kwargs", [dict(lr=0.01), dict(lr=0.01, maximize=True),
                                    dict(lr=0.01, betas=(0.4, 0.99)),
                                    dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)])
def test_flat_path_equals_the_per_parameter_loop_bit_for_bit(kwargs):
    flat, flat_opt = _train(gg.optim.Adam, 20, **kwargs)
    loop, loop_opt = _train(gg.optim.Adam, 20, foreach=False, **kwargs)
    assert _flat_taken(flat_opt) and not _flat_taken(loop_opt)
    for a, b in zip(flat, loop):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    for a, b in zip(flat, loop):
        for key in ("step", "exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(flat_opt.state[a][key].numpy(),
                                          loop_opt.state[b][key].numpy())


def test_the_moments_are_views_of_one_array_per_group():
    params, opt = _train(gg.optim.Adam, 2)
    bases = {opt.state[p]["exp_avg"].numpy().base is not None for p in params}
    assert bases == {True}
    first = opt.state[params[0]]["exp_avg"].numpy()
    assert all(np.shares_memory(first.base, opt.state[p]["exp_avg"].numpy()) for p in params)


@pytest.mark.parametrize("kwargs", [dict(amsgrad=True), dict(weight_decay=0.1),
                                    dict(foreach=False)])
def test_what_the_flat_path_does_not_cover_takes_the_loop(kwargs):
    _, opt = _train(gg.optim.Adam, 3, lr=0.01, **kwargs)
    assert not _flat_taken(opt)


def test_a_parameter_without_a_gradient_falls_back_and_still_matches_torch():
    ours, opt = _train(gg.optim.Adam, 12, skip=4, lr=0.02)
    theirs = _model(torch)
    x, y = _data(torch)
    topt = torch.optim.Adam(theirs, lr=0.02)
    for step in range(12):
        topt.zero_grad()
        used = theirs if step != 4 else theirs[:2] + [theirs[2].detach(), theirs[3].detach()]
        _loss(used, x, y).backward()
        topt.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert float(opt.state[ours[0]]["step"]) == 12 and float(opt.state[ours[2]]["step"]) == 11


def test_loaded_state_is_moved_into_the_flat_arrays_and_training_continues_identically():
    params, opt = _train(gg.optim.Adam, 5, lr=0.01)
    saved = opt.state_dict()
    x, y = _data(gg)
    reference = [p.detach().clone() for p in params]
    copy_params = [gg.nn.Parameter(p.detach().clone()) for p in params]
    resumed = gg.optim.Adam(copy_params, lr=0.01)
    resumed.load_state_dict(saved)
    for ps, o in ((params, opt), (copy_params, resumed)):
        for _ in range(3):
            o.zero_grad()
            _loss(ps, x, y).backward()
            o.step()
    assert _flat_taken(resumed)
    for a, b, before in zip(params, copy_params, reference):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        assert not np.array_equal(a.detach().numpy(), before.numpy())


def test_a_state_tensor_replaced_by_hand_is_used():
    params, opt = _train(gg.optim.Adam, 3, lr=0.01)
    opt.state[params[1]]["exp_avg"] = gg.zeros(5)  # replaced: the flat arrays are rebuilt from it
    x, y = _data(gg)
    opt.zero_grad()
    _loss(params, x, y).backward()
    grad = params[1].grad.numpy().copy()
    opt.step()
    np.testing.assert_allclose(opt.state[params[1]]["exp_avg"].numpy(), 0.1 * grad, rtol=1e-6)


def test_large_parameters_keep_the_loop_and_small_ones_go_flat():
    """Copying the gradients of big layers costs more than the calls the flat path saves: a
    group mixing both updates the small ones flat and the big one in the loop, with the loop's
    numbers for all of them."""
    def run(**kwargs):
        big = gg.nn.Parameter(gg.tensor(np.linspace(-1, 1, 300 * 300, dtype=np.float32)
                                        .reshape(300, 300)))
        small = gg.nn.Parameter(gg.tensor([0.5, -1.0, 2.0]))
        opt = gg.optim.Adam([big, small], lr=0.01, **kwargs)
        for _ in range(3):
            opt.zero_grad()
            ((big ** 3).sum() + (small ** 3).sum()).backward()
            opt.step()
        return big, small, opt
    big, small, opt = run()
    big_loop, small_loop, _ = run(foreach=False)
    assert _flat_taken(opt)
    assert opt.state[small]["exp_avg"].numpy().base is not None  # a view of the flat array
    assert opt.state[big]["exp_avg"].numpy().base is None        # its own array
    np.testing.assert_array_equal(big.detach().numpy(), big_loop.detach().numpy())
    np.testing.assert_array_equal(small.detach().numpy(), small_loop.detach().numpy())


def test_a_frozen_parameter_leaves_the_others_flat():
    """A parameter that never gets a gradient (a frozen layer) is left to the loop, which skips
    it; the others still go flat, with the loop's numbers."""
    def run(**kwargs):
        params = _model(gg)
        params[0].requires_grad_(False)
        x, y = _data(gg)
        opt = gg.optim.Adam(params, lr=0.01, **kwargs)
        for _ in range(4):
            opt.zero_grad()
            _loss(params, x, y).backward()
            opt.step()
        return params, opt
    flat, opt = run()
    loop, _ = run(foreach=False)
    assert _flat_taken(opt) and _states_are_flat(opt, flat[1:]) and not opt.state[flat[0]]
    for a, b in zip(flat, loop):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def _states_are_flat(opt, params):
    return all(opt.state[p]["exp_avg"].numpy().base is not None for p in params)
