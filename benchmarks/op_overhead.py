"""op-overhead: the cost of autograd itself.

A chain of 100 small element-wise operations (add, mul, tanh, repeated) on a 16-element tensor that
requires grad, forward plus backward, timed per operation for glassgrad and for PyTorch in the same
process (libraries interleaved, median of repeats). The array work is tiny, so what is measured
is the framework: creating results, recording the graph and walking it backwards. The NumPy
row is the same arithmetic by hand (no graph at all), the floor. The goal: glassgrad at most
0.5x PyTorch's time per op.
"""

import numpy as np
from _harness import Goal, fmt_ratio, goal_dicts, goal_rows, interleave, print_table, torch_module

CHAIN = 100
ELEMENTS = 16
GOAL = Goal("glassgrad / PyTorch", 0.50)


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


def measure(repeats=300):
    """Per-op times (us) for glassgrad, torch and hand-written NumPy, and glassgrad's ratios.

    The libraries alternate run by run and each ratio is taken between neighbouring runs
    (``_harness.interleave``), so a machine whose speed drifts (shared CPUs do) affects both
    sides of every ratio alike; the figures reported are medians.
    """
    import glassgrad as gg

    torch = torch_module()
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
    np.testing.assert_allclose(numpy_chain(data.copy()), expected, rtol=1e-4, atol=1e-6)

    result = interleave({"glassgrad": run_gg, "torch": run_torch, "numpy": run_numpy}, repeats,
                        warmup=20, settle=0)
    us = {name: seconds / CHAIN * 1e6 for name, seconds in result["seconds"].items()}
    return us, result["ratios"], result["spreads"]


def main(quick=False):
    repeats = 50 if quick else 300
    us, ratios, spreads = measure(repeats)
    rows = [["glassgrad", f"{us['glassgrad']:.2f}", "1.00x", "", ""],
            ["PyTorch", f"{us['torch']:.2f}", fmt_ratio(ratios["torch"]), GOAL.text(),
             GOAL.verdict(ratios["torch"])],
            ["NumPy by hand", f"{us['numpy']:.2f}", fmt_ratio(ratios["numpy"]), "", ""]]
    print_table(f"op-overhead: {CHAIN} chained element-wise ops on {ELEMENTS} floats, "
                "forward + backward",
                ["library", "us per op", "glassgrad's time / this", "goal", "met"], rows,
                notes=[f"Medians of {repeats} interleaved runs; each ratio is the median of "
                       "ratios between neighbouring runs."])
    goals = [(GOAL, ratios["torch"], spreads["torch"])]
    return {"us_per_op": us, "ratios": ratios,
            "goals": goal_dicts(goals),
            "goal_rows": goal_rows(goals)}


if __name__ == "__main__":
    main()
