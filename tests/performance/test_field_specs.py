"""One field spec per fillable document, and everyone who touches its fields agrees with it.

The spec (``performance.field_specs``) names every field of the document and its rows exactly
once — fixed, filled, computed or review — so a new column must be placed before it can be
saved anywhere. The service refuses what the spec does not list as filled, the API's input
serializers accept exactly the filled fields, the admin's forms edit exactly them (the rest of
what a page shows is read-only), and the read serializers and the admin pages show every field
of the spec.
"""

from __future__ import annotations

import datetime as dt
from itertools import combinations
from types import MappingProxyType

import pytest
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from performance import field_specs
from performance.api.serializers import evaluations as evaluation_serializers
from performance.api.serializers import goals as goal_serializers
from performance.api.serializers import monitoring as monitoring_serializers
from performance.field_specs import (
    BOOKKEEPING,
    GOAL,
    MONITORING_REPORT,
    SELF_EVALUATION,
    DocumentSpec,
    RowSpec,
)
from performance.models import (
    GoalTask,
    Indicator,
    IndicatorEvaluation,
    MonitoringEntry,
    MonitoringReport,
    PerformanceGoal,
    SelfEvaluation,
)
from performance.services import evaluation as evaluation_services
from performance.services import goals as goal_services
from performance.services import monitoring as monitoring_services
from projects.admin.technical import TECHNICAL_FIELDS
from projects.admin.versioning import EXPECTED_VERSION
from projects.models import Project
from tests.support.goal_helpers import new_goal

DOCUMENTS: list[tuple[DocumentSpec, type, dict[str, type]]] = [
    (GOAL, PerformanceGoal, {"indicator": Indicator, "task": GoalTask}),
    (MONITORING_REPORT, MonitoringReport, {"entries": MonitoringEntry}),
    (SELF_EVALUATION, SelfEvaluation, {"scores": IndicatorEvaluation}),
]
ROWS: list[tuple[RowSpec, type]] = [
    (row, models[row.name]) for spec, _model, models in DOCUMENTS for row in spec.rows
]
# Admin display methods and the spec fields they show.
DISPLAYS = {
    "light_badge": ("light",),
    "budget_light_badge": ("budget_light",),
    "grade_badge": ("grade",),
    "category_rates_display": ("category_rates",),
    "quality_findings_display": ("quality_findings",),
    "light_display": ("light",),
    "findings_display": ("findings",),
    "notes_display": ("notes",),
    "over_achieved_display": ("over_achieved",),
    "deviation_display": ("has_deviation",),
    "parsed_display": ("operator", "target_value", "target_unit", "kind", "direction"),
    "target_display": (),  # the indicator's 指标值 beside the row
    "evidence_link": (),  # the row's 佐证材料 (files live in their own table)
    "expectation_display": ("expected_value", "expected_basis", "expected_period"),
}
# The API shows an indicator's parsed reading as one nested ``target``.
API_TARGET = ("operator", "target_value", "target_unit", "kind", "direction", "relative_to")


def _columns(model) -> set[str]:
    return {f.name for f in model._meta.concrete_fields} - {"id"}


def _shown(names) -> set[str]:
    shown = set()
    for name in names:
        shown.update(DISPLAYS.get(name, (name,)))
    return shown


# --- the spec names each field once, and every field --------------------------------------


@pytest.mark.parametrize(
    ("spec", "model", "rows"), DOCUMENTS, ids=lambda v: getattr(v, "__name__", "")
)
def test_a_document_spec_names_every_column_once(spec, model, rows):
    kinds = [set(spec.fixed), set(spec.filled), set(spec.computed), set(spec.review)]
    for one, other in combinations(kinds, 2):
        assert not one & other, one & other
    assert len(spec.fields) == len(set(spec.fields))
    assert set(spec.fields) | (set(BOOKKEEPING) & _columns(model)) == _columns(model)


@pytest.mark.parametrize(("row", "model"), ROWS, ids=lambda v: getattr(v, "name", ""))
def test_a_row_spec_names_every_column_once(row, model):
    assert len(row.fields) == len(set(row.fields))
    assert set(row.typed) <= set(row.filled)
    housekeeping = {"lock_version", *BOOKKEEPING} & _columns(model)
    assert {row.parent, *row.fields} | housekeeping == _columns(model)


