"""plot_weights and plot_health on a real run with a WeightMonitor."""

import math

import numpy as np
import pytest
from train_helpers import classification_data, loaders, mlp

from glassgrad import nn
from glassgrad.train import History, Trainer, WeightMonitor
from glassgrad.viz import plot_health, plot_weights


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    x, y = classification_data()
    train, valid = loaders(x, y)
    history = Trainer(max_epochs=3, callbacks=[WeightMonitor()], progress=False,
                      default_root_dir=folder).fit(mlp(), train, valid,
                                                   loss_fn=nn.CrossEntropyLoss())
    history.to_csv(folder / "metrics.csv")
    return history, folder


def edges_of(bar):
    """The bin edges of a Bar drawn by plot_weights (centres and widths)."""
    x, width = np.asarray(bar.x), np.asarray(bar.width)
    return np.append(x - width / 2, x[-1] + width[-1] / 2)


def test_one_frame_per_snapshot_and_counts_sum_to_the_size(run):
    history, _ = run
    figure = plot_weights(history, bins=20)
    names = [trace.name for trace in figure.data]
    assert names == ["0.weight", "0.weight.grad", "2.weight", "2.weight.grad"]
    assert [frame.name for frame in figure.frames] == ["0", "1", "2", "3"]
    assert len(figure.frames) == len(history.snapshots)
    for frame, snapshot in zip(figure.frames, history.snapshots):
        for name, bars in zip(names, frame.data):
            assert len(bars.y) == 20
            kind = "grads" if name.endswith(".grad") else "weights"
            array = snapshot[kind].get(name.removesuffix(".grad"))
            assert sum(bars.y) == (0 if array is None else array.size), (frame.name, name)
    assert sum(figure.frames[0].data[1].y) == 0  # before training: no gradients yet


def test_bin_edges_are_fixed_and_span_every_epoch(run):
    history, _ = run
    figure = plot_weights(history, bins=10)
    for index, name in ((0, "0.weight"), (2, "2.weight")):
        edges = edges_of(figure.data[index])
        values = [snapshot["weights"][name] for snapshot in history.snapshots]
        assert edges[0] == pytest.approx(min(v.min() for v in values), abs=1e-6)
        assert edges[-1] == pytest.approx(max(v.max() for v in values), abs=1e-6)
        for frame, value in zip(figure.frames, values):
            np.testing.assert_array_equal(frame.data[index].y, np.histogram(value, edges)[0])
        assert tuple(figure.layout[f"yaxis{index + 1}"].range)[0] == 0


def test_choosing_parameters_a_run_folder_and_no_snapshots(run):
    history, folder = run
    figure = plot_weights(str(folder), parameters=["2.bias"])
    assert [trace.name for trace in figure.data] == ["2.bias", "2.bias.grad"]
    assert [sum(frame.data[0].y) for frame in figure.frames] == [3] * 4
    with pytest.raises(ValueError, match="no parameter '9.weight'"):
        plot_weights(history, parameters=["9.weight"])
    empty = plot_weights(History())
    assert "no weight snapshots recorded" in empty.layout.annotations[0].text


def test_health_heat_maps_are_log10_of_the_records(run):
    history, _ = run
    figure = plot_health(history)
    traces = {trace.name: trace for trace in figure.data}
    assert list(traces) == ["grad_norm", "update_ratio"]
    for name, trace in traces.items():
        assert trace.type == "heatmap"
        assert trace.y == ("0", "2")
        assert list(trace.x) == [row["step"] for row in history.steps]
        for layer, z_row, raw_row in zip(trace.y, trace.z, trace.customdata):
            recorded = history.step_values(f"{name}/{layer}")
            np.testing.assert_allclose(z_row, np.log10(recorded))
            np.testing.assert_allclose(raw_row, recorded)
    ratio = traces["update_ratio"]
    assert (ratio.zmin, ratio.zmax) == (-7, 1)
    assert "healthy band" in ratio.hovertemplate
    colours = dict((round(ratio.zmin + p * (ratio.zmax - ratio.zmin), 6), c)
                   for p, c in ratio.colorscale)
    assert colours[-3] == "#74c476"  # the healthy 1e-3 is the green centre
    assert "1e-3 healthy" in ratio.colorbar.ticktext


def test_health_without_update_ratios_and_odd_values():
    x, y = classification_data()
    history = Trainer(max_epochs=1, progress=False).fit(mlp(), loaders(x, y)[0],
                                                        loss_fn=nn.CrossEntropyLoss())
    figure = plot_health(history)
    assert [trace.name for trace in figure.data] == ["grad_norm"]
    notes = [annotation.text for annotation in figure.layout.annotations]
    assert "no update ratios recorded (add WeightMonitor)" in notes
    odd = History()
    odd.log_step({"step": 1, "grad_norm/a": 0.0, "grad_norm/b": 1e-9})
    odd.log_step({"step": 2, "grad_norm/a": 10.0, "grad_norm/b": math.inf})
    (trace,) = plot_health(odd).data
    assert [list(row) for row in trace.z] == [[-12.0, 1.0], [-9.0, None]]
    empty = plot_health(History())
    assert len(empty.data) == 0 and len(empty.layout.annotations) == 4
