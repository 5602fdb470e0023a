"""Checkpoints are saved whole or not at all, and a checkpoint from disk is trusted in nothing.

A save over a real full disk (a small tmpfs), Ctrl-C inside a save and ``kill -9`` at random
moments leave either the new checkpoint or the old one, loadable and consistent (tensors and
JSON of the same epoch), with no temporary or orphan file. A crafted checkpoint cannot make a
resumed run read or remove a file outside its folder, and a field of the wrong kind or shape is
refused in one line that names the checkpoint and the field, by the Trainer and by the command.
"""

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import traceback

import numpy as np
import pytest
from disk import fill, small_disk
from train_helpers import classification_data, loaders, mlp

import glassgrad as gg
from glassgrad import nn, optim
from glassgrad.cli import main
from glassgrad.train import (
    CheckpointError,
    EarlyStopping,
    ModelCheckpoint,
    Trainer,
    load_checkpoint,
    save_checkpoint,
)
from glassgrad.train import checkpoint as checkpoint_module
from glassgrad.train.checkpoint import checkpoint_paths, remove_checkpoint

PAGE = 4096   # tmpfs hands out space a page at a time
SAVE_STAGES = {"_write_tensors", "_write_state", "_switch_manifest"}


def epoch_state(epoch, values=3000, rows=800):
    """A checkpoint whose every part says which epoch it is: a save that mixed two epochs shows."""
    return {"epoch": epoch, "model": {"w": gg.full((values,), float(epoch))},
            "history": [epoch] * rows}


def assert_is_epoch(state, epoch):
    assert state["epoch"] == epoch
    np.testing.assert_array_equal(state["model"]["w"].numpy(), float(epoch))
    assert set(state["history"]) == {epoch}


def leftovers(folder):
    """Files that are not part of a saved checkpoint: temporaries and orphan generations."""
    names = set(os.listdir(folder))
    live = set()
    for name in names:
        if name.endswith(".json") and ".gen" not in name:
            live.update(os.path.basename(p) for p in checkpoint_paths(os.path.join(folder, name)))
    return sorted(names - live)


# ------------------------------------------------------------------ 1. the pair changes as one
def test_a_full_disk_at_any_point_of_a_save_keeps_the_old_checkpoint(tmp_path):
    """Fill levels from nothing free to enough: the save fails while writing the tensors, the
    state, or the manifest (each is seen), or succeeds; never half of one. The state's JSON is
    larger than the tensors, as a long History makes it: a disk that fills up while it is
    written once left the new epoch's weights under the old epoch's number."""
    failed_in, saved = set(), []
    with small_disk(tmp_path / "disk", size_kb=512) as disk:
        folder = disk / "checkpoints"
        for pages in range(12):
            shutil.rmtree(folder, ignore_errors=True)
            save_checkpoint(folder / "last", epoch_state(1, values=500, rows=4000))
            before = sorted(os.listdir(folder))
            filler = fill(disk, leave_bytes=pages * PAGE)
            try:
                save_checkpoint(folder / "last", epoch_state(2, values=500, rows=4000))
                saved.append(pages)
            except OSError as error:
                assert error.errno == errno.ENOSPC
                failed_in |= SAVE_STAGES & {frame.f_code.co_name for frame, _ in
                                            traceback.walk_tb(error.__traceback__)}
                assert sorted(os.listdir(folder)) == before     # nothing new is left behind
            finally:
                os.remove(filler)
            assert_is_epoch(load_checkpoint(folder / "last"), 2 if pages in saved else 1)
            assert leftovers(folder) == []
    assert failed_in == SAVE_STAGES
    assert saved and saved == list(range(saved[0], 12))


@pytest.mark.parametrize("call, new_is_live", [(1, False), (2, True)])
def test_ctrl_c_inside_a_save_leaves_one_whole_checkpoint(tmp_path, monkeypatch, call,
                                                          new_is_live):
    """Ctrl-C just before the manifest's rename (the old checkpoint stays, the new files go) and
    just after it (the new checkpoint is saved: its files must not be cleaned away)."""
    save_checkpoint(tmp_path / "last", epoch_state(1))
    real_fsync_folder = checkpoint_module.fsync_folder
    calls = []

    def interrupted_fsync_folder(folder):
        calls.append(folder)
        if len(calls) == call:
            raise KeyboardInterrupt
        real_fsync_folder(folder)

    monkeypatch.setattr(checkpoint_module, "fsync_folder", interrupted_fsync_folder)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "last", epoch_state(2))
    monkeypatch.undo()
    assert_is_epoch(load_checkpoint(tmp_path / "last"), 2 if new_is_live else 1)
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(os.listdir(tmp_path)) == (5 if new_is_live else 3)   # (+ the old pair, if live)
    save_checkpoint(tmp_path / "last", epoch_state(3))      # the next save cleans up the rest
    assert leftovers(tmp_path) == []
    assert len(os.listdir(tmp_path)) == 3


