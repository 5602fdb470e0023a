"""The Optimizer base: parameter groups, state_dict format, zero_grad, closures and errors,
compared with torch.optim where both can run."""

import copy
import warnings

import numpy as np
import pytest
import torch

import glassgrad as gg
from glassgrad import optim
from glassgrad.optim.optimizer import Optimizer, required


def _param(*values, dtype=None):
    return gg.nn.Parameter(gg.tensor(list(values) or [1.0, 2.0], dtype=dtype))


def test_import_glassgrad_exposes_optim():
    assert gg.optim is optim
    assert gg.optim.SGD is optim.sgd.SGD
    assert issubclass(optim.Adam, Optimizer)


def test_empty_parameter_list():
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        torch.optim.SGD([], lr=0.1)


@pytest.mark.parametrize("dtype, name", [(gg.float32, "FloatTensor"),
                                         (gg.float64, "DoubleTensor")])
def test_single_tensor_is_a_type_error(dtype, name):
    with pytest.raises(TypeError) as info:
        optim.Adam(_param(dtype=dtype))
    assert str(info.value) == ("params argument given to the optimizer should be an iterable of "
                               f"Tensors or dicts, but got glassgrad.{name}")


def test_non_leaf_tensor():
    w = gg.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        optim.SGD([w * 2], lr=0.1)


def test_non_tensor_parameter():
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the "
                                        "params is int"):
        optim.SGD([_param(), 3], lr=0.1)


def test_a_group_with_a_set_of_parameters_is_rejected():
    with pytest.raises(TypeError, match="^optimizer parameters need to be organized in ordered "
                                        "collections, but the ordering of tensors in sets will "
                                        "change between runs. Please use a list instead.$"):
        optim.SGD([{"params": {_param()}}], lr=0.1)


def test_parameter_in_two_groups():
    p = _param()
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def test_duplicate_parameter_warns():
    p = _param()
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([p, p], lr=0.1)


def test_required_hyper_parameter():
    class Plain(Optimizer):
        def __init__(self, params, lr=required):
            super().__init__(params, dict(lr=lr))

    with pytest.raises(ValueError, match="parameter group didn't specify a value of required "
                                         "optimization parameter lr"):
        Plain([_param()])
    assert Plain([_param()], lr=0.5).param_groups[0]["lr"] == 0.5


def test_generator_of_parameters():
    model = gg.nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert len(opt.param_groups) == 1
    assert opt.param_groups[0]["params"] == list(model.parameters()) or \
        all(a is b for a, b in zip(opt.param_groups[0]["params"], model.parameters()))


def test_named_parameters_give_param_names():
    model = gg.nn.Linear(3, 2)
    tmodel = torch.nn.Linear(3, 2)
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    topt = torch.optim.SGD(tmodel.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]
    with pytest.raises(ValueError, match="cannot add param group without names"):
        opt.add_param_group({"params": [_param()]})
    with pytest.raises(ValueError, match="Some param names are missing"):
        optim.SGD([("a", _param()), _param()], lr=0.1)


def test_per_group_hyper_parameters_and_add_param_group():
    a, b, c = _param(1.0), _param(1.0), _param(1.0)
    ta, tb, tc = (torch.nn.Parameter(torch.tensor([1.0])) for _ in range(3))
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([{"params": [ta]}, {"params": tb, "lr": 0.5}], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [c], "lr": 0.01, "momentum": 0.0})
    topt.add_param_group({"params": [tc], "lr": 0.01, "momentum": 0.0})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9, 0.0]
    for _ in range(3):
        for ps, o in (((a, b, c), opt), ((ta, tb, tc), topt)):
            o.zero_grad()
            sum(((p * p).sum() for p in ps[1:]), (ps[0] * ps[0]).sum()).backward()
            o.step()
    for p, tp in zip((a, b, c), (ta, tb, tc)):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-6)
    assert "momentum_buffer" not in opt.state[c]
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


def test_zero_grad_set_to_none():
    p = _param()
    opt = optim.SGD([p], lr=0.1)
    (p * 3).sum().backward()
    opt.zero_grad()
    assert p.grad is None


def test_zero_grad_keeps_zeros_when_asked():
    p = _param()
    opt = optim.SGD([p], lr=0.1)
    (p * 3).sum().backward()
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad  # the same tensor, filled with zeros
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(2, np.float32))
    assert not p.grad.requires_grad
    (p * 3).sum().backward()  # accumulates from zero again
    np.testing.assert_array_equal(p.grad.numpy(), np.full(2, 3.0, np.float32))


def test_zero_grad_without_grads_is_fine():
    opt = optim.Adam([_param()])
    opt.zero_grad()
    opt.zero_grad(set_to_none=False)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta",
                                  "NAdam"])
