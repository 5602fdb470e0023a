"""pytest configuration: tests/ on sys.path (for ``parity``), and modest hypothesis budgets so the
suite stays quick on 2 cores.

Locally hypothesis draws new examples on every run, so the suite keeps exploring; in CI (the
``CI`` variable is set) it is derandomized, so a merge is judged on the same examples every time
and a rare float32 corner found by chance cannot fail an unrelated change. A failure found
locally is fixed (or its tolerance explained) before it lands.
"""

import os
import sys

from hypothesis import HealthCheck, settings

TESTS = os.path.dirname(os.path.abspath(__file__))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

settings.register_profile("glassgrad", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow],
                          derandomize=bool(os.environ.get("CI")))
settings.load_profile("glassgrad")
