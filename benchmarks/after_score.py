"""Automatic 整改 generation for a whole year at province scale (issue 17 §Scale).

    DATABASE_URL=postgres://…/<a COPY of the 100k province> python -m benchmarks.after_score

Never run it on a database you need: ``--prepare`` (the default) first marks a realistic share
of the year's rows as causes — the year's monitoring rounds closed with every ``--red-every``-th
report red and every ``--impossible-every``-th entry 完全不可能, the year's self-evaluations
approved with every ``--poor-every``-th graded 差 and every ``--deviation-every``-th with a
deviation (the synthetic province has no computed lights or grades).

The project's path is ``services.rectifications.rectifications_raise(year=…)`` (notifications
silenced in both variants: the floor has none). The floor does the same in SQL: per cause one
``INSERT … SELECT … WHERE NOT EXISTS (task of that cause and source) ON CONFLICT DO NOTHING``
(the problem text built in SQL) and one ``INSERT … SELECT`` of the audit rows of what it
created, in one transaction. Before every run the tasks and their audit rows are deleted (not
timed). Checks, not timed: both variants create the same (cause, source, unit, project, year,
deadline, 验收方) rows; a second run of the project's path creates nothing; no (cause, source)
has two tasks. The ratio line is printed last.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from . import setup_django
from .measure import clear_caches, describe, median, ratio_range, rounds

TODAY = dt.date(2026, 3, 1)
KEY = (
    "select cause, coalesce(report_id, 0), coalesce(evaluation_id, 0), "
    "coalesce(spot_check_id, 0), unit_id, coalesce(project_id, 0), year, deadline, review_by "
    "from performance_rectification"
)


def prepare(cursor, year: int, args) -> None:
    cursor.execute(
        "update performance_monitoringround set status = 'closed', "
        "closed_at = coalesce(closed_at, now()) where year = %s",
        [year],
    )
    cursor.execute(
        "update performance_monitoringreport rep set light = case when rep.id %% %s = 0 "
        "then 'red' else 'green' end, execution_rate = 12.5, time_progress = 58.33 "
        "from performance_monitoringround r where rep.round_id = r.id and r.year = %s",
        [args.red_every, year],
    )
    cursor.execute(
        "update performance_monitoringentry e set likelihood = case when e.id %% %s = 0 "
        "then 'impossible' else 'certain' end from performance_monitoringreport rep "
        "join performance_monitoringround r on rep.round_id = r.id "
        "where e.report_id = rep.id and r.year = %s",
        [args.impossible_every, year],
    )
    cursor.execute(
        "update performance_selfevaluation set status = 'approved', "
        "grade = case when id %% %s = 0 then 'poor' when id %% 7 = 0 then 'excellent' "
        "else 'good' end, "
        "total_score = case when id %% %s = 0 then 52 when id %% 7 = 0 then 93 else 85 end, "
        "execution_rate = (id * 37) %% 100, "
        "has_deviation = (id %% %s = 0) where year = %s",
        [args.poor_every, args.poor_every, args.deviation_every, year],
    )
    # The risk draw's many-overrides rule: every indicator of every 40th evaluation overridden.
    cursor.execute(
        "update performance_indicatorevaluation ie set override_score = "
        "case when e.id %% 40 = 0 then coalesce(ie.computed_score, 0) end , override_reason = case when e.id %% 40 = 0 then '基准测试：人工调整' "
        "else '' end "
        "from performance_selfevaluation e where ie.evaluation_id = e.id and e.year = %s",
        [year],
    )


def reset(cursor, content_type: int) -> None:
    cursor.execute("delete from projects_auditentry where content_type_id = %s", [content_type])
    cursor.execute("delete from performance_rectification")


def project_path(year: int) -> int:
    from performance.services import notifications
    from performance.services.rectifications import rectifications_raise

    with notifications.silenced():
        return rectifications_raise(year=year, today=TODAY).total


FLOOR_CAUSES = {
    "red_light": (
        "report_id",
        "performance_monitoringreport s join performance_monitoringround r on s.round_id = r.id "
        "join projects_project p on s.project_id = p.id",
        "r.status = 'closed' and s.light = 'red' and r.year = %(year)s",
        "s.unit_id, s.project_id, r.year",
        "'“' || r.title || ' · ' || p.name || '”综合预警为红灯：预算执行率 ' || "
        "coalesce(s.execution_rate::text, '—') || '%%，时间进度 ' || "
        "coalesce(s.time_progress::text, '—') || '%%。请分析原因、制定整改措施并上传佐证材料。'",
        "dept_reviewer",
    ),
    "impossible": (
        "report_id",
        "performance_monitoringreport s join performance_monitoringround r on s.round_id = r.id "
        "join projects_project p on s.project_id = p.id",
        "r.status = 'closed' and r.year = %(year)s and exists (select 1 from "
        "performance_monitoringentry e where e.report_id = s.id and e.likelihood = 'impossible')",
        "s.unit_id, s.project_id, r.year",
        "'“' || r.title || ' · ' || p.name || '”中指标 ' || (select string_agg('“' || "
        "i.level3 || '”', '、' order by i.\"order\", e.id) from performance_monitoringentry e "
        "join performance_indicator i on e.indicator_id = i.id where e.report_id = s.id and "
        "e.likelihood = 'impossible') || ' 预计全年完全不可能完成。请分析原因、制定整改措施并上传佐证材料。'",
        "dept_reviewer",
    ),
    "poor_grade": (
        "evaluation_id",
        "performance_selfevaluation s left join projects_project p on s.project_id = p.id",
        "s.status = 'approved' and s.grade = 'poor' and s.year = %(year)s",
        "s.unit_id, s.project_id, s.year",
        "'“' || coalesce(p.name, '部门（单位）整体') || '”' || s.year || '年度绩效自评得分 ' || "
        "coalesce(s.total_score::text, '—') || '，等级为“差”。请分析原因、制定整改措施并上传佐证材料。'",
        "dept_reviewer",
    ),
    "deviation": (
        "evaluation_id",
        "performance_selfevaluation s left join projects_project p on s.project_id = p.id",
        "s.status = 'approved' and s.has_deviation and s.grade <> 'poor' and s.year = %(year)s",
        "s.unit_id, s.project_id, s.year",
        "'“' || coalesce(p.name, '部门（单位）整体') || '”' || s.year || '年度绩效自评存在偏差（得分 ' || "
        "coalesce(s.total_score::text, '—') || '）。请针对偏差原因制定整改措施并上传佐证材料。'",
        "dept_reviewer",
    ),
    "review_difference": (
        "spot_check_id",
        "performance_spotcheck s left join projects_project p on s.project_id = p.id",
        "s.outcome in ('confirmed', 'upheld', 'accepted', 'revised') and "
        "s.final_difference >= %(threshold)s and s.year = %(year)s",
        "s.unit_id, s.project_id, s.year",
        "'“' || coalesce(p.name, '部门（单位）整体') || '”复核差异 ' || s.final_difference::text",
        "finance_reviewer",
    ),
}


def floor(cursor, year: int, content_type: int, threshold: int) -> int:
    now = dt.datetime.now(dt.UTC)
    deadline = TODAY + dt.timedelta(days=30)
    created = 0
    for cause, (source, tables, where, columns, problem, review_by) in FLOOR_CAUSES.items():
        cursor.execute(
            f"with new as (insert into performance_rectification (unit_id, project_id, year, "
            f"cause, {source}, review_by, problem, requirement, deadline, measures, result, "
            "raised_at, status, last_comment, lock_version, step_entered_at, created_at, "
            f"updated_at) select {columns}, %(cause)s, s.id, %(review_by)s, {problem}, '', "
            "%(deadline)s, '', '', %(now)s, 'draft', '', 1, %(now)s, %(now)s, %(now)s "
            f"from {tables} where {where} and not exists (select 1 from "
            f"performance_rectification x where x.cause = %(cause)s and x.{source} = s.id) "
            "on conflict do nothing returning id, unit_id, year, deadline) "
            "insert into projects_auditentry (content_type_id, object_id, object_repr, unit_id, "
            "actor_id, action, transition, changes, comment, created_at) select %(ct)s, "
            "new.id::text, new.year || '年 整改任务 #' || new.id, new.unit_id, null, 'create', "
            "'', jsonb_build_object('cause', jsonb_build_array(null, %(cause)s), 'deadline', "
            "jsonb_build_array(null, new.deadline::text)), '系统自动发起整改任务', %(now)s from new",
            {
                "year": year,
                "cause": cause,
                "review_by": review_by,
                "deadline": deadline,
                "now": now,
                "ct": content_type,
                "threshold": threshold,
            },
        )
        created += cursor.rowcount
    return created


DRAW_RULES = (
    "high_score_low_execution",
    "many_overrides",
    "declared_deviation",
    "poor_last_year",
)
DRAW_KEY = (
    "select evaluation_id, unit_id, coalesce(project_id, 0), scheme_id, reasons::text, "
    "self_total, self_grade, review_total, review_grade, difference, status "
    "from performance_spotcheck"
)
DRAW_ROW = "select population, population_digest, sample_digest, drawn, skipped from performance_spotcheckdraw"


def draw_reset(cursor, content_types: tuple[int, int]) -> None:
    cursor.execute("delete from performance_rectification where spot_check_id is not null")
    cursor.execute(
        "delete from projects_auditentry where content_type_id in (%s, %s)", list(content_types)
    )
    cursor.execute("delete from performance_spotcheck")
    cursor.execute("delete from performance_spotcheckdraw")


def draw_project(year: int, actor) -> int:
    from performance.services.spot_checks import spot_check_draw

    rules = [{"rule": name} for name in DRAW_RULES]
    return len(spot_check_draw(actor=actor, year=year, method="risk", rules=rules).created)


def draw_floor(cursor, year: int, actor_id: int, content_types: tuple[int, int]) -> int:
    """The same risk draw in one SQL statement: the population with one flag per rule, the
    draw row (digests by sha256 in SQL), the spot checks with their reasons, their audit rows;
    then the draw's own audit row."""
    import json

    from django.conf import settings

    high = settings.SPOT_CHECK_RISK_DEFAULTS["high_score_low_execution"]
    many = settings.SPOT_CHECK_RISK_DEFAULTS["many_overrides"]
    rules = [
        {"rule": name, **settings.SPOT_CHECK_RISK_DEFAULTS.get(name, {})} for name in DRAW_RULES
    ]
    now = dt.datetime.now(dt.UTC)
    params = {
        "year": year,
        "actor": actor_id,
        "now": now,
        "rules": json.dumps(rules),
        "min_total": high["min_total"],
        "max_rate": high["max_execution_rate"],
        "min_overrides": int(many["min_overrides"]),
        "ct_check": content_types[0],
    }
    cursor.execute(
        "with pop as (select e.id, e.unit_id, e.year, e.project_id, e.scheme_id, e.total_score, "
        "e.grade, e.execution_rate, "
        "coalesce(e.total_score >= %(min_total)s::numeric "
        "and e.execution_rate < %(max_rate)s::numeric, false) as r1, "
        "coalesce((select count(*) from performance_indicatorevaluation ie where "
        "ie.evaluation_id = e.id and ie.override_score is not null), 0) >= %(min_overrides)s "
        "as r2, e.has_deviation as r3, "
        "case when e.scope = 'project' and e.project_id is not null then exists (select 1 from "
        "performance_selfevaluation l join projects_project lp on l.project_id = lp.id where "
        "l.unit_id = e.unit_id and l.year = e.year - 1 and l.status = 'approved' and "
        "l.grade = 'poor' and l.scope = e.scope and lp.code = p.code) "
        "when e.scope = 'unit' then exists (select 1 from performance_selfevaluation l where "
        "l.unit_id = e.unit_id and l.year = e.year - 1 and l.status = 'approved' and "
        "l.grade = 'poor' and l.scope = e.scope and l.project_id is null) else false end as r4 "
        "from performance_selfevaluation e left join projects_project p on p.id = e.project_id "
        "where e.year = %(year)s and e.status = 'approved' and e.scope in ('project', 'unit')), "
        "picked as (select * from pop where r1 or r2 or r3 or r4), "
        "draw as (insert into performance_spotcheckdraw (year, method, scope_unit_id, seed, "
        "count, rate, rules, scopes, note, population, population_digest, sample_digest, drawn, "
        "skipped, created_by_id, created_at) select %(year)s, 'risk', null, null, null, null, "
        "%(rules)s::jsonb, '[\"project\", \"unit\"]'::jsonb, '', (select count(*) from pop), "
        "encode(sha256(convert_to(coalesce((select string_agg(id::text, ',' order by id) "
        "from pop), ''), 'UTF8')), 'hex'), encode(sha256(convert_to(coalesce((select "
        "string_agg(id::text, ',' order by id) from picked), ''), 'UTF8')), 'hex'), "
        "(select count(*) from picked), 0, %(actor)s, %(now)s returning id), "
        "ins as (insert into performance_spotcheck (status, last_comment, lock_version, "
        "created_at, updated_at, step_entered_at, year, reasons, self_total, self_grade, "
        "review_total, review_grade, review_category_rates, difference, summary, outcome, "
        "objection_reason, decision_comment, final_grade, evaluation_id, project_id, "
        "scheme_id, unit_id, draw_id) select 'draft', '', 1, %(now)s, %(now)s, %(now)s, k.year, "
        "(select jsonb_agg(r order by o) from (values (1, case when k.r1 then "
        "jsonb_build_object('rule', 'high_score_low_execution', 'score', k.total_score::text, "
        "'rate', k.execution_rate::text) end), (2, case when k.r2 then "
        '\'{"rule": "many_overrides"}\'::jsonb end), (3, case when k.r3 then '
        '\'{"rule": "declared_deviation"}\'::jsonb end), (4, case when k.r4 then '
        '\'{"rule": "poor_last_year"}\'::jsonb end)) v(o, r) where r is not null), '
        "k.total_score, k.grade, k.total_score, k.grade, '{}'::jsonb, "
        "case when k.total_score is not null then 0 end, '', '', '', '', '', k.id, "
        "k.project_id, k.scheme_id, k.unit_id, (select id from draw) from picked k "
        "on conflict do nothing returning id, unit_id, year, evaluation_id, draw_id) "
        "insert into projects_auditentry (content_type_id, object_id, object_repr, unit_id, "
        "actor_id, action, transition, changes, comment, created_at) select %(ct_check)s, "
        "ins.id::text, ins.year || '年 财政复核 #' || ins.id, ins.unit_id, %(actor)s, 'create', "
        "'', jsonb_build_object('draw', jsonb_build_array(null, ins.draw_id), 'evaluation', "
        "jsonb_build_array(null, ins.evaluation_id)), '抽查记录 #' || ins.draw_id, %(now)s "
        "from ins",
        params,
    )
    created = cursor.rowcount
    cursor.execute(
        "insert into projects_auditentry (content_type_id, object_id, object_repr, unit_id, "
        "actor_id, action, transition, changes, comment, created_at) select %s, d.id::text, "
        "d.year || '年 按风险规则（' || d.drawn || ' 项）', null, %s, 'create', '', "
        "jsonb_build_object('method', jsonb_build_array(null, d.method), 'population', "
        "jsonb_build_array(null, d.population), 'sample_digest', jsonb_build_array(null, "
        "d.sample_digest), 'drawn', jsonb_build_array(null, d.drawn)), '', %s "
        "from performance_spotcheckdraw d",
        [content_types[1], actor_id, now],
    )
    return created


