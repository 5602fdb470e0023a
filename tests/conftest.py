"""pytest configuration: tests/ on sys.path (for ``parity``), and modest hypothesis budgets so the
suite stays quick on 2 cores."""

import os
import sys

from hypothesis import HealthCheck, settings

TESTS = os.path.dirname(os.path.abspath(__file__))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

settings.register_profile("glassgrad", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("glassgrad")
