"""``python -m glassgrad``: the same as the ``glassgrad`` command."""

import sys

from .cli import main

sys.exit(main())
