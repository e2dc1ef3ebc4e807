"""The demo data set: real published tables, loaded through the services, idempotently.

Sources (copied into ``performance/demo_data`` so the running service reads nothing outside
the project): seed 003 (伊滨经开区社保中心 027001, 2022 budget: 10 projects, 72 indicators, the
unit's overall target) and seed 002 (西工区社保中心 305004, 2023 final accounts: five projects'
budgets, execution and self-evaluation results).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum

from projects.choices import Continuity, FundSource, ProjectCategory, Role
from projects.models import Project, Unit
from projects.numbers import PLAIN, figure
from projects.services import accounts
from projects.services import projects as project_services

from .choices import GoalScope, RoundStatus, Status
from .models import PerformanceGoal, SchemeAssignment, ScoringScheme
from .services import goals as goal_services
from .services.target_review import quality_review

DATA_DIR = Path(__file__).resolve().parent / "demo_data"
DEMO_PASSWORD = "perf-demo-2026"

FINANCE_CODE, FINANCE_NAME = "410300", "洛阳市财政局（演示）"
DEPARTMENTS = {
    "027": "伊滨经开区（示范区）社会保障事务服务中心",
    "305": "洛阳市西工区人力资源和社会保障局",
}
CATEGORY_BY_LABEL = {
    "其他运转类": ProjectCategory.OPERATING,
    "运转类": ProjectCategory.OPERATING,
    "特定目标类": ProjectCategory.SPECIAL,
    "人员类": ProjectCategory.PERSONNEL,
}
# Seed 003's project expenditure table: only the lottery-fund project is 政府性基金.
GOVERNMENT_FUND_PROJECTS = {"410395220000000018848"}


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    unit_code: str
    role: str


DEMO_USERS = (
    DemoUser("finance", "财政局审核员", FINANCE_CODE, Role.FINANCE_REVIEWER),
    DemoUser("dept027", "027 主管部门审核员", "027", Role.DEPT_REVIEWER),
    DemoUser("dept305", "305 主管部门审核员", "305", Role.DEPT_REVIEWER),
    DemoUser("filler027", "027001 填报员", "027001", Role.FILLER),
    DemoUser("reviewer027", "027001 单位审核员", "027001", Role.UNIT_REVIEWER),
    DemoUser("filler305", "305004 填报员", "305004", Role.FILLER),
    DemoUser("reviewer305", "305004 单位审核员", "305004", Role.UNIT_REVIEWER),
    DemoUser("sysadmin", "系统管理员", FINANCE_CODE, Role.ADMIN),
)

SCHEMES = {
    "national": {
        "name": "全国通用（执行率10 产出50 效益30 满意度10）",
        "description": "财政部项目支出绩效自评通用口径：成本指标计入产出指标。",
        "execution_weight": Decimal("10"),
        "weight_output": Decimal("50"),
        "weight_benefit": Decimal("30"),
        "weight_satisfaction": Decimal("10"),
        "cost_required": False,
        "is_default": True,
    },
    "cost-variant": {
        "name": "成本单列（执行率10 成本10 产出40 效益30 满意度10）",
        "description": "2021 年起部分省份口径：成本指标单列 10 分。",
        "execution_weight": Decimal("10"),
        "weight_cost": Decimal("10"),
        "weight_output": Decimal("40"),
        "weight_benefit": Decimal("30"),
        "weight_satisfaction": Decimal("10"),
    },
    "henan-2023": {
        "name": "河南省 2023 年项目自评（六个方面）",
        "description": (
            "预算执行率、资金管理情况、成本、产出、效益、满意度六个方面（见西工区社保中心 2023 年决算）。"
            "公开数据确定了执行率 10 分、成本 10 分、其余四项合计 80 分；"
            "资金管理 10、产出 30、效益 30、满意度 10 的拆分不影响任何公开得分。"
            "执行率四舍五入到百分数两位小数，执行率得分与总分四舍五入到两位小数。"
        ),
        "execution_weight": Decimal("10"),
        "weight_fund_management": Decimal("10"),
        "weight_cost": Decimal("10"),
        "weight_output": Decimal("30"),
        "weight_benefit": Decimal("30"),
        "weight_satisfaction": Decimal("10"),
    },
}


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _read_json(name: str) -> dict:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)


def load_schemes() -> dict[str, ScoringScheme]:
    schemes = {}
    for code, fields in SCHEMES.items():
        scheme = ScoringScheme.objects.filter(code=code).first()
        if scheme is None:
            scheme = ScoringScheme(code=code, **fields)
            scheme.full_clean()
            scheme.save()
        schemes[code] = scheme
    return schemes


def _import_master_data(kind: str, **options) -> None:
    """Run the shipped example file of ``kind`` through the import as the system (issue 18:
    the demo's units and people are rebuilt from files); a second run changes nothing."""
    from .choices import ImportRunStatus
    from .models import ImportRun
    from .services.imports import get_kind, import_run
    from .services.imports.runs import file_digest

    declared = get_kind(kind)
    # The same file already imported by the system: skip it, or every run would add a history
    # row (无变化) and a second load_demo would not change nothing.
    if ImportRun.objects.filter(
        kind=kind,
        created_by=None,
        dry_run=False,
        status__in=(ImportRunStatus.COMMITTED, ImportRunStatus.UNCHANGED),
        file_digest=file_digest(declared.example_path.read_bytes()),
    ).exists():
        return
    result = import_run(
        kind=kind,
        actor=None,
        file=declared.example_path,
        filename=declared.example,
        options=options,
    )
    if not result.ok:
        raise RuntimeError("\n".join([result.summary(), *map(str, result.errors[:20])]))


def load_units() -> dict[str, Unit]:
    """The finance bureau, 027, 305, 027001 and 305004 from ``import_examples/units.csv``."""
    _import_master_data("units")
    return {
        unit.code: unit
        for unit in Unit.objects.filter(code__in=[FINANCE_CODE, *DEPARTMENTS, "027001", "305004"])
    }


def load_users(units: dict[str, Unit]) -> list[DemoUser]:
    """The eight demo users from ``import_examples/people.csv`` (no invitations), then the demo
    password for those who have none yet (a demo-only step: files never carry passwords)."""
    _import_master_data("people", send_invites=False)
    User = get_user_model()
    for user in User.objects.filter(username__in=[d.username for d in DEMO_USERS]):
        if not user.has_usable_password():
            accounts.user_set_password(user=user, password=DEMO_PASSWORD)
    if not User.objects.filter(username="admin").exists():
        accounts.user_create(
            username="admin",
            password=DEMO_PASSWORD,
            email="admin@example.invalid",
            is_superuser=True,
        )
    return list(DEMO_USERS)


def load_027001(units: dict[str, Unit]) -> None:
    """Seed 003: ten 2022 projects with their 72 indicators, and the unit-overall target."""
    unit = units["027001"]
    rows = _read_csv("2022_027001_project_targets.csv")
    by_project: OrderedDict[str, list[dict[str, str]]] = OrderedDict()
    for row in rows:
        by_project.setdefault(row["项目编码"], []).append(row)
    for code, project_rows in by_project.items():
        first = project_rows[0]
        year = int(first["年度"])
        project = Project.objects.filter(unit=unit, year=year, code=code).first()
        if project is None:
            project = project_services.project_save(
                data={
                    "code": code,
                    "name": first["项目名称"],
                    "unit": unit,
                    "year": year,
                    "category": CATEGORY_BY_LABEL[first["项目类型"]],
                    "continuity": Continuity.CONTINUING,
                    "period_start": dt.date(year, 1, 1),
                    "period_end": dt.date(year, 12, 31),
                }
            )
        source = (
            FundSource.GOVERNMENT_FUND
            if code in GOVERNMENT_FUND_PROJECTS
            else FundSource.GENERAL_PUBLIC
        )
        project_services.project_set_budget(
            project=project, fund_source=source, amount=Decimal(first["资金总额(万元)"])
        )
        if not PerformanceGoal.objects.filter(project=project, year=year).exists():
            goal = goal_services.goal_create(
                scope=GoalScope.PROJECT,
                year=year,
                project=project,
                indicators=[
                    {
                        "level1": row["一级指标"],
                        "level2": row["二级指标"],
                        "level3": row["三级指标"],
                        "raw_value": row["指标值"],
                    }
                    for row in project_rows
                ],
            )
            _mark_approved(goal, dt.date(year - 1, 12, 31))

    overview = _read_json("2022_027001_unit_overview.json")
    year = overview["year"]
    if not PerformanceGoal.objects.filter(scope=GoalScope.UNIT, unit=unit, year=year).exists():
        goal = goal_services.goal_create(
            scope=GoalScope.UNIT,
            year=year,
            unit=unit,
            data={
                "overall_goal": overview["annual_goal"],
                "budget_total": Decimal(overview["total"]),
                "budget_government": Decimal(overview["general_public_budget"])
                + Decimal(overview["government_fund"]),
                "budget_basic": Decimal(overview["basic_expenditure"]),
                "budget_project": Decimal(overview["project_expenditure"]),
            },
            indicators=[
                {
                    "level1": row["一级指标"],
                    "level2": row["二级指标"],
                    "level3": row["三级指标"],
                    "raw_value": row["指标值"],
                    "explanation": row["指标值说明"],
                }
                for row in _read_csv("2022_027001_unit_targets.csv")
            ],
            tasks=[
                {"name": name, "content": content} for name, content in overview["annual_tasks"]
            ],
        )
        _mark_approved(goal, dt.date(year - 1, 12, 31))


# 305004: the published table gives each project's category 得分率, not its indicators, so the
# demo goal has one indicator per scored category carrying that category's whole weight.
RECONSTRUCTED_305004 = (
    ("资金管理指标", "资金管理", "资金使用合规性", "合规"),
    ("成本指标", "经济成本指标", "项目预算资金控制", None),  # ≤ the project's budget
    ("产出指标", "数量指标", "年度工作任务完成率", "100%"),
    ("效益指标", "社会效益指标", "社保经办工作顺利开展", "顺利开展"),
    ("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%"),
)


def _fmt_amount(value: Decimal) -> str:
    return figure(value, PLAIN)


def load_305004(units: dict[str, Unit], schemes: dict[str, ScoringScheme]) -> None:
    """Seed 002: five 2023 projects with budgets and year-end execution."""
    data = _read_json("2023_305004_self_evaluation.json")
    unit = units["305004"]
    SchemeAssignment.objects.get_or_create(
        unit=units["305"], defaults={"scheme": schemes["henan-2023"]}
    )
    year = data["year"]
    weights = schemes["henan-2023"].category_weights()
    for index, row in enumerate(data["projects"], start=1):
        name, budget, executed = row[0], Decimal(row[1]), Decimal(row[2])
        code = f"305004{year}{index:03d}"
        project = Project.objects.filter(unit=unit, year=year, code=code).first()
        if project is None:
            project = project_services.project_save(
                data={
                    "code": code,
                    "name": name,
                    "unit": unit,
                    "year": year,
                    "category": ProjectCategory.OPERATING,
                    "continuity": Continuity.CONTINUING,
                    "period_start": dt.date(year, 1, 1),
                    "period_end": dt.date(year, 12, 31),
                    "managing_office": "社保科",
                }
            )
        project_services.project_set_budget(
            project=project, fund_source=FundSource.GENERAL_PUBLIC, amount=budget
        )
        if executed and not project.executions.exists():
            project_services.execution_add(
                project=project,
                date=dt.date(year, 12, 31),
                amount=executed,
                note="全年执行数（2023 年决算公开）",
            )
        if not PerformanceGoal.objects.filter(project=project, year=year).exists():
            indicators = []
            for level1, level2, level3, value in RECONSTRUCTED_305004:
                from .targets import category_of

                indicators.append(
                    {
                        "level1": level1,
                        "level2": level2,
                        "level3": level3,
                        "raw_value": value if value is not None else f"≤{_fmt_amount(budget)}万元",
                        "weight": weights.get(category_of(level1), Decimal("0")),
                    }
                )
            goal = goal_services.goal_create(
                scope=GoalScope.PROJECT,
                year=year,
                project=project,
                data={
                    "overall_goal": (
                        f"保障“{name}”按计划实施。（演示数据：公开的自评表只给出各类指标得分率，"
                        "此处每类指标各设一个，分值为该类全部分值。）"
                    )
                },
                indicators=indicators,
            )
            _mark_approved(goal, dt.date(year - 1, 12, 31))


# The published 2023 self-evaluations of 305004, entered through the services: every actual
# meets its target (the cost actual is what was spent), so each category scores 100% except
# 党建工作's cost, which earns nothing because nothing was spent — exactly the published table.
ACTUALS_305004 = {
    "资金使用合规性": {"actual_raw": "合规", "band": "achieved"},
    "项目预算资金控制": None,  # the executed amount, in 万元
    "年度工作任务完成率": {"actual_raw": "100%"},
    "社保经办工作顺利开展": {"actual_raw": "顺利开展", "band": "achieved"},
    "服务对象满意度": {"actual_raw": "95%"},
}


def load_305004_self_evaluations(units: dict[str, Unit]) -> None:
    """Seed 002's self-evaluation results, filled, computed and approved (published)."""
    from .services import evaluation as evaluation_services
    from .services import notifications, workflow

    data = _read_json("2023_305004_self_evaluation.json")
    year = data["year"]
    for project in Project.objects.filter(unit=units["305004"], year=year).order_by("code"):
        evaluation = evaluation_services.evaluation_start(actor=None, year=year, project=project)
        if evaluation.status != Status.DRAFT:
            continue
        executed = project.executions.aggregate(total=Sum("amount"))["total"] or Decimal("0")
        scores = []
        for score in evaluation.scores.select_related("indicator"):
            row = ACTUALS_305004.get(score.indicator.level3)
            if row is None:
                row = {"actual_raw": f"{_fmt_amount(executed)}万元"}
            scores.append({"indicator": score.indicator_id, **row})
        evaluation_services.evaluation_update(
            evaluation=evaluation,
            actor=None,
            data={"deviation_analysis": "", "measures": "继续加强预算执行管理。"},
            scores=scores,
        )
        with notifications.silenced():  # published long ago: history, not news
            workflow.submit(obj=evaluation, actor=None)
            workflow.approve(obj=evaluation, actor=None, comment="演示数据：2023 年决算公开")
            workflow.approve(obj=evaluation, actor=None, comment="演示数据：2023 年决算公开")


def _mark_approved(goal: PerformanceGoal, on: dt.date) -> None:
    """Published targets were approved with the budget: load them as 财政批复.

    Their 智能审核 findings are stored too, so the admin shows what the published tables lack.
    """
    quality_review(goal=goal, save=True)
    approved_at = dt.datetime.combine(on, dt.time(12, 0), tzinfo=dt.UTC)
    PerformanceGoal.objects.filter(pk=goal.pk).update(
        status=Status.APPROVED,
        submitted_at=approved_at,
        approved_at=approved_at,
        step_entered_at=approved_at,
    )


# 财政复核 is four-eyes (SPOT_CHECK_FOUR_EYES): a second finance reviewer approves what
# ``finance`` re-scored. Loaded by ``manage.py load_demo`` after the fixture, which the tests
# load without it (their counts of finance reviewers stay as they are).
SPOT_CHECK_REVIEWER = DemoUser("finance2", "财政局绩效科科长", FINANCE_CODE, Role.FINANCE_REVIEWER)


@transaction.atomic
def load_demo_spot_check_reviewer() -> DemoUser:
    """Create (or top up) the second finance reviewer; running it twice changes nothing."""
    demo = SPOT_CHECK_REVIEWER
    unit = Unit.objects.get(code=demo.unit_code)
    user = get_user_model().objects.filter(username=demo.username).first()
    if user is None:
        accounts.user_create(
            username=demo.username,
            password=DEMO_PASSWORD,
            first_name=demo.name,
            email=f"{demo.username}@example.invalid",
            unit=unit,
            role=demo.role,
        )
    else:
        accounts.membership_add(user=user, unit=unit, role=demo.role)
    return demo


@transaction.atomic
def load_demo() -> list[DemoUser]:
    """Load (or top up) the demo data; running it twice changes nothing."""
    schemes = load_schemes()
    units = load_units()
    SchemeAssignment.objects.get_or_create(
        unit=units[FINANCE_CODE], defaults={"scheme": schemes["national"]}
    )
    users = load_users(units)
    load_027001(units)
    load_305004(units, schemes)
    load_305004_self_evaluations(units)
    load_library(units)
    load_windows()
    return users


# The demo's department proposal the finance reviewer finds waiting (待确认).
DEMO_PROPOSAL = {
    "level1": "产出指标",
    "level2": "时效指标",
    "level3": "社保经办窗口业务办结率",
    "nature": "≥",
    "measure_unit": "%",
    "reference_value": "≥98%",
    "explanation": "当期按时办结的窗口业务件数/受理件数×100%",
    "basis": "社保经办窗口业务台账",
    "scoring_standard": "达到目标值的得满分；每低1个百分点扣该项分值的10%。",
}


def load_library(units: dict[str, Unit]) -> None:
    """The indicator library: the shipped 共性 entries under the finance bureau, 027's published
    indicators as its confirmed 个性 entries, the demo goals of 027001 linked to them by (一级,
    三级) without changing what they say (golden exports stay as published), the approved goals'
    entries frozen, and dept027's proposal waiting for the finance bureau."""
    from .models import Indicator, LibraryEntry
    from .services import library

    finance, department = units[FINANCE_CODE], units["027"]
    library.library_seed_common(finance=finance)
    known = set(department.library_entries.values_list("level3", flat=True))
    for row in _read_csv("027_library.csv"):
        data = library.seed_row_data(row)
        if data["level3"] not in known:
            library.library_entry_create(actor=None, owner=department, data=data, confirm=True)
    entries = {}
    for entry in LibraryEntry.objects.filter(
        unit__in=[finance, department], status="approved"
    ).order_by("-is_common"):  # a department's own entry wins over a 共性 one of that name
        for scope in (GoalScope.PROJECT, GoalScope.UNIT):
            if entry.goal_scope in ("both", scope):
                entries[(scope, entry.level1, entry.level3)] = entry
    links = []
    for indicator in Indicator.objects.filter(
        goal__unit=units["027001"], library_entry__isnull=True
    ).select_related("goal"):
        entry = entries.get((indicator.goal.scope, indicator.level1, indicator.level3))
        if entry is not None:
            links.append((indicator, entry))
    library.library_link_indicators(links=links, actor=None)
    for goal in PerformanceGoal.objects.filter(
        unit=units["027001"], status=Status.APPROVED, indicators__library_entry__isnull=False
    ).distinct():
        library.library_entries_freeze(goal=goal, actor=None)
    if not department.library_entries.filter(level3=DEMO_PROPOSAL["level3"]).exists():
        # Proposed without a notice: the demo starts with an empty inbox (the reminders do the rest).
        library.library_entry_create(
            actor=None, owner=department, data=DEMO_PROPOSAL, propose=True, notify=False
        )


# Reporting windows as the finance bureau would set them. In the demo 027001's 2022 projects
# have no self-evaluation yet, so the daily sweep (`manage.py send_reminders`) reminds its staff
# and, the deadline being past, escalates to dept027; 305004's 2023 evaluations are in.
DEMO_WINDOWS = (
    ("2022年度项目绩效自评", 2022, dt.date(2023, 1, 15), dt.date(2023, 4, 30)),
    ("2023年度项目绩效自评", 2023, dt.date(2024, 1, 15), dt.date(2024, 4, 30)),
)


def load_windows() -> None:
    from .choices import WindowKind
    from .models import ReportingWindow

    for title, year, opens_on, closes_on in DEMO_WINDOWS:
        ReportingWindow.objects.get_or_create(
            kind=WindowKind.SELF_EVALUATION,
            year=year,
            title=title,
            defaults={"opens_on": opens_on, "closes_on": closes_on, "lead_days": 7},
        )


# The finance bureau's year-end monitoring round for 2023 (data to December): 305004's five
# projects get their reports with budget, executed-to-date and rate from the published year-end
# execution, so the dashboard's lights chart and the monitoring pages show real figures. The
# indicator values stay for the unit to fill.
DEMO_ROUND = {
    "year": 2023,
    "data_month": 12,
    "opens_on": dt.date(2024, 1, 5),
    "deadline": dt.date(2024, 1, 20),
}


def load_demo_monitoring():
    """Open (or top up) the demo's monitoring round as the demo finance reviewer."""
    from django.contrib.auth import get_user_model

    from .models import MonitoringRound
    from .services.monitoring import monitoring_round_open

    closed = MonitoringRound.objects.filter(
        year=DEMO_ROUND["year"], data_month=DEMO_ROUND["data_month"], status=RoundStatus.CLOSED
    ).first()
    if closed is not None:  # ended by the after-score step (load_demo_red_light): leave it
        return closed
    finance = get_user_model().objects.get(username="finance")
    return monitoring_round_open(actor=finance, **DEMO_ROUND)


# --- after the score (issue 17): 财政复核 with evidence, objection, decision ---------------------
# The finance bureau draws a risk sample of 305004's 2023 evaluations (high score, low
# execution: 职业年金 scored 93.57 with 35.7 % executed), ``finance`` re-scores 年度工作任务完成率
# 30 → 18 with its 复核依据, ``finance2`` approves (four-eyes), 305004's 单位审核人 objects with
# 异议说明, and ``finance2`` upholds the result. Everything goes through the services as the demo
# users; every step checks its object first, so a second run changes nothing. The evaluations
# themselves are not touched (the golden exports stay byte-identical).
DEMO_SPOT_CHECK = {
    "unit": "305004",
    "year": 2023,
    "rule": {"rule": "high_score_low_execution", "min_total": "90"},
    "indicator": "年度工作任务完成率",
    "review_score": "18",
    "reason": "抽查工作台账：年度补记任务完成约60%，按完成比例计分。",
    "summary": "年度补记任务未全部完成，产出指标按台账完成比例重新评分。",
    "objection": "第四季度补记的1,200笔已于次年1月入账，台账未及时更新，请按全年完成情况评分。",
    "decision": "维持复核结论：入账发生在年度之后，不计入本年度完成量。",
}


def demo_pdf(title: str) -> bytes:
    """A small, valid PDF naming ``title`` (the demo's evidence files, generated in code)."""
    text = f"(Demo evidence {title.encode('unicode_escape').decode('ascii')})"
    stream = f"BT /F1 12 Tf 72 720 Td {text} Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _demo_file(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, demo_pdf(name), content_type="application/pdf")


def load_demo_after_score() -> dict[str, object]:
    """Play the demo's 财政复核 through the services (idempotent); returns what it shows."""
    from .choices import AttachmentKind, SpotCheckOutcome
    from .models import Attachment, IndicatorEvaluation, SpotCheck
    from .services import attachments, spot_checks, workflow

    spec = DEMO_SPOT_CHECK
    users = get_user_model().objects.in_bulk(
        ["finance", SPOT_CHECK_REVIEWER.username, "reviewer305"], field_name="username"
    )
    finance, second, unit_reviewer = (
        users["finance"],
        users[SPOT_CHECK_REVIEWER.username],
        users["reviewer305"],
    )
    unit = Unit.objects.get(code=spec["unit"])
    spot_check = SpotCheck.objects.filter(unit=unit, year=spec["year"]).order_by("pk").first()
    if spot_check is None:
        drawn = spot_checks.spot_check_draw(
            actor=finance,
            year=spec["year"],
            method="risk",
            unit=unit,
            rules=[spec["rule"]],
            note="演示：高分低执行率风险抽查",
        )
        spot_check = SpotCheck.objects.get(pk=drawn.created[0])
    if spot_check.status == Status.DRAFT and not spot_check.scores.exists():
        indicator = IndicatorEvaluation.objects.get(
            evaluation=spot_check.evaluation, indicator__level3=spec["indicator"]
        ).indicator_id
        spot_checks.spot_check_rescore(
            actor=finance,
            spot_check=spot_check,
            scores=[
                {
                    "indicator": indicator,
                    "review_score": spec["review_score"],
                    "reason": spec["reason"],
                }
            ],
            summary=spec["summary"],
        )
    if spot_check.status == Status.DRAFT and not spot_check.attachments.exists():
        attachments.attachment_add(
            actor=finance,
            anchor=attachments.Anchor(kind=AttachmentKind.SPOT_CHECK, obj=spot_check),
            files=[_demo_file("复核依据.pdf")],
            description="抽查工作台账摘录",
        )
    if spot_check.status == Status.DRAFT:
        workflow.submit(obj=spot_check, actor=finance)
    if spot_check.status == Status.SUBMITTED:
        workflow.approve(obj=spot_check, actor=second)
    spot_check.refresh_from_db()
    if spot_check.outcome == SpotCheckOutcome.PUBLISHED:
        spot_checks.spot_check_object(
            actor=unit_reviewer,
            spot_check=spot_check,
            reason=spec["objection"],
            files=[_demo_file("异议说明.pdf")],
        )
    if spot_check.outcome == SpotCheckOutcome.OBJECTED:
        spot_checks.spot_check_decide(
            actor=second,
            spot_check=spot_check,
            decision=SpotCheckOutcome.UPHELD,
            comment=spec["decision"],
        )
    spot_check.refresh_from_db()
    rectification = load_demo_rectification(spot_check)
    return {
        "spot_check": spot_check,
        "files": Attachment.objects.filter(spot_check=spot_check).count(),
        "rectification": rectification,
        "red_light": load_demo_red_light(),
    }


# --- 整改 (issue 17): the 复核 difference becomes a task, answered and closed ------------------
# The upheld result (93.57 → 81.57, difference 12 ≥ SPOT_CHECK_DIFFERENCE_THRESHOLD) raises a
# 复核差异 task (finance-level); 305004's 填报人 answers it with measures, results and a
# 整改报告.pdf, submits, and ``finance`` accepts it (销号). With a threshold above the
# difference there is no task and nothing to show.
DEMO_RECTIFICATION = {
    "measures": "重新核对年度补记任务台账，按入账日期归集年度完成量；自评前由单位审核人复核台账。",
    "result": "已按实际入账情况更正台账，修订自评工作规程并组织经办人员培训。",
    "file": "整改报告.pdf",
    "file_description": "整改报告及更正后的台账",
    "comment": "整改措施到位，同意销号。",
}


def load_demo_rectification(spot_check) -> object | None:
    """Raise, answer and close the demo spot check's 复核差异 task through the services
    (idempotent); returns the task, or ``None`` when the difference raises none."""
    from .choices import RectificationCause
    from .models import Rectification
    from .services import rectifications

    spec = DEMO_RECTIFICATION
    rectifications.rectifications_raise(spot_checks=[spot_check])
    task = Rectification.objects.filter(
        spot_check=spot_check, cause=RectificationCause.REVIEW_DIFFERENCE
    ).first()
    if task is None:
        return None
    users = get_user_model().objects.in_bulk(["finance", "filler305"], field_name="username")
    return _answer_rectification(
        task, filler=users["filler305"], reviewer=users["finance"], spec=spec
    )


def _answer_rectification(task, *, filler, reviewer, spec: dict) -> object:
    """``filler`` answers ``task`` with the spec's measures, results and file and submits it;
    ``reviewer`` accepts it (销号). Each step checks the task first (idempotent)."""
    from .choices import AttachmentKind
    from .services import attachments, rectifications, workflow

    if task.status in (Status.DRAFT, Status.RETURNED):
        answer = {name: spec[name] for name in ("measures", "result")}
        if any(getattr(task, name) != value for name, value in answer.items()):
            task = rectifications.rectification_update(
                actor=filler, rectification=task, data=answer, expected_version=task.lock_version
            )
        if not task.attachments.exists():
            attachments.attachment_add(
                actor=filler,
                anchor=attachments.Anchor(kind=AttachmentKind.RECTIFICATION, obj=task),
                files=[_demo_file(spec["file"])],
                description=spec["file_description"],
            )
        workflow.submit(obj=task, actor=filler)
    if task.status == Status.SUBMITTED:
        workflow.approve(obj=task, actor=reviewer, comment=spec["comment"])
    task.refresh_from_db()
    return task


# --- 整改 from a red light (issue 17): the 2023 round ends, its red lights become tasks ----------
# The demo's monitoring round (2023 1-12月, deadline 2024-01-20) is long past by the time of the
# 财政复核: ``finance`` ends it, and its two red lights (职业年金 35.7 % and 党建工作 0 % executed
# against a time progress of 100 %) raise one 红灯 task each. filler305 answers 职业年金's with
# measures and 红灯整改报告.pdf and the 主管部门 (dept305) accepts it; 党建工作's stays open, in
# filler305's 待办 and in the results view as an open task. Only when the round was loaded
# (``load_demo --no-monitoring`` has none).
DEMO_RED_LIGHT = {
    "project": "机关事业单位职业年金记实补记资金",
    "measures": "与社保经办机构逐月核对职业年金记实补记进度，按月报送资金支付计划；"
    "对跨年度补记任务提前申请资金调度。",
    "result": "已完成积压补记任务的清理，建立月度支付台账，次年 1-6 月执行率达到时间进度要求。",
    "file": "红灯整改报告.pdf",
    "file_description": "红灯预警整改报告及月度支付台账",
    "comment": "整改措施可行，执行进度已恢复，同意销号。",
}


def load_demo_red_light() -> list | None:
    """End the demo's monitoring round and play its red-light 整改 (idempotent); returns the
    round's red-light tasks, or ``None`` when the demo has no monitoring round."""
    from .choices import RectificationCause
    from .models import MonitoringRound, Rectification
    from .services import rectifications
    from .services.monitoring import monitoring_round_close

    round_ = MonitoringRound.objects.filter(
        year=DEMO_ROUND["year"], data_month=DEMO_ROUND["data_month"]
    ).first()
    if round_ is None:
        return None
    users = get_user_model().objects.in_bulk(
        ["finance", "filler305", "dept305"], field_name="username"
    )
    if round_.status != RoundStatus.CLOSED:
        monitoring_round_close(actor=users["finance"], round_=round_)
    rectifications.rectifications_raise(rounds=[round_])  # what the close queues, done now
    tasks = list(
        Rectification.objects.filter(report__round=round_, cause=RectificationCause.RED_LIGHT)
        .select_related("project")
        .order_by("pk")
    )
    spec = DEMO_RED_LIGHT
    for index, task in enumerate(tasks):
        if task.project.name == spec["project"]:
            tasks[index] = _answer_rectification(
                task, filler=users["filler305"], reviewer=users["dept305"], spec=spec
            )
    return tasks


# --- from the library (issue 16 D1): a new goal picked from suggestions and search ------------
# dept027 proposes a 个性 indicator and ``finance`` confirms it; then 027001's 填报人 starts the
# 2023 goal of a new project (no last year to copy) and fills it mostly by picking: the entries
# its 同类项目 (027001's 2022 operating projects) use, and the confirmed proposal found by
# search, each with its 指标值. The goal stays a 草稿, so it waits in filler027's 待办.
DEMO_LIBRARY_PROPOSAL = {
    "level1": "产出指标",
    "level2": "质量指标",
    "level3": "社保业务线上办理率",
    "nature": "≥",
    "measure_unit": "%",
    "reference_value": "≥80%",
    "explanation": "当期通过线上渠道办结的社保业务件数/办结总件数×100%",
    "basis": "社保经办信息系统统计",
    "scoring_standard": "达到目标值的得满分；每低1个百分点扣该项分值的5%。",
}
DEMO_LIBRARY_GOAL = {
    "code": "0270012023001",
    "name": "社保经办服务能力提升",
    "year": 2023,
    "budget": Decimal("36.5"),
    "overall_goal": "提升社保经办服务能力，保障信息系统稳定运行，推进社保业务线上办理。",
    # (三级 of a suggested entry, its 指标值; ``None``: the entry's 参考值)
    "suggested": (
        ("预算资金", "≤36.5万元"),
        ("社保信息管理系统正常运行", None),
        ("资金支付及时性", None),
        ("群众参保满意度", "≥92%"),
    ),
    "searched": (("线上办理", "≥85%"),),  # (query, 指标值): the first hit is picked
}


def load_demo_library_proposal() -> object:
    """dept027 proposes ``DEMO_LIBRARY_PROPOSAL`` and ``finance`` confirms it (idempotent)."""
    from .choices import LibraryStatus
    from .services import library

    users = get_user_model().objects.in_bulk(["finance", "dept027"], field_name="username")
    department = Unit.objects.get(code="027")
    entry = department.library_entries.filter(level3=DEMO_LIBRARY_PROPOSAL["level3"]).first()
    if entry is None:
        entry = library.library_entry_create(
            actor=users["dept027"], owner=department, data=DEMO_LIBRARY_PROPOSAL, propose=True
        )
    if entry.status == LibraryStatus.SUBMITTED:
        entry = library.library_entry_confirm(
            entry=entry, actor=users["finance"], comment="口径清晰，同意纳入部门个性指标。"
        )
    return entry


def load_demo_library_goal() -> PerformanceGoal:
    """The filler's new goal built from the library (idempotent): returns the draft goal."""
    from .selectors import library as library_selectors
    from .services import library

    spec = DEMO_LIBRARY_GOAL
    load_demo_library_proposal()
    filler = get_user_model().objects.get(username="filler027")
    unit = Unit.objects.get(code="027001")
    year = spec["year"]
    project = Project.objects.filter(unit=unit, year=year, code=spec["code"]).first()
    if project is None:
        project = project_services.project_save(
            actor=filler,
            data={
                "code": spec["code"],
                "name": spec["name"],
                "unit": unit,
                "year": year,
                "category": ProjectCategory.OPERATING,
                "continuity": Continuity.NEW,
                "period_start": dt.date(year, 1, 1),
                "period_end": dt.date(year, 12, 31),
            },
        )
        project_services.project_set_budget(
            project=project,
            fund_source=FundSource.GENERAL_PUBLIC,
            amount=spec["budget"],
            actor=filler,
        )
    goal = PerformanceGoal.objects.filter(project=project, year=year).first()
    if goal is None:
        goal = goal_services.goal_create(
            scope=GoalScope.PROJECT,
            year=year,
            project=project,
            actor=filler,
            data={"overall_goal": spec["overall_goal"]},
        )
    if goal.indicators.filter(library_entry__isnull=False).exists():
        return goal
    suggested = {
        s.entry.level3: s.entry for s in library_selectors.suggestions(filler, goal=goal, limit=50)
    }
    picks = [
        library.Pick(entry=suggested[level3], raw_value=value or "", use_reference=value is None)
        for level3, value in spec["suggested"]
        if level3 in suggested
    ]
    for query, value in spec["searched"]:
        hits = library_selectors.search(filler, query, goal=goal, limit=1)
        if hits:
            picks.append(library.Pick(entry=hits[0].entry, raw_value=value))
    if picks:
        library.goal_add_library_entries(goal=goal, actor=filler, picks=picks)
    return goal