def draw_benchmark(args) -> str:
    """The risk-based draw of a whole year: ``spot_check_draw(method='risk')`` with every rule
    against :func:`draw_floor`; both must draw the same spot checks with the same reasons."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from performance.models import SpotCheck, SpotCheckDraw

    from .api_pagination import bench_user

    # The province's 财政审核人 (created with its token if this is the first script run here).
    actor = bench_user()[0] if args.draw_actor == "bench_finance" else None
    actor = actor or get_user_model().objects.get(username=args.draw_actor)
    content_types = (
        ContentType.objects.get_for_model(SpotCheck).pk,
        ContentType.objects.get_for_model(SpotCheckDraw).pk,
    )

    def run_floor() -> int:
        with transaction.atomic(), connection.cursor() as cursor:
            return draw_floor(cursor, args.year, actor.pk, content_types)

    variants = {"draw project": lambda: draw_project(args.year, actor), "draw floor": run_floor}

    def outcome(cursor) -> tuple[tuple, int]:
        cursor.execute(DRAW_KEY)
        rows = frozenset(cursor.fetchall())
        cursor.execute(DRAW_ROW)
        draw_row = tuple(cursor.fetchall())
        return (rows, draw_row), len(rows)

    times, keys = timed_rounds(
        variants,
        args.repeat,
        reset=lambda cursor: draw_reset(cursor, content_types),
        outcome=outcome,
        audited_type=content_types[0],
        what="spot checks",
    )
    project_rows, project_draw = keys["draw project"]
    floor_rows, floor_draw = keys["draw floor"]
    assert project_draw == floor_draw, f"draw rows differ: {project_draw} != {floor_draw}"
    assert project_rows == floor_rows, (
        f"different spot checks: {len(project_rows - floor_rows)} only in the project's, "
        f"{len(floor_rows - project_rows)} only in the floor's, e.g. "
        f"{sorted(project_rows - floor_rows)[:1]} / {sorted(floor_rows - project_rows)[:1]}"
    )
    with connection.cursor() as cursor:
        draw_reset(cursor, content_types)
    for name, values in times.items():
        print(f"{name}: {describe(values)}")
    ratio = median(times["draw project"]) / median(times["draw floor"])
    verdict = "met" if ratio <= 2 else "NOT met"
    return (
        f"RESULT after_score risk draw year={args.year} population={project_draw[0][0]} "
        f"drawn={len(project_rows)}: project/floor "
        f"{ratio_range(times['draw project'], times['draw floor'])} (target ≤ 2×) → {verdict}"
    )


def timed_rounds(variants, repeat: int, *, reset, outcome, audited_type: int, what: str):
    """Run ``variants`` (name → callable returning how many rows it created) in interleaved
    rounds, each from a reset database and cold caches; after each run ``outcome(cursor)``
    gives (what it wrote, how many rows), which must equal the count returned and the audit
    rows of ``audited_type``, and be the same in every run of a variant. Returns the times and
    each variant's outcome."""
    from django.db import connection

    times: dict[str, list[float]] = {name: [] for name in variants}
    keys: dict[str, object] = {}
    for index, name in rounds(list(variants), repeat):
        with connection.cursor() as cursor:
            reset(cursor)
        clear_caches()
        start = time.perf_counter()
        created = variants[name]()
        elapsed = time.perf_counter() - start
        times[name].append(elapsed)
        with connection.cursor() as cursor:
            key, count = outcome(cursor)
            cursor.execute(
                "select count(*) from projects_auditentry where content_type_id = %s",
                [audited_type],
            )
            audited = cursor.fetchone()[0]
        assert created == count == audited, (name, created, count, audited)
        keys.setdefault(name, key)
        assert key == keys[name], f"{name}: a run wrote other {what} than the first"
        print(f"round {index + 1} {name}: {elapsed:.2f} s, {created} {what}")
    return times, keys


