"""memory: peak resident memory of a small training job, and the time to import the library.

Peak memory: a fresh Python process imports one library, loads the digits (from a .npz the parent
wrote, so scikit-learn is never imported by the child), trains the digits-mlp job of
``digits_mlp`` for one epoch and reports its high-water mark of resident memory (VmHWM from
/proc/self/status; ru_maxrss where there is no /proc), and the mark just after the import.
What a learner's laptop pays to run the same job: the interpreter, the library's import and
the training's arrays together. Goal: glassgrad's peak at most 0.5x PyTorch's.

Import time: ``import numpy`` / ``import glassgrad`` / ``import torch`` in fresh processes,
timed inside the process around the import statement (interpreter start-up excluded; the whole
``python -c`` wall time is shown too). Goal: glassgrad's import at most 1.5x NumPy's.

Processes for the three libraries alternate round by round; the figures are medians. Every
child reads and writes its bytecode in one private cache (see ``child_env``), warmed first.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from _harness import Goal, digits, fmt_ratio, goal_dicts, goal_rows, print_table  # noqa: E402

LIBRARIES = {"glassgrad": "glassgrad", "torch": "PyTorch", "numpy": "NumPy by hand"}
PEAK_GOAL = Goal("glassgrad / PyTorch peak memory", 0.50)
IMPORT_GOAL = Goal("import glassgrad / import numpy", 1.50)
IMPORT_CODE = ("import time; start = time.perf_counter(); import {module}; "
               "print(time.perf_counter() - start)")


def high_water_kb():
    """This process's peak resident memory in KB."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(library, data_path):
    """Run in the fresh process: import, train one epoch, print the two marks as JSON."""
    if library == "glassgrad":
        import glassgrad  # noqa: F401
    elif library == "torch":
        import torch  # noqa: F401
    after_import = high_water_kb()
    from digits_mlp import BATCH, SIZES, make_trainers

    with np.load(data_path) as data:
        x, y = data["x"], data["y"]
    trainer = make_trainers(SIZES, x, y, BATCH, libraries=(library,))[library]
    trainer.epoch()
    print(json.dumps({"after_import_kb": after_import, "peak_kb": high_water_kb(),
                      "accuracy": trainer.accuracy(x, y)}))


