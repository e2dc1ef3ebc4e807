"""Grades, lights, qualitative bands and rounding modes are defined once, in the scoring engine;
the Django choices are built from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from performance import choices, scoring

ROOT = Path(__file__).resolve().parents[2]
ENGINE_ENUMERATIONS = {
    "Grade": (scoring.Grade, scoring.GRADE_LABELS),
    "Light": (scoring.Light, scoring.LIGHT_LABELS),
    "QualitativeBand": (scoring.QualitativeBand, scoring.BAND_LABELS),
    "Rounding": (scoring.Rounding, scoring.ROUNDING_LABELS),
}


@pytest.mark.parametrize("name", sorted(ENGINE_ENUMERATIONS))
def test_django_choices_carry_the_engines_names_codes_and_labels(name):
    enum, labels = ENGINE_ENUMERATIONS[name]
    django_choices = getattr(choices, name)
    assert [(m.name, m.value, m.label) for m in django_choices] == [
        (m.name, m.value, labels[m]) for m in enum
    ]
    assert all(django_choices(m.value) == m for m in enum)


def test_engine_enumerations_are_declared_nowhere_else():
    """A hand-written ``class Grade(models.TextChoices)`` (or any re-declaration of these names)
    in the project's code is a second copy that can drift from the engine."""
    engine = ROOT / "performance" / "scoring.py"
    copies = []
    for package in ("performance", "projects", "config"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == engine or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and node.name in ENGINE_ENUMERATIONS:
                    copies.append(f"{path.relative_to(ROOT)}:{node.lineno} class {node.name}")
    assert copies == []


def test_an_unlabelled_engine_member_is_refused_when_the_choices_are_built():
    with pytest.raises(ValueError, match="NOT_ACHIEVED"):
        choices.engine_choices(
            "Partial",
            scoring.QualitativeBand,
            {scoring.QualitativeBand.ACHIEVED: "达成", scoring.QualitativeBand.PARTIAL: "部分"},
        )
