"""Library suggestions and search at province scale against their SQL floors (issue 16).

    DATABASE_URL=postgres://…/<a COPY of the 100k province> python -m benchmarks.library

Never run it on a database you need: ``--prepare`` (the default; idempotent, seeded) first turns
the synthetic province into one that uses an indicator library:

- the shipped 共性 entries under the finance bureau (``library_seed_common``) and ``--entries``
  个性 entries per department (``BENCH-<department>-NN``, confirmed), their 三级 names drawn
  from field words × indicator words;
- realistic project names: a region (one of 97) + a topic (one of 2,100 = 30 subjects × 70
  tasks), so a topic repeats about 48 times in 100,000 projects — as one project per county
  does — instead of ``基准项目N``;
- in every approved goal of the generated year, indicators 1–5 linked to five 共性 entries and
  6–10 to the department's 个性 entries (which ones depends on the project's topic), 11–15
  unlinked: about 1,000,000 links;
- ``--targets`` projects of the next year without goals (one per 100th project: same unit and
  type, another region, the same topic): what suggestions are asked for.

Then, as a 财政审核人 of the province through the served WSGI application (as
``benchmarks.api_floor`` measures), ``GET /api/v1/library/suggestions/?project=…`` for
``--sample`` target projects and ``GET /api/v1/library/search/?q=…`` for five queries, each
against its floor: one SQL statement computing the same ranking (同类项目 by pg_trgm and
department, usage counted per entry code, 共性 first, code) and orjson of the same payload.
Before timing: every floor's bytes equal the API's, and for ``--brute`` projects the floor's
ranking equals a brute force in Python over every approved project of the reference year. The
rounds interleave API and floor (order rotated); printed: the median over all requests of a
kind, the ratio of the medians with its per-round range, and the target (≤ 50 ms median and
≤ 2× the floor, each for suggestions and for search).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from . import setup_django
from .api_floor import (
    Context,
    Floor,
    _decimal,
    _when,
    api_request,
    first_difference,
    floor_request,
)
from .generate import PREFIX
from .measure import describe, median, rounds

SUBJECTS = (
    "城乡居民", "困难群众", "农村", "城市社区", "中小学", "基层医疗机构", "退役军人", "残疾人",
    "老年人", "高校毕业生", "农民工", "低保对象", "特困人员", "留守儿童", "妇女儿童", "乡村",
    "公共文化", "全民健身", "生态环境", "水利工程", "交通运输", "农田水利", "林业草原", "应急管理",
    "市场监管", "政务服务", "科技创新", "中小企业", "公共卫生", "职业教育",
)  # fmt: skip
TASKS = (
    "医疗救助", "养老服务补贴", "就业培训", "技能提升", "道路养护", "校舍维修", "设备购置",
    "信息化建设", "宣传推广", "运行维护", "专项补助", "能力提升", "示范创建", "标准化建设",
    "监测评估", "安全隐患排查", "应急物资储备", "人才培养", "公共服务", "基础设施改造",
    "环境整治", "污染防治", "绿化提升", "饮水安全", "防汛抗旱", "疫病防控", "健康体检", "营养改善",
    "文化惠民", "体育设施", "图书资料", "数字化改造", "档案管理", "执法装备", "检验检测",
    "质量提升", "品牌培育", "创业扶持", "贷款贴息", "保险补贴", "生活补助", "临时救助", "康复服务",
    "托育服务", "助餐服务", "居家养老", "社区治理", "网格化管理", "志愿服务", "法律援助",
    "矛盾调解", "消防安全", "交通安全", "食品安全", "药品监管", "特种设备", "计量器具", "知识产权",
    "科普活动", "研发补助", "平台建设", "园区建设", "招商引资", "产业发展", "农机购置", "种业振兴",
    "高标准农田", "畜牧发展", "渔业发展", "电商服务",
)  # fmt: skip
REGIONS = tuple(f"{a}{b}区" for a in "东西南北中新老上下前" for b in "城江河山湖川原林桥港")[:97]
FIELDS = (
    "社保", "医保", "教育", "卫健", "民政", "人社", "住建", "交通", "水利", "农业", "林业", "文旅",
    "体育", "应急", "市场", "科技", "生态", "商务", "司法", "公安",
)  # fmt: skip
MEASURES = (
    "服务人次", "覆盖率", "完成率", "及时率", "达标率", "合格率", "满意度", "受益人数",
    "培训人次", "发放金额", "办结时限", "设备完好率", "系统可用率", "投诉办结率", "检查次数",
    "整改完成率", "资金到位率", "项目验收率", "信息公开率", "档案完整率",
)  # fmt: skip
LEVELS = (  # (一级, 二级) of a 个性 entry by its measure's position
    ("产出指标", "数量指标"),
    ("产出指标", "质量指标"),
    ("产出指标", "时效指标"),
    ("效益指标", "社会效益指标"),
    ("满意度指标", "服务对象满意度指标"),
)
SEARCHES = ("满意度", "服务对象满意度", "预算 执行", "完成率", "社保服务人次")


def prepare(args) -> None:
    """Library data on the province (idempotent: skipped when the bench entries exist)."""
    from django.db import connection, transaction

    from performance.models import LibraryEntry
    from performance.services import library
    from projects.models import Unit

    if LibraryEntry.objects.filter(code__startswith="BENCH-").exists():
        print("prepare: bench library data present, reused", flush=True)
        return
    # The synthetic province's own bureau and departments: make bench runs the execution
    # benchmark first, which adds a bureau and units of its own beside them.
    finance = Unit.objects.get(code=PREFIX, kind="finance")
    with transaction.atomic():
        library.library_seed_common(finance=finance)
        common = list(
            LibraryEntry.objects.filter(unit=finance, goal_scope__in=("project", "both"))
            .order_by("code")
            .values_list("id", "code")
        )[:5]
        departments = list(
            Unit.objects.filter(kind="department", path__startswith=finance.path).order_by("id")
        )
        entries = []
        for department in departments:
            field = FIELDS[department.pk % len(FIELDS)]
            for n in range(args.entries):
                measure = MEASURES[(n + department.pk) % len(MEASURES)]
                level1, level2 = LEVELS[n % len(LEVELS)]
                entry = LibraryEntry(
                    code=f"BENCH-{department.code}-{n:02d}",
                    version=1,
                    status="approved",
                    unit=department,
                    is_common=False,
                    goal_scope="project",
                    level1=level1,
                    level2=level2,
                    level3=f"{field}{TASKS[(n * 7 + department.pk) % len(TASKS)]}{measure}",
                    nature=">=",
                    direction="positive",
                    measure_unit="%",
                    reference_value="≥90%",
                    category=level1.removesuffix("指标"),
                )
                entry.search_text = library.search_text(entry)
                entries.append(entry)
        LibraryEntry.objects.bulk_create(entries, batch_size=2000)
        with connection.cursor() as cursor:
            print("prepare: names and links …", flush=True)
            cursor.execute(
                "create temporary table bench_names (id bigint primary key, name text) "
                "on commit drop"
            )
            cursor.execute(
                f"select id, unit_id from projects_project where year = %s and {IN_PROVINCE}",
                [args.year],
            )
            projects = cursor.fetchall()
            with cursor.cursor.copy("copy bench_names (id, name) from stdin") as copy:
                for pk, unit_id in projects:
                    copy.write_row((pk, name_of(pk, unit_id)))
            cursor.execute(
                "update projects_project p set name = n.name from bench_names n where p.id = n.id"
            )
            cursor.execute(
                "create temporary table bench_links (id bigint primary key, entry bigint, "
                "code text) on commit drop"
            )
            cursor.execute(
                "select id, code, unit_id from performance_libraryentry where code like 'BENCH-%%'"
            )
            own: dict[int, list[tuple[int, str]]] = defaultdict(list)
            for pk, code, unit_id in cursor.fetchall():
                own[unit_id].append((pk, code))
            for rows in own.values():
                rows.sort(key=lambda row: row[1])
            cursor.execute(
                'select i.id, i."order", p.id, u.parent_id from performance_indicator i '
                "join performance_performancegoal g on g.id = i.goal_id "
                "join projects_project p on p.id = g.project_id "
                "join projects_unit u on u.id = p.unit_id "
                "where g.status = 'approved' and p.year = %s and i.\"order\" <= 10",
                [args.year],
            )
            indicators = cursor.fetchall()
            with cursor.cursor.copy("copy bench_links (id, entry, code) from stdin") as copy:
                for pk, order, project, department in indicators:
                    if order <= 5:
                        entry, code = common[order - 1]
                    else:
                        mine = own[department]
                        entry, code = mine[(topic_of(project) * 3 + order) % len(mine)]
                    copy.write_row((pk, entry, code))
            cursor.execute(
                "update performance_indicator i set library_entry_id = l.entry, "
                "library_code = l.code from bench_links l where i.id = l.id"
            )
            print(f"prepare: {cursor.rowcount} indicators linked", flush=True)
            columns = (
                "code, name, year, category, continuity, period_start, period_end, leader, "
                "phone, managing_office, overview, basis, lock_version, created_at, updated_at, "
                "unit_id"
            )
            cursor.execute(
                f"insert into projects_project ({columns}) select code || 'N', "
                "name, year + 1, category, 'new', period_start, period_end, leader, phone, "
                "managing_office, overview, basis, 1, now(), now(), unit_id "
                f"from projects_project where year = %s and id %% %s = 0 and {IN_PROVINCE} "
                "order by id",
                [args.year, max(1, len(projects) // args.targets)],
            )
            # Same topic, another region (every region name has three characters).
            cursor.execute(
                "update projects_project set name = (%s::text[])[1 + (id * 7) %% %s] || "
                f"substr(name, 4) where year = %s and {IN_PROVINCE}",
                [list(REGIONS), len(REGIONS), args.year + 1],
            )
    with connection.cursor() as cursor:
        cursor.execute("analyze")


# The synthetic province's projects only: another script of ``make bench`` (the execution
# feed) adds a tree of its own beside it, whose projects the 财政审核人 does not see.
IN_PROVINCE = f"unit_id in (select id from projects_unit where path like '/{PREFIX}/%%')"


def topic_of(project_id: int) -> int:
    return project_id % (len(SUBJECTS) * len(TASKS))


def topic_name(project_id: int) -> str:
    topic = topic_of(project_id)
    return SUBJECTS[topic // len(TASKS)] + TASKS[topic % len(TASKS)]


def name_of(project_id: int, unit_id: int) -> str:
    return REGIONS[unit_id % len(REGIONS)] + topic_name(project_id)


# --- floors --------------------------------------------------------------------------------

ENTRY_COLUMNS = (
    "e.id, e.code, e.version, e.previous_id, e.status, eu.id, eu.code, eu.name, eu.kind, "
    "eu.path, e.is_common, e.is_required, e.goal_scope, e.level1, e.level2, e.level3, "
    "e.category, e.nature, e.direction, e.measure_unit, e.reference_value, e.reference_weight, "
    "e.explanation, e.basis, e.scoring_standard, e.project_categories, e.function_class, "
    "e.frozen_at, e.retire_reason, e.last_comment, e.submitted_at, e.lock_version, "
    "e.created_at, e.updated_at"
)
ENTRY_WIDTH = 34


def entry_payload(row, zone: ZoneInfo) -> dict:
    """The API's ``LibraryEntrySerializer`` of one row of :data:`ENTRY_COLUMNS`."""
    from performance.models.library import categories_of

    codes = [code for code in row[9].split("/") if code]
    return {
        "id": row[0],
        "code": row[1],
        "version": row[2],
        "previous": row[3],
        "status": row[4],
        "owner": {
            "id": row[5],
            "code": row[6],
            "name": row[7],
            "kind": row[8],
            "department_code": codes[1] if len(codes) > 1 else None,
        },
        "is_common": row[10],
        "is_required": row[11],
        "goal_scope": row[12],
        "level1": row[13],
        "level2": row[14],
        "level3": row[15],
        "category": row[16],
        "nature": row[17],
        "direction": row[18],
        "measure_unit": row[19],
        "reference_value": row[20],
        "reference_weight": _decimal(row[21]),
        "explanation": row[22],
        "basis": row[23],
        "scoring_standard": row[24],
        "project_categories": categories_of(row[25]),
        "function_class": row[26],
        "frozen": row[27] is not None,
        "frozen_at": _when(row[27], zone),
        "retire_reason": row[28],
        "last_comment": row[29],
        "submitted_at": _when(row[30], zone),
        "lock_version": row[31],
        "created_at": _when(row[32], zone),
        "updated_at": _when(row[33], zone),
    }


