"""The examples the README shows run as written, and the core stays NumPy-only."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_ten_line_trainer_example_reaches_high_accuracy():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "train_digits.py")],
                            capture_output=True, text=True, timeout=300, check=True)
    last = result.stdout.strip().splitlines()[-1]
    accuracy = float(last.split("'val_accuracy': ")[1].rstrip("}"))
    assert accuracy > 0.95


def test_import_glassgrad_loads_numpy_only():
    heavy = ["glassgrad.train", "glassgrad.tabular", "glassgrad.sklearn", "glassgrad.cli",
             "sklearn", "pandas", "tqdm", "skops", "safetensors", "torch"]
    code = f"import sys, glassgrad; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_glassgrad_train_is_reachable_as_an_attribute():
    code = "import glassgrad; print(glassgrad.train.Trainer.__name__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "Trainer"
