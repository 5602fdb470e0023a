"""The benchmark harness's arithmetic (``benchmarks/_harness.py``): how a verdict and its spread
are computed from the rounds. Nothing here times anything: the runs are counters."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))

from _harness import (  # noqa: E402
    Goal,
    fmt_spread,
    goal_dicts,
    goal_rows,
    interleave,
    middle_half,
)


def test_middle_half_is_the_first_and_third_quartile():
    assert middle_half([1.0, 2.0, 3.0, 4.0, 5.0]) == (2.0, 4.0)
    assert middle_half([5.0, 1.0, 4.0, 2.0, 3.0]) == (2.0, 4.0)  # order does not matter
    assert middle_half([1.1, 1.3]) == pytest.approx((1.15, 1.25))
    assert middle_half([1.2]) == (1.2, 1.2)
    assert middle_half([]) is None


def test_goal_rows_show_the_spread_when_given():
    goal = Goal("glassgrad / NumPy", 1.15)
    with_spread, without = goal_rows([(goal, 1.18, (1.14, 1.22)), (goal, 1.10)])
    assert with_spread == ["glassgrad / NumPy", "1.18x", "1.14-1.22x", "<= 1.15x", "**no**"]
    assert without == ["glassgrad / NumPy", "1.10x", "", "<= 1.15x", "yes"]
    assert fmt_spread(None) == ""
    with_spread, without = goal_dicts([(goal, 1.18, (1.14, 1.22)), (goal, 1.10)])
    assert with_spread["middle_half"] == (1.14, 1.22) and not with_spread["met"]
    assert without["middle_half"] is None and without["met"]


def test_interleave_reports_a_spread_for_every_ratio():
    calls = {"a": 0, "b": 0}

    def run(name):
        def once():
            calls[name] += 1
        return once

    result = interleave({"a": run("a"), "b": run("b")}, repeats=5, warmup=1, reference="a",
                        settle=0)
    assert calls == {"a": 6, "b": 6}  # one warm-up round and five timed ones
    assert set(result["spreads"]) == {"b"}  # the reference has no ratio to itself
    low, high = result["spreads"]["b"]
    assert low <= result["ratios"]["b"] <= high
    assert len(result["samples"]["a"]) == 5
