"""绩效公开 (publication): for a unit and year, one workbook of what is published — the approved
project targets, the approved 整体 targets and the approved self-evaluations, in the official
layouts of ``services.exports`` with their ``published`` option — and, for a department, a
background job that zips one such workbook per unit, with progress per unit.

Published data only: an adjustment still under review, a draft or returned evaluation and the
财政复核 results (published to the unit, not to the public) are never in the file. Every
download is audited on the unit (``AuditAction.DOWNLOAD``).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext

from projects import audit
from projects.choices import UnitKind
from projects.models import AuditAction, Unit
from projects.permissions import visible_units
from projects.years import is_budget_year, year_out_of_range_message

from .. import dispatch
from ..choices import GoalScope, JobKind, Status
from ..models import Job, PerformanceGoal, SelfEvaluation
from .exports import project_targets, self_evaluation, unit_targets
from .exports.workbook import new_workbook
from .jobs import job_create, job_fail, job_finish, job_heartbeat, job_progress, job_start

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The sheets of the file, in order: written by the official layouts' writers.
WRITERS = (project_targets.write, unit_targets.write, self_evaluation.write)


@dataclass
class Publication:
    """One unit's 绩效公开 workbook (``content`` when no stream was given)."""

    unit: Unit
    year: int
    filename: str
    sheets: list[str]
    content: bytes | None = None


def check_year(year) -> int:
    """The year as an int, or a field-level refusal in Chinese."""
    try:
        value = int(str(year).strip())
    except (TypeError, ValueError):
        raise ValidationError({"year": year_out_of_range_message(year)}, code="invalid") from None
    if not is_budget_year(value):
        raise ValidationError({"year": year_out_of_range_message(year)}, code="invalid")
    return value


def scoped_unit(actor, unit: Unit | str) -> Unit:
    """The unit if ``actor`` sees it (``actor=None`` is the system); another unit's, or an
    unknown code, is ``Unit.DoesNotExist`` — a 404 at the edges, the two look the same."""
    code = unit.code if isinstance(unit, Unit) else str(unit or "").strip()
    units = Unit.objects.all() if actor is None else visible_units(actor)
    return units.get(code=code)


def publication_filename(unit: Unit, year: int) -> str:
    return f"{unit.code}_{unit.name}_{year}年绩效公开.xlsx"


def published_counts(unit: Unit, year: int) -> dict[str, int]:
    """How many approved goals and self-evaluations the unit has for the year (one query each)."""
    goals = PerformanceGoal.objects.filter(unit=unit, year=year, status=Status.APPROVED)
    return {
        "goals": goals.count(),
        "evaluations": SelfEvaluation.objects.filter(
            unit=unit, year=year, scope=GoalScope.PROJECT, status=Status.APPROVED
        ).count(),
    }


def nothing_published(unit: Unit, year: int) -> str:
    return gettext(
        "“%(code)s %(name)s”%(year)s年还没有已批复的绩效目标或自评，"
        "暂无可公开的内容（只公开已批复的内容）。"
    ) % {"code": unit.code, "name": unit.name, "year": year}


def write_publication(unit: Unit, year: int, stream: BinaryIO) -> list[str]:
    """Write the unit's published workbook into ``stream``; returns its sheet names."""
    workbook = new_workbook()
    units = Unit.objects.filter(pk=unit.pk)
    writers = [
        writer
        for write in WRITERS
        for writer in write(workbook, root=unit, units=units, year=year, published=True)
    ]
    workbook.save(stream)
    return [name for writer in writers for name in writer.sheets]


def publication_download(
    *, actor, unit: Unit | str, year, stream: BinaryIO | None = None
) -> Publication:
    """The 绩效公开 workbook of one unit and year, for whoever sees the unit; audited.

    Refused in Chinese when the year is out of range or nothing is approved yet; a unit the
    actor does not see is ``Unit.DoesNotExist``."""
    year = check_year(year)
    found = scoped_unit(actor, unit)
    if not any(published_counts(found, year).values()):
        raise ValidationError({"year": nothing_published(found, year)}, code="nothing_published")
    target = stream if stream is not None else io.BytesIO()
    sheets = write_publication(found, year, target)
    filename = publication_filename(found, year)
    audit.record(
        obj=found,
        actor=actor,
        action=AuditAction.DOWNLOAD,
        comment=f"下载绩效公开文件：{filename}",
        changes={"year": year, "sheets": sheets},
        unit=found,
    )
    return Publication(
        unit=found,
        year=year,
        filename=filename,
        sheets=sheets,
        content=target.getvalue() if stream is None else None,
    )


