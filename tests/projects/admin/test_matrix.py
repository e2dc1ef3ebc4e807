"""The admin's permission matrix: every admin URL × role × own / foreign object.

The URLs come from the admin site itself — every registered ModelAdmin's ``get_urls()``
(changelist, add, change, delete, history and the custom views: the user's password page,
workflow, 计算, import/export, 重新计算 …, ``auth`` and ``django_celery_beat`` included) and the
site's own views — so a new admin or admin URL fails ``test_every_admin_url_has_a_rule`` until
it gets an entry in :data:`RULES` / :data:`SITE_RULES`. The expected answer of every cell comes
from that one table, written from the README's permission matrix (Security → Administration),
not from the code under test:

- allowed: 200 (405 for the POST-only views);
- an object outside the caller's scope: 404 wherever the caller may use the model at all (it
  looks like a missing object); a model the role may not use: 403; anonymous: the login page;
- list pages (changelists and autocompletes) show no row outside the caller's scope, checked
  on the rows and primary keys the page lists, and do show the caller's own object.

``test_admin_writes_*`` then POSTs where a write could be abused (password change, user change,
membership add and delete, schedules): each refused write changes nothing, each allowed one
happens and is audited. Replaces the old "200 or 403 for every persona" check of
``test_admin.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from rest_framework.authtoken.models import Token, TokenProxy

from performance.choices import JobKind, NotificationKind
from performance.models import (
    BureauPolicy,
    ImportRun,
    Job,
    MonitoringReport,
    MonitoringRound,
    Notification,
    PerformanceGoal,
    Rectification,
    ReportingWindow,
    SchemeAssignment,
    ScoringScheme,
    SelfEvaluation,
    SpotCheckDraw,
    WorkCalendarDay,
)
from performance.services import attachments as attachment_services
from performance.services import evaluation as evaluation_services
from performance.services import library as library_services
from performance.services import monitoring as monitoring_services
from performance.services import schemes as rule_services
from performance.services import workflow
from projects.choices import Role
from projects.models import (
    AuditEntry,
    ExecutionRecord,
    Membership,
    Project,
    ProjectBudget,
    Unit,
)
from projects.services import projects as project_services
from tests.support.evidence_files import pdf_bytes
from tests.support.evidence_files import upload as evidence_upload
from tests.support.spot_checks import spot_check_of

pytestmark = pytest.mark.django_db

User = get_user_model()
OWN, FOREIGN = "own", "foreign"
BOTH = frozenset({OWN, FOREIGN})
OWN_UNIT, FOREIGN_UNIT = "027001", "305004"
OWN_PROJECT, FOREIGN_PROJECT = "410395220000000007669", "3050042023001"
YEAR = {OWN: 2022, FOREIGN: 2023}
EDITORS = {Role.FILLER, Role.UNIT_REVIEWER, Role.ADMIN}
RECOMPUTERS = {Role.DEPT_REVIEWER, Role.FINANCE_REVIEWER, Role.ADMIN}
STANDARD = ("changelist", "add", "change", "delete", "history")
LOGIN = "login"  # anonymous: redirected to the login page
NEW_PASSWORD = "Matrix-pass-2026"


# --- who -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    """A caller, as the README's matrix describes it."""

    name: str
    username: str | None
    roles: frozenset[str] = frozenset()
    sees: frozenset[str] = frozenset()  # OWN / FOREIGN units (and their objects) in scope
    unit_codes: frozenset[str] | None = frozenset()  # visible unit codes; None: every unit
    administers: frozenset[str] = frozenset()  # OWN / FOREIGN users and memberships he manages
    admin_codes: frozenset[str] | None = frozenset()  # administered unit codes; None: all
    finance_roles: frozenset[str] = frozenset()  # roles held at the finance bureau
    superuser: bool = False

    @property
    def signed_in(self) -> bool:
        return self.username is not None

    def roles_on(self, owner: str) -> set[str]:
        return set(self.roles) if owner in self.sees else set()


PERSONAS = {
    p.name: p
    for p in (
        Persona("anonymous", None),
        Persona(
            "filler", "filler027", frozenset({Role.FILLER}), frozenset({OWN}), frozenset({OWN_UNIT})
        ),
        Persona(
            "unit_reviewer",
            "reviewer027",
            frozenset({Role.UNIT_REVIEWER}),
            frozenset({OWN}),
            frozenset({OWN_UNIT}),
        ),
        Persona(
            "dept_reviewer",
            "dept027",
            frozenset({Role.DEPT_REVIEWER}),
            frozenset({OWN}),
            frozenset({"027", OWN_UNIT}),
        ),
        Persona(
            "finance_reviewer",
            "finance",
            frozenset({Role.FINANCE_REVIEWER}),
            BOTH,
            None,
            finance_roles=frozenset({Role.FINANCE_REVIEWER}),
        ),
        Persona(
            "dept_admin",
            "admin027",
            frozenset({Role.ADMIN}),
            frozenset({OWN}),
            frozenset({"027", OWN_UNIT}),
            administers=frozenset({OWN}),
            admin_codes=frozenset({"027", OWN_UNIT}),
        ),
        Persona(
            "finance_admin",
            "sysadmin",
            frozenset({Role.ADMIN}),
            BOTH,
            None,
            administers=BOTH,
            admin_codes=None,
            finance_roles=frozenset({Role.ADMIN}),
        ),
        Persona(
            "superuser",
            "admin",
            frozenset({Role.ADMIN}),
            BOTH,
            None,
            administers=BOTH,
            admin_codes=None,
            finance_roles=frozenset({Role.ADMIN}),
            superuser=True,
        ),
    )
}


