"""Choices of the performance app. Codes are English; labels are what users read.

Grades, lights, qualitative bands and rounding modes are the scoring engine's enumerations
(``performance.scoring``, codes and labels alike): they are built from it here, never
re-declared, so a stored code and the engine's can never disagree.
"""

from collections.abc import Mapping
from enum import StrEnum

from django.db import models

from . import scoring


def engine_choices(name: str, enum: type[StrEnum], labels: Mapping[StrEnum, str]):
    """Django ``TextChoices`` of an engine enumeration: the same member names, codes and labels."""
    unlabelled = [member.name for member in enum if member not in labels]
    if unlabelled:
        raise ValueError(f"{enum.__name__} has no label for {unlabelled}")
    members = [(member.name, (member.value, labels[member])) for member in enum]
    return models.TextChoices(name, members, module=__name__, qualname=name)


class GoalScope(models.TextChoices):
    PROJECT = "project", "项目绩效目标"
    UNIT = "unit", "部门（单位）整体绩效目标"


class Status(models.TextChoices):
    """Review states shared by goals, monitoring reports and self-evaluations."""

    DRAFT = "draft", "草稿"
    UNIT_REVIEW = "unit_review", "待单位审核"
    SUBMITTED = "submitted", "已提交"
    DEPT_APPROVED = "dept_approved", "主管部门审核通过"
    APPROVED = "approved", "财政批复"
    RETURNED = "returned", "已退回"
    SUPERSEDED = "superseded", "已调整（历史版本）"


EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)


class Category(models.TextChoices):
    """What a 一级 indicator counts for in scoring (both frameworks of domain.md §3)."""

    OUTPUT = "output", "产出指标"
    COST = "cost", "成本指标"
    BENEFIT = "benefit", "效益指标"
    SATISFACTION = "satisfaction", "满意度指标"
    FUND_MANAGEMENT = "fund_management", "资金管理指标"
    INPUT = "input", "投入管理指标"
    OTHER = "other", "其他"


class TargetKind(models.TextChoices):
    QUANTITATIVE = "quantitative", "定量"
    QUALITATIVE = "qualitative", "定性"
    RELATIVE = "relative", "相对上年"


class Operator(models.TextChoices):
    GE = ">=", "≥"
    GT = ">", "＞"
    EQ = "=", "＝"
    LT = "<", "＜"
    LE = "<=", "≤"


class Direction(models.TextChoices):
    POSITIVE = "positive", "正向"
    NEGATIVE = "negative", "反向"
    QUALITATIVE = "qualitative", "定性"


Light = engine_choices("Light", scoring.Light, scoring.LIGHT_LABELS)
Grade = engine_choices("Grade", scoring.Grade, scoring.GRADE_LABELS)
QualitativeBand = engine_choices("QualitativeBand", scoring.QualitativeBand, scoring.BAND_LABELS)


class DeviationCause(models.TextChoices):
    FUNDING = "funding", "经费保障"
    INSTITUTION = "institution", "制度保障"
    STAFFING = "staffing", "人员保障"
    HARDWARE = "hardware", "硬件条件保障"
    OTHER = "other", "其他"


class Likelihood(models.TextChoices):
    CERTAIN = "certain", "确定能"
    POSSIBLE = "possible", "有可能"
    IMPOSSIBLE = "impossible", "完全不可能"


Rounding = engine_choices("Rounding", scoring.Rounding, scoring.ROUNDING_LABELS)


class Severity(models.TextChoices):
    ERROR = "error", "错误"
    WARNING = "warning", "提示"


class RoundStatus(models.TextChoices):
    OPEN = "open", "进行中"
    CLOSED = "closed", "已结束"


class WindowKind(models.TextChoices):
    GOAL_SET = "goal_set", "目标申报"
    MONITORING = "monitoring", "绩效监控"
    SELF_EVALUATION = "self_evaluation", "绩效自评"
    ADJUSTMENT = "adjustment", "目标调整"


