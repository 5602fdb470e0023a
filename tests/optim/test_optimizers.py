"""Every optimizer, every option: 50 steps of glassgrad against 50 steps of torch from the same
parameters and the same loss, and state_dict resume giving bit-identical next steps."""

import copy

import numpy as np
import pytest
import torch

import glassgrad as gg
from glassgrad import optim

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}

CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.01, betas=(0.4, 0.999))),  # lerp weight >= 0.5 branch
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.001, alpha=0.9, eps=1e-6)),
    ("RMSprop", dict(lr=0.001, momentum=0.9)),
    ("RMSprop", dict(lr=0.001, centered=True)),
    ("RMSprop", dict(lr=0.001, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.001, alpha=0.8, centered=True, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4)),
    ("Adadelta", dict(weight_decay=0.1, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, betas=(0.5, 0.9), maximize=True)),
]


def _ids(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def _initial(dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = dict(w=rng.standard_normal((4, 3)), b=rng.standard_normal(3),
                  x=rng.standard_normal((8, 4)), y=rng.standard_normal((8, 3)))
    return {k: v.astype(dtype) for k, v in arrays.items()}


def _loss(lib, w, b, x, y):
    """A small convex, non-quadratic loss: least squares plus a quartic penalty.

    Convex on purpose: torch's kernels fuse multiply-adds (one rounding) where NumPy rounds twice,
    and a chaotic loss would amplify those last-bit differences over 50 steps."""
    out = x @ w + b
    return ((out - y) ** 2).mean() + 0.01 * (w ** 4).sum()


class _Run:
    """One library's parameters, data and optimizer; ``step()`` = zero_grad, backward, step."""

    def __init__(self, lib, name, kwargs, arrays):
        self.lib = lib
        maker = (lambda a: torch.nn.Parameter(torch.tensor(a))) if lib is torch else \
            (lambda a: gg.nn.Parameter(gg.tensor(a)))
        data = torch.tensor if lib is torch else gg.tensor
        self.w = maker(arrays["w"])
        self.b = maker(arrays["b"])
        self.x = data(arrays["x"])
        self.y = data(arrays["y"])
        module = torch.optim if lib is torch else optim
        self.opt = getattr(module, name)([self.w, self.b], **kwargs)
        self.sign = -1 if kwargs.get("maximize") else 1  # maximize the negated loss


    def step(self):
        self.opt.zero_grad()
        loss = self.sign * _loss(self.lib, self.w, self.b, self.x, self.y)
        loss.backward()
        self.opt.step()

    def values(self):
        return [self.w.detach().numpy().copy(), self.b.detach().numpy().copy()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_trajectory_matches_torch(case, dtype):
    name, kwargs = case
    arrays = _initial(dtype)
    ours = _Run(gg, name, kwargs, arrays)
    theirs = _Run(torch, name, kwargs, arrays)
    for step in range(50):
        ours.step()
        theirs.step()
        for a, e in zip(ours.values(), theirs.values()):
            assert a.dtype == e.dtype
            np.testing.assert_allclose(a, e, err_msg=f"step {step + 1}", **TOL[dtype])
    # the state holds the same buffers, under torch's names, with torch's values
    for p_ours, p_theirs in zip([ours.w, ours.b], [theirs.w, theirs.b]):
        s_ours = ours.opt.state[p_ours]
        s_theirs = theirs.opt.state[p_theirs]
        assert sorted(s_ours) == sorted(s_theirs)
        for key in s_theirs:
            expected = s_theirs[key].detach().numpy()
            actual = s_ours[key].numpy()
            assert actual.dtype == expected.dtype, key
            assert actual.shape == expected.shape, key
            np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_state_dict_resume_is_bit_identical(case):
    name, kwargs = case
    arrays = _initial(np.float32)
    straight = _Run(gg, name, kwargs, arrays)
    for _ in range(10):
        straight.step()
    saved = copy.deepcopy(straight.opt.state_dict())
    saved_values = straight.values()

    resumed_arrays = dict(arrays, w=saved_values[0], b=saved_values[1])
    resumed = _Run(gg, name, {}, resumed_arrays)  # default hyper-parameters, overwritten by load
    resumed.sign = straight.sign
    resumed.opt.load_state_dict(saved)
    assert resumed.opt.param_groups[0]["lr"] == straight.opt.param_groups[0]["lr"]
    for _ in range(5):
        straight.step()
        resumed.step()
        for a, e in zip(resumed.values(), straight.values()):
            np.testing.assert_array_equal(a, e)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_state_dict_format_matches_torch(case):
    name, kwargs = case
    arrays = _initial(np.float32)
    ours = _Run(gg, name, kwargs, arrays)
    theirs = _Run(torch, name, kwargs, arrays)
    for _ in range(3):
        ours.step()
        theirs.step()
    sd_ours = ours.opt.state_dict()
    sd_theirs = theirs.opt.state_dict()
    assert sd_ours["param_groups"] == sd_theirs["param_groups"]
    assert sorted(sd_ours["state"]) == sorted(sd_theirs["state"])
    for index, values in sd_theirs["state"].items():
        assert sorted(sd_ours["state"][index]) == sorted(values)
        assert float(sd_ours["state"][index]["step"] if "step" in values else 0) == \
            float(values["step"] if "step" in values else 0)


def test_torch_state_dict_loads_into_glassgrad():
    """A state saved by torch (tensors converted) resumes glassgrad on torch's trajectory."""
    arrays = _initial(np.float64)
    theirs = _Run(torch, "Adam", dict(lr=0.01, amsgrad=True), arrays)
    for _ in range(10):
        theirs.step()
    sd = theirs.opt.state_dict()
    converted = {"state": {i: {k: gg.tensor(v.numpy().copy()) for k, v in s.items()}
                           for i, s in sd["state"].items()},
                 "param_groups": copy.deepcopy(sd["param_groups"])}
    values = theirs.values()
    ours = _Run(gg, "Adam", {}, dict(arrays, w=values[0], b=values[1]))
    ours.opt.load_state_dict(converted)
    for _ in range(10):
        ours.step()
        theirs.step()
        for a, e in zip(ours.values(), theirs.values()):
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta",
                                  "NAdam"])
def test_defaults_match_torch(name):
    p = gg.nn.Parameter(gg.zeros(2))
    q = torch.nn.Parameter(torch.zeros(2))
    ours = getattr(optim, name)([p])
    theirs = getattr(torch.optim, name)([q])
    assert ours.defaults == theirs.defaults
    assert {k: v for k, v in ours.param_groups[0].items() if k != "params"} == \
        {k: v for k, v in theirs.param_groups[0].items() if k != "params"}
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad", "RMSprop", "Adadelta", "NAdam"])
def test_parameters_without_grad_are_skipped(name):
    p = gg.nn.Parameter(gg.ones(3))
    q = gg.nn.Parameter(gg.ones(3))
    opt = getattr(optim, name)([p, q], lr=0.1)
    (p * p).sum().backward()
    before = q.detach().numpy().copy()
    opt.step()
    np.testing.assert_array_equal(q.detach().numpy(), before)
    assert q not in opt.state or "step" not in opt.state[q] or float(opt.state[q]["step"]) == 0
    assert not np.array_equal(p.detach().numpy(), np.ones(3, np.float32))


def test_step_is_float32_zero_dim_tensor():
    p = gg.nn.Parameter(gg.ones(3, dtype=gg.float64))
    opt = optim.Adam([p])
    p.sum().backward()
    opt.step()
    opt.step()
    step = opt.state[p]["step"]
    assert isinstance(step, gg.Tensor)
    assert step.dtype == gg.float32 and step.shape == () and step.item() == 2.0
    assert opt.state[p]["exp_avg"].dtype == gg.float64


def test_adagrad_state_exists_before_first_step():
    p = gg.nn.Parameter(gg.ones(3))
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert sorted(opt.state[p]) == ["step", "sum"]
    np.testing.assert_array_equal(opt.state[p]["sum"].numpy(), np.full(3, 0.25, np.float32))


def test_update_is_in_place_and_bumps_version():
    p = gg.nn.Parameter(gg.ones(3))
    storage = p._data
    version = p._version
    opt = optim.SGD([p], lr=0.1)
    p.sum().backward()
    opt.step()
    assert p._data is storage
    assert p._version > version
    np.testing.assert_allclose(p.detach().numpy(), np.full(3, 0.9, np.float32))


INVALID = [
    ("SGD", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("SGD", dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("SGD", dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1),
     "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("Adam", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("Adam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("Adam", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("AdamW", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    ("Adagrad", dict(initial_accumulator_value=-1),
     "Invalid initial_accumulator_value value: -1"),
    ("Adagrad", dict(eps=-1), "Invalid epsilon value: -1"),
    ("RMSprop", dict(alpha=-0.5), "Invalid alpha value: -0.5"),
    ("RMSprop", dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("NAdam", dict(momentum_decay=-1.0), "Invalid momentum_decay value: -1.0"),
    ("NAdam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
]


@pytest.mark.parametrize("name, kwargs, message", INVALID)
def test_invalid_hyper_parameters(name, kwargs, message):
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([gg.nn.Parameter(gg.ones(1))], **kwargs)
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))], **kwargs)
    assert str(ours.value) == str(theirs.value) == message
