"""``glassgrad train``: data -> preprocessing -> MLP -> Trainer -> a run folder.

In four steps: prepare (read, split and preprocess the data: everything that can fail on bad
input, before the run folder is touched), fit (the model, optimizer and Trainer), evaluate (the
test set) and write (the weights, test predictions, results and report, into ``RunFolder``'s
files).

With no arguments it trains on scikit-learn's bundled digits (8x8 images of handwritten
digits, 10 classes): a 70/15/15 train/validation/test split, an MLP with early stopping on the
validation loss, and the test metrics at the end.
"""

import argparse
import datetime
import math
import os
import sys

from ..train.run_folder import (
    ACTIVATIONS,
    CHECKPOINTS,
    CONFIG,
    METRICS,
    MODEL,
    OPTIMIZERS,
    SCHEDULERS,
    RunFolder,
    inside_run,
    read_config,
)
from . import UsageError
from .runs import (
    build_mlp,
    check_output_folder,
    claim_run_dir,
    clear_run,
    run_folder_lock,
    write_json,
)


def add_parser(commands):
    parser = commands.add_parser(
        "train", help="train an MLP on a bundled data set or a CSV file",
        description="Train an MLP on a table. With no arguments: scikit-learn's digits.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", default="digits",
                        help="a CSV file, or a bundled data set: digits, iris, wine, "
                             "breast-cancer, diabetes")
    parser.add_argument("--target", help="the column to predict (bundled data: 'target')")
    parser.add_argument("--task", default="auto", choices=("auto", "classification",
                                                           "regression"))
    parser.add_argument("--hidden", default="128,64", type=_sizes,
                        help="hidden layer sizes, comma-separated")
    parser.add_argument("--activation", default="relu", choices=ACTIVATIONS)
    parser.add_argument("--dropout", default=0.0, type=_probability,
                        help="dropout probability after each hidden layer, in [0, 1)")
    parser.add_argument("--epochs", default=100, type=_positive_int, help="at most this many")
    parser.add_argument("--batch-size", default=64, type=_positive_int)
    parser.add_argument("--lr", default="1e-3", type=_learning_rate,
                        help="learning rate, or 'auto' for the lr range test")
    parser.add_argument("--optimizer", default="adam", choices=OPTIMIZERS)
    parser.add_argument("--scheduler", default="none", choices=SCHEDULERS)
    parser.add_argument("--weight-decay", default=0.0, type=_non_negative_number)
    parser.add_argument("--patience", default=10, type=_non_negative_int,
                        help="early stopping: epochs without a better validation loss")
    parser.add_argument("--seed", default=0, type=_non_negative_int)
    parser.add_argument("--out", help="the run folder (default runs/<data>-<n>)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a run already in --out")
    parser.add_argument("--resume", metavar="RUN",
                        help="continue an interrupted run from its last checkpoint")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or table")
    parser.set_defaults(run=run)
    return parser


def _sizes(text):
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sizes = None
    if sizes is None or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, "
                                         f"like 128,64; got {text!r}")
    return sizes


def _positive_int(text):
    return _integer(text, minimum=1, what="a positive integer")


def _non_negative_int(text):
    return _integer(text, minimum=0, what="an integer >= 0")


