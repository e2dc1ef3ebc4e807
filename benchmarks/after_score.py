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
        "grade = case when id %% %s = 0 then 'poor' else 'good' end, "
        "total_score = case when id %% %s = 0 then 52 else 85 end, "
        "has_deviation = (id %% %s = 0) where year = %s",
        [args.poor_every, args.poor_every, args.deviation_every, year],
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-prepare", action="store_true")
    parser.add_argument("--red-every", type=int, default=10)
    parser.add_argument("--impossible-every", type=int, default=50)
    parser.add_argument("--poor-every", type=int, default=20)
    parser.add_argument("--deviation-every", type=int, default=8)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from performance.models import Rectification

    content_type = ContentType.objects.get_for_model(Rectification).pk
    threshold = settings.SPOT_CHECK_DIFFERENCE_THRESHOLD
    with connection.cursor() as cursor:
        if not args.no_prepare:
            with transaction.atomic():
                prepare(cursor, args.year, args)
            cursor.execute("analyze")

    def run_floor() -> int:
        with transaction.atomic(), connection.cursor() as cursor:
            return floor(cursor, args.year, content_type, threshold)

    variants = {"project": lambda: project_path(args.year), "floor": run_floor}
    times: dict[str, list[float]] = {name: [] for name in variants}
    keys: dict[str, set] = {}
    for index, name in rounds(list(variants), args.repeat):
        with connection.cursor() as cursor:
            reset(cursor, content_type)
        clear_caches()
        start = time.perf_counter()
        created = variants[name]()
        elapsed = time.perf_counter() - start
        times[name].append(elapsed)
        with connection.cursor() as cursor:
            cursor.execute(KEY)
            rows = set(cursor.fetchall())
            cursor.execute(
                "select count(*) from projects_auditentry where content_type_id = %s",
                [content_type],
            )
            audited = cursor.fetchone()[0]
        assert created == len(rows) == audited, (name, created, len(rows), audited)
        keys.setdefault(name, rows)
        assert rows == keys[name], f"{name}: a run created other tasks than the first"
        print(f"round {index + 1} {name}: {elapsed:.2f} s, {created} tasks")
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
    print(
        f"RESULT after_score rectifications year={args.year} tasks={first}: project/floor "
        f"{ratio_range(times['project'], times['floor'])}, re-run created "
        f"{again}, duplicates {duplicates} (target ≤ 2×, 0, 0) → {verdict}"
    )


if __name__ == "__main__":
    main()
