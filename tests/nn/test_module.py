"""nn.Module against torch.nn.Module: registration, traversal, modes, conversion, state dicts
(keys and error messages), reprs, Parameter and Buffer (hooks: test_module_hooks.py).
Messages are compared after reading "glassgrad" as "torch"."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from parity import assert_close

import glassgrad as gg
import glassgrad.nn as nn


def same_error(gg_call, torch_call):
    """Both calls raise the same exception type with the same message (glassgrad -> torch)."""
    with pytest.raises(Exception) as theirs:
        torch_call()
    with pytest.raises(type(theirs.value)) as ours:
        gg_call()
    assert str(ours.value).replace("glassgrad", "torch") == str(theirs.value)


def copy_weights(gg_module, torch_module):
    """Load a torch module's state dict into a glassgrad module (through NumPy arrays)."""
    gg_module.load_state_dict({k: v.numpy() for k, v in torch_module.state_dict().items()})


def net_class(L):
    """The same small model written against glassgrad (L=gg) or torch (L=torch)."""
    class Net(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = L.nn.Linear(3, 4)
            self.out = L.nn.Linear(4, 2)
            self.scale = L.nn.Parameter(L.ones(2))
            self.register_buffer("steps", L.zeros((), dtype=L.int64))
            self.register_buffer("cache", L.zeros(2), persistent=False)

        def forward(self, x):
            return self.out(self.hidden(x).relu()) * self.scale

    return Net


Net = net_class(gg)
TorchNet = net_class(torch)


# ----------------------------------------------------------------------------- registration
def test_names_and_traversal_match_torch():
    ours, theirs = Net(), TorchNet()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters(prefix="m", recurse=False)] == ["m.scale"]
    assert len(list(ours.modules())) == 3 and len(list(ours.children())) == 2
    assert all(isinstance(p, nn.Parameter) for p in ours.parameters())


def test_shared_modules_and_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, layer)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 2
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4
    assert [n for n, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "1"]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_reassigning_keeps_order_and_kind():
    ours, theirs = Net(), TorchNet()
    ours.hidden = nn.Linear(3, 4)
    theirs.hidden = torch.nn.Linear(3, 4)
    ours.scale = nn.Parameter(gg.ones(2))
    theirs.scale = torch.nn.Parameter(torch.ones(2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.plain = 3
    assert ours.plain == 3 and "plain" not in dict(ours.named_parameters())
    ours.scale = None
    assert "scale" not in ours.state_dict() and ours.scale is None
    del ours.out
    assert [n for n, _ in ours.named_children()] == ["hidden"]


def test_buffers_persistent_flag_and_nn_buffer():
    m = nn.Module()
    m.register_buffer("a", gg.ones(2))
    m.register_buffer("b", gg.ones(2), persistent=False)
    m.c = nn.Buffer(gg.zeros(1))
    m.d = nn.Buffer(gg.zeros(1), persistent=False)
    assert list(m.state_dict()) == ["a", "c"]
    assert [n for n, _ in m.named_buffers()] == ["a", "b", "c", "d"]
    assert isinstance(m.c, gg.Tensor) and isinstance(m.c, nn.Buffer)
    assert not isinstance(gg.ones(1), nn.Buffer)
    m.b = gg.full((2,), 5.0)  # re-assigning keeps the buffer non-persistent
    assert "b" not in m.state_dict() and m.b.tolist() == [5.0, 5.0]
    m.register_buffer("b", gg.ones(2), persistent=True)
    assert "b" in m.state_dict()


def test_registration_errors_match_torch():
    def pair(action):
        mods = nn.Module(), torch.nn.Module()
        libs = gg, torch
        return (lambda: action(mods[0], libs[0])), (lambda: action(mods[1], libs[1]))

    cases = [
        lambda m, L: m.register_parameter("x", L.ones(2)),
        lambda m, L: m.register_parameter("a.b", None),
        lambda m, L: m.register_parameter("", None),
        lambda m, L: m.register_parameter(3, None),
        lambda m, L: m.register_buffer("y", 3),
        lambda m, L: m.register_buffer("training", L.ones(1)),
        lambda m, L: m.register_buffer("a.b", L.ones(1)),
        lambda m, L: m.add_module("forward", L.nn.Module()),
        lambda m, L: m.add_module("a.b", L.nn.Module()),
        lambda m, L: m.add_module("x", 3),
        lambda m, L: (setattr(m, "w", L.nn.Parameter(L.ones(1))), setattr(m, "w", L.ones(1))),
        lambda m, L: (setattr(m, "c", L.nn.Module()), setattr(m, "c", 3)),
        lambda m, L: (m.register_buffer("b", L.ones(1)), setattr(m, "b", 3)),
        lambda m, L: m.nope,
        lambda m, L: m(),
        lambda m, L: m.to(L.int64),
        lambda m, L: m.train("yes"),
        lambda m, L: m.get_submodule("a.b"),
        lambda m, L: m.get_parameter("training"),
        lambda m, L: type(m)(3),
        lambda m, L: type(m)(a=3),
    ]
    for action in cases:
        same_error(*pair(action))
    same_error(lambda: nn.Parameter(gg.tensor([1, 2])),
               lambda: torch.nn.Parameter(torch.tensor([1, 2])))


def test_assignment_before_init_is_refused():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(gg.ones(1))
            super().__init__()

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        Early()


def test_get_submodule_parameter_buffer():
    model = nn.Sequential(Net())
    assert model.get_submodule("0.hidden") is model[0].hidden
    assert model.get_submodule("") is model
    assert model.get_parameter("0.hidden.weight") is model[0].hidden.weight
    assert model.get_buffer("0.steps") is model[0].steps
    with pytest.raises(AttributeError, match="is not a buffer"):
        model.get_buffer("0.scale")


# ----------------------------------------------------------------------------- modes, grads
def test_train_eval_recurse_and_call_overrides():
    calls = []

    class Custom(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    model = nn.Sequential(nn.Linear(1, 1), nn.Sequential(Custom()))
    assert model.training and model[1][0].training
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    assert calls == [False, True]


def test_zero_grad_and_requires_grad():
    model = Net()
    model(gg.ones(5, 3)).sum().backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert all(g is not None for g in grads.values())
    model.zero_grad(set_to_none=False)
    for name, p in model.named_parameters():
        assert p.grad is grads[name] and not p.grad.numpy().any()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    assert not model(gg.ones(1, 3)).requires_grad
    model.hidden.requires_grad_()
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["hidden.weight",
                                                                           "hidden.bias"]


def test_apply_visits_children_then_self():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 1)))
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "Linear", "Sequential", "Sequential"]

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)

    model.apply(init_weights)
    assert model[1][0].weight.tolist() == [[0.5, 0.5]]


