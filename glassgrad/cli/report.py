"""``glassgrad report RUN``: (re)build a run's report.html from its folder."""

import os

from ..train.run_folder import METRICS, read_config
from . import UsageError
from .runs import run_folder_lock


def add_parser(commands):
    parser = commands.add_parser(
        "report", help="rebuild the HTML report of a training run",
        description="Write RUN/report.html (curves, test metrics, training health, weights, and "
                    "for small MLPs the network picture) from the run folder.")
    parser.add_argument("run_dir", metavar="RUN", help="a run folder made by glassgrad train")
    parser.set_defaults(run=run)


def write_report(folder):
    """Build the report; a run without metrics (interrupted before one epoch) gets a clear error."""
    from ..viz.report import build_report

    if not os.path.exists(os.path.join(folder, METRICS)):
        raise UsageError(f"{folder} has no metrics.csv yet: the run has not finished an epoch")
    return build_report(folder)


def run(args):
    read_config(args.run_dir)
    with run_folder_lock(args.run_dir):   # not while a training writes the folder
        path = write_report(args.run_dir)
    print(f"wrote {path}")
    return 0
