"""Hot API read paths against their floor: the same payload from minimal reads and orjson.

    python -m benchmarks.api_floor [--projects 100000] [--repeat 15]

For each hot read path (:data:`FLOORS`), in this process, as the served API runs
(``config.wsgi.application``: the whole middleware stack, token authentication, the view, the
renderer, with the garbage-collector tuning of ``config.gc_tuning``):

- the API: one request through the WSGI application, as a 财政审核人 of the synthetic province
  (``benchmarks.generate``) with an API token;
- the floor: the least a server could do for the same bytes — the user's memberships read
  first (one small query, as the API does), then the same rows read with as few SQL queries as
  the payload allows (the subtrees named as path prefixes, so PostgreSQL plans the scope as it
  does the API's), turned into the payload by plain Python and encoded by orjson. No
  framework, no authentication, no model instances.

Before timing, the floor's bytes must equal the API's response body byte for byte (else the
script stops: a floor that returns something else measures nothing). Then both take turns
(``--repeat`` rounds, order rotated each round, after one warm-up request each: a server's
steady state); printed per variant the median, fastest and slowest and spread, and the ratio
of the medians with the range of the per-round ratios. Target (issue 19): the goal list
within 1.5× of its floor.

Adding a floor for another endpoint: write a function ``(Context) -> bytes`` that reads its
rows and builds its payload, and add a :class:`Floor` with the API path and target to
:func:`floors`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from . import setup_django
from .measure import describe, median, ratio_range, rounds

HOST = "testserver"  # what django.test.RequestFactory sends as the host


@dataclass(frozen=True)
class Context:
    user_id: int
    token: str
    zone: ZoneInfo  # the API's time zone (settings.TIME_ZONE): datetimes are shown in it


@dataclass(frozen=True)
class Floor:
    """A hot read path: the API request and the floor that must return the same bytes."""

    name: str
    path: str  # path and query string, as a client sends them
    floor: Callable[[Context, str], bytes]  # (context, path) → the response body
    target: float  # the API may take at most this many times the floor's time
    context: Context | None = None  # another user than the run's 财政审核人


# --- the goal list: two queries and orjson -------------------------------------------------

GOAL_PAGE_SQL = """
    SELECT g.id, g.scope, g.year, g.version, g.previous_id, g.status,
           p.id, p.code, p.name, p.year, p.category,
           u.id, u.code, u.name, u.kind, u.path,
           g.overall_goal, g.midterm_goal, g.adjustment_reason, g.budget_total,
           g.budget_government, g.budget_fiscal_special, g.budget_unit_funds, g.budget_basic,
           g.budget_project, g.quality_findings, g.quality_checked_at, g.quality_grade,
           g.last_comment, g.submitted_at, g.step_entered_at, g.approved_at, g.lock_version,
           g.created_at, g.updated_at,
           (SELECT json_agg(json_build_object('id', t.id, 'order', t."order", 'name', t.name,
                                              'content', t.content) ORDER BY t."order", t.id)
              FROM performance_goaltask t WHERE t.goal_id = g.id)
    FROM performance_performancegoal g
    JOIN projects_unit u ON u.id = g.unit_id
    LEFT JOIN projects_project p ON p.id = g.project_id
    WHERE g.id > %(after)s AND g.unit_id IN (SELECT su.id FROM projects_unit su WHERE {scope})
    ORDER BY g.id LIMIT %(limit)s
"""
MEMBERSHIPS_SQL = """
    SELECT mu.path, m.role FROM projects_membership m JOIN projects_unit mu ON mu.id = m.unit_id
    WHERE m.user_id = %s
"""
INDICATORS_SQL = """
    SELECT id, goal_id, "order", level1, level2, level3, category, raw_value, operator,
           target_value, target_unit, kind, direction, relative_to, weight, explanation,
           findings, library_code, library_entry_id, lock_version, updated_at
    FROM performance_indicator WHERE goal_id = ANY(%s) ORDER BY "order", id
