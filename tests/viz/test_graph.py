"""plot_graph and explain_figure on the course notes' example f = (x + y) * z at x=-2, y=5, z=-4:
the graph's nodes and edges, the gradients on the leaves after backward, the backward account
(local x upstream = gradient) on the edges, in all three renderings (DOT, SVG, plotly)."""

import html
import shutil
import warnings

import numpy as np
import pytest

import glassgrad
from glassgrad import nn
from glassgrad.viz import explain_figure, plot_graph
from glassgrad.viz.graph import GraphSVG, graph_of

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot not installed")


def seeds_example():
    x = glassgrad.tensor(-2.0, requires_grad=True)
    y = glassgrad.tensor(5.0, requires_grad=True)
    z = glassgrad.tensor(-4.0, requires_grad=True)
    q = x + y
    f = q * z
    return f, {"x": x, "y": y, "z": z}


def by_label(graph):
    return {n.label: n for n in graph.nodes}


def edge_pairs(graph):
    labels = [n.label for n in graph.nodes]
    return {(labels[src], labels[dst]) for src, dst, _ in graph.edges}


def test_the_graph_of_the_seeds_example_has_its_operations_leaves_and_edges():
    f, names = seeds_example()
    graph = graph_of(f, names)
    nodes = by_label(graph)
    assert sorted(nodes) == ["Add", "Mul", "output", "x", "y", "z"]
    assert [nodes[k].kind for k in ("Add", "Mul", "x", "output")] == ["op", "op", "leaf",
                                                                      "output"]
    assert all(n.shape == () and "scalar" in n.lines for n in graph.nodes)
    assert edge_pairs(graph) == {("x", "Add"), ("y", "Add"), ("Add", "Mul"), ("z", "Mul"),
                                 ("Mul", "output")}
    assert (nodes["x"].level, nodes["Add"].level, nodes["Mul"].level) == (3, 2, 1)
    assert not any(line.startswith("grad") for n in graph.nodes for line in n.lines)


def test_after_backward_the_leaves_show_their_gradients():
    f, names = seeds_example()
    f.backward()
    nodes = by_label(graph_of(f, names))
    assert nodes["x"].lines[-1] == "grad -4"
    assert nodes["y"].lines[-1] == "grad -4"
    assert nodes["z"].lines[-1] == "grad 3"
    assert nodes["Add"].shape == ()  # known from Mul's input shapes though its values are freed


def test_unnamed_leaves_large_tensors_shapes_and_norms():
    glassgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x = glassgrad.randn(5, 4)
    loss = nn.functional.cross_entropy(model(x), glassgrad.tensor([0, 1, 2, 0, 1]))
    nodes = by_label(graph_of(loss))
    assert {"Addmm", "Relu", "CrossEntropy"} <= set(nodes)
    assert nodes["Relu"].shape == (5, 8) and "(5, 8)" in nodes["Relu"].lines
    assert sorted(k for k in nodes if k.startswith("leaf")) == [f"leaf {i}" for i in range(4)]
    loss.backward()
    named = by_label(graph_of(loss, model))            # a Module names its parameters
    weight = model[0].weight
    assert named["0.weight"].shape == (8, 4)
    assert named["0.weight"].lines[-1] == f"grad \u2016\u00b7\u2016 "\
                                          f"{np.linalg.norm(weight.grad.numpy()):.4g}"
    assert named["2.bias"].lines[-1].startswith("grad [")   # 3 values: shown as values


def test_a_tensor_outside_any_graph_is_refused_and_a_leaf_is_one_node():
    with pytest.raises(ValueError, match="no grad_fn and does not require grad"):
        plot_graph(glassgrad.tensor([1.0, 2.0]))
    with glassgrad.no_grad():
        out = glassgrad.tensor(1.0, requires_grad=True) * 2
    with pytest.raises(ValueError, match="no_grad"):
        plot_graph(out)
    w = glassgrad.tensor([1.0, 2.0], requires_grad=True)
    assert [n.label for n in graph_of(w, {"w": w}).nodes] == ["w"]
    assert 'n0 [label="w\\n(2,)"' in plot_graph(w, {"w": w}, format="dot")
    with pytest.raises(ValueError, match="format"):
        plot_graph(w, format="png")


