"""To-do sources: per kind of line, who gets it and the scoped queryset that yields its rows.

Each source is computed from the documents' states (never stored), so a line leaves the list
the moment its document moves on. Every part is a queryset annotated with :data:`COLUMNS` (all
of them, cast to one type each) so that the selector can put them all into one SQL statement.
Who reviews which state mirrors ``services.workflow.TRANSITIONS`` (``REVIEW_STEPS``); the window rules are
those of ``selectors.work_due`` (the reminder sweep's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat

from projects.models import Project, ProjectBudget
from projects.permissions import DEPT_REVIEWERS, FINANCE_REVIEWERS, UNIT_REVIEWERS, UNIT_STAFF

from ...choices import (
    EDITABLE_STATUSES,
    GoalScope,
    RectificationReviewer,
    RoundStatus,
    Status,
    WindowKind,
)
from ...models import (
    MonitoringReport,
    PerformanceGoal,
    Rectification,
    ReportingWindow,
    SelfEvaluation,
)
from ...models.goals import OPEN_STATUSES
from ..work_due import GOAL_HANDED_IN, HANDED_IN
from .timing import last_actor_name, step_entered_at

INT, TEXT, MOMENT, DAY = IntegerField(), TextField(), DateTimeField(), DateField()
# name → type; every part selects exactly these columns, in this order.
COLUMNS: tuple[tuple[str, object], ...] = (
    ("t_rank", INT),
    ("t_kind", TEXT),
    ("t_object", INT),
    ("t_unit", INT),
    ("t_unit_code", TEXT),
    ("t_unit_name", TEXT),
    ("t_year", INT),
    ("t_name", TEXT),
    ("t_version", INT),
    ("t_status", TEXT),
    ("t_since", MOMENT),
    ("t_due", DAY),
    ("t_count", INT),
    ("t_note", TEXT),
    ("t_extra", TEXT),
    ("t_actor", TEXT),
)
COLUMN_NAMES = tuple(name for name, _type in COLUMNS)

# Who fills a unit's documents, and who oversees units below them (projects.permissions).
EDITOR_ROLES = frozenset(UNIT_STAFF)
OVERSIGHT_ROLES = frozenset((*DEPT_REVIEWERS, *FINANCE_REVIEWERS))


class TodoGroup(IntEnum):
    """The page's groups, in their order."""

    REVIEW = 1
    RETURNED = 2
    SUBMIT = 3
    FILL = 4
    OVERDUE = 5


GROUP_CODES = {
    TodoGroup.REVIEW: "review",
    TodoGroup.RETURNED: "returned",
    TodoGroup.SUBMIT: "submit",
    TodoGroup.FILL: "fill",
    TodoGroup.OVERDUE: "overdue",
}
GROUP_LABELS = {
    TodoGroup.REVIEW: "待我审核",
    TodoGroup.RETURNED: "被退回",
    TodoGroup.SUBMIT: "待提交",
    TodoGroup.FILL: "待填报",
    TodoGroup.OVERDUE: "逾期单位",
}


@dataclass(frozen=True)
class Scope:
    """Who asks and when: the user's memberships (``(unit path, role)``), today, a subtree."""

    paths: tuple[tuple[str, str], ...]
    today: dt.date
    under: str | None = None  # only units at or below this path (the ``unit`` filter)

    def _paths(self, roles: Iterable[str]) -> list[str]:
        wanted = set(roles)
        return sorted({path for path, role in self.paths if role in wanted})

    def units_with(self, roles: Iterable[str], prefix: str = "unit__") -> Q | None:
        """Units where the user holds one of ``roles`` (on them or above); ``None``: none."""
        paths = self._paths(roles)
        if not paths:
            return None
        condition = Q()
        for path in paths:
            condition |= Q(**{f"{prefix}path__startswith": path})
        return condition & self._under(prefix)

    def units_below(self, roles: Iterable[str], prefix: str = "unit__") -> Q | None:
        """Units strictly below a membership holding one of ``roles``; ``None``: none."""
        paths = self._paths(roles)
        if not paths:
            return None
        condition = Q()
        for path in paths:
            condition |= Q(**{f"{prefix}path__startswith": path}) & ~Q(**{f"{prefix}path": path})
        return condition & self._under(prefix)

    def _under(self, prefix: str) -> Q:
        return Q(**{f"{prefix}path__startswith": self.under}) if self.under else Q()


