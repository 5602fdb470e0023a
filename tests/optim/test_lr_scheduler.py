"""Parity of glassgrad.optim.lr_scheduler against torch.optim.lr_scheduler."""

import math
import pickle
import warnings

import pytest
import torch
from torch.optim import lr_scheduler as ts

import glassgrad
from glassgrad.optim import SGD, Adam
from glassgrad.optim import lr_scheduler as gs


def _pair(lr=0.1, groups=1, momentum=0.0, adam=False):
    """A glassgrad optimizer and a torch optimizer with the same groups."""
    g_params = [glassgrad.zeros(2, requires_grad=True) for _ in range(groups)]
    t_params = [torch.zeros(2, requires_grad=True) for _ in range(groups)]
    lrs = [lr * (i + 1) for i in range(groups)]
    if adam:
        g = Adam([{"params": [p], "lr": r} for p, r in zip(g_params, lrs)], lr=lr)
        t = torch.optim.Adam([{"params": [p], "lr": r} for p, r in zip(t_params, lrs)], lr=lr)
    else:
        g = SGD([{"params": [p], "lr": r} for p, r in zip(g_params, lrs)], lr=lr,
                momentum=momentum)
        t = torch.optim.SGD([{"params": [p], "lr": r} for p, r in zip(t_params, lrs)], lr=lr,
                            momentum=momentum)
    return g, t


def _run(g_sched, t_sched, g_opt, t_opt, steps=100, keys=("lr",)):
    for _ in range(steps):
        for key in keys:
            for gg, tg in zip(g_opt.param_groups, t_opt.param_groups):
                if isinstance(tg[key], tuple):
                    assert gg[key] == pytest.approx(tg[key], rel=1e-12, abs=0)
                else:
                    assert math.isclose(gg[key], tg[key], rel_tol=1e-12, abs_tol=0)
        assert g_sched.get_last_lr() == pytest.approx(t_sched.get_last_lr(), rel=1e-12, abs=0)
        assert getattr(g_sched, "last_epoch", None) == getattr(t_sched, "last_epoch", None)
        t_opt.step()
        g_opt.step()
        g_sched.step()
        t_sched.step()


CASES = [
    ("StepLR", dict(step_size=10, gamma=0.5)),
    ("StepLR", dict(step_size=3)),
    ("ExponentialLR", dict(gamma=0.95)),
    ("CosineAnnealingLR", dict(T_max=50)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
    ("MultiStepLR", dict(milestones=[5, 20, 20, 60], gamma=0.3)),
    ("ConstantLR", dict(factor=0.5, total_iters=4)),
    ("ConstantLR", dict()),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=30)),
    ("PolynomialLR", dict(total_iters=40, power=2.0)),
    ("PolynomialLR", dict()),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.97 ** e + 0.1)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.98)),
]


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_sequence_matches_torch(name, kwargs, groups):
    g_opt, t_opt = _pair(groups=groups)
    g_sched = getattr(gs, name)(g_opt, **kwargs)
    t_sched = getattr(ts, name)(t_opt, **kwargs)
    for gg, tg in zip(g_opt.param_groups, t_opt.param_groups):
        assert gg["initial_lr"] == tg["initial_lr"]
    assert g_sched.base_lrs == t_sched.base_lrs
    _run(g_sched, t_sched, g_opt, t_opt)


ONE_CYCLE = [
    dict(max_lr=0.1, total_steps=50),
    dict(max_lr=0.1, total_steps=100, anneal_strategy="linear"),
    dict(max_lr=[0.3, 0.2], epochs=10, steps_per_epoch=10, pct_start=0.25),
    dict(max_lr=0.5, total_steps=100, three_phase=True, div_factor=10.0, final_div_factor=100.0),
    dict(max_lr=0.1, total_steps=100, cycle_momentum=False),
    dict(max_lr=0.1, total_steps=100, base_momentum=0.8, max_momentum=0.9),
]


@pytest.mark.parametrize("kwargs", ONE_CYCLE)
def test_one_cycle_matches_torch(kwargs):
    g_opt, t_opt = _pair(groups=2, momentum=0.9)
    g_sched = gs.OneCycleLR(g_opt, **kwargs)
    t_sched = ts.OneCycleLR(t_opt, **kwargs)
    keys = ("lr", "momentum") if kwargs.get("cycle_momentum", True) else ("lr",)
    _run(g_sched, t_sched, g_opt, t_opt, steps=kwargs.get("total_steps", 100), keys=keys)