def child_env(cache):
    """The children's environment: bytecode cached in ``cache`` for every library alike.

    With PYTHONDONTWRITEBYTECODE set (as on this machine) an editable glassgrad would be
    compiled from source in every process while NumPy and torch load their installed .pyc
    files; a private PYTHONPYCACHEPREFIX, filled by a warm-up round, puts all three on the
    footing of a normal install.
    """
    env = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_child(library, data_path, env):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", library,
                          data_path], cwd=ROOT, env=env, check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_time(module, env):
    """(seconds inside the process for the import, seconds of the whole process)."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", IMPORT_CODE.format(module=module)], cwd=ROOT,
                         env=env, check=True, capture_output=True, text=True)
    return float(out.stdout.strip()), time.perf_counter() - start


def measure_peaks(rounds, env):
    marks = {name: [] for name in LIBRARIES}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "digits.npz")
        x, y = digits()
        np.savez(path, x=x, y=y)
        for name in LIBRARIES:                  # warm-up: fills the bytecode cache
            run_child(name, path, env)
        for _ in range(rounds):
            for name in LIBRARIES:
                marks[name].append(run_child(name, path, env))
    peak = {name: statistics.median(m["peak_kb"] for m in ms) / 1024 for name, ms in marks.items()}
    after = {name: statistics.median(m["after_import_kb"] for m in ms) / 1024
             for name, ms in marks.items()}
    ratio = statistics.median(g["peak_kb"] / t["peak_kb"]
                              for g, t in zip(marks["glassgrad"], marks["torch"]))
    return peak, after, ratio


def measure_imports(rounds, env):
    """Import times (ms) per module, and glassgrad's per-round ratios to numpy.

    With PYTHONDONTWRITEBYTECODE in this shell, glassgrad is also timed as the shell runs it
    (``"glassgrad, uncached"``: compiled from source in every process).
    """
    runs = {"numpy": ("numpy", env), "glassgrad": ("glassgrad", env), "torch": ("torch", env)}
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        runs["glassgrad, uncached"] = ("glassgrad", dict(os.environ))
    names = list(runs)
    samples = {name: [] for name in names}
    for round_index in range(rounds + 1):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(import_time(*runs[name]))
    samples = {name: s[1:] for name, s in samples.items()}   # the first round warms caches
    inside = {name: statistics.median(s[0] for s in samples[name]) * 1e3 for name in names}
    whole = {name: statistics.median(s[1] for s in samples[name]) * 1e3 for name in names}
    ratios = {name: (statistics.median(g[0] / n[0] for g, n in zip(samples[name],
                                                                   samples["numpy"])),
                     statistics.median(g[1] / n[1] for g, n in zip(samples[name],
                                                                   samples["numpy"])))
              for name in names if name.startswith("glassgrad")}
    return inside, whole, ratios


def main(quick=False):
    with tempfile.TemporaryDirectory() as cache:
        env = child_env(cache)
        peak, after, peak_ratio = measure_peaks(1 if quick else 3, env)
        inside, whole, import_ratios = measure_imports(3 if quick else 15, env)
    import_ratio, whole_ratio = import_ratios["glassgrad"]
    rows = []
    for name, label in LIBRARIES.items():
        is_torch = name == "torch"
        rows.append([label, f"{after[name]:.0f}", f"{peak[name]:.0f}",
                     fmt_ratio(peak["glassgrad"] / peak[name]),
                     PEAK_GOAL.text() if is_torch else "",
                     PEAK_GOAL.verdict(peak_ratio) if is_torch else ""])
    print_table("memory: peak resident memory of a fresh process training digits-mlp one epoch",
                ["library", "MB after import", "MB peak", "glassgrad's peak / this", "goal",
                 "met"], rows,
                notes=["VmHWM of the child process; the NumPy row imports NumPy only. The goal "
                       f"ratio (median per round) is {fmt_ratio(peak_ratio)}."])
    rows = []
    for name in inside:
        is_numpy = name == "numpy"
        label = f"import {name}" if "," not in name else "import glassgrad (uncached, see below)"
        rows.append([label, f"{inside[name]:.0f}", f"{whole[name]:.0f}",
                     fmt_ratio(inside["glassgrad"] / inside[name]),
                     IMPORT_GOAL.text() if is_numpy else "",
                     IMPORT_GOAL.verdict(import_ratio) if is_numpy else ""])
    notes = [f"Medians over fresh processes, interleaved; per-round ratio to numpy: "
             f"{fmt_ratio(import_ratio)} for the import, {fmt_ratio(whole_ratio)} for the whole "
             "process. Bytecode cached for all (as after a normal install)."]
    if "glassgrad, uncached" in import_ratios:
        uncached = import_ratios["glassgrad, uncached"][0]
        notes.append("This shell sets PYTHONDONTWRITEBYTECODE, so here an editable glassgrad is "
                     f"compiled from source on every import: {inside['glassgrad, uncached']:.0f} "
                     f"ms, {fmt_ratio(uncached)} numpy's (cached) import.")
    print_table("import time: a fresh process importing the library",
                ["statement", "ms (the import)", "ms (whole `python -c`)",
                 "glassgrad's import / this", "goal", "met"], rows, notes=notes)
    goals = [(PEAK_GOAL, peak_ratio), (IMPORT_GOAL, import_ratio)]
    return {"peak_mb": peak, "after_import_mb": after, "peak_ratio": peak_ratio,
            "import_ms": inside, "process_ms": whole, "import_ratio": import_ratio,
            "process_ratio": whole_ratio, "import_ratios": import_ratios,
            "goals": goal_dicts(goals),
            "goal_rows": goal_rows(goals)}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main(quick="--quick" in sys.argv)