# Who may do what (the README's matrix). Superusers count as 管理员 everywhere.
def staff(p: Persona) -> bool:
    return p.signed_in  # every persona has a role, so a view permission on the shared data


def nobody(p: Persona, owner: str | None = None) -> bool:
    return False


def superuser_only(p: Persona, owner: str | None = None) -> bool:
    return p.superuser


def administrator(p: Persona) -> bool:
    return Role.ADMIN in p.roles


def editor_somewhere(p: Persona) -> bool:
    return bool(p.roles & EDITORS)


def editor_of(p: Persona, owner: str | None) -> bool:
    return editor_somewhere(p) if owner is None else bool(p.roles_on(owner) & EDITORS)


def scheme_manager(p: Persona, owner: str | None = None) -> bool:
    return p.superuser or Role.ADMIN in p.finance_roles


def window_manager(p: Persona, owner: str | None = None) -> bool:
    return p.superuser or bool(p.finance_roles & {Role.ADMIN, Role.FINANCE_REVIEWER})


def bureau_admin_of(p: Persona, owner: str | None = None) -> bool:
    """The finance bureau's own 管理员 (its 审核设置), and superusers."""
    return p.superuser or Role.ADMIN in p.finance_roles


def round_opener(p: Persona) -> bool:
    return window_manager(p)


def recomputer(p: Persona) -> bool:
    return p.superuser or bool(p.roles & RECOMPUTERS)


def manages(p: Persona, owner: str | None) -> bool:
    return administrator(p) if owner is None else owner in p.administers


def sees_department(p: Persona, owner: str | None) -> bool:
    """The 指标库's drafts: whoever sees the owning department (027 own, 305 foreign)."""
    return p.unit_codes is None or (owner == OWN and "027" in p.unit_codes)


def library_writer(p: Persona) -> bool:
    """LIBRARY_EDITORS on a department or the finance bureau (not a budget unit's staff)."""
    return p.superuser or sees_department(p, OWN)


def rectification_raiser(p: Persona) -> bool:
    """整改 raised by hand: a 主管部门审核人 or 财政审核人 (not a superuser as such)."""
    return bool(p.roles & {Role.DEPT_REVIEWER, Role.FINANCE_REVIEWER})


def unit_admin_of(p: Persona) -> bool:
    return p.superuser or administrator(p)


# --- what ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One admin: who lists it, adds, deletes; how its objects are scoped; its custom URLs.

    ``scope``: ``unit`` (the object's unit must be visible), ``users`` / ``memberships`` (the
    caller must manage them), ``personal`` (the caller's own; superusers all), ``global`` (no
    owner: one object, visible to whoever lists the model). ``rows`` maps a listed row to what
    scopes it (a unit code lookup, or ``"user"``/``"membership"``/``"recipient"``/
    ``"created_by"``). ``hidden``: the queryset hides every object from a role that may not use
    the model (its history page is then a 404, not a 403).
    """

    scope: str
    view: Callable[[Persona], bool]
    add: Callable[[Persona], bool]
    delete: Callable[[Persona, str | None], bool]
    rows: str | None = None
    hidden: bool = False
    custom: dict[str, Callable[[Persona, str | None], int]] = field(default_factory=dict)
    needs_object: frozenset[str] = frozenset()  # custom URL names that take the object's id


def status(allowed: bool, refused: int = 403) -> int:
    return 200 if allowed else refused


def post_only(p: Persona, owner: str | None) -> int:
    return 405  # workflow, 计算, 补充生成: GET is not allowed for anyone signed in


def goal_diff(p: Persona, owner: str | None) -> int:
    return status(owner in p.sees, 404)  # any version the caller sees, with its predecessor


def goal_library_picker(p: Persona, owner: str | None) -> int:
    """从指标库选取: the goal's editors while it is a draft; a reviewer who sees it 403."""
    return status(bool(p.roles_on(owner) & EDITORS), 403) if owner in p.sees else 404


def targets_io(kind: str) -> dict[str, Callable[[Persona, str | None], int]]:
    """Excel import/export of goals or indicators: export for every role (scoped by the
    service), import for the editors."""
    return {
        f"performance_{kind}_export_table": lambda p, o: status(staff(p)),
        f"performance_{kind}_export": lambda p, o: status(staff(p)),
        f"performance_{kind}_import": lambda p, o: status(editor_somewhere(p) or p.superuser),
        f"performance_{kind}_process_import": post_only,
    }


def attachment_deleter(p: Persona, owner: str | None) -> bool:
    """Editors of the file's unit while its document is editable: the own file's self-evaluation
    is a draft, the foreign one's is approved (its files are frozen, for everyone)."""
    return editor_of(p, owner) and owner != FOREIGN


def sees_or_404(p: Persona, owner: str | None) -> int:
    return status(owner in p.sees, 404)


def spot_checker(p: Persona) -> bool:
    """财政审核人 of the finance bureau: they draw spot checks (管理员 do not review)."""
    return Role.FINANCE_REVIEWER in p.finance_roles


def sees_draws(p: Persona) -> bool:
    return spot_checker(p) or p.superuser