def test_closure_loss_is_returned(name):
    p = _param(1.0, -2.0)
    opt = getattr(optim, name)([p], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        calls.append(1)
        return loss

    loss = opt.step(closure)
    assert calls == [1]
    assert loss.item() == 5.0
    assert opt.step() is None


def test_closure_runs_with_grad_enabled():
    p = _param()
    opt = optim.SGD([p], lr=0.1)

    def closure():
        loss = (p * p).sum()
        assert loss.requires_grad
        loss.backward()
        return loss

    with gg.no_grad():
        opt.step(closure)
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.6], rtol=1e-6)


def test_state_dict_layout():
    a, b, c = _param(), _param(), _param()
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.1}])
    (a.sum() + c.sum()).backward()
    opt.step()
    sd = opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(sd["state"]) == [0, 2]  # b had no gradient, so no state
    assert sorted(sd["state"][0]) == ["exp_avg", "exp_avg_sq", "step"]
    assert sd["param_groups"][1]["lr"] == 0.1
    assert sd["state"][0]["exp_avg"] is opt.state[a]["exp_avg"]  # by reference, as torch


def test_load_state_dict_restores_hyper_parameters_and_copies_state():
    p = _param()
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    (p * p).sum().backward()
    opt.step()
    sd = opt.state_dict()
    q = _param()
    fresh = optim.SGD([q], lr=0.5)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == 0.1 and fresh.param_groups[0]["momentum"] == 0.9
    assert fresh.param_groups[0]["params"][0] is q
    buf = fresh.state[q]["momentum_buffer"]
    np.testing.assert_array_equal(buf.numpy(), opt.state[p]["momentum_buffer"].numpy())
    assert buf is not opt.state[p]["momentum_buffer"]
    # changing a group in the loaded optimizer leaves the saved dict alone
    fresh.param_groups[0]["lr"] = 1.0
    assert sd["param_groups"][0]["lr"] == 0.1


def test_load_state_dict_casts_to_parameter_dtype_but_keeps_step():
    p = _param()
    opt = optim.Adam([p])
    p.sum().backward()
    opt.step()
    q = _param(dtype=gg.float64)
    fresh = optim.Adam([q])
    fresh.load_state_dict(opt.state_dict())
    assert fresh.state[q]["exp_avg"].dtype == gg.float64
    assert fresh.state[q]["step"].dtype == gg.float32


def test_load_state_dict_mismatches():
    opt = optim.SGD([_param(), _param()], lr=0.1)
    other_groups = optim.SGD([{"params": [_param()]}, {"params": [_param()]}], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter "
                                         "groups"):
        opt.load_state_dict(other_groups.state_dict())
    smaller = optim.SGD([_param()], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that "
                                         "doesn't match the size of optimizer's group"):
        opt.load_state_dict(smaller.state_dict())


def test_state_dict_deepcopy_round_trip_through_save_and_load(tmp_path):
    p = _param()
    opt = optim.RMSprop([p], lr=0.01, momentum=0.5, centered=True)
    for _ in range(3):
        opt.zero_grad()
        (p ** 3).sum().backward()
        opt.step()
    snapshot = copy.deepcopy(opt.state_dict())
    assert snapshot["state"][0]["square_avg"] is not opt.state[p]["square_avg"]
    np.testing.assert_array_equal(snapshot["state"][0]["square_avg"].numpy(),
                                  opt.state[p]["square_avg"].numpy())


def test_repr_matches_torch():
    ours = optim.SGD([{"params": [_param()]}, {"params": [_param()], "lr": 0.5}], lr=0.1,
                     momentum=0.9)
    theirs = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.ones(1))]},
                              {"params": [torch.nn.Parameter(torch.ones(1))], "lr": 0.5}],
                             lr=0.1, momentum=0.9)
    assert repr(ours) == repr(theirs)


def test_training_a_linear_model_reduces_the_loss():
    gg.manual_seed(0)
    model = gg.nn.Linear(3, 1)
    x = gg.randn(32, 3)
    y = x @ gg.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    opt = optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(100):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.01 * losses[0]


def test_no_warnings_in_a_plain_step():
    p = _param()
    opt = optim.NAdam([p])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (p * p).sum().backward()
        opt.step()


def test_step_hooks_run_around_step_and_can_be_removed():
    p = _param()
    opt = optim.SGD([p], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt)))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o is opt)))
    p.sum().backward()
    opt.step()
    assert calls == [("pre", True), ("post", True)]
    pre.remove()
    post.remove()
    opt.step()
    assert len(calls) == 2


def test_step_pre_hook_can_replace_arguments():
    p = _param()
    opt = optim.Adam([p])
    opt.register_step_pre_hook(lambda o, args, kwargs: ((), {"closure": lambda: 42}))
    assert opt.step() == 42
    opt.register_step_pre_hook(lambda o, args, kwargs: "bad")
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()