@dataclass(frozen=True)
class TodoSource:
    """One kind of line: ``parts(scope)`` are its querysets (empty when the user has no role)."""

    kind: str
    label: str
    group: TodoGroup
    parts: Callable[[Scope], list[QuerySet]]
    model: str  # "goal" | "report" | "evaluation" | "project" | "unit": what ``t_object`` is
    actions: tuple[str, ...]
    in_header: bool = True


def shape(queryset: QuerySet, rank: TodoGroup, kind: str, **columns) -> QuerySet:
    """``queryset`` annotated with every column of :data:`COLUMNS` (missing ones NULL), each
    cast to its column type so the parts line up in a UNION on every backend."""
    columns = {"t_rank": Value(int(rank)), "t_kind": Value(kind), **columns}
    annotations = {}
    for name, field in COLUMNS:
        expression = columns.get(name, Value(None))
        annotations[name] = Cast(expression, output_field=field)
    return queryset.order_by().annotate(**annotations).values(*COLUMN_NAMES)


def _subject():
    """Project name, or the unit's name for a unit-overall document."""
    return Coalesce(F("project__name"), Concat(F("unit__name"), Value("（整体）")))


def _window_due(kind: str, today: dt.date, year="year", *, closed: bool = False) -> Subquery:
    """``closes_on`` of the latest window of ``kind`` for the row's year that has opened (or,
    with ``closed``, that has closed)."""
    windows = ReportingWindow.objects.filter(
        kind=kind, year=OuterRef(year), is_active=True, opens_on__lte=today
    )
    if closed:
        windows = windows.filter(closes_on__lt=today)
    return Subquery(windows.order_by("-closes_on").values("closes_on")[:1])


def _window_exists(kind: str, today: dt.date, year="year", *, closed: bool = False) -> Exists:
    windows = ReportingWindow.objects.filter(
        kind=kind, year=OuterRef(year), is_active=True, opens_on__lte=today
    )
    if closed:
        windows = windows.filter(closes_on__lt=today)
    return Exists(windows)


def _unit_columns(prefix: str = "unit") -> dict:
    return {
        "t_unit": F(f"{prefix}_id") if prefix == "unit" else F(f"{prefix}__id"),
        "t_unit_code": F(f"{prefix}__code"),
        "t_unit_name": F(f"{prefix}__name"),
    }


# --- reviewed documents: at my step, returned, drafts --------------------------------------

DOCUMENTS = {
    # model key → (model, noun, year column)
    "goal": (PerformanceGoal, "绩效目标", "year"),
    "report": (MonitoringReport, "监控表", "round__year"),
    "evaluation": (SelfEvaluation, "绩效自评", "year"),
}


# What keeps a document someone's work: a report of an ended monitoring round is final (its
# drafts were never handed in; nobody reviews, returns or fills it any more).
LIVE = {"report": Q(round__status=RoundStatus.OPEN)}


def _live(key: str, rows: QuerySet) -> QuerySet:
    return rows.filter(LIVE[key]) if key in LIVE else rows


def _document_columns(key: str) -> dict:
    year = DOCUMENTS[key][2]
    columns = {
        "t_object": F("pk"),
        **_unit_columns(),
        "t_year": F(year),
        "t_status": F("status"),
    }
    if key == "report":
        columns["t_name"] = F("project__name")
        columns["t_extra"] = F("round__title")
    else:
        columns["t_name"] = _subject()
    if key == "goal":
        columns["t_version"] = F("version")
    return columns


# Who approves from which state: the APPROVE rows of ``services.workflow.TRANSITIONS`` (a
# selector may not import services; tests/performance/services/test_todo.py checks they agree).
REVIEW_STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (Status.UNIT_REVIEW, UNIT_REVIEWERS),
    (Status.SUBMITTED, DEPT_REVIEWERS),
    (Status.DEPT_APPROVED, FINANCE_REVIEWERS),
)