class NotificationKind(models.TextChoices):
    WINDOW_OPEN = "window_open", "填报开始"
    WINDOW_DUE = "window_due", "即将截止"
    WINDOW_OVERDUE = "window_overdue", "逾期未报"
    RETURNED = "returned", "被退回"
    ADJUSTMENT_NEEDED = "adjustment_needed", "需要调整目标"
    RED_LIGHT = "red_light", "红灯预警"
    YELLOW_LIGHT = "yellow_light", "黄灯预警"
    IMPOSSIBLE = "impossible", "预计完全不可能完成"
    POOR_GRADE = "poor_grade", "自评等级为差"
    DEVIATION = "deviation", "存在偏差需整改"
    # 财政复核 (issue 17, spot checks)
    SPOT_CHECK_PUBLISHED = "spot_check_published", "财政复核结果"
    SPOT_CHECK_OBJECTED = "spot_check_objected", "复核异议"
    SPOT_CHECK_DECIDED = "spot_check_decided", "异议裁定"
    LIBRARY_PROPOSED = "library_proposed", "指标待确认"
    LIBRARY_CONFIRMED = "library_confirmed", "指标已确认"
    # issue 15: who is told when a document moves through review
    REVIEW_WAITING = "review_waiting", "待您审核"
    APPROVED = "approved", "审核通过"
    REVIEW_OVERDUE = "review_overdue", "审核超时"
    # issue 18: a user created by the people import is invited to set his password
    ACCOUNT_INVITE = "account_invite", "账号开通（设置密码）"
    # 整改 (issue 17, rectification)
    RECTIFICATION_RAISED = "rectification_raised", "整改任务"
    RECTIFICATION_DUE = "rectification_due", "整改即将到期"
    RECTIFICATION_OVERDUE = "rectification_overdue", "整改逾期"


class JobKind(models.TextChoices):
    IMPORT_TARGETS = "import_targets", "导入绩效目标"
    EXPORT_TABLE = "export_table", "导出报表"
    RECOMPUTE = "recompute", "重新计算"
    PUBLICATION = "publication", "绩效公开打包"
    IMPORT_UNITS = "import_units", "导入单位"
    IMPORT_PEOPLE = "import_people", "导入人员和角色"
    # issue 18, WP-B2 (projects and execution imports)
    IMPORT_PROJECTS = "import_projects", "导入项目库和预算"
    IMPORT_EXECUTION = "import_execution", "导入支出执行"


class JobStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "运行中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"
    # Queued or running without progress for JOB_STALL_SECONDS (marked by the sweep, and read
    # as such before the sweep ran): can be re-queued.
    STALLED = "stalled", "已停滞"
    # A stalled recompute that a new request of the same year and unit replaced.
    SUPERSEDED = "superseded", "已放弃"


# Statuses of a job still expected to move, and of a job that never will.
JOB_ACTIVE = (JobStatus.PENDING, JobStatus.RUNNING)
JOB_FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.SUPERSEDED)


class AttachmentKind(models.TextChoices):
    """What an evidence file (佐证材料) is attached to. The governing document (whose state
    decides whether files may change) is the report for ``entry``/``report`` and the
    self-evaluation for ``score``/``evaluation``."""

    ENTRY = "entry", "监控指标"
    REPORT = "report", "监控表（整体）"
    SCORE = "score", "指标自评"
    EVALUATION = "evaluation", "绩效自评（整体）"
    # 财政复核 (issue 17): the reviewer's evidence for a re-score, and the unit's evidence with
    # its objection; both governed by the spot check.
    SPOT_CHECK = "spot_check", "复核依据"
    OBJECTION = "objection", "异议材料"
    RECTIFICATION = "rectification", "整改任务"


# --- 财政复核 (spot checks, issue 17) ---------------------------------------------------------


class DrawMethod(models.TextChoices):
    RANDOM = "random", "随机抽取"
    RISK = "risk", "按风险规则抽取"
    MANUAL = "manual", "人工指定"


class RiskRule(models.TextChoices):
    HIGH_SCORE_LOW_EXECUTION = "high_score_low_execution", "高分低执行"
    MANY_OVERRIDES = "many_overrides", "多处调整得分"
    DECLARED_DEVIATION = "declared_deviation", "存在偏差"
    POOR_LAST_YEAR = "poor_last_year", "上年自评为差"


