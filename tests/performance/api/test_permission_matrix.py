"""The permission matrix: every API operation × role × own / foreign unit object.

The operations come from the generated OpenAPI schema, so a new endpoint fails this test until
its rule is added to :data:`RULES`. The expected outcome of each cell is derived from the rules
of the domain, not from the code under test: who sees which unit (a role applies to its unit and
the units below), who edits (填报人, 单位审核人, 管理员 — superusers count as 管理员), and for the
review actions the rows of ``workflow.TRANSITIONS`` (each action tried in every state the table
lists for it, plus one state it does not). Every cell must come out as expected:

- an allowed call succeeds (2xx) — so the matrix really exercises each operation;
- a refused call answers 401 (anonymous), 404 (an object of a unit the caller cannot see: it
  looks like a missing one), or 400/403, and the database is unchanged;
- list endpoints return only rows of the units the caller may see.

So "unauthorized successes" are counted, and must be 0. Each call runs in a savepoint that is
rolled back afterwards, so every cell starts from the same objects. ``test_idor.py`` adds full
table dumps for users of other units (another department, a sibling unit).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from performance.choices import AttachmentKind, Status
from performance.demo import DEMO_PASSWORD
from performance.models import (
    Attachment,
    BureauPolicy,
    ImportRun,
    Indicator,
    Job,
    LibraryEntry,
    MonitoringReport,
    MonitoringRound,
    PerformanceGoal,
    Rectification,
    ScoringScheme,
    SelfEvaluation,
    SpotCheck,
    SpotCheckDraw,
)
from performance.services import attachments as attachment_services
from performance.services import evaluation as evaluation_services
from performance.services import library as library_services
from performance.services import monitoring as monitoring_services
from performance.services import workflow
from performance.services.recompute_jobs import recompute_request
from projects.choices import Role
from projects.models import Project, Unit
from projects.permissions import (
    RECOMPUTERS,
    RECTIFICATION_RAISERS,
    RECTIFICATION_REVIEWERS,
    SPOT_CHECK_OBJECTORS,
    SPOT_CHECKERS,
    UNIT_EDITORS,
)
from projects.services import accounts
from tests.support.evidence_files import pdf_bytes
from tests.support.evidence_files import upload as evidence_upload
from tests.support.goal_helpers import new_project
from tests.support.import_helpers import csv_bytes, rows
from tests.support.spot_checks import spot_check_of

from .scoping import database_fingerprint, operations

pytestmark = pytest.mark.django_db

OWN, FOREIGN = "own", "foreign"
OWN_UNIT, FOREIGN_UNIT = "027001", "305004"
OWN_PROJECT, FOREIGN_PROJECT = "410395220000000007669", "3050042023001"
OWN_APPROVED, FOREIGN_APPROVED = "410395220000000007677", "3050042023002"
FOREIGN_UNEVALUATED = "3050042023005"
YEAR = {OWN: 2022, FOREIGN: 2023}
EDITORS = set(UNIT_EDITORS)
SUCCESS = {200, 201, 202, 204}


# --- who -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    """A caller: its roles and the units it sees, as the domain defines them."""

    name: str
    username: str | None
    roles: frozenset[str] = frozenset()
    sees: frozenset[str] = frozenset()  # OWN / FOREIGN objects within its scope
    unit_codes: frozenset[str] | None = frozenset()  # visible unit codes (None: every unit)
    opens_rounds: bool = False  # 财政审核人 / 管理员 of the finance bureau, or superuser

    def roles_on(self, owner: str) -> set[str]:
        return set(self.roles) if owner in self.sees else set()


BOTH = frozenset({OWN, FOREIGN})
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
            opens_rounds=True,
        ),
        Persona(
            "unit_admin",
            "admin027001",
            frozenset({Role.ADMIN}),
            frozenset({OWN}),
            frozenset({OWN_UNIT}),
        ),
        Persona("superuser", "admin", frozenset({Role.ADMIN}), BOTH, None, opens_rounds=True),
    )
}


# --- what ------------------------------------------------------------------------------------


@dataclass
class World:
    """027001's (own) and 305004's (foreign) objects of every kind the API exposes."""

    objects: dict[tuple[str, str], Any] = field(default_factory=dict)
    extra: dict[tuple[str, str], Any] = field(default_factory=dict)
    unit_review: bool = False  # the finance bureau requires unit-internal review

    def get(self, kind: str, owner: str):
        return self.objects[(kind, owner)]


@pytest.fixture
def world(demo, finance_reviewer, filler, evidence_storage) -> World:
    user_model = get_user_model()
    admin027001 = user_model.objects.create_user("admin027001", password=DEMO_PASSWORD)
    admin027001.is_staff = True
    admin027001.save(update_fields=["is_staff"])
    accounts.membership_add(user=admin027001, unit=Unit.objects.get(code=OWN_UNIT), role=Role.ADMIN)
    world = World()
    for owner, unit_code, code, approved_code in (
        (OWN, OWN_UNIT, OWN_PROJECT, OWN_APPROVED),
        (FOREIGN, FOREIGN_UNIT, FOREIGN_PROJECT, FOREIGN_APPROVED),
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
        approved = PerformanceGoal.objects.get(project__code=approved_code, status=Status.APPROVED)
        draft = workflow.goal_adjust(
            goal=PerformanceGoal.objects.get(project=project, version=1),
            actor=None,
            reason="调整用于权限矩阵",
        )
        job = recompute_request(actor=finance_reviewer, year=year, unit=unit)
        job.output_file.save("result.xlsx", ContentFile(b"PK\x03\x04"), save=True)
        world.objects.update(
            {
                ("units", owner): unit,
                ("projects", owner): project,
                ("goals", owner): draft,
                ("approved-goals", owner): approved,
                ("indicators", owner): draft.indicators.order_by("pk").first(),
                ("monitoring-reports", owner): MonitoringReport.objects.get(project=project),
                ("jobs", owner): job,
                ("imports/runs", owner): ImportRun.objects.create(
                    kind="targets", filename=f"{owner}.csv", status="committed", unit=unit
                ),
                ("new-projects", owner): new_project(
                    None, unit_code=unit_code, year=2024, code=f"{unit_code}2024990001"
                ),
            }
        )
    own_project = world.get("projects", OWN)
    world.objects[("evaluations", OWN)] = evaluation_services.evaluation_start(
        actor=None, year=2022, project=own_project
    )
    world.objects[("evaluations", FOREIGN)] = SelfEvaluation.objects.get(
        project__code=FOREIGN_PROJECT
    )
    # Projects whose approved goal has no self-evaluation yet (开展自评).
    SelfEvaluation.objects.filter(project__code=FOREIGN_UNEVALUATED).delete()
    world.objects[("unevaluated", OWN)] = Project.objects.get(code=OWN_APPROVED)
    world.objects[("unevaluated", FOREIGN)] = Project.objects.get(code=FOREIGN_UNEVALUATED)
    # Evidence: a file on each side's self-evaluation (the foreign one approved: frozen).
    for owner in (OWN, FOREIGN):
        evaluation = world.get("evaluations", owner)
        status = evaluation.status
        set_status(evaluation, Status.DRAFT)
        [world.objects[("attachments", owner)]] = attachment_services.attachment_add(
            actor=None,
            anchor=attachment_services.Anchor(kind=AttachmentKind.EVALUATION, obj=evaluation),
            files=[evidence_upload(f"{owner}.pdf", pdf_bytes(owner))],
        )
        set_status(evaluation, status)
    # 财政复核 of each side's self-evaluation (a draft: the tests set the state they need).
    draw = SpotCheckDraw.objects.create(year=2023, method="manual", note="权限矩阵", population=2)
    for owner in (OWN, FOREIGN):
        evaluation = world.get("evaluations", owner)
        world.objects[("spot-checks", owner)] = spot_check_of(evaluation, draw=draw)
    # The indicator library: a draft of each department (027 own, 305 foreign), and a confirmed
    # 027 entry every member reads.
    for owner, department in ((OWN, "027"), (FOREIGN, "305")):
        world.objects[("library", owner)] = library_services.library_entry_create(
            actor=None,
            owner=Unit.objects.get(code=department),
            data={**LIBRARY_ENTRY, "level3": f"矩阵指标{department}"},
        )
    # 整改: a department-level task of each side (the tests set the state they need).
    for owner in (OWN, FOREIGN):
        evaluation = world.get("evaluations", owner)
        world.objects[("rectifications", owner)] = Rectification.objects.create(
            unit=evaluation.unit,
            year=evaluation.year,
            cause="manual",
            review_by="dept_reviewer",
            problem="权限矩阵",
            deadline=dt.date.today() + dt.timedelta(days=30),
            raised_at=dt.datetime.now(dt.UTC),
        )
    world.extra[("library-confirmed", "-")] = LibraryEntry.objects.filter(
        unit__code="027", status=Status.APPROVED
    ).first()
    # 从上年目标开始: next year's project of each side's approved project (same code, 延续).
    for owner in (OWN, FOREIGN):
        approved = world.get("approved-goals", owner).project
        world.objects[("continuing-projects", owner)] = Project.objects.create(
            code=approved.code,
            name=approved.name,
            unit=approved.unit,
            year=approved.year + 1,
            category=approved.category,
        )
    world.extra[("schemes", "-")] = ScoringScheme.objects.first()
    world.extra[("monitoring-rounds", "-")] = MonitoringRound.objects.first()
    return world


def version(obj) -> int:
    return type(obj).objects.values_list("lock_version", flat=True).get(pk=obj.pk)


def set_status(obj, status: str) -> None:
    type(obj).objects.filter(pk=obj.pk).update(status=status)


# --- the rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One cell: the request, whether the domain allows it, and what it is about."""

    method: str
    url: str
    allowed: bool
    owner: str | None = None  # OWN / FOREIGN object named in the path or body
    in_path: bool = False  # the object is in the URL (so a refusal of an unseen one is a 404)
    data: Any = None
    multipart: bool = False
    setup: Callable[[], None] | None = None
    label: str = ""
    public: bool = False  # no login needed (the token endpoint): a wrong password is a 400


