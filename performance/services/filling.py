"""The one path for saving what a unit filled in a document filled row by row (a monitoring
report with its entries, a self-evaluation with its scores).

:func:`fill` reads the input against the document's field spec (``field_specs``): a key the
spec does not list as filled, an indicator not in the document, a value that cannot be read —
every problem becomes a field error (``summary``, ``entries[3].value_raw``) and the input is
refused as a whole, with nothing saved. :meth:`Filling.save` then saves what the unit changed
and what the engine recomputed, steps ``lock_version`` once when the unit changed anything and
writes one audit entry with both.

What differs between documents is passed in, and only that: how each field is read (``read``,
``read_row``: choice codes or labels, numbers), what a row must satisfy beyond its own fields
(``check_row``: a self-evaluation scores each row at once, a monitoring entry only checks the
values typed), and the computation (``compute``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from projects import audit
from projects.bulk_writes import bulk_update_rows
from projects.models import AuditAction

from ..field_specs import DocumentSpec
from .derived_figures import nested_changes
from .typed_values import FieldProblem, indicator_id_of, refuse

NOT_HERE = "该字段不能在此修改。"

Reader = Callable[[Any, str, Any], None]  # (object, field, value); raises FieldProblem
RowCheck = Callable[[Any, Mapping[str, Any], str, MutableMapping[str, str]], None]


@dataclass
class Filling:
    """A document and its rows holding the unit's accepted input, not yet saved."""

    spec: DocumentSpec
    document: Any
    rows: Sequence[Any]
    before: dict
    rows_before: dict[int, dict]

    def save(self, *, compute: Callable[[], tuple[dict, dict]], actor, comment: str):
        """Save what the unit changed, then what ``compute()`` recomputed (it returns the
        document's and the rows' computed changes); one audit entry with both."""
        spec, document, rows = self.spec, self.document, self.rows
        changes = audit.diff(self.before, audit.snapshot(document, spec.filled))
        row_changes = {}
        for row in rows:
            diff = audit.diff(self.rows_before[row.pk], audit.snapshot(row, spec.row.filled))
            if diff:
                row_changes[row.pk] = diff
        computed, computed_rows = compute()
        if changes or row_changes:
            document.lock_version += 1
        document.save(
            update_fields=[
                *spec.filled,
                *spec.computed,
                "computed_at",
                "lock_version",
                "updated_at",
            ]
        )
        per_row = {
            pk: {**row_changes.get(pk, {}), **computed_rows.get(pk, {})}
            for pk in set(row_changes) | set(computed_rows)
        }
        bulk_update_rows(
            [r for r in rows if r.pk in per_row], [*spec.row.filled, *spec.row.computed]
        )
        merged = nested_changes({**changes, **computed}, per_row, spec.row.name)
        if merged:
            audit.record(
                obj=document,
                actor=actor,
                action=AuditAction.UPDATE,
                changes=merged,
                comment=comment,
            )
        return document


def fill(
    spec: DocumentSpec,
    document,
    rows: Sequence[Any],
    *,
    data: Mapping[str, Any],
    row_data: Sequence[Mapping[str, Any]],
    read: Reader,
    read_row: Reader,
    missing_row: str,
    check_row: RowCheck | None = None,
) -> Filling:
    """Apply the unit's input to ``document`` and its ``rows`` (loaded with their indicators),
    or refuse all of it.

    ``data`` is keyed by filled fields (or their aliases), ``row_data`` is a list of
    ``{"indicator": id, field: value}``; ``missing_row`` is the error for an indicator the
    document does not have. ``check_row(row, given, prefix, errors)`` may add errors of a row.
    """
    before = audit.snapshot(document, spec.filled)
    rows_before = {row.pk: audit.snapshot(row, spec.row.filled) for row in rows}
    errors: dict[str, str] = {}
    for key, value in data.items():
        name = spec.field_of(key)
        if name is None:
            errors[key] = NOT_HERE
            continue
        try:
            read(document, name, value)
        except FieldProblem as problem:
            errors[key] = problem.message

    by_indicator = {row.indicator_id: row for row in rows}
    for index, given in enumerate(row_data):
        prefix = f"{spec.row.name}[{index}]"
        row = by_indicator.get(indicator_id_of(given.get("indicator")))
        if row is None:
            errors[f"{prefix}.indicator"] = missing_row
            continue
        for key, value in given.items():
            if key == "indicator":
                continue
            if key not in spec.row.filled:
                errors[f"{prefix}.{key}"] = NOT_HERE
                continue
            try:
                read_row(row, key, value)
            except FieldProblem as problem:
                errors[f"{prefix}.{key}"] = f"「{row.indicator.level3}」：{problem.message}"
        if check_row is not None:
            check_row(row, given, prefix, errors)
    if errors:
        raise refuse(errors, "invalid")

    document.full_clean(exclude=list(spec.fixed))
    for row in rows:
        row.full_clean(exclude=[spec.row.parent, *spec.row.fixed])
    return Filling(spec, document, rows, before, rows_before)