def _integer(text, minimum, what):
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def _number(text, accept, what):
    """A finite float that ``accept`` approves, or the argparse error naming ``what``."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and accept(value)):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def _probability(text):
    return _number(text, lambda p: 0 <= p < 1, "a probability in [0, 1), like 0.2")


def _non_negative_number(text):
    return _number(text, lambda x: x >= 0, "a finite number >= 0")


def _learning_rate(text):
    if text == "auto":
        return text
    return _number(text, lambda x: x > 0, "a finite positive number or 'auto'")


def run(args):
    import numpy as np

    # overflow in a diverging run is reported once, by TerminateOnNaN, not by NumPy's warnings
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _run(args)


def _run(args):
    if args.resume:
        return _resume(args.resume, quiet=args.quiet)
    settings = {key: getattr(args, key) for key in (
        "data", "target", "task", "hidden", "activation", "dropout", "epochs", "batch_size",
        "lr", "optimizer", "scheduler", "weight_decay", "patience", "seed")}
    if args.out is not None:
        check_output_folder(args.out, args.overwrite)   # early, before the data is read
    return _train(settings, args.out, overwrite=args.overwrite, quiet=args.quiet)


def _resume(folder, quiet):
    config = read_config(folder)
    checkpoints = inside_run(folder, CHECKPOINTS)
    for name in (RunFolder.INTERRUPTED, RunFolder.LAST):
        if _has_checkpoint(os.path.join(checkpoints, name)):
            settings = {**config["settings"], "lr": config["lr_used"]}
            return _train(settings, folder, overwrite=True, quiet=quiet,
                          ckpt_path=os.path.join(checkpoints, name))
    raise UsageError(f"{folder} has no checkpoint to resume from ({CHECKPOINTS}/"
                     f"{RunFolder.LAST} or {CHECKPOINTS}/{RunFolder.INTERRUPTED})")


def _has_checkpoint(path):
    from glassgrad.train.checkpoint import checkpoint_paths

    return all(os.path.isfile(file) for file in checkpoint_paths(path))


def _train(settings, folder, overwrite, quiet, ckpt_path=None):
    """Prepare everything that can fail on bad input first; only then touch ``folder``, which
    is held by this process (``run_folder_lock``) until the run is finished."""
    settings, preprocessor, parts, test_frame = _prepare(settings)
    if folder is None:
        folder = claim_run_dir(settings["data"])
    with run_folder_lock(folder):
        if ckpt_path is None:
            check_output_folder(folder, overwrite)   # again: no other process can write now
            if overwrite:
                clear_run(folder)
        trainer, model, stopper = _fit(settings, folder, preprocessor, parts, quiet, ckpt_path)
        if trainer.interrupted:
            print(f"Stopped by Ctrl-C at step {trainer.global_step}; the checkpoint is in "
                  f"{RunFolder(folder).checkpoints}. Continue with: glassgrad train --resume "
                  f"{folder}")
            return 130
        test_rows, results = _evaluate(model, preprocessor, test_frame, trainer, stopper)
        _write(RunFolder(folder), model, test_rows, results)
        _summarise(results, trainer, folder)
        return 0


def _prepare(settings):
    """Read, split and preprocess the data: ``(settings, preprocessor, parts, test_frame)``,
    the settings with the target and task found, the features as float32 tensors and the
    table itself dropped (but the test rows)."""
    import glassgrad as gg
    from glassgrad.tabular import training_data

    data = training_data(settings["data"], settings["target"], settings["task"],
                         seed=settings["seed"])
    task = data.task
    settings = {**settings, "target": data.target, "task": task}
    parts = {}
    for name, (x, y) in data.parts.items():
        y = y if task == "classification" else y.reshape(-1, 1)
        parts[name] = (gg.from_numpy(x), gg.from_numpy(y))
    return settings, data.preprocessor, parts, data.test_frame


def _fit(settings, folder, preprocessor, parts, quiet, ckpt_path):
    """Build the model, optimizer and Trainer and train: ``(trainer, model, early_stopping)``.
    A new run's ``config.json`` and preprocessing are written first."""
    import glassgrad as gg
    from glassgrad import nn
    from glassgrad.train import (
        EarlyStopping,
        ModelCheckpoint,
        TerminateOnNaN,
        Trainer,
        WeightMonitor,
    )
    from glassgrad.utils.data import DataLoader, TensorDataset

    task, target = settings["task"], settings["target"]
    gg.manual_seed(settings["seed"])
    model = build_mlp(preprocessor.n_features_out_, settings["hidden"], preprocessor.n_outputs_,
                      settings["activation"], settings["dropout"])
    classification = task == "classification"
    loss_fn = nn.CrossEntropyLoss() if classification else nn.MSELoss()
    train_loader = DataLoader(TensorDataset(*parts["train"]), batch_size=settings["batch_size"],
                              shuffle=True)
    val_loader = DataLoader(TensorDataset(*parts["val"]), batch_size=1024)
    lr = settings["lr"]
    if lr == "auto":
        lr = _find_lr(model, train_loader, loss_fn, quiet)
    optimizer = _optimizer(settings["optimizer"], model, lr, settings["weight_decay"])
    scheduler = _scheduler(settings["scheduler"], optimizer, settings["epochs"],
                           len(train_loader))
    config = {"settings": settings, "lr_used": lr, "n_features": preprocessor.n_features_out_,
              "n_outputs": preprocessor.n_outputs_, "hidden": settings["hidden"],
              "activation": settings["activation"], "dropout": settings["dropout"],
              "task": task, "target": target, "glassgrad_version": gg.__version__,
              "created": datetime.datetime.now().isoformat(timespec="seconds"),
              "rows": {name: len(part[0]) for name, part in parts.items()},
              "preprocessing": preprocessor.to_config()}
    if ckpt_path is None:
        preprocessor.save(folder)
        write_json(RunFolder(folder).config, config)

    callbacks = [EarlyStopping("val_loss", patience=settings["patience"],
                               restore_best_weights=True),
                 ModelCheckpoint(monitor="val_loss", filename="best", save_last=True),
                 TerminateOnNaN(), WeightMonitor()]
    trainer = Trainer(max_epochs=settings["epochs"], callbacks=callbacks, progress=not quiet,
                      default_root_dir=folder)
    if not quiet:
        _describe(settings, config, model, folder)
    # in the table: scale-free metrics (a regression target is standardised while training);
    # the test metrics at the end are in the target's own units
    metric_names = ["accuracy"] if classification else ["r2"]
    trainer.fit(model, train_loader, val_loader, loss_fn=loss_fn, optimizer=optimizer,
                scheduler=scheduler, metrics=metric_names, ckpt_path=ckpt_path)
    return trainer, model, callbacks[0]