def visible(persona: Persona, owner: str) -> bool:
    return owner in persona.sees


def may_edit(persona: Persona, owner: str) -> bool:
    return bool(persona.roles_on(owner) & EDITORS)


def anyone(persona: Persona) -> bool:
    return persona.username is not None


def url_for(template: str, obj) -> str:
    return template.replace("{id}", str(obj.pk))


def shared_read(kind: str | None):
    """Rules and rounds hold no unit's data: every signed-in user reads them."""

    def calls(template, method, persona, world):
        obj = world.extra[(kind, "-")] if kind else None
        yield Call(method, url_for(template, obj) if obj else template, anyone(persona))

    return calls


def token_login(template, method, persona, world):
    """Logging in is open to everyone with the right password; a wrong one gets nothing."""
    username = persona.username or "filler027"
    password = DEMO_PASSWORD if persona.username else "not-the-password"
    data = {"username": username, "password": password}
    yield Call(method, template, persona.username is not None, data=data, public=True)


def token_logout(template, method, persona, world):
    yield Call(method, template, anyone(persona))


def scoped_list(template, method, persona, world):
    yield Call(method, template, anyone(persona), data={"page_size": 200}, label="list")


def figures_feed(template, method, persona, world):
    """The bulk feed is a list: anyone signed in, rows of the caller's units only; a filter on
    another unit narrows to nothing (a 200 without rows, as the lists answer)."""
    for year in (2022, 2023):
        yield Call(method, template, anyone(persona), data={"year": year}, label="list")
        for owner, code in ((OWN, OWN_UNIT), (FOREIGN, FOREIGN_UNIT)):
            yield Call(
                method,
                template,
                anyone(persona),
                owner,
                data={"year": year, "unit": code, "format": "csv", "section": "evaluations"},
                label="list",
            )


def object_read(kind: str):
    """An object in the path: readable by whoever sees its unit."""

    def calls(template, method, persona, world):
        for owner in (OWN, FOREIGN):
            obj = world.get(kind, owner)
            yield Call(method, url_for(template, obj), visible(persona, owner), owner, in_path=True)

    return calls


