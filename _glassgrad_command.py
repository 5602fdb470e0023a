"""The ``glassgrad`` command's entry point, kept outside the package on purpose.

Importing anything inside ``glassgrad`` first runs ``glassgrad/__init__.py``, which imports NumPy
(about a fifth of a second). A Ctrl-C in that moment would show Python's traceback, since no code
of the command is running yet to catch it. This module imports nothing but ``sys`` before its
``try``, so a Ctrl-C at any moment of the start-up exits quietly with code 130, as during the
rest of the command (``glassgrad.cli.main``).
"""

import sys


def main():
    try:
        from glassgrad.cli import main as run_command

        code = run_command()
    except KeyboardInterrupt:
        print("glassgrad: interrupted", file=sys.stderr)
        code = 130
    sys.exit(code)