def rectifications_benchmark(args) -> str:
    """Automatic 整改 for a whole year: ``rectifications_raise`` against :func:`floor`, same
    tasks, exactly once under a re-run."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from performance.models import Rectification

    content_type = ContentType.objects.get_for_model(Rectification).pk
    threshold = settings.SPOT_CHECK_DIFFERENCE_THRESHOLD

    def run_floor() -> int:
        with transaction.atomic(), connection.cursor() as cursor:
            return floor(cursor, args.year, content_type, threshold)

    variants = {"project": lambda: project_path(args.year), "floor": run_floor}

    def outcome(cursor) -> tuple[frozenset, int]:
        cursor.execute(KEY)
        rows = frozenset(cursor.fetchall())
        return rows, len(rows)

    times, keys = timed_rounds(
        variants,
        args.repeat,
        reset=lambda cursor: reset(cursor, content_type),
        outcome=outcome,
        audited_type=content_type,
        what="tasks",
    )
    assert keys["project"] == keys["floor"], "project path and floor created different tasks"
    # Exactly once: a second run of the project's path creates nothing, no cause+source twice.
    with connection.cursor() as cursor:
        reset(cursor, content_type)
    first = project_path(args.year)
    again = project_path(args.year)
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from (select cause, report_id, evaluation_id, spot_check_id from "
            "performance_rectification group by 1, 2, 3, 4 having count(*) > 1) d"
        )
        duplicates = cursor.fetchone()[0]
        cursor.execute(
            "select cause, count(*) from performance_rectification group by 1 order by 1"
        )
        by_cause = cursor.fetchall()
        reset(cursor, content_type)
    print(f"tasks by cause: {by_cause}")
    print(f"re-run: first {first} created, second {again} created, duplicates {duplicates}")
    for name, values in times.items():
        print(f"{name}: {describe(values)}")
    ratio = median(times["project"]) / median(times["floor"])
    verdict = "met" if ratio <= 2 and again == 0 and duplicates == 0 else "NOT met"
    return (
        f"RESULT after_score rectifications year={args.year} tasks={first}: project/floor "
        f"{ratio_range(times['project'], times['floor'])}, re-run created "
        f"{again}, duplicates {duplicates} (target ≤ 2×, 0, 0) → {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-prepare", action="store_true")
    parser.add_argument("--red-every", type=int, default=10)
    parser.add_argument("--impossible-every", type=int, default=50)
    parser.add_argument("--poor-every", type=int, default=20)
    parser.add_argument("--deviation-every", type=int, default=8)
    parser.add_argument(
        "--only", choices=("rectifications", "draw"), help="run one of the two benchmarks"
    )
    parser.add_argument(
        "--draw-actor", default="bench_finance", help="the 财政审核人 who draws (risk draw)"
    )
    args = parser.parse_args()
    setup_django()
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        if not args.no_prepare:
            with transaction.atomic():
                prepare(cursor, args.year, args)
            cursor.execute("analyze")
    results = []
    if args.only in (None, "rectifications"):
        results.append(rectifications_benchmark(args))
    if args.only in (None, "draw"):
        results.append(draw_benchmark(args))
    print("\n".join(results))


if __name__ == "__main__":
    main()
