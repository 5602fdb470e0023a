"""The Tensor API against real PyTorch: autograd attributes, metadata, conversions, in-place
operations and the Python protocols (bool, len, iter, format, repr).

Most tests run the same function with ``L = glassgrad`` and ``L = torch`` and compare the results
(values, dtypes, shapes) or the errors (type and message, ``torch.`` spelled ``glassgrad.``).
"""

import re

import numpy as np
import pytest
import torch

import glassgrad as gg

# ----------------------------------------------------------------------------- helpers


def _plain(value):
    """A comparable form of a result: arrays for tensors, recursively for containers."""
    if isinstance(value, (gg.Tensor, torch.Tensor)):
        return value.detach().numpy()
    if isinstance(value, (gg.dtype, torch.dtype, gg.Size, torch.Size, gg.device, torch.device)):
        return repr(value).replace("torch.", "glassgrad.")
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    return value


def assert_same(ours, theirs, rtol=1e-5, atol=1e-6):
    """glassgrad's result equals torch's: same structure, dtypes, shapes and (close) values."""
    a, b = _plain(ours), _plain(theirs)
    if isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray), f"{a!r} is not a tensor like {b!r}"
        assert a.dtype == b.dtype, f"dtype {a.dtype} != torch's {b.dtype}"
        assert a.shape == b.shape, f"shape {a.shape} != torch's {b.shape}"
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
    elif isinstance(b, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), f"{a!r} != {b!r}"
        for x, y in zip(a, b):
            assert_same(x, y, rtol, atol)
    else:
        assert type(a) is type(b) and a == b, f"{a!r} != torch's {b!r}"


def same(fn, **tolerances):
    """Run ``fn(glassgrad)`` and ``fn(torch)`` and compare the results."""
    assert_same(fn(gg), fn(torch), **tolerances)