def export_read(template, method, persona, world):
    for owner in (OWN, FOREIGN):
        unit = world.get("units", owner)
        yield Call(
            method,
            template.replace("{kind}", "project_targets"),
            visible(persona, owner),
            owner,
            data={"unit": unit.code, "year": YEAR[owner]},
        )


def publication_read(template, method, persona, world):
    """A unit's 绩效公开 file: whoever sees the unit."""
    for owner in (OWN, FOREIGN):
        unit = world.get("units", owner)
        yield Call(
            method,
            template,
            visible(persona, owner),
            owner,
            data={"unit": unit.code, "year": YEAR[owner]},
        )


def publication_package(template, method, persona, world):
    """A department's 绩效公开 package: whoever sees the department."""
    for owner in (OWN, FOREIGN):
        department = world.get("units", owner).parent
        sees = persona.unit_codes is None or department.code in persona.unit_codes
        yield Call(
            method,
            template,
            persona.username is not None and sees,
            owner,
            data={"unit": department.code, "year": YEAR[owner]},
        )


EDIT_BODIES = {
    "goals": lambda obj: {"lock_version": version(obj), "overall_goal": "矩阵修改的目标"},
    "indicators": lambda obj: {"lock_version": version(obj), "raw_value": "≥2%"},
    "monitoring-reports": lambda obj: {"lock_version": version(obj), "summary": "矩阵修改"},
    "evaluations": lambda obj: {"lock_version": version(obj), "measures": "矩阵修改"},
}


def object_edit(kind: str):
    """Editing a draft: the unit's 填报人, 单位审核人, 管理员."""

    def calls(template, method, persona, world):
        for owner in (OWN, FOREIGN):
            obj = world.get(kind, owner)
            target = obj.goal if kind == "indicators" else obj
            yield Call(
                method,
                url_for(template, obj),
                visible(persona, owner) and may_edit(persona, owner),
                owner,
                in_path=True,
                data=EDIT_BODIES[kind](obj) if method == "patch" else None,
                setup=lambda target=target: set_status(target, Status.DRAFT),
            )

    return calls


TRANSITION_BODIES = {
    workflow.SUBMIT: lambda obj: {"lock_version": version(obj)},
    workflow.APPROVE: lambda obj: {"lock_version": version(obj)},
    workflow.RETURN: lambda obj: {"lock_version": version(obj), "comment": "请补充说明"},
    workflow.ADJUST: lambda obj: {"reason": "预算调整"},
}
WRONG_STATE = {
    workflow.SUBMIT: Status.SUBMITTED,
    workflow.APPROVE: Status.DRAFT,
    workflow.RETURN: Status.DRAFT,
    workflow.ADJUST: Status.DRAFT,
}


DOCUMENT_MODELS = {
    "goals": PerformanceGoal,
    "monitoring-reports": MonitoringReport,
    "evaluations": SelfEvaluation,
    "spot-checks": SpotCheck,
    "rectifications": Rectification,
}


def applies(row, unit_review: bool) -> bool:
    """Whether a row of the table is in force with the bureau's unit-internal review setting."""
    if row.when == workflow.ALWAYS:
        return True
    return (row.when == workflow.WITH_UNIT_REVIEW) == unit_review


def transition(kind: str, action: str):
    """A review action, tried in each state ``TRANSITIONS`` lists for it and one it does not."""
    is_goal = kind == "goals"
    every_row = [
        row for row in workflow.transitions_of(DOCUMENT_MODELS[kind]) if row.action == action
    ]
    states = [*dict.fromkeys(row.source for row in every_row), WRONG_STATE[action]]

    def calls(template, method, persona, world):
        rows = [row for row in every_row if applies(row, world.unit_review)]
        for owner in (OWN, FOREIGN):
            for state in states:
                obj = world.get(
                    "approved-goals" if state == Status.APPROVED and is_goal else kind, owner
                )
                allowed = visible(persona, owner) and any(
                    persona.roles_on(owner) & set(r.roles) for r in rows if r.source == state
                )
                yield Call(
                    method,
                    url_for(template, obj),
                    allowed,
                    owner,
                    in_path=True,
                    data=lambda obj=obj: TRANSITION_BODIES[action](obj),
                    setup=lambda obj=obj, state=state: set_status(obj, state),
                    label=f"in state {state}",
                )

    return calls


def bulk_transition(kind: str, action: str):
    """A bulk review of one item: allowed exactly when the single review of that item is (a
    refused bulk changes nothing and is not a success, whatever the reason)."""
    every_row = [
        row for row in workflow.transitions_of(DOCUMENT_MODELS[kind]) if row.action == action
    ]
    states = [*dict.fromkeys(row.source for row in every_row), WRONG_STATE[action]]

    def calls(template, method, persona, world):
        rows = [row for row in every_row if applies(row, world.unit_review)]
        for owner in (OWN, FOREIGN):
            for state in states:
                obj = world.get(kind, owner)
                allowed = visible(persona, owner) and any(
                    persona.roles_on(owner) & set(r.roles) for r in rows if r.source == state
                )
                yield Call(
                    method,
                    template,
                    allowed,
                    owner,
                    data=lambda obj=obj: {
                        "items": [{"id": obj.pk, "lock_version": version(obj)}],
                        "comment": "请补充说明",
                    },
                    setup=lambda obj=obj, state=state: set_status(obj, state),
                    label=f"in state {state}",
                )

    return calls


def create_goal(template, method, persona, world):
    for owner in (OWN, FOREIGN):
        project = world.get("new-projects", owner)
        yield Call(
            method,
            template,
            visible(persona, owner) and may_edit(persona, owner),
            owner,
            data={"scope": "project", "year": project.year, "project": project.pk},
        )


def start_from_last_year(template, method, persona, world):
    for owner in (OWN, FOREIGN):
        project = world.get("continuing-projects", owner)
        yield Call(
            method,
            template,
            visible(persona, owner) and may_edit(persona, owner),
            owner,
            data={"project": project.pk},
        )