BEAT = Rule("global", superuser_only, superuser_only, superuser_only)
RULES: dict[str, Rule] = {
    "auth.User": Rule(
        "users",
        administrator,
        administrator,
        superuser_only,
        rows="user",
        hidden=True,
        custom={"auth_user_password_change": lambda p, o: status(manages(p, o), 404)},
        needs_object=frozenset({"auth_user_password_change"}),
    ),
    "auth.Group": Rule("global", superuser_only, nobody, nobody),
    "authtoken.TokenProxy": Rule("global", superuser_only, superuser_only, superuser_only),
    "django_celery_beat.PeriodicTask": BEAT,
    "django_celery_beat.IntervalSchedule": BEAT,
    "django_celery_beat.CrontabSchedule": BEAT,
    "django_celery_beat.SolarSchedule": BEAT,
    "django_celery_beat.ClockedSchedule": BEAT,
    "projects.Unit": Rule("unit", staff, unit_admin_of, superuser_only, rows="code"),
    "projects.Membership": Rule(
        "memberships", administrator, administrator, manages, rows="membership", hidden=True
    ),
    "projects.Project": Rule("unit", staff, editor_somewhere, superuser_only, rows="unit__code"),
    "projects.ProjectBudget": Rule(
        "unit", staff, editor_somewhere, superuser_only, rows="project__unit__code"
    ),
    "projects.ExecutionRecord": Rule(
        "unit", staff, editor_somewhere, superuser_only, rows="project__unit__code"
    ),
    "projects.AuditEntry": Rule("unit", staff, nobody, nobody, rows="unit__code"),
    # 导入记录: history, read-only; own runs and the runs of visible units
    "performance.ImportRun": Rule("unit", staff, nobody, nobody, rows="unit__code"),
    "performance.ScoringScheme": Rule("global", staff, scheme_manager, scheme_manager),
    "performance.SchemeAssignment": Rule(
        "unit", staff, scheme_manager, scheme_manager, rows="unit__code"
    ),
    "performance.PerformanceGoal": Rule(
        "unit",
        staff,
        editor_somewhere,
        superuser_only,
        rows="unit__code",
        custom={
            **targets_io("performancegoal"),
            "performance_performancegoal_diff": goal_diff,
            "performance_performancegoal_workflow": post_only,
            "performance_performancegoal_start_last_year": lambda p, o: status(
                editor_somewhere(p) or p.superuser
            ),
            "performance_performancegoal_library": goal_library_picker,
        },
        needs_object=frozenset(
            {
                "performance_performancegoal_diff",
                "performance_performancegoal_workflow",
                "performance_performancegoal_library",
            }
        ),
    ),
    "performance.Indicator": Rule(
        "unit",
        staff,
        editor_somewhere,
        editor_of,
        rows="goal__unit__code",
        custom=targets_io("indicator"),
    ),
    "performance.SelfEvaluation": Rule(
        "unit",
        staff,
        editor_somewhere,  # 开展自评: a project's evaluation from its approved goal
        nobody,
        rows="unit__code",
        custom={
            "performance_selfevaluation_compute": post_only,
            "performance_selfevaluation_workflow": post_only,
        },
        needs_object=frozenset(
            {"performance_selfevaluation_compute", "performance_selfevaluation_workflow"}
        ),
    ),
    "performance.MonitoringRound": Rule(
        "global",
        staff,
        round_opener,
        nobody,
        custom={"performance_monitoringround_topup": post_only},
        needs_object=frozenset({"performance_monitoringround_topup"}),
    ),
    "performance.MonitoringReport": Rule(
        "unit",
        staff,
        nobody,
        nobody,
        rows="unit__code",
        custom={
            "performance_monitoringreport_compute": post_only,
            "performance_monitoringreport_workflow": post_only,
            "performance_monitoringreport_execution": post_only,
        },
        needs_object=frozenset(
            {
                "performance_monitoringreport_compute",
                "performance_monitoringreport_workflow",
                "performance_monitoringreport_execution",
            }
        ),
    ),
    "performance.ReportingWindow": Rule("global", staff, window_manager, window_manager),
    "performance.BureauPolicy": Rule("global", staff, bureau_admin_of, nobody),
    "performance.WorkCalendarDay": Rule("global", staff, window_manager, window_manager),
    "performance.Attachment": Rule(
        "unit",
        staff,
        nobody,  # uploaded on the report's or evaluation's page, never added here
        attachment_deleter,
        rows="unit__code",
        custom={
            # one row's (here: the evaluation's) files and upload form; its download
            "performance_attachment_for": sees_or_404,
            "performance_attachment_download": sees_or_404,
        },
        needs_object=frozenset({"performance_attachment_for", "performance_attachment_download"}),
    ),
    # 财政复核: draws are the finance bureau's; a published spot check is its unit's to read.
    "performance.SpotCheckDraw": Rule("global", sees_draws, spot_checker, nobody, hidden=True),
    "performance.SpotCheck": Rule(
        "unit",
        staff,
        nobody,
        nobody,
        rows="unit__code",
        custom={
            "performance_spotcheck_rescore": post_only,
            "performance_spotcheck_object": post_only,
            "performance_spotcheck_decide": post_only,
            "performance_spotcheck_workflow": post_only,
        },
        needs_object=frozenset(
            {
                "performance_spotcheck_rescore",
                "performance_spotcheck_object",
                "performance_spotcheck_decide",
                "performance_spotcheck_workflow",
            }
        ),
    ),
    # 整改: each unit's tasks; raised by hand by a reviewer; never deleted.
    "performance.Rectification": Rule(
        "unit",
        staff,
        rectification_raiser,
        nobody,
        rows="unit__code",
        custom={"performance_rectification_workflow": post_only},
        needs_object=frozenset({"performance_rectification_workflow"}),
    ),
    "performance.Notification": Rule(
        "personal",
        staff,
        nobody,
        superuser_only,
        rows="recipient",
        # opening one reads it and goes on to its object: one's own only, others' look missing
        custom={"performance_notification_open": lambda p, o: 302 if o == OWN else 404},
        needs_object=frozenset({"performance_notification_open"}),
    ),
    # Confirmed entries are everyone's; drafts their department's; nobody deletes (retire).
    "performance.LibraryEntry": Rule(
        "library",
        staff,
        library_writer,
        nobody,
        rows="library",
        custom={"performance_libraryentry_workflow": post_only},
        needs_object=frozenset({"performance_libraryentry_workflow"}),
    ),
    "performance.Job": Rule(
        "personal",
        staff,
        nobody,
        superuser_only,
        rows="created_by",
        custom={
            "performance_job_recompute": lambda p, o: status(recomputer(p)),
            "performance_job_requeue": post_only,  # 重新排队: the service checks role and state
        },
        needs_object=frozenset({"performance_job_requeue"}),
    ),
}