def test_to_casts_floating_state_and_keeps_identity():
    model = Net()
    weight = model.hidden.weight
    model(gg.ones(2, 3)).sum().backward()
    assert model.to(gg.float64) is model
    assert model.hidden.weight is weight and weight.dtype == gg.float64
    assert weight.grad.dtype == gg.float64
    assert model.steps.dtype == gg.int64  # integer buffers keep their dtype
    assert model.cache.dtype == gg.float64
    assert model(gg.ones(2, 3, dtype=gg.float64)).dtype == gg.float64
    model.float()
    assert weight.dtype == gg.float32
    model.to("cpu")
    model.to(gg.ones(1, dtype=gg.float64))
    assert weight.dtype == gg.float64
    model.to(device="cpu", dtype=gg.float32)
    assert weight.dtype == gg.float32
    with pytest.raises(RuntimeError):
        model.to("cuda")


# ----------------------------------------------------------------------------- state dicts
def test_state_dict_values_are_detached_and_round_trip():
    a, b = Net(), Net()
    state = a.state_dict()
    assert not any(v.requires_grad for v in state.values())
    assert state["hidden.weight"].data_ptr() == a.hidden.weight.data_ptr()
    assert a.state_dict(keep_vars=True)["hidden.weight"] is a.hidden.weight
    result = b.load_state_dict(state)
    assert repr(result) == "<All keys matched successfully>"
    for key, value in b.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[key].numpy())
    weight = b.hidden.weight
    b.load_state_dict(Net().state_dict())  # loads in place: the Parameter objects stay
    assert b.hidden.weight is weight
    c = Net()
    c.load_state_dict(state, assign=True)
    assert c.hidden.weight.data_ptr() == a.hidden.weight.data_ptr()
    assert isinstance(c.hidden.weight, nn.Parameter) and c.hidden.weight.requires_grad