def test_a_checkpoint_of_the_first_format_loads_and_is_replaced(tmp_path):
    save_checkpoint(tmp_path / "new", epoch_state(4))
    manifest, tensors, state = checkpoint_paths(tmp_path / "new")
    document = json.loads(open(state).read())
    (tmp_path / "old.json").write_text(json.dumps({"format": "glassgrad-checkpoint-1",
                                                   "state": document["state"]}))
    shutil.copy(tensors, tmp_path / "old.safetensors")
    assert checkpoint_paths(tmp_path / "old") == (str(tmp_path / "old.json"),
                                                  str(tmp_path / "old.safetensors"))
    assert_is_epoch(load_checkpoint(tmp_path / "old"), 4)
    save_checkpoint(tmp_path / "old", epoch_state(5))
    assert_is_epoch(load_checkpoint(tmp_path / "old"), 5)
    assert not (tmp_path / "old.safetensors").exists()


def test_names_of_generation_files_cannot_name_a_checkpoint(tmp_path):
    with pytest.raises(ValueError, match="reserved|kept for"):
        save_checkpoint(tmp_path / "last.gen3", epoch_state(1))


# ------------------------------------------------------------------ 4. kill -9 at any moment
_SAVE_FOREVER = """
import numpy as np
from glassgrad.train import save_checkpoint

epoch = {start}
while True:   # epoch_state(epoch), bigger: a save takes long enough to be killed inside
    epoch += 1
    save_checkpoint({path!r}, {{"epoch": epoch, "model": {{"w": np.full(200_000, epoch,
                                                                  dtype=np.float32)}},
                               "history": [epoch] * 40_000}})
"""


def load_while_saved(path):
    """The checkpoint at ``path`` while another process saves it (None if it has none yet): a
    reader that lost the race to the writer's clean-up of the old generation reads again."""
    for _ in range(100):
        if not os.path.exists(f"{path}.json"):
            return None
        try:
            return load_checkpoint(path)
        except CheckpointError:
            time.sleep(0.01)
    raise AssertionError(f"{path} could not be read while it was being saved")