"""
GOAL_BUDGETS = (
    "budget_total",
    "budget_government",
    "budget_fiscal_special",
    "budget_unit_funds",
    "budget_basic",
    "budget_project",
)
FINDING_KEYS = ("code", "severity", "message", "field")
QUALITY_FINDING_KEYS = (*FINDING_KEYS, "indicator_id")


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _when(value: dt.datetime | None, zone: ZoneInfo) -> dt.datetime | None:
    return None if value is None else value.astimezone(zone)


def _json(text):
    import orjson

    return orjson.loads(text) if isinstance(text, str | bytes) else text


def _findings(items: list, keys: tuple[str, ...]) -> list[dict]:
    return [{key: item[key] for key in keys if key in item} for item in items]


def memberships(user_id: int) -> list[tuple[str, str]]:
    """The user's ``(unit path, role)`` pairs: the one small query every scoped request makes
    first (as ``projects.permissions.scope`` does), so the page query can name the subtrees."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(MEMBERSHIPS_SQL, [user_id])
        return cursor.fetchall()


def subtrees(paths, params: dict, column: str = "su.path", *, below: bool = False) -> str:
    """``column`` in any of the subtrees at ``paths`` (strictly below them with ``below``), as
    the API's querysets write it (``path LIKE 'prefix%'``, the prefix as a parameter): so the
    planner sees the prefixes and estimates the scope as it does for the API; ``FALSE`` for
    none. Each prefix is added to ``params`` under a new name."""
    terms = []
    for path in sorted(set(paths)):
        key = f"p{len(params)}"
        escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params[key] = escaped + "%"
        term = f"{column} LIKE %({key})s"
        if below:
            params[key + "x"] = path
            term = f"({term} AND {column} <> %({key}x)s)"
        terms.append(term)
    return "(" + " OR ".join(terms) + ")" if terms else "FALSE"


def _link(path: str, **params: str) -> str:
    """``http://testserver<path>`` with ``params`` set, the query sorted (as DRF links are)."""
    parts = urlsplit(path)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit(("http", HOST, parts.path, urlencode(sorted(query.items())), ""))


def _cursor(position: int, *, reverse: bool = False) -> str:
    import base64

    tokens = {"r": "1", "p": str(position)} if reverse else {"p": str(position)}
    return base64.b64encode(urlencode(tokens).encode("ascii")).decode("ascii")