SUGGESTIONS_SQL = f"""
    WITH target AS (
        SELECT p.id, p.name, p.year, p.category, u.path
        FROM projects_project p JOIN projects_unit u ON u.id = p.unit_id
        WHERE p.id = %(project)s AND EXISTS (
            SELECT 1 FROM projects_membership m JOIN projects_unit mu ON mu.id = m.unit_id
            WHERE m.user_id = %(user)s AND u.path LIKE mu.path || '%%')
    ), candidates AS (
        SELECT q.id, q.name, qu.path
        FROM target t JOIN projects_project q ON q.name %% t.name AND q.year = t.year - 1
        JOIN projects_unit qu ON qu.id = q.unit_id
        WHERE q.category = t.category
        UNION
        SELECT q.id, q.name, qu.path
        FROM target t JOIN projects_unit qu ON qu.path LIKE %(department)s
        JOIN projects_project q ON q.unit_id = qu.id AND q.year = t.year - 1
        WHERE q.category = t.category
    ), near AS (
        SELECT c.id, c.path LIKE %(department)s AS same, c.name %% t.name AS similar
        FROM candidates c, target t
        WHERE c.path LIKE %(root)s
          AND EXISTS (SELECT 1 FROM performance_performancegoal g WHERE g.project_id = c.id
                      AND g.status = 'approved' AND g.scope = 'project')
        ORDER BY same DESC, similarity(c.name, t.name) DESC, c.id
        LIMIT 200
    ), used AS (
        SELECT i.library_code AS code, count(DISTINCT near.id) AS n,
               count(DISTINCT near.id) FILTER (WHERE near.same) AS n_department,
               count(DISTINCT near.id) FILTER (WHERE near.similar) AS n_similar
        FROM near
        JOIN performance_performancegoal g ON g.project_id = near.id AND g.status = 'approved'
        JOIN performance_indicator i ON i.goal_id = g.id
        WHERE i.library_code <> ''
        GROUP BY 1
    )
    SELECT {ENTRY_COLUMNS}, used.n, used.n_department, used.n_similar
    FROM used
    JOIN performance_libraryentry e ON e.code = used.code
    JOIN projects_unit eu ON eu.id = e.unit_id
    WHERE e.status = 'approved' AND eu.path LIKE %(root)s
      AND e.goal_scope IN ('project', 'both')
      AND (e.project_categories = 0 OR e.project_categories & %(bit)s <> 0)
    ORDER BY used.n DESC, used.n_department DESC, NOT e.is_common, e.code
    LIMIT %(limit)s
"""