def test_aliases_name_filled_fields_and_the_api_takes_them_instead():
    assert SELF_EVALUATION.field_of("has_deviation") == "deviation_declared"
    assert SELF_EVALUATION.field_of("deviation_declared") == "deviation_declared"
    assert SELF_EVALUATION.field_of("total_score") is None  # computed, never filled
    assert "has_deviation" in SELF_EVALUATION.input_names
    assert "deviation_declared" not in SELF_EVALUATION.input_names


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("serializer", "row_serializer", "spec"),
    [
        (
            monitoring_serializers.ReportUpdateSerializer,
            monitoring_serializers.EntryInputSerializer,
            MONITORING_REPORT,
        ),
        (
            evaluation_serializers.EvaluationUpdateSerializer,
            evaluation_serializers.ScoreInputSerializer,
            SELF_EVALUATION,
        ),
    ],
)
def test_the_api_accepts_exactly_what_the_unit_fills(serializer, row_serializer, spec):
    assert set(serializer().fields) == {"lock_version", *spec.input_names, spec.row.name}
    assert set(row_serializer().fields) == {"indicator", *spec.row.filled}


def test_the_goal_api_accepts_exactly_the_goal_and_indicator_fields():
    assert set(goal_serializers.GoalUpdateSerializer().fields) == {"lock_version", *GOAL.filled}
    indicator = goal_serializers.IndicatorUpdateSerializer().fields
    # … and each group of fields filled together under its one name (``period_targets``)
    assert set(indicator) == {
        "lock_version",
        "goal",
        *field_specs.INDICATOR.filled,
        *field_specs.INDICATOR.groups,
    }
    assert set(goal_serializers.TaskInputSerializer().fields) <= set(field_specs.TASK.filled)


@pytest.mark.parametrize(
    ("serializer", "row_serializer", "spec"),
    [
        # the detail: an indicator's period plan is not in the list payload
        (goal_serializers.GoalDetailSerializer, goal_serializers.IndicatorDetailSerializer, GOAL),
        (
            monitoring_serializers.ReportSerializer,
            monitoring_serializers.EntrySerializer,
            MONITORING_REPORT,
        ),
        (
            evaluation_serializers.EvaluationSerializer,
            evaluation_serializers.ScoreSerializer,
            SELF_EVALUATION,
        ),
    ],
)
def test_the_api_shows_every_field_of_the_spec(serializer, row_serializer, spec):
    assert set(spec.fields) <= set(serializer().fields)
    shown = set(row_serializer().fields)
    if "target" in shown:
        shown |= set(API_TARGET)
    for group, names in spec.rows[0].groups.items():  # shown as one object, like ``target``
        if group in shown:
            shown |= set(names)
    assert set(spec.rows[0].fields) <= shown


# --- the admin -------------------------------------------------------------------------------


@pytest.fixture
def drafts(filler, finance_reviewer):
    """A draft goal, monitoring report and self-evaluation of the filler's unit."""
    goal = new_goal(filler)
    monitoring_services.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )
    project = Project.objects.get(code="410395220000000007669")
    evaluation = evaluation_services.evaluation_start(actor=filler, year=2022, project=project)
    return {
        PerformanceGoal: goal,
        MonitoringReport: MonitoringReport.objects.get(project=project),
        SelfEvaluation: evaluation,
    }


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("spec", "model", "rows"), DOCUMENTS, ids=lambda v: getattr(v, "__name__", "")
)
def test_the_admin_edits_exactly_what_the_unit_fills_and_shows_the_rest(
    spec, model, rows, drafts, filler
):
    model_admin = admin.site._registry[model]
    document = drafts[model]
    request = _request(filler)
    assert model_admin.has_change_permission(request, document)
    form = model_admin.get_form(request, document, change=True)
    assert set(form.base_fields) - {EXPECTED_VERSION} == set(spec.filled)
    layout = flatten_fieldsets(model_admin.get_fieldsets(request, document))
    # 修改版本号 is bookkeeping the unit cannot act on: a superuser's 技术信息 only (S3)
    assert set(spec.fields) - set(TECHNICAL_FIELDS) <= _shown(layout)
    assert not set(TECHNICAL_FIELDS) & _shown(layout)
    assert _shown(layout) <= {*spec.fields, *BOOKKEEPING, EXPECTED_VERSION}

    for inline in model_admin.get_inline_instances(request, document):
        row = next(r for r in spec.rows if rows[r.name] is inline.model)
        formset = inline.get_formset(request, document)
        assert set(formset.form.base_fields) - {EXPECTED_VERSION} == set(row.filled)
        shown = _shown(inline.get_fields(request, document))
        assert shown <= {*row.fields, EXPECTED_VERSION}
        assert set(row.filled) <= shown


@pytest.mark.django_db
def test_a_reviewer_gets_every_field_read_only(drafts, dept_reviewer):
    for model, document in drafts.items():
        model_admin = admin.site._registry[model]
        assert not model_admin.has_change_permission(_request(dept_reviewer), document)


# --- the service, the serializer and the admin agree ----------------------------------------
#
# Each face is asked what it lets the unit write, without reading the spec: the service by
# offering it every column of the document (and of a row) with its current value, the
# serializer by its input fields, the admin by its change form's fields. The three sets must be
# the same set, per document and per kind of row.

# The API's task input has no 排序: a task's order is its position in the list.
API_POSITIONAL = {"task": {"order"}}