def _evaluate(model, preprocessor, test_frame, trainer, stopper):
    """The test set's true and predicted targets, and the results: the test metrics and how
    training ended."""
    from .predict import evaluate_model, predictions

    values, _ = predictions(model, preprocessor, test_frame)
    test_rows = {"true": test_frame[preprocessor.target].to_numpy(), "predicted": values}
    results = {"test": evaluate_model(model, preprocessor, test_frame),
               "epochs_run": trainer.current_epoch, "steps": trainer.global_step,
               "stopped_because": trainer.stop_reason or "reached --epochs",
               "best_epoch": _one_based(stopper.best_epoch),
               "best_val_loss": stopper.best_score if stopper.best_epoch is not None else None}
    return test_rows, results


def _write(run, model, test_rows, results):
    """Write the final weights, the test predictions, the results and the report into ``run``."""
    import pandas as pd

    import glassgrad as gg

    from .._atomic import atomic_write
    from .report import write_report

    gg.save(model.state_dict(), run.model)
    with atomic_write(run.predictions, newline="") as handle:
        pd.DataFrame(test_rows).to_csv(handle, index=False)
    write_json(run.results, results)
    try:
        write_report(run.root)
    except OSError as error:
        raise UsageError(f"the run is trained and saved in {run.root} (weights, checkpoints, "
                         f"results), but its report could not be written: {error.filename}: "
                         f"{error.strerror}; free some space, then run `glassgrad report "
                         f"{run.root}`") from None


def _one_based(epoch):
    return None if epoch is None else epoch + 1


def _find_lr(model, loader, loss_fn, quiet):
    from glassgrad.train import lr_find

    result = lr_find(model, loader, loss_fn=loss_fn, num_training=min(200, 20 * len(loader)))
    suggestion = result.suggestion()
    if suggestion is None:
        raise UsageError("--lr auto: the learning-rate range test diverged at once; give --lr "
                         "explicitly")
    if not quiet:
        print(f"lr range test: {len(result.lrs)} steps, suggested lr = {suggestion:.3g}")
    return suggestion


def _optimizer(name, model, lr, weight_decay):
    from glassgrad.models import make_optimizer

    return make_optimizer(name, model.parameters(), lr, weight_decay)


def _scheduler(name, optimizer, epochs, steps_per_epoch):
    from glassgrad.optim import lr_scheduler

    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=3)
    if name == "onecycle":
        max_lr = optimizer.param_groups[0]["lr"]
        schedule = lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, epochs=epochs,
                                           steps_per_epoch=steps_per_epoch)
        return {"scheduler": schedule, "interval": "step"}
    return None


def _describe(settings, config, model, folder):
    rows = config["rows"]
    n_parameters = sum(p.numel() for p in model.parameters())
    print(f"data: {settings['data']} -> {config['task']} of '{config['target']}' "
          f"({config['n_features']} features, {rows['train']} train / {rows['val']} validation"
          f" / {rows['test']} test rows)")
    layers = " -> ".join(str(n) for n in [config["n_features"], *config["hidden"],
                                          config["n_outputs"]])
    print(f"model: MLP {layers}, {settings['activation']}, {n_parameters:,} parameters; "
          f"{settings['optimizer']} lr={config['lr_used']:.3g}, batch {settings['batch_size']}")
    print(f"run folder: {folder}")
    sys.stdout.flush()


def _summarise(results, trainer, folder):
    test = results["test"]
    print(f"stopped after {results['epochs_run']} epochs: {results['stopped_because']}")
    if "became" in results["stopped_because"]:
        print("training diverged: try a smaller --lr (or --lr auto)")
    best = results["best_epoch"]
    if best is not None:
        print(f"best validation loss {results['best_val_loss']:.4f} in epoch {best} "
              "(its weights were kept)")
    print("test: " + ", ".join(f"{name} {value:.4f}" for name, value in test.items()))
    run = RunFolder(folder)
    print(f"report: {run.report}")
    print(f"run folder: {folder}/ ({MODEL}, {METRICS}, {CONFIG}, preprocessing, "
          f"{CHECKPOINTS}/)")
