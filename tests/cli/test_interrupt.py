"""Ctrl-C in a real `glassgrad train` process, then `--resume`."""

import json
import signal
import subprocess
import sys
import time

import pandas as pd

from glassgrad.train import load_checkpoint


def test_python_dash_m_glassgrad_shows_the_commands():
    result = subprocess.run([sys.executable, "-m", "glassgrad", "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0
    for command in ("train", "predict", "evaluate"):
        assert command in result.stdout


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes_the_run(tmp_path):
    run = tmp_path / "run"
    command = [sys.executable, "-m", "glassgrad", "train", "--epochs", "60", "--patience",
               "60", "--hidden", "256,256", "--out", str(run)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.time() + 120
    while not (run / "checkpoints" / "last.json").exists():
        assert process.poll() is None, process.communicate()
        assert time.time() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Interrupted" in err
    assert f"glassgrad train --resume {run}" in out
    assert not (run / "model.safetensors").exists()
    steps_done = load_checkpoint(run / "checkpoints" / "interrupted")["global_step"]

    resumed = subprocess.run([sys.executable, "-m", "glassgrad", "train", "--resume", str(run),
                              "--quiet"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    metrics = pd.read_csv(run / "metrics.csv")
    steps = metrics[metrics.kind == "step"]["step"].tolist()
    assert steps == list(range(1, len(steps) + 1))     # no step lost or repeated
    assert len(steps) > steps_done
    assert json.loads((run / "results.json").read_text())["test"]["accuracy"] > 0.9
