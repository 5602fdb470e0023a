"""Streaming metrics against scikit-learn's, over several batches."""

import numpy as np
import pytest
from sklearn import metrics as sk

import glassgrad as gg
from glassgrad.train import metrics


def batches(values, size=7):
    return [values[i:i + size] for i in range(0, len(values), size)]


@pytest.mark.parametrize("seed", range(5))
def test_classification_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(50, 4)).astype(np.float32)
    target = rng.integers(0, 4, size=50)
    if seed == 0:
        target[target == 3] = 2     # a class that is predicted but never occurs
    predicted = logits.argmax(1)
    expected = {
        "accuracy": sk.accuracy_score(target, predicted),
        "precision": sk.precision_score(target, predicted, average="macro", zero_division=0),
        "recall": sk.recall_score(target, predicted, average="macro", zero_division=0),
        "f1": sk.f1_score(target, predicted, average="macro", zero_division=0),
    }
    for name, value in expected.items():
        metric = metrics.get_metric(name)
        for out, tgt in zip(batches(logits), batches(target)):
            metric.update(gg.tensor(out), gg.tensor(tgt))
        assert metric.compute() == pytest.approx(value), name


def test_binary_scores_logits_and_probabilities():
    target = np.array([0, 1, 1, 0, 1])
    assert metrics.accuracy(np.array([-1.0, 2.0, 0.5, -0.2, -3.0]), target) == 0.8
    assert metrics.accuracy(np.array([[0.1], [0.9], [0.6], [0.4], [0.2]]), target) == 0.8


@pytest.mark.parametrize("seed", range(3))
def test_regression_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    prediction = rng.normal(size=(40, 1)).astype(np.float32)
    target = rng.normal(size=(40, 1)).astype(np.float32)
    expected = {"mae": sk.mean_absolute_error(target, prediction),
                "rmse": np.sqrt(sk.mean_squared_error(target, prediction)),
                "r2": sk.r2_score(target, prediction)}
    for name, value in expected.items():
        metric = metrics.get_metric(name)
        for out, tgt in zip(batches(prediction), batches(target)):
            metric.update(gg.tensor(out), gg.tensor(tgt))
        assert metric.compute() == pytest.approx(value, rel=1e-5), name


def test_metric_state_round_trips_and_errors():
    metric = metrics.F1Score()
    metric.update(np.eye(3), np.array([0, 1, 1]))
    copy = metrics.F1Score()
    copy.load_state_dict(metric.state_dict())
    assert copy.compute() == metric.compute()
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        metrics.get_metric("auc")
    with pytest.raises(ValueError, match="output has 2 values but target has 3"):
        metrics.mean_absolute_error(np.zeros(2), np.zeros(3))
