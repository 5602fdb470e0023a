"""``glassgrad lab EXPERIMENT``: run one of the course notes' experiments and write it up.

    glassgrad lab optimizers               # -> lab/optimizers/index.html and PNGs
    glassgrad lab --out /tmp/lab descent   # another folder
    glassgrad lab --fast all               # every experiment, small settings

Each experiment trains for real with glassgrad, prints its summary table and ends with the
folder that holds the page (``index.html``) and the PNGs.
"""

import argparse
import os

from ..train.run_folder import PLOTLY
from . import UsageError


def add_parser(commands):
    """Add the ``lab`` command to an argparse subparsers object; returns its parser."""
    from ..lab import EXPERIMENTS  # light: the experiments' modules load when they run

    listing = "\n".join(f"  {name:<15} {line}" for name, (_, line) in EXPERIMENTS.items())
    parser = commands.add_parser(
        "lab", help="run one of the course notes' experiments and write a page with its figures",
        description="Run an experiment of the course notes with glassgrad (real training),\n"
                    "print its summary table, and write DIR/EXPERIMENT/index.html (what it\n"
                    "shows, interactive figures, the table) and PNGs beside it.",
        epilog=f"experiments:\n{listing}\n  {'all':<15} every experiment, one after the other",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", metavar="EXPERIMENT", choices=(*EXPERIMENTS, "all"),
                        help=f"one of: {', '.join(EXPERIMENTS)}, all")
    parser.add_argument("--out", metavar="DIR", default="lab",
                        help="the folder that gets one subfolder per experiment (default: lab)")
    parser.add_argument("--fast", action="store_true",
                        help="smaller data and fewer epochs, about a second or two per "
                             "experiment: for tests and quick looks (default: the notes' "
                             "settings)")
    parser.set_defaults(run=run)
    return parser


def run(args):
    """Run the experiment(s) of ``args``; prints each summary table; returns 0."""
    from .. import lab

    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out} is a file; it must be a folder (created if needed)")
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create the folder {args.out}: {error.strerror}") from None
    if not os.access(args.out, os.W_OK):
        raise UsageError(f"cannot write in the folder {args.out}")
    names = list(lab.EXPERIMENTS) if args.experiment == "all" else [args.experiment]
    for index, name in enumerate(names):
        if index:
            print()
        result = lab.run(name, out=args.out, fast=args.fast)
        report(result, fast=args.fast)
    return 0


def report(result, fast=False):
    """Print a result: title, table, notes, and last the files and the folder."""
    print(f"{result.name}: {result.title}" + (" (--fast settings)" if fast else ""))
    print(result.table())
    for note in result.notes:
        print(f"  {note}")
    names = ", ".join(os.path.basename(path) for path in result.files
                      if not path.endswith(PLOTLY))
    print(f"wrote {names} to {result.folder}{os.sep}")
