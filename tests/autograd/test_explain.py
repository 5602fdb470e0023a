"""explain: the step-by-step account of one backward pass (local x upstream = passed down)."""

import json

import numpy as np
import pytest
import torch

import glassgrad as gg
from glassgrad.autograd.explain import Explanation, Step, StepInput


def seeds_example():
    x = gg.tensor(-2.0, requires_grad=True)
    y = gg.tensor(5.0, requires_grad=True)
    z = gg.tensor(-4.0, requires_grad=True)
    q = x + y
    f = q * z
    return x, y, z, q, f


def explain_seeds(**kwargs):
    x, y, z, q, f = seeds_example()
    names = {"x": x, "y": y, "z": z, "q": q, "f": f}
    return gg.autograd.explain(f, names=names, print_table=False, **kwargs), (x, y, z, q, f)


def check_products(explanation):
    """At every step: passed down = local x upstream (elementwise) or upstream . J."""
    for step in explanation.steps:
        for inp in step.inputs:
            if inp.local_kind in ("scalar", "elementwise"):
                np.testing.assert_allclose(step.upstream * inp.local, inp.grad, rtol=1e-6)
            elif inp.local_kind == "jacobian":
                product = np.tensordot(step.upstream, inp.local, axes=step.upstream.ndim)
                np.testing.assert_allclose(product, inp.grad, rtol=1e-6, atol=1e-12)
            else:
                assert inp.local is None and inp.grad is not None


def test_seeds_example_numbers():
    e, _ = explain_seeds()
    assert isinstance(e, Explanation) and all(isinstance(s, Step) for s in e.steps)
    assert e.output_name == "f" and float(e.output_value) == -12.0
    mul, add = e.steps
    assert (mul.index, mul.op, mul.node_name, mul.output_name) == (1, "mul", "MulBackward0", "f")
    assert float(mul.upstream) == 1.0
    q_in, z_in = mul.inputs
    assert isinstance(q_in, StepInput)
    assert (q_in.name, float(q_in.value), float(q_in.local), float(q_in.grad)) == ("q", 3, -4, -4)
    assert (z_in.name, float(z_in.value), float(z_in.local), float(z_in.grad)) == ("z", -4, 3, 3)
    assert q_in.local_kind == z_in.local_kind == "scalar"
    assert (add.op, add.output_name, float(add.upstream)) == ("add", "q", -4.0)
    assert [(i.name, float(i.value), float(i.local), float(i.grad)) for i in add.inputs] == \
        [("x", -2, 1, -4), ("y", 5, 1, -4)]
    assert {k: g.item() for k, g in e.leaf_grads.items()} == {"x": -4.0, "y": -4.0, "z": 3.0}
    check_products(e)


def test_graph_and_grads_untouched():
    x, y, z, q, f = seeds_example()
    q.retain_grad()
    node = f.grad_fn
    flags = dict(node.__dict__)
    gg.autograd.explain(f, names={"x": x}, print_table=False)
    gg.autograd.explain(f, print_table=False)  # twice: the graph was retained
    assert x.grad is None and y.grad is None and z.grad is None and q.grad is None
    assert node.__dict__.keys() == flags.keys() and node._fast == flags.get("_fast", True)
    f.backward()  # the graph still works, and gives the same numbers
    assert (x.grad.item(), y.grad.item(), z.grad.item(), q.grad.item()) == (-4, -4, 3, -4)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        gg.autograd.explain(f, print_table=False)  # now freed, as any backward would say


def test_global_random_state_untouched():
    x = gg.randn(40, requires_grad=True)
    gg.manual_seed(3)
    expected = gg.randn(3)
    gg.manual_seed(3)
    gg.autograd.explain(x.softmax(0).mul(x).sum(), print_table=False)  # uses a random probe
    assert gg.equal(gg.randn(3), expected)


def test_printed_table(capsys):
    x, y, z, q, f = seeds_example()
    result = gg.autograd.explain(f, names={"x": x, "y": y, "z": z, "q": q, "f": f})
    printed = capsys.readouterr().out
    assert printed.strip() == str(result).strip()
    for line in ["backward pass of f = -12", "step", "upstream", "local", "passed down",
                 "df/df = 1", "df/dq = -4", "dq/dx = 1", "gradients:", "df/dx = -4",
                 "df/dy = -4", "df/dz = 3"]:
        assert line in printed, line
    lines = printed.splitlines()
    mul_row = next(r for r in lines if r.startswith("1 ") and "mul" in r)
    assert "q" in mul_row and "df/dq = -4" in mul_row
    gg.autograd.explain(f, print_table=False)
    assert capsys.readouterr().out == ""


def test_default_names_and_sums_over_paths():
    x = gg.tensor(2.0, requires_grad=True)
    e = gg.autograd.explain(x ** 2 + 3 * x + 5, print_table=False)
    assert e.output_name == "out"
    assert list(e.leaf_grads) == ["leaf0"] and e.leaf_grads["leaf0"].item() == 7.0
    uses_of_x = [i for s in e.steps for i in s.inputs if i.name == "leaf0"]
    assert len(uses_of_x) == 2 and all(i.partial for i in uses_of_x)
    assert sorted(float(i.grad) for i in uses_of_x) == [3.0, 4.0]  # 3 + 2x: one term per path
    assert "dout/dleaf0 += " in str(e)
    check_products(e)