def goal_list_floor(context: Context, path: str) -> bytes:
    """``GET /api/v1/goals/?page_size=N[&cursor=…]``: the page's goals with their units,
    projects and tasks (one query), then their indicators (one query)."""
    import orjson
    from django.db import connection

    query = dict(parse_qsl(urlsplit(path).query))
    size = int(query.get("page_size", 50))
    after = 0
    if "cursor" in query:
        import base64

        tokens = dict(parse_qsl(base64.b64decode(query["cursor"]).decode("ascii")))
        after = int(tokens["p"])
    zone = context.zone
    params: dict = {"after": after, "limit": size + 1}
    scope = subtrees([path for path, _role in memberships(context.user_id)], params)
    with connection.cursor() as cursor:
        cursor.execute(GOAL_PAGE_SQL.format(scope=scope), params)
        goals = cursor.fetchall()
        more = len(goals) > size
        goals = goals[:size]
        cursor.execute(INDICATORS_SQL, [[row[0] for row in goals]])
        indicators = cursor.fetchall()
    by_goal: dict[int, list] = {row[0]: [] for row in goals}
    for row in indicators:
        findings = _json(row[16])
        by_goal[row[1]].append(
            {
                "id": row[0],
                "goal": row[1],
                "order": row[2],
                "level1": row[3],
                "level2": row[4],
                "level3": row[5],
                "category": row[6],
                "raw_value": row[7],
                "target": {
                    "operator": row[8],
                    "value": _decimal(row[9]),
                    "unit": row[10],
                    "kind": row[11],
                    "direction": row[12],
                    "relative_to": row[13],
                },
                "weight": _decimal(row[14]),
                "explanation": row[15],
                "findings": _findings(findings, FINDING_KEYS),
                "needs_attention": any(f.get("severity") == "error" for f in findings),
                "library_code": row[17],
                "library_entry": row[18],
                "lock_version": row[19],
                "updated_at": _when(row[20], zone),
            }
        )
    results = []
    for row in goals:
        codes = [code for code in row[15].split("/") if code]
        quality = _json(row[25])
        payload = {
            "id": row[0],
            "scope": row[1],
            "year": row[2],
            "version": row[3],
            "previous": row[4],
            "status": row[5],
            "project": None
            if row[6] is None
            else {
                "id": row[6],
                "code": row[7],
                "name": row[8],
                "year": row[9],
                "category": row[10],
            },
            "unit": {
                "id": row[11],
                "code": row[12],
                "name": row[13],
                "kind": row[14],
                "department_code": codes[1] if len(codes) > 1 else None,
            },
            "overall_goal": row[16],
            "midterm_goal": row[17],
            "adjustment_reason": row[18],
        }
        for name, value in zip(GOAL_BUDGETS, row[19:25], strict=True):
            payload[name] = _decimal(value)
        payload.update(
            {
                "quality_findings": _findings(quality, QUALITY_FINDING_KEYS),
                "quality_checked_at": _when(row[26], zone),
                "quality_grade": row[27],
                "error_count": sum(1 for f in quality if f.get("severity") == "error"),
                "warning_count": sum(1 for f in quality if f.get("severity") == "warning"),
                "last_comment": row[28],
                "submitted_at": _when(row[29], zone),
                "step_entered_at": _when(row[30], zone),
                "approved_at": _when(row[31], zone),
                "lock_version": row[32],
                "created_at": _when(row[33], zone),
                "updated_at": _when(row[34], zone),
                "indicators": by_goal[row[0]],
                "tasks": _json(row[35]) or [],
            }
        )
        results.append(payload)
    body = orjson.dumps(
        {
            "next": _link(path, cursor=_cursor(goals[-1][0])) if more else None,
            "previous": _link(path, cursor=_cursor(goals[0][0], reverse=True))
            if after and goals
            else None,
            "results": results,
        }
    )
    if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:  # as the API's renderer escapes them
        body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return body


# --- the to-do list: one statement and orjson ----------------------------------------------

# The same sources as performance/selectors/todo (a 主管部门 or 财政审核人's lines: documents at
# his step, overdue units strictly below him per closed window), hand-written: scope by the
# subtrees of the user's memberships holding the step's roles (read first, as the API does),
# the step's arrival from the document's step_entered_at, a report only while its round is open
# (the selector's LIVE rule), one UNION ALL numbered and counted per kind with window functions.
_ARRIVED = "COALESCE(d.step_entered_at, d.created_at)"
_REVIEW = """SELECT 1 AS t_rank, '{kind}' AS t_kind, d.id AS t_object, u.id AS t_unit,
    u.code AS t_unit_code, u.name AS t_unit_name, {year} AS t_year, {name} AS t_name,
    {version} AS t_version, d.status::text AS t_status, {arrived} AS t_since,
    NULL::date AS t_due, NULL::integer AS t_count, {extra} AS t_extra
    FROM {table} d JOIN projects_unit u ON u.id = d.unit_id {joins}
    WHERE d.status = '{status}' AND {live} AND {scope}"""
_WINDOW = """(SELECT max(w.closes_on) FROM performance_reportingwindow w WHERE w.kind = '{kind}'
    AND w.year = {year} AND w.is_active AND w.opens_on <= %(today)s AND w.closes_on < %(today)s)"""
_OVERDUE = """SELECT 5, 'units.overdue', u.id, u.id, u.code, u.name, {year}, NULL::text, NULL::integer,
    '{kind}', NULL::timestamptz, {window}, count(*)::integer, '{label}'
    FROM {rows} JOIN projects_unit u ON u.id = d.unit_id
    WHERE u.is_active AND {window} IS NOT NULL AND {condition} AND {scope}
    GROUP BY u.id, u.code, u.name, {year}"""
