"""Text the library search and suggestions compare: NFKC folding and pg_trgm's similarity.

``similarity`` is the pure Python twin of PostgreSQL's ``pg_trgm.similarity()`` (words are
runs of letters and digits, lower-cased, padded as ``"  word "``, 3-character windows, the
share of common trigrams in the union), so SQLite and PostgreSQL rank alike. Standard library
only: the engine's rule of purity applies.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD = re.compile(r"[^\W_]+")
# pg_trgm's default ``similarity_threshold`` (the ``%`` operator), as a fraction 3/10.
THRESHOLD_NUMERATOR, THRESHOLD_DENOMINATOR = 3, 10


def normalise(text: str | None) -> str:
    """NFKC-folded, lower-cased, whitespace collapsed: how search text and queries compare."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(folded.split())


@lru_cache(maxsize=4096)
def trigrams(text: str | None) -> frozenset[str]:
    """The trigram set pg_trgm's ``show_trgm`` would give for ``text``."""
    grams: set[str] = set()
    for word in WORD.findall((text or "").lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def _shared_and_union(a: str | None, b: str | None) -> tuple[int, int]:
    first, second = trigrams(a), trigrams(b)
    shared = len(first & second)
    return shared, len(first) + len(second) - shared


def similarity(a: str | None, b: str | None) -> float:
    """pg_trgm's ``similarity(a, b)``: common trigrams / all trigrams (0 when either is empty)."""
    shared, union = _shared_and_union(a, b)
    return shared / union if union else 0.0


def similar(a: str | None, b: str | None) -> bool:
    """pg_trgm's ``a % b`` at the default threshold 0.3, compared exactly in integers."""
    shared, union = _shared_and_union(a, b)
    return bool(union) and shared * THRESHOLD_DENOMINATOR >= union * THRESHOLD_NUMERATOR
