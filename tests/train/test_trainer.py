"""The Trainer's loop against hand-written loops, and its options."""

import numpy as np
import pytest
from train_helpers import (
    assert_same_weights,
    classification_data,
    loaders,
    mlp,
    regression_data,
    weights,
)

import glassgrad as gg
from glassgrad import nn, optim
from glassgrad.train import Callback, Trainer


def test_fit_matches_a_hand_written_loop_bit_for_bit():
    x, y = classification_data()
    model = mlp(dropout=0.2)
    gg.manual_seed(1)
    train, _ = loaders(x, y, val=False)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(3):
        for inputs, target in train:
            optimizer.zero_grad()
            loss_fn(model(inputs), target).backward()
            optimizer.step()
    expected = weights(model)

    model = mlp(dropout=0.2)
    gg.manual_seed(1)
    trainer = Trainer(max_epochs=3, progress=False)
    trainer.fit(model, train, loss_fn=loss_fn, optimizer=optim.Adam(model.parameters(), lr=0.01))
    assert_same_weights(weights(model), expected)
    assert trainer.global_step == 3 * len(train)
    assert trainer.current_epoch == 3


def test_gradient_accumulation_matches_the_mean_gradient_of_the_window():
    x, y = regression_data(n=64)
    model = mlp(4, 1)
    train, _ = loaders(x, y, shuffle=False, val=False)
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.MSELoss()
    batches = list(train)
    for start in range(0, len(batches), 2):
        optimizer.zero_grad()
        for inputs, target in batches[start:start + 2]:
            (loss_fn(model(inputs), target) / 2).backward()
        optimizer.step()
    expected = weights(model)

    model = mlp(4, 1)
    trainer = Trainer(max_epochs=1, accumulate_grad_batches=2, progress=False)
    trainer.fit(model, train, loss_fn=loss_fn, optimizer=optim.SGD(model.parameters(), lr=0.05))
    np.testing.assert_allclose(weights(model)["2.weight"], expected["2.weight"], rtol=1e-6)
    assert trainer.global_step == len(batches) // 2
    assert len(trainer.history.steps) == len(batches) // 2


def test_gradient_clipping_by_norm_and_by_value():
    x, y = regression_data(n=32)
    clippers = {"norm": nn.utils.clip_grad_norm_, "value": nn.utils.clip_grad_value_}
    for algorithm, clip in clippers.items():
        model = mlp(4, 1)
        train, _ = loaders(x, y, batch_size=32, shuffle=False, val=False)
        optimizer = optim.SGD(model.parameters(), lr=0.1)
        for inputs, target in train:
            optimizer.zero_grad()
            nn.MSELoss()(model(inputs), target).backward()
            clip(model.parameters(), 0.01)
            optimizer.step()
        expected = weights(model)
        model = mlp(4, 1)
        Trainer(max_epochs=1, gradient_clip_val=0.01, gradient_clip_algorithm=algorithm,
                progress=False).fit(model, train, loss_fn=nn.MSELoss(),
                                    optimizer=optim.SGD(model.parameters(), lr=0.1))
        assert_same_weights(weights(model), expected)


def test_history_records_steps_and_epochs_with_metrics_and_gradient_norms():
    x, y = classification_data()
    model = mlp()
    train, valid = loaders(x, y)
    trainer = Trainer(max_epochs=2, progress=False)
    history = trainer.fit(model, train, valid, loss_fn=nn.CrossEntropyLoss(),
                          metrics=["accuracy", "f1"])
    assert len(history.epochs) == 2 and len(history.steps) == 2 * len(train)
    epoch = history.epochs[-1]
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_f1", "lr",
                "time"):
        assert key in epoch
    step = history.steps[0]
    assert set(step) >= {"epoch", "step", "train_loss", "lr", "time", "grad_norm/0",
                         "grad_norm/2"}
    # the recorded norm is the norm of the first step's gradient
    model2 = mlp()
    inputs, target = next(iter(loaders(x, y, shuffle=False, val=False)[0]))
    assert step["grad_norm/0"] > 0
    assert trainer.callback_metrics["val_accuracy"] == epoch["val_accuracy"]
    assert model2 is not model


def test_recorded_gradient_norms_are_the_l2_norms_of_each_layers_gradients():
    x, y = classification_data()
    seen = []

    class Norms(Callback):
        """Each layer's gradient norm (float64, by NumPy) just before the update."""

        def on_before_optimizer_step(self, trainer, model, optimizer):
            layers = {}
            for name, p in model.named_parameters():
                layer = f"grad_norm/{name.rsplit('.', 1)[0]}"
                layers[layer] = layers.get(layer, 0.0) + float(
                    np.sum(p.grad.numpy().astype(np.float64) ** 2))
            seen.append(({key: value ** 0.5 for key, value in layers.items()},
                         sum(layers.values()) ** 0.5, trainer.last_grad_norm))

    trainer = Trainer(max_epochs=1, callbacks=[Norms()], progress=False)
    history = trainer.fit(mlp(), loaders(x, y, val=False)[0], loss_fn=nn.CrossEntropyLoss())
    assert len(seen) == len(history.steps) > 1
    for row, (expected, total, last_grad_norm) in zip(history.steps, seen):
        assert {key: row[key] for key in expected} == pytest.approx(expected, rel=1e-5)
        assert [key for key in row if key.startswith("grad_norm/")] == list(expected)
        assert last_grad_norm == pytest.approx(total, rel=1e-5)
    # called directly, gradient_norms agrees with the History row of the same gradients
    assert trainer.gradient_norms().keys() == expected.keys()


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    x, y = regression_data(n=40)
    model = mlp(4, 1)
    train = gg.utils.data.DataLoader(gg.utils.data.TensorDataset(x, y), batch_size=16)
    trainer = Trainer(max_epochs=1, progress=False)
    history = trainer.fit(model, train, loss_fn=nn.MSELoss(),
                          optimizer=optim.SGD(model.parameters(), lr=0.0))
    with gg.no_grad():
        expected = nn.MSELoss()(model(x), y).item()
    assert history.epochs[0]["train_loss"] == pytest.approx(expected, rel=1e-5)