def autocomplete(remote: str):
    """The admin's autocomplete of a foreign key: the rows of the remote admin's list."""

    def expected(p: Persona, owner: str | None) -> int:
        return status(RULES[remote].view(p))

    return expected


# The site's own views (not a ModelAdmin's): expected GET status per signed-in persona.
SITE_RULES: dict[str, Callable[[Persona], int]] = {
    "index": lambda p: 200,
    "login": lambda p: 302,  # already signed in: on to the index
    "password_change": lambda p: 200,
    "password_change_done": lambda p: 200,
    "jsi18n": lambda p: 200,
    "performance_dashboard": lambda p: 200,  # every role sees its own units' figures
    "performance_print": lambda p: 200,
    "performance_todo": lambda p: 200,  # every role has its own (possibly empty) to-do list
    "performance_publication": lambda p: 200,  # 绩效公开: the form, scoped to its units
    "performance_results": lambda p: 200,  # 结果应用: the form, scoped to its units
    "logout": lambda p: 405,  # POST only
}


# An app's page lists the models the role may use; with none it is a 404.
APP_RULES: dict[str, Callable[[Persona], int]] = {
    "auth": lambda p: status(administrator(p), 404),  # users; groups for superusers
    "authtoken": lambda p: status(p.superuser, 404),
    "django_celery_beat": lambda p: status(p.superuser, 404),
    "projects": lambda p: 200,
    "performance": lambda p: 200,
}


# --- the world: own and foreign objects of every admin -------------------------------------------