def suggestions_floor(context: Context, path: str) -> bytes:
    """``GET /api/v1/library/suggestions/?project=…``: the ranking in one statement, orjson."""
    import orjson
    from django.db import connection

    from performance.models.library import CATEGORY_BITS
    from performance.selectors.library import suggestion_reason
    from projects.choices import ProjectCategory

    query = dict(parse_qsl(urlsplit(path).query))
    project = int(query["project"])
    with connection.cursor() as cursor:
        cursor.execute(
            "select p.year, p.category, u.path from projects_project p join projects_unit u "
            "on u.id = p.unit_id where p.id = %s",
            [project],
        )
        year, category, unit_path = cursor.fetchone()
        codes = [code for code in unit_path.split("/") if code]
        root = f"/{codes[0]}/"
        department = f"/{codes[0]}/{codes[1]}/" if len(codes) > 1 else "//"
        cursor.execute(
            SUGGESTIONS_SQL,
            {
                "project": project,
                "user": context.user_id,
                "root": root + "%",
                "department": department + "%",
                "bit": CATEGORY_BITS[ProjectCategory(category)],
                "limit": int(query.get("limit", 20)),
            },
        )
        rows = cursor.fetchall()
    results = [
        {
            "entry": entry_payload(row, context.zone),
            "n": row[ENTRY_WIDTH],
            "n_department": row[ENTRY_WIDTH + 1],
            "n_similar_name": row[ENTRY_WIDTH + 2],
            "reason": suggestion_reason(*row[ENTRY_WIDTH : ENTRY_WIDTH + 3]),
        }
        for row in rows
    ]
    body = {"project": project, "reference_year": year - 1, "results": results}
    return orjson.dumps(body)


