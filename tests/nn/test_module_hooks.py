"""Module hooks against torch.nn.Module: forward pre-hooks and hooks (order, kwargs,
replacement, always_call), full backward hooks and pre-hooks (firing order and the grad_input /
grad_output values, with identical weights), replacing gradients, and tensor hooks on
parameters."""

import warnings

import numpy as np
import pytest
import torch
from parity import assert_close

import glassgrad as gg
import glassgrad.nn as nn


def copy_weights(gg_module, torch_module):
    gg_module.load_state_dict({k: v.numpy() for k, v in torch_module.state_dict().items()})


def test_forward_hooks_order_kwargs_and_replacement():
    log = []
    layer = nn.Linear(2, 2)
    layer.register_forward_pre_hook(lambda m, args: log.append("pre1"))
    layer.register_forward_pre_hook(lambda m, args: log.append("pre0"), prepend=True)
    layer.register_forward_pre_hook(lambda m, args, kwargs: (args, kwargs), with_kwargs=True)
    handle = layer.register_forward_hook(lambda m, args, out: out * 0)
    layer.register_forward_hook(lambda m, args, kwargs, out: log.append(("post", kwargs)),
                                with_kwargs=True)
    out = layer(gg.ones(1, 2))
    assert log == ["pre0", "pre1", ("post", {})]
    assert not out.numpy(force=True).any()
    handle.remove()
    assert layer(gg.ones(1, 2)).numpy(force=True).any()
    layer.register_forward_pre_hook(lambda m, args: gg.zeros(1, 2))  # replaces the input
    np.testing.assert_allclose(layer(gg.ones(1, 2)).detach().numpy()[0],
                               layer.bias.detach().numpy())
    bad = nn.Linear(2, 2)
    bad.register_forward_pre_hook(lambda m, a, k: 3, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        bad(gg.ones(1, 2))


def test_forward_hook_always_call_runs_on_error():
    seen = []
    layer = nn.Linear(2, 2)
    layer.register_forward_hook(lambda m, a, o: seen.append("always"), always_call=True)
    layer.register_forward_hook(lambda m, a, o: seen.append("normal"))
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        layer(gg.ones(1, 3))
    assert seen == ["always"]


def _hook_models(seed=0):
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    ours = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    copy_weights(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_full_backward_hooks_match_torch(input_requires_grad):
    records = {}
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    for lib, model in zip(("gg", "torch"), _hook_models()):
        log = records[lib] = []
        for name, module in model.named_modules():
            module.register_full_backward_pre_hook(
                lambda m, go, name=name, log=log: log.append(("pre", name, go)))
            module.register_full_backward_hook(
                lambda m, gi, go, name=name, log=log: log.append(("full", name, gi, go)))
        L = gg if lib == "gg" else torch
        inp = L.tensor(x, requires_grad=input_requires_grad)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (model(inp) ** 2).sum().backward()
    assert len(records["gg"]) == 8  # a pre-hook and a hook for each of the 4 modules
    assert [r[:2] for r in records["gg"]] == [r[:2] for r in records["torch"]]
    for ours, theirs in zip(records["gg"], records["torch"]):
        for our_grads, their_grads in zip(ours[2:], theirs[2:]):
            assert len(our_grads) == len(their_grads)
            for g, t in zip(our_grads, their_grads):
                assert (g is None) == (t is None), ours[:2]
                if t is not None:
                    assert_close(g, t, what=str(ours[:2]))


def test_backward_hook_can_replace_gradients_like_torch():
    x = np.array([[0.5, -1.0, 2.0]], dtype=np.float32)
    results = []
    for model, L in zip(_hook_models(), (gg, torch)):
        model[2].register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
        model[0].register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,))
        inp = L.tensor(x, requires_grad=True)
        model(inp).sum().backward()
        results.append((inp.grad, model[0].weight.grad))
    assert_close(results[0][0], results[1][0])
    assert_close(results[0][1], results[1][1])


def test_backward_hook_with_two_inputs_and_outputs_matches_torch():
    class Two(nn.Module):
        def forward(self, a, b, k=3):
            return a * b, a + b

    class TorchTwo(torch.nn.Module):
        def forward(self, a, b, k=3):
            return a * b, a + b

    logs = []
    for module, L in ((Two(), gg), (TorchTwo(), torch)):
        log = []
        module.register_full_backward_pre_hook(lambda m, go, log=log: log.append(go))
        module.register_full_backward_hook(lambda m, gi, go, log=log: log.append((gi, go)))
        a = L.tensor([1.0, 2.0], requires_grad=True)
        o1, _ = module(a, L.tensor([3.0, 4.0]))
        o1.sum().backward()
        o1, _ = module(a, 2.0, k=1)
        (o1.sum() * 2).backward()
        logs.append(log)
    flat = [[], []]
    for side, log in enumerate(logs):
        for item in log:
            for part in (item if isinstance(item[0], tuple) else (item,)):
                flat[side].extend(part)
    assert len(flat[0]) == len(flat[1])
    for g, t in zip(*flat):
        assert (g is None) == (t is None)
        if t is not None:
            assert_close(g, t)


def test_backward_hook_errors_and_handles():
    layer = nn.Linear(2, 2)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
        layer(gg.ones(1, 2, requires_grad=True)).sum().backward()
    other = nn.Linear(2, 2)
    handle = other.register_full_backward_hook(lambda m, gi, go: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full"):
        other.register_backward_hook(lambda m, gi, go: None)
    handle.remove()
    calls = []
    h = other.register_full_backward_pre_hook(lambda m, go: calls.append(1))
    other(gg.ones(1, 2, requires_grad=True)).sum().backward()
    h.remove()
    other(gg.ones(1, 2, requires_grad=True)).sum().backward()
    assert calls == [1]


def test_tensor_hooks_on_parameters_fire_like_the_seed_example():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    seen = {}
    model[0].weight.register_hook(lambda g: seen.setdefault("w0", g.clone()))
    model[2].weight.register_hook(lambda g: seen.setdefault("w2", g.clone()))
    model(gg.tensor([[0.5, 0.7], [0.1, 0.9]])).pow(2).mean().backward()
    assert_close(seen["w0"], model[0].weight.grad)
    assert_close(seen["w2"], model[2].weight.grad)