_GOAL = """SELECT 1 FROM performance_performancegoal g WHERE g.scope = 'project'
    AND g.project_id = d.id AND g.year = d.year AND g.status IN ({states})"""
_OVERDUE_RULES = (
    # (window kind, label, rows, year, condition)
    (
        "goal_set",
        "目标申报",
        "projects_project d",
        "d.year",
        "NOT EXISTS ("
        + _GOAL.format(states="'submitted','dept_approved','approved','superseded'")
        + ")",
    ),
    (
        "monitoring",
        "绩效监控",
        "performance_monitoringreport d JOIN performance_monitoringround r ON r.id = d.round_id",
        "r.year",
        "d.status IN ('draft','returned') AND r.status = 'open' AND EXISTS (SELECT 1 FROM performance_reportingwindow w"
        " WHERE w.kind = 'monitoring' AND w.is_active AND w.closes_on < %(today)s AND"
        " (w.monitoring_round_id = d.round_id OR (w.monitoring_round_id IS NULL AND w.year = r.year)))",
    ),
    (
        "self_evaluation",
        "绩效自评",
        "projects_project d",
        "d.year",
        "EXISTS (" + _GOAL.format(states="'approved'") + ") AND NOT EXISTS (SELECT 1"
        " FROM performance_selfevaluation e WHERE e.scope = 'project' AND e.project_id = d.id"
        " AND e.year = d.year AND e.status IN ('submitted','dept_approved','approved'))",
    ),
    (
        "adjustment",
        "目标调整",
        "projects_project d",
        "d.year",
        "EXISTS (SELECT 1 FROM projects_projectbudget b WHERE b.project_id = d.id"
        " AND b.adjusted_amount <> b.amount) AND EXISTS (SELECT 1 FROM performance_performancegoal g"
        " WHERE g.scope = 'project' AND g.project_id = d.id AND g.year = d.year"
        " AND g.status = 'approved' AND g.previous_id IS NULL) AND NOT "
        "EXISTS (" + _GOAL.format(states="'draft','submitted','dept_approved','returned'") + ")",
    ),
)
_DOCUMENTS = (
    # (key, table, year, name, version, extra, joins, live)
    (
        "goal",
        "performance_performancegoal",
        "d.year",
        "COALESCE(p.name, u.name || '（整体）')",
        "d.version",
        "NULL::text",
        "LEFT JOIN projects_project p ON p.id = d.project_id",
        "TRUE",
    ),
    (
        "report",
        "performance_monitoringreport",
        "r.year",
        "p.name",
        "NULL::integer",
        "r.title",
        "JOIN projects_project p ON p.id = d.project_id"
        " JOIN performance_monitoringround r ON r.id = d.round_id",
        "r.status = 'open'",
    ),
    (
        "evaluation",
        "performance_selfevaluation",
        "d.year",
        "COALESCE(p.name, u.name || '（整体）')",
        "NULL::integer",
        "NULL::text",
        "LEFT JOIN projects_project p ON p.id = d.project_id",
        "TRUE",
    ),
)
_STEPS = (
    ("unit_review", ("unit_reviewer",)),
    ("submitted", ("dept_reviewer",)),
    ("dept_approved", ("finance_reviewer",)),
)
_OVERDUE_ROLES = ("dept_reviewer", "finance_reviewer")
TODO_ORDER = (
    "t_rank, (t_due IS NULL), t_due, (t_since IS NULL), t_since, t_kind, t_object, t_status"
)


