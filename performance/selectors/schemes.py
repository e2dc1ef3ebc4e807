"""Which scoring scheme applies to a unit."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.core.exceptions import ValidationError

from projects.models import Unit

from ..models import SchemeAssignment, ScoringScheme


def scheme_for_unit(unit: Unit) -> ScoringScheme:
    """The scheme assigned to the unit or its nearest ancestor, else the default scheme."""
    codes = [code for code in unit.path.split("/") if code]
    assignments = {
        a.unit.code: a.scheme
        for a in SchemeAssignment.objects.filter(unit__code__in=codes).select_related(
            "unit", "scheme"
        )
    }
    for code in reversed(codes):
        if code in assignments:
            return assignments[code]
    scheme = ScoringScheme.objects.filter(is_default=True).first()
    if scheme is None:
        raise ValidationError("尚未设置默认评分方案，请管理员在“评分方案”中指定一个默认方案。")
    return scheme


def schemes_for_units(unit_paths: Mapping[int, str]) -> dict[int, ScoringScheme]:
    """:func:`scheme_for_unit` for many units at once, given ``{unit id: unit path}``:
    two queries in all."""
    paths = {pk: [code for code in path.split("/") if code] for pk, path in unit_paths.items()}
    codes = {code for path in paths.values() for code in path}
    assignments = {
        a.unit.code: a.scheme
        for a in SchemeAssignment.objects.filter(unit__code__in=codes).select_related(
            "unit", "scheme"
        )
    }
    result: dict[int, ScoringScheme] = {}
    default: ScoringScheme | None = None
    for unit_id, path in paths.items():
        found = next((assignments[c] for c in reversed(path) if c in assignments), None)
        if found is None:
            if default is None:
                default = ScoringScheme.objects.filter(is_default=True).first()
                if default is None:
                    raise ValidationError(
                        "尚未设置默认评分方案，请管理员在“评分方案”中指定一个默认方案。"
                    )
            found = default
        result[unit_id] = found
    return result


def scheme_lookup() -> Callable[[str], ScoringScheme | None]:
    """``scheme_for_unit`` for many units at once: ``lookup(unit.path)`` with two queries total.

    Same rule as :func:`scheme_for_unit`: the nearest assignment on the unit or an
    ancestor, else the default scheme (``None`` when there is none).
    """
    by_code = {
        assignment.unit.code: assignment.scheme
        for assignment in SchemeAssignment.objects.select_related("unit", "scheme")
    }
    default = ScoringScheme.objects.filter(is_default=True).first()

    def lookup(path: str) -> ScoringScheme | None:
        for code in reversed([c for c in path.split("/") if c]):
            if code in by_code:
                return by_code[code]
        return default

    return lookup