def test_load_state_dict_errors_match_torch():
    ours, theirs = Net(), TorchNet()
    good_gg, good_th = ours.state_dict(), theirs.state_dict()

    def edit(state, lib):
        state = dict(state)
        del state["out.bias"]
        state["hidden.nope"] = lib.ones(1)
        state["extra.weight"] = lib.ones(1)
        state["out.weight"] = lib.ones(3, 3)
        return state

    same_error(lambda: ours.load_state_dict(edit(good_gg, gg)),
               lambda: theirs.load_state_dict(edit(good_th, torch)))
    same_error(lambda: ours.load_state_dict(edit(good_gg, gg), strict=False),
               lambda: theirs.load_state_dict(edit(good_th, torch), strict=False))
    same_error(lambda: ours.load_state_dict([1]), lambda: theirs.load_state_dict([1]))

    def loose(state, lib):
        state = dict(state)
        del state["out.bias"]
        state["extra"] = lib.ones(1)
        return state

    r_gg = ours.load_state_dict(loose(good_gg, gg), strict=False)
    r_th = theirs.load_state_dict(loose(good_th, torch), strict=False)
    assert r_gg.missing_keys == r_th.missing_keys == ["out.bias"]
    assert r_gg.unexpected_keys == r_th.unexpected_keys == ["extra"]
    assert repr(r_gg) == repr(r_th)


def test_load_from_torch_and_numpy_values():
    ours, theirs = Net(), TorchNet()
    ours.load_state_dict(theirs.state_dict())  # torch tensors are array-like
    copy_weights(ours, theirs)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    assert_close(ours(gg.tensor(x)), theirs(torch.tensor(x)))


def test_state_dict_hooks_and_extra_state():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(gg.ones(1))
            self.note = "a"

        def get_extra_state(self):
            return {"note": self.note}

        def set_extra_state(self, state):
            self.note = state["note"]

    m = WithExtra()
    state = m.state_dict()
    assert list(state) == ["w", "_extra_state"]
    m2 = WithExtra()
    m2.note = "b"
    m2.load_state_dict(state)
    assert m2.note == "a"
    events = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep: events.append("pre"))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: events.append("post"))
    m.register_load_state_dict_post_hook(lambda mod, keys: events.append(list(keys)))
    m.load_state_dict(m.state_dict())
    assert events == ["pre", "post", [[], []]]


def test_pickle_and_deepcopy():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    model.register_buffer("steps", gg.zeros(()))
    model(gg.ones(1, 3)).sum().backward()
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert clone[0].weight is not model[0].weight
        np.testing.assert_array_equal(clone[0].weight.detach().numpy(),
                                      model[0].weight.detach().numpy())
        assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
        assert list(clone.state_dict()) == list(model.state_dict())
        assert clone(gg.ones(1, 3)).tolist() == model(gg.ones(1, 3)).tolist()
    assert copy.deepcopy(model)[0].weight.grad is None  # as torch: grads are not copied


# ----------------------------------------------------------------------------- printing
def test_repr_matches_torch():
    def classes(L):
        class Block(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.body = L.nn.Sequential(L.nn.Linear(3, 3), L.nn.ReLU())
                self.heads = L.nn.ModuleDict({"a": L.nn.Linear(3, 1), "b": L.nn.Identity()})
                self.extra = None

        class Multi(L.nn.Module):
            def extra_repr(self):
                return "first line\n\nthird line"

        return Block, Multi

    Block, Multi = classes(gg)
    TorchBlock, TorchMulti = classes(torch)
    pairs = [
        (Block(), TorchBlock()),
        (nn.Sequential(OrderedDict(block=Block(), out=nn.Linear(3, 2, bias=False))),
         torch.nn.Sequential(OrderedDict(block=TorchBlock(),
                                         out=torch.nn.Linear(3, 2, bias=False)))),
        (nn.Module(), torch.nn.Module()),
        (nn.Sequential(Multi(), nn.Sequential(Multi())),
         torch.nn.Sequential(TorchMulti(), torch.nn.Sequential(TorchMulti()))),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs).replace("torch.", "glassgrad.")


def test_parameter_basics_match_torch():
    w = nn.Parameter(gg.ones(2, 2))
    t = torch.nn.Parameter(torch.ones(2, 2))
    assert repr(w) == repr(t).replace("torch.", "glassgrad.")
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    with gg.no_grad():
        assert nn.Parameter(gg.ones(1)).requires_grad
    assert not nn.Parameter(gg.ones(1), requires_grad=False).requires_grad
    base = gg.zeros(3)
    p = nn.Parameter(base)
    base[0] = 5.0
    assert p.tolist() == [5.0, 0.0, 0.0]  # shares storage
    assert nn.Parameter().shape == (0,)
    x = gg.ones(2, requires_grad=True)
    assert nn.Parameter(x * 2).is_leaf