def todo_sql(held: list[tuple[str, str]]) -> tuple[str, dict]:
    """The to-do statement for a user holding ``held`` (``(unit path, role)`` pairs) and its
    scope parameters: each part names the subtrees where the user holds its roles."""
    params: dict = {}

    def scope(roles: tuple[str, ...], *, below: bool = False) -> str:
        paths = [path for path, role in held if role in roles]
        return subtrees(paths, params, "u.path", below=below)

    parts = [
        _REVIEW.format(
            kind=f"{key}.review",
            table=table,
            year=year,
            name=name,
            version=version,
            extra=extra,
            joins=joins,
            status=status,
            live=live,
            arrived=_ARRIVED,
            scope=scope(roles),
        )
        for key, table, year, name, version, extra, joins, live in _DOCUMENTS
        for status, roles in _STEPS
    ] + [
        _OVERDUE.format(
            kind=kind,
            label=label,
            rows=rows,
            year=year,
            condition=condition,
            window=_WINDOW.format(kind=kind, year=year),
            scope=scope(_OVERDUE_ROLES, below=True),
        )
        for kind, label, rows, year, condition in _OVERDUE_RULES
    ]
    sql = f"""
        SELECT * FROM (
            SELECT t.*, ROW_NUMBER() OVER (ORDER BY {TODO_ORDER}) AS rn,
                   COUNT(*) OVER (PARTITION BY t_kind) AS n_kind,
                   ROW_NUMBER() OVER (PARTITION BY t_kind ORDER BY t_object) AS rn_kind
            FROM ({" UNION ALL ".join(parts)}) t
        ) w
        WHERE (rn > %(offset)s AND rn <= %(end)s) OR rn_kind = 1
        ORDER BY rn
    """
    return sql, params  # fmt: skip


_KIND_ORDER = (
    "goal.review", "report.review", "evaluation.review", "goal.returned", "report.returned",
    "evaluation.returned", "goal.draft", "report.draft", "evaluation.draft", "goal.start",
    "evaluation.start", "goal.adjust", "units.overdue",
)  # fmt: skip
_NOUNS = {"goal": "绩效目标", "report": "监控表", "evaluation": "绩效自评"}
_ADMIN = {"goal": "performancegoal", "report": "monitoringreport", "evaluation": "selfevaluation"}
_API = {"goal": "goals", "report": "monitoring-reports", "evaluation": "evaluations"}
_STATUS = {"unit_review": "待单位审核", "submitted": "已提交", "dept_approved": "主管部门审核通过"}


def _working_days(start: dt.date, end: dt.date) -> int:
    return sum(
        1 for k in range(1, (end - start).days + 1) if (start + dt.timedelta(k)).weekday() < 5
    )


def _plus_working_days(start: dt.date, n: int) -> dt.date:
    day = start
    while n:
        day += dt.timedelta(1)
        n -= day.weekday() < 5
    return day


def todo_floor(context: Context, path: str) -> bytes:
    """``GET /api/v1/todo/?page_size=N``: the user's lines and counts in one statement."""
    import orjson
    from django.db import connection, transaction

    size = int(dict(parse_qsl(urlsplit(path).query)).get("page_size", 50))
    today = dt.datetime.now(context.zone).date()
    sql, params = todo_sql(memberships(context.user_id))
    with transaction.atomic(), connection.cursor() as cursor:
        # Without PostgreSQL's JIT: the per-row window subplans put this statement's estimate
        # (≈ 4.8 million at 100,000 projects) above jit_above_cost, and compiling it took 2.0 s
        # of a 2.4 s run; the API's statement is estimated far lower and is never compiled.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, {**params, "today": today, "offset": 0, "end": size})
        rows = cursor.fetchall()
    counts: dict[str, int] = {}
    results = []
    for (_rank, kind, obj, unit, code, unit_name, year, name, version, status, since, due,
         count, extra, rn, n_kind, _rn_kind) in rows:  # fmt: skip
        counts[kind] = n_kind
        if rn > size:
            continue
        if kind == "units.overdue":
            line = {
                "key": f"{kind}:{obj}:{status}:{year}", "kind": kind, "kind_label": "逾期未报的单位",
                "group": "overdue", "group_label": "逾期单位",
                "object": {"type": "unit", "id": obj, "url": f"/api/v1/units/{obj}/"},
                "unit": {"id": unit, "code": code, "name": unit_name}, "year": year,
                "title": f"{year}年{extra}：{count} 项未完成", "status": status,
                "status_label": extra, "since": None, "waited_working_days": None,
                "due": due, "overdue": due < today, "overdue_days": max((today - due).days, 0),
                "count": count, "note": "", "actor": "", "actions": ["open"],
                "link": f"/admin/dashboard/?year={year}&unit={code}",
            }  # fmt: skip
        else:
            key = kind.split(".")[0]
            arrived = since.astimezone(context.zone).date()
            due = _plus_working_days(arrived, 5)
            title = (
                f"{year}年 {name} 绩效目标 v{version}" if key == "goal"
                else f"{name} 监控表（{extra}）" if key == "report"
                else f"{year}年 {name} 绩效自评"
            )  # fmt: skip
            line = {
                "key": f"{kind}:{obj}", "kind": kind, "kind_label": f"待审核的{_NOUNS[key]}",
                "group": "review", "group_label": "待我审核",
                "object": {"type": key, "id": obj, "url": f"/api/v1/{_API[key]}/{obj}/"},
                "unit": {"id": unit, "code": code, "name": unit_name}, "year": year,
                "title": title, "status": status, "status_label": _STATUS[status],
                "since": since.astimezone(context.zone), "waited_working_days":
                _working_days(arrived, today), "due": due, "overdue": due < today,
                "overdue_days": max((today - due).days, 0), "count": 1, "note": "",
                "actor": "", "actions": ["approve", "return"],
                "link": f"/admin/performance/{_ADMIN[key]}/{obj}/change/#workflow-panel",
            }  # fmt: skip
        results.append(line)
    total = sum(counts.values())
    body = orjson.dumps(
        {
            "count": total,
            "counts": {kind: counts[kind] for kind in _KIND_ORDER if kind in counts},
            "next": f"http://{HOST}{path}&page=2" if size < total else None,
            "previous": None,
            "results": results,
        },
        option=orjson.OPT_PASSTHROUGH_DATETIME,
        default=lambda value: value.isoformat(),
    )
    return body