def create_indicator(template, method, persona, world):
    for owner in (OWN, FOREIGN):
        goal = world.get("goals", owner)
        data = {
            "goal": goal.pk,
            "level1": "产出指标",
            "level2": "数量指标",
            "level3": "矩阵新增指标",
            "raw_value": "≥10个",
        }
        yield Call(
            method, template, visible(persona, owner) and may_edit(persona, owner), owner, data=data
        )


def create_evaluation(template, method, persona, world):
    for owner in (OWN, FOREIGN):
        project = world.get("unevaluated", owner)
        yield Call(
            method,
            template,
            visible(persona, owner) and may_edit(persona, owner),
            owner,
            data={"year": project.year, "project": project.pk},
        )


def import_targets(template, method, persona, world):
    for owner in (OWN, FOREIGN):
        unit = world.get("units", owner)
        content = csv_bytes(
            rows(2, 单位编码=unit.code, 单位名称=unit.name, 项目编码=f"{unit.code}2022990009")
        )
        yield Call(
            method,
            template,
            visible(persona, owner) and may_edit(persona, owner),
            owner,
            data=lambda content=content: {
                "file": SimpleUploadedFile("targets.csv", content, content_type="text/csv")
            },
            multipart=True,
        )


def import_master_data(kind: str):
    """``imports/units|people``: 管理员 of the row's unit (and superusers); a foreign row is a
    400 that writes nothing, everybody else a 403 (issue 18, §6.3)."""

    def rule(template, method, persona, world):
        for owner in (OWN, FOREIGN):
            unit = world.get("units", owner)
            if kind == "units":
                header = "单位编码,单位名称,单位类型,上级单位编码"
                line = f"{unit.code}9,矩阵测试单位,预算单位,{unit.code}"
            else:
                header = "用户名,姓名,电子邮箱,单位编码,角色"
                line = (
                    f"matrix{unit.code},矩阵测试,matrix{unit.code}@example.org,{unit.code},填报人"
                )
            content = f"{header}\n{line}\n".encode()
            yield Call(
                method,
                template,
                Role.ADMIN in persona.roles_on(owner),
                owner,
                data=lambda content=content: {
                    "file": SimpleUploadedFile(f"{kind}.csv", content, content_type="text/csv")
                },
                multipart=True,
            )

    return rule


def import_money(kind: str):
    """``POST imports/projects|execution/`` (issue 18): editors of the file's unit; a file of a
    unit the caller may not edit is a 400 naming its rows, and changes nothing."""

    def rule(template, method, persona, world):
        for owner in (OWN, FOREIGN):
            unit, project, year = (
                world.get("units", owner),
                world.get("projects", owner),
                YEAR[owner],
            )
            if kind == "projects":
                header = "年度,单位编码,项目编码,项目名称,项目类型,资金来源,年初预算(万元)"
                line = f"{year},{unit.code},{unit.code}MX01,矩阵导入项目,特定目标类,一般公共预算,1"
            else:
                header = "批次号,行号,年度,单位编码,项目编码,支出日期,金额(万元)"
                line = (
                    f"MX-{owner},MX-{owner}-1,{year},{unit.code},{project.code},{year}-03-05,0.01"
                )
            content = f"{header}\n{line}\n".encode()
            yield Call(
                method,
                template,
                visible(persona, owner) and may_edit(persona, owner),
                owner,
                data=lambda content=content: {
                    "file": SimpleUploadedFile(f"{kind}.csv", content, content_type="text/csv")
                },
                multipart=True,
            )

    return rule


def request_recompute(template, method, persona, world):
    for owner in (OWN, FOREIGN):
        unit = world.get("units", owner)
        yield Call(
            method,
            template,
            visible(persona, owner) and bool(persona.roles_on(owner) & set(RECOMPUTERS)),
            owner,
            data={"year": YEAR[owner], "unit": unit.pk},
        )


def requeue_job(template, method, persona, world):
    """Re-queueing a stalled recompute: whoever may start that recompute, if they see the job."""
    for owner in (OWN, FOREIGN):
        job = world.get("jobs", owner)
        yield Call(
            method,
            url_for(template, job),
            visible(persona, owner) and bool(persona.roles_on(owner) & set(RECOMPUTERS)),
            owner,
            in_path=True,
            setup=lambda job=job: Job.objects.filter(pk=job.pk).update(
                progress_at=job.created_at - dt.timedelta(days=1)
            ),
        )


def upload_attachment(template, method, persona, world):
    """Evidence on a self-evaluation: its unit's editors, while it is a draft (frozen once
    approved, for everyone)."""
    for owner in (OWN, FOREIGN):
        evaluation = world.get("evaluations", owner)
        for state in (Status.DRAFT, Status.APPROVED):
            yield Call(
                method,
                template,
                visible(persona, owner) and may_edit(persona, owner) and state == Status.DRAFT,
                owner,
                data=lambda evaluation=evaluation: {
                    "evaluation": evaluation.pk,
                    "files": [evidence_upload("矩阵.pdf", pdf_bytes("矩阵上传"))],
                },
                multipart=True,
                setup=lambda evaluation=evaluation, state=state: set_status(evaluation, state),
                label=f"in state {state}",
            )
    yield from upload_spot_check_evidence(template, method, persona, world)


def upload_spot_check_evidence(template, method, persona, world):
    """Evidence on a spot check: 复核依据 by finance reviewers while it is a draft; 异议材料 by
    the unit's 单位审核人 or 管理员 once they have objected (not before, not after)."""
    for owner in (OWN, FOREIGN):
        spot_check = world.get("spot-checks", owner)
        for state in (Status.DRAFT, Status.APPROVED):
            yield Call(
                method,
                template,
                is_spot_checker(persona) and state == Status.DRAFT,
                owner,
                data=lambda s=spot_check: {
                    "spot_check": s.pk,
                    "files": [evidence_upload("复核依据.pdf", pdf_bytes("矩阵复核"))],
                },
                multipart=True,
                setup=lambda s=spot_check, state=state: set_outcome(
                    s, state, "published" if state == Status.APPROVED else ""
                ),
                label=f"复核依据 in state {state}",
            )
        for outcome in ("published", "objected"):
            yield Call(
                method,
                template,
                bool(persona.roles_on(owner) & set(SPOT_CHECK_OBJECTORS)) and outcome == "objected",
                owner,
                data=lambda s=spot_check: {
                    "objection": s.pk,
                    "files": [evidence_upload("异议材料.pdf", pdf_bytes("矩阵异议"))],
                },
                multipart=True,
                setup=lambda s=spot_check, outcome=outcome: set_outcome(
                    s, Status.APPROVED, outcome
                ),
                label=f"异议材料 outcome {outcome}",
            )