def _review_parts(key: str) -> Callable[[Scope], list[QuerySet]]:
    model = DOCUMENTS[key][0]

    def parts(scope: Scope) -> list[QuerySet]:
        result = []
        for state, roles in REVIEW_STEPS:
            where = scope.units_with(roles)
            if where is None:
                continue
            rows = _live(key, model.objects.filter(where, status=state))
            result.append(
                shape(
                    rows,
                    TodoGroup.REVIEW,
                    f"{key}.review",
                    **_document_columns(key),
                    t_since=step_entered_at(model),
                )
            )
        return result

    return parts


def _returned_parts(key: str) -> Callable[[Scope], list[QuerySet]]:
    model = DOCUMENTS[key][0]

    def parts(scope: Scope) -> list[QuerySet]:
        where = scope.units_with(EDITOR_ROLES)
        if where is None:
            return []
        rows = _live(key, model.objects.filter(where, status=Status.RETURNED))
        return [
            shape(
                rows,
                TodoGroup.RETURNED,
                f"{key}.returned",
                **_document_columns(key),
                t_since=step_entered_at(model),
                t_note=F("last_comment"),
                t_actor=last_actor_name(model),
            )
        ]

    return parts


def _draft_due(key: str, today: dt.date):
    if key == "report":
        return F("round__deadline")
    if key == "evaluation":
        return _window_due(WindowKind.SELF_EVALUATION, today)
    # A first version is due with the goal-setting window, an adjustment with its own window.
    return Case(
        When(version__gt=1, then=_window_due(WindowKind.ADJUSTMENT, today)),
        default=_window_due(WindowKind.GOAL_SET, today),
        output_field=DateField(),
    )


def _draft_parts(key: str) -> Callable[[Scope], list[QuerySet]]:
    model = DOCUMENTS[key][0]

    def parts(scope: Scope) -> list[QuerySet]:
        where = scope.units_with(EDITOR_ROLES)
        if where is None:
            return []
        rows = _live(key, model.objects.filter(where, status=Status.DRAFT))
        return [
            shape(
                rows,
                TodoGroup.SUBMIT,
                f"{key}.draft",
                **_document_columns(key),
                t_since=F("created_at"),
                t_due=_draft_due(key, scope.today),
            )
        ]

    return parts


# --- work with no document yet (the window rules of selectors.work_due) ---------------------


def _project_columns() -> dict:
    return {
        "t_object": F("pk"),
        **_unit_columns(),
        "t_year": F("year"),
        "t_name": F("name"),
    }


def _goal_start(scope: Scope) -> list[QuerySet]:
    """A project of a year whose goal-setting window has opened, with no goal at all."""
    where = scope.units_with(EDITOR_ROLES)
    if where is None:
        return []
    any_goal = PerformanceGoal.objects.filter(
        scope=GoalScope.PROJECT, project=OuterRef("pk"), year=OuterRef("year")
    )
    rows = Project.objects.filter(
        where, _window_exists(WindowKind.GOAL_SET, scope.today), unit__is_active=True
    ).exclude(Exists(any_goal))
    return [
        shape(
            rows,
            TodoGroup.FILL,
            "goal.start",
            **_project_columns(),
            t_due=_window_due(WindowKind.GOAL_SET, scope.today),
        )
    ]


def _evaluation_start(scope: Scope) -> list[QuerySet]:
    """A project with an approved goal in a self-evaluation window that has opened, and no
    self-evaluation yet."""
    where = scope.units_with(EDITOR_ROLES)
    if where is None:
        return []
    approved = PerformanceGoal.objects.filter(
        scope=GoalScope.PROJECT,
        project=OuterRef("pk"),
        year=OuterRef("year"),
        status=Status.APPROVED,
    )
    started = SelfEvaluation.objects.filter(
        scope=GoalScope.PROJECT, project=OuterRef("pk"), year=OuterRef("year")
    )
    rows = Project.objects.filter(
        where,
        Exists(approved),
        _window_exists(WindowKind.SELF_EVALUATION, scope.today),
        unit__is_active=True,
    ).exclude(Exists(started))
    return [
        shape(
            rows,
            TodoGroup.FILL,
            "evaluation.start",
            **_project_columns(),
            t_due=_window_due(WindowKind.SELF_EVALUATION, scope.today),
        )
    ]