def test_one_cycle_cycles_adam_betas():
    g_opt, t_opt = _pair(groups=1, adam=True)
    g_sched = gs.OneCycleLR(g_opt, max_lr=0.01, total_steps=60)
    t_sched = ts.OneCycleLR(t_opt, max_lr=0.01, total_steps=60)
    assert g_opt.param_groups[0]["betas"] == t_opt.param_groups[0]["betas"]
    _run(g_sched, t_sched, g_opt, t_opt, steps=60, keys=("lr", "betas"))


def test_one_cycle_too_many_steps():
    g_opt, _ = _pair()
    sched = gs.OneCycleLR(g_opt, max_lr=0.1, total_steps=5)
    for _ in range(5):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 6 times"):
        sched.step()


@pytest.mark.parametrize("kwargs,match", [
    (dict(max_lr=0.1), "You must define either total_steps"),
    (dict(max_lr=0.1, total_steps=0), "Expected positive integer total_steps"),
    (dict(max_lr=0.1, epochs=0, steps_per_epoch=3), "Expected positive integer epochs"),
    (dict(max_lr=0.1, total_steps=10, pct_start=1.5), "Expected float between 0 and 1"),
    (dict(max_lr=0.1, total_steps=10, anneal_strategy="exp"), "anneal_strategy must be one"),
    (dict(max_lr=[0.1, 0.2], total_steps=10), "max_lr must have the same length"),
])
def test_one_cycle_errors_like_torch(kwargs, match):
    g_opt, t_opt = _pair()
    with pytest.raises(ValueError, match=match):
        ts.OneCycleLR(t_opt, **kwargs)
    with pytest.raises(ValueError, match=match):
        gs.OneCycleLR(g_opt, **kwargs)


def test_one_cycle_needs_momentum():
    class Plain:
        param_groups = [{"lr": 0.1}]
        defaults = {"lr": 0.1}
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        gs.OneCycleLR(Plain(), max_lr=0.1, total_steps=10)


def test_bad_arguments_like_torch():
    g_opt, t_opt = _pair()
    for mod, opt in ((ts, t_opt), (gs, g_opt)):
        with pytest.raises(ValueError, match="between 0 and 1"):
            mod.ConstantLR(opt, factor=2.0)
        with pytest.raises(ValueError, match="Starting multiplicative factor"):
            mod.LinearLR(opt, start_factor=0.0)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        gs.StepLR(object(), step_size=3)
    g_opt, _ = _pair()
    with pytest.raises(KeyError, match="initial_lr"):
        gs.StepLR(g_opt, step_size=3, last_epoch=4)


@pytest.mark.parametrize("name,kwargs", [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=30, eta_min=0.001)),
    ("MultiStepLR", dict(milestones=[10, 25])),
    ("LinearLR", dict(total_iters=20)),
    ("PolynomialLR", dict(total_iters=30)),
])
def test_state_dict_resume(name, kwargs):
    g_opt, _ = _pair()
    sched = getattr(gs, name)(g_opt, **kwargs)
    for _ in range(13):
        sched.step()
    state = pickle.loads(pickle.dumps(sched.state_dict()))
    assert "optimizer" not in state
    opt_state = pickle.loads(pickle.dumps([dict((k, v) for k, v in g.items() if k != "params")
                                           for g in g_opt.param_groups]))
    expected = []
    for _ in range(20):
        sched.step()
        expected.append(sched.get_last_lr())

    g_opt2, _ = _pair()
    for group, saved in zip(g_opt2.param_groups, opt_state):
        group.update(saved)
    resumed = getattr(gs, name)(g_opt2, **kwargs)
    resumed.load_state_dict(state)
    g_opt2.param_groups[0]["lr"] = state["_last_lr"][0]
    got = []
    for _ in range(20):
        resumed.step()
        got.append(resumed.get_last_lr())
    assert got == expected


def test_one_cycle_state_dict_resume():
    g_opt, _ = _pair(momentum=0.9)
    sched = gs.OneCycleLR(g_opt, max_lr=0.2, total_steps=60)
    for _ in range(25):
        sched.step()
    state = sched.state_dict()
    expected = []
    for _ in range(30):
        sched.step()
        expected.append(sched.get_last_lr())
    g_opt2, _ = _pair(momentum=0.9)
    resumed = gs.OneCycleLR(g_opt2, max_lr=0.2, total_steps=60)
    resumed.load_state_dict(state)
    got = []
    for _ in range(30):
        resumed.step()
        got.append(resumed.get_last_lr())
    assert got == expected