SEARCH_SQL = """
    SELECT {columns},
           CASE WHEN upper(e.level3) = upper(%(phrase)s) THEN 0
                WHEN upper(e.level3) LIKE upper(%(phrase)s) || '%%' THEN 1
                WHEN upper(e.level3) LIKE '%%' || upper(%(phrase)s) || '%%' THEN 2
                ELSE 3 END AS tier,
           similarity(e.level3, %(phrase)s) AS sim
    FROM performance_libraryentry e JOIN projects_unit eu ON eu.id = e.unit_id
    WHERE e.status = 'approved' AND {words}
      AND EXISTS (SELECT 1 FROM projects_membership m JOIN projects_unit mu ON mu.id = m.unit_id
                  WHERE m.user_id = %(user)s
                    AND eu.path LIKE '/' || split_part(mu.path, '/', 2) || '/%%')
    ORDER BY tier, sim DESC, e.is_common DESC, e.code, e.version
    LIMIT %(limit)s OFFSET %(offset)s
"""


def search_floor(context: Context, path: str) -> bytes:
    """``GET /api/v1/library/search/?q=…``: the ranked page in one statement, orjson."""
    import unicodedata

    import orjson
    from django.db import connection

    query = dict(parse_qsl(urlsplit(path).query))
    words = unicodedata.normalize("NFKC", query["q"]).lower()[:50].split()[:5]
    phrase = " ".join(words)
    limit, offset = int(query.get("limit", 20)), int(query.get("offset", 0))
    with connection.cursor() as cursor:
        likes = " AND ".join(f"e.search_text LIKE %(w{i})s" for i in range(len(words)))
        cursor.execute(
            SEARCH_SQL.format(columns=ENTRY_COLUMNS, words=likes),
            {
                **{f"w{i}": f"%{word}%" for i, word in enumerate(words)},
                "phrase": phrase,
                "user": context.user_id,
                "limit": limit + 1,
                "offset": offset,
            },
        )
        rows = cursor.fetchall()
    hits = [
        {
            "entry": entry_payload(row, context.zone),
            "tier": row[ENTRY_WIDTH],
            "similarity": float(row[ENTRY_WIDTH + 1]),
        }
        for row in rows[:limit]
    ]
    body = {"results": hits, "next_offset": offset + limit if len(rows) > limit else None}
    return orjson.dumps(body)


