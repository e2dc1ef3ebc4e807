"""One to-do line as people and clients read it: title, links, days waited, deadline.

Built in Python from a row of the selector's statement, without further queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from ...choices import RectificationCause, Status, WindowKind
from .sources import GROUP_CODES, GROUP_LABELS, SOURCES_BY_KIND, TodoGroup
from .timing import ReviewTiming, local_date

ADMIN_NAMES = {
    "goal": "performance_performancegoal",
    "report": "performance_monitoringreport",
    "evaluation": "performance_selfevaluation",
    "rectification": "performance_rectification",
}
API_PATHS = {
    "goal": "/api/v1/goals/{}/",
    "report": "/api/v1/monitoring-reports/{}/",
    "evaluation": "/api/v1/evaluations/{}/",
    "project": "/api/v1/projects/{}/",
    "unit": "/api/v1/units/{}/",
    "rectification": "/api/v1/rectifications/{}/",
}
ACTION_LABELS = {
    "approve": "审核",
    "return": "审核",
    "edit": "修改并提交",
    "submit": "修改并提交",
    "start": "开始填报",
    "adjust": "调整目标",
    "open": "查看",
}


@dataclass
class TodoItem:
    """A line of the to-do list."""

    kind: str
    kind_label: str
    group: TodoGroup
    object_type: str
    object_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    year: int | None
    title: str
    status: str
    status_label: str
    since: dt.datetime | None
    due: dt.date | None
    overdue: bool
    waited_working_days: int | None
    count: int
    note: str
    actor: str
    actions: tuple[str, ...]
    link: str
    api_url: str
    overdue_days: int = 0

    @property
    def key(self) -> str:
        """Stable per line: kind and object (overdue units: also window kind and year)."""
        if self.kind == "units.overdue":
            return f"{self.kind}:{self.object_id}:{self.status}:{self.year}"
        return f"{self.kind}:{self.object_id}"

    @property
    def group_code(self) -> str:
        return GROUP_CODES[self.group]

    @property
    def group_label(self) -> str:
        return GROUP_LABELS[self.group]

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.actions[0]] if self.actions else "查看"


def _moment(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    moment = dt.datetime.fromisoformat(str(value))  # SQLite: UTC text
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def _day(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _title(kind: str, values: dict) -> str:
    year, name = values["t_year"], values["t_name"]
    if kind.startswith("goal.") and kind != "goal.start":
        version = values["t_version"]
        suffix = f" v{version}" if version else ""
        if kind == "goal.adjust":
            return f"{year}年 {name} 绩效目标（预算已调整）"
        return f"{year}年 {name} 绩效目标{suffix}"
    if kind.startswith("report."):
        return f"{name} 监控表（{values['t_extra']}）"
    if kind.startswith("evaluation.") and kind != "evaluation.start":
        return f"{year}年 {name} 绩效自评"
    if kind.startswith("rectification."):
        cause = values["t_extra"]
        label = RectificationCause(cause).label if cause in RectificationCause.values else cause
        return f"{year}年 {name} 整改任务（{label}）"
    if kind == "goal.start":
        return f"{year}年 {name}：填报绩效目标"
    if kind == "evaluation.start":
        return f"{year}年 {name}：开展绩效自评"
    return f"{year}年{values['t_extra']}：{values['t_count']} 项未完成"


def _link(kind: str, object_type: str, values: dict) -> str:
    pk = values["t_object"]
    if object_type in ADMIN_NAMES:
        anchor = "#workflow-panel" if kind.endswith((".review", ".adjust")) else ""
        return reverse(f"admin:{ADMIN_NAMES[object_type]}_change", args=[pk]) + anchor
    if kind == "goal.start":
        return (
            reverse("admin:performance_performancegoal_add")
            + f"?scope=project&project={pk}&unit={values['t_unit']}&year={values['t_year']}"
        )
    if kind == "evaluation.start":
        return (
            reverse("admin:performance_selfevaluation_add")
            + f"?project={pk}&unit={values['t_unit']}&year={values['t_year']}"
        )
    return reverse("performance_dashboard") + (
        f"?year={values['t_year']}&unit={values['t_unit_code']}"
    )


def review_arrival(values: dict) -> tuple[str, dt.date] | None:
    """``(unit code, local arrival date)`` of a line waiting at a review step, else None."""
    since = _moment(values["t_since"])
    if SOURCES_BY_KIND[values["t_kind"]].group != TodoGroup.REVIEW or since is None:
        return None
    return values["t_unit_code"], local_date(since)


def build_item(values: dict, today: dt.date, timing: ReviewTiming | None = None) -> TodoItem:
    """A :class:`TodoItem` from one row of the statement (no queries; ``timing`` from
    :meth:`ReviewTiming.for_lines` of the list's review lines)."""
    kind = values["t_kind"]
    source = SOURCES_BY_KIND[kind]
    since = _moment(values["t_since"])
    due = _day(values["t_due"])
    waited = None
    arrival = review_arrival(values)
    if arrival is not None:
        timing = timing or ReviewTiming(today=today)
        waited = timing.waited(arrival[1])
        due = timing.due(*arrival)
    status = values["t_status"] or ""
    if source.group == TodoGroup.OVERDUE:
        status_label = WindowKind(status).label if status in WindowKind.values else status
    else:
        status_label = Status(status).label if status in Status.values else ""
    return TodoItem(
        kind=kind,
        kind_label=source.label,
        group=source.group,
        object_type=source.model,
        object_id=values["t_object"],
        unit_id=values["t_unit"],
        unit_code=values["t_unit_code"],
        unit_name=values["t_unit_name"],
        year=values["t_year"],
        title=_title(kind, values),
        status=status,
        status_label=status_label,
        since=since,
        due=due,
        overdue=due is not None and due < today,
        overdue_days=(today - due).days if due is not None and due < today else 0,
        waited_working_days=waited,
        count=values["t_count"] or 1,
        note=values["t_note"] or "",
        actor=values["t_actor"] or "",
        actions=source.actions,
        link=_link(kind, source.model, values),
        api_url=API_PATHS[source.model].format(values["t_object"]),
    )