def delete_attachment(template, method, persona, world):
    """Deleting evidence: the unit's editors while the document is a draft; never once approved."""
    for owner in (OWN, FOREIGN):
        attachment = world.get("attachments", owner)
        evaluation = world.get("evaluations", owner)
        for state in (Status.DRAFT, Status.APPROVED):
            yield Call(
                method,
                url_for(template, attachment),
                visible(persona, owner) and may_edit(persona, owner) and state == Status.DRAFT,
                owner,
                in_path=True,
                setup=lambda evaluation=evaluation, state=state: set_status(evaluation, state),
                label=f"in state {state}",
            )


def is_spot_checker(persona: Persona) -> bool:
    """财政审核人 of the finance bureau: they draw, re-score, review and decide spot checks."""
    return persona.unit_codes is None and bool(set(persona.roles) & set(SPOT_CHECKERS))


def set_outcome(spot_check, status: str, outcome: str = "") -> None:
    SpotCheck.objects.filter(pk=spot_check.pk).update(
        status=status,
        outcome=outcome,
        objection_reason="矩阵异议" if outcome == "objected" else "",
        objection_deadline=dt.date.today() + dt.timedelta(days=15) if outcome else None,
    )


def spot_check_read(template, method, persona, world):
    """A spot check: its finance reviewers in any state; the unit and department once published
    (before that it is a 404, as if it did not exist)."""
    for owner in (OWN, FOREIGN):
        spot_check = world.get("spot-checks", owner)
        for state in (Status.DRAFT, Status.APPROVED):
            yield Call(
                method,
                url_for(template, spot_check),
                visible(persona, owner) and (is_spot_checker(persona) or state == Status.APPROVED),
                owner,
                in_path=True,
                setup=lambda s=spot_check, state=state: set_outcome(
                    s, state, "published" if state == Status.APPROVED else ""
                ),
                label=f"in state {state}",
            )


def spot_check_draw(template, method, persona, world):
    data = {"year": 2023, "method": "random", "count": 1, "seed": 1}
    yield Call(method, template, is_spot_checker(persona), data=data)


def spot_check_distribution(template, method, persona, world):
    yield Call(method, template, anyone(persona), data={"year": 2023})


def spot_check_rescore(template, method, persona, world):
    """Re-scoring: finance reviewers, while the spot check is a draft (never once published)."""
    for owner in (OWN, FOREIGN):
        spot_check = world.get("spot-checks", owner)
        for state in (Status.DRAFT, Status.APPROVED):
            yield Call(
                method,
                url_for(template, spot_check),
                is_spot_checker(persona) and state == Status.DRAFT,
                owner,
                in_path=True,
                data=lambda s=spot_check: {
                    "lock_version": version(s),
                    "scores": [],
                    "summary": "矩阵",
                },
                setup=lambda s=spot_check, state=state: set_outcome(
                    s, state, "published" if state == Status.APPROVED else ""
                ),
                label=f"in state {state}",
            )


def spot_check_object(template, method, persona, world):
    """The unit's objection: its 单位审核人 or 管理员, to a published result only."""
    for owner in (OWN, FOREIGN):
        spot_check = world.get("spot-checks", owner)
        for outcome in ("published", "objected"):
            yield Call(
                method,
                url_for(template, spot_check),
                bool(persona.roles_on(owner) & set(SPOT_CHECK_OBJECTORS))
                and outcome == "published",
                owner,
                in_path=True,
                data=lambda s=spot_check: {"lock_version": version(s), "reason": "矩阵异议"},
                setup=lambda s=spot_check, outcome=outcome: set_outcome(
                    s, Status.APPROVED, outcome
                ),
                label=f"outcome {outcome}",
            )


def spot_check_decide(template, method, persona, world):
    """The decision on an objection: a finance reviewer, once there is an objection."""
    for owner in (OWN, FOREIGN):
        spot_check = world.get("spot-checks", owner)
        for outcome in ("objected", "published"):
            yield Call(
                method,
                url_for(template, spot_check),
                is_spot_checker(persona) and outcome == "objected",
                owner,
                in_path=True,
                data=lambda s=spot_check: {
                    "lock_version": version(s),
                    "decision": "upheld",
                    "comment": "维持",
                },
                setup=lambda s=spot_check, outcome=outcome: set_outcome(
                    s, Status.APPROVED, outcome
                ),
                label=f"outcome {outcome}",
            )


def open_round(template, method, persona, world):
    data = {"year": 2024, "data_month": 7, "opens_on": "2024-08-01", "deadline": "2024-08-31"}
    yield Call(method, template, persona.opens_rounds, data=data)


# --- the indicator library: owned by departments, not by the world's budget units -------------
LIBRARY_ENTRY = {
    "level1": "产出指标",
    "level2": "数量指标",
    "level3": "矩阵指标",
    "nature": "≥",
    "measure_unit": "个",
}
# Who sees a draft of 027 (own) / 305 (foreign): whoever sees the department (its staff, the
# finance bureau); who edits it: LIBRARY_EDITORS on the department; who confirms: 财政审核人.
LIBRARY_SEES = {
    OWN: {"dept_reviewer", "finance_reviewer", "superuser"},
    FOREIGN: {"finance_reviewer", "superuser"},
}
LIBRARY_EDITS = LIBRARY_SEES  # each of them holds a LIBRARY_EDITORS role on the department
LIBRARY_CONFIRMS = {OWN: {"finance_reviewer"}, FOREIGN: {"finance_reviewer"}}
LIBRARY_OWNER = {OWN: "027", FOREIGN: "305"}


def library_list(template, method, persona, world):
    yield Call(method, template, anyone(persona), data={"page_size": 200})


