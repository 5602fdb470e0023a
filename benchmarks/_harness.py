"""Shared pieces of the benchmarks: interleaved timing, goals, Markdown tables, the digits data.

How every speed figure is taken: this is a shared 2-core machine whose speed drifts by up to 2x
within a minute, so the libraries are never timed one after the other in blocks. One *round* runs
each library once (the order rotates from round to round), the ratios are taken within the round
(neighbouring runs, so a drift touches both sides alike), and what is reported is the median over
the rounds: the median time of each library and the median of the per-round ratios.

Nothing here imports torch, glassgrad or scikit-learn at module level: the memory benchmark's
child processes import this file and must load only the library they measure.
"""

import os
import platform
import statistics
import time

import numpy as np

__all__ = ["machine", "torch_module", "time_once", "interleave", "middle_half", "Goal", "fmt_ratio",
           "fmt_spread", "print_table", "goal_rows", "goal_dicts", "digits",
           "random_classification"]


def machine():
    """One line: processor, cores, Python, NumPy and PyTorch versions."""
    import torch

    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, NumPy {np.__version__}, "
            f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)")


def torch_module():
    """``torch``, set to use every core (as the issue asks: torch.set_num_threads(cpu_count))."""
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    return torch


def time_once(run):
    """Seconds taken by one call of ``run``."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def interleave(runs, repeats, warmup=1, reference="glassgrad", settle=0.02):
    """Time ``runs`` (``{name: callable}``) round by round; medians of times and of ratios.

    Args:
        runs: the callables to time, one per library; each call is one run (an epoch, a step).
        repeats: the number of rounds; each round calls every run once, in an order that rotates.
        warmup: untimed rounds first (allocations, caches, lazy imports, thread pools).
        reference: the run whose time is the numerator of every ratio.
        settle: seconds of untimed pause after each run. PyTorch's worker threads keep spinning
            for a moment after its work ends, and on 2 cores that slowed whichever run came next
            by up to 30%; 10 ms of pause removed most of it. 0 for microsecond runs.

    Returns:
        ``{"seconds": {name: median seconds}, "ratios": {name: median of reference / name},
        "spreads": {name: middle half of the per-round ratios}, "rounds": repeats,
        "samples": {name: [seconds of each round]}}``; ``ratios[name]`` above 1 means the
        reference is slower than it.
    """
    names = list(runs)
    for _ in range(warmup):
        for name in names:
            runs[name]()
    samples = {name: [] for name in names}
    ratios = {name: [] for name in names if name != reference}
    for round_index in range(repeats):
        shift = round_index % len(names)
        taken = {}
        for name in names[shift:] + names[:shift]:
            taken[name] = time_once(runs[name])
            samples[name].append(taken[name])
            if settle:
                time.sleep(settle)
        for name in ratios:
            ratios[name].append(taken[reference] / taken[name])
    return {"seconds": {name: statistics.median(s) for name, s in samples.items()},
            "ratios": {name: statistics.median(r) for name, r in ratios.items()},
            "spreads": {name: middle_half(r) for name, r in ratios.items()},
            "rounds": repeats, "samples": samples}


def middle_half(values):
    """The first and third quartiles of ``values``: the range that holds the middle half of the
    rounds' ratios. A verdict is taken on the median; this range says how far one run's median
    can be trusted (a goal inside it is met in some runs and missed in others)."""
    if len(values) < 2:
        return (values[0], values[0]) if values else None
    first, _, third = statistics.quantiles(values, n=4, method="inclusive")
    return first, third


class Goal:
    """A target for one ratio: ``Goal("glassgrad / PyTorch", 0.65)`` means at most 0.65x.

    ``withdrawn`` (a reason) marks a goal that no longer applies: the ratio is still measured and
    shown, as information, with the old limit in brackets; it counts as neither met nor missed.
    """

    def __init__(self, label, limit, withdrawn=None):
        self.label = label
        self.limit = limit
        self.withdrawn = withdrawn

    def met(self, ratio):
        """True or False; None for a withdrawn goal."""
        return None if self.withdrawn else ratio <= self.limit

    def verdict(self, ratio):
        if self.withdrawn:
            return "withdrawn"
        return "yes" if self.met(ratio) else "**no**"

    def text(self):
        return f"(was <= {self.limit:.2f}x)" if self.withdrawn else f"<= {self.limit:.2f}x"

    def as_dict(self, ratio, spread=None):
        return {"label": self.label, "ratio": ratio, "middle_half": spread, "limit": self.limit,
                "met": self.met(ratio), "withdrawn": self.withdrawn}


def fmt_ratio(ratio):
    return f"{ratio:.2f}x"


def fmt_spread(spread):
    """``1.14-1.22x`` for a (first, third) quartile pair; empty when there is none."""
    return "" if spread is None else f"{spread[0]:.2f}-{spread[1]:.2f}x"


def print_table(title, header, rows, notes=()):
    """Print ``## title``, a Markdown table (numbers right-aligned) and notes underneath."""
    print(f"## {title}\n")
    print("| " + " | ".join(header) + " |")
    numeric = [all(_is_number(row[i]) for row in rows if row[i] != "")
               for i in range(len(header))]
    print("|" + "|".join("---:" if is_number else "---" for is_number in numeric) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")
    if notes:
        print()
        for note in notes:
            print(note)
    print(flush=True)


def _is_number(cell):
    """True for figures such as ``12.5`` or ``0.65x``: those columns are right-aligned."""
    try:
        float(str(cell).removesuffix("x"))
    except ValueError:
        return False
    return True


def goal_rows(goals):
    """Rows ``[comparison, measured, middle half of rounds, goal, met]`` for a list of
    ``(Goal, ratio)`` or ``(Goal, ratio, spread)`` (``spread``: see ``middle_half``)."""
    rows = []
    for goal, ratio, spread in map(_with_spread, goals):
        rows.append([goal.label, fmt_ratio(ratio), fmt_spread(spread), goal.text(),
                     goal.verdict(ratio)])
    return rows


def goal_dicts(goals):
    """The same goals as dictionaries (for the results ``run.py`` returns)."""
    return [goal.as_dict(ratio, spread) for goal, ratio, spread in map(_with_spread, goals)]


def _with_spread(measured):
    """``(Goal, ratio, spread)`` from ``(Goal, ratio)`` (spread None) or itself."""
    return measured if len(measured) == 3 else (*measured, None)


def digits():
    """scikit-learn's digits: X (1797, 64) float32 scaled by 1/16, y (1797,) int64."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.data / 16.0).astype(np.float32), data.target.astype(np.int64)


def random_classification(rows, features, classes, seed=0):
    """Random inputs (standard normal, float32) and random labels, for timing only."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, features), dtype=np.float32)
    y = rng.integers(0, classes, rows).astype(np.int64)
    return x, y
