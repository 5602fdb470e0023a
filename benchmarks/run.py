"""Run the benchmark suite and print a Markdown table per benchmark, then a summary of the goals.

    python benchmarks/run.py                     # everything (make bench)
    python benchmarks/run.py digits-mlp conv     # only these
    python benchmarks/run.py --quick             # a fast smoke run: fewer repeats, less data

Speed is measured here, side by side with PyTorch and hand-written NumPy in one process, never in
the unit tests. Every figure is a median over runs in which the libraries alternate, and every
ratio is a median of ratios between neighbouring runs (see ``_harness.py``): this shared 2-core
machine's speed drifts by up to 2x within a minute. PyTorch uses every core
(``torch.set_num_threads(os.cpu_count())``).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import conv  # noqa: E402
import csv_memory  # noqa: E402
import digits_mlp  # noqa: E402
import memory  # noqa: E402
import op_overhead  # noqa: E402
import trainer_overhead  # noqa: E402
import wide_mlp  # noqa: E402
from _harness import machine, print_table, torch_module  # noqa: E402

BENCHMARKS = {
    "digits-mlp": digits_mlp,
    "wide-mlp": wide_mlp,
    "op-overhead": op_overhead,
    "conv": conv,
    "trainer-overhead": trainer_overhead,
    "memory": memory,
    "csv-memory": csv_memory,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="benchmark",
                        help=f"which to run (default: all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="few repeats: a smoke run")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(BENCHMARKS)}")
    torch_module()
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    print(f"Machine: {machine()}{load}{' (--quick)' if args.quick else ''}\n", flush=True)
    results, summary = {}, []
    for name in args.names or list(BENCHMARKS):
        start = time.perf_counter()
        results[name] = BENCHMARKS[name].main(quick=args.quick)
        results[name]["seconds"] = time.perf_counter() - start
        summary += [[name, *row] for row in results[name]["goal_rows"]]
    met = sum(row[-1] == "yes" for row in summary)
    withdrawn = [(name, goal) for name in results for goal in results[name]["goals"]
                 if goal.get("withdrawn")]
    notes = [f"{met} of {len(summary) - len(withdrawn)} goals met."]
    notes += [f"Withdrawn: {name}, {goal['label']} (was <= {goal['limit']:.2f}x): "
              f"{goal['withdrawn']}." for name, goal in withdrawn]
    load = os.getloadavg()[1] if hasattr(os, "getloadavg") else 0.0
    if load > 2.0:
        notes.append(f"Warning: the 5-minute load average was {load:.1f} at the end (this suite "
                     "keeps about one core busy): other processes shared the CPU, and BLAS "
                     "threads suffer most from that; rerun on a quiet machine.")
    print_table("summary: the goals of issues 7 and 17",
                ["benchmark", "comparison", "measured", "middle half of rounds", "goal", "met"],
                summary, notes=notes)
    return results


if __name__ == "__main__":
    main()
