"""What every benchmark shares: cold caches, interleaved rounds, medians and their spread.

A single timing on a shared machine says little: a busy second lands on whichever variant runs
then, and caches warmed by one variant speed up the next. So the scripts

- run their variants in rounds, each round in a rotated order (``A B C``, ``B C A``,
  ``C A B``…), so that no variant always runs first or right after the same neighbour;
- start every variant of the recompute and the import with the project's in-process caches
  empty (:func:`clear_caches`), or in fresh processes;
- report the median of the rounds with the smallest and largest sample and the spread
  ((max − min) / median), and for a ratio the range of the per-round ratios.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

# Packages whose module-level functools caches hold engine state between variants.
PROJECT_PACKAGES = ("performance", "projects", "config")


def clear_caches() -> int:
    """Empty every ``functools.lru_cache`` / ``cache`` defined in the project's loaded modules
    (the engine's parsed targets and actuals, scores, figures…); returns how many were cleared.

    Found by walking the modules rather than listing them, so a cache added later is cleared
    too and no variant inherits another's warm entries."""
    cleared = 0
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in PROJECT_PACKAGES:
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()
                cleared += 1
    return cleared


def rounds(variants: Sequence[T], repeat: int) -> Iterator[tuple[int, T]]:
    """(round, variant) for ``repeat`` rounds, each round's order rotated by one."""
    count = len(variants)
    for index in range(repeat):
        shift = index % count if count else 0
        for variant in [*variants[shift:], *variants[:shift]]:
            yield index, variant


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> float:
    """(max − min) / median: 0.05 means the slowest run took 5 % of the median more than the
    fastest."""
    middle = statistics.median(values)
    return (max(values) - min(values)) / middle if middle else 0.0


def describe(values: Sequence[float], *, unit: str = "s", scale: float = 1.0) -> str:
    """``median 1.23 s (3 runs 1.20–1.31 s, spread 9 %)`` — or the one sample, said so."""
    places = 2 if unit == "s" else 1
    shown = [value * scale for value in values]
    if len(shown) == 1:
        return f"{shown[0]:.{places}f} {unit} (1 run, no spread)"
    return (
        f"median {statistics.median(shown):.{places}f} {unit} ({len(shown)} runs"
        f" {min(shown):.{places}f}–{max(shown):.{places}f} {unit},"
        f" spread {spread(values):.0%})"
    )


def ratio_range(numerators: Sequence[float], denominators: Sequence[float]) -> str:
    """The ratio of the medians and, over the rounds both ran in, the range of the per-round
    ratios: ``1.43× (per round 1.38–1.51×)``."""
    ratio = statistics.median(numerators) / statistics.median(denominators)
    pairs = [a / b for a, b in zip(numerators, denominators, strict=False) if b]
    if len(pairs) < 2:
        return f"{ratio:.2f}×"
    return f"{ratio:.2f}× (per round {min(pairs):.2f}–{max(pairs):.2f}×)"
