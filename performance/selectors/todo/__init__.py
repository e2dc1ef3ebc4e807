"""The to-do list (待办): what waits for a user, by role, computed live from the documents.

``todo_for(user)`` answers it in a fixed number of queries whatever the list's length: the
user's memberships (cached on the user for the request) and one SQL statement that unions every
applicable source (``sources.SOURCES``), numbers the rows with window functions and carries the
count per kind, so a page of lines and all the counts come back together. ``todo_count(user)``
is the header's number: one ``COUNT(*)`` over the same parts, overdue-unit lines excluded (they
are for reading, not acting).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connections, router
from django.utils import timezone

from projects.models import Unit
from projects.permissions.scope import _membership_paths

from ...models import PerformanceGoal
from .items import TodoItem, build_item, review_arrival
from .sources import (
    COLUMN_NAMES,
    GROUP_CODES,
    GROUP_LABELS,
    KINDS,
    SOURCES,
    SOURCES_BY_KIND,
    Scope,
    TodoGroup,
)
from .timing import ReviewTiming

__all__ = [
    "GROUP_CODES",
    "GROUP_LABELS",
    "KINDS",
    "SOURCES",
    "TodoGroup",
    "TodoItem",
    "TodoList",
    "todo_count",
    "todo_for",
]


@dataclass
class TodoList:
    """One page of lines, the number of lines per kind and in all (every page together)."""

    items: list[TodoItem]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def header_total(self) -> int:
        """Lines that ask the user to act (overdue units excluded)."""
        return sum(n for kind, n in self.counts.items() if SOURCES_BY_KIND[kind].in_header)

    @property
    def summary(self) -> str:
        """The count sentence of the home page and of 全部待办 (one wording for both).

        Lines kept for attention only (overdue units) are counted apart, so a heading never says
        “共 1 项” above two lines.
        """
        if self.total == self.header_total:
            return f"共 {self.total} 项"
        return f"共 {self.total} 项，其中待您办理 {self.header_total} 项"

    def groups(self) -> list[dict]:
        """The lines by group, in page order, with each group's total count."""
        result = []
        for group in TodoGroup:
            kinds = [s.kind for s in SOURCES if s.group == group]
            count = sum(self.counts.get(kind, 0) for kind in kinds)
            if not count:
                continue
            result.append(
                {
                    "code": GROUP_CODES[group],
                    "label": GROUP_LABELS[group],
                    "count": count,
                    "items": [item for item in self.items if item.group == group],
                }
            )
        return result


def _scope(user, today: dt.date, unit: Unit | None) -> Scope | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return Scope(
        paths=tuple(sorted(set(_membership_paths(user)))),
        today=today,
        under=unit.path if unit is not None else None,
    )


def _parts_sql(scope: Scope, kinds: Iterable[str] | None, *, header_only: bool = False):
    """Each applicable source's parts compiled by Django: ``[(sql, params)]``.

    Compiling the parts costs more than running them for a small department (about 19 ms for
    seven parts), and the SQL depends only on the scope, the day and the kinds: it is kept per
    process for each such combination (a change of memberships is another scope).
    """
    return _compiled(
        scope.paths,
        scope.today,
        scope.under,
        None if kinds is None else tuple(sorted(set(kinds))),
        header_only,
    )


@functools.lru_cache(maxsize=1024)
def _compiled(paths, today, under, kinds, header_only) -> tuple[tuple[str, tuple], ...]:
    scope = Scope(paths=paths, today=today, under=under)
    wanted = set(kinds) if kinds is not None else None
    compiled = []
    for source in SOURCES:
        if wanted is not None and source.kind not in wanted:
            continue
        if header_only and not source.in_header:
            continue
        for queryset in source.parts(scope):
            sql, params = queryset.query.sql_with_params()
            compiled.append((sql, tuple(params)))
    return tuple(compiled)


def _union(compiled) -> tuple[str, list]:
    columns = ", ".join(COLUMN_NAMES)
    sql = " UNION ALL ".join(
        f"SELECT {columns} FROM ({part}) p{index}" for index, (part, _p) in enumerate(compiled)
    )
    params: list = []
    for _part, part_params in compiled:
        params.extend(part_params)
    return sql, params


# Order of the lines: group, then the due date (none last), then the time the item reached its
# state (oldest first; none last), then kind and object for a stable order.
ORDER = "t_rank, (t_due IS NULL), t_due, (t_since IS NULL), t_since, t_kind, t_object, t_status"


def todo_for(
    user,
    *,
    kind: str | Iterable[str] | None = None,
    unit: Unit | None = None,
    today: dt.date | None = None,
    offset: int = 0,
    limit: int | None = 50,
    per_group: int | None = None,
) -> TodoList:
    """The user's to-do lines (optionally of some kinds, in one unit's subtree) and counts.

    ``offset``/``limit`` page through the whole list in its order; ``per_group`` instead keeps
    the first lines of each group (the home page). ``unit`` must be one the caller may see
    (the API and admin check it); lines outside the user's own scope never appear anyway.
    """
    today = today or timezone.localdate()
    kinds = [kind] if isinstance(kind, str) else (list(kind) if kind is not None else None)
    scope = _scope(user, today, unit)
    if scope is None:
        return TodoList(items=[])
    compiled = _parts_sql(scope, kinds)
    if not compiled:
        return TodoList(items=[])
    union, params = _union(compiled)
    if per_group is not None:
        keep, keep_params = "rn_group <= %s", [per_group]
    else:
        keep = "(rn_all > %s AND rn_all <= %s)"
        keep_params = [offset, offset + limit if limit is not None else 2**31]
    sql = f"""
        SELECT {", ".join(COLUMN_NAMES)}, rn_all, rn_kind, n_kind,
               CASE WHEN {keep} THEN 1 ELSE 0 END AS shown
        FROM (
            SELECT u.*,
                   ROW_NUMBER() OVER (ORDER BY {ORDER}) AS rn_all,
                   ROW_NUMBER() OVER (PARTITION BY t_rank ORDER BY {ORDER}) AS rn_group,
                   ROW_NUMBER() OVER (PARTITION BY t_kind ORDER BY t_object) AS rn_kind,
                   COUNT(*) OVER (PARTITION BY t_kind) AS n_kind
            FROM ({union}) u
        ) w
        WHERE {keep} OR rn_kind = 1
        ORDER BY rn_all
    """
    using = router.db_for_read(PerformanceGoal)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [*keep_params, *params, *keep_params])
        rows = cursor.fetchall()
    counts: dict[str, int] = {}
    width = len(COLUMN_NAMES)
    shown = []
    for row in rows:
        values = dict(zip(COLUMN_NAMES, row[:width], strict=True))
        counts[values["t_kind"]] = row[width + 2]
        if row[width + 3]:
            shown.append(values)
    arrivals = [a for a in map(review_arrival, shown) if a is not None]
    timing = ReviewTiming.for_lines(today, arrivals)
    items = [build_item(values, today, timing) for values in shown]
    ordered = {k: counts[k] for k in KINDS if k in counts}
    return TodoList(items=items, counts=ordered)


def todo_count(user, *, today: dt.date | None = None) -> int:
    """How many lines ask the user to act (the header's number): one ``COUNT(*)``."""
    today = today or timezone.localdate()
    scope = _scope(user, today, None)
    if scope is None:
        return 0
    compiled = _parts_sql(scope, None, header_only=True)
    if not compiled:
        return 0
    union, params = _union(compiled)
    using = router.db_for_read(PerformanceGoal)
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({union}) u", params)
        return int(cursor.fetchone()[0])
