"""pytest configuration: modest hypothesis budgets so the suite stays quick on 2 cores."""

from hypothesis import HealthCheck, settings

settings.register_profile("glassgrad", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("glassgrad")
