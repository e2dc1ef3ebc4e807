"""A reviewed document is one thing: its review columns come from one abstract model, it has
one row in the workflow table, and one ``ensure_editable`` decides when it may change.

The guards read the code (AST, no imports) so the next reviewed document (a spot check, a
rectification) cannot bring its own copy of the columns or of the editable check.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from performance.choices import Status
from performance.field_specs import REVIEW_COLUMNS
from performance.models import (
    LibraryEntry,
    MonitoringReport,
    PerformanceGoal,
    Rectification,
    ReviewedDocument,
    SelfEvaluation,
    SpotCheck,
)
from performance.services import workflow
from tests.support.goal_helpers import new_goal

ROOT = Path(__file__).resolve().parents[2]
REVIEW_MODULE = ROOT / "performance" / "models" / "review.py"
WORKFLOW_TABLE = ROOT / "performance" / "services" / "workflow" / "table.py"
# Columns only a reviewed document has (rows have a lock_version too, rounds and jobs a status).
REVIEW_ONLY = set(REVIEW_COLUMNS) - {"status", "lock_version"}


def _code_files():
    for package in ("performance", "projects"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _model_field_names(cls: ast.ClassDef) -> set[str]:
    """The names a class body assigns a ``models.X(...)`` field to."""
    names = set()
    for node in cls.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "models"
            ):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def test_the_review_columns_are_declared_only_by_the_abstract_model():
    found = []
    for path in _code_files():
        if path == REVIEW_MODULE:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                again = _model_field_names(node) & REVIEW_ONLY
                if again:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} {again}")
    assert found == []


def test_the_editable_check_is_defined_once():
    found = []
    for path in _code_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef) and node.name == "ensure_editable":
                found.append(str(path.relative_to(ROOT)))
    assert found == [str(WORKFLOW_TABLE.relative_to(ROOT))]


def test_every_reviewed_document_has_one_row_of_the_workflow_table():
    reviewed = {
        model
        for model in apps.get_app_config("performance").get_models()
        if issubclass(model, ReviewedDocument)
    }
    assert reviewed == {
        PerformanceGoal,
        MonitoringReport,
        SelfEvaluation,
        SpotCheck,
        LibraryEntry,
        Rectification,
    }
    assert set(workflow.DOCUMENTS) == reviewed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "refused"),
    [
        (Status.DRAFT, False),
        (Status.RETURNED, False),
        (Status.SUBMITTED, True),
        (Status.DEPT_APPROVED, True),
        (Status.APPROVED, True),
    ],
)
def test_a_goal_is_editable_only_in_draft_or_returned(status, refused, filler):
    goal = new_goal(filler)
    goal.status = status
    assert goal.is_editable is not refused
    if not refused:
        workflow.ensure_editable(goal)
        return
    with pytest.raises(ValidationError) as caught:
        workflow.ensure_editable(goal)
    assert caught.value.code == "not_editable"
    assert "调整" in caught.value.message_dict["status"][0]
