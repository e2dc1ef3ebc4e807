"""Which scoring scheme applies to a unit in a year: one rule, for goal review, monitoring,
self-evaluation, the summaries, the dashboard and the API alike.

The rule: walking up from the unit to the finance bureau, the first unit with an assignment
(``SchemeAssignment``) covering the year decides — of its assignments, the one with the latest
起始年度 not after the year, an undated one covering every year; with none anywhere, the
default scheme (``ScoringScheme.is_default``). With no default either, it is a configuration
error, refused everywhere with the same message (code ``no_scheme``): nothing falls back
quietly to a scheme nobody chose. A data migration (``ensure_default_scheme``) gives every
database a default, and the scheme admin says one is needed.

A self-evaluation records the scheme it was started with (``SelfEvaluation.scheme``) and is
recomputed with it, so an assignment changed later re-grades nothing already evaluated; what a
year's figures are read with (summaries, dashboard, API) is the scheme of that year.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError

from projects.models import Unit

from ..models import SchemeAssignment, ScoringScheme

NO_SCHEME = "no_scheme"
Lookup = Callable[[str, int], ScoringScheme]


def _codes(path: str) -> list[str]:
    return [code for code in path.split("/") if code]


def no_scheme_error(path: str) -> ValidationError:
    """The refusal when no scheme applies to the unit at ``path`` (one query, for its name)."""
    name = Unit.objects.filter(path=path).values_list("name", flat=True).first()
    if name is None:
        message = (
            "没有默认评分方案：汇总的执行率和预警灯要按默认方案计算。"
            "请管理员在“评分方案”中指定一个默认方案。"
        )
    else:
        message = (
            f"“{name}”没有适用的评分方案：本单位和上级单位都没有指定评分方案，也没有默认方案。"
            "请管理员在“评分方案”中指定一个默认方案，或在“评分方案适用单位”中为本单位或上级单位"
            "指定方案。"
        )
    return ValidationError(message, code=NO_SCHEME)


def scheme_lookup(paths: Iterable[str] | None = None) -> Lookup:
    """``lookup(unit path, year)`` → the scheme that applies (the rule above); raises the
    ``no_scheme`` ``ValidationError`` when none does.

    ``paths`` narrows what is read to the assignments of those units and their ancestors
    (every assignment when None). Two queries at most, whatever the number of lookups: the
    assignments, and the default scheme (read up front for a lookup of every unit, else when
    first needed).
    """
    assignments = SchemeAssignment.objects.select_related("unit", "scheme")
    if paths is not None:
        assignments = assignments.filter(
            unit__code__in={code for path in paths for code in _codes(path)}
        )
    by_code: dict[str, list[tuple[int, ScoringScheme]]] = {}
    for assignment in assignments:
        by_code.setdefault(assignment.unit.code, []).append(
            (assignment.from_year or 0, assignment.scheme)
        )
    for dated in by_code.values():
        dated.sort(key=lambda pair: pair[0], reverse=True)  # the latest 起始年度 first
    default: list[ScoringScheme | None] = []
    if paths is None:
        default.append(ScoringScheme.objects.filter(is_default=True).first())

    def lookup(path: str, year: int) -> ScoringScheme:
        for code in reversed(_codes(path)):
            for from_year, scheme in by_code.get(code, ()):
                if from_year <= year:
                    return scheme
        if not default:
            default.append(ScoringScheme.objects.filter(is_default=True).first())
        if default[0] is None:
            raise no_scheme_error(path)
        return default[0]

    return lookup


def scheme_for_unit(unit: Unit, *, year: int) -> ScoringScheme:
    """The scheme of one unit in ``year``: :func:`scheme_lookup` for that unit alone."""
    return scheme_lookup([unit.path])(unit.path, year)


def common_path(paths: Iterable[str]) -> str:
    """The path of the deepest unit above all of ``paths`` ("/" when they share none): whose
    scheme a figure over several units (a total, a year) is read with."""
    split = [_codes(path) for path in paths]
    common: list[str] = []
    for codes in zip(*split, strict=False):
        if len(set(codes)) != 1:
            break
        common.append(codes[0])
    return "/" + "".join(f"{code}/" for code in common)