def _refused_at(key: str, call) -> bool:
    """Whether ``call()`` refuses the input with an error on ``key``."""
    try:
        call()
    except ValidationError as error:
        return key in error.message_dict
    return False


def _service_probes(document, actor):
    """For each part of ``document`` (itself, each kind of row), a function that offers its
    service one column with its current value."""
    if isinstance(document, PerformanceGoal):
        indicator = document.indicators.first()
        task = goal_services.goal_task_save(goal=document, data={"name": "宣传"}, actor=actor)
        return {
            None: (
                document,
                lambda name: (
                    name,
                    lambda: goal_services.goal_update(
                        goal=document, actor=actor, data={name: getattr(document, name)}
                    ),
                ),
            ),
            "indicator": (
                indicator,
                lambda name: (
                    name,
                    lambda: goal_services.indicator_save(
                        goal=document,
                        indicator=indicator,
                        actor=actor,
                        data={name: getattr(indicator, name)},
                    ),
                ),
            ),
            "task": (
                task,
                lambda name: (
                    name,
                    lambda: goal_services.goal_task_save(
                        goal=document, task=task, actor=actor, data={name: getattr(task, name)}
                    ),
                ),
            ),
        }
    if isinstance(document, MonitoringReport):
        update, rows_key = monitoring_services.monitoring_report_update, "entries"
        row = document.entries.first()
        own = {"report": document}
    else:
        update, rows_key = evaluation_services.evaluation_update, "scores"
        row = document.scores.first()
        own = {"evaluation": document}

    def own_probe(name):
        given = {name: getattr(document, name)}
        return name, lambda: update(**own, actor=actor, data=given, **{rows_key: []})

    def row_probe(name):
        given = {"indicator": row.indicator_id, name: getattr(row, name)}
        return f"{rows_key}[0].{name}", lambda: update(
            **own, actor=actor, data={}, **{rows_key: [given]}
        )

    return {None: (document, own_probe), rows_key: (row, row_probe)}


def _service_writable(obj, probe, aliases=MappingProxyType({})) -> set[str]:
    """The columns of ``obj`` its service takes (a column the API names as an alias of
    another counts as the one it writes: ``has_deviation`` writes ``deviation_declared``)."""
    writable = set()
    for name in _columns(type(obj)) - {"indicator"}:  # a row is named by its indicator
        key, call = probe(name)
        if not _refused_at(key, call):
            writable.add(aliases.get(name, name))
    return writable


def _serializer_writable(serializer, spec, *, drop=()) -> set[str]:
    names = set(serializer().fields) - {"lock_version", "goal", "indicator", *drop}
    return {spec.aliases.get(name, name) for name in names}


SERIALIZERS = {
    PerformanceGoal: (
        goal_serializers.GoalUpdateSerializer,
        {
            "indicator": goal_serializers.IndicatorUpdateSerializer,
            "task": goal_serializers.TaskInputSerializer,
        },
    ),
    MonitoringReport: (
        monitoring_serializers.ReportUpdateSerializer,
        {"entries": monitoring_serializers.EntryInputSerializer},
    ),
    SelfEvaluation: (
        evaluation_serializers.EvaluationUpdateSerializer,
        {"scores": evaluation_serializers.ScoreInputSerializer},
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("spec", "model", "rows"), DOCUMENTS, ids=lambda v: getattr(v, "__name__", "")
)
def test_the_service_the_serializer_and_the_admin_let_the_unit_write_the_same_fields(
    spec, model, rows, drafts, filler
):
    document = drafts[model]
    request = _request(filler)
    model_admin = admin.site._registry[model]
    serializer, row_serializers = SERIALIZERS[model]
    probes = _service_probes(document, filler)

    own, probe = probes[None]
    service = _service_writable(own, probe, spec.aliases)
    api = _serializer_writable(serializer, spec, drop={spec.rows[0].name} if spec.rows else ())
    form = set(model_admin.get_form(request, document, change=True).base_fields)
    assert service == api == form - {EXPECTED_VERSION} == set(spec.filled), (service, api, form)

    inlines = {i.model: i for i in model_admin.get_inline_instances(request, document)}
    for row in spec.rows:
        row_obj, row_probe = probes[row.name]
        service = _service_writable(row_obj, row_probe) - {row.parent}
        positional = API_POSITIONAL.get(row.name, set())
        api = _serializer_writable(row_serializers[row.name], spec) | positional
        # a group is written whole (the API's one name, the row's own page), never column by
        # column: the service refuses its columns one by one
        assert set(row.groups) <= api and not set(row.grouped) & service
        api -= set(row.groups)
        formset = inlines[rows[row.name]].get_formset(request, document)
        form = set(formset.form.base_fields) - {EXPECTED_VERSION}
        assert service == api == form == set(row.filled), (row.name, service, api, form)
