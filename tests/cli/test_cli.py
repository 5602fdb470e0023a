"""`glassgrad train | predict | evaluate` end to end, in temporary folders."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from glassgrad.cli import main


def snapshot(folder):
    """Every file under ``folder`` with its bytes, to check that nothing changed."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, folder)] = handle.read()
    return files


def fails_cleanly(capsys, argv, *fragments):
    """The command exits with 2 and one line on stderr that contains every fragment."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("glassgrad")
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return err


def test_default_train_on_digits(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train"]) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "runs" / "digits-1"
    assert f"run folder: {os.path.join('runs', 'digits-1')}" in out
    assert "epoch  train_loss  train_accuracy" in out
    results = json.loads((folder / "results.json").read_text())
    assert results["test"]["accuracy"] >= 0.95
    assert f"accuracy {results['test']['accuracy']:.4f}" in out
    assert sorted(os.listdir(folder)) == [
        ".glassgrad.lock", "checkpoints", "config.json", "metrics.csv", "model.safetensors",
        "plotly.min.js", "preprocessing.json", "preprocessing.skops", "report.html", "results.json",
        "test_predictions.csv", "weights.safetensors"]
    predictions = pd.read_csv(folder / "test_predictions.csv")
    assert len(predictions) == 270
    assert (predictions["true"] == predictions["predicted"]).mean() == pytest.approx(
        results["test"]["accuracy"])
    assert {"best.json", "last.json"} <= set(os.listdir(folder / "checkpoints"))
    metrics = pd.read_csv(folder / "metrics.csv")
    epochs = metrics[metrics.kind == "epoch"]
    assert len(epochs) == results["epochs_run"]
    assert {"val_loss", "val_accuracy", "grad_norm/0"} <= set(metrics.columns)
    config = json.loads((folder / "config.json").read_text())
    assert config["task"] == "classification" and config["n_features"] == 64
    assert config["rows"] == {"train": 1257, "val": 270, "test": 270}
    # a second run gets the next free name
    assert main(["train", "--epochs", "1", "--quiet"]) == 0
    assert (tmp_path / "runs" / "digits-2" / "model.safetensors").exists()


def make_table(n=300, seed=0, with_target=True):
    rng = np.random.default_rng(seed)
    area = rng.uniform(40, 200, n)
    rooms = rng.integers(1, 6, n).astype(float)
    city = rng.choice(["paris", "lyon", "nice"], n)
    price = 3 * area + 20 * rooms + np.select([city == "paris", city == "lyon"], [150, 50], 0)
    price = price + rng.normal(0, 10, n)
    frame = pd.DataFrame({"area": area, "rooms": rooms, "city": city, "price": price})
    frame["band"] = np.where(price > np.median(price), "high", "low")
    frame.loc[rng.choice(n, n // 20, replace=False), "rooms"] = np.nan
    frame.loc[rng.choice(n, n // 30, replace=False), "city"] = np.nan
    if not with_target:
        frame = frame.drop(columns=["price", "band"])
    return frame


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    make_table().to_csv(folder / "houses.csv", index=False)
    make_table(40, seed=1, with_target=False).to_csv(folder / "new.csv", index=False)
    make_table(80, seed=2).to_csv(folder / "labelled.csv", index=False)
    return folder


def test_csv_classification_then_predict_and_evaluate(table, tmp_path, capsys):
    run = str(tmp_path / "band")
    argv = ["train", "--data", str(table / "houses.csv"), "--target", "band", "--out", run,
            "--epochs", "60", "--quiet"]
    assert main(argv) == 0
    config = json.loads(open(os.path.join(run, "config.json")).read())
    assert config["task"] == "classification"
    assert config["preprocessing"]["categorical_columns"] == ["city"]
    out = str(tmp_path / "predictions.csv")
    # price would leak the band; the run learnt from area, rooms, city and price
    new = pd.read_csv(table / "new.csv")
    new["price"] = 3 * new["area"] + 100
    new.to_csv(table / "new_with_price.csv", index=False)
    capsys.readouterr()
    assert main(["predict", run, str(table / "new_with_price.csv"), "-o", out]) == 0
    predicted = pd.read_csv(out)
    assert len(predicted) == 40
    assert set(predicted["prediction"]) <= {"high", "low"}
    np.testing.assert_allclose(predicted[["probability_high", "probability_low"]].sum(axis=1),
                               1.0, rtol=1e-5)
    assert main(["evaluate", run, str(table / "labelled.csv")]) == 0
    text = capsys.readouterr().out
    accuracy = float(text.split("accuracy")[1].split()[0])
    assert accuracy > 0.85 and "f1" in text


def test_csv_regression_then_predict_and_evaluate(table, tmp_path, capsys):
    run = str(tmp_path / "price")
    data = tmp_path / "prices.csv"
    pd.read_csv(table / "houses.csv").drop(columns=["band"]).to_csv(data, index=False)
    assert main(["train", "--data", str(data), "--target", "price", "--out", run,
                 "--epochs", "80", "--lr", "3e-3", "--quiet"]) == 0
    results = json.loads(open(os.path.join(run, "results.json")).read())
    assert results["test"]["r2"] > 0.9
    assert main(["predict", run, str(table / "new.csv")]) == 0
    predicted = pd.read_csv(table / "new.predictions.csv")
    expected = 3 * predicted["area"] + 20 * predicted["rooms"].fillna(3)
    assert np.corrcoef(predicted["prediction"], expected)[0, 1] > 0.9
    capsys.readouterr()
    assert main(["evaluate", run, str(table / "labelled.csv")]) == 0
    assert "rmse" in capsys.readouterr().out
    fails_cleanly(capsys, ["predict", run, str(table / "new.csv")], "already exists",
                  "--overwrite")
    assert main(["predict", run, str(table / "new.csv"), "--overwrite"]) == 0


def test_bad_training_data_exits_2_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = make_table(60)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("a,b,price\n")
    frame.to_csv("ok.csv", index=False)
    frame.assign(band="same").to_csv("one_class.csv", index=False)
    frame.assign(rooms=np.nan).to_csv("no_rooms.csv", index=False)
    cases = [
        (["--data", "missing.csv"], ["missing.csv", "does not exist"]),
        (["--data", "empty.csv"], ["empty.csv", "empty"]),
        (["--data", "header.csv", "--target", "price"], ["no rows"]),
        (["--data", "ok.csv", "--target", "cost"], ["'cost'", "'area'", "'price'"]),
        (["--data", "ok.csv"], ["--target"]),
        (["--data", "one_class.csv", "--target", "band"], ["one class", "same"]),
        (["--data", "no_rooms.csv", "--target", "price"], ["rooms", "missing"]),
        (["--data", "ok.csv", "--target", "city", "--task", "regression"], ["city"]),
        (["--hidden", "64,0"], ["--hidden"]),
        (["--lr", "-1"], ["--lr"]),
    ]
    for argv, fragments in cases:
        fails_cleanly(capsys, ["train", *argv], *fragments)
    assert not (tmp_path / "runs").exists()


def test_an_existing_run_is_refused_unless_overwrite(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--data", "iris", "--out", str(run), "--epochs", "2", "--quiet"]) == 0
    before = snapshot(run)
    fails_cleanly(capsys, ["train", "--data", "wine", "--out", str(run)], "already holds a run",
                  "--overwrite")
    assert snapshot(run) == before
    assert main(["train", "--data", "wine", "--out", str(run), "--epochs", "2", "--quiet",
                 "--overwrite"]) == 0
    assert json.loads((run / "config.json").read_text())["settings"]["data"] == "wine"


def test_predict_rejects_unseen_categories_and_missing_columns(table, tmp_path, capsys):
    run = str(tmp_path / "band")
    assert main(["train", "--data", str(table / "houses.csv"), "--target", "band", "--out", run,
                 "--epochs", "2", "--quiet"]) == 0
    new = make_table(10, seed=3)
    new.loc[0, "city"] = "marseille"
    new.to_csv(tmp_path / "unseen.csv", index=False)
    new.drop(columns=["rooms", "price"]).to_csv(tmp_path / "partial.csv", index=False)
    before = snapshot(tmp_path)
    fails_cleanly(capsys, ["predict", run, str(tmp_path / "unseen.csv")], "city", "marseille")
    fails_cleanly(capsys, ["predict", run, str(tmp_path / "partial.csv")], "rooms", "price")
    fails_cleanly(capsys, ["predict", run, str(tmp_path / "nothing.csv")], "nothing.csv")
    fails_cleanly(capsys, ["predict", str(tmp_path), str(tmp_path / "unseen.csv")],
                  "not a glassgrad run folder")
    fails_cleanly(capsys, ["evaluate", run, str(table / "new.csv")], "'band'")
    assert snapshot(tmp_path) == before


def test_lr_auto_and_schedulers(tmp_path, capsys):
    run = tmp_path / "auto"
    assert main(["train", "--data", "breast-cancer", "--lr", "auto", "--scheduler", "onecycle",
                 "--epochs", "5", "--out", str(run)]) == 0
    out = capsys.readouterr().out
    assert "lr range test" in out and "suggested lr" in out
    config = json.loads((run / "config.json").read_text())
    assert config["settings"]["lr"] == "auto" and 1e-7 < config["lr_used"] < 1.0
    for scheduler in ("step", "cosine", "plateau"):
        assert main(["train", "--data", "diabetes", "--scheduler", scheduler, "--epochs", "3",
                     "--out", str(tmp_path / scheduler), "--quiet"]) == 0


def test_the_command_line_names_match_the_model_tables():
    from glassgrad import models
    from glassgrad.cli import train

    assert set(train.ACTIVATIONS) <= set(models.ACTIVATIONS)
    assert set(train.OPTIMIZERS) == set(models.OPTIMIZERS)


def test_a_diverging_run_stops_at_the_first_nan_and_says_so(tmp_path, capsys):
    run = tmp_path / "nan"
    assert main(["train", "--lr", "1e4", "--optimizer", "sgd", "--out", str(run)]) == 0
    captured = capsys.readouterr()
    assert "the loss became nan in epoch 1" in captured.out
    assert "try a smaller --lr" in captured.out
    assert "RuntimeWarning" not in captured.err
    results = json.loads((run / "results.json").read_text())
    assert results["stopped_because"].startswith("the loss became nan")