def test_dot_source_and_plotly_figure_carry_the_same_graph():
    f, names = seeds_example()
    f.backward()
    dot = plot_graph(f, names, format="dot")
    assert dot.startswith("digraph") and dot.count("->") == 5
    assert '[label="x\\nscalar\\ngrad -4"' in dot and '[label="Mul\\nscalar"' in dot
    figure = plot_graph(f, names, format="plotly")
    text = [t for trace in figure.data for t in (trace.text or ())]
    assert "x<br>scalar<br>grad -4" in text and "z<br>scalar<br>grad 3" in text
    assert "Add<br>scalar" in text and "Mul<br>scalar" in text
    assert len([a for a in figure.layout.annotations if a.showarrow]) == 5
    meta = figure.layout.meta
    assert sorted(n["label"] for n in meta["nodes"]) == ["Add", "Mul", "output", "x", "y", "z"]
    leaves_x = {n["label"]: n["level"] for n in meta["nodes"]}
    assert leaves_x["x"] > leaves_x["Add"] > leaves_x["Mul"] > leaves_x["output"]


@needs_dot
def test_graphviz_svg_holds_the_labels():
    f, names = seeds_example()
    f.backward()
    picture = plot_graph(f, names)
    assert isinstance(picture, GraphSVG)
    assert picture.svg.startswith("<svg") and picture._repr_svg_() == picture.svg
    svg = html.unescape(picture.svg)
    for label in (">Add<", ">Mul<", ">x<", ">grad -4<", ">grad 3<"):
        assert label in svg, label
    assert picture.dot == plot_graph(f, names, format="dot")


@needs_dot
def test_graphviz_save(tmp_path):
    f, names = seeds_example()
    picture = plot_graph(f, names, format="svg")
    assert open(picture.save(str(tmp_path / "g.svg"))).read() == picture.svg
    assert open(picture.save(str(tmp_path / "g.dot"))).read() == picture.dot
    assert open(picture.save(str(tmp_path / "g.png")), "rb").read(4) == b"\x89PNG"


