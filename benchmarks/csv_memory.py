"""csv-memory: peak resident memory of `glassgrad train` on a large CSV, against pandas' own.

A table of 1,000,000 rows (14 decimal columns, 2 whole-number columns, 3 text columns of 3 to
30 values, gaps in one decimal and one text column, a decimal target ``y``): about
167 MB of CSV, written once into a temporary folder from a fixed seed. Two kinds of fresh
process read it:

- ``pandas.read_csv`` of the file, and nothing else: the least a Python tool that reads the
  table with pandas can need;
- ``glassgrad train --data big.csv --target y --epochs 1 --quiet``: read, split, preprocess,
  train one epoch, write the run folder with its test predictions and report.

Each process is measured on its own: a small wrapper process starts it and reports the peak
resident memory of its children (``getrusage(RUSAGE_CHILDREN).ru_maxrss``), so one measurement
never includes another's. The kinds alternate for a few rounds; the figures are medians, the
ratio is the median of the rounds' ratios (``--quick``: one round). Goal: glassgrad's peak at
most 1.3x pandas' peak.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from _harness import Goal, fmt_ratio, goal_dicts, goal_rows, middle_half, print_table  # noqa: E402

GOAL = Goal("glassgrad train / pandas.read_csv peak memory", 1.30)
ROWS = 1_000_000
SEED = 16


def write_table(path, rows, seed=SEED):
    """Write the benchmark's CSV (see the module docstring) to ``path``; the same bytes for
    the same ``rows`` and ``seed``."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    columns = {f"x{i}": rng.normal(0, 10.0 ** (i % 4), rows) for i in range(14)}
    columns["age"] = rng.integers(18, 91, rows)
    columns["visits"] = rng.integers(0, 10_000, rows)
    columns["city"] = np.array([f"city_{k:03d}" for k in range(30)])[rng.integers(0, 30, rows)]
    columns["colour"] = np.array(["red", "green", "blue", "yellow", "black"])[
        rng.integers(0, 5, rows)]
    columns["plan"] = np.array(["basic", "plus", "pro"])[rng.integers(0, 3, rows)]
    noise = rng.normal(0, 1, rows)
    columns["y"] = 2 * columns["x0"] + 0.3 * columns["x1"] + 5 * (columns["plan"] == "pro") + noise
    frame = pd.DataFrame(columns)
    frame.loc[rng.choice(rows, rows // 100, replace=False), "x2"] = np.nan
    frame.loc[rng.choice(rows, rows // 100, replace=False), "city"] = None
    frame.to_csv(path, index=False, float_format="%.5f")


def measure(command):
    """Run ``command`` in this (wrapper) process's child; print its peak RSS in KB as JSON."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"peak_kb": peak_kb, "seconds": seconds}))


def peak(command):
    """``{"peak_kb", "seconds"}`` of ``command``, measured by a fresh wrapper process."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--measure", *command],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def commands(path, folder):
    """The two processes measured: pandas alone, and glassgrad train (one epoch)."""
    read = [sys.executable, "-c", f"import pandas; pandas.read_csv({path!r})"]
    train = [sys.executable, "-m", "glassgrad", "train", "--data", path, "--target", "y",
             "--epochs", "1", "--quiet", "--overwrite", "--out", os.path.join(folder, "run")]
    return {"pandas": read, "glassgrad": train}


def main(quick=False):
    rows = ROWS     # the goal is about this size: on small tables the imports dominate
    rounds = 1 if quick else 3
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "big.csv")
        write_table(path, rows)
        megabytes = os.path.getsize(path) / 1e6
        runs = commands(path, folder)
        marks = {name: [] for name in runs}
        for round_index in range(rounds):
            names = list(runs)[round_index % 2:] + list(runs)[:round_index % 2]
            for name in names:
                marks[name].append(peak(runs[name]))
    mb = {name: statistics.median(m["peak_kb"] for m in ms) / 1024 for name, ms in marks.items()}
    seconds = {name: statistics.median(m["seconds"] for m in ms) for name, ms in marks.items()}
    ratios = [g["peak_kb"] / p["peak_kb"] for g, p in zip(marks["glassgrad"], marks["pandas"])]
    ratio = statistics.median(ratios)
    table = [["pandas.read_csv only", f"{mb['pandas']:.0f}", f"{seconds['pandas']:.1f}", "1.00x",
              "", ""],
             ["glassgrad train --epochs 1", f"{mb['glassgrad']:.0f}",
              f"{seconds['glassgrad']:.1f}", fmt_ratio(ratio), GOAL.text(), GOAL.verdict(ratio)]]
    print_table(f"csv-memory: peak resident memory on a {rows:,}-row, {megabytes:.0f} MB CSV",
                ["process", "MB peak", "seconds", "peak / pandas' peak", "goal", "met"], table,
                notes=[f"ru_maxrss of each fresh process, medians of {rounds} alternating "
                       f"round(s); the ratio is the median of the rounds' ratios "
                       f"({', '.join(fmt_ratio(r) for r in ratios)})."])
    goals = [(GOAL, ratio, middle_half(ratios))]
    return {"peak_mb": mb, "seconds": seconds, "ratio": ratio, "ratios": ratios,
            "csv_mb": megabytes, "rows": rows, "goals": goal_dicts(goals),
            "goal_rows": goal_rows(goals)}


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        measure(sys.argv[2:])
    else:
        main(quick="--quick" in sys.argv)
