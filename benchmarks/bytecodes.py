"""Python bytecodes per training step of digits-mlp, by function: where the framework's time goes.

On this machine timings move by several percent from run to run, but the number of bytecodes a
step executes does not; and the gap between glassgrad and the hand-written NumPy loop is almost
all Python (the array work is the same or less), so the count is a steady measure of the
framework's own cost. One epoch of each loop runs under ``sys.settrace`` with opcode events;
the table lists the functions that execute the most bytecodes per step.

    python benchmarks/bytecodes.py            # the top 25 functions of each loop
    python benchmarks/bytecodes.py --top 60

A bytecode costs roughly 20 ns here, so 1,000 bytecodes a step are about 20 us, some 2-3% of a
digits-mlp step. Not part of ``run.py``: tracing slows the loops 50-fold, so it times nothing.
"""

import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import digits, print_table  # noqa: E402
from digits_mlp import BATCH, SIZES, make_trainers  # noqa: E402


def count_bytecodes(run):
    """``Counter((file, function) -> bytecodes executed)`` over one call of ``run``."""
    counts = collections.Counter()

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True
        if event == "opcode":
            code = frame.f_code
            counts[(os.path.relpath(code.co_filename), code.co_name)] += 1
        return tracer

    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(None)
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=25, help="functions listed per loop")
    args = parser.parse_args(argv)
    x, y = digits()
    trainers = make_trainers(SIZES, x, y, BATCH, libraries=("glassgrad", "numpy"))
    steps = -(-len(x) // BATCH)
    totals = {}
    for name, trainer in trainers.items():
        trainer.epoch()  # warm up: lazy imports, first-step allocations
        counts = count_bytecodes(trainer.epoch)
        totals[name] = sum(counts.values()) / steps
        rows = [[f"`{function}`", path, f"{n / steps:.0f}"]
                for (path, function), n in counts.most_common(args.top)]
        print_table(f"{name}: bytecodes per step, by function ({totals[name]:,.0f} in all)",
                    ["function", "file", "bytecodes per step"], rows)
    print(f"glassgrad runs {totals['glassgrad'] - totals['numpy']:,.0f} more bytecodes per step "
          f"than the hand-written loop ({totals['glassgrad'] / totals['numpy']:.1f}x).")
    return totals


if __name__ == "__main__":
    main()