def test_vector_example_against_torch():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(3), rng.standard_normal((2, 3))
    x, w = gg.tensor(a, requires_grad=True), gg.tensor(b, requires_grad=True)
    h = (w @ x).tanh()
    loss = (h * x.sum()).sum()
    e = gg.autograd.explain(loss, names={"x": x, "W": w, "h": h, "loss": loss},
                            print_table=False)
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ((tw @ tx).tanh() * tx.sum()).sum().backward()
    np.testing.assert_allclose(e.leaf_grads["x"].numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(e.leaf_grads["W"].numpy(), tw.grad.numpy(), rtol=1e-12)
    kinds = {s.op: [i.local_kind for i in s.inputs] for s in e.steps}
    assert kinds["sum"] == ["scalar"] or kinds["sum"] == ["scalar", "scalar"]
    assert kinds["tanh"] == ["elementwise"]
    assert kinds["mv"] == ["jacobian", "jacobian"]
    mv = next(s for s in e.steps if s.op == "mv")
    np.testing.assert_allclose(mv.inputs[1].local, b)  # d(Wx)/dx = W
    tanh = next(s for s in e.steps if s.op == "tanh")
    np.testing.assert_allclose(tanh.inputs[0].local, 1 - h.detach().numpy() ** 2)
    check_products(e)
    assert x.grad is None and w.grad is None


def test_large_tensors_elementwise_and_vjp():
    x = gg.randn(5, 8, dtype=gg.float64, requires_grad=True)
    e = gg.autograd.explain((x.exp().softmax(1) * 2).sum(), names={"x": x}, print_table=False)
    by_op = {s.op: s for s in e.steps}
    assert by_op["exp"].inputs[0].local_kind == "elementwise"   # found by a random probe
    np.testing.assert_allclose(by_op["exp"].inputs[0].local, np.exp(x.detach().numpy()))
    assert by_op["softmax"].inputs[0].local_kind == "vjp"       # not diagonal, too big to show
    check_products(e)
    (expected,) = gg.autograd.grad((x.exp().softmax(1) * 2).sum(), x)
    np.testing.assert_allclose(e.leaf_grads["x"].numpy(), expected.numpy())


def test_user_function_inputs_dict_and_gradient_argument():
    class Cube(gg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a ** 3

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 3 * a ** 2

    x = gg.tensor([1.0, 2.0], requires_grad=True)
    c = Cube.apply(x)
    out = c * 2
    e = gg.autograd.explain(out, inputs={"x": x, "c": c}, gradient=gg.tensor([1.0, -1.0]),
                            print_table=False)
    assert [s.op for s in e.steps] == ["mul", "cube"]
    assert e.steps[1].inputs[0].local_kind == "elementwise"
    np.testing.assert_allclose(e.steps[1].inputs[0].local, [3.0, 12.0])
    np.testing.assert_allclose(e.leaf_grads["x"].numpy(), [6.0, -24.0])
    np.testing.assert_allclose(e.leaf_grads["c"].numpy(), [2.0, -2.0])
    check_products(e)


def test_to_dict_is_plain_json():
    e, _ = explain_seeds()
    d = json.loads(json.dumps(e.to_dict()))
    assert d["output"] == {"name": "f", "value": -12.0}
    assert [s["op"] for s in d["steps"]] == ["mul", "add"]
    assert d["steps"][0]["inputs"][0] == {"name": "q", "value": 3.0, "local": -4.0,
                                          "local_kind": "scalar", "grad": -4.0,
                                          "partial": False}
    assert d["leaf_grads"] == {"x": -4.0, "y": -4.0, "z": 3.0}


def test_errors():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gg.autograd.explain(gg.tensor(1.0), print_table=False)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        gg.autograd.explain(gg.ones(2, requires_grad=True) * 2, print_table=False)


def test_multi_output_node_and_broadcast():
    class Split(gg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2, a * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    a = gg.tensor([1.0, 2.0], requires_grad=True)
    b = gg.tensor(0.5, requires_grad=True)
    u, v = Split.apply(a)
    e = gg.autograd.explain(((u * v) + b).sum(), names={"a": a, "b": b, "u": u, "v": v},
                            print_table=False)
    split = next(s for s in e.steps if s.op == "split")
    assert split.output_name == "(u, v)" and len(split.upstream) == 2
    np.testing.assert_allclose(split.upstream[0], [3.0, 6.0])   # d/du (u v) = v
    np.testing.assert_allclose(split.upstream[1], [2.0, 4.0])   # d/dv (u v) = u
    np.testing.assert_allclose(split.inputs[0].grad, [12.0, 24.0])
    add = next(s for s in e.steps if s.op == "add")
    b_in = next(i for i in add.inputs if i.name == "b")
    assert b_in.local_kind == "jacobian" and b_in.local.shape == (2,)   # b broadcast to (2,)
    assert e.leaf_grads["b"].item() == 2.0
    check_products(e)