def test_kill_9_at_random_moments_always_leaves_a_consistent_last(tmp_path):
    path = str(tmp_path / "checkpoints" / "last")
    moments = random.Random(16)
    epoch = 0
    for _ in range(8):
        script = _SAVE_FOREVER.format(start=epoch, path=path)
        process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)],
                                   stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while (load_while_saved(path) or {"epoch": epoch})["epoch"] <= epoch:
            assert process.poll() is None, process.stderr.read()
            assert time.time() < deadline
            time.sleep(0.01)
        time.sleep(moments.uniform(0.0, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stderr.close()
        last = load_checkpoint(path)
        assert last["epoch"] > epoch
        epoch = last["epoch"]
        assert_is_epoch(last, epoch)
    save_checkpoint(path, epoch_state(epoch + 1))
    assert leftovers(tmp_path / "checkpoints") == []


# ------------------------------------------------------------------ 2. paths stay in the run
def train(root, epochs, ckpt_path=None):
    gg.manual_seed(0)
    x, y = classification_data()
    train_loader, val_loader = loaders(x, y)
    model = mlp()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    trainer = Trainer(max_epochs=epochs, progress=False, default_root_dir=root, callbacks=[
        EarlyStopping("val_loss", patience=50, restore_best_weights=True),
        ModelCheckpoint(monitor="val_loss", save_last=True)])
    trainer.fit(model, train_loader, val_loader, loss_fn=nn.CrossEntropyLoss(),
                optimizer=optimizer, scheduler=optim.lr_scheduler.StepLR(optimizer, 1),
                ckpt_path=ckpt_path)
    return trainer


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs") / "run"
    train(root, 2)
    return root


@pytest.fixture
def run(trained, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(trained, copy)
    return copy


@pytest.fixture
def victim(tmp_path):
    """Two files outside the run that a crafted checkpoint names."""
    outside = tmp_path / "outside"
    outside.mkdir()
    for suffix in (".json", ".safetensors"):
        (outside / f"victim{suffix}").write_text("precious\n")
    return outside / "victim"


def assert_victim_intact(victim):
    for suffix in (".json", ".safetensors"):
        assert open(f"{victim}{suffix}").read() == "precious\n"


def edit_state(path, change):
    """Change the state JSON of the checkpoint at ``path`` in place (as an attacker would)."""
    _, _, state_file = checkpoint_paths(path)
    with open(state_file) as handle:
        document = json.load(handle)
    document["state"] = change(document["state"]) or document["state"]
    with open(state_file, "w") as handle:
        json.dump(document, handle)


def resume_refused(run, name, *words):
    """Resuming from checkpoint ``name`` raises one CheckpointError line naming it and words."""
    path = run / "checkpoints" / name
    with pytest.raises(CheckpointError) as refused:
        train(run, 4, ckpt_path=path)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(f"checkpoint {path}: "), message
    for word in words:
        assert word in message, message
    return message


def kept(change):
    def edit(state):
        change(state["callbacks"]["ModelCheckpoint"])
    return edit


@pytest.mark.parametrize("field, value", [
    ("kept", lambda victim: [[-1e9, str(victim)]]),
    ("kept", lambda victim: [[-1e9, "../../outside/victim"]]),
    ("best_model", lambda victim: str(victim)),
    ("last_model", lambda victim: "a\0b"),
])
def test_resume_refuses_checkpoint_names_that_leave_the_folder(run, victim, field, value):
    edit_state(run / "checkpoints" / "last",
               kept(lambda state: state.__setitem__(field, value(victim))))
    resume_refused(run, "last", "ModelCheckpoint", field)
    assert_victim_intact(victim)


def test_resume_refuses_a_kept_name_whose_files_are_symlinks_out(run, victim):
    folder = run / "checkpoints"
    for suffix in (".json", ".safetensors"):
        (folder / f"trap{suffix}").symlink_to(f"{victim}{suffix}")
    edit_state(folder / "last", kept(lambda state: state.__setitem__("kept", [[-1e9, "trap"]])))
    resume_refused(run, "last", "kept[0]", "trap", "symlink")
    assert_victim_intact(victim)


def test_a_first_format_state_with_paths_only_ever_names_files_in_the_folder(run, victim):
    """Paths from before names (``kept`` held paths) are read by their file names: the run
    resumes, ranks and removes checkpoints in its folder, and the victim outside stays."""
    def first_format(state):
        state["best_model_path"] = state.pop("best_model")
        state["last_model_path"] = state.pop("last_model")
        state["kept"] = [[1e9, str(victim)]]             # worse than any epoch: displaced
    edit_state(run / "checkpoints" / "last", kept(first_format))
    trainer = train(run, 4, ckpt_path=run / "checkpoints" / "last")
    assert trainer.current_epoch == 4
    assert_victim_intact(victim)
    checkpointer = trainer.callbacks[1]
    assert checkpointer.kept and all((run / "checkpoints" / f"{name}.json").exists()
                                     for _, name in checkpointer.kept)
    assert os.path.dirname(checkpointer.best_model_path) == str(run / "checkpoints")


@pytest.mark.parametrize("tensors", ["../outside/victim.safetensors", "/etc/hostname", "trap"])
def test_a_manifest_names_only_files_of_its_folder(run, victim, tensors):
    folder = run / "checkpoints"
    (folder / "trap").symlink_to(f"{victim}.safetensors")
    manifest = json.loads((folder / "last.json").read_text())
    manifest["tensors"] = tensors
    (folder / "last.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="field 'tensors'") as refused:
        load_checkpoint(folder / "last")
    assert "\n" not in str(refused.value)


def test_removing_a_checkpoint_never_touches_what_a_symlink_in_it_points_to(tmp_path, victim):
    folder = tmp_path / "checkpoints"
    save_checkpoint(folder / "e1", epoch_state(1))
    _, tensors, _ = checkpoint_paths(folder / "e1")
    os.remove(tensors)
    os.symlink(f"{victim}.safetensors", tensors)
    remove_checkpoint(folder / "e1")
    assert not (folder / "e1.json").exists()
    assert os.path.islink(tensors)      # it leads out of the folder: not even the link is touched
    assert_victim_intact(victim)


def test_the_checkpoint_callback_remembers_names_not_paths(run):
    state = load_checkpoint(run / "checkpoints" / "last")["callbacks"]["ModelCheckpoint"]
    names = [state["best_model"], state["last_model"], *(name for _, name in state["kept"])]
    assert all(name and os.sep not in name for name in names), state
    with pytest.raises(ValueError, match="filename"):
        ModelCheckpoint(filename="../{epoch}")


# ------------------------------------------------------------------ 3. fields checked first
def put(where, value):
    """An edit that sets the field at ``where``, keys joined by ``/`` (list indexes as
    numbers): ``put("model/0.weight", ...)``."""
    def edit(state):
        *parents, last = where.split("/")
        target = state
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[int(last) if isinstance(target, list) else last] = value
    return edit


def tensor_of(name):
    return {"__tensor__": name}


@pytest.mark.parametrize("edit, words", [
    (put("epoch", "three"), ["field 'epoch' must be an integer >= 0, got 'three'"]),
    (put("global_step", 2.5), ["field 'global_step'", "2.5"]),
    (put("loop/mid_epoch", "yes"), ["field 'loop.mid_epoch'"]),
    (put("loop/batches_done", -1), ["field 'loop.batches_done'"]),
    (put("history/steps/0/train_loss", "low"), ["field 'history.steps'"]),
    (put("history/epochs/0", ["not", "a", "row"]), ["field 'history.epochs'"]),
    (put("callback_metrics/val_loss", None), ["field 'callback_metrics'"]),
    (put("history/snapshots", [{"epoch": 0, "weights": {"0.weight": 1}, "grads": {}}]),
     ["field 'history.snapshots'"]),
    (put("model/0.weight", tensor_of("no such tensor")),
     ["field 'model.0.weight'", "'no such tensor'", "not in the checkpoint's tensors file"]),
    (put("model/0.weight", tensor_of("model.2.weight")),
     ["field 'model.0.weight' must have shape (16, 6), got (3, 16)"]),
    (put("model/0.weight", 1.0), ["field 'model'", "tensors"]),
    (put("scheduler", {"__pickle__": "cos\nsystem"}), ["unknown marker '__pickle__'"]),
    (put("scheduler/gamma", {"__float__": "1e999"}), ["field 'scheduler.gamma'", "'1e999'"]),
    (put("scheduler/optimizer", 0), ["field 'scheduler.optimizer' is not part of this state"]),
    (put("scheduler/last_epoch", "two"), ["field 'scheduler.last_epoch' must be a number"]),
    (put("optimizer/param_groups/0/lr", "fast"),
     ["field 'optimizer.param_groups.0.lr' must be a number, got 'fast'"]),
    (put("optimizer/param_groups/0/params", [0]), ["field 'optimizer'", "does not fit"]),
    (put("rng_state", tensor_of("model.0.bias")), ["field 'rng_state'", "random generator"]),
    (put("callbacks/EarlyStopping/wait_count", "many"),
     ["field 'callbacks.EarlyStopping' does not fit"]),
    (put("loop/train_accumulator/metrics", [{}]), ["field 'loop.train_accumulator.metrics'"]),
])
def test_resume_refuses_a_field_of_the_wrong_kind_in_one_line(run, edit, words):
    edit_state(run / "checkpoints" / "last", edit)
    resume_refused(run, "last", *words)


def test_resume_refuses_an_optimizer_buffer_of_the_wrong_shape(run):
    def swap(state):
        pairs = state["optimizer"]["state"]["__items__"]
        pairs[0][1]["exp_avg"] = tensor_of("model.2.bias")
    edit_state(run / "checkpoints" / "last", swap)
    resume_refused(run, "last", "field 'optimizer.state.0.exp_avg' must have its parameter's "
                                "shape (16, 6), got (3,)")


@pytest.mark.parametrize("state, words", [([1, 2], "the state must be an object, got a list"),
                                          ("x", "the state must be an object, got 'x'")])
def test_a_state_that_is_not_an_object_is_refused(tmp_path, state, words):
    save_checkpoint(tmp_path / "c", {"epoch": 1})
    _, _, state_file = checkpoint_paths(tmp_path / "c")
    document = json.loads(open(state_file).read())
    document["state"] = state
    open(state_file, "w").write(json.dumps(document))
    with pytest.raises(CheckpointError, match=words):
        load_checkpoint(tmp_path / "c")


@pytest.fixture(scope="module")
def finished_command_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli") / "iris"
    assert main(["train", "--data", "iris", "--epochs", "2", "--quiet", "--out",
                 str(folder)]) == 0
    return folder


@pytest.mark.parametrize("edit, words", [
    (put("epoch", "three"), ["field 'epoch' must be an integer >= 0, got 'three'"]),
    (put("model/0.weight", tensor_of("model.0.bias")), ["field 'model.0.weight'"]),
])
def test_glassgrad_train_resume_refuses_a_bad_field_with_exit_2(finished_command_run, tmp_path,
                                                                capsys, edit, words):
    run_copy = tmp_path / "run"
    shutil.copytree(finished_command_run, run_copy)
    edit_state(run_copy / "checkpoints" / "last", edit)
    capsys.readouterr()
    assert main(["train", "--resume", str(run_copy), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert f"checkpoints{os.sep}last" in err
    for word in words:
        assert word in err, err


def test_glassgrad_train_resume_with_a_crafted_interrupted_checkpoint_deletes_nothing(
        finished_command_run, tmp_path, victim, capsys):
    run_copy = tmp_path / "run"
    shutil.copytree(finished_command_run, run_copy)
    folder = run_copy / "checkpoints"
    state = load_checkpoint(folder / "last")
    state["callbacks"]["ModelCheckpoint"]["kept"] = [[1e9, str(victim)]]
    state["epoch"] = 1      # one more epoch: its checkpoint would displace the crafted one
    save_checkpoint(folder / "interrupted", dict(state))
    capsys.readouterr()
    assert main(["train", "--resume", str(run_copy), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "interrupted" in err and "kept" in err, err
    assert_victim_intact(victim)