def test_log_every_n_steps_thins_the_gradient_norms():
    x, y = regression_data(n=64)
    trainer = Trainer(max_epochs=1, log_every_n_steps=2, progress=False)
    history = trainer.fit(mlp(4, 1), loaders(x, y, val=False)[0], loss_fn=nn.MSELoss())
    with_norms = [row for row in history.steps if "grad_norm/0" in row]
    assert len(history.steps) == 4 and len(with_norms) == 2


def test_validate_test_and_predict():
    x, y = classification_data()
    model = mlp()
    train, valid = loaders(x, y)
    trainer = Trainer(max_epochs=1, progress=False)
    trainer.fit(model, train, loss_fn=nn.CrossEntropyLoss(), metrics=["accuracy"])
    result = trainer.test(model, valid)
    assert set(result) == {"test_loss", "test_accuracy"}
    with gg.no_grad():
        logits = model(x[:32])
    expected = (logits.argmax(1) == y[:32]).float().mean().item()
    assert result["test_accuracy"] == pytest.approx(expected)
    assert trainer.validate(model, valid)["val_loss"] == pytest.approx(result["test_loss"])
    predictions = trainer.predict(model, valid)
    np.testing.assert_allclose(predictions.numpy(), logits.numpy(), rtol=1e-6)
    assert model.training


def test_schedulers_step_per_epoch_per_step_and_on_plateau():
    x, y = regression_data(n=32)
    train, valid = loaders(x, y)
    model = mlp(4, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(max_epochs=3, progress=False)
    history = trainer.fit(model, train, loss_fn=nn.MSELoss(), optimizer=optimizer,
                          scheduler=optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5))
    assert history.epoch_values("lr") == pytest.approx([0.1, 0.05, 0.025])

    model = mlp(4, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    schedule = optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 / (step + 1))
    history = Trainer(max_epochs=1, progress=False).fit(
        model, train, loss_fn=nn.MSELoss(), optimizer=optimizer,
        scheduler={"scheduler": schedule, "interval": "step"})
    assert history.step_values("lr") == pytest.approx([0.1, 0.05])

    x, y = regression_data(n=64)
    train, valid = loaders(x, y)
    model = mlp(4, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.0)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    history = Trainer(max_epochs=2, progress=False).fit(
        model, train, valid, loss_fn=nn.MSELoss(), optimizer=optimizer, scheduler=plateau)
    assert plateau.best == history.epochs[0]["val_loss"] != history.epochs[0]["train_loss"]


def test_max_steps_and_min_epochs():
    x, y = regression_data(n=64)
    train, _ = loaders(x, y, val=False)
    trainer = Trainer(max_epochs=10, max_steps=6, progress=False)
    trainer.fit(mlp(4, 1), train, loss_fn=nn.MSELoss())
    assert trainer.global_step == 6

    class StopAtOnce(Callback):
        def on_train_epoch_end(self, trainer, model):
            trainer.should_stop = True

    trainer = Trainer(max_epochs=10, min_epochs=3, callbacks=[StopAtOnce()], progress=False)
    trainer.fit(mlp(4, 1), train, loss_fn=nn.MSELoss())
    assert trainer.current_epoch == 3


def test_hooks_are_called_in_lightnings_order():
    calls = []

    class Recorder(Callback):
        pass

    hooks = ["on_fit_start", "on_train_start", "on_train_epoch_start", "on_train_batch_start",
             "on_before_backward", "on_after_backward", "on_before_optimizer_step",
             "on_before_zero_grad", "on_train_batch_end", "on_validation_epoch_start",
             "on_validation_batch_end", "on_validation_epoch_end", "on_train_epoch_end",
             "on_train_end", "on_fit_end"]
    for hook in hooks:
        setattr(Recorder, hook, lambda self, *args, _hook=hook: calls.append(_hook))
    x, y = regression_data(n=16)
    train = gg.utils.data.DataLoader(gg.utils.data.TensorDataset(x, y), batch_size=16)
    Trainer(max_epochs=1, callbacks=[Recorder()], progress=False).fit(
        mlp(4, 1), train, train, loss_fn=nn.MSELoss())
    assert calls == hooks


def test_clear_errors():
    x, y = regression_data(n=16)
    train, _ = loaders(x, y, val=False)
    with pytest.raises(TypeError, match="loss_fn"):
        Trainer(progress=False).fit(mlp(4, 1), train)
    with pytest.raises(ValueError, match="accumulate_grad_batches"):
        Trainer(accumulate_grad_batches=0)
    with pytest.raises(ValueError, match="gradient_clip_algorithm"):
        Trainer(gradient_clip_algorithm="l1")
    with pytest.raises(TypeError, match="Callback"):
        Trainer(callbacks=[object()])
    with pytest.raises(ValueError, match="pair"):
        Trainer(max_epochs=1, progress=False).fit(mlp(4, 1), [x], loss_fn=nn.MSELoss())


def test_progress_bar_prints_one_table_row_per_epoch(capsys):
    x, y = classification_data()
    train, valid = loaders(x, y)
    Trainer(max_epochs=2).fit(mlp(), train, valid, loss_fn=nn.CrossEntropyLoss(),
                              metrics=["accuracy"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["epoch", "train_loss", "train_accuracy", "val_loss",
                                "val_accuracy", "lr", "time"]
    assert [line.split()[0] for line in lines[1:]] == ["1", "2"]
