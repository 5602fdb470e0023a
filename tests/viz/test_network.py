"""plot_network: one edge per weight, coloured by sign, as wide as |w|, animated over epochs."""

import numpy as np
import pytest
from train_helpers import classification_data, loaders, mlp

import glassgrad as gg
from glassgrad import nn
from glassgrad.train import Trainer, WeightMonitor
from glassgrad.viz import plot_network
from glassgrad.viz.network import MAX_WIDTH, NEGATIVE, POSITIVE


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    x, y = classification_data()
    model = mlp()  # Linear(6, 16) -> ReLU -> Linear(16, 3)
    history = Trainer(max_epochs=3, callbacks=[WeightMonitor()], progress=False,
                      default_root_dir=folder).fit(model, loaders(x, y)[0],
                                                   loss_fn=nn.CrossEntropyLoss())
    history.to_csv(folder / "metrics.csv")
    return model, history, folder


def edges(traces):
    return [trace for trace in traces if trace.meta]


def check_edges(edge_traces, frame_lines, weights, scale):
    """Each edge's colour is its weight's sign and its width MAX_WIDTH * |w| / scale."""
    for trace, line in zip(edge_traces, frame_lines):
        w = weights[trace.meta["parameter"]][trace.meta["row"], trace.meta["col"]]
        assert line.color == (POSITIVE if w >= 0 else NEGATIVE)
        assert line.width == pytest.approx(MAX_WIDTH * abs(w) / scale, rel=1e-6)


def test_one_edge_per_weight_animated_over_the_snapshots(run):
    model, history, _ = run
    figure = plot_network(model, history)
    edge_traces = edges(figure.data)
    assert len(edge_traces) == 6 * 16 + 16 * 3
    assert edge_traces[0].name == "0.weight[0,0]" and edge_traces[-1].name == "2.weight[2,15]"
    assert len(figure.frames) == len(history.snapshots) == 4
    assert [frame.name for frame in figure.frames] == ["0", "1", "2", "3"]
    scale = max(np.abs(snapshot["weights"][name]).max() for snapshot in history.snapshots
                for name in ("0.weight", "2.weight"))
    for frame, snapshot in zip(figure.frames, history.snapshots):
        lines = [trace.line for trace in frame.data[:len(edge_traces)]]
        check_edges(edge_traces, lines, snapshot["weights"], scale)
    widths = [trace.line.width for frame in figure.frames for trace in frame.data[:144]]
    assert max(widths) == pytest.approx(MAX_WIDTH)
    assert figure.layout.sliders[0].steps[3].label == "3"
    assert figure.layout.updatemenus[0].buttons[0].label.endswith("Play")


def test_hover_values_and_neurons(run):
    model, history, _ = run
    figure = plot_network(model, history, output_names=["a", "b", "c"])
    hover, neurons = figure.data[-2], figure.data[-1]
    last = history.snapshots[-1]["weights"]
    assert len(hover.x) == 144 and len(neurons.x) == 6 + 16 + 3
    w = last["2.weight"][1, 4]
    text = figure.frames[-1].data[-2].text[6 * 16 + 1 * 16 + 4]
    assert text.startswith(f"2.weight[1, 4] = {w:+.4g}") and "output 1 (b)" in text
    assert f"bias = {last['2.bias'][2]:+.4g}" in figure.frames[-1].data[-1].text[-1]


def test_current_weights_without_history_and_a_run_folder(run):
    model, history, folder = run
    figure = plot_network(model)
    assert len(figure.frames) == 0 and not figure.layout.sliders
    current = {name: p.detach().numpy() for name, p in model.named_parameters()}
    scale = max(np.abs(current["0.weight"]).max(), np.abs(current["2.weight"]).max())
    check_edges(edges(figure.data), [t.line for t in edges(figure.data)], current, scale)
    from_folder = plot_network(model, str(folder), max_frames=2)
    assert [frame.name for frame in from_folder.frames] == ["0", "3"]


def test_any_module_whose_linear_layers_chain():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(3, 4)
            self.act = nn.Tanh()
            self.fc2 = nn.Linear(4, 2, bias=False)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x)))

    gg.manual_seed(0)
    figure = plot_network(Net())
    assert {trace.meta["parameter"] for trace in edges(figure.data)} == {"fc1.weight",
                                                                         "fc2.weight"}
    assert len(edges(figure.data)) == 3 * 4 + 4 * 2
    assert "Tanh" in " ".join(annotation.text for annotation in figure.layout.annotations)
    single = plot_network(nn.Linear(2, 1))
    assert [trace.meta["parameter"] for trace in edges(single.data)] == ["weight", "weight"]


def test_clear_errors():
    with pytest.raises(ValueError, match=r"layer '0' .* 30 units, more than max_neurons=24"):
        plot_network(nn.Sequential(nn.Linear(4, 30), nn.ReLU(), nn.Linear(30, 2)))
    with pytest.raises(ValueError, match="input of layer '0'.* 40 features"):
        plot_network(nn.Sequential(nn.Linear(40, 2)))
    assert len(edges(plot_network(nn.Linear(40, 2), max_neurons=40).data)) == 80
    with pytest.raises(ValueError, match="no Linear layer"):
        plot_network(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match="do not chain: '0' gives 4 outputs but '1' takes 5"):
        plot_network(nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2)))