@pytest.fixture
def world(demo, dept_admin, finance_reviewer, evidence_storage) -> dict[tuple[str, str], Any]:
    """``(model label, OWN/FOREIGN)`` → object; global models have the same object for both."""
    objects: dict[tuple[str, str], Any] = {}
    users = {
        p.username: User.objects.get(username=p.username) for p in PERSONAS.values() if p.signed_in
    }
    foreigner = User.objects.get(username="reviewer305")
    for owner, unit_code, code in (
        (OWN, OWN_UNIT, OWN_PROJECT),
        (FOREIGN, FOREIGN_UNIT, FOREIGN_PROJECT),
    ):
        unit = Unit.objects.get(code=unit_code)
        project = Project.objects.get(code=code)
        year = YEAR[owner]
        monitoring_services.monitoring_round_open(
            actor=finance_reviewer,
            year=year,
            data_month=7,
            opens_on=dt.date(year, 8, 1),
            deadline=dt.date(year, 8, 31),
        )
        goal = workflow.goal_adjust(
            goal=PerformanceGoal.objects.get(project=project, version=1),
            actor=None,
            reason="调整用于管理后台权限矩阵",
        )
        record = ExecutionRecord.objects.filter(
            project=project
        ).first() or project_services.execution_add(
            project=project, date=dt.date(year, 3, 1), amount=Decimal("1.5")
        )
        objects.update(
            {
                ("projects.Unit", owner): unit,
                ("projects.Project", owner): project,
                ("projects.ProjectBudget", owner): ProjectBudget.objects.filter(
                    project=project
                ).first(),
                ("projects.ExecutionRecord", owner): record,
                ("projects.AuditEntry", owner): AuditEntry.objects.filter(unit=unit).first(),
                ("performance.ImportRun", owner): ImportRun.objects.create(
                    kind="targets", filename=f"{owner}.csv", status="committed", unit=unit
                ),
                ("performance.SchemeAssignment", owner): SchemeAssignment.objects.filter(
                    unit=unit
                ).first()
                or rule_services.scheme_assignment_save(
                    data={"unit": unit, "scheme": ScoringScheme.objects.get(code="cost-variant")}
                ),
                ("performance.PerformanceGoal", owner): goal,
                ("performance.Indicator", owner): goal.indicators.order_by("pk").first(),
                ("performance.MonitoringReport", owner): MonitoringReport.objects.get(
                    project=project
                ),
                ("auth.User", owner): User.objects.get(username=f"filler{unit_code[:3]}"),
                ("projects.Membership", owner): Membership.objects.get(
                    user__username=f"reviewer{unit_code[:3]}"
                ),
            }
        )
    objects[("performance.SelfEvaluation", OWN)] = evaluation_services.evaluation_start(
        actor=None, year=2022, project=objects[("projects.Project", OWN)]
    )
    objects[("performance.SelfEvaluation", FOREIGN)] = SelfEvaluation.objects.get(
        project__code=FOREIGN_PROJECT
    )
    for owner in (OWN, FOREIGN):  # a file on each side's self-evaluation (foreign: approved)
        evaluation = objects[("performance.SelfEvaluation", owner)]
        status = evaluation.status
        SelfEvaluation.objects.filter(pk=evaluation.pk).update(status="draft")
        [objects[("performance.Attachment", owner)]] = attachment_services.attachment_add(
            actor=None,
            anchor=attachment_services.Anchor(kind="evaluation", obj=evaluation),
            files=[evidence_upload(f"{owner}.pdf", pdf_bytes(owner))],
        )
        SelfEvaluation.objects.filter(pk=evaluation.pk).update(status=status)
    draw = SpotCheckDraw.objects.create(
        year=2023, method="manual", note="管理后台矩阵", population=2
    )
    for owner in (OWN, FOREIGN):  # 财政复核 of each side's self-evaluation, published
        evaluation = objects[("performance.SelfEvaluation", owner)]
        objects[("performance.SpotCheck", owner)] = spot_check_of(
            evaluation, draw=draw, published=True
        )
    for owner in (OWN, FOREIGN):  # 整改 of each side's self-evaluation's unit
        evaluation = objects[("performance.SelfEvaluation", owner)]
        objects[("performance.Rectification", owner)] = Rectification.objects.create(
            unit=evaluation.unit,
            year=evaluation.year,
            cause="manual",
            review_by="dept_reviewer",
            problem="管理后台矩阵",
            deadline=dt.date(2030, 1, 1),
            raised_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    singletons = {
        "auth.Group": Group.objects.get(name="填报人"),
        "authtoken.TokenProxy": TokenProxy.objects.get(
            pk=Token.objects.create(user=users["filler027"]).pk
        ),
        "django_celery_beat.IntervalSchedule": every,
        "django_celery_beat.CrontabSchedule": CrontabSchedule.objects.create(minute="0", hour="7"),
        "django_celery_beat.SolarSchedule": SolarSchedule.objects.create(
            event="sunrise", latitude=Decimal("34.6"), longitude=Decimal("112.4")
        ),
        "django_celery_beat.ClockedSchedule": ClockedSchedule.objects.create(
            clocked_time=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        ),
        "django_celery_beat.PeriodicTask": PeriodicTask.objects.create(
            name="矩阵测试任务", task="performance.tasks.reminders_sweep_task", interval=every
        ),
        "performance.ScoringScheme": ScoringScheme.objects.get(is_default=True),
        "performance.MonitoringRound": MonitoringRound.objects.order_by("pk").first(),
        "performance.ReportingWindow": ReportingWindow.objects.order_by("pk").first(),
        "performance.SpotCheckDraw": draw,
        "performance.BureauPolicy": BureauPolicy.objects.create(
            bureau=Unit.objects.get(kind="finance")
        ),
        "performance.WorkCalendarDay": WorkCalendarDay.objects.create(
            date=dt.date(2030, 10, 1), name="国庆节"
        ),
    }
    for label, obj in singletons.items():
        objects[(label, OWN)] = objects[(label, FOREIGN)] = obj
    # Personal objects: each persona's own, and one of someone else.
    for username, user in users.items():
        objects[("performance.Notification", username)] = Notification.objects.create(
            recipient=user,
            kind=NotificationKind.RETURNED,
            occasion_key=f"matrix:{username}",
            title="矩阵通知",
        )
        objects[("performance.Job", username)] = Job.objects.create(
            kind=JobKind.RECOMPUTE, created_by=user, params={"year": 2022}
        )
    objects[("performance.Notification", FOREIGN)] = Notification.objects.create(
        recipient=foreigner, kind=NotificationKind.RETURNED, occasion_key="matrix:x", title="别人的"
    )
    objects[("performance.Job", FOREIGN)] = Job.objects.create(
        kind=JobKind.RECOMPUTE, created_by=foreigner, params={"year": 2023}
    )
    # 指标库: a draft of each department (027 is own, 305 foreign).
    for owner, department in ((OWN, "027"), (FOREIGN, "305")):
        objects[("performance.LibraryEntry", owner)] = library_services.library_entry_create(
            actor=None,
            owner=Unit.objects.get(code=department),
            data={
                "level1": "产出指标",
                "level2": "数量指标",
                "level3": f"矩阵指标{department}",
                "nature": "≥",
                "measure_unit": "个",
            },
        )
    return objects


def object_for(world, label: str, owner: str, persona: Persona):
    if RULES[label].scope == "personal" and owner == OWN:
        return world.get((label, persona.username or "filler027"))
    return world[(label, owner)]


def visible(rule: Rule, p: Persona, owner: str) -> bool:
    """Whether the persona's list holds this object (the domain's rule, per scope)."""
    if not p.signed_in or not rule.view(p):
        return False
    if rule.scope == "unit":
        return owner in p.sees
    if rule.scope in ("users", "memberships"):
        return owner in p.administers
    if rule.scope == "personal":
        return owner == OWN or p.superuser
    if rule.scope == "library":
        return sees_department(p, owner)
    return True


# --- the URLs ------------------------------------------------------------------------------------


def admin_urls() -> list[tuple[str, str, str]]:
    """``(model label, url name, kind)`` of every ModelAdmin URL; kind is a STANDARD suffix or
    ``custom``."""
    result = []
    for model, model_admin in admin.site._registry.items():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        for pattern in model_admin.get_urls():
            if not pattern.name:
                continue
            suffix = pattern.name.removeprefix(f"{info}_")
            kind = suffix if suffix in STANDARD and pattern.name.startswith(info) else "custom"
            result.append((model._meta.label, pattern.name, kind))
    return result


PER_ARGUMENT = {"app_list", "autocomplete", "view_on_site"}  # cells of their own, below


def site_urls() -> list[str]:
    """The site's own URL names (index, login, password change, dashboard …)."""
    return sorted(
        {pattern.name for pattern in admin.site.get_urls() if getattr(pattern, "name", None)}
        - PER_ARGUMENT
    )


def app_labels() -> list[str]:
    return sorted({model._meta.app_label for model in admin.site._registry})


def autocomplete_fields() -> list[tuple[str, str, str]]:
    """``(source model label, field name, remote model label)`` of every autocomplete."""
    return [
        (model._meta.label, name, model._meta.get_field(name).related_model._meta.label)
        for model, model_admin in admin.site._registry.items()
        for name in model_admin.autocomplete_fields
    ]


MODELS = {model._meta.label: model for model in admin.site._registry}


def test_every_admin_url_has_a_rule():
    missing = []
    for label, name, kind in admin_urls():
        rule = RULES.get(label)
        if rule is None or (kind == "custom" and name not in rule.custom):
            missing.append(name)
    missing += [name for name in site_urls() if name not in SITE_RULES]
    missing += [f"app_list {label}" for label in app_labels() if label not in APP_RULES]
    missing += [f"autocomplete {r}" for _s, _f, r in autocomplete_fields() if r not in RULES]
    assert not missing, f"add a rule for: {missing}"
    assert len(admin_urls()) > 120


def url_for(name: str, kind: str, label: str, obj) -> str | None:
    if kind in ("changelist", "add"):
        return reverse(f"admin:{name}")
    if kind in ("change", "delete", "history"):
        return reverse(f"admin:{name}", args=[object_id(label, obj)])
    rule = RULES[label]
    if name == "performance_attachment_for":  # by anchor: kind and id
        return reverse(f"admin:{name}", args=[obj.kind, int(obj.anchor.split(":")[1])])
    if name in rule.needs_object:
        args = [object_id(label, obj)]
        if name.endswith("_workflow"):
            args.append("submit")
        return reverse(f"admin:{name}", args=args)
    return reverse(f"admin:{name}")


def pk_of(obj) -> Any:
    """The primary key column (a token proxy's ``pk`` is its user's, for the admin's URLs)."""
    return getattr(obj, obj._meta.pk.attname)


def object_id(label: str, obj) -> Any:
    return obj.user_id if label == "authtoken.TokenProxy" else obj.pk


def expected_status(rule: Rule, name: str, kind: str, p: Persona, owner: str) -> int | str:
    if not p.signed_in:
        return LOGIN
    seen = visible(rule, p, owner)
    if kind == "changelist":
        return status(rule.view(p))
    if kind == "add":
        return status(rule.add(p))
    if kind == "change":
        return 200 if seen else (404 if rule.view(p) else 403)
    if kind == "delete":
        if seen:
            return status(rule.delete(p, owner))
        return 404 if rule.delete(p, None) else 403
    if kind == "history":
        if seen:
            return 200
        in_queryset = not rule.hidden and rule.scope == "global"
        return 403 if in_queryset else 404
    return rule.custom[name](p, owner)


# --- the rows of list pages ------------------------------------------------------------------------


def allowed_users(p: Persona) -> set[int]:
    """Users the persona manages, derived from the data: all their roles in his units."""
    if p.admin_codes is None and p.superuser:
        return set(User.objects.values_list("pk", flat=True))
    result = set()
    for user in User.objects.prefetch_related("memberships__unit"):
        codes = {m.unit.code for m in user.memberships.all()}
        inside = p.admin_codes is None or codes <= p.admin_codes
        if codes and inside and not user.is_superuser and user.username != p.username:
            result.add(user.pk)
    return result


def foreign_rows(rule: Rule, p: Persona, model, pks: set) -> set:
    """The listed primary keys the persona must not see."""
    queryset = model.objects.filter(pk__in=pks)
    if rule.rows is None or p.superuser:
        return set()
    if rule.rows == "user":
        return pks - allowed_users(p)
    if rule.rows == "membership":
        if p.admin_codes is None:
            return set()
        return set(queryset.exclude(unit__code__in=p.admin_codes).values_list("pk", flat=True))
    if rule.rows in ("recipient", "created_by"):
        return set(
            queryset.exclude(**{f"{rule.rows}__username": p.username}).values_list("pk", flat=True)
        )
    if p.unit_codes is None:
        return set()
    if rule.rows == "library":  # published entries are everyone's; drafts their owner's
        published = ("approved", "superseded", "retired")
        return set(
            queryset.exclude(status__in=published)
            .exclude(unit__code__in=p.unit_codes)
            .values_list("pk", flat=True)
        )
    return set(queryset.exclude(**{f"{rule.rows}__in": p.unit_codes}).values_list("pk", flat=True))


# --- the run -------------------------------------------------------------------------------------


def check_autocompletes(client, p: Persona, problems: list[str]) -> int:
    """Each autocomplete answers as its remote model's list would, with no foreign row."""
    cells = 0
    for source, name, remote in autocomplete_fields():
        app_label, model_name = source.split(".")
        query = urlencode(
            {"app_label": app_label, "model_name": model_name.lower(), "field_name": name}
        )
        response = client.get(f"{reverse('admin:autocomplete')}?{query}")
        got = outcome(response)
        rule = RULES[remote]
        expected = status(rule.view(p)) if p.signed_in else LOGIN
        cells += 1
        where = f"autocomplete {source}.{name}"
        if got != expected:
            problems.append(f"{where}: expected {expected}, got {got}")
        elif got == 200:
            model = MODELS[remote]
            ids = {model._meta.pk.to_python(row["id"]) for row in response.json()["results"]}
            bad = foreign_rows(rule, p, model, ids)
            if bad or not ids:
                problems.append(f"{where}: foreign rows {sorted(bad)[:10]} of {len(ids)}")
    return cells


def login_client(client, p: Persona):
    client.logout()
    if p.signed_in:
        client.force_login(User.objects.get(username=p.username))
    return client


def outcome(response) -> int | str:
    if response.status_code == 302 and "/login/" in response.get("Location", ""):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("who", list(PERSONAS))
def test_every_admin_page_answers_each_role_as_the_matrix_says(who, client, world):
    p = PERSONAS[who]
    login_client(client, p)
    problems: list[str] = []
    cells = 0
    for label, name, kind in admin_urls():
        rule = RULES[label]
        model = MODELS[label]
        takes_object = kind in ("change", "delete", "history") or name in rule.needs_object
        # A global model's own and foreign object are the same one: call it once.
        owners = (OWN, FOREIGN) if takes_object and rule.scope != "global" else (OWN,)
        for owner in owners:
            obj = object_for(world, label, owner, p)
            url = url_for(name, kind, label, obj)
            expected = expected_status(rule, name, kind, p, owner)
            response = client.get(url)
            got = outcome(response)
            cells += 1
            where = f"GET {url} [{label} {kind} {owner}]"
            if got != expected:
                problems.append(f"{where}: expected {expected}, got {got}")
                continue
            if kind == "changelist" and got == 200:
                listed = set(response.context["cl"].queryset.values_list("pk", flat=True))
                shown = {pk_of(row) for row in response.context["cl"].result_list}
                bad = foreign_rows(rule, p, model, listed | shown)
                if bad:
                    problems.append(f"{where}: foreign rows {sorted(bad)[:10]}")
                for each in (OWN, FOREIGN):
                    mine = object_for(world, label, each, p)
                    if visible(rule, p, each) != (pk_of(mine) in listed):
                        problems.append(
                            f"{where}: {each} object {pk_of(mine)} listed: {pk_of(mine) in listed}"
                        )
    for name in site_urls():
        got = outcome(client.get(reverse(f"admin:{name}")))
        expected = SITE_RULES[name](p) if p.signed_in else LOGIN
        if name == "logout" and not p.signed_in:
            expected = 302  # Django sends an anonymous logout to the index (then the login)
        if name == "login" and not p.signed_in:
            expected = 200
        cells += 1
        if got != expected:
            problems.append(f"GET admin:{name}: expected {expected}, got {got}")
    for label in app_labels():
        got = outcome(client.get(reverse("admin:app_list", args=[label])))
        expected = APP_RULES[label](p) if p.signed_in else LOGIN
        cells += 1
        if got != expected:
            problems.append(f"GET app_list {label}: expected {expected}, got {got}")
    project = world[("projects.Project", OWN)]
    content_type = ContentType.objects.get_for_model(Project).pk
    got = outcome(client.get(reverse("admin:view_on_site", args=[content_type, project.pk])))
    cells += 1
    if got != (404 if p.signed_in else LOGIN):  # no model has a page outside the admin
        problems.append(f"GET view_on_site: got {got}")
    cells += check_autocompletes(client, p, problems)
    assert cells > 150
    assert not problems, f"{len(problems)} of {cells} cells wrong:\n" + "\n".join(problems)


# --- writes that could be abused ---------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """One POST: who may, the expected refusal, and what must hold after an allowed one."""

    label: str
    url: str
    data: dict[str, Any]
    allowed: bool
    refused: int | str  # the status of a refusal (200: the form again, with the reason)
    done: Callable[[], bool]  # after an allowed write: it happened (and was audited)


def state() -> tuple:
    """Everything the writes below could change: users, memberships, groups, audit, schedules."""
    return (
        tuple(
            User.objects.order_by("pk").values_list(
                "pk", "username", "password", "email", "is_superuser", "is_staff", "is_active"
            )
        ),
        tuple(Membership.objects.order_by("pk").values_list("pk", "user_id", "unit_id", "role")),
        tuple(User.groups.through.objects.order_by("pk").values_list("user_id", "group_id")),
        AuditEntry.objects.count(),
        tuple(PeriodicTask.objects.order_by("pk").values_list("pk", "name", "enabled")),
        tuple(IntervalSchedule.objects.order_by("pk").values_list("pk", "every", "period")),
    )


def audited(actor: User, model: str, **changes) -> bool:
    rows = AuditEntry.objects.filter(actor=actor, content_type__model=model)
    return any(all(row.changes.get(k) == v for k, v in changes.items()) for row in rows)


def groups_of(user) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def writes(p: Persona, world, me: User | None) -> list[Write]:
    """The writes of one persona: on the own and the foreign side, and on himself."""
    result = []
    refused_object = 404 if administrator(p) else 403  # a 管理员 sees no foreign object
    for owner in (OWN, FOREIGN):
        target = world[("auth.User", owner)]
        may = manages(p, owner)
        result.append(
            Write(
                f"password of {target.username}",
                reverse("admin:auth_user_password_change", args=[target.pk]),
                {
                    "password1": NEW_PASSWORD,
                    "password2": NEW_PASSWORD,
                    "set_usable_password": "true",
                },
                may,
                404,  # the password page of a user one does not manage does not exist
                lambda t=target: (
                    User.objects.get(pk=t.pk).check_password(NEW_PASSWORD)
                    and audited(me, "user", password=[None, "（已设置）"])
                ),
            )
        )
        result.append(
            Write(
                f"superuser and e-mail of {target.username}",
                reverse("admin:auth_user_change", args=[target.pk]),
                {
                    "username": target.username,
                    "email": "changed@matrix.invalid",
                    "is_active": "on",
                    "is_superuser": "on",
                },
                may,
                refused_object,
                lambda t=target: (
                    User.objects.get(pk=t.pk).email == "changed@matrix.invalid"
                    and User.objects.get(pk=t.pk).is_superuser == p.superuser
                    and audited(me, "user", email=[t.email, "changed@matrix.invalid"])
                ),
            )
        )
        unit = world[("projects.Unit", owner)]
        result.append(
            Write(
                f"单位审核人 of {unit.code} for {target.username}",
                reverse("admin:projects_membership_add"),
                {"user": target.pk, "unit": unit.pk, "role": Role.UNIT_REVIEWER},
                may,
                200 if administrator(p) else 403,
                lambda t=target: (
                    "单位审核人" in groups_of(t)
                    and audited(me, "membership", user=[None, t.username])
                ),
            )
        )
        membership = world[("projects.Membership", owner)]
        result.append(
            Write(
                f"delete {membership}",
                reverse("admin:projects_membership_delete", args=[membership.pk]),
                {"post": "yes"},
                may,
                refused_object,
                lambda m=membership: (
                    not Membership.objects.filter(pk=m.pk).exists()
                    and groups_of(m.user) == set()
                    and audited(me, "membership", user=[m.user.username, None])
                ),
            )
        )
    finance = Unit.objects.get(kind="finance")
    if me is not None:
        result.append(
            Write(
                "财政审核人 for oneself",
                reverse("admin:projects_membership_add"),
                {"user": me.pk, "unit": finance.pk, "role": Role.FINANCE_REVIEWER},
                False,  # nobody grants himself a role, not even a superuser
                200 if administrator(p) else 403,
                lambda: False,
            )
        )
        own = Membership.objects.filter(user=me).first()
        if own is not None:
            result.append(
                Write(
                    "delete one's own membership",
                    reverse("admin:projects_membership_delete", args=[own.pk]),
                    {"post": "yes"},
                    False,
                    403,
                    lambda: False,
                )
            )
    task = world[("django_celery_beat.PeriodicTask", OWN)]
    every = world[("django_celery_beat.IntervalSchedule", OWN)]
    result += [
        Write(
            "disable a schedule",
            reverse("admin:django_celery_beat_periodictask_changelist"),
            {"action": "disable_tasks", "_selected_action": [task.pk]},
            p.superuser,
            403,
            lambda: not PeriodicTask.objects.get(pk=task.pk).enabled,
        ),
        Write(
            "change an interval",
            reverse("admin:django_celery_beat_intervalschedule_change", args=[every.pk]),
            {
                "every": 5,
                "period": IntervalSchedule.MINUTES,
                # the read-only inline of the tasks on this schedule
                "periodictask_set-TOTAL_FORMS": 1,
                "periodictask_set-INITIAL_FORMS": 1,
                "periodictask_set-0-id": task.pk,
                "periodictask_set-0-interval": every.pk,
            },
            p.superuser,
            403,
            lambda: IntervalSchedule.objects.get(pk=every.pk).every == 5,
        ),
    ]
    return result


@pytest.mark.parametrize("who", list(PERSONAS))
def test_admin_writes_happen_only_where_the_matrix_allows(who, client, world):
    p = PERSONAS[who]
    me = User.objects.get(username=p.username) if p.signed_in else None
    problems = []
    cells = writes(p, world, me)
    for write in cells:
        where = f"POST {write.url} ({write.label})"
        login_client(client, p)  # a fresh session: the rollback below also undoes session rows
        sid = transaction.savepoint()
        try:
            before = state()
            response = client.post(write.url, write.data)
            got = outcome(response)
            if write.allowed:
                if got != 302 or not write.done():
                    problems.append(f"{where}: expected to happen, got {got}")
                continue
            expected = write.refused if p.signed_in else LOGIN
            if got != expected:
                problems.append(f"{where}: expected a refusal {expected}, got {got}")
            if state() != before:
                problems.append(f"{where}: refused ({got}) but something changed")
        finally:
            transaction.savepoint_rollback(sid)
    assert len(cells) >= 10
    assert not problems, "\n".join(problems)
