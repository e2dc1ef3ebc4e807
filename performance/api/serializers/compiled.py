"""Representation of large read lists without DRF's per-field dispatch.

A page of 50 goals carries 750 indicators of 16 fields: DRF's ``Serializer.to_representation``
spends more time finding each value (``get_attribute`` walks a generic path per field and
per row, ``DateTimeField`` looks the current time zone up per value) than converting it.
:class:`FastRepresentation` plans each serializer once — per field how to read the value
and which conversion to apply — and then runs that plan per row. The output is the same
dictionary DRF builds: the conversions are the fields' own ``to_representation``; only
reading is specialised, and only where it is plain:

- a concrete, non-relational model field named by ``source`` (a JSON list column too): one
  ``attrgetter``; ``source="*"``: the row itself; a model property: the property;
- a primary-key relation (``PrimaryKeyRelatedField``): the foreign key's ``…_id`` column, as
  DRF's pk-only optimisation reads it;
- anything else (dotted sources, method fields, relations): the field's own
  ``get_attribute``, ``SkipField`` included. Rows given as dictionaries take DRF's own path.

Datetimes are converted in the request's time zone, read once per serializer instead of once
per value (``DateTimeField`` uses a field's ``timezone`` attribute when set).
"""

from __future__ import annotations

import copy
import datetime
import decimal
from collections.abc import Callable, Mapping
from keyword import iskeyword
from operator import attrgetter
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from rest_framework import fields, relations, serializers
from rest_framework.settings import api_settings

_SKIP = object()


class FastRepresentation:
    """Mix into a ``ModelSerializer`` whose rows are model instances.

    Set ``shared_plan = True`` on a serializer whose output depends on the row alone (no
    ``context``, no request: every field is a column, a property, a nested serializer that is
    itself shared, or a method field that reads only the row). Its plan is then built once per
    class and time zone, from one instance kept for the purpose, and serves every instance of
    the class: a list request binds and copies no fields at all (deep-copying the prebuilt
    fields of a goal with its nested serializers cost ~10 ms per request). ``request_fields``
    names method fields that do depend on the request (``allowed_actions``): they are left out
    of the plan and added after it, in that order, by this instance's ``get_<name>`` — declare
    them last in ``Meta.fields``.

    Without ``shared_plan`` each instance plans for itself, and runs its plan as a loop:
    compiling it would cost more than it saves for the one object such serializers show.
    """

    shared_plan = False
    request_fields: tuple[str, ...] = ()

    def get_fields(self):
        """``ModelSerializer`` builds its fields by inspecting the model on every instantiation
        (a few milliseconds for a goal with its nested serializers, per request); build them
        once per class and hand each instance a deep copy, as DRF does for declared fields."""
        cls = type(self)
        templates = cls.__dict__.get("_field_templates")
        if templates is None:
            templates = super().get_fields()
            cls._field_templates = templates
        return copy.deepcopy(templates)

    def to_representation(self, instance):
        if isinstance(instance, Mapping):  # rows given as dictionaries: DRF's own way
            return super().to_representation(instance)
        represent = self.__dict__.get("_representation")
        if represent is None:
            represent = self._representation = (
                self._class_representation() if self.shared_plan else interpret_plan(self._plan())
            )
        ret = represent(instance)
        for name in self.request_fields:
            ret[name] = getattr(self, f"get_{name}")(instance)
        return ret

    @classmethod
    def _class_representation(cls):
        """The compiled plan of a ``shared_plan`` class in the current time zone (a datetime
        field's output depends on it), built from a template instance of the class."""
        compiled = cls.__dict__.get("_shared_representations")
        if compiled is None:
            compiled = cls._shared_representations = {}
        zone = timezone.get_current_timezone_name() if settings.USE_TZ else None
        represent = compiled.get(zone)
        if represent is None:
            represent = compiled[zone] = compile_plan(cls()._plan())
        return represent

    def _plan(self) -> list:
        meta = self.Meta.model._meta
        columns = {f.name: f for f in meta.concrete_fields}
        zone = timezone.get_current_timezone() if settings.USE_TZ else None
        plan = []
        for field in self._readable_fields:
            if field.field_name in self.request_fields:
                continue  # added per request by to_representation
            source = field.source_attrs
            column = columns.get(source[0]) if len(source) == 1 else None
            if isinstance(field, fields.DateTimeField) and not hasattr(field, "timezone"):
                field.timezone = zone  # what default_timezone() returns for every row
            if (
                column is not None
                and column.is_relation
                and isinstance(field, relations.PrimaryKeyRelatedField)
                and field.pk_field is None
            ):
                read = attrgetter(column.attname)
                plan.append(Step(field.field_name, read, _identity, None, attname=column.attname))
            elif (
                column is not None
                and not column.is_relation
                and (
                    not isinstance(field, relations.RelatedField | serializers.BaseSerializer)
                    or type(field) is serializers.ListSerializer  # a JSON list column
                )
            ):
                plan.append(
                    Step(
                        field.field_name,
                        attrgetter(column.attname),
                        converter(field),
                        _plain(field),
                        attname=column.attname,
                    )
                )
            elif source == []:  # source="*": the row itself
                plan.append(Step(field.field_name, _identity, field.to_representation, None))
            elif (
                len(source) == 1
                and isinstance(getattr(self.Meta.model, source[0], None), property)
                and not isinstance(field, relations.RelatedField | serializers.BaseSerializer)
            ):
                plan.append(
                    Step(
                        field.field_name,
                        _property(field, source[0]),
                        converter(field),
                        _plain(field),
                        may_skip=True,
                    )
                )
            else:
                plan.append(
                    Step(field.field_name, _generic(field), field.to_representation, None, True)
                )
        return plan


