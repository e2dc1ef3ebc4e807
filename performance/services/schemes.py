"""Which scoring scheme applies to a unit."""

from __future__ import annotations

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
