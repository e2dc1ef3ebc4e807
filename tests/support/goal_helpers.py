"""Builders shared by the goal workflow tests: new projects and goals made through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from performance.choices import GoalScope
from performance.models import PerformanceGoal
from performance.services import goals as goal_services
from projects.audit import history
from projects.choices import FundSource, ProjectCategory
from projects.models import Project, Unit
from projects.services import projects as project_services

GOOD_INDICATORS = (
    {"level1": "成本指标", "level2": "经济成本指标", "level3": "预算资金", "raw_value": "≤20万元"},
    {"level1": "产出指标", "level2": "数量指标", "level3": "培训人次", "raw_value": "≥300人次"},
    {"level1": "产出指标", "level2": "时效指标", "level3": "培训完成时间", "raw_value": "≤12月"},
    {
        "level1": "效益指标",
        "level2": "社会效益指标",
        "level3": "经办人员业务能力",
        "raw_value": "明显提升",
        "explanation": "考核合格率≥95%为达成，85%–95%为部分达成，低于85%为未达成",
    },
    {
        "level1": "满意度指标",
        "level2": "服务对象满意度指标",
        "level3": "参训人员满意度",
        "raw_value": "≥90%",
    },
)


def new_project(
    actor, *, unit_code: str = "027001", year: int = 2023, code: str = "410395230000000900001"
):
    """A new 特定目标类 project with a 20 万元 budget, saved by ``actor`` through the services."""
    unit = Unit.objects.get(code=unit_code)
    project = project_services.project_save(
        actor=actor,
        data={
            "code": code,
            "name": "社保经办人员业务培训",
            "unit": unit,
            "year": year,
            "category": ProjectCategory.SPECIAL,
            "period_start": dt.date(year, 1, 1),
            "period_end": dt.date(year, 12, 31),
        },
    )
    project_services.project_set_budget(
        project=project, fund_source=FundSource.GENERAL_PUBLIC, amount=Decimal("20"), actor=actor
    )
    return project


def new_goal(actor, *, project: Project | None = None, indicators=GOOD_INDICATORS, **data):
    """A draft goal of a (new) project with ``indicators``, created by ``actor``."""
    project = project or new_project(actor)
    return goal_services.goal_create(
        scope=GoalScope.PROJECT,
        year=project.year,
        project=project,
        actor=actor,
        data={"overall_goal": "完成全年经办人员业务培训，提升经办服务能力。", **data},
        indicators=indicators,
    )


def demo_goal(code: str) -> PerformanceGoal:
    """The approved 2022 demo goal of a 027001 project, by project code."""
    return PerformanceGoal.objects.get(project__code=code, year=2022, status="approved")


def state(obj) -> tuple:
    """What a refused call must leave untouched: status, lock_version and the audit count."""
    fresh = type(obj).objects.get(pk=obj.pk)
    return fresh.status, fresh.lock_version, history(fresh).count()
