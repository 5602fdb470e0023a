"""op-overhead: the cost of autograd itself.

A chain of 100 small element-wise operations (add, mul, tanh, repeated) on a 16-element tensor that
requires grad, forward plus backward, timed per operation for glassgrad and for PyTorch in the same
process (libraries interleaved, median of repeats). The array work is tiny, so what is measured
is the framework: creating results, recording the graph and walking it backwards.
"""

import os
import statistics
import time

import numpy as np

CHAIN = 100
ELEMENTS = 16


def chain(lib, x):
    """100 element-wise ops: (x + 1) * 0.99, tanh, repeated; then sum and backward."""
    y = x
    for i in range(CHAIN // 3):
        y = y + 1.0
        y = y * 0.99
        y = lib.tanh(y)
    y = y + 1.0  # the 100th op
    y.sum().backward()
    return x.grad


def numpy_chain(x):
    """The same computation written by hand in NumPy (forward, then the chain rule backward)."""
    saved = []
    y = x
    for i in range(CHAIN // 3):
        y = (y + 1.0) * 0.99
        y = np.tanh(y)
        saved.append(y)
    y = y + 1.0
    g = np.ones_like(y)
    for out in reversed(saved):
        g = g * (1 - out * out) * 0.99
    return g


def time_once(run):
    """Microseconds per operation of one run."""
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) / CHAIN * 1e6


def measure(repeats=300):
    """Per-op times for glassgrad, torch and hand-written NumPy, and glassgrad's ratios to them.

    The libraries alternate run by run and each ratio is taken between neighbouring runs, so a
    machine whose speed drifts (shared CPUs do) affects both sides of every ratio alike; the
    figures reported are medians.
    """
    import torch

    import glassgrad as gg

    torch.set_num_threads(os.cpu_count() or 1)
    data = np.random.default_rng(0).standard_normal(ELEMENTS).astype(np.float32)

    def run_gg():
        chain(gg, gg.tensor(data, requires_grad=True))

    def run_torch():
        chain(torch, torch.tensor(data, requires_grad=True))

    def run_numpy():
        numpy_chain(data.copy())

    expected = chain(torch, torch.tensor(data, requires_grad=True)).numpy()
    got = chain(gg, gg.tensor(data, requires_grad=True)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)

    for run in (run_gg, run_torch, run_numpy):  # warm up
        for _ in range(20):
            run()
    times = {"glassgrad": [], "torch": [], "numpy": []}
    vs_torch, vs_numpy = [], []
    for _ in range(repeats):
        g = time_once(run_gg)
        t = time_once(run_torch)
        n = time_once(run_numpy)
        times["glassgrad"].append(g)
        times["torch"].append(t)
        times["numpy"].append(n)
        vs_torch.append(g / t)
        vs_numpy.append(g / n)
    medians = {name: statistics.median(samples) for name, samples in times.items()}
    return medians, statistics.median(vs_torch), statistics.median(vs_numpy)


def main():
    medians, vs_torch, vs_numpy = measure()
    print("## op-overhead: 100 chained element-wise ops on 16 floats, forward + backward\n")
    print("| library | us per op | glassgrad's time / this |")
    print("|---|---:|---:|")
    print(f"| glassgrad | {medians['glassgrad']:.2f} | 1.00x |")
    print(f"| PyTorch | {medians['torch']:.2f} | {vs_torch:.2f}x |")
    print(f"| NumPy by hand | {medians['numpy']:.2f} | {vs_numpy:.2f}x |")
    print(f"\nglassgrad / PyTorch = {vs_torch:.2f} (goal: at most 0.50); "
          "ratios are medians of neighbouring runs")
    return medians, vs_torch, vs_numpy


if __name__ == "__main__":
    main()