def _adjustment_rows(where: Q) -> QuerySet[Project]:
    """Projects whose adjusted budget differs from the initial one, whose approved goal was
    never adjusted and has no open adjustment (the adjustment rule of ``work_due``)."""
    changed = ProjectBudget.objects.filter(project=OuterRef("pk")).exclude(
        adjusted_amount=F("amount")
    )
    approved_unadjusted = PerformanceGoal.objects.filter(
        scope=GoalScope.PROJECT,
        project=OuterRef("pk"),
        year=OuterRef("year"),
        status=Status.APPROVED,
        previous__isnull=True,
    )
    open_version = PerformanceGoal.objects.filter(
        scope=GoalScope.PROJECT,
        project=OuterRef("pk"),
        year=OuterRef("year"),
        status__in=OPEN_STATUSES,
    )
    return (
        Project.objects.filter(where, Exists(changed), Exists(approved_unadjusted))
        .filter(unit__is_active=True)
        .exclude(Exists(open_version))
    )


def _goal_adjust(scope: Scope) -> list[QuerySet]:
    """The approved goal of a project needing an adjustment in an opened adjustment window."""
    where = scope.units_with(EDITOR_ROLES)
    if where is None:
        return []
    approved = PerformanceGoal.objects.filter(
        scope=GoalScope.PROJECT,
        project=OuterRef("pk"),
        year=OuterRef("year"),
        status=Status.APPROVED,
    ).values("pk")[:1]
    rows = _adjustment_rows(where).filter(_window_exists(WindowKind.ADJUSTMENT, scope.today))
    return [
        shape(
            rows,
            TodoGroup.FILL,
            "goal.adjust",
            **{**_project_columns(), "t_object": Subquery(approved)},
            t_due=_window_due(WindowKind.ADJUSTMENT, scope.today),
        )
    ]


# --- overdue units below a reviewer ----------------------------------------------------------


def _grouped(rows: QuerySet, kind: str, today: dt.date, year: str, unit: str = "unit"):
    """One line per (unit, year) of ``rows`` with how many items are still due."""
    return shape(
        rows.values(unit, year).annotate(n=Count("pk")),
        TodoGroup.OVERDUE,
        "units.overdue",
        t_object=F(unit),
        t_unit=F(unit),
        t_unit_code=F(f"{unit}__code"),
        t_unit_name=F(f"{unit}__name"),
        t_year=F(year),
        t_status=Value(str(kind)),
        t_extra=Value(str(WindowKind(kind).label)),
        t_count=F("n"),
        t_due=_window_due(kind, today, year=year, closed=True),
    )


def _overdue_units(scope: Scope) -> list[QuerySet]:
    """Per unit strictly below the reviewer and per closed window: the items still due."""
    where = scope.units_below(OVERSIGHT_ROLES)
    if where is None:
        return []
    today = scope.today
    goal_handed_in = PerformanceGoal.objects.filter(
        scope=GoalScope.PROJECT,
        project=OuterRef("pk"),
        year=OuterRef("year"),
        status__in=GOAL_HANDED_IN,
    )
    goal_set = Project.objects.filter(
        where, _window_exists(WindowKind.GOAL_SET, today, closed=True), unit__is_active=True
    ).exclude(Exists(goal_handed_in))
    closed_round_window = ReportingWindow.objects.filter(
        Q(monitoring_round=OuterRef("round"))
        | Q(monitoring_round__isnull=True, year=OuterRef("round__year")),
        kind=WindowKind.MONITORING,
        is_active=True,
        closes_on__lt=today,
    )
    reports = _live(
        "report",
        MonitoringReport.objects.filter(
            where, Exists(closed_round_window), status__in=EDITABLE_STATUSES
        ),
    )
    approved = PerformanceGoal.objects.filter(
        scope=GoalScope.PROJECT,
        project=OuterRef("pk"),
        year=OuterRef("year"),
        status=Status.APPROVED,
    )
    evaluated = SelfEvaluation.objects.filter(
        scope=GoalScope.PROJECT,
        project=OuterRef("pk"),
        year=OuterRef("year"),
        status__in=HANDED_IN,
    )
    evaluations = Project.objects.filter(
        where,
        Exists(approved),
        _window_exists(WindowKind.SELF_EVALUATION, today, closed=True),
        unit__is_active=True,
    ).exclude(Exists(evaluated))
    adjustments = _adjustment_rows(where).filter(
        _window_exists(WindowKind.ADJUSTMENT, today, closed=True)
    )
    return [
        _grouped(goal_set, WindowKind.GOAL_SET, today, "year"),
        _grouped(reports, WindowKind.MONITORING, today, "round__year"),
        _grouped(evaluations, WindowKind.SELF_EVALUATION, today, "year"),
        _grouped(adjustments, WindowKind.ADJUSTMENT, today, "year"),
    ]