class Step(NamedTuple):
    """One output field: ``read`` the value from the row; ``None`` and values of type ``plain``
    are output as they are, others through ``represent``; ``may_skip``: ``read`` can return
    the marker of DRF's ``SkipField`` (the field is left out)."""

    name: str
    read: Callable
    represent: Callable
    plain: type | None
    may_skip: bool = False
    attname: str | None = None  # ``read`` is ``attrgetter(attname)``


def interpret_plan(plan: list[Step]) -> Callable:
    """The plan run step by step: what :func:`compile_plan` computes, without compiling."""

    def represent(row):
        ret = {}
        for step in plan:
            value = step.read(row)
            if value is None or type(value) is step.plain:
                ret[step.name] = value
            elif value is not _SKIP:
                ret[step.name] = step.represent(value)
        return ret

    return represent


def compile_plan(plan: list[Step]) -> Callable:
    """The plan as one Python function of a row, the way ``namedtuple`` and ``dataclasses``
    build their methods: no loop over the steps, no unpacking of them per row, a column read
    as a plain attribute access. For 750 nested indicators it halves the serializer's own
    time; the values are the same the steps compute (``tests/performance/api/test_fast_representation``
    compares both with DRF's own output)."""
    namespace: dict = {"SKIP": _SKIP}
    lines = ["def represent(row):", "    ret = {}"]
    for i, step in enumerate(plan):
        namespace[f"read{i}"], namespace[f"represent{i}"] = step.read, step.represent
        namespace[f"plain{i}"] = step.plain
        key = repr(step.name)
        if step.read is _identity:  # source="*": the row itself, never None
            lines.append(f"    ret[{key}] = represent{i}(row)")
            continue
        direct = step.attname and step.attname.isidentifier() and not iskeyword(step.attname)
        lines.append(f"    v = row.{step.attname}" if direct else f"    v = read{i}(row)")
        if step.represent is _identity:
            lines.append(
                f"    ret[{key}] = v"
                if not step.may_skip
                else f"    if v is not SKIP: ret[{key}] = v"
            )
            continue
        test = "v is None" if step.plain is None else f"v is None or type(v) is plain{i}"
        lines.append(f"    if {test}:")
        lines.append(f"        ret[{key}] = v")
        lines.append("    elif v is not SKIP:" if step.may_skip else "    else:")
        lines.append(f"        ret[{key}] = represent{i}(v)")
    lines.append("    return ret")
    exec(compile("\n".join(lines), "<FastRepresentation plan>", "exec"), namespace)
    return namespace["represent"]


def _plain(field) -> type | None:
    """The Python type a field outputs unchanged: ``CharField`` and a ``ChoiceField`` of text
    choices return a stored ``str`` as it is (a choice's key is its value), ``IntegerField``
    an ``int``, ``BooleanField`` a ``bool``."""
    if isinstance(field, fields.MultipleChoiceField):
        return None
    if isinstance(field, fields.ChoiceField):
        return str if all(type(key) is str for key in field.choices) else None
    if isinstance(field, fields.CharField):
        return str
    if isinstance(field, fields.BooleanField):
        return bool
    if isinstance(field, fields.IntegerField):
        return int
    return None


def converter(field):
    """``field.to_representation``, with its usual cases done without per-value set-up."""
    if isinstance(field, fields.DecimalField):
        return _decimal(field)
    if isinstance(field, fields.DateTimeField):
        return _datetime(field)
    return field.to_representation


def _decimal(field: fields.DecimalField):
    """DRF's DecimalField output (quantized, as a string) with the exponent and context made
    once per serializer instead of once per value."""
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if field.decimal_places is None or field.normalize_output or field.localize or not coerce:
        return field.to_representation
    exponent = decimal.Decimal(".1") ** field.decimal_places
    context = decimal.getcontext().copy()
    if field.max_digits is not None:
        context.prec = field.max_digits
    rounding = field.rounding

    def represent(value):
        if type(value) is not decimal.Decimal:
            return field.to_representation(value)
        return f"{value.quantize(exponent, rounding=rounding, context=context):f}"

    return represent


def _datetime(field: fields.DateTimeField):
    """DRF's ISO 8601 output of an aware datetime in the field's time zone."""
    output = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = getattr(field, "timezone", None)
    if output is None or output.lower() != fields.ISO_8601 or zone is None:
        return field.to_representation

    def represent(value):
        if type(value) is not datetime.datetime or value.utcoffset() is None:
            return field.to_representation(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return field.to_representation(value)  # DRF's own error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent


def _identity(value):
    return value


def _property(field, name: str):
    """A model property (never a callable); a property that raises ``AttributeError`` gets
    DRF's handling (default, null or skip)."""
    get, generic = attrgetter(name), _generic(field)

    def read(instance):
        try:
            return get(instance)
        except AttributeError:
            return generic(instance)

    return read


def _generic(field):
    def read(instance):
        try:
            value = field.get_attribute(instance)
        except fields.SkipField:
            return _SKIP
        if isinstance(value, relations.PKOnlyObject) and value.pk is None:
            return None
        return value

    return read


class PrefetchedListSerializer(serializers.ListSerializer):
    """A nested ``many=True`` list that reads ``<source>_list`` when the queryset prefetched the
    rows there (``Prefetch("indicators", to_attr="indicators_list")``, see
    ``selectors.api_lists.attach_goal_rows``), else the related manager as usual. Set as the
    child's ``Meta.list_serializer_class``."""

    def get_attribute(self, instance):
        rows = getattr(instance, f"{self.source_attrs[-1]}_list", None)
        return rows if rows is not None else super().get_attribute(instance)