def test_explain_figure_labels_the_edges_with_the_seeds_numbers():
    f, names = seeds_example()
    q = f.grad_fn.next_functions[0][0]
    names = dict(names, f=f)
    figure = explain_figure(f, names, format="plotly")
    meta = figure.layout.meta
    labels = [n["label"] for n in meta["nodes"]]
    edges = {(labels[s], labels[d]): meta["edge_labels"][str(k)]
             for k, (s, d, _) in enumerate(meta["edges"])}
    assert edges[("Add", "Mul")] == "-4 \u00d7 1 = -4"     # dq: local z = -4, upstream 1
    assert edges[("z", "Mul")] == "3 \u00d7 1 = 3"         # dz: local q = 3, upstream 1
    assert edges[("x", "Add")] == "1 \u00d7 -4 = -4"       # dx: local 1, upstream -4
    assert edges[("y", "Add")] == "1 \u00d7 -4 = -4"
    assert edges[("Mul", "f")] == "1"                      # df/df
    lines = {n["label"]: n["lines"] for n in meta["nodes"]}
    assert lines["x"] == ["x", "= -2", "df/dx = -4"] and lines["z"][-1] == "df/dz = 3"
    assert lines["Add"][-1] == "= 3" and lines["Mul"][-1] == "= -12"
    assert meta["explanation"]["leaf_grads"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    shown = [a.text for a in figure.layout.annotations if a.text]
    assert "3 \u00d7 1 = 3" in shown
    assert q.name() == "AddBackward0"
    assert names["x"].grad is None                         # explain leaves .grad alone


@needs_dot
def test_explain_figure_as_svg_and_dot():
    f, names = seeds_example()
    dot = explain_figure(f, names, format="dot")
    assert '[label="3 \u00d7 1 = 3"' in dot and '[label="1 \u00d7 -4 = -4"' in dot
    picture = explain_figure(f, names)
    svg = html.unescape(picture.svg)                      # Graphviz writes - as &#45;
    assert "1 \u00d7 -4 = -4" in svg and "dout/dz = 3" in svg
    assert picture.explanation.leaf_grads["z"].item() == 3.0


def test_explain_figure_on_tensors_shows_shapes_and_norms():
    w = glassgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    v = glassgrad.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    loss = (w * w).sum() + (v.tanh() * 2).sum()
    figure = explain_figure(loss, {"w": w, "v": v}, format="plotly")
    meta = figure.layout.meta
    labels = [n["label"] for n in meta["nodes"]]
    edges = {(labels[s], labels[d]): meta["edge_labels"][str(k)]
             for k, (s, d, _) in enumerate(meta["edges"])}
    # w * w: each of the two edges carries one term of the sum (upstream: ones from Sum)
    assert edges[("w", "Mul")] == "[1, 2, 3, 4] \u2299 [1, 1, 1, 1] = [1, 2, 3, 4] (+)"
    leaf = {n["label"]: n["lines"] for n in meta["nodes"]}["w"]
    assert leaf[-1] == "dout/dw = [2, 4, 6, 8]"
    assert "\u2016\u00b7\u2016" in edges[("v", "Tanh")]       # 12 elements: by their norm
    grad_norm = np.linalg.norm(2 * (1 - np.tanh(np.arange(12.0)) ** 2))
    assert edges[("v", "Tanh")].endswith(f"= \u2016\u00b7\u2016 {grad_norm:.4g}")


def test_hundreds_of_nodes():
    a = glassgrad.tensor(0.5, requires_grad=True)
    weights = [glassgrad.tensor(0.9, requires_grad=True) for _ in range(100)]
    s = a
    for w in weights:
        s = (s * w + a).tanh()
    graph = graph_of(s)
    assert len(graph.nodes) == 300 + 101 + 1
    figure = plot_graph(s, format="plotly")
    assert max(n["level"] for n in figure.layout.meta["nodes"]) == 301
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(explain_figure(s, format="plotly").layout.meta["edge_labels"]) == 501


def test_auto_draws_with_plotly_without_graphviz_or_when_it_fails(monkeypatch):
    import glassgrad.viz.graph as module

    f, names = seeds_example()
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    assert hasattr(plot_graph(f, names), "to_plotly_json")
    with pytest.raises(RuntimeError, match="not installed"):
        plot_graph(f, names, format="svg")
    monkeypatch.undo()

    def too_slow(source, fmt="svg", text=True):
        raise RuntimeError("Graphviz took more than 20 s to lay out this graph")

    monkeypatch.setattr(module.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(module, "_run_dot", too_slow)
    with pytest.warns(UserWarning, match="drawing it with plotly instead"):
        assert hasattr(plot_graph(f, names), "to_plotly_json")


def test_drawing_before_backward_changes_nothing():
    x = glassgrad.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    h = (x + 1).relu()              # Add's result is saved by no one: shapes come from a replay
    h.retain_grad()
    loss = (h * h).sum()
    nodes = by_label(graph_of(loss, {"x": x}))
    assert nodes["Add"].shape == (2, 2) and nodes["Relu"].shape == (2, 2)
    assert x.grad is None and h.grad is None
    loss.backward()
    expected = 2 * np.maximum(x.detach().numpy() + 1, 0) * (x.detach().numpy() + 1 > 0)
    assert np.allclose(x.grad.numpy(), expected)
    assert np.allclose(h.grad.numpy(), 2 * h.detach().numpy())