def library_read(template, method, persona, world):
    confirmed = world.extra[("library-confirmed", "-")]
    yield Call(method, url_for(template, confirmed), anyone(persona), label="confirmed")
    for owner in (OWN, FOREIGN):
        draft = world.get("library", owner)
        yield Call(method, url_for(template, draft), persona.name in LIBRARY_SEES[owner], owner)


def library_create(template, method, persona, world):
    for owner in (OWN, FOREIGN):
        data = {**LIBRARY_ENTRY, "owner": LIBRARY_OWNER[owner], "level3": "矩阵新建"}
        yield Call(method, template, persona.name in LIBRARY_EDITS[owner], owner, data=data)


def library_edit(template, method, persona, world):
    for owner in (OWN, FOREIGN):
        draft = world.get("library", owner)
        yield Call(
            method,
            url_for(template, draft),
            persona.name in LIBRARY_EDITS[owner],
            owner,
            data=lambda draft=draft: {"lock_version": version(draft), "basis": "矩阵修改"},
        )


def library_step(action: str, source: str, data: Callable, who: dict[str, set[str]]):
    """A library transition tried in the state the workflow table lists and in one it does not
    (``LibraryStatus`` shares the codes of ``Status`` used here)."""
    wrong = Status.SUBMITTED if source != Status.SUBMITTED else Status.DRAFT

    def calls(template, method, persona, world):
        for owner in (OWN, FOREIGN):
            draft = world.get("library", owner)
            for state in (source, wrong):
                yield Call(
                    method,
                    url_for(template, draft),
                    state == source and persona.name in who[owner],
                    owner,
                    data=lambda draft=draft: data(draft),
                    setup=lambda draft=draft, state=state: set_status(draft, state),
                    label=f"in state {state}",
                )

    return calls


def library_import(template, method, persona, world):
    header = "一级指标,二级指标,三级指标,指标性质,指标值,度量单位,权重,指标值设定依据及数据来源,评(扣)分标准,归口单位编码"
    for owner in (OWN, FOREIGN):
        line = f"产出指标,数量指标,矩阵导入,≥,≥1个,个,,,,{LIBRARY_OWNER[owner]}"
        content = f"{header}\n{line}\n".encode()
        yield Call(
            method,
            template,
            persona.name in LIBRARY_EDITS[owner],
            owner,
            data=lambda content=content: {
                "file": SimpleUploadedFile("library.csv", content, content_type="text/csv")
            },
            multipart=True,
        )


def _pickable_entry(world) -> LibraryEntry:
    """A confirmed 共性 entry either side's draft goal may pick (every project type)."""
    taken = set(
        Indicator.objects.filter(
            goal__in=[world.get("goals", OWN), world.get("goals", FOREIGN)]
        ).values_list("library_code", flat=True)
    )
    return (
        LibraryEntry.objects.filter(
            status=Status.APPROVED,
            is_common=True,
            goal_scope__in=("project", "both"),
            project_categories=0,
        )
        .exclude(code__in=taken)
        .order_by("code")
        .first()
    )


def library_search(template, method, persona, world):
    """Search is open to every member; with a goal, only to whoever sees it (else 400)."""
    yield Call(method, template, anyone(persona), data={"q": "满意度"}, label="library")
    for owner in (OWN, FOREIGN):
        goal = world.get("goals", owner)
        data = {"q": "满意度", "goal": goal.pk}
        yield Call(method, template, visible(persona, owner), owner, data=data, label="goal")


def library_suggestions(template, method, persona, world):
    for owner in (OWN, FOREIGN):
        project = world.get("new-projects", owner)
        data = {"project": project.pk}
        yield Call(method, template, visible(persona, owner), owner, data=data)


def library_add_to_goal(template, method, persona, world):
    """Picking into a draft goal: its unit's editors (a reviewer or outsider changes nothing)."""
    for owner in (OWN, FOREIGN):
        goal = world.get("goals", owner)
        yield Call(
            method,
            template,
            visible(persona, owner) and may_edit(persona, owner),
            owner,
            data=lambda goal=goal: {
                "goal": goal.pk,
                "entries": [{"entry": _pickable_entry(world).pk, "raw_value": "≥90%"}],
            },
            setup=lambda goal=goal: set_status(goal, Status.DRAFT),
        )


def results_read(template, method, persona, world):
    """结果应用 of a unit and year: whoever sees the unit (another unit's is a 400)."""
    for owner, code in ((OWN, OWN_UNIT), (FOREIGN, FOREIGN_UNIT)):
        yield Call(
            method, template, visible(persona, owner), owner, data={"unit": code, "year": 2023}
        )


def rectification_raise(template, method, persona, world):
    """Raising a task by hand: a 主管部门审核人 or 财政审核人 of the unit."""
    for owner, code in ((OWN, OWN_UNIT), (FOREIGN, FOREIGN_UNIT)):
        data = {
            "unit": code,
            "year": 2023,
            "problem": "矩阵发起",
            "deadline": (dt.date.today() + dt.timedelta(days=10)).isoformat(),
        }
        allowed = visible(persona, owner) and bool(
            persona.roles_on(owner) & set(RECTIFICATION_RAISERS)
        )
        yield Call(method, template, allowed, owner, data=data)


def rectification_answer(template, method, persona, world):
    """The unit's answer: its editors, while the task is 整改中 (not once submitted)."""
    for owner in (OWN, FOREIGN):
        task = world.get("rectifications", owner)
        for state in (Status.DRAFT, Status.SUBMITTED):
            yield Call(
                method,
                url_for(template, task),
                visible(persona, owner) and may_edit(persona, owner) and state == Status.DRAFT,
                owner,
                in_path=True,
                data=lambda t=task: {"lock_version": version(t), "measures": "矩阵措施"},
                setup=lambda t=task, state=state: set_status(t, state),
                label=f"in state {state}",
            )


def rectification_change(template, method, persona, world):
    """The 验收方's change of the deadline: a department-level task's reviewers, while open."""
    for owner in (OWN, FOREIGN):
        task = world.get("rectifications", owner)
        yield Call(
            method,
            url_for(template, task),
            visible(persona, owner)
            and bool(persona.roles_on(owner) & set(RECTIFICATION_REVIEWERS)),
            owner,
            in_path=True,
            data=lambda t=task: {
                "lock_version": version(t),
                "deadline": (dt.date.today() + dt.timedelta(days=60)).isoformat(),
            },
        )


