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
    # issue 15: who is told when a document moves through review
    REVIEW_WAITING = "review_waiting", "待您审核"
    APPROVED = "approved", "审核通过"
    REVIEW_OVERDUE = "review_overdue", "审核超时"


class JobKind(models.TextChoices):
    IMPORT_TARGETS = "import_targets", "导入绩效目标"
    EXPORT_TABLE = "export_table", "导出报表"
    RECOMPUTE = "recompute", "重新计算"


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
