"""The ``glassgrad`` command (also ``python -m glassgrad``): train, predict, evaluate, report, lab.

    glassgrad train                                   # an MLP on scikit-learn's digits
    glassgrad train --data houses.csv --target price  # your table: preprocessing is automatic
    glassgrad predict runs/houses-1 new.csv           # predictions for new rows
    glassgrad evaluate runs/houses-1 labelled.csv     # metrics on labelled rows
    glassgrad report runs/houses-1                    # rebuild runs/houses-1/report.html
    glassgrad lab optimizers                          # the course notes' experiments, for real

Bad input (a missing file, an unknown column, an unseen category...) gets one line on stderr,
``glassgrad: error: ...``, and exit code 2; nothing already on disk is changed.
"""

import argparse
import sys

__all__ = ["main", "build_parser"]


class UsageError(Exception):
    """A problem with the user's input that is reported in one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (what is wrong and where to look), exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    from . import lab, predict, report, train

    parser = _Parser(
        prog="glassgrad", description="Train, use and inspect neural networks on tables.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    train.add_parser(commands)
    predict.add_parsers(commands)
    report.add_parser(commands)
    lab.add_parser(commands)
    return parser


def main(argv=None):
    """Run the command line; returns the exit code (0 ok, 2 bad input, 130 interrupted).

    Every problem with the user's input or files (a bad option or table, a run folder or
    checkpoint glassgrad did not write, a full disk, a missing permission) is one line on stderr
    and exit code 2. Ctrl-C while the command is still importing its libraries exits 130 quietly;
    during training the Trainer saves a checkpoint first (see ``glassgrad train``).
    """
    try:
        return _run_command(argv)
    except KeyboardInterrupt:
        print("glassgrad: interrupted", file=sys.stderr)
        return 130


def _run_command(argv):
    from ..tabular import DataError
    from ..train.checkpoint import CheckpointError
    from ..train.run_folder import RunFolderError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:   # --help, or a usage error already reported in one line
        return stop.code
    try:
        return args.run(args) or 0
    except (DataError, UsageError, CheckpointError, RunFolderError) as error:
        return _fail(str(error))
    except OSError as error:     # a full disk, a missing permission, a folder that vanished
        return _fail(_describe_os_error(error))


def _fail(message):
    message = " ".join(message.split())
    print(f"glassgrad: error: {message}", file=sys.stderr)
    return 2


def _describe_os_error(error):
    """``<path>: <what the system said>`` (both paths for a rename), with a hint for a full disk."""
    import errno

    where = ": ".join(str(name) for name in (error.filename, error.filename2) if name)
    text = f"{where}: {error.strerror or error}" if where else str(error.strerror or error)
    if error.errno == errno.ENOSPC:
        text += "; free some space and run the command again (files already saved are intact)"
    return text