def brute_force(project_id: int, user, limit: int = 20) -> list[tuple[str, int, int, int]]:
    """The suggestion ranking from every approved project of the reference year, in Python:
    (code, n, n_department, n_similar_name) — what the floor's statement must equal."""
    from performance import text
    from performance.models import Indicator, LibraryEntry
    from performance.models.library import categories_of
    from projects.models import Project

    project = Project.objects.select_related("unit").get(pk=project_id)
    codes = [code for code in project.unit.path.split("/") if code]
    root, department = f"/{codes[0]}/", f"/{codes[0]}/{codes[1]}/"
    candidates = []
    for pk, name, path in Project.objects.filter(
        year=project.year - 1,
        category=project.category,
        unit__path__startswith=root,
        goals__status="approved",
        goals__scope="project",
    ).values_list("id", "name", "unit__path"):
        same, similar = path.startswith(department), text.similar(name, project.name)
        if same or similar:
            candidates.append((-int(same), -text.similarity(name, project.name), pk, same, similar))
    candidates.sort()
    near = {pk: (same, similar) for *_key, pk, same, similar in candidates[:200]}
    used: dict[str, set[int]] = defaultdict(set)
    for code, pk in (
        Indicator.objects.filter(goal__project_id__in=list(near), goal__status="approved")
        .exclude(library_code="")
        .values_list("library_code", "goal__project_id")
    ):
        used[code].add(pk)
    ranking = []
    for entry in LibraryEntry.objects.filter(
        status="approved", code__in=list(used), unit__path__startswith=root
    ):
        if entry.goal_scope not in ("project", "both"):
            continue
        kinds = categories_of(entry.project_categories)
        if kinds and project.category not in kinds:
            continue
        users = used[entry.code]
        ranking.append(
            (
                -len(users),
                -sum(near[pk][0] for pk in users),
                not entry.is_common,
                entry.code,
                sum(near[pk][1] for pk in users),
            )
        )
    ranking.sort()
    return [(code, -n, -n_d, n_n) for n, n_d, _c, code, n_n in ranking[:limit]]