def department_units(department: Unit, user) -> list[Unit]:
    """The budget units below ``department`` that ``user`` sees (``None``: all), by code."""
    units = Unit.objects.filter(path__startswith=department.path, kind=UnitKind.UNIT)
    if user is not None:
        units = units.filter(pk__in=visible_units(user).values("pk"))
    return list(units.order_by("path"))


@transaction.atomic
def publication_request(*, actor, unit: Unit | str, year) -> Job:
    """Queue the department's 绩效公开 package: one workbook per unit it (and the actor) sees,
    zipped, as a background job with progress. A unit the actor does not see is a 404."""
    year = check_year(year)
    department = scoped_unit(actor, unit)
    if department.kind == UnitKind.UNIT:
        raise ValidationError(
            {
                "unit": gettext("“%(code)s %(name)s”是预算单位，请直接下载该单位的绩效公开文件。")
                % {"code": department.code, "name": department.name}
            },
            code="not_a_department",
        )
    if not department_units(department, actor):
        raise ValidationError(
            {
                "unit": gettext("“%(code)s %(name)s”下没有您可查看的预算单位。")
                % {"code": department.code, "name": department.name}
            },
            code="no_units",
        )
    job = job_create(
        kind=JobKind.PUBLICATION,
        actor=actor,
        unit=department,
        params={"year": year, "unit": department.code},
    )
    audit.record(
        obj=job,
        actor=actor,
        action=AuditAction.CREATE,
        comment=f"打包下载绩效公开文件：{department.code} {department.name} {year}年",
        unit=department,
    )
    transaction.on_commit(lambda: dispatch.enqueue(dispatch.PUBLICATION_JOB, job.pk))
    return job


def publication_job(*, job_id: int) -> Job:
    """The task body: every unit's workbook into one zip, progress after each unit; the units
    are those the requester sees when the job runs. Re-running starts again from scratch."""
    job = Job.objects.select_related("unit", "created_by").get(pk=job_id)
    job_heartbeat(job_id=job_id)
    year = int(job.params["year"])
    department = job.unit
    if department is None:
        return job_fail(job_id=job_id, errors=[{"message": "打包的主管部门已不存在。"}])
    requester = job.created_by
    if requester is not None and not visible_units(requester).filter(pk=department.pk).exists():
        return job_fail(job_id=job_id, errors=[{"message": "您已无权查看该主管部门。"}])
    units = department_units(department, requester)
    job_start(job_id=job_id, total=len(units))
    included, skipped = [], []
    with tempfile.TemporaryFile() as archive:
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as package:
            for done, unit in enumerate(units, start=1):
                if any(published_counts(unit, year).values()):
                    with tempfile.TemporaryFile() as book:
                        write_publication(unit, year, book)
                        book.seek(0)
                        with package.open(publication_filename(unit, year), "w") as member:
                            while chunk := book.read(1 << 20):
                                member.write(chunk)
                    included.append(unit.code)
                else:
                    skipped.append(unit.code)
                job_progress(job_id=job_id, processed=done)
        if not included:
            return job_fail(
                job_id=job_id,
                errors=[{"message": f"{department.name}下各单位{year}年均无已批复的内容可公开。"}],
                result={"included": [], "skipped": skipped},
            )
        archive.seek(0)
        job = Job.objects.get(pk=job_id)
        job.output_file.save(
            f"{department.code}_{department.name}_{year}年绩效公开.zip", File(archive), save=False
        )
    return job_finish(
        job_id=job_id,
        result={"year": year, "included": included, "skipped": skipped},
        output_file=job.output_file.name,
    )


def require_publication_permission(actor, unit: Unit | None) -> None:
    """Re-queueing a package needs what requesting it needs: seeing the department."""
    if actor is None or unit is None:
        return
    if not visible_units(actor).filter(pk=unit.pk).exists():
        raise PermissionDenied(gettext("您无权查看该主管部门，不能重新打包。"))