V1 = "/api/v1"
RULES: dict[tuple[str, str], Callable] = {
    ("post", f"{V1}/auth/token/"): token_login,
    ("delete", f"{V1}/auth/token/"): token_logout,
    ("get", f"{V1}/me/"): shared_read(None),
    ("get", f"{V1}/schemes/"): shared_read(None),
    ("get", f"{V1}/schemes/{{id}}/"): shared_read("schemes"),
    ("get", f"{V1}/monitoring-rounds/"): shared_read(None),
    ("get", f"{V1}/monitoring-rounds/{{id}}/"): shared_read("monitoring-rounds"),
    ("post", f"{V1}/monitoring-rounds/"): open_round,
    ("get", f"{V1}/summaries/"): scoped_list,
    ("get", f"{V1}/todo/"): scoped_list,
    ("post", f"{V1}/recompute/"): request_recompute,
    ("post", f"{V1}/jobs/{{id}}/requeue/"): requeue_job,
    ("post", f"{V1}/imports/targets/"): import_targets,
    ("post", f"{V1}/imports/units/"): import_master_data("units"),
    ("post", f"{V1}/imports/people/"): import_master_data("people"),
    ("post", f"{V1}/imports/projects/"): import_money("projects"),  # issue 18 WP-B2
    ("post", f"{V1}/imports/execution/"): import_money("execution"),  # issue 18 WP-B2
    ("get", f"{V1}/exports/{{kind}}/"): export_read,
    ("get", f"{V1}/exports/figures/"): figures_feed,
    ("post", f"{V1}/goals/"): create_goal,
    ("post", f"{V1}/indicators/"): create_indicator,
    ("post", f"{V1}/evaluations/"): create_evaluation,
    ("post", f"{V1}/goals/{{id}}/adjust/"): transition("goals", workflow.ADJUST),
    ("post", f"{V1}/goals/start-from-last-year/"): start_from_last_year,
    ("delete", f"{V1}/indicators/{{id}}/"): object_edit("indicators"),
    ("post", f"{V1}/attachments/"): upload_attachment,
    ("delete", f"{V1}/attachments/{{id}}/"): delete_attachment,
    ("get", f"{V1}/spot-checks/"): scoped_list,
    ("get", f"{V1}/spot-checks/{{id}}/"): spot_check_read,
    ("post", f"{V1}/spot-checks/draw/"): spot_check_draw,
    ("get", f"{V1}/spot-checks/distribution/"): spot_check_distribution,
    ("post", f"{V1}/spot-checks/{{id}}/re-score/"): spot_check_rescore,
    ("post", f"{V1}/spot-checks/{{id}}/object/"): spot_check_object,
    ("post", f"{V1}/spot-checks/{{id}}/decide/"): spot_check_decide,
    ("get", f"{V1}/publications/"): publication_read,
    ("post", f"{V1}/publications/"): publication_package,
    ("post", f"{V1}/rectifications/"): rectification_raise,
    ("get", f"{V1}/results/"): results_read,
    ("post", f"{V1}/rectifications/{{id}}/answer/"): rectification_answer,
    ("patch", f"{V1}/rectifications/{{id}}/"): rectification_change,
}
for _kind in (
    "units",
    "projects",
    "goals",
    "indicators",
    "monitoring-reports",
    "evaluations",
    "jobs",
    "attachments",
    "imports/runs",
    "rectifications",
):
    RULES[("get", f"{V1}/{_kind}/")] = scoped_list
    RULES[("get", f"{V1}/{_kind}/{{id}}/")] = object_read(_kind)
for _kind, _tail in (
    ("units", "summary"),
    ("projects", "history"),
    ("goals", "history"),
    ("goals", "versions"),
    ("goals", "diff"),
    ("monitoring-reports", "history"),
    ("evaluations", "history"),
    ("jobs", "download"),
    ("attachments", "download"),
    ("rectifications", "history"),
):
    RULES[("get", f"{V1}/{_kind}/{{id}}/{_tail}/")] = object_read(_kind)
for _kind in ("goals", "indicators", "monitoring-reports", "evaluations"):
    RULES[("patch", f"{V1}/{_kind}/{{id}}/")] = object_edit(_kind)
for _kind in ("goals", "monitoring-reports", "evaluations", "spot-checks", "rectifications"):
    for _action, _path in (
        (workflow.SUBMIT, "submit"),
        (workflow.APPROVE, "approve"),
        (workflow.RETURN, "return"),
    ):
        RULES[("post", f"{V1}/{_kind}/{{id}}/{_path}/")] = transition(_kind, _action)
    for _action, _path in ((workflow.APPROVE, "bulk-approve"), (workflow.RETURN, "bulk-return")):
        if _kind not in (
            "spot-checks",
            "rectifications",
        ):  # a 审定 is decided one by one (no bulk endpoints)
            RULES[("post", f"{V1}/{_kind}/{_path}/")] = bulk_transition(_kind, _action)

LIBRARY = f"{V1}/library/entries"
RULES.update(
    {
        ("get", f"{LIBRARY}/"): library_list,
        ("get", f"{LIBRARY}/export/"): library_list,
        ("post", f"{LIBRARY}/import/"): library_import,
        ("get", f"{LIBRARY}/{{id}}/"): library_read,
        ("get", f"{LIBRARY}/{{id}}/history/"): library_read,
        ("post", f"{LIBRARY}/"): library_create,
        ("patch", f"{LIBRARY}/{{id}}/"): library_edit,
        ("post", f"{LIBRARY}/{{id}}/propose/"): library_step(
            "submit", Status.DRAFT, lambda e: {"lock_version": version(e)}, LIBRARY_EDITS
        ),
        ("post", f"{LIBRARY}/{{id}}/confirm/"): library_step(
            "approve", Status.SUBMITTED, lambda e: {"lock_version": version(e)}, LIBRARY_CONFIRMS
        ),
        ("post", f"{LIBRARY}/{{id}}/return/"): library_step(
            "return", Status.SUBMITTED, lambda e: {"comment": "请修改"}, LIBRARY_CONFIRMS
        ),
        ("post", f"{LIBRARY}/{{id}}/retire/"): library_step(
            "retire", Status.APPROVED, lambda e: {"reason": "停用"}, LIBRARY_CONFIRMS
        ),
        ("post", f"{LIBRARY}/{{id}}/revise/"): library_step(
            "revise", Status.APPROVED, lambda e: {"reason": "修订"}, LIBRARY_EDITS
        ),
    }
)
RULES.update(
    {
        ("get", f"{V1}/library/search/"): library_search,
        ("get", f"{V1}/library/suggestions/"): library_suggestions,
        ("post", f"{V1}/library/add-to-goal/"): library_add_to_goal,
    }
)

