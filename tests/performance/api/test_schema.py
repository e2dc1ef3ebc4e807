"""The OpenAPI schema documents every endpoint, and every response matches it.

``conftest.CheckedAPIClient`` validates each response of every API test against the schema;
the exercise below makes sure each documented operation is actually called at least once.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from performance.choices import JobKind, Status
from performance.demo import DEMO_PASSWORD
from performance.models import Indicator, Job, MonitoringReport, PerformanceGoal
from performance.services.imports import KINDS
from performance.services.imports.framework import EXAMPLES_DIR
from projects.models import Project, Unit
from tests.support.evidence_files import pdf_bytes, png_bytes
from tests.support.goal_helpers import new_goal
from tests.support.import_helpers import csv_bytes, rows

from .schema_check import schema_document

pytestmark = pytest.mark.django_db

CLEAN_PROJECT = "410395220000000007669"


def test_schema_generation_is_valid_and_has_no_warnings(tmp_path):
    target = tmp_path / "schema.json"
    # raises on a schema that does not validate, and on any warning while generating it
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(target),
    )
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/goals/", "/api/v1/goals/{id}/"} <= set(document["paths"])


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def _as_template(route: str) -> str:
    route = route.replace("^", "").replace("$", "").replace("\\", "")
    route = re.sub(r"\(\?P<[^>]+>[^)]+\)", "{}", route)
    route = re.sub(r"<(?:[^:>]+:)?[^>]+>", "{}", route)
    return "/" + route


def _methods(callback) -> set[str]:
    actions = getattr(callback, "actions", None)
    view = callback.cls
    methods = set(actions) if actions else {m for m in view.http_method_names if hasattr(view, m)}
    return methods - {"head", "options"}


def test_every_url_pattern_under_api_v1_is_in_the_schema():
    documented = {
        (re.sub(r"\{[^}]+\}", "{}", template), method)
        for template, item in schema_document()["paths"].items()
        for method in item
    }
    routes = [(r, p) for r, p in _walk(get_resolver().url_patterns) if r.startswith("api/v1/")]
    assert len(routes) > 20
    missing = [
        (template, method)
        for route, pattern in routes
        for template in [_as_template(route)]
        for method in _methods(pattern.callback)
        if (template, method) not in documented
    ]
    assert not missing, f"undocumented endpoints: {missing}"


def test_every_operation_documents_its_errors_and_describes_itself():
    for template, item in schema_document()["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary"), f"{method} {template} has no summary"
            codes = set(operation["responses"])
            if template.startswith("/api/v1/") and template != "/api/v1/auth/token/":
                assert "401" in codes, f"{method} {template} does not document 401"
            if "{id}" in template:
                assert "404" in codes, f"{method} {template} does not document 404"
            if method in {"post", "patch"} and template != "/api/v1/auth/token/":
                assert {"400", "403"} <= codes, f"{method} {template} lacks 400/403"
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), f"{method} {template} {parameter['name']}"


def test_docs_are_served_without_any_cdn(client):
    for url in ("/api/docs/", "/api/redoc/"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "drf_spectacular_sidecar" in html
        assert not re.search(r"""(src|href)=["']https?://""", html), url
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")


def test_the_response_check_rejects_drift(api, finance_reviewer, schema_validator):
    goal = PerformanceGoal.objects.filter(project__code=CLEAN_PROJECT).get()
    body = api(finance_reviewer).get(f"/api/v1/goals/{goal.pk}/").json()
    check = schema_validator.check_body
    check("/api/v1/goals/{id}/", "get", "200", body)
    drifted = [
        {**body, "surprise": 1},
        {k: v for k, v in body.items() if k != "overall_goal"},
        {**body, "lock_version": "1"},
        {**body, "indicators": [{**body["indicators"][0], "target": None}]},
    ]
    for wrong in drifted:
        with pytest.raises(AssertionError, match="differs from the schema"):
            check("/api/v1/goals/{id}/", "get", "200", wrong)


