"""The benchmarks' measuring rules hold: every variant starts with the engine's caches empty,
and rounds rotate the order of the variants."""

from __future__ import annotations

from decimal import Decimal

from benchmarks.measure import clear_caches, ratio_range, rounds, spread
from performance import scoring, targets
from performance.services import derived_figures

ENGINE_CACHES = (
    targets._parse_target_cached,
    targets._parse_actual_cached,
    targets.category_of,
    scoring._meets_target,
    derived_figures._target,
)


def _warm_the_engine() -> None:
    target = targets.parse_target("≥90%", level1="产出指标")
    targets.parse_actual("95%", target=target)
    scoring.meets_target(
        operator=target.operator,
        target=target.value,
        actual=Decimal(95),
        scheme=scoring.NATIONAL_SCHEME,
    )
    derived_figures._target("≥90%", ">=", Decimal(90), "90", "%", "quantitative", (), None, False)


def test_clear_caches_empties_every_engine_cache():
    _warm_the_engine()
    assert all(cache.cache_info().currsize > 0 for cache in ENGINE_CACHES)
    assert clear_caches() >= len(ENGINE_CACHES)
    assert [cache.cache_info().currsize for cache in ENGINE_CACHES] == [0] * len(ENGINE_CACHES)


def test_rounds_rotate_the_order_so_no_variant_always_runs_first():
    assert list(rounds(["a", "b", "c"], 4)) == [
        (0, "a"), (0, "b"), (0, "c"),
        (1, "b"), (1, "c"), (1, "a"),
        (2, "c"), (2, "a"), (2, "b"),
        (3, "a"), (3, "b"), (3, "c"),
    ]  # fmt: skip


def test_spread_and_ratio_range_report_the_rounds():
    assert spread([1.0, 1.1, 1.3]) == (1.3 - 1.0) / 1.1
    assert ratio_range([2.0, 3.0, 4.0], [1.0, 2.0, 1.0]) == "3.00× (per round 1.50–4.00×)"
