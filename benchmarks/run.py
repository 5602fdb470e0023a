"""Run the benchmark suite and print a Markdown table per benchmark (``python benchmarks/run.py``).

Speed is measured here, side by side with PyTorch in one process, never in the unit tests.
"""

import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import op_overhead  # noqa: E402


def machine():
    import numpy
    import torch

    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, NumPy {numpy.__version__}, "
            f"PyTorch {torch.__version__}")


def main():
    print(f"Machine: {machine()}\n")
    op_overhead.main()


if __name__ == "__main__":
    main()