def same_error(fn, exact=True):
    """``fn`` raises the same exception type in glassgrad and torch, with the same message
    (``exact``) or at least the same first sentence."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(Exception) as ours:
        fn(gg)
    assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)
    expected = str(theirs.value).replace("torch.", "glassgrad.")
    if exact:
        assert str(ours.value) == expected
    else:
        assert str(ours.value).split(". ")[0] == expected.split(". ")[0]
    return ours.value


def leaf(L, values=(1.0, 2.0, 3.0), **kwargs):
    return L.tensor(list(values), requires_grad=True, **kwargs)


# ----------------------------------------------------------------------------- requires_grad


def test_requires_grad_default_and_factory_flag():
    same(lambda L: (L.tensor([1.0]).requires_grad, leaf(L).requires_grad,
                    L.zeros(2, requires_grad=True).requires_grad))


def test_requires_grad_setter_on_a_leaf():
    def fn(L):
        x = L.tensor([1.0, 2.0])
        x.requires_grad = True
        first = (x.requires_grad, x.is_leaf)
        x.requires_grad = False
        return first, x.requires_grad, x.is_leaf
    same(fn)


def test_requires_grad_underscore_returns_self():
    x = gg.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    assert x.requires_grad_(False) is x and not x.requires_grad


@pytest.mark.parametrize("how", ["setter", "method", "factory", "zeros"])
def test_integer_tensors_cannot_require_grad(how):
    def fn(L):
        if how == "setter":
            L.tensor([1, 2]).requires_grad = True
        elif how == "method":
            L.tensor([1, 2]).requires_grad_()
        elif how == "factory":
            L.tensor([1, 2], requires_grad=True)
        else:
            L.zeros(2, dtype=L.int64, requires_grad=True)
    same_error(fn)


def test_non_leaf_requires_grad_cannot_be_switched_off():
    def fn(L):
        y = leaf(L) * 2
        y.requires_grad = False
    same_error(fn)


def test_non_leaf_requires_grad_true_is_a_no_op():
    def fn(L):
        y = leaf(L) * 2
        y.requires_grad_(True)
        return y.requires_grad, y.is_leaf
    same(fn)


def test_is_leaf():
    def fn(L):
        x = leaf(L)
        plain = L.tensor([1.0])
        y = x * 2
        z = plain * 2  # no grad needed: a leaf
        return x.is_leaf, plain.is_leaf, y.is_leaf, z.is_leaf, x.detach().is_leaf
    same(fn)


# ----------------------------------------------------------------------------- .grad


def test_grad_is_none_until_backward_then_accumulates():
    def fn(L):
        x = leaf(L)
        before = x.grad
        (x * x).sum().backward()
        return before, x.grad
    same(fn)


def test_grad_can_be_assigned_and_cleared():
    def fn(L):
        x = leaf(L)
        x.grad = L.ones(3)
        assigned = x.grad.clone()
        x.grad = None
        return assigned, x.grad
    same(fn)


@pytest.mark.parametrize("value", ["int", "shape"])
def test_grad_assignment_is_checked(value):
    def fn(L):
        x = leaf(L)
        x.grad = 3 if value == "int" else L.ones(2)
    same_error(fn)


def test_grad_assignment_of_another_dtype_is_refused():
    def fn(L):
        leaf(L).grad = L.ones(3, dtype=L.float64)
    same_error(fn, exact=False)


# ----------------------------------------------------------------------------- grad_fn

GRAD_FN_OPS = {
    "add": lambda L, x, y: x + y,
    "sub": lambda L, x, y: x - y,
    "mul": lambda L, x, y: x * y,
    "div": lambda L, x, y: x / y,
    "pow_scalar": lambda L, x, y: x ** 2,
    "pow_tensor": lambda L, x, y: x ** y,
    "rsub": lambda L, x, y: 1 - x,
    "neg": lambda L, x, y: -x,
    "exp": lambda L, x, y: x.exp(),
    "log": lambda L, x, y: x.log(),
    "tanh": lambda L, x, y: x.tanh(),
    "sigmoid": lambda L, x, y: x.sigmoid(),
    "relu": lambda L, x, y: x.relu(),
    "sqrt": lambda L, x, y: x.sqrt(),
    "abs": lambda L, x, y: x.abs(),
    "sum": lambda L, x, y: x.sum(),
    "sum_dim": lambda L, x, y: x.sum(0),
    "max": lambda L, x, y: x.max(),
    "matmul": lambda L, x, y: x @ y,
    "view": lambda L, x, y: x.view(-1),
    "reshape": lambda L, x, y: x.reshape(-1),
    "transpose": lambda L, x, y: x.transpose(0, 1),
    "permute": lambda L, x, y: x.permute(1, 0),
    "unsqueeze": lambda L, x, y: x.unsqueeze(0),
    "expand": lambda L, x, y: x[:1].expand(3, 3),
    "slice": lambda L, x, y: x[1:],
    "index_tensor": lambda L, x, y: x[L.tensor([0, 2])],
    "clone": lambda L, x, y: x.clone(),
    "softmax": lambda L, x, y: x.softmax(1),
    "log_softmax": lambda L, x, y: x.log_softmax(1),
    "to_float64": lambda L, x, y: x.to(L.float64),
    "cat": lambda L, x, y: L.cat([x, y]),
    "stack": lambda L, x, y: L.stack([x, y]),
    "clamp": lambda L, x, y: x.clamp(0, 1),
    "where": lambda L, x, y: L.where(x > 1, x, y),
    "norm": lambda L, x, y: x.norm(),
    "logsumexp": lambda L, x, y: x.logsumexp(1),
    "mean": lambda L, x, y: x.mean(),
    "var": lambda L, x, y: x.var(),
    "t": lambda L, x, y: x.t(),
    "squeeze": lambda L, x, y: x.unsqueeze(0).squeeze(0),
    "select": lambda L, x, y: x[0],
}


@pytest.mark.parametrize("op", list(GRAD_FN_OPS.values()), ids=list(GRAD_FN_OPS))
def test_grad_fn_names_match_torch(op):
    def fn(L):
        x = L.tensor(np.arange(1, 10, dtype=np.float32).reshape(3, 3) / 3, requires_grad=True)
        y = L.tensor(np.arange(2, 11, dtype=np.float32).reshape(3, 3) / 3, requires_grad=True)
        node = op(L, x, y).grad_fn
        return node.name(), re.sub(r"0x[0-9a-f]+", "ADDR", repr(node))
    same(fn)


def _graph(tensor):
    """The graph below ``tensor`` as nested (name, children) tuples, leaves as 'leaf:<value>'."""
    def walk(node):
        if node is None:
            return None
        if "AccumulateGrad" in node.name():
            return f"leaf:{node.variable.tolist()}"
        return (node.name(), tuple((walk(child), nr) for child, nr in node.next_functions))
    return walk(tensor.grad_fn)


def test_next_functions_walk_to_accumulate_grad():
    def fn(L):
        a = L.tensor([1.0, 2.0], requires_grad=True)
        b = L.tensor([3.0, 4.0], requires_grad=True)
        c = L.tensor([5.0, 6.0])  # no grad: no edge
        out = ((a * b + c).exp() * a).sum()
        return _graph(out)
    same(fn)


def test_accumulate_grad_variable_is_the_leaf_and_is_shared():
    for L in (gg, torch):
        x = leaf(L)
        y = x * 2
        node, nr = y.grad_fn.next_functions[0]
        assert type(node).__name__ == "AccumulateGrad"
        assert node.variable is x and nr == 0
        assert y.grad_fn.next_functions[1] == (None, 0)  # the constant 2
        z = x * 3
        assert z.grad_fn.next_functions[0][0] is node  # one AccumulateGrad per leaf
        assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(node))


def test_tensor_used_twice_gives_two_edges_to_the_same_node():
    for L in (gg, torch):
        y = leaf(L) * 2
        z = y * y
        (first, _), (second, _) = z.grad_fn.next_functions
        assert first is second is y.grad_fn


def test_grad_fn_of_leaves_and_no_grad_results():
    same(lambda L: (leaf(L).grad_fn, L.tensor([1.0]).grad_fn, (L.tensor([1.0]) * 2).grad_fn))


# ----------------------------------------------------------------------------- metadata


def test_shape_size_and_their_printing():
    x = gg.zeros(3, 4)
    t = torch.zeros(3, 4)
    assert repr(x.shape) == str(x.size()) == "glassgrad.Size([3, 4])"
    assert repr(x.shape) == repr(t.shape).replace("torch.", "glassgrad.")
    assert repr(gg.tensor(1.0).shape) == "glassgrad.Size([])"
    assert isinstance(x.shape, tuple) and x.shape == (3, 4) and x.shape == t.shape
    same(lambda L: (L.zeros(3, 4).size(1), L.zeros(3, 4).size(-1), L.zeros(3, 4).shape[0]))


def test_size_behaves_like_torch_size():
    same(lambda L: (L.zeros(2, 3, 4).shape[1:], L.Size([2, 3]).numel(), L.Size([2]) + (3,),
                    (3,) + L.Size([2]), L.Size([2, 3]) * 2, L.Size([]).numel()))


def test_size_out_of_range():
    same_error(lambda L: L.zeros(3, 4).size(2))


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4)])
def test_dtype_device_ndim_dim_numel(shape):
    same(lambda L: (L.zeros(shape).dtype, L.zeros(shape).device, L.zeros(shape).ndim,
                    L.zeros(shape).dim(), L.zeros(shape).numel(),
                    L.zeros(shape, dtype=L.int64).dtype))


def test_device_is_cpu():
    x = gg.zeros(2)
    assert x.device == gg.device("cpu")
    assert repr(x.device) == "device(type='cpu')" and str(x.device) == "cpu"
    assert x.device.type == "cpu" and not x.is_cuda


def test_T_reverses_dimensions():
    same(lambda L: L.arange(6.0).reshape(2, 3).T)


def test_t_transposes_matrices_and_vectors():
    same(lambda L: (L.arange(6).reshape(2, 3).t(), L.arange(3).t()))
    same_error(lambda L: L.zeros(2, 2, 2).t())


def test_T_gradient():
    def fn(L):
        x = L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        w = L.tensor([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]])
        (x.T * w).sum().backward()
        return x.grad
    same(fn)


# ----------------------------------------------------------------------------- conversions


def test_item():
    same(lambda L: (L.tensor(2.5).item(), L.tensor([7]).item(), L.tensor([[True]]).item(),
                    L.tensor(3, dtype=L.int32).item()))
    same_error(lambda L: L.tensor([1.0, 2.0]).item())


def test_item_of_a_tensor_that_requires_grad():
    same(lambda L: (leaf(L, (2.0,)) * 3).item())


def test_tolist():
    same(lambda L: (L.tensor([[1, 2], [3, 4]]).tolist(), L.tensor(1.5).tolist(),
                    L.tensor([True, False]).tolist(), leaf(L).tolist()))


def test_python_number_conversions():
    same(lambda L: (float(L.tensor([2.5])), int(L.tensor(2.7)), int(L.tensor(-2.7)),
                    float(L.tensor([[3]]))))
    same_error(lambda L: float(L.tensor([1.0, 2.0])))
    same_error(lambda L: int(L.zeros(0)))


def test_index_conversion():
    assert [10, 20, 30][gg.tensor(1)] == 20
    same_error(lambda L: [1, 2][L.tensor(1.0)])


def test_numpy_shares_memory():
    x = gg.tensor([1.0, 2.0, 3.0])
    array = x.numpy()
    assert isinstance(array, np.ndarray) and array.dtype == np.float32
    array[0] = 10.0
    assert x.tolist() == [10.0, 2.0, 3.0]
    x.add_(1)
    assert array.tolist() == [11.0, 3.0, 4.0]


def test_numpy_of_a_tensor_that_requires_grad_raises():
    same_error(lambda L: leaf(L).numpy())
    same_error(lambda L: np.asarray(leaf(L)))
    same(lambda L: leaf(L).detach().numpy())
    same(lambda L: leaf(L).numpy(force=True))


def test_detach_shares_storage_and_version():
    def fn(L):
        x = leaf(L)
        d = x.detach()
        d[0] = 10.0
        return x, d.requires_grad, d.is_leaf, d.grad_fn, x._version, d._version
    same(fn)


def test_detach_of_a_saved_tensor_then_in_place_is_caught():
    def fn(L):
        x = leaf(L)
        y = x.exp()
        y.detach().add_(1)
        y.sum().backward()
    same_error(fn, exact=False)


def test_clone_copies_and_is_differentiable():
    def fn(L):
        x = leaf(L)
        c = x.clone()
        c_plain = L.tensor([1.0]).clone()
        (c * c).sum().backward()
        return c.is_leaf, c.requires_grad, x.grad, c_plain.requires_grad
    same(fn)
    x = gg.tensor([1.0, 2.0])
    c = x.clone()
    c[0] = 5.0
    assert x.tolist() == [1.0, 2.0]
    assert not np.shares_memory(x.numpy(), c.numpy())


# ----------------------------------------------------------------------------- .data


def test_data_is_a_detached_view_of_the_same_storage():
    def fn(L):
        x = leaf(L)
        d = x.data
        d.mul_(2)
        return x, d.requires_grad, d.is_leaf, x._version, x.requires_grad
    same(fn)


def test_data_changes_are_not_seen_by_autograd_version_checks():
    def fn(L):
        x = leaf(L)
        y = (x * x).sum()   # saves x
        x.data.mul_(2)      # not tracked: backward uses the new values without complaint
        y.backward()
        return x.grad
    same(fn)


def test_data_assignment_replaces_the_values():
    def fn(L):
        x = leaf(L)
        x.data = L.zeros(2)
        return x, x.requires_grad
    same(fn)


def test_parameter_update_through_data():
    def fn(L):
        w = leaf(L)
        (w * w).sum().backward()
        w.data -= 0.1 * w.grad
        return w, w.is_leaf, w.requires_grad
    same(fn)


# ----------------------------------------------------------------------------- casts and to()


@pytest.mark.parametrize("cast", ["float", "double", "long", "int", "bool", "half"])
def test_cast_methods(cast):
    same(lambda L: getattr(L.tensor([-1.7, 0.0, 2.5]), cast)())
    same(lambda L: getattr(L.tensor([3, 0, -2]), cast)())


def test_cast_to_same_dtype_returns_self():
    for L in (gg, torch):
        x = L.tensor([1.0])
        assert x.float() is x and x.to(L.float32) is x and x.to("cpu") is x


def test_cast_is_differentiable():
    def fn(L):
        x = leaf(L)
        y = x.double()
        (y * y).sum().backward()
        return y.dtype, y.grad_fn.name(), x.grad
    same(fn)


TO_FORMS = {
    "dtype": lambda L, x: x.to(L.float64),
    "int_dtype": lambda L, x: x.to(L.int32),
    "dtype_keyword": lambda L, x: x.to(dtype=L.int64),
    "cpu_string": lambda L, x: x.to("cpu"),
    "cpu_index": lambda L, x: x.to("cpu:0"),
    "device_object": lambda L, x: x.to(L.device("cpu")),
    "device_keyword": lambda L, x: x.to(device="cpu"),
    "other_tensor": lambda L, x: x.to(L.tensor([1], dtype=L.int32)),
    "device_and_dtype": lambda L, x: x.to("cpu", L.float64),
    "device_object_and_dtype": lambda L, x: x.to(L.device("cpu"), L.float16),
    "keywords": lambda L, x: x.to(device=L.device("cpu"), dtype=L.float64),
    "copy": lambda L, x: x.to("cpu", copy=True),
}


@pytest.mark.parametrize("form", list(TO_FORMS.values()), ids=list(TO_FORMS))
def test_to_forms(form):
    same(lambda L: form(L, L.tensor([1.5, -2.0, 3.0])))
    same(lambda L: form(L, L.tensor([1.5, -2.0, 3.0])).device)


def test_to_copy_makes_a_new_tensor():
    for L in (gg, torch):
        x = L.tensor([1.0])
        assert x.to(L.float32, copy=True) is not x
        assert x.to("cpu", copy=True) is not x


@pytest.mark.parametrize("target", ["cuda", "cuda:0", "mps"])
def test_to_an_unavailable_device_raises_a_clear_error(target):
    with pytest.raises(RuntimeError, match="not available|CPU only"):
        gg.tensor([1.0]).to(target)


def test_cuda_method_raises():
    with pytest.raises(RuntimeError, match="CPU only"):
        gg.tensor([1.0]).cuda()


def test_type_as():
    same(lambda L: (L.tensor([1.7, 2.2]).type_as(L.tensor([1])),
                    L.tensor([1, 2]).type_as(L.tensor([1.0], dtype=L.float64))))


def test_type_name():
    assert gg.tensor([1.0]).type() == "glassgrad.FloatTensor"
    assert gg.tensor([1]).type() == "glassgrad.LongTensor"
    same(lambda L: L.tensor([1.5]).type(L.int64))


@pytest.mark.parametrize("kwargs", [{}, {"p": 1}, {"p": 3}, {"p": float("inf")},
                                    {"dim": 1}, {"dim": 0, "keepdim": True}])
def test_norm_values_and_gradient(kwargs):
    def fn(L):
        x = L.tensor([[3.0, -4.0, 1.0], [0.5, 2.0, -2.5]], requires_grad=True)
        n = x.norm(**kwargs)
        n.sum().backward()
        return n, x.grad
    same(fn)


# ----------------------------------------------------------------------------- retain_grad / hooks


def test_retain_grad_on_non_leaf():
    def fn(L):
        x = leaf(L)
        y = x * 3
        y.retain_grad()
        z = y * y
        z.sum().backward()
        return y.grad, y.retains_grad, x.retains_grad, z.retains_grad
    same(fn)


def test_grad_of_a_non_leaf_warns():
    for L in (gg, torch):
        y = leaf(L) * 2
        y.sum().backward()
        with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
            assert y.grad is None


def test_retain_grad_on_a_leaf_is_a_no_op():
    same(lambda L: (lambda x: (x.retain_grad(), x.retains_grad)[1])(leaf(L)))


def test_retain_grad_accumulates_over_two_backwards():
    def fn(L):
        x = leaf(L)
        y = x * 3
        y.retain_grad()
        (y * y).sum().backward(retain_graph=True)
        (y * y).sum().backward()
        return y.grad, x.grad
    same(fn)


def test_retain_grad_without_requires_grad_raises():
    same_error(lambda L: L.tensor([1.0]).retain_grad())


def test_leaf_hook_sees_and_modifies_the_gradient():
    def fn(L):
        x = leaf(L)
        seen = []

        def hook(grad):
            seen.append(grad.clone())
            return grad * 10
        x.register_hook(hook)
        (x * x).sum().backward()
        return seen, x.grad
    same(fn)


def test_leaf_hook_returning_none_keeps_the_gradient():
    def fn(L):
        x = leaf(L)
        x.register_hook(lambda grad: None)
        (x * 2).sum().backward()
        return x.grad
    same(fn)


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_non_leaf_hooks_modify_what_flows_on():
    def fn(L):
        x = leaf(L)
        y = x * 3
        seen = []
        y.register_hook(lambda grad: seen.append(grad.clone()))
        y.register_hook(lambda grad: grad + 1)
        y.register_hook(lambda grad: seen.append(grad.clone()))
        (y * y).sum().backward()
        return seen, x.grad, y.grad
    same(fn)


def test_hook_runs_before_retain_grad_stores_it():
    def fn(L):
        x = leaf(L)
        y = x * 3
        y.retain_grad()
        y.register_hook(lambda grad: grad * 10)
        (y * y).sum().backward()
        return y.grad, x.grad
    same(fn)


def test_hook_removal_through_its_handle():
    def fn(L):
        x = leaf(L)
        calls = []
        handle = x.register_hook(lambda grad: calls.append(1) or grad * 2)
        (x * x).sum().backward()
        handle.remove()
        x.grad = None
        (x * x).sum().backward()
        return len(calls), x.grad
    same(fn)


def test_non_leaf_hook_removal():
    def fn(L):
        x = leaf(L)
        y = x * 2
        handle = y.register_hook(lambda grad: grad * 100)
        handle.remove()
        y.sum().backward()
        return x.grad
    same(fn)


def test_register_hook_without_requires_grad_raises():
    same_error(lambda L: L.tensor([1.0]).register_hook(lambda g: g))


# ----------------------------------------------------------------------------- backward()


def test_backward_with_gradient():
    def fn(L):
        x = leaf(L)
        (x * x).backward(gradient=L.tensor([1.0, 0.5, -2.0]))
        return x.grad
    same(fn)


def test_backward_gradient_of_wrong_shape():
    def fn(L):
        (leaf(L) * 2).backward(L.ones(2))
    same_error(fn)


def test_backward_on_one_element_non_scalar():
    def fn(L):
        x = leaf(L)
        (x * 2).sum().reshape(1, 1).backward()
        return x.grad
    same(fn)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_retain_graph_and_create_graph():
    def fn(L):
        x = leaf(L)
        y = (x ** 3).sum()
        y.backward(create_graph=True)
        first = x.grad
        grad_has_graph = (first.requires_grad, first.grad_fn is not None)
        x.grad = None
        first.sum().backward()  # d/dx sum(3x^2) = 6x
        return grad_has_graph, first.detach(), x.grad
    same(fn)


def test_backward_on_a_tensor_without_grad_raises():
    same_error(lambda L: L.tensor([1.0]).sum().backward())


def test_backward_on_an_integer_result_raises():
    def fn(L):
        (leaf(L) * 2).sum().long().backward()
    same_error(fn)


# ----------------------------------------------------------------------------- in-place


def test_in_place_methods_match_torch_values():
    def fn(L):
        x = L.tensor([[1.0, -2.0], [3.0, 0.5]])
        out = [x.clone().zero_(), x.clone().fill_(7.5), x.clone().copy_(L.tensor([9.0, 8.0])),
               x.clone().add_(2), x.clone().add_(L.ones(2), alpha=3), x.clone().sub_(1.5),
               x.clone().mul_(L.tensor([2.0, -1.0])), x.clone().div_(4),
               x.clone().clamp_(-1, 1), x.clone().clamp_(min=0)]
        return out
    same(fn)


def test_in_place_returns_self():
    x = gg.zeros(3)
    for method, args in [("zero_", ()), ("fill_", (1,)), ("copy_", (gg.ones(3),)),
                         ("add_", (1,)), ("sub_", (1,)), ("mul_", (2,)), ("div_", (2,)),
                         ("clamp_", (0, 1)), ("uniform_", ()), ("normal_", ())]:
        assert getattr(x, method)(*args) is x


def test_augmented_assignment_keeps_the_object_and_bumps_the_version():
    def fn(L):
        x = L.ones(3)
        original = x
        versions = []
        x += 1
        versions.append(x._version)
        x -= 0.5
        versions.append(x._version)
        x *= L.tensor([1.0, 2.0, 3.0])
        versions.append(x._version)
        x /= 2
        versions.append(x._version)
        return x, versions, x is original
    same(fn)


def test_every_in_place_operation_bumps_the_version():
    def fn(L):
        x = L.zeros(3)
        versions = []
        for change in (lambda: x.zero_(), lambda: x.fill_(2), lambda: x.copy_(L.ones(3)),
                       lambda: x.add_(1), lambda: x.sub_(1), lambda: x.mul_(3),
                       lambda: x.div_(2), lambda: x.clamp_(0, 1), lambda: x.uniform_(),
                       lambda: x.normal_(), lambda: x.__setitem__(0, 5.0)):
            change()
            versions.append(x._version)
        return versions
    same(fn)


def test_uniform_and_normal_fill_with_samples():
    gg.manual_seed(0)
    x = gg.zeros(20000)
    x.uniform_(-2, 3)
    assert -2 <= x.min().item() and x.max().item() < 3
    assert abs(x.mean().item() - 0.5) < 0.05
    x.normal_(mean=1.0, std=2.0)
    assert abs(x.mean().item() - 1.0) < 0.1 and abs(x.std().item() - 2.0) < 0.1
    assert x.dtype == gg.float32


def test_in_place_dtype_rules():
    def int_divided(L):
        x = L.ones(3, dtype=L.int64)
        x /= 2
    same_error(int_divided)

    def int_plus_float(L):
        x = L.ones(3, dtype=L.int64)
        x.add_(1.5)
    same_error(int_plus_float)
    same(lambda L: L.ones(3).add_(L.tensor([1, 2, 3])))  # int into float is fine


def test_in_place_broadcast_rules():
    same(lambda L: L.zeros(2, 3).add_(L.tensor([1.0, 2.0, 3.0])))
    same_error(lambda L: L.zeros(3).add_(L.ones(2, 3)))


@pytest.mark.parametrize("change", [
    lambda L, x: x.add_(1), lambda L, x: x.mul_(2), lambda L, x: x.zero_(),
    lambda L, x: x.fill_(1), lambda L, x: x.copy_(L.ones(3)), lambda L, x: x.clamp_(0, 1),
    lambda L, x: x.uniform_(), lambda L, x: x.normal_(), lambda L, x: x.__iadd__(1),
], ids=["add_", "mul_", "zero_", "fill_", "copy_", "clamp_", "uniform_", "normal_", "+="])
def test_in_place_on_a_leaf_that_requires_grad_raises(change):
    same_error(lambda L: change(L, leaf(L)))


@pytest.mark.parametrize("index", [0, slice(0, 2), [0, 2]])
def test_item_assignment_on_a_leaf_that_requires_grad_raises(index):
    x = leaf(gg)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an "
                                           "in-place operation"):
        x[index] = 1.0
    assert x.tolist() == [1.0, 2.0, 3.0] and x._version == 0


def test_in_place_on_a_leaf_is_allowed_under_no_grad():
    def fn(L):
        x = leaf(L)
        with L.no_grad():
            x.add_(1)
            x *= 2
            x -= 1
            x /= 2
            x.clamp_(0, 2.5)
        return x, x._version, x.requires_grad, x.is_leaf, x.grad_fn
    same(fn)


def test_modified_saved_input_makes_backward_raise():
    def fn(L):
        x = leaf(L)
        y = x * 2
        z = y * y      # saves y
        y.add_(1)
        z.sum().backward()
    error = same_error(fn, exact=False)
    assert "one of the variables needed for gradient computation has been modified by an " \
           "inplace operation" in str(error)
    assert "which is output 0 of Add, is at version 1; expected version 0 instead" in str(error)


def test_modified_saved_output_makes_backward_raise():
    def fn(L):
        x = leaf(L)
        y = x.exp()    # saves its output
        y.add_(1)
        y.sum().backward()
    same_error(fn, exact=False)


def test_modified_saved_leaf_makes_backward_raise():
    def fn(L):
        x = leaf(L)
        z = x.sin()    # saves x
        with L.no_grad():
            x.mul_(2)
        z.sum().backward()
    error = same_error(fn, exact=False)
    assert "[glassgrad.FloatTensor [3]] is at version 1; expected version 0" in str(error)


def test_using_a_tensor_in_place_with_itself_raises_like_torch():
    def fn(L):
        y = leaf(L) * 2
        y.mul_(y)
        y.sum().backward()
    same_error(fn, exact=False)


def test_in_place_on_a_tensor_not_saved_is_fine():
    def fn(L):
        x = leaf(L)
        y = x * 2
        z = y.exp()   # exp saves its output, not y
        y.add_(1)
        z.sum().backward()
        return x.grad
    same(fn)


IN_PLACE_CHAINS = {
    "mul_self_copy": lambda L, x, w: (x * 2).mul_((x * 2).detach()),
    "add_sub": lambda L, x, w: (x * 1).add_(w).sub_(x),
    "mul_div": lambda L, x, w: (x * 1).mul_(w).div_(w * w + 1),
    "augmented": lambda L, x, w: _augmented(x * 1, w),
    "clamp_": lambda L, x, w: (x * 3).clamp_(-1, 2),
    "zero_then_add": lambda L, x, w: (x * 3).zero_().add_(w * x),
    "fill_then_mul": lambda L, x, w: (x * 3).fill_(2).mul_(x),
    "copy_": lambda L, x, w: L.zeros(3).copy_(w * x),
    "copy_broadcast": lambda L, x, w: L.zeros(2, 3).copy_(w * x),
    "uniform_": lambda L, x, w: (x * 3).uniform_() * 0 + x,
    "add_alpha": lambda L, x, w: (x * 1).add_(w, alpha=-2),
    "setitem": lambda L, x, w: _set_first(x * 1, w),
}


def _augmented(y, w):
    y += w
    y *= w
    y -= 1
    y /= 2
    return y


def _set_first(y, w):
    y[0] = w[1] * 5
    return y


@pytest.mark.parametrize("chain", list(IN_PLACE_CHAINS.values()), ids=list(IN_PLACE_CHAINS))
def test_in_place_on_non_leaves_is_recorded(chain):
    def fn(L):
        x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
        w = L.tensor([0.5, 4.0, -1.5], requires_grad=True)
        out = chain(L, x, w)
        (out * L.tensor([1.0, 2.0, 3.0])).sum().backward()
        return x.grad, w.grad
    same(fn)


def test_in_place_result_takes_the_new_grad_fn():
    def fn(L):
        y = leaf(L) * 2
        before = y.grad_fn.name()
        y.add_(1)
        return before, y.grad_fn.name(), y.is_leaf, y._version
    same(fn)


def test_in_place_inside_no_grad_is_not_recorded():
    def fn(L):
        x = leaf(L)
        y = x * 2
        with L.no_grad():
            y.mul_(100)
        y.sum().backward()   # y's graph still says y = 2x
        return y, x.grad
    same(fn)


# ----------------------------------------------------------------------------- Python protocols


def test_iteration_yields_sub_tensors():
    same(lambda L: list(L.tensor([[1, 2], [3, 4]])))
    same(lambda L: [float(v) for v in L.tensor([1.5, 2.5])])
    same_error(lambda L: iter(L.tensor(1.0)))


def test_iteration_is_differentiable():
    def fn(L):
        x = leaf(L)
        total = sum(v * v for v in x)
        total.backward()
        return x.grad
    same(fn)


def test_len():
    same(lambda L: (len(L.zeros(4, 2)), len(L.zeros(0))))
    same_error(lambda L: len(L.tensor(1.0)))


@pytest.mark.parametrize("values", [[], [1.0, 2.0], [[True, False]]])
def test_bool_of_several_values_is_ambiguous(values):
    same_error(lambda L: bool(L.tensor(values)))


def test_bool_of_one_value():
    same(lambda L: (bool(L.tensor(0.0)), bool(L.tensor([2])), bool(L.tensor([[True]]))))
    same(lambda L: "yes" if L.tensor([1.0, 2.0]).sum() > 2 else "no")


@pytest.mark.parametrize("spec", [".4f", ".2e", "", ">10.3f", ".1%", "g"])
def test_format_of_0d_tensors(spec):
    same(lambda L: format(L.tensor(3.14159), spec))
    same(lambda L: format(leaf(L, (2.5,)).sum(), spec))


def test_format_of_integer_and_non_scalar_tensors():
    same(lambda L: (f"{L.tensor(3):d}", f"{L.tensor(3):>4}", f"{L.tensor([1.5, 2.0])}"))
    same_error(lambda L: f"{L.tensor([3.14159]):.4f}")


REPR_CASES = {
    "vector": lambda L: L.tensor([1.0, 2.5, -3.0]),
    "scalar": lambda L: L.tensor(3.5),
    "int": lambda L: L.tensor([1, 2, 3]),
    "int32": lambda L: L.tensor([1, 2], dtype=L.int32),
    "double": lambda L: L.tensor([1.0, 2.0], dtype=L.float64),
    "bool": lambda L: L.tensor([True, False]),
    "matrix": lambda L: L.arange(12.0).reshape(3, 4) / 7,
    "requires_grad": lambda L: leaf(L),
    "grad_fn": lambda L: leaf(L) * 2,
    "sum": lambda L: (leaf(L) * 2).sum(),
    "empty": lambda L: L.zeros(0),
    "big": lambda L: L.arange(2000.0),
}


@pytest.mark.parametrize("make", list(REPR_CASES.values()), ids=list(REPR_CASES))
def test_repr_and_str_match_torch(make):
    ours, theirs = make(gg), make(torch)
    assert repr(ours) == repr(theirs).replace("torch.", "glassgrad.")
    assert str(ours) == str(theirs).replace("torch.", "glassgrad.")


# ----------------------------------------------------------------------------- devices


def test_cuda_and_mps_are_unavailable():
    assert gg.cuda.is_available() is False
    assert gg.backends.mps.is_available() is False
    assert gg.cuda.device_count() == 0


def test_device_selection_idiom_runs_on_cpu():
    device = "cuda" if gg.cuda.is_available() else "cpu"
    x = gg.tensor([1.0, 2.0]).to(device)
    w = gg.ones(2, device=device, requires_grad=True)
    (x * w).sum().backward()
    assert x.device == gg.device(device) and w.grad.tolist() == [1.0, 2.0]