@dataclass(frozen=True)
class Case:
    kind: str  # "suggestions" or "search"
    floor: Floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2025, help="the generated (reference) year")
    parser.add_argument("--entries", type=int, default=40, help="个性 entries per department")
    parser.add_argument("--targets", type=int, default=1000, help="next-year projects")
    parser.add_argument("--sample", type=int, default=50, help="target projects measured")
    parser.add_argument("--brute", type=int, default=5, help="projects checked by brute force")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of every request")
    parser.add_argument("--no-prepare", action="store_true")
    args = parser.parse_args()
    setup_django()
    import orjson
    from django.conf import settings
    from django.contrib.auth import get_user_model

    import config.wsgi  # noqa: F401  (the application as served: its GC tuning applies here too)
    from projects.models import Project

    from .api_pagination import bench_user

    if not args.no_prepare:
        prepare(args)
    user, token = bench_user()
    context = Context(user_id=user.pk, token=token, zone=ZoneInfo(settings.TIME_ZONE))
    targets = list(
        Project.objects.filter(year=args.year + 1, unit__path__startswith=f"/{PREFIX}/")
        .order_by("id")
        .values_list("id", flat=True)
    )
    step = max(1, len(targets) // args.sample)
    sample = targets[::step][: args.sample]
    cases = [
        Case("suggestions", Floor(f"suggestions {pk}", f"/api/v1/library/suggestions/?project={pk}",
                                  suggestions_floor, 2.0))
        for pk in sample
    ] + [
        Case("search", Floor(f"search {q}", f"/api/v1/library/search/?{urlencode({'q': q})}",
                             search_floor, 2.0))
        for q in SEARCHES
    ]  # fmt: skip
    reviewer = get_user_model().objects.get(pk=context.user_id)
    empty = 0
    for case in cases:  # same bytes first: also the warm-up
        _, api = api_request(context, case.floor.path)
        _, floor = floor_request(context, case.floor)
        if api != floor:
            raise SystemExit(
                f"{case.floor.name}: the floor's payload is not the API's: "
                f"{first_difference(api, floor)}"
            )
        empty += not orjson.loads(api)["results"]
    print(
        f"{len(cases)} requests: floor and API return the same bytes ({empty} with no result)",
        flush=True,
    )
    for pk in sample[: args.brute]:
        _, api = api_request(context, f"/api/v1/library/suggestions/?project={pk}")
        got = [
            (r["entry"]["code"], r["n"], r["n_department"], r["n_similar_name"])
            for r in orjson.loads(api)["results"]
        ]
        expected = brute_force(pk, reviewer)
        if got != expected:
            raise SystemExit(f"project {pk}: ranking {got[:3]}… is not the brute force's "
                             f"{expected[:3]}…")  # fmt: skip
    print(f"{args.brute} projects: the ranking equals a brute force over all projects", flush=True)
    variants = [(case, kind) for case in cases for kind in ("API", "floor")]
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    per_round: dict[tuple[str, str, int], float] = defaultdict(float)
    for index, (case, kind) in rounds(variants, args.repeat):
        if kind == "API":
            elapsed, _ = api_request(context, case.floor.path)
        else:
            elapsed, _ = floor_request(context, case.floor)
        samples[(case.kind, kind)].append(elapsed)
        per_round[(case.kind, kind, index)] += elapsed
    parts, met = [], True
    for name in ("suggestions", "search"):
        api, floor = samples[(name, "API")], samples[(name, "floor")]
        ratio = median(api) / median(floor)
        ratios = [
            per_round[(name, "API", i)] / per_round[(name, "floor", i)] for i in range(args.repeat)
        ]
        ok = median(api) <= 0.050 and ratio <= 2.0
        met = met and ok
        print(f"{name} ({len(api)} requests each):")
        print(f"  API   {describe(api, unit='ms', scale=1000)}")
        print(f"  floor {describe(floor, unit='ms', scale=1000)}")
        print(f"  API / floor {ratio:.2f}× (per round {min(ratios):.2f}–{max(ratios):.2f}×)")
        parts.append(
            f"{name} median {median(api) * 1000:.1f} ms vs floor {median(floor) * 1000:.1f} ms "
            f"= {ratio:.2f}× (per round {min(ratios):.2f}–{max(ratios):.2f}×; "
            f"target ≤ 50 ms and ≤ 2×)"
        )
    print(f"RESULT library: {'; '.join(parts)} → {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
