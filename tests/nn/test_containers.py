"""Sequential, ModuleList and ModuleDict against torch.nn: construction, indexing, slicing,
mutation, iteration, state-dict keys, reprs and errors."""

from collections import OrderedDict

import numpy as np
import pytest
import torch
from parity import assert_close

import glassgrad as gg
import glassgrad.nn as nn


def layers(L, n=3):
    return [L.nn.Linear(i + 1, i + 2) for i in range(n)]


def names(module):
    return [n for n, _ in module.named_parameters()]


def same_repr(ours, theirs):
    assert repr(ours) == repr(theirs).replace("torch.", "glassgrad.")


def test_sequential_runs_layers_in_order_like_torch():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    gx, tx = gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_g, out_t = ours(gx), theirs(tx)
    assert_close(out_g, out_t)
    out_g.square().sum().backward()
    out_t.square().sum().backward()
    assert_close(gx.grad, tx.grad)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad, q.grad, what=name)
    same_repr(ours, theirs)


def test_sequential_indexing_slicing_len_iteration():
    ours, theirs = nn.Sequential(*layers(gg, 4)), torch.nn.Sequential(*layers(torch, 4))
    assert len(ours) == 4
    assert ours[1] is list(ours)[1] and ours[-1] is list(ours)[3]
    part = ours[1:3]
    assert type(part) is nn.Sequential and len(part) == 2 and part[0] is ours[1]
    assert names(part) == names(theirs[1:3]) == ["1.weight", "1.bias", "2.weight", "2.bias"]
    assert names(ours[::2]) == names(theirs[::2])
    for index in (4, -5):
        with pytest.raises(IndexError, match=f"index {index} is out of range"):
            ours[index]
    with pytest.raises(TypeError):
        ours["0"]


def test_sequential_ordered_dict_form():
    ours = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    theirs = torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(2, 3)),
                                              ("act", torch.nn.ReLU())]))
    assert names(ours) == names(theirs) == ["fc.weight", "fc.bias"]
    assert ours.fc is ours[0]
    same_repr(ours, theirs)
    assert names(ours[1:]) == [] and list(ours[:1]._modules) == ["fc"]


def test_sequential_mutation_matches_torch():
    def mutate(L):
        seq = L.nn.Sequential(*layers(L, 3))
        seq.append(L.nn.ReLU())
        seq.insert(1, L.nn.Tanh())
        seq.insert(-1, L.nn.Identity())
        seq.extend([L.nn.Sigmoid(), L.nn.Linear(1, 1)])
        seq[0] = L.nn.Linear(7, 7)
        del seq[2]
        popped = seq.pop(-2)
        del seq[1:3]
        seq += L.nn.Sequential(L.nn.Linear(2, 2))
        combined = seq + L.nn.Sequential(L.nn.ReLU())
        return seq, popped, combined

    (ours, popped, combined), (theirs, t_popped, t_combined) = mutate(gg), mutate(torch)
    same_repr(ours, theirs)
    same_repr(combined, t_combined)
    assert type(popped).__name__ == type(t_popped).__name__
    assert list(ours._modules) == [str(i) for i in range(len(ours))]
    with pytest.raises(IndexError, match="Index out of range: 9"):
        ours.insert(9, nn.ReLU())
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential"):
        ours + [nn.ReLU()]


def test_sequential_multiplication_shares_modules():
    base = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    tripled = base * 3
    assert len(tripled) == 6 and tripled[0] is tripled[2] is base[0]
    assert len(list(tripled.parameters())) == 2
    assert len(2 * base) == 4
    base *= 2
    assert len(base) == 4 and base[2] is base[0]
    with pytest.raises(ValueError, match="Non-positive multiplication factor 0"):
        base * 0
    with pytest.raises(TypeError, match="unsupported operand"):
        base * 1.5