# --- 整改 (rectification): tasks to answer, and tasks waiting for acceptance ----------------

# Who accepts a task (the model's ``reviewer_roles``: a department-level task its department's
# reviewers or finance, a finance-level one finance only).
RECTIFICATION_STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (RectificationReviewer.DEPT_REVIEWER, (*DEPT_REVIEWERS, *FINANCE_REVIEWERS)),
    (RectificationReviewer.FINANCE_REVIEWER, FINANCE_REVIEWERS),
)


def _rectification_columns() -> dict:
    return {
        "t_object": F("pk"),
        **_unit_columns(),
        "t_year": F("year"),
        "t_status": F("status"),
        "t_name": _subject(),
        "t_extra": F("cause"),
        "t_due": F("deadline"),
    }


def _rectification_open(scope: Scope) -> list[QuerySet]:
    where = scope.units_with(EDITOR_ROLES)
    if where is None:
        return []
    rows = Rectification.objects.filter(where, status__in=EDITABLE_STATUSES)
    return [
        shape(
            rows,
            TodoGroup.SUBMIT,
            "rectification.open",
            **_rectification_columns(),
            t_since=F("raised_at"),
            t_note=F("last_comment"),
        )
    ]


def _rectification_review(scope: Scope) -> list[QuerySet]:
    result = []
    for review_by, roles in RECTIFICATION_STEPS:
        where = scope.units_with(roles)
        if where is None:
            continue
        rows = Rectification.objects.filter(where, status=Status.SUBMITTED, review_by=review_by)
        result.append(
            shape(
                rows,
                TodoGroup.REVIEW,
                "rectification.review",
                **_rectification_columns(),
                t_since=F("step_entered_at"),
            )
        )
    return result


REVIEW_ACTIONS = ("approve", "return")
EDIT_ACTIONS = ("edit", "submit")

SOURCES: tuple[TodoSource, ...] = (
    *(
        TodoSource(
            f"{key}.review",
            f"待审核的{noun}",
            TodoGroup.REVIEW,
            _review_parts(key),
            key,
            REVIEW_ACTIONS,
        )
        for key, (_m, noun, _y) in DOCUMENTS.items()
    ),
    *(
        TodoSource(
            f"{key}.returned",
            f"被退回的{noun}",
            TodoGroup.RETURNED,
            _returned_parts(key),
            key,
            EDIT_ACTIONS,
        )
        for key, (_m, noun, _y) in DOCUMENTS.items()
    ),
    *(
        TodoSource(
            f"{key}.draft",
            f"待提交的{noun}",
            TodoGroup.SUBMIT,
            _draft_parts(key),
            key,
            EDIT_ACTIONS,
        )
        for key, (_m, noun, _y) in DOCUMENTS.items()
    ),
    TodoSource("goal.start", "待填报绩效目标", TodoGroup.FILL, _goal_start, "project", ("start",)),
    TodoSource(
        "evaluation.start",
        "待开展绩效自评",
        TodoGroup.FILL,
        _evaluation_start,
        "project",
        ("start",),
    ),
    TodoSource("goal.adjust", "待调整绩效目标", TodoGroup.FILL, _goal_adjust, "goal", ("adjust",)),
    TodoSource(
        "units.overdue",
        "逾期未报的单位",
        TodoGroup.OVERDUE,
        _overdue_units,
        "unit",
        ("open",),
        in_header=False,
    ),
    # 整改 (issue 17)
    TodoSource(
        "rectification.open",
        "待整改",
        TodoGroup.SUBMIT,
        _rectification_open,
        "rectification",
        EDIT_ACTIONS,
    ),
    TodoSource(
        "rectification.review",
        "待验收的整改",
        TodoGroup.REVIEW,
        _rectification_review,
        "rectification",
        REVIEW_ACTIONS,
    ),
)
SOURCES_BY_KIND = {source.kind: source for source in SOURCES}
KINDS = tuple(SOURCES_BY_KIND)
