"""op-overhead: the cost of autograd itself.

A chain of 100 small element-wise operations (add, mul, tanh, repeated) on a 16-element tensor that
requires grad, forward plus backward, timed per operation for glassgrad and for PyTorch in the same
process (libraries interleaved, median of repeats). The array work is tiny, so what is measured
is the framework: creating results, recording the graph and walking it backwards.
"""

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


def time_per_op(run, repeats):
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) / CHAIN * 1e6)
    return samples


def measure(repeats=200, rounds=5):
    """Median microseconds per operation for glassgrad, torch and hand-written NumPy."""
    import torch

    import glassgrad as gg

    torch.set_num_threads(__import__("os").cpu_count() or 1)
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

    results = {"glassgrad": [], "torch": [], "numpy": []}
    for _ in range(rounds):  # interleave the libraries so drift affects them alike
        results["glassgrad"] += time_per_op(run_gg, repeats // rounds)
        results["torch"] += time_per_op(run_torch, repeats // rounds)
        results["numpy"] += time_per_op(run_numpy, repeats // rounds)
    return {name: statistics.median(samples) for name, samples in results.items()}


def main():
    medians = measure()
    torch_us = medians["torch"]
    numpy_us = medians["numpy"]
    print("## op-overhead: 100 chained element-wise ops on 16 floats, forward + backward\n")
    print("| library | us per op | vs PyTorch | vs NumPy by hand |")
    print("|---|---:|---:|---:|")
    for name in ("glassgrad", "torch", "numpy"):
        us = medians[name]
        print(f"| {name} | {us:.2f} | {us / torch_us:.2f}x | {us / numpy_us:.2f}x |")
    return medians


if __name__ == "__main__":
    main()
