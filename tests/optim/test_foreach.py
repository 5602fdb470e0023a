"""Adam's two forms (``foreach``) and the optimizer's behaviour around them: parity with torch,
the multi- and single-tensor updates giving the same numbers, the state being the parameter's
own Tensors (resumed, replaced or edited), frozen parameters, options changed mid-run, hooks."""

import copy

import numpy as np
import pytest
import torch

import glassgrad as gg
from glassgrad import optim
from glassgrad.optim.optimizer import Optimizer, with_step_hooks

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}
SHAPES = ((5, 4), (5,), (3, 5), (3,))


def _arrays(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s) * 0.5).astype(dtype) for s in SHAPES]


def _params(lib, arrays):
    if lib is torch:
        return [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
    return [gg.nn.Parameter(gg.tensor(a)) for a in arrays]


def _data(lib, dtype, seed=1):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((8, 4)).astype(dtype), rng.standard_normal((8, 3)).astype(dtype)
    return lib.tensor(x), lib.tensor(y)


def _loss(params, x, y):
    w1, b1, w2, b2 = params
    h = (x @ w1.T + b1).tanh()
    return ((h @ w2.T + b2 - y) ** 2).mean()


class _Run:
    """A small two-layer net, its data and optimizer; ``frozen`` parameters get no gradient."""

    def __init__(self, lib, name, kwargs, dtype=np.float32, frozen=()):
        self.lib = lib
        self.params = _params(lib, _arrays(dtype))
        for i in frozen:
            self.params[i].requires_grad_(False)
        self.x, self.y = _data(lib, dtype)
        self.opt = getattr(torch.optim if lib is torch else optim, name)(self.params, **kwargs)

    def step(self):
        self.opt.zero_grad()
        _loss(self.params, self.x, self.y).backward()
        self.opt.step()

    def values(self):
        return [p.detach().numpy().copy() for p in self.params]


ADAM_CASES = [
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.4, 0.99), eps=1e-6, maximize=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
]


@pytest.mark.parametrize("foreach", [None, True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", ADAM_CASES)
def test_each_form_follows_torch(name, kwargs, dtype, foreach):
    ours = _Run(gg, name, dict(kwargs, foreach=foreach), dtype)
    theirs = _Run(torch, name, kwargs, dtype)
    for step in range(15):
        ours.step()
        theirs.step()
        for a, e in zip(ours.values(), theirs.values()):
            np.testing.assert_allclose(a, e, err_msg=f"step {step + 1}", **TOL[dtype])


@pytest.mark.parametrize("name, kwargs", ADAM_CASES)
def test_multi_and_single_tensor_forms_agree_bit_for_bit(name, kwargs):
    multi = _Run(gg, name, dict(kwargs, foreach=True))
    single = _Run(gg, name, dict(kwargs, foreach=False))
    for _ in range(20):
        multi.step()
        single.step()
    for a, b in zip(multi.values(), single.values()):
        np.testing.assert_array_equal(a, b)
    for p, q in zip(multi.params, single.params):
        for key, value in single.opt.state[q].items():
            np.testing.assert_array_equal(multi.opt.state[p][key].numpy(), value.numpy())


def test_the_state_is_each_parameters_own_tensors():
    run = _Run(gg, "Adam", dict(lr=0.01))
    run.step()
    moments = [run.opt.state[p]["exp_avg"].numpy() for p in run.params]
    for p, m in zip(run.params, moments):
        assert m.shape == p.shape
        assert m.base is None  # an array of its own, no view of a shared block
    for a, b in zip(moments, moments[1:]):
        assert not np.shares_memory(a, b)


@pytest.mark.parametrize("foreach", [True, False])
@pytest.mark.parametrize("name, kwargs", ADAM_CASES + [("SGD", dict(lr=0.1, momentum=0.9)),
                                                       ("NAdam", dict(lr=0.01))])
def test_resuming_mid_run_gives_bit_identical_steps(name, kwargs, foreach):
    kwargs = dict(kwargs, foreach=foreach)
    straight = _Run(gg, name, kwargs)
    for _ in range(5):
        straight.step()
    saved = copy.deepcopy(straight.opt.state_dict())
    resumed = _Run(gg, name, kwargs)
    for p, value in zip(resumed.params, straight.values()):
        p.data = gg.tensor(value)
    resumed.opt.load_state_dict(saved)
    for _ in range(4):
        straight.step()
        resumed.step()
        for a, b in zip(resumed.values(), straight.values()):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("foreach", [True, False])
def test_a_state_tensor_replaced_by_hand_is_used_and_kept(foreach):
    run = _Run(gg, "Adam", dict(lr=0.01, foreach=foreach))
    run.step()
    replacement = gg.zeros(5)
    run.opt.state[run.params[1]]["exp_avg"] = replacement
    run.opt.zero_grad()
    _loss(run.params, run.x, run.y).backward()
    grad = run.params[1].grad.numpy().copy()
    run.opt.step()
    assert run.opt.state[run.params[1]]["exp_avg"] is replacement
    np.testing.assert_allclose(replacement.numpy(), 0.1 * grad, rtol=1e-6)


@pytest.mark.parametrize("foreach", [True, False])
def test_a_state_tensor_edited_in_place_is_seen(foreach):
    run = _Run(gg, "Adam", dict(lr=0.01, foreach=foreach))
    run.step()
    state = run.opt.state[run.params[3]]
    state["exp_avg"].numpy()[...] = 0.0
    state["exp_avg_sq"].numpy()[...] = 0.0
    run.opt.zero_grad()
    _loss(run.params, run.x, run.y).backward()
    grad = run.params[3].grad.numpy().copy()
    run.opt.step()
    np.testing.assert_allclose(state["exp_avg"].numpy(), 0.1 * grad, rtol=1e-6)
    np.testing.assert_allclose(state["exp_avg_sq"].numpy(), 0.001 * grad * grad, rtol=1e-5)


@pytest.mark.parametrize("foreach", [None, False])
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta",
                                  "NAdam"])