def ok(response, status: int = 200):
    assert response.status_code == status, response.content.decode()[:500]
    return response.json() if response.content and "json" in response["Content-Type"] else None


def test_every_documented_operation_answers_as_documented(
    evidence_storage, api, schema_validator, filler, dept_reviewer, finance_reviewer
):
    unit_api, dept_api, finance = api(filler), api(dept_reviewer), api(finance_reviewer)
    unit = Unit.objects.get(code="027001")
    project = Project.objects.get(code=CLEAN_PROJECT)

    # Authentication and the caller.
    token = ok(
        api().post("/api/v1/auth/token/", {"username": "reviewer305", "password": DEMO_PASSWORD})
    )
    session = api()
    session.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    ok(session.get("/api/v1/me/"))
    ok(session.delete("/api/v1/auth/token/"), 204)
    assert session.get("/api/v1/me/").status_code == 401

    # Units, projects, schemes, summaries.
    ok(finance.get("/api/v1/units/"))
    ok(finance.get(f"/api/v1/units/{unit.pk}/"))
    ok(finance.get(f"/api/v1/units/{unit.pk}/summary/", {"year": 2022}))
    ok(finance.get("/api/v1/projects/"))
    ok(finance.get(f"/api/v1/projects/{project.pk}/"))
    ok(finance.get(f"/api/v1/projects/{project.pk}/history/"))
    scheme = ok(finance.get("/api/v1/schemes/"))["results"][0]
    ok(finance.get(f"/api/v1/schemes/{scheme['id']}/"))
    for group_by in ("unit", "department", "year", "total"):
        ok(finance.get("/api/v1/summaries/", {"group_by": group_by}))

    # A new unit-overall goal with its indicators.
    goal = ok(
        unit_api.post(
            "/api/v1/goals/",
            {
                "scope": "unit",
                "year": 2023,
                "unit": unit.pk,
                "overall_goal": "保障全区社保经办服务",
                "indicators": [
                    {
                        "level1": "产出指标",
                        "level2": "数量指标",
                        "level3": "参保人数",
                        "raw_value": "≥25万人",
                    }
                ],
                "tasks": [{"name": "社保经办", "content": "做好参保登记"}],
            },
        ),
        201,
    )
    # 从上年目标开始: next year's project of the same code, its draft with last_year per row.
    continuing = Project.objects.create(
        code=project.code,
        name=project.name,
        unit=project.unit,
        year=project.year + 1,
        category=project.category,
    )
    started = ok(
        unit_api.post("/api/v1/goals/start-from-last-year/", {"project": continuing.pk}), 201
    )
    assert started["indicators"] and all(i["last_year"] for i in started["indicators"])
    indicator = ok(
        unit_api.post(
            "/api/v1/indicators/",
            {"goal": goal["id"], "level1": "效益指标", "level3": "服务质量", "raw_value": "明显"},
        ),
        201,
    )
    ok(unit_api.get("/api/v1/indicators/", {"goal": goal["id"]}))
    ok(unit_api.get(f"/api/v1/indicators/{indicator['id']}/"))
    ok(
        unit_api.patch(
            f"/api/v1/indicators/{indicator['id']}/", {"lock_version": 1, "raw_value": "≥95%"}
        )
    )
    ok(unit_api.delete(f"/api/v1/indicators/{indicator['id']}/"), 204)

    # An adjustment through the whole review.
    approved = PerformanceGoal.objects.get(project=project, status=Status.APPROVED)
    new = ok(unit_api.post(f"/api/v1/goals/{approved.pk}/adjust/", {"reason": "预算调整"}), 201)
    ok(
        unit_api.patch(
            f"/api/v1/goals/{new['id']}/", {"lock_version": 1, "midterm_goal": "三年目标"}
        )
    )
    ok(unit_api.get("/api/v1/goals/"))
    ok(unit_api.get(f"/api/v1/goals/{new['id']}/"))
    ok(unit_api.get(f"/api/v1/goals/{new['id']}/versions/"))
    ok(unit_api.get(f"/api/v1/goals/{new['id']}/diff/"))
    ok(unit_api.post(f"/api/v1/goals/{new['id']}/submit/", {}))
    ok(dept_api.post(f"/api/v1/goals/{new['id']}/approve/", {"quality_grade": "excellent"}))
    ok(finance.post(f"/api/v1/goals/{new['id']}/return/", {"comment": "请补充满意度指标"}))
    ok(unit_api.get(f"/api/v1/goals/{new['id']}/history/"))

    # A monitoring round and one report through the review.
    round_ = ok(
        finance.post(
            "/api/v1/monitoring-rounds/",
            {"year": 2022, "data_month": 7, "opens_on": "2022-08-01", "deadline": "2022-08-31"},
        ),
        201,
    )
    ok(finance.get("/api/v1/monitoring-rounds/"))
    ok(finance.get(f"/api/v1/monitoring-rounds/{round_['id']}/"))
    report = MonitoringReport.objects.filter(round_id=round_["id"], project=project).get()
    ok(unit_api.get("/api/v1/monitoring-reports/", {"round": round_["id"]}))
    detail = ok(unit_api.get(f"/api/v1/monitoring-reports/{report.pk}/"))
    entry = detail["entries"][0]
    ok(
        unit_api.patch(
            f"/api/v1/monitoring-reports/{report.pk}/",
            {
                "lock_version": detail["lock_version"],
                "summary": "按计划执行",
                "forecast_executed": "14.48",
                "entries": [
                    {
                        "indicator": entry["indicator"]["id"],
                        "likelihood": "certain",
                        "measures": "无",
                    }
                ],
            },
        )
    )
    ok(unit_api.post(f"/api/v1/monitoring-reports/{report.pk}/submit/", {}))
    ok(dept_api.post(f"/api/v1/monitoring-reports/{report.pk}/approve/", {}))
    ok(finance.post(f"/api/v1/monitoring-reports/{report.pk}/return/", {"comment": "执行偏慢"}))
    ok(finance.get(f"/api/v1/monitoring-reports/{report.pk}/history/"))

    # A self-evaluation through the review.
    evaluation = ok(
        unit_api.post("/api/v1/evaluations/", {"year": 2022, "project": project.pk}), 201
    )
    assert (
        ok(unit_api.post("/api/v1/evaluations/", {"year": 2022, "project": project.pk}))["id"]
        == evaluation["id"]
    )
    ok(unit_api.get("/api/v1/evaluations/", {"year": 2022}))
    ok(
        unit_api.patch(
            f"/api/v1/evaluations/{evaluation['id']}/",
            {"lock_version": evaluation["lock_version"], "deviation_analysis": "无偏差"},
        )
    )
    # Evidence files on the draft self-evaluation (uploaded, listed, read, downloaded, one deleted).
    files = [
        SimpleUploadedFile("说明.pdf", pdf_bytes("说明"), content_type="application/pdf"),
        SimpleUploadedFile("照片.png", png_bytes(), content_type="image/png"),
    ]
    stored = ok(
        unit_api.post(
            "/api/v1/attachments/",
            {"evaluation": evaluation["id"], "files": files},
            format="multipart",
        ),
        201,
    )
    ok(unit_api.get("/api/v1/attachments/", {"evaluation": evaluation["id"]}))
    first = stored[0]["id"] if isinstance(stored, list) else stored["results"][0]["id"]
    ok(unit_api.get(f"/api/v1/attachments/{first}/"))
    download = unit_api.get(f"/api/v1/attachments/{first}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    ok(unit_api.delete(f"/api/v1/attachments/{first}/"), 204)
    ok(unit_api.post(f"/api/v1/evaluations/{evaluation['id']}/submit/", {}))
    ok(dept_api.post(f"/api/v1/evaluations/{evaluation['id']}/approve/", {}))
    ok(finance.post(f"/api/v1/evaluations/{evaluation['id']}/return/", {"comment": "请核实"}))
    ok(unit_api.get(f"/api/v1/evaluations/{evaluation['id']}/"))
    ok(unit_api.get(f"/api/v1/evaluations/{evaluation['id']}/history/"))

    # Background jobs.
    job = ok(finance.post("/api/v1/recompute/", {"year": 2022}), 202)
    ok(finance.get("/api/v1/jobs/"))
    ok(finance.get(f"/api/v1/jobs/{job['id']}/"))
    stalled = Job.objects.filter(pk=job["id"])
    stalled.update(progress_at=stalled.get().created_at - dt.timedelta(days=1))
    assert ok(finance.post(f"/api/v1/jobs/{job['id']}/requeue/"), 202)["id"] == job["id"]
    export = Job.objects.create(kind=JobKind.EXPORT_TABLE, created_by=finance_reviewer, unit=unit)
    export.output_file.save("targets.xlsx", ContentFile(b"PK\x03\x04 demo"), save=True)
    response = finance.get(f"/api/v1/jobs/{export.pk}/download/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"PK")

    # Imports of the target template.
    upload = SimpleUploadedFile("targets.csv", csv_bytes(rows(2)), content_type="text/csv")
    ok(unit_api.post("/api/v1/imports/targets/", {"file": upload, "dry_run": True}, "multipart"))
    # Master data (issue 18): the finance bureau's 管理员 checks the shipped example files.
    sysadmin = api(get_user_model().objects.get(username="sysadmin"))
    for kind in ("units", "people"):
        example = KINDS[kind].example_path
        upload = SimpleUploadedFile(example.name, example.read_bytes(), content_type="text/csv")
        ok(
            sysadmin.post(
                f"/api/v1/imports/{kind}/", {"file": upload, "dry_run": True}, "multipart"
            )
        )
    # Imports of the project library (issue 18 WP-B2): the example's rows of 027001.
    lines = (EXAMPLES_DIR / "projects.csv").read_text(encoding="utf-8").splitlines()
    mine = "\n".join([lines[0], *(line for line in lines if ",027001," in line)]) + "\n"
    example = SimpleUploadedFile("projects.csv", mine.encode(), content_type="text/csv")
    ok(unit_api.post("/api/v1/imports/projects/", {"file": example, "dry_run": True}, "multipart"))
    feed = "批次号,行号,年度,单位编码,项目编码,支出日期,金额(万元)\n"
    feed += f"SCHEMA-1,SCHEMA-1-1,2022,027001,{CLEAN_PROJECT},2022-03-05,0.5\n"
    upload = SimpleUploadedFile("execution.csv", feed.encode(), content_type="text/csv")
    ok(unit_api.post("/api/v1/imports/execution/", {"file": upload, "dry_run": True}, "multipart"))
    runs = ok(unit_api.get("/api/v1/imports/runs/", {"kind": "targets"}))
    ok(unit_api.get(f"/api/v1/imports/runs/{runs['results'][0]['id']}/"))

    # Exports of the official tables.
    table = unit_api.get("/api/v1/exports/project_targets/", {"unit": "027001", "year": 2022})
    assert table.status_code == 200 and b"".join(table.streaming_content)[:2] == b"PK"

    # The figures feed, NDJSON and CSV.
    feed = unit_api.get("/api/v1/exports/figures/", {"year": 2022})
    assert feed.status_code == 200 and b'"type":"end"' in b"".join(feed.streaming_content)
    feed = unit_api.get("/api/v1/exports/figures/", {"year": 2022, "format": "csv"})
    assert feed.status_code == 200 and b"".join(feed.streaming_content).startswith(b"\xef\xbb\xbf")
    # The to-do list.
    ok(dept_api.get("/api/v1/todo/"))

    # Bulk review: the three returned documents resubmitted, approved and returned in bulk.
    for path, pk in (
        ("goals", new["id"]),
        ("monitoring-reports", report.pk),
        ("evaluations", evaluation["id"]),
    ):
        version = ok(unit_api.post(f"/api/v1/{path}/{pk}/submit/", {}))["lock_version"]
        items = [{"id": pk, "lock_version": version}]
        done = ok(dept_api.post(f"/api/v1/{path}/bulk-approve/", {"items": items}, format="json"))
        assert [row["id"] for row in done["succeeded"]] == [pk] and done["failed"] == []
        comment = {"items": [{"id": pk}, {"id": 999999}], "comment": "请补充"}
        done = ok(finance.post(f"/api/v1/{path}/bulk-return/", comment, format="json"))
        assert [row["status"] for row in done["succeeded"]] == [Status.RETURNED]
        assert [(row["id"], row["code"]) for row in done["failed"]] == [(999999, "not_found")]
    # 财政复核: a draw, a re-score, the review (four-eyes), the unit's objection, the decision.
    spot_checks(api, finance)
    # 整改: raised by the department, answered by the unit, returned, answered again, accepted.
    rectifications(unit_api, dept_api)
    # The indicator library: a department proposes, finance returns, the department proposes
    # again, finance confirms; then a revision, a correction and a retirement.
    library = "/api/v1/library/entries/"
    ok(unit_api.get(library, {"is_common": "true"}))
    entry = ok(
        dept_api.post(
            library,
            {
                "owner": "027",
                "level1": "产出指标",
                "level2": "时效指标",
                "level3": "窗口业务按时办结率（接口）",
                "nature": "≥",
                "measure_unit": "%",
                "reference_value": "≥98%",
            },
        ),
        201,
    )
    url = f"{library}{entry['id']}/"
    ok(dept_api.patch(url, {"lock_version": entry["lock_version"], "basis": "业务台账"}))
    ok(dept_api.post(f"{url}propose/", {}))
    ok(finance.post(f"{url}return/", {"comment": "请补充数据来源"}))
    ok(dept_api.post(f"{url}propose/", {}))
    ok(finance.post(f"{url}confirm/", {"comment": "同意"}))
    ok(finance.get(url))
    ok(finance.get(f"{url}history/"))
    revised = ok(dept_api.post(f"{url}revise/", {"reason": "口径调整"}), 201)
    ok(dept_api.post(f"{library}{revised['id']}/retire/", {"reason": "暂不修订"}))
    ok(finance.post(f"{url}retire/", {"reason": "合并到共性指标"}))
    exported = finance.get(f"{library}export/", {"owner": "027"})
    assert exported.status_code == 200 and exported.content.startswith(b"PK")
    ok(
        dept_api.post(
            f"{library}import/",
            {"file": SimpleUploadedFile("指标库.xlsx", exported.content), "dry_run": "true"},
            format="multipart",
        )
    )

    # 绩效公开: a unit's published workbook, a department's package (a job).
    published = finance.get("/api/v1/publications/", {"unit": "305004", "year": 2023})
    assert published.status_code == 200 and b"".join(published.streaming_content)[:2] == b"PK"
    ok(finance.post("/api/v1/publications/", {"unit": "305", "year": 2023}, format="json"), 202)
    # 引用: search and suggestions for a new project goal, then picking two entries into it.
    draft = new_goal(filler)
    hits = ok(unit_api.get("/api/v1/library/search/", {"q": "满意度", "goal": draft.pk}))
    suggested = ok(unit_api.get("/api/v1/library/suggestions/", {"goal": draft.pk}))
    first = hits["results"][0]["entry"]
    second = next(r["entry"] for r in suggested["results"] if r["entry"]["code"] != first["code"])
    picks = [
        {"entry": first["id"], "raw_value": "≥90%"},
        {"entry": second["id"], "use_reference": True},
    ]
    ok(unit_api.post("/api/v1/library/add-to-goal/", {"goal": draft.pk, "entries": picks}), 201)

    # Errors are documented too.
    assert api().get("/api/v1/goals/").status_code == 401
    assert finance.get("/api/v1/goals/999999/").status_code == 404

    called = {(t, m) for t, m, status in schema_validator.seen if status < 300}
    missing = schema_validator.operations() - called
    assert not missing, f"operations never exercised: {sorted(missing)}"
    assert Indicator.objects.filter(goal_id=goal["id"]).count() == 1


def rectifications(unit_api, dept_api) -> None:
    """Every /rectifications/ operation once, as 027's department and 027001 use them."""
    import datetime as dt

    url = "/api/v1/rectifications/"
    deadline = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    body = {"unit": "027001", "year": 2023, "problem": "资料不全", "deadline": deadline}
    task = ok(dept_api.post(url, body, format="json"), 201)
    ok(unit_api.get(url, {"year": 2023, "status": "draft"}))
    task = ok(
        dept_api.patch(
            f"{url}{task['id']}/",
            {"lock_version": task["lock_version"], "requirement": "补齐台账"},
            format="json",
        )
    )
    task = ok(
        unit_api.post(
            f"{url}{task['id']}/answer/",
            {"lock_version": task["lock_version"], "measures": "补齐", "result": "已补齐"},
            format="json",
        )
    )
    ok(unit_api.post(f"{url}{task['id']}/submit/", {}))
    ok(dept_api.post(f"{url}{task['id']}/return/", {"comment": "佐证不足"}))
    ok(unit_api.post(f"{url}{task['id']}/submit/", {}))
    task = ok(dept_api.post(f"{url}{task['id']}/approve/", {}))
    assert task["status"] == "approved" and task["closed_at"]
    ok(unit_api.get(f"{url}{task['id']}/"))
    ok(unit_api.get(f"{url}{task['id']}/history/"))
    results = ok(unit_api.get("/api/v1/results/", {"unit": "027001", "year": 2023}))
    assert results["summary"]["rectifications_closed"] == 1
    assert [row["id"] for row in results["rectifications"]] == [task["id"]]
    assert results["rectifications"][0]["history"]


def spot_checks(api, finance) -> None:
    """Every /spot-checks/ operation once, as the bureau's two reviewers and 305004 use them."""
    from django.contrib.auth import get_user_model

    from projects.choices import Role, UnitKind
    from projects.services import accounts

    second = api(
        accounts.user_create(
            username="finance2",
            password=DEMO_PASSWORD,
            first_name="财政局绩效科科长",
            unit=Unit.objects.get(kind=UnitKind.FINANCE),
            role=Role.FINANCE_REVIEWER,
        )
    )
    unit_api = api(get_user_model().objects.get(username="reviewer305"))
    url = "/api/v1/spot-checks/"
    body = {"year": 2023, "method": "random", "count": 2, "seed": 7, "unit": "305"}
    first, other = ok(finance.post(f"{url}draw/", body, format="json"), 201)["spot_checks"]
    ok(finance.get(url, {"year": 2023}))
    detail = ok(finance.get(f"{url}{first}/"))
    row = detail["indicators"][0]
    score = {"indicator": row["indicator"], "review_score": "0", "reason": "无合规佐证"}
    detail = ok(
        finance.post(
            f"{url}{first}/re-score/",
            {"lock_version": detail["lock_version"], "scores": [score]},
            format="json",
        )
    )
    ok(finance.post(f"{url}{first}/submit/", {}))
    ok(second.post(f"{url}{first}/return/", {"comment": "请补充复核依据"}))
    ok(finance.post(f"{url}{first}/submit/", {}))
    detail = ok(second.post(f"{url}{first}/approve/", {}))
    detail = ok(
        unit_api.post(
            f"{url}{first}/object/",
            {"lock_version": detail["lock_version"], "reason": "已提供合规材料"},
            format="json",
        )
    )
    ok(
        second.post(
            f"{url}{first}/decide/",
            {
                "lock_version": detail["lock_version"],
                "decision": "revised",
                "comment": "部分采纳",
                "scores": [
                    {"indicator": row["indicator"], "decided_score": "5", "reason": "部分合规"}
                ],
            },
            format="json",
        )
    )
    ok(unit_api.get(f"{url}distribution/", {"year": 2023}))
    assert other != first
