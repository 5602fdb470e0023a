"""The command line and a run folder it did not write: one line and exit 2, nothing lost.

Options are checked before any folder is made; a run folder's JSON, CSV and weights are checked
before use and never followed outside the folder; one folder is trained in by one process at a
time; a full disk while writing the report leaves the run's checkpoints intact; Ctrl-C while the
command is still starting exits 130 without a traceback.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from disk import fill, small_disk

from glassgrad.cli import main
from glassgrad.cli.runs import run_folder_lock
from glassgrad.train import load_checkpoint


def one_line_error(capsys, *words):
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs") / "iris"
    assert main(["train", "--data", "iris", "--epochs", "3", "--quiet", "--out",
                 str(folder)]) == 0
    return folder


@pytest.fixture
def run_copy(finished_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy


# ------------------------------------------------------------------ options, at parse time
@pytest.mark.parametrize("option, value, words", [
    ("--dropout", "1.5", "[0, 1)"), ("--dropout", "-0.1", "[0, 1)"),
    ("--dropout", "nan", "[0, 1)"), ("--weight-decay", "-1", ">= 0"),
    ("--weight-decay", "inf", ">= 0"), ("--patience", "-1", ">= 0"),
    ("--lr", "inf", "finite positive"), ("--lr", "0", "finite positive"),
    ("--seed", "-3", ">= 0"), ("--epochs", "0", "positive"), ("--batch-size", "x", "positive"),
])
def test_a_bad_option_is_refused_before_anything_is_made(tmp_path, monkeypatch, capsys, option,
                                                         value, words):
    monkeypatch.chdir(tmp_path)
    assert main(["train", option, value]) == 2
    one_line_error(capsys, option, words)
    assert os.listdir(tmp_path) == []


def test_out_under_a_regular_file_is_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine\n")
    assert main(["train", "--quiet", "--out", str(tmp_path / "notes.txt" / "run")]) == 2
    one_line_error(capsys, "notes.txt", "is a file")
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


def test_predict_into_a_missing_folder_is_one_line(finished_run, tmp_path, capsys):
    rows = tmp_path / "rows.csv"
    rows.write_text("sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n"
                    "5.1,3.5,1.4,0.2\n")
    output = tmp_path / "nowhere" / "out.csv"
    assert main(["predict", str(finished_run), str(rows), "-o", str(output)]) == 2
    one_line_error(capsys, "does not exist", "nowhere")
    assert main(["predict", str(finished_run), str(rows), "-o", str(tmp_path)]) == 2
    one_line_error(capsys, "is a folder")


# ------------------------------------------------------------------ one process per run folder
def test_a_second_train_on_a_held_folder_is_refused_with_the_other_pid(tmp_path, capsys):
    folder = tmp_path / "run"
    with run_folder_lock(str(folder)):
        assert main(["train", "--data", "iris", "--quiet", "--out", str(folder)]) == 2
    one_line_error(capsys, "in use by another glassgrad process", f"pid {os.getpid()}")
    assert not (folder / "config.json").exists()


def test_two_train_processes_on_one_out_leave_one_consistent_run(tmp_path):
    folder = tmp_path / "run"
    command = [sys.executable, "-m", "glassgrad", "train", "--data", "iris", "--epochs", "30",
               "--patience", "30", "--quiet", "--out", str(folder)]
    first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command[:-2] + ["--seed", "1", "--out", str(folder)],
                              stderr=subprocess.PIPE, text=True)
    results = [(p.wait(timeout=300), p.stderr.read()) for p in (first, second)]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert "in use by another glassgrad process" in refused or "already holds a run" in refused
    winner_seed = json.loads((folder / "config.json").read_text())["settings"]["seed"]
    assert winner_seed == (0 if results[0][0] == 0 else 1)
    assert main(["evaluate", str(folder), "iris"]) in (0, 2)   # a consistent, loadable run


def test_a_finished_process_leaves_the_folder_free(finished_run, capsys):
    assert main(["report", str(finished_run)]) == 0      # the training's lock is released


# ------------------------------------------------------------------ run folders from elsewhere
@pytest.mark.parametrize("field, value, words", [
    ("hidden", "three", "field 'hidden' must be a list of integers >= 1"),
    ("hidden", [8, -1], "field 'hidden' must be a list of integers >= 1"),
    ("n_features", 4.5, "field 'n_features' must be an integer >= 1"),
    ("activation", "os.system", "field 'activation' must be one of"),
    ("dropout", 2, "field 'dropout'"),
])
def test_a_config_with_wrong_types_is_refused(run_copy, capsys, field, value, words):
    config = json.loads((run_copy / "config.json").read_text())
    config[field] = value
    (run_copy / "config.json").write_text(json.dumps(config))
    assert main(["evaluate", str(run_copy), "iris"]) == 2
    one_line_error(capsys, "config.json", words)


def test_a_config_missing_a_field_is_refused(run_copy, capsys):
    config = json.loads((run_copy / "config.json").read_text())
    del config["settings"]["lr"]
    (run_copy / "config.json").write_text(json.dumps(config))
    assert main(["report", str(run_copy)]) == 2
    one_line_error(capsys, "missing field 'settings.lr'")


def test_config_and_preprocessing_that_do_not_belong_together(run_copy, capsys):
    config = json.loads((run_copy / "config.json").read_text())
    config["n_features"] = 7
    (run_copy / "config.json").write_text(json.dumps(config))
    assert main(["predict", str(run_copy), "iris", "-o", str(run_copy / "p.csv")]) == 2
    one_line_error(capsys, "do not belong together")


@pytest.mark.parametrize("name, text, words", [
    ("results.json", '{"test": {"accuracy": "high"}}', "field 'test'"),
    ("results.json", "[1, 2]", "must be an object"),
    ("metrics.csv", "kind,epoch,train_loss\nepoch,1,__import__('os')\n", "not a number"),
    ("metrics.csv", "epoch,train_loss\n1,0.5\n", "no 'kind' column"),
    ("test_predictions.csv", "true,predicted\n0,7\n", "not among the run's classes"),
])
def test_a_damaged_run_file_stops_the_report_with_one_line(run_copy, capsys, name, text, words):
    (run_copy / name).write_text(text)
    assert main(["report", str(run_copy)]) == 2
    one_line_error(capsys, name, words)


def test_a_run_file_that_links_outside_the_run_is_not_read(run_copy, tmp_path, capsys):
    outside = tmp_path / "elsewhere.safetensors"
    shutil.copy(run_copy / "model.safetensors", outside)
    (run_copy / "model.safetensors").unlink()
    (run_copy / "model.safetensors").symlink_to(outside)
    assert main(["evaluate", str(run_copy), "iris"]) == 2
    one_line_error(capsys, "points outside the run folder")


def test_overwrite_removes_a_link_and_never_what_it_points_to(run_copy, tmp_path, capsys):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious\n")
    shutil.rmtree(run_copy / "checkpoints")
    (run_copy / "checkpoints").symlink_to(victim)
    assert main(["train", "--data", "iris", "--epochs", "1", "--quiet", "--overwrite", "--out",
                 str(run_copy)]) == 0
    assert (victim / "keep.txt").read_text() == "precious\n"
    assert not (run_copy / "checkpoints").is_symlink()


def test_resume_refuses_a_checkpoint_folder_outside_the_run(run_copy, tmp_path, capsys):
    outside = tmp_path / "outside"
    shutil.move(run_copy / "checkpoints", outside)
    (run_copy / "checkpoints").symlink_to(outside)
    assert main(["train", "--resume", str(run_copy), "--quiet"]) == 2
    one_line_error(capsys, "checkpoints points outside the run folder")


# ------------------------------------------------------------------ a full disk
def test_a_full_disk_while_writing_the_report_is_one_line_and_keeps_the_run(
        tmp_path, monkeypatch, capsys):
    from glassgrad.cli import report

    real_write_report = report.write_report

    def report_on_a_full_disk(folder):
        fill(folder, leave_bytes=4096)
        return real_write_report(folder)

    monkeypatch.setattr("glassgrad.cli.report.write_report", report_on_a_full_disk)
    with small_disk(tmp_path / "disk", size_kb=8192) as disk:
        folder = disk / "run"
        assert main(["train", "--data", "iris", "--epochs", "3", "--quiet", "--out",
                     str(folder)]) == 2
        one_line_error(capsys, "No space left on device", "report", "glassgrad report")
        assert load_checkpoint(folder / "checkpoints" / "last")["epoch"] == 3
        assert json.loads((folder / "results.json").read_text())["epochs_run"] == 3
        assert not [name for name in os.listdir(folder) if name.endswith(".tmp")]
        os.remove(folder / ".filler")
        monkeypatch.undo()
        assert main(["report", str(folder)]) == 0


# ------------------------------------------------------------------ Ctrl-C while starting
@pytest.mark.parametrize("delay", [0.1, 0.2, 0.35, 0.6, 1.0])
def test_ctrl_c_while_the_command_starts_exits_130_without_a_traceback(tmp_path, delay):
    command = shutil.which("glassgrad", path=os.path.dirname(sys.executable))
    assert command, "the glassgrad command is installed beside this Python"
    process = subprocess.Popen([command, "train", "--quiet", "--out", str(tmp_path / "run")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, (process.returncode, err)
    assert "Traceback" not in err and "Traceback" not in out, err