def test_a_frozen_parameter_is_skipped_and_the_rest_follow_torch(name, foreach):
    kwargs = dict(lr=0.01, foreach=foreach)
    ours = _Run(gg, name, kwargs, frozen=(0,))
    theirs = _Run(torch, name, kwargs, frozen=(0,))
    before = ours.values()[0]
    for _ in range(6):
        ours.step()
        theirs.step()
    np.testing.assert_array_equal(ours.values()[0], before)
    assert "step" not in ours.opt.state.get(ours.params[0], {}) or name == "Adagrad"
    for a, e in zip(ours.values(), theirs.values()):
        np.testing.assert_allclose(a, e, **TOL[np.float32])


def test_a_parameter_that_missed_a_step_keeps_its_own_count():
    """One parameter without a gradient in one step: its bias corrections differ from the
    others' afterwards, in both forms, as in torch."""
    def run(lib, **kwargs):
        r = _Run(lib, "Adam", dict(lr=0.02, **kwargs))
        for step in range(8):
            r.opt.zero_grad()
            used = r.params if step != 3 else r.params[:2] + [p.detach() for p in r.params[2:]]
            _loss(used, r.x, r.y).backward()
            r.opt.step()
        return r
    theirs = run(torch)
    for foreach in (True, False):
        ours = run(gg, foreach=foreach)
        assert float(ours.opt.state[ours.params[0]]["step"]) == 8
        assert float(ours.opt.state[ours.params[2]]["step"]) == 7
        for a, e in zip(ours.values(), theirs.values()):
            np.testing.assert_allclose(a, e, **TOL[np.float32])


@pytest.mark.parametrize("foreach", [True, False])
def test_options_changed_mid_run_are_honoured(foreach):
    """A scheduler lowering lr every step and weight_decay switched on half-way, as in torch."""
    ours = _Run(gg, "Adam", dict(lr=0.05, foreach=foreach))
    theirs = _Run(torch, "Adam", dict(lr=0.05))
    schedulers = [optim.lr_scheduler.StepLR(ours.opt, step_size=1, gamma=0.7),
                  torch.optim.lr_scheduler.StepLR(theirs.opt, step_size=1, gamma=0.7)]
    for step in range(10):
        if step == 5:
            ours.opt.param_groups[0]["weight_decay"] = 0.2
            theirs.opt.param_groups[0]["weight_decay"] = 0.2
        ours.step()
        theirs.step()
        for scheduler in schedulers:
            scheduler.step()
        for a, e in zip(ours.values(), theirs.values()):
            np.testing.assert_allclose(a, e, err_msg=f"step {step + 1}", **TOL[np.float32])
    assert ours.opt.param_groups[0]["lr"] == pytest.approx(0.05 * 0.7 ** 10)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta",
                                  "NAdam"])
def test_hooks_fire_in_order_around_every_optimizer(name):
    run = _Run(gg, name, dict(lr=0.01))
    calls = []
    handles = [run.opt.register_step_pre_hook(lambda o, a, k: calls.append("pre 1")),
               run.opt.register_step_pre_hook(lambda o, a, k: calls.append("pre 2")),
               run.opt.register_step_post_hook(lambda o, a, k: calls.append("post 1")),
               run.opt.register_step_post_hook(lambda o, a, k: calls.append("post 2"))]
    run.step()
    assert calls == ["pre 1", "pre 2", "post 1", "post 2"]
    for handle in handles:
        handle.remove()
    run.step()
    assert len(calls) == 4


def test_a_post_hook_sees_the_updated_parameters():
    run = _Run(gg, "Adam", dict(lr=0.01))
    seen = []
    run.opt.register_step_post_hook(lambda o, a, k: seen.append(run.values()))
    before = run.values()
    run.step()
    assert not np.array_equal(seen[0][0], before[0])
    np.testing.assert_array_equal(seen[0][0], run.values()[0])


def test_an_own_optimizer_gets_hooks_by_the_decorator_and_is_refused_without():
    class Halving(Optimizer):
        def __init__(self, params):
            super().__init__(params, {})

        @with_step_hooks
        def step(self, closure=None):
            for p in self.param_groups[0]["params"]:
                p.data = p.data * 0.5

    class Undecorated(Halving):
        def step(self, closure=None):
            return None

    p = gg.nn.Parameter(gg.ones(2))
    opt = Halving([p])
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.step()
    assert calls == ["pre"] and p.detach().numpy().tolist() == [0.5, 0.5]
    with pytest.raises(RuntimeError, match="does not run step hooks"):
        Undecorated([p]).register_step_post_hook(lambda o, a, k: None)