def department_reviewer(zone: ZoneInfo) -> Context:
    """A 主管部门审核人 of the first synthetic department (``B0000``), with an API token."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from projects.choices import Role
    from projects.models import Membership, Unit

    user, _ = get_user_model().objects.get_or_create(username="bench_todo_dept")
    Membership.objects.get_or_create(
        user=user, unit=Unit.objects.get(code="B0000"), role=Role.DEPT_REVIEWER
    )
    token = Token.objects.get_or_create(user=user)[0].key
    return Context(user_id=user.pk, token=token, zone=zone)


def prepare_todo() -> None:
    """A closed self-evaluation window of the generated year (idempotent): the generated
    evaluations are drafts, so every unit with projects is overdue below the finance bureau."""
    from performance.models import ReportingWindow

    from .generate import YEAR

    ReportingWindow.objects.get_or_create(
        kind="self_evaluation",
        year=YEAR,
        title=f"基准：{YEAR}年度项目绩效自评",
        defaults={"opens_on": dt.date(YEAR + 1, 1, 15), "closes_on": dt.date(YEAR + 1, 4, 30)},
    )


# --- the registry --------------------------------------------------------------------------


def floors(context: Context) -> list[Floor]:
    """Every hot read path with its floor, on the current data."""
    from django.contrib.auth import get_user_model

    from performance.selectors.scoping import goals_for

    from .api_pagination import DEPTH, PAGE_SIZE, cursor_after

    prepare_todo()
    user = get_user_model().objects.get(pk=context.user_id)
    goals = goals_for(user).order_by("id")
    offset = (int(goals.count() * DEPTH) // PAGE_SIZE) * PAGE_SIZE
    before = goals.values_list("id", flat=True)[offset - 1]
    return [
        Floor(
            "goal list, first page", f"/api/v1/goals/?page_size={PAGE_SIZE}", goal_list_floor, 1.5
        ),
        Floor(
            "goal list, deep page",
            f"/api/v1/goals/?page_size={PAGE_SIZE}&cursor={cursor_after(before)}",
            goal_list_floor,
            1.5,
        ),
        Floor(
            "to-do list, finance reviewer", f"/api/v1/todo/?page_size={PAGE_SIZE}", todo_floor, 2.0
        ),
        Floor(
            "to-do list, department reviewer",
            f"/api/v1/todo/?page_size={PAGE_SIZE}",
            todo_floor,
            2.0,
            department_reviewer(context.zone),
        ),
    ]


# --- measuring -----------------------------------------------------------------------------


def api_request(context: Context, path: str) -> tuple[float, bytes]:
    """One request through the WSGI application: (seconds, response body)."""
    from django.test import RequestFactory

    from config.wsgi import application

    environ = (
        RequestFactory()
        .get(path, HTTP_AUTHORIZATION=f"Token {context.token}", HTTP_ACCEPT_LANGUAGE="zh-hans")
        .environ
    )
    status: list[str] = []
    started = time.perf_counter()
    chunks = application(environ, lambda code, headers, exc_info=None: status.append(code))
    body = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    elapsed = time.perf_counter() - started
    if not status or not status[0].startswith("200"):
        raise SystemExit(f"{path}: HTTP {status[:1]} {body[:300]!r}")
    return elapsed, body


def floor_request(context: Context, case: Floor) -> tuple[float, bytes]:
    context = case.context or context
    started = time.perf_counter()
    body = case.floor(context, case.path)
    return time.perf_counter() - started, body


def first_difference(a: bytes, b: bytes) -> str:
    index = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    if index is None:
        index = min(len(a), len(b))
    return (
        f"{len(a)} vs {len(b)} bytes, first difference at byte {index}:"
        f" API …{a[max(0, index - 80) : index + 80].decode('utf-8', 'replace')}…"
        f" floor …{b[max(0, index - 80) : index + 80].decode('utf-8', 'replace')}…"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15, help="rounds of every variant")
    args = parser.parse_args()
    setup_django()
    from django.conf import settings

    import config.wsgi  # noqa: F401  (the application as served: its GC tuning applies here too)

    from .api_pagination import bench_user
    from .recompute import scope_units

    scope_units(args.projects)
    user, token = bench_user()
    context = Context(user_id=user.pk, token=token, zone=ZoneInfo(settings.TIME_ZONE))
    cases = floors(context)
    print(
        f"API hot read paths against their floors as a 财政审核人 of {args.projects} projects;"
        f" {args.repeat} rounds after one warm-up each, the variants interleaved",
        flush=True,
    )
    expected: dict[str, bytes] = {}
    for case in cases:  # same bytes first: also the warm-up
        _, api = api_request(case.context or context, case.path)
        _, floor = floor_request(context, case)
        if api != floor:
            raise SystemExit(
                f"{case.name}: the floor's payload is not the API's: {first_difference(api, floor)}"
            )
        expected[case.name] = api
        print(f"  {case.name}: floor and API return the same {len(api)} bytes", flush=True)
    variants = [(case, kind) for case in cases for kind in ("API", "floor")]
    samples: dict[tuple[str, str], list[float]] = {(c.name, k): [] for c, k in variants}
    differing = 0
    for _, (case, kind) in rounds(variants, args.repeat):
        if kind == "API":
            elapsed, body = api_request(case.context or context, case.path)
        else:
            elapsed, body = floor_request(context, case)
        samples[(case.name, kind)].append(elapsed)
        differing += body != expected[case.name]  # every timed response, not only the first
    met = differing == 0
    parts = []
    for case in cases:
        api, floor = samples[(case.name, "API")], samples[(case.name, "floor")]
        ratio = median(api) / median(floor)
        met = met and ratio <= case.target
        print(f"{case.name}:")
        print(f"  API   {describe(api, unit='ms', scale=1000)}")
        print(f"  floor {describe(floor, unit='ms', scale=1000)}")
        print(f"  API / floor {ratio_range(api, floor)} (target ≤ {case.target}×)")
        parts.append(
            f"{case.name} {median(api) * 1000:.1f} ms vs floor {median(floor) * 1000:.1f} ms ="
            f" {ratio_range(api, floor)} (target ≤ {case.target}×)"
        )
    print(
        f"RESULT api_floor: {'; '.join(parts)}; responses differing from the first:"
        f" {differing} (target 0) → {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
