"""Per-bureau review settings and the working-day calendar: the rules of review timing that a
finance bureau's 管理员 maintains in the admin instead of a deploy (a new holiday list every
December, whether its units review internally)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class BureauPolicy(models.Model):
    """One finance bureau's review settings; a bureau without a row works with the defaults
    (no unit-internal review, ``settings.REVIEW_ESCALATION_WORKING_DAYS``)."""

    bureau = models.OneToOneField(
        "projects.Unit",
        verbose_name="财政局",
        on_delete=models.CASCADE,
        related_name="review_policy",
        limit_choices_to={"kind": "finance"},
    )
    unit_review_required = models.BooleanField(
        "单位内部审核",
        default=False,
        help_text="开启后，填报人提交的绩效目标、监控表和自评表须经单位审核人审核通过，才报送主管部门。",
    )
    escalation_working_days = models.PositiveSmallIntegerField(
        "审核超时提醒（工作日）",
        default=5,
        help_text="在一个审核环节等待超过该工作日数时，提醒上一级一次；0 表示不提醒。",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "审核设置"
        verbose_name_plural = "审核设置"
        ordering = ["bureau__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(escalation_working_days__lte=60),
                name="policy_escalation_days_at_most_60",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bureau} 审核设置"


class WorkCalendarDay(models.Model):
    """A date that is not what its weekday says: a holiday on a weekday, or a 调休 weekend day
    people work. Unlisted dates are Monday–Friday working days."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField(
        "上班", default=False, help_text="勾选：调休上班日；不勾选：放假日。"
    )
    name = models.CharField("说明", max_length=50, blank=True, help_text="如：春节、春节调休。")

    class Meta:
        verbose_name = "工作日历"
        verbose_name_plural = "工作日历"
        ordering = ["date"]

    def __str__(self) -> str:
        kind = "上班" if self.is_workday else "放假"
        label = f"（{self.name}）" if self.name else ""
        return f"{self.date:%Y-%m-%d} {kind}{label}"