class SpotCheckOutcome(models.TextChoices):
    """Where a spot check stands after its review: published, objected to, or final."""

    NONE = "", "未公开"
    PUBLISHED = "published", "已公开（异议期内）"
    OBJECTED = "objected", "异议待裁定"
    CONFIRMED = "confirmed", "无异议，已确认"
    UPHELD = "upheld", "维持复核结论"
    ACCEPTED = "accepted", "采纳异议"
    REVISED = "revised", "裁定调整"


# The finance bureau's decisions on an objection, and the outcomes that are final.
SPOT_CHECK_DECISIONS = (
    SpotCheckOutcome.UPHELD,
    SpotCheckOutcome.ACCEPTED,
    SpotCheckOutcome.REVISED,
)
SPOT_CHECK_FINAL = (SpotCheckOutcome.CONFIRMED, *SPOT_CHECK_DECISIONS)
# A spot check moves through the review states under its own names.
SPOT_CHECK_STATUS_LABELS = {
    Status.DRAFT: "复核中",
    Status.SUBMITTED: "待审定",
    Status.APPROVED: "已公开",
    Status.RETURNED: "退回修改",
}


# --- indicator library (指标库, issue 16) -------------------------------------------------


class Nature(models.TextChoices):
    """指标性质 of a library entry (101号: ≥ ≤ ＝ 定性); the direction follows from it."""

    GE = ">=", "≥"
    LE = "<=", "≤"
    EQ = "=", "＝"
    QUALITATIVE = "qualitative", "定性"


# 指标性质 → 指标方向 (domain §4: ≥ and ＝ score as 正向, ≤ as 反向).
NATURE_DIRECTION = {
    Nature.GE: Direction.POSITIVE,
    Nature.EQ: Direction.POSITIVE,
    Nature.LE: Direction.NEGATIVE,
    Nature.QUALITATIVE: Direction.QUALITATIVE,
}


class LibraryStatus(models.TextChoices):
    """States of a library entry: the shared review codes where they mean the same, plus 停用."""

    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待确认"
    APPROVED = "approved", "已确认"
    RETURNED = "returned", "已退回"
    SUPERSEDED = "superseded", "已由新版本取代"
    RETIRED = "retired", "已停用"


# A goal may reference (引用) these; an open version is being written or reviewed.
LIBRARY_PICKABLE = (LibraryStatus.APPROVED,)
LIBRARY_OPEN = (LibraryStatus.DRAFT, LibraryStatus.SUBMITTED, LibraryStatus.RETURNED)


class LibraryGoalScope(models.TextChoices):
    PROJECT = "project", "项目绩效目标"
    UNIT = "unit", "部门（单位）整体绩效目标"
    BOTH = "both", "通用"


# --- import history (issue 18: ImportRun) ---------------------------------------------------
class ImportRunStatus(models.TextChoices):
    """What one import run came to (``performance.models.ImportRun.status``)."""

    VALIDATED = "validated", "校验通过"
    COMMITTED = "committed", "已导入"
    UNCHANGED = "unchanged", "无变化"
    FAILED = "failed", "有错误未导入"


# --- 整改 (issue 17, rectification) ------------------------------------------------------------


class RectificationCause(models.TextChoices):
    """Why a rectification task was raised: one automatic cause per source, or by hand."""

    RED_LIGHT = "red_light", "红灯预警"
    IMPOSSIBLE = "impossible", "预计完全不可能完成"
    POOR_GRADE = "poor_grade", "自评等级为差"
    REVIEW_DIFFERENCE = "review_difference", "复核差异"
    DEVIATION = "deviation", "存在偏差"
    MANUAL = "manual", "其他（人工发起）"


class RectificationReviewer(models.TextChoices):
    """Who accepts (验收) a rectification: the department (or finance), or finance only."""

    DEPT_REVIEWER = "dept_reviewer", "主管部门审核人"
    FINANCE_REVIEWER = "finance_reviewer", "财政审核人"


# --- interim (period) targets (issue 16 WP-C): built from the engine's enums -----------------

PeriodKind = engine_choices("PeriodKind", scoring.PeriodKind, scoring.PERIOD_KIND_LABELS)
PeriodMode = engine_choices("PeriodMode", scoring.PeriodMode, scoring.PERIOD_MODE_LABELS)
ExpectationBasis = engine_choices(
    "ExpectationBasis", scoring.ExpectationBasis, scoring.EXPECTATION_BASIS_LABELS
)
