"""Schemathesis over ``/api/schema/``: generated requests to every operation, checked against
the schema. 0 server errors and 0 schema violations (status code, content type and body of
every response as documented).

Runs in-process against Django's WSGI application (no server), derandomized and bounded: for
each operation, ``FUZZ_MAX_EXAMPLES`` (default 10) requests with data that fits the schema and as
many that do not, once with generated path ids and once with ids of real objects the caller may
see (so writes and review actions reach the services), as a 财政审核人 and as a 027001 填报人
with their API tokens. Everything runs inside the test's transaction and is rolled back.

Run it alone: ``python -m pytest tests/performance/api/test_fuzz.py`` (``FUZZ_MAX_EXAMPLES=100`` for a
longer hunt).
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks
from schemathesis.generation import GenerationMode

from performance.choices import AttachmentKind
from performance.models import (
    ImportRun,
    LibraryEntry,
    MonitoringReport,
    PerformanceGoal,
    ScoringScheme,
)
from performance.services import attachments as attachment_services
from performance.services import evaluation as evaluation_services
from performance.services import monitoring as monitoring_services
from performance.services import workflow
from performance.services.recompute_jobs import recompute_request
from performance.services.rectifications import rectification_raise
from projects.models import Project
from tests.support.evidence_files import pdf_bytes
from tests.support.spot_checks import spot_check_of

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
CLEAN_PROJECT = "410395220000000007669"


@pytest.fixture
def wsgi_app(demo):
    """Django's WSGI application, serving requests on the test's own connection.

    Like Django's test client, keep ``close_old_connections`` from closing that connection
    (and with it the test's transaction) at the end of each request.
    """
    from django.core.wsgi import get_wsgi_application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    cache.clear()
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
        cache.clear()


@pytest.fixture
def real_ids(filler, finance_reviewer, evidence_storage) -> dict[str, dict[str, object]]:
    """Path parameters naming real objects of 027001 (seen by both callers), per resource."""
    project = Project.objects.get(code=CLEAN_PROJECT)
    approved = PerformanceGoal.objects.get(project=project, version=1)
    draft = workflow.goal_adjust(goal=approved, actor=filler, reason="预算调整")
    round_ = monitoring_services.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 31),
    )
    evaluation = evaluation_services.evaluation_start(actor=filler, year=2022, project=project)
    (attachment,) = attachment_services.attachment_add(
        actor=filler,
        anchor=attachment_services.Anchor(kind=AttachmentKind.EVALUATION, obj=evaluation),
        files=[SimpleUploadedFile("说明.pdf", pdf_bytes())],
    )
    job = recompute_request(actor=finance_reviewer, year=2022, unit=project.unit)
    job.output_file.save("result.xlsx", ContentFile(b"PK\x03\x04"), save=True)
    spot_check = spot_check_of(evaluation, note="模糊测试", published=True)  # both callers see it
    objects = {
        "units": project.unit,
        "projects": project,
        "goals": draft,
        "indicators": draft.indicators.order_by("pk").first(),
        "monitoring-rounds": round_,
        "monitoring-reports": MonitoringReport.objects.get(project=project),
        "evaluations": evaluation,
        "schemes": ScoringScheme.objects.first(),
        "jobs": job,
        "attachments": attachment,
        "spot-checks": spot_check,
        "rectifications": rectification_raise(
            actor=None,
            unit=evaluation.unit,
            year=evaluation.year,
            problem="模糊测试",
            deadline=dt.date.today() + dt.timedelta(days=30),
        ),
        "library": LibraryEntry.objects.filter(unit__code="027", status="approved").first(),
        "imports": ImportRun.objects.create(  # /imports/runs/{id}/: a run of the unit
            kind="targets", filename="模糊测试.csv", status="committed", unit=project.unit
        ),
    }
    return {resource: {"id": obj.pk} for resource, obj in objects.items()} | {
        "exports": {"kind": "project_targets"}
    }


def path_parameter_sets(operation, real_ids, mode) -> list[dict | None]:
    """Generated path parameters, plus the real object's for operations that have any.

    Negative cases need something to make invalid: a query parameter, a body, or a generated
    path parameter (the headers and cookies the fuzzer could spoil are ours to set).
    """
    sets = [None] if "{" not in operation.path else [None, real_ids[operation.path.split("/")[3]]]
    if mode == GenerationMode.NEGATIVE and not (len(operation.query) or len(operation.body)):
        sets = [p for p in sets if p is None and len(operation.path_parameters)]
    return sets


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("who", ["finance_reviewer", "filler"])
def test_fuzzed_requests_cause_no_server_error_and_every_response_matches_the_schema(
    who, mode, request, wsgi_app, real_ids
):
    user = request.getfixturevalue(who)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    failures: list[str] = []
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for path_parameters in path_parameter_sets(operation, real_ids, mode):

            @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
            @settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],  # report, don't shrink
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case) -> None:
                nonlocal sent
                # The fuzzer may well revoke the token (DELETE /auth/token/): issue it anew.
                token, _ = Token.objects.get_or_create(user=user)
                sent += 1
                case.call_and_validate(
                    headers={"Authorization": f"Token {token.key}"}, checks=CHECKS
                )

            try:
                fuzz()
            except Exception as error:  # every operation's finding, not just the first
                where = "real ids" if path_parameters else "generated ids"
                failures.append(f"{operation.label} ({where}):\n{str(error)[:3000]}")
    assert sent > 100
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