def test_state_dict_matches_torch_keys():
    g_opt, t_opt = _pair()
    g = gs.StepLR(g_opt, step_size=3).state_dict()
    t = ts.StepLR(t_opt, step_size=3).state_dict()
    for key in ("step_size", "gamma", "base_lrs", "last_epoch", "_step_count", "_last_lr"):
        assert g[key] == t[key]


@pytest.mark.parametrize("name,kwargs", [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("MultiStepLR", dict(milestones=[3, 8])),
    ("ConstantLR", dict(factor=0.4, total_iters=6)),
    ("LinearLR", dict(start_factor=0.2, total_iters=10)),
    ("PolynomialLR", dict(total_iters=10, power=1.5)),
])
def test_step_with_epoch_closed_form(name, kwargs):
    g_opt, t_opt = _pair()
    g_sched = getattr(gs, name)(g_opt, **kwargs)
    t_sched = getattr(ts, name)(t_opt, **kwargs)
    for epoch in [3, 5, 9, 12]:
        with pytest.warns(UserWarning):
            t_sched.step(epoch)
        g_sched.step(epoch)
        assert g_sched.get_last_lr() == pytest.approx(t_sched.get_last_lr(), rel=1e-12)


def test_resume_with_last_epoch():
    g_opt, t_opt = _pair()
    for opt in (g_opt, t_opt):
        opt.param_groups[0]["initial_lr"] = 0.1
    g_sched = gs.CosineAnnealingLR(g_opt, T_max=20, last_epoch=5)
    t_sched = ts.CosineAnnealingLR(t_opt, T_max=20, last_epoch=5)
    _run(g_sched, t_sched, g_opt, t_opt, steps=40)


CYCLIC = [
    dict(base_lr=0.01, max_lr=0.1, step_size_up=10),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=13, mode="triangular2"),
    dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=5, mode="exp_range",
         gamma=0.98),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=6, scale_fn=lambda x: 0.5 ** x,
         scale_mode="iterations"),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=8, base_momentum=0.7, max_momentum=0.95),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=8, cycle_momentum=False),
]


@pytest.mark.parametrize("kwargs", CYCLIC)
def test_cyclic_matches_torch(kwargs):
    g_opt, t_opt = _pair(groups=2, momentum=0.9)
    g_sched = gs.CyclicLR(g_opt, **kwargs)
    t_sched = ts.CyclicLR(t_opt, **kwargs)
    keys = ("lr", "momentum") if kwargs.get("cycle_momentum", True) else ("lr",)
    _run(g_sched, t_sched, g_opt, t_opt, keys=keys)


def test_cyclic_adam_betas_and_errors():
    g_opt, t_opt = _pair(adam=True)
    g_sched = gs.CyclicLR(g_opt, base_lr=0.001, max_lr=0.01, step_size_up=4)
    t_sched = ts.CyclicLR(t_opt, base_lr=0.001, max_lr=0.01, step_size_up=4)
    _run(g_sched, t_sched, g_opt, t_opt, steps=30, keys=("lr", "betas"))
    g_opt, t_opt = _pair()
    for mod, opt in ((ts, t_opt), (gs, g_opt)):
        with pytest.raises(ValueError, match="mode is invalid"):
            mod.CyclicLR(opt, base_lr=0.01, max_lr=0.1, mode="sine")


def test_cyclic_state_dict_resume():
    g_opt, _ = _pair(momentum=0.9)
    sched = gs.CyclicLR(g_opt, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="triangular2")
    for _ in range(12):
        sched.step()
    state = pickle.loads(pickle.dumps(sched.state_dict()))
    expected = [(sched.step(), sched.get_last_lr())[1] for _ in range(20)]
    g_opt2, _ = _pair(momentum=0.9)
    resumed = gs.CyclicLR(g_opt2, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="triangular2")
    resumed.load_state_dict(state)
    assert [(resumed.step(), resumed.get_last_lr())[1] for _ in range(20)] == expected


@pytest.mark.parametrize("kwargs", [dict(T_0=10), dict(T_0=3, T_mult=2, eta_min=0.001),
                                    dict(T_0=5, T_mult=3)])
def test_warm_restarts_matches_torch(kwargs):
    g_opt, t_opt = _pair(groups=2)
    g_sched = gs.CosineAnnealingWarmRestarts(g_opt, **kwargs)
    t_sched = ts.CosineAnnealingWarmRestarts(t_opt, **kwargs)
    _run(g_sched, t_sched, g_opt, t_opt)


