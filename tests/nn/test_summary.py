"""glassgrad.summary: rows (names, types, output shapes, own parameter counts) in call order,
totals, the printed table, and that the model is left as it was."""

import subprocess
import sys

import pytest

import glassgrad as gg
import glassgrad.nn as nn


class Branches(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU())
        self.heads = nn.ModuleDict({"a": nn.Linear(8, 3), "b": nn.Linear(8, 1)})
        self.scale = nn.Parameter(gg.ones(1), requires_grad=False)

    def forward(self, x):
        h = self.features(x)
        return self.heads["a"](h) * self.scale, self.heads["b"](h)


def test_rows_in_call_order_with_shapes_and_counts():
    model = Branches()
    result = gg.summary(model, (2, 3, 4), verbose=False)
    rows = [(r["name"], r["type"], r["output_shape"], r["params"]) for r in result.rows]
    assert rows == [
        ("", "Branches", [[2, 3], [2, 1]], 1),  # the model owns `scale` directly
        ("features.0", "Flatten", [2, 12], 0),
        ("features.1", "Linear", [2, 8], 12 * 8 + 8),
        ("features.2", "ReLU", [2, 8], 0),
        ("heads.a", "Linear", [2, 3], 8 * 3 + 3),
        ("heads.b", "Linear", [2, 1], 8 + 1),
    ]
    assert result.total_params == 104 + 27 + 9 + 1
    assert result.trainable_params == 140 and result.non_trainable_params == 1
    assert result.total_params == sum(p.numel() for p in model.parameters())


def test_printed_table(capsys):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    result = gg.summary(model, (1, 4))
    printed = capsys.readouterr().out
    assert printed.strip() == str(result)
    lines = printed.splitlines()
    assert "Layer (type)" in lines[1] and "Output Shape" in lines[1] and "Param #" in lines[1]
    assert lines[3].split() == ["0", "(Linear)", "[1,", "8]", "40"]
    assert lines[4].split() == ["1", "(ReLU)", "[1,", "8]", "0"]
    assert lines[5].split() == ["2", "(Linear)", "[1,", "2]", "18"]
    assert "Total params: 58" in printed and "Trainable params: 58" in printed
    assert "Non-trainable params: 0" in printed
    assert result.total_params == 58
    assert repr(result) == "ModelSummary(layers=3, total_params=58, trainable_params=58)"


def test_shared_layers_and_a_single_layer_model():
    layer = nn.Linear(3, 3)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    result = gg.summary(model, (5, 3), verbose=False)
    assert [r["name"] for r in result.rows] == ["0", "1", "0"]  # called twice, one row per call
    assert result.total_params == 12  # counted once
    single = gg.summary(nn.Linear(3, 2), (5, 3), verbose=False)
    assert [(r["name"], r["type"], r["output_shape"]) for r in single.rows] == \
        [("", "Linear", [5, 2])]
    big = gg.summary(nn.Linear(1000, 1000), (1, 1000), verbose=False)
    assert "1,001,000" in str(big)


def test_several_inputs_a_given_tensor_and_dtype():
    bilinear = nn.Bilinear(2, 3, 4)
    result = gg.summary(bilinear, [(5, 2), (5, 3)], verbose=False)
    assert result.rows[0]["output_shape"] == [5, 4]
    double = nn.Linear(2, 2).double()
    assert gg.summary(double, (1, 2), verbose=False).rows[0]["output_shape"] == [1, 2]
    result = gg.summary(nn.Flatten(0, 1), gg.ones(3, 4, 5), verbose=False)
    assert result.rows[0]["output_shape"] == [12, 5] and result.total_params == 0


def test_model_is_left_as_it_was():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 1)))
    model[1].eval()
    gg.summary(model, (1, 2), verbose=False)
    assert model.training and model[0].training and not model[1].training
    assert not model[0]._forward_hooks and not model[0]._forward_pre_hooks
    assert "_summary_rows" not in model[0].__dict__
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        gg.summary(model, (1, 3), verbose=False)
    assert not model[0]._forward_hooks and model.training  # cleaned up after an error too


def test_import_glassgrad_stays_light():
    code = ("import sys, glassgrad; heavy = [m for m in ('torch', 'pandas', "
            "'sklearn', 'matplotlib', 'plotly') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert callable(gg.summary)