def test_module_list_like_a_list():
    ours, theirs = nn.ModuleList(layers(gg, 3)), torch.nn.ModuleList(layers(torch, 3))
    assert len(ours) == 3 and names(ours) == names(theirs)
    assert ours[-1] is list(ours)[2]
    assert type(ours[1:]) is nn.ModuleList and ours[1:][0] is ours[1]
    ours.append(nn.ReLU())
    theirs.append(torch.nn.ReLU())
    ours.extend([nn.Tanh()])
    theirs.extend([torch.nn.Tanh()])
    ours.insert(0, nn.Identity())
    theirs.insert(0, torch.nn.Identity())
    ours[1] = nn.Linear(9, 9)
    theirs[1] = torch.nn.Linear(9, 9)
    del ours[2]
    del theirs[2]
    assert type(ours.pop(0)) is nn.Identity
    theirs.pop(0)
    ours += [nn.ReLU()]
    theirs += [torch.nn.ReLU()]
    same_repr(ours, theirs)
    same_repr(ours + nn.ModuleList([nn.Tanh()]), theirs + torch.nn.ModuleList([torch.nn.Tanh()]))
    assert names(ours) == names(theirs)
    with pytest.raises(IndexError, match="index 10 is out of range"):
        ours[10]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        ours.extend(3)
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        ours(gg.ones(1))


def test_module_list_repr_compresses_repeats_like_torch():
    ours = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()]
                         + [nn.Sequential(nn.Linear(2, 2), nn.ReLU()) for _ in range(2)])
    theirs = torch.nn.ModuleList(
        [torch.nn.Linear(2, 2) for _ in range(3)] + [torch.nn.ReLU()]
        + [torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()) for _ in range(2)])
    same_repr(ours, theirs)
    same_repr(nn.ModuleList(), torch.nn.ModuleList())
    same_repr(nn.Sequential(nn.ModuleList([nn.ReLU(), nn.ReLU()])),
              torch.nn.Sequential(torch.nn.ModuleList([torch.nn.ReLU(), torch.nn.ReLU()])))


def test_module_dict_like_a_dict():
    ours = nn.ModuleDict({"b": nn.Linear(2, 2), "a": nn.ReLU()})
    theirs = torch.nn.ModuleDict({"b": torch.nn.Linear(2, 2), "a": torch.nn.ReLU()})
    assert list(ours) == list(ours.keys()) == ["b", "a"]  # insertion order, not sorted
    assert "a" in ours and "z" not in ours and len(ours) == 2
    ours["c"] = nn.Linear(2, 1)
    theirs["c"] = torch.nn.Linear(2, 1)
    ours.update([("d", nn.Tanh())])
    theirs.update([("d", torch.nn.Tanh())])
    assert type(ours.pop("a")) is nn.ReLU
    theirs.pop("a")
    del ours["d"]
    del theirs["d"]
    same_repr(ours, theirs)
    assert names(ours) == names(theirs)
    assert [k for k, _ in ours.items()] == ["b", "c"] and len(list(ours.values())) == 2
    with pytest.raises(KeyError):
        ours["missing"]
    with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
        ours.update([("x", nn.ReLU(), 1)])
    with pytest.raises(TypeError, match="ModuleDict.update should be called with an iterable"):
        ours.update(3)
    with pytest.raises(KeyError, match="module name can"):
        ours["a.b"] = nn.ReLU()
    ours.clear()
    assert len(ours) == 0 and list(ours.parameters()) == []


def test_containers_register_parameters_for_optimizers_and_state_dicts():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
            self.heads = nn.ModuleDict({"y": nn.Linear(2, 1)})
            self.plain = [nn.Linear(2, 2)]  # a Python list hides its modules, as in torch

        def forward(self, x):
            for block in self.blocks:
                x = block(x).relu()
            return self.heads["y"](x)

    model = Model()
    assert list(model.state_dict()) == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                                        "blocks.1.bias", "heads.y.weight", "heads.y.bias"]
    model(gg.ones(3, 2)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert model.get_submodule("blocks.1") is model.blocks[1]
