"""Every write the admin offers goes through a service and leaves an audit row.

The list of writes comes from the admin site itself: for every registered ModelAdmin (both
apps, and the ``auth``, ``authtoken`` and ``django_celery_beat`` screens we register), its add,
change and delete permission for a superuser (who holds every permission an admin grants
anyone), each action it offers (删除所选 included) and each inline that accepts rows. A new
admin, action or writable inline fails ``test_every_admin_write_has_a_case`` until it gets a
case below; each case makes the write through the test client as a browser does (the form as
shown, plus the change), checks that it happened, and that new audit rows name the actor.
``test_read_only_admins_refuse_every_write`` posts to the screens nobody writes through.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from rest_framework.authtoken.models import Token

from performance.choices import (
    AttachmentKind,
    GoalScope,
    JobKind,
    NotificationKind,
    Status,
    WindowKind,
)
from performance.models import (
    BureauPolicy,
    GoalTask,
    Indicator,
    Job,
    MonitoringReport,
    MonitoringRound,
    Notification,
    PerformanceGoal,
    ReportingWindow,
    SchemeAssignment,
    ScoringScheme,
    SelfEvaluation,
    WorkCalendarDay,
)
from performance.services import attachments as attachment_services
from performance.services import evaluation as evaluation_services
from performance.services import goals as goal_services
from performance.services import monitoring as monitoring_services
from performance.services import workflow
from projects.choices import FundSource, ProjectCategory, Role
from projects.models import AuditEntry, ExecutionRecord, Membership, Project, ProjectBudget, Unit
from projects.services import accounts
from projects.services import projects as project_services
from projects.services import units as unit_services
from tests.support.admin_forms import admin_form_data
from tests.support.admin_registry import label_of, registry_writes
from tests.support.evidence_files import pdf_bytes

pytestmark = pytest.mark.django_db

User = get_user_model()
OWN_UNIT = "027001"
PASSWORD = "Writes-pass-2026"


# --- the writes the registry offers ------------------------------------------------------------


# --- how a browser writes -----------------------------------------------------------------------


def url(model, kind: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{kind}", args=args)


def object_id(obj) -> Any:
    return obj.user_id if isinstance(obj, Token) else obj.pk  # the token admin keys on its user


def form_errors(response) -> str:
    if response.context is None or "adminform" not in response.context:
        return response.content.decode()[:300]
    errors = [response.context["adminform"].form.errors]
    errors += [fs.formset.errors for fs in response.context.get("inline_admin_formsets", [])]
    return str(errors)


def post_page(client, page_url: str, extra: Callable[[Any], dict] | None = None, **fields):
    """POST the form of ``page_url`` as shown, with ``fields`` (and ``extra(page)``) changed."""
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    data = admin_form_data(page, **fields)
    if extra is not None:
        data.update(extra(page))
    return client.post(page_url, data)


def add(client, model, **fields):
    return post_page(client, url(model, "add"), **fields)


def change(client, obj, extra=None, **fields):
    return post_page(client, url(type(obj), "change", object_id(obj)), extra, **fields)


def delete(client, obj):
    return client.post(url(type(obj), "delete", object_id(obj)), {"post": "yes"})


def act(client, action: str, *objs, **extra):
    data = {"action": action, "_selected_action": [o.pk for o in objs], **extra}
    return client.post(url(type(objs[0]), "changelist"), data)


def delete_selected(client, *objs):
    return act(client, "delete_selected", *objs, post="yes")


def new_row(prefix: str, **fields) -> Callable[[Any], dict]:
    """One more row in the inline formset ``prefix`` of the page."""

    def extra(page) -> dict:
        formset = next(
            fs.formset
            for fs in page.context["inline_admin_formsets"]
            if fs.formset.prefix == prefix
        )
        index = formset.total_form_count()
        return {
            f"{prefix}-TOTAL_FORMS": index + 1,
            **{f"{prefix}-{index}-{name}": value for name, value in fields.items()},
        }

    return extra


def row_field(prefix: str, index: int, name: str) -> str:
    return f"{prefix}-{index}-{name}"


def gone(obj) -> Callable[[], bool]:
    return lambda: not type(obj)._default_manager.filter(pk=obj.pk).exists()


# --- objects to write on ------------------------------------------------------------------------


def own_unit() -> Unit:
    return Unit.objects.get(code=OWN_UNIT)


UNIT_CODES = itertools.count(27050)


def next_code() -> str:
    return f"0{next(UNIT_CODES)}"


def fresh_unit(code: str) -> Unit:
    return unit_services.unit_save(
        data={"code": code, "name": f"测试单位{code}", "kind": "unit", "parent": own_unit().parent}
    )


def fresh_project(code: str) -> Project:
    return project_services.project_save(
        data={
            "code": code,
            "name": f"测试项目{code}",
            "unit": own_unit(),
            "year": 2022,
            "category": ProjectCategory.SPECIAL,
        }
    )


def some_project() -> Project:
    return Project.objects.filter(unit__code=OWN_UNIT, year=2022).order_by("code").first()


def draft_goal() -> PerformanceGoal:
    """An editable goal: the adjustment (a new draft version) of an approved one."""
    approved = PerformanceGoal.objects.filter(
        project=some_project(), status=Status.APPROVED
    ).first()
    return workflow.goal_adjust(goal=approved, actor=None, reason="测试管理后台写入")


def fresh_goal(code: str) -> PerformanceGoal:
    return goal_services.goal_create(
        scope=GoalScope.PROJECT, year=2022, project=fresh_project(code), data={}
    )


def draft_report() -> MonitoringReport:
    monitoring_services.monitoring_round_open(
        actor=None,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 31),
    )
    return MonitoringReport.objects.filter(project=some_project()).get()


def draft_evaluation() -> SelfEvaluation:
    return evaluation_services.evaluation_start(actor=None, year=2022, project=some_project())


def fresh_user(username: str):
    return accounts.user_create(
        username=username, password=PASSWORD, unit=own_unit(), role=Role.FILLER
    )


def notification(key: str) -> Notification:
    return Notification.objects.create(
        recipient=User.objects.get(username="filler027"),
        kind=NotificationKind.RETURNED,
        occasion_key=f"writes:{key}",
        title="测试通知",
    )


def job() -> Job:
    return Job.objects.create(kind=JobKind.RECOMPUTE, params={"year": 2022})


def interval() -> IntervalSchedule:
    return IntervalSchedule.objects.create(every=11, period=IntervalSchedule.MINUTES)


def periodic_task(name: str, *, enabled: bool = True) -> PeriodicTask:
    return PeriodicTask.objects.create(
        name=name, task="performance.mark_stalled_jobs", interval=interval(), enabled=enabled
    )


# --- the cases: (model label, kind) → perform the write, return "it happened" ----------------------

Case = Callable[[Any], tuple[Any, Callable[[], bool]]]
CASES: dict[tuple[str, str], Case] = {}
# Writes that change state the audit trail does not keep, and why.
UNAUDITED = {
    # The read state is the recipient's own inbox marker; ``read_at`` records when, and only
    # the recipient sets it (opening a notification marks it read).
    ("performance.Notification", "action:mark_read"),
    ("performance.Notification", "action:mark_unread"),
}


def case(label: str, kind: str):
    def register(fn: Case) -> Case:
        CASES[(label, kind)] = fn
        return fn

    return register


def deletes(label: str, make: Callable[[str], Any]) -> None:
    """The delete page and 删除所选 of ``label``, each on an object ``make(suffix)`` builds."""

    @case(label, "delete")
    def _delete(client):
        obj = make("d")
        return delete(client, obj), gone(obj)

    @case(label, "action:delete_selected")
    def _delete_selected(client):
        first, second = make("s1"), make("s2")
        return delete_selected(client, first, second), lambda: gone(first)() and gone(second)()


# projects.Unit
@case("projects.Unit", "add")
def _(client):
    response = add(
        client, Unit, code="027009", name="新增单位", kind="unit", parent=own_unit().parent_id
    )
    return response, lambda: Unit.objects.filter(code="027009").exists()


@case("projects.Unit", "change")
def _(client):
    return change(client, own_unit(), name="改名单位"), lambda: own_unit().name == "改名单位"


deletes("projects.Unit", lambda s: fresh_unit(next_code()))


# projects.Project
@case("projects.Project", "add")
def _(client):
    response = add(
        client,
        Project,
        code="T-ADD",
        name="新增项目",
        unit=own_unit().pk,
        year=2022,
        category=ProjectCategory.SPECIAL,
    )
    return response, lambda: Project.objects.filter(code="T-ADD").exists()


@case("projects.Project", "change")
def _(client):
    project = some_project()
    return change(
        client, project, name="改名项目"
    ), lambda: Project.objects.get(pk=project.pk).name == "改名项目"


deletes("projects.Project", lambda s: fresh_project(f"T-DEL-{s}"))


@case("projects.Project", "inline:projectbudget")
def _(client):
    project = fresh_project("T-BUDGET")
    extra = new_row(
        "budgets", fund_source=FundSource.CARRYOVER, amount="3.5", adjusted_amount="3.5"
    )
    return change(client, project, extra), lambda: project.budgets.filter(
        fund_source=FundSource.CARRYOVER, amount=Decimal("3.5")
    ).exists()


@case("projects.Project", "inline:executionrecord")
def _(client):
    project = fresh_project("T-EXEC")
    extra = new_row("executions", date="2022-05-01", amount="1.25", note="内联登记")
    return change(client, project, extra), lambda: project.executions.filter(
        note="内联登记"
    ).exists()


# projects.ProjectBudget
@case("projects.ProjectBudget", "add")
def _(client):
    project = fresh_project("T-PB")
    response = add(
        client,
        ProjectBudget,
        project=project.pk,
        fund_source=FundSource.GENERAL_PUBLIC,
        amount="8",
        adjusted_amount="9",
    )
    return response, lambda: project.budgets.filter(adjusted_amount=Decimal("9")).exists()


@case("projects.ProjectBudget", "change")
def _(client):
    budget = ProjectBudget.objects.filter(project=some_project()).first()
    return change(
        client, budget, adjusted_amount="123.45"
    ), lambda: ProjectBudget.objects.get(pk=budget.pk).adjusted_amount == Decimal("123.45")


deletes(
    "projects.ProjectBudget",
    lambda s: project_services.project_set_budget(
        project=fresh_project(f"T-PBD-{s}"), fund_source=FundSource.UNIT_FUNDS, amount=1
    ),
)


# projects.ExecutionRecord
@case("projects.ExecutionRecord", "add")
def _(client):
    project = some_project()
    response = add(
        client, ExecutionRecord, project=project.pk, date="2022-06-30", amount="2", note="新增支出"
    )
    return response, lambda: project.executions.filter(note="新增支出").exists()


@case("projects.ExecutionRecord", "change")
def _(client):
    record = project_services.execution_add(
        project=some_project(), date=dt.date(2022, 3, 1), amount=Decimal("1")
    )
    return change(
        client, record, note="更正"
    ), lambda: ExecutionRecord.objects.get(pk=record.pk).note == "更正"


deletes(
    "projects.ExecutionRecord",
    lambda s: project_services.execution_add(
        project=some_project(), date=dt.date(2022, 3, 2), amount=Decimal("1"), note=s
    ),
)


# auth.User, projects.Membership, authtoken.TokenProxy
@case("auth.User", "add")
def _(client):
    response = add(
        client,
        User,
        username="writes_new",
        password1=PASSWORD,
        password2=PASSWORD,
        unit=own_unit().pk,
        role=Role.FILLER,
    )
    return response, lambda: User.objects.filter(username="writes_new").exists()


@case("auth.User", "change")
def _(client):
    user = User.objects.get(username="filler305")
    return change(
        client, user, email="writes@example.invalid"
    ), lambda: User.objects.get(pk=user.pk).email == "writes@example.invalid"


deletes("auth.User", lambda s: fresh_user(f"writes_{s}"))


@case("projects.Membership", "add")
def _(client):
    user = User.objects.get(username="filler305")
    response = add(client, Membership, user=user.pk, unit=own_unit().pk, role=Role.UNIT_REVIEWER)
    return response, lambda: Membership.objects.filter(user=user, unit=own_unit()).exists()


@case("projects.Membership", "change")
def _(client):
    membership = Membership.objects.get(user__username="reviewer305")
    return change(
        client, membership, role=Role.FILLER
    ), lambda: Membership.objects.get(pk=membership.pk).role == Role.FILLER


deletes(
    "projects.Membership",
    lambda s: Membership.objects.get(user=fresh_user(f"member_{s}")),
)


@case("authtoken.TokenProxy", "add")
def _(client):
    user = User.objects.get(username="finance")
    response = client.post(reverse("admin:authtoken_tokenproxy_add"), {"user": user.pk})
    return response, lambda: Token.objects.filter(user=user).exists()


@case("authtoken.TokenProxy", "delete")
def _(client):
    token = Token.objects.create(user=User.objects.get(username="finance"))
    response = client.post(
        reverse("admin:authtoken_tokenproxy_delete", args=[token.user_id]), {"post": "yes"}
    )
    return response, gone(token)


# django_celery_beat
@case("django_celery_beat.PeriodicTask", "add")
def _(client):
    response = add(
        client,
        PeriodicTask,
        name="写入测试任务",
        task="performance.mark_stalled_jobs",
        interval=interval().pk,
    )
    return response, lambda: PeriodicTask.objects.filter(name="写入测试任务").exists()


@case("django_celery_beat.PeriodicTask", "change")
def _(client):
    task = periodic_task("改说明的任务")
    return change(
        client, task, description="新的说明"
    ), lambda: PeriodicTask.objects.get(pk=task.pk).description == "新的说明"


deletes("django_celery_beat.PeriodicTask", lambda s: periodic_task(f"删除的任务{s}"))


@case("django_celery_beat.PeriodicTask", "action:enable_tasks")
def _(client):
    task = periodic_task("停用的任务", enabled=False)
    return act(client, "enable_tasks", task), lambda: PeriodicTask.objects.get(pk=task.pk).enabled


@case("django_celery_beat.PeriodicTask", "action:disable_tasks")
def _(client):
    task = periodic_task("启用的任务")
    return act(
        client, "disable_tasks", task
    ), lambda: not PeriodicTask.objects.get(pk=task.pk).enabled


@case("django_celery_beat.PeriodicTask", "action:toggle_tasks")
def _(client):
    task = periodic_task("切换的任务")
    return act(
        client, "toggle_tasks", task
    ), lambda: not PeriodicTask.objects.get(pk=task.pk).enabled


@case("django_celery_beat.PeriodicTask", "action:run_tasks")
def _(client):
    task = periodic_task("立即运行的任务")
    return act(client, "run_tasks", task), lambda: True  # queued; the audit row is the record


SCHEDULES: dict[type, tuple[dict, dict, Callable[[], Any]]] = {
    IntervalSchedule: ({"every": 7, "period": "minutes"}, {"every": 9}, interval),
    CrontabSchedule: (
        {"minute": "5", "hour": "4"},
        {"hour": "6"},
        lambda: CrontabSchedule.objects.create(minute="1", hour="1"),
    ),
    SolarSchedule: (
        {"event": "sunset", "latitude": "34.6", "longitude": "112.4"},
        {"latitude": "35.1"},
        lambda: SolarSchedule.objects.create(
            event="sunrise", latitude=Decimal(next(UNIT_CODES) % 80), longitude=Decimal("112.4")
        ),
    ),
    ClockedSchedule: (
        {"clocked_time_0": "2030-01-01", "clocked_time_1": "08:00:00"},
        {"clocked_time_0": "2031-01-01", "clocked_time_1": "08:00:00"},
        lambda: ClockedSchedule.objects.create(clocked_time=dt.datetime(2030, 6, 1, tzinfo=dt.UTC)),
    ),
}


def _schedule_cases(model, add_fields: dict, change_fields: dict, make) -> None:
    label = label_of(model)

    @case(label, "add")
    def _add(client):
        before = model.objects.count()
        return add(client, model, **add_fields), lambda: model.objects.count() == before + 1

    @case(label, "change")
    def _change(client):
        schedule = make()
        before = {f.attname: getattr(schedule, f.attname) for f in model._meta.concrete_fields}
        response = change(client, schedule, **change_fields)
        after = model.objects.filter(pk=schedule.pk).values(*before).get()
        return response, lambda: after != before

    deletes(label, lambda s: make())


for _model, (_add_fields, _change_fields, _make) in SCHEDULES.items():
    _schedule_cases(_model, _add_fields, _change_fields, _make)


# performance: scoring schemes, assignments, reporting windows
@case("performance.ScoringScheme", "add")
def _(client):
    response = add(client, ScoringScheme, code="writes-scheme", name="写入测试方案")
    return response, lambda: ScoringScheme.objects.filter(code="writes-scheme").exists()


@case("performance.ScoringScheme", "change")
def _(client):
    scheme = ScoringScheme.objects.get(code="cost-variant")
    return change(
        client, scheme, name="改名方案"
    ), lambda: ScoringScheme.objects.get(pk=scheme.pk).name == "改名方案"


deletes(
    "performance.ScoringScheme",
    lambda s: ScoringScheme.objects.create(code=f"del-{s}", name=f"删除的方案{s}"),
)


@case("performance.SchemeAssignment", "add")
def _(client):
    unit = fresh_unit(next_code())
    scheme = ScoringScheme.objects.get(code="cost-variant")
    response = add(client, SchemeAssignment, unit=unit.pk, scheme=scheme.pk)
    return response, lambda: SchemeAssignment.objects.filter(unit=unit, scheme=scheme).exists()


@case("performance.SchemeAssignment", "change")
def _(client):
    assignment = SchemeAssignment.objects.create(
        unit=fresh_unit(next_code()), scheme=ScoringScheme.objects.get(code="cost-variant")
    )
    national = ScoringScheme.objects.get(code="national")
    return change(
        client, assignment, scheme=national.pk
    ), lambda: SchemeAssignment.objects.get(pk=assignment.pk).scheme_id == national.pk


deletes(
    "performance.SchemeAssignment",
    lambda s: SchemeAssignment.objects.create(
        unit=fresh_unit(next_code()),
        scheme=ScoringScheme.objects.get(code="cost-variant"),
    ),
)


def window(title: str) -> ReportingWindow:
    return ReportingWindow.objects.create(
        kind=WindowKind.GOAL_SET,
        year=2030,
        title=title,
        opens_on=dt.date(2030, 1, 1),
        closes_on=dt.date(2030, 1, 31),
    )


@case("performance.ReportingWindow", "add")
def _(client):
    response = add(
        client,
        ReportingWindow,
        kind=WindowKind.MONITORING,
        year=2030,
        title="写入测试窗口",
        opens_on="2030-07-01",
        closes_on="2030-07-31",
    )
    return response, lambda: ReportingWindow.objects.filter(title="写入测试窗口").exists()


@case("performance.ReportingWindow", "change")
def _(client):
    obj = window("原标题")
    return change(
        client, obj, title="新标题"
    ), lambda: ReportingWindow.objects.get(pk=obj.pk).title == "新标题"


deletes("performance.ReportingWindow", lambda s: window(f"删除的窗口{s}"))


# performance: a bureau's review settings (never deleted) and the working-day calendar
def bureau() -> Unit:
    return Unit.objects.get(kind="finance")


@case("performance.BureauPolicy", "add")
def _(client):
    response = add(client, BureauPolicy, bureau=bureau().pk, escalation_working_days=3)
    return response, lambda: BureauPolicy.objects.filter(
        bureau=bureau(), escalation_working_days=3
    ).exists()


@case("performance.BureauPolicy", "change")
def _(client):
    policy = BureauPolicy.objects.create(bureau=bureau())
    return change(
        client, policy, unit_review_required="on"
    ), lambda: BureauPolicy.objects.get(pk=policy.pk).unit_review_required


def calendar_day(month: int) -> WorkCalendarDay:
    return WorkCalendarDay.objects.create(date=dt.date(2030, month, 1), name="测试放假")


@case("performance.WorkCalendarDay", "add")
def _(client):
    response = add(client, WorkCalendarDay, date="2030-10-01", name="国庆节")
    return response, lambda: WorkCalendarDay.objects.filter(date=dt.date(2030, 10, 1)).exists()


@case("performance.WorkCalendarDay", "change")
def _(client):
    day = calendar_day(5)
    return change(
        client, day, is_workday="on", name="调休上班"
    ), lambda: WorkCalendarDay.objects.get(pk=day.pk).is_workday


deletes(
    "performance.WorkCalendarDay",
    lambda s: calendar_day({"d": 1, "s1": 2, "s2": 3}[s]),
)


# performance: goals and indicators
@case("performance.PerformanceGoal", "add")
def _(client):
    project = fresh_project("T-GOAL")
    response = add(
        client,
        PerformanceGoal,
        scope=GoalScope.PROJECT,
        project=project.pk,
        unit=project.unit_id,
        year=2022,
        overall_goal="新增的目标",
    )
    return response, lambda: PerformanceGoal.objects.filter(project=project).exists()


@case("performance.PerformanceGoal", "change")
def _(client):
    goal = draft_goal()
    return change(
        client, goal, overall_goal="修改后的总体目标"
    ), lambda: PerformanceGoal.objects.get(pk=goal.pk).overall_goal == "修改后的总体目标"


deletes("performance.PerformanceGoal", lambda s: fresh_goal(f"T-GD-{s}"))


@case("performance.PerformanceGoal", "action:quality_review_selected")
def _(client):
    goal = draft_goal()
    return act(
        client, "quality_review_selected", goal
    ), lambda: PerformanceGoal.objects.get(pk=goal.pk).quality_checked_at is not None


@case("performance.PerformanceGoal", "inline:indicator")
def _(client):
    goal = draft_goal()
    extra = new_row(
        "indicators",
        order=99,
        level1="产出指标",
        level2="数量指标",
        level3="内联新增指标",
        raw_value="≥3个",
    )
    return change(client, goal, extra), lambda: goal.indicators.filter(
        level3="内联新增指标"
    ).exists()


@case("performance.PerformanceGoal", "inline:goaltask")
def _(client):
    goal = draft_goal()
    extra = new_row("tasks", order=9, name="内联新增任务", content="任务内容")
    return change(client, goal, extra), lambda: GoalTask.objects.filter(
        goal=goal, name="内联新增任务"
    ).exists()


@case("performance.Indicator", "add")
def _(client):
    goal = draft_goal()
    response = add(
        client,
        Indicator,
        goal=goal.pk,
        order=98,
        level1="产出指标",
        level2="质量指标",
        level3="新增指标",
        raw_value="≥90%",
    )
    return response, lambda: goal.indicators.filter(level3="新增指标").exists()


@case("performance.Indicator", "change")
def _(client):
    indicator = draft_goal().indicators.order_by("pk").first()
    return change(
        client, indicator, explanation="改写的说明"
    ), lambda: Indicator.objects.get(pk=indicator.pk).explanation == "改写的说明"


@case("performance.Indicator", "delete")
def _(client):
    indicator = draft_goal().indicators.order_by("pk").first()
    return delete(client, indicator), gone(indicator)


@case("performance.Indicator", "action:delete_selected")
def _(client):
    first, second = draft_goal().indicators.order_by("pk")[:2]
    return delete_selected(client, first, second), lambda: gone(first)() and gone(second)()


# performance: monitoring and self-evaluation
@case("performance.MonitoringRound", "add")
def _(client):
    response = add(
        client,
        MonitoringRound,
        year=2022,
        data_month=6,
        opens_on="2022-07-01",
        deadline="2022-07-31",
    )
    return response, lambda: MonitoringRound.objects.filter(year=2022, data_month=6).exists()


@case("performance.MonitoringReport", "change")
def _(client):
    report = draft_report()
    return change(
        client, report, summary="上半年按计划推进。"
    ), lambda: MonitoringReport.objects.get(pk=report.pk).summary == "上半年按计划推进。"


@case("performance.MonitoringReport", "inline:monitoringentry")
def _(client):
    report = draft_report()
    field = row_field("entries", 0, "measures")
    return change(client, report, **{field: "加快进度"}), lambda: report.entries.filter(
        measures="加快进度"
    ).exists()


@case("performance.SelfEvaluation", "add")
def _(client):
    project = some_project()
    response = add(client, SelfEvaluation, year=2022, project=project.pk)
    return response, lambda: SelfEvaluation.objects.filter(project=project, year=2022).exists()


@case("performance.SelfEvaluation", "change")
def _(client):
    evaluation = draft_evaluation()
    return change(
        client, evaluation, measures="改进措施"
    ), lambda: SelfEvaluation.objects.get(pk=evaluation.pk).measures == "改进措施"


@case("performance.SelfEvaluation", "inline:indicatorevaluation")
def _(client):
    evaluation = draft_evaluation()
    field = row_field("scores", 0, "deviation_reason")
    return change(client, evaluation, **{field: "天气原因"}), lambda: evaluation.scores.filter(
        deviation_reason="天气原因"
    ).exists()


# performance: the indicator library (指标库) — a department's draft entry, added and changed
def library_draft(level3: str):
    from performance.services import library as library_services

    return library_services.library_entry_create(
        actor=None,
        owner=Unit.objects.get(code="027"),
        data={
            "level1": "产出指标",
            "level2": "数量指标",
            "level3": level3,
            "nature": ">=",
            "measure_unit": "人",
            "reference_value": "≥10人",
        },
    )


@case("performance.LibraryEntry", "add")
def _(client):
    from performance.models import LibraryEntry

    response = add(
        client,
        LibraryEntry,
        unit=Unit.objects.get(code="027").pk,
        level1="产出指标",
        level2="数量指标",
        level3="写入测试指标",
        nature=">=",
        measure_unit="人",
        reference_value="≥10人",
    )
    return response, lambda: LibraryEntry.objects.filter(level3="写入测试指标").exists()


@case("performance.LibraryEntry", "change")
def _(client):
    from performance.models import LibraryEntry

    entry = library_draft("修改测试指标")
    return change(
        client, entry, basis="业务台账"
    ), lambda: LibraryEntry.objects.get(pk=entry.pk).basis == "业务台账"


@case("performance.Rectification", "change")
def _(client):
    from performance.models import Rectification
    from performance.services.rectifications import rectification_raise

    task = rectification_raise(
        actor=None,
        unit=Unit.objects.get(code="027001"),
        year=2022,
        problem="写入测试：整改问题",
        deadline=dt.date.today() + dt.timedelta(days=30),
    )
    return change(
        client, task, measures="已建立台账"
    ), lambda: Rectification.objects.get(pk=task.pk).measures == "已建立台账"


# performance: notifications and jobs
deletes("performance.Notification", notification)


@case("performance.Notification", "action:mark_read")
def _(client):
    obj = notification("read")
    client.force_login(obj.recipient)
    return act(
        client, "mark_read", obj
    ), lambda: Notification.objects.get(pk=obj.pk).read_at is not None


@case("performance.Notification", "action:mark_unread")
def _(client):
    obj = notification("unread")
    Notification.objects.filter(pk=obj.pk).update(read_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    client.force_login(obj.recipient)
    return act(
        client, "mark_unread", obj
    ), lambda: Notification.objects.get(pk=obj.pk).read_at is None


deletes("performance.Job", lambda s: job())


# performance: evidence files (uploaded on their document's page; deleted one at a time)
@case("performance.Attachment", "delete")
def _(client):
    evaluation = draft_evaluation()
    anchor = attachment_services.Anchor(kind=AttachmentKind.EVALUATION, obj=evaluation)
    (obj,) = attachment_services.attachment_add(
        actor=None, anchor=anchor, files=[SimpleUploadedFile("说明.pdf", pdf_bytes())]
    )
    return delete(client, obj), gone(obj)


# --- the tests ----------------------------------------------------------------------------------


def test_every_admin_write_has_a_case(superuser):
    offered = registry_writes(superuser)
    assert offered - set(CASES) == set(), "admin writes without a case below"
    assert set(CASES) - offered == set(), "cases for writes the admin no longer offers"


@pytest.mark.parametrize(("label", "kind"), sorted(CASES))
def test_each_admin_write_happens_through_an_audited_service(label, kind, client, superuser):
    client.force_login(superuser)
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    response, happened = CASES[(label, kind)](client)

    assert response.status_code == 302, form_errors(response)
    assert happened(), f"{label} {kind}: the write did not happen"
    if (label, kind) in UNAUDITED:
        return
    actor = response.wsgi_request.user
    rows = AuditEntry.objects.filter(pk__gt=mark, actor=actor)
    assert rows.exists(), f"{label} {kind}: no audit row names {actor}"


def _spot_check():
    """A spot check of an approved self-evaluation (the demo fixture has none)."""
    from performance.models import SelfEvaluation
    from tests.support.spot_checks import spot_check_of

    evaluation = SelfEvaluation.objects.filter(status="approved").order_by("pk").first()
    return spot_check_of(evaluation, note="只读检查")


def _import_run():
    from performance.models import ImportRun

    return ImportRun.objects.order_by("pk").first()


# Admins whose model pages write nothing. 财政复核 writes only through its own pages (抽取 and the
# 复核 page's re-score / review / objection / decision views, each a service:
# tests/performance/admin/test_spot_checks.py), never through add/change/delete.
READ_ONLY = {
    "auth.Group": lambda: Group.objects.order_by("pk").first(),
    "projects.AuditEntry": lambda: AuditEntry.objects.order_by("pk").first(),
    "performance.SpotCheck": _spot_check,
    "performance.SpotCheckDraw": lambda: _spot_check().draw,
    # The import history: written by every import run, never by hand (the demo's own runs).
    "performance.ImportRun": lambda: _import_run(),
}


@pytest.mark.parametrize("label", sorted(READ_ONLY))
def test_read_only_admins_refuse_every_write(label, client, superuser):
    model = next(m for m in admin.site._registry if label_of(m) == label)
    obj = READ_ONLY[label]()
    assert not {kind for lbl, kind in registry_writes(superuser) if lbl == label}
    client.force_login(superuser)
    before = list(model.objects.order_by("pk").values())
    assert client.post(url(model, "add"), {}).status_code == 403
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    change_page = client.post(url(model, "change", obj.pk), {"name": "x", "comment": "x"})
    assert change_page.status_code == 403
    assert list(model.objects.order_by("pk").values()) == before


def test_registry_read_only_admins_are_exactly_the_declared_ones(superuser):
    offered = {label for label, _kind in registry_writes(superuser)}
    silent = {label_of(m) for m in admin.site._registry} - offered
    assert silent == set(READ_ONLY)