@pytest.mark.parametrize("T_mult", [1, 2])
def test_warm_restarts_fractional_epochs(T_mult):
    g_opt, t_opt = _pair()
    g_sched = gs.CosineAnnealingWarmRestarts(g_opt, T_0=4, T_mult=T_mult)
    t_sched = ts.CosineAnnealingWarmRestarts(t_opt, T_0=4, T_mult=T_mult)
    iters = 7
    for epoch in range(30):
        for i in range(iters):
            g_sched.step(epoch + i / iters)
            t_sched.step(epoch + i / iters)
            assert g_sched.get_last_lr() == pytest.approx(t_sched.get_last_lr(), rel=1e-12)
            assert g_sched.last_epoch == t_sched.last_epoch
    g_sched.step(50)
    t_sched.step(50)
    g_sched.step()
    t_sched.step()
    assert g_sched.get_last_lr() == pytest.approx(t_sched.get_last_lr(), rel=1e-12)


def test_warm_restarts_errors_like_torch():
    g_opt, t_opt = _pair()
    for mod, opt in ((ts, t_opt), (gs, g_opt)):
        with pytest.raises(ValueError, match="Expected positive integer T_0"):
            mod.CosineAnnealingWarmRestarts(opt, T_0=0)
        with pytest.raises(ValueError, match="Expected integer T_mult >= 1"):
            mod.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=0)
        sched = mod.CosineAnnealingWarmRestarts(opt, T_0=3)
        with pytest.raises(ValueError, match="Expected non-negative epoch"):
            sched.step(-1)


METRICS = [1.0, 0.9, 0.9, 0.95, 0.91, 0.9, 0.89, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.7, 0.7,
           0.7, 0.7, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4] * 3


