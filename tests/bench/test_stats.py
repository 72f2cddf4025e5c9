"""Statistics used by the report."""

from __future__ import annotations

import pytest

from agentgym.bench.stats import newcombe, paired_bootstrap, wilson


def test_wilson_known_values() -> None:
    lo, hi = wilson(3, 3)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(0.4385, abs=1e-3)
    lo, hi = wilson(5, 10)
    assert (lo, hi) == (pytest.approx(0.2366, abs=1e-3), pytest.approx(0.7634, abs=1e-3))
    assert wilson(0, 0) == (0.0, 1.0)


def test_paired_bootstrap_is_seeded_and_paired() -> None:
    base = [1.0] * 20
    other = [1.0] * 10 + [0.0] * 10
    d, lo, hi = paired_bootstrap(base, other, seed=1)
    assert d == pytest.approx(0.5) and lo < 0.5 < hi
    assert paired_bootstrap(base, other, seed=1) == (d, lo, hi)
    assert paired_bootstrap(base, base) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [1.0, 0.0])


def test_newcombe_contains_difference() -> None:
    d, lo, hi = newcombe(8, 10, 2, 10)
    assert d == pytest.approx(0.6) and lo < 0.6 < hi and lo >= -1 and hi <= 1
