"""pg_trgm and its Python twin agree on PostgreSQL: ``similarity()`` of real project and
indicator names, the ``%`` lookup, and the library search's order (design §12.13)."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection

from performance import text
from performance.models import LibraryEntry
from performance.selectors import library as selectors
from projects.models import Project

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_trigram_similarity_equals_python_twin_on_demo_names(demo):
    names = sorted(set(Project.objects.values_list("name", flat=True)))[:25]
    names += sorted(set(LibraryEntry.objects.values_list("level3", flat=True)))[:25]
    pairs = list(itertools.combinations(names, 2))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT similarity(a, b), a %% b FROM unnest(%s::text[], %s::text[]) AS t(a, b)",
            [[a for a, _ in pairs], [b for _, b in pairs]],
        )
        rows = cursor.fetchall()
    assert len(rows) == len(pairs) > 500
    for (a, b), (sql_similarity, sql_similar) in zip(pairs, rows, strict=True):
        assert text.similarity(a, b) == pytest.approx(sql_similarity, abs=1e-6), (a, b)
        if abs(sql_similarity - 0.3) > 1e-6:  # exactly 0.3: float4 vs exact fractions
            assert text.similar(a, b) == sql_similar, (a, b)


def test_search_order_is_the_python_ranking_on_postgres(demo, filler):
    hits = selectors.search(filler, "满意度", limit=50)
    assert hits
    for hit in hits:
        assert hit.similarity == pytest.approx(
            text.similarity(hit.entry.level3, "满意度"), abs=1e-6
        )
    expected = sorted(
        hits, key=lambda h: (h.tier, -round(h.similarity, 6), not h.entry.is_common, h.entry.code)
    )
    assert [h.entry.pk for h in hits] == [h.entry.pk for h in expected]