@pytest.mark.parametrize("kwargs", [
    dict(patience=2),
    dict(mode="max", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs"),
    dict(patience=0, cooldown=2, min_lr=0.005),
    dict(patience=1, threshold=0.1, min_lr=[0.001, 0.03], factor=0.3),
    dict(patience=0, factor=0.5, eps=0.02),
])
def test_plateau_scripted_metrics(kwargs):
    g_opt, t_opt = _pair(groups=2)
    g_sched = gs.ReduceLROnPlateau(g_opt, **kwargs)
    t_sched = ts.ReduceLROnPlateau(t_opt, **kwargs)
    for metric in METRICS:
        g_sched.step(metric)
        t_sched.step(torch.tensor(metric, dtype=torch.float64))
        assert g_sched.get_last_lr() == t_sched.get_last_lr()
        assert [g["lr"] for g in g_opt.param_groups] == [g["lr"] for g in t_opt.param_groups]
        assert g_sched.num_bad_epochs == t_sched.num_bad_epochs
        assert g_sched.cooldown_counter == t_sched.cooldown_counter
        assert g_sched.best == t_sched.best


def test_plateau_state_dict_and_errors():
    g_opt, t_opt = _pair()
    sched = gs.ReduceLROnPlateau(g_opt, patience=1)
    for m in METRICS[:8]:
        sched.step(m)
    state = pickle.loads(pickle.dumps(sched.state_dict()))
    g_opt2, _ = _pair()
    g_opt2.param_groups[0]["lr"] = g_opt.param_groups[0]["lr"]
    resumed = gs.ReduceLROnPlateau(g_opt2)
    resumed.load_state_dict(state)
    for m in METRICS[8:]:
        sched.step(m)
        resumed.step(m)
        assert resumed.get_last_lr() == sched.get_last_lr()
    for mod, opt in ((ts, t_opt), (gs, g_opt)):
        with pytest.raises(ValueError, match="Factor should be < 1.0"):
            mod.ReduceLROnPlateau(opt, factor=1.0)
        with pytest.raises(ValueError, match="mode avg is unknown"):
            mod.ReduceLROnPlateau(opt, mode="avg")
        with pytest.raises(ValueError, match="threshold mode x is unknown"):
            mod.ReduceLROnPlateau(opt, threshold_mode="x")


def _sequential(mod, opt):
    warm = mod.LinearLR(opt, start_factor=0.1, total_iters=5)
    decay = mod.ExponentialLR(opt, gamma=0.9)
    cos = mod.CosineAnnealingLR(opt, T_max=20)
    return mod.SequentialLR(opt, schedulers=[warm, decay, cos], milestones=[5, 30])


def _chained(mod, opt):
    return mod.ChainedScheduler([mod.ConstantLR(opt, factor=0.5, total_iters=4),
                                 mod.ExponentialLR(opt, gamma=0.95),
                                 mod.MultiStepLR(opt, milestones=[20, 50])])


@pytest.mark.parametrize("build", [_sequential, _chained])
def test_composites_match_torch(build):
    g_opt, t_opt = _pair(groups=2)
    g_sched = build(gs, g_opt)
    t_sched = build(ts, t_opt)
    _run(g_sched, t_sched, g_opt, t_opt)


@pytest.mark.parametrize("build", [_sequential, _chained])
def test_composites_state_dict(build):
    g_opt, _ = _pair()
    sched = build(gs, g_opt)
    for _ in range(17):
        sched.step()
    state = pickle.loads(pickle.dumps(sched.state_dict()))
    lr = g_opt.param_groups[0]["lr"]
    expected = [(sched.step(), sched.get_last_lr())[1] for _ in range(30)]
    g_opt2, _ = _pair()
    resumed = build(gs, g_opt2)
    resumed.load_state_dict(state)
    g_opt2.param_groups[0]["lr"] = lr
    assert [(resumed.step(), resumed.get_last_lr())[1] for _ in range(30)] == expected


def test_composite_errors_like_torch():
    g_opt, t_opt = _pair()
    for mod, opt in ((ts, t_opt), (gs, g_opt)):
        with pytest.raises(ValueError, match="expects at least one scheduler"):
            mod.SequentialLR(opt, schedulers=[], milestones=[])
        with pytest.raises(ValueError, match="one more than the number of milestone"):
            mod.SequentialLR(opt, schedulers=[mod.StepLR(opt, 3)], milestones=[3])
        with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
            mod.ChainedScheduler([mod.ReduceLROnPlateau(opt)])
        other = _pair()[0] if mod is gs else _pair()[1]
        with pytest.raises(ValueError, match="belong to the same optimizer"):
            mod.ChainedScheduler([mod.StepLR(opt, 3), mod.StepLR(other, 3)])


@pytest.mark.parametrize("name,kwargs", [("StepLR", dict(step_size=3)),
                                         ("CosineAnnealingLR", dict(T_max=10)),
                                         ("LambdaLR", dict(lr_lambda=lambda e: 0.5))])
def test_state_dict_keys_match_torch(name, kwargs):
    g_opt, t_opt = _pair()
    g = getattr(gs, name)(g_opt, **kwargs)
    t = getattr(ts, name)(t_opt, **kwargs)
    g_opt.step()
    t_opt.step()
    g.step()
    t.step()
    assert set(g.state_dict()) == set(t.state_dict())


class _Scale:
    def __init__(self):
        self.factor = 0.5

    def __call__(self, epoch):
        return self.factor ** epoch


def test_lambda_state_dict_saves_callable_objects():
    g_opt, _ = _pair()
    fn = _Scale()
    sched = gs.LambdaLR(g_opt, lr_lambda=[fn])
    fn.factor = 0.7
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"factor": 0.7}]
    g_opt2, _ = _pair()
    fn2 = _Scale()
    gs.LambdaLR(g_opt2, lr_lambda=fn2).load_state_dict(state)
    assert fn2.factor == 0.7
    assert gs.LambdaLR(g_opt, lr_lambda=lambda e: 1.0).state_dict()["lr_lambdas"] == [None]
    with pytest.raises(TypeError, match="lr_lambda should be a function"):
        gs.LambdaLR(g_opt, lr_lambda=[3])
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        gs.MultiplicativeLR(g_opt, lr_lambda=[fn, fn])


def test_warns_when_scheduler_steps_before_optimizer():
    g_opt, _ = _pair()
    sched = gs.StepLR(g_opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    g_opt, _ = _pair()
    sched = gs.StepLR(g_opt, step_size=2)
    g_opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(5)


def test_is_lr_scheduler_subclass():
    g_opt, _ = _pair()
    for sched in (gs.StepLR(g_opt, 3), gs.OneCycleLR(g_opt, max_lr=0.1, total_steps=5,
                                                     cycle_momentum=False)):
        assert isinstance(sched, gs.LRScheduler)
    assert issubclass(gs._LRScheduler, gs.LRScheduler)
    assert not isinstance(gs.MultiplicativeLR(g_opt, lambda e: 1.0), gs.LambdaLR)