# Which unit a list row belongs to (by code), for the row-scope check of list endpoints.
LIST_UNIT = {
    f"{V1}/units/": (Unit, "code"),
    f"{V1}/projects/": (Project, "unit__code"),
    f"{V1}/goals/": (PerformanceGoal, "unit__code"),
    f"{V1}/indicators/": (Indicator, "goal__unit__code"),
    f"{V1}/monitoring-reports/": (MonitoringReport, "unit__code"),
    f"{V1}/evaluations/": (SelfEvaluation, "unit__code"),
    f"{V1}/jobs/": (Job, "unit__code"),
    f"{V1}/imports/runs/": (ImportRun, "unit__code"),
    f"{V1}/attachments/": (Attachment, "unit__code"),
    f"{V1}/spot-checks/": (SpotCheck, "unit__code"),
    f"{V1}/rectifications/": (Rectification, "unit__code"),
}


def test_every_operation_of_the_schema_has_a_rule():
    missing = [(m.upper(), t) for t, m in operations() if (m, t) not in RULES]
    assert not missing, f"add a permission rule for: {missing}"


# --- the run ---------------------------------------------------------------------------------


def send(client, call: Call):
    data = call.data() if callable(call.data) else call.data
    if call.method == "get":
        response = client.get(call.url, data)
        if getattr(response, "streaming", False):
            # Read it all, as a server does: the test client closes the response at the end of
            # the stream (freeing a feed's slot) without closing the test's database connection;
            # an explicit close() here would, on PostgreSQL, inside the test's transaction.
            body = b"".join(response.streaming_content)
            response.streaming_content = [body]
        return response
    if call.multipart:
        return client.post(call.url, data, format="multipart")
    return getattr(client, call.method)(call.url, data)


def feed_units(response) -> list[str]:
    """The unit codes of every record of a figures feed (NDJSON or CSV)."""
    body = b"".join(response.streaming_content)
    if response["Content-Type"].startswith("text/csv"):
        table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        column = table[0].index("unit.code")
        return [row[column] for row in table[1:]]
    records = [orjson.loads(line) for line in body.splitlines()]
    return [record["unit"]["code"] for record in records if "type" not in record]


def row_units(template: str, response, client) -> list[str]:
    """The unit codes of every row of a (paginated) list, following the next links."""
    codes: list[str] = []
    if template == f"{V1}/exports/figures/":
        return feed_units(response)
    body = response.json()
    while True:
        results = body["results"] if isinstance(body, dict) else body
        if template in (f"{V1}/summaries/", f"{V1}/todo/"):
            codes += [row["unit"]["code"] for row in results]
        elif template in LIST_UNIT:
            model, lookup = LIST_UNIT[template]
            ids = [row["id"] for row in results]
            codes += list(model.objects.filter(pk__in=ids).values_list(lookup, flat=True))
        if not isinstance(body, dict) or not body.get("next"):
            return codes
        body = client.get(body["next"]).json()


@pytest.mark.parametrize("unit_review", [False, True], ids=["default", "unit-review"])
@pytest.mark.parametrize("who", list(PERSONAS))
def test_no_role_succeeds_where_the_rules_forbid_it(who, unit_review, request, api, world):
    persona = PERSONAS[who]
    if unit_review:
        # The bureau above both units requires unit-internal review (one finance root).
        bureau = Unit.objects.get(
            code=Unit.objects.get(code=OWN_UNIT).path.strip("/").split("/")[0]
        )
        BureauPolicy.objects.create(bureau=bureau, unit_review_required=True)
        world.unit_review = True
    user = get_user_model().objects.get(username=persona.username) if persona.username else None
    client = api(user)
    problems: list[str] = []
    cells = 0
    for template, method in operations():
        for call in RULES[(method, template)](template, method, persona, world):
            cells += 1
            where = f"{method.upper()} {call.url} [{call.owner or '-'}] {call.label}".strip()
            sid = transaction.savepoint()
            try:
                if call.setup:
                    call.setup()
                before = None if call.allowed else database_fingerprint()
                response = send(client, call)
                status = response.status_code
                if call.allowed:
                    if status not in SUCCESS:
                        problems.append(
                            f"{where}: expected success, got {status} {response.content[:200]!r}"
                        )
                    elif call.label == "list" and persona.unit_codes is not None:
                        outside = set(row_units(template, response, client)) - persona.unit_codes
                        if template in (f"{V1}/jobs/", f"{V1}/imports/runs/"):
                            outside -= {None}  # the caller's own jobs without a unit
                        if outside:
                            problems.append(f"{where}: rows of units {sorted(outside)}")
                    continue
                if status in SUCCESS:
                    problems.append(f"{where}: UNAUTHORIZED SUCCESS {status}")
                elif persona.username is None and status != (400 if call.public else 401):
                    problems.append(f"{where}: anonymous got {status}, not 401")
                elif (
                    persona.username
                    and call.in_path
                    and call.owner
                    and not visible(persona, call.owner)
                    and status != 404
                ):
                    problems.append(f"{where}: an unseen object must be 404, got {status}")
                elif persona.username and status not in (400, 403, 404):
                    problems.append(f"{where}: refused with {status}")
                if database_fingerprint() != before:
                    problems.append(f"{where}: refused ({status}) but the database changed")
            finally:
                transaction.savepoint_rollback(sid)
    assert cells > 100
    assert not problems, f"{len(problems)} of {cells} cells wrong:\n" + "\n".join(problems)
