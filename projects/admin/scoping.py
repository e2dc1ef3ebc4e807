"""Admin plumbing shared by both apps: every queryset and choice list scoped to visible units.

A foreign object and a missing one look the same everywhere the admin resolves one: its
change page is a 404, a foreign key naming it is "不存在或无权访问" (the same words and status
as a made-up id), a raw-id field does not print its name, and a list filter never offers it.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpResponseRedirect

from ..models import Unit
from ..permissions import visible_units


def is_unit_scoped(model: type[Model], admin_site) -> bool:
    """``Unit`` itself, or a model whose admin is a :class:`ScopedAdminMixin` (its
    ``unit_lookup`` says where its unit is); other models (schemes, rounds, content types) are
    reference data every user sees."""
    return model is Unit or isinstance(admin_site._registry.get(model), ScopedAdminMixin)


def scoped_related_queryset(model: type[Model], user, admin_site) -> QuerySet | None:
    """The rows of ``model`` that ``user`` may see, or None when every row is visible to them."""
    if user.is_superuser or not is_unit_scoped(model, admin_site):
        return None
    if model is Unit:
        return visible_units(user)
    related_admin = admin_site._registry[model]
    return related_admin.scope_queryset(model._default_manager.all(), user)


def not_found_message(model: type[Model]) -> str:
    """The one text for an id that is missing or outside the user's units (``%(value)s``)."""
    return f"{model._meta.verbose_name} %(value)s 不存在或无权访问。"


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id input that names the chosen object only when the user may see it: Django's
    widget looks the id up in every unit, so ``?goal=<another unit's id>`` printed its name."""

    def __init__(self, rel, admin_site, *, queryset: QuerySet, attrs=None, using=None):
        super().__init__(rel, admin_site, attrs=attrs, using=using)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            if not self.queryset.using(self.db).filter(**{key: value}).exists():
                return "", ""
        except (ValueError, TypeError, ValidationError):
            return "", ""
        return super().label_and_url_for_value(value)


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A list filter on a relation to a unit-scoped model offers only objects the user may see,
    and of those only the ones the list's own rows refer to (Django's offers every row of the
    related table: a filler of 305004 was shown 027 and 027001 as 上级单位). A relation to
    reference data (rounds, content types) keeps Django's choices."""

    def field_choices(self, field, request, model_admin):
        related = field.remote_field.model
        if not is_unit_scoped(related, model_admin.admin_site):
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        rows = model_admin.scope_queryset(model_admin.model._default_manager.all(), request.user)
        limit = Q(pk__in=rows.values(f"{self.field_path}__pk"))
        scoped = scoped_related_queryset(related, request.user, model_admin.admin_site)
        if scoped is not None:
            limit &= Q(pk__in=scoped.values("pk"))
        return field.get_choices(include_blank=False, limit_choices_to=limit, ordering=ordering)


class ScopedAdminMixin:
    """Limit rows to the user's visible units; ``unit_lookup`` is the path to the Unit.

    Foreign keys to unit-scoped models offer (and accept) only visible objects, and every
    ``list_filter`` entry on a relation becomes a :class:`ScopedRelatedFieldListFilter`.
    """

    unit_lookup = "unit"

    def scope_queryset(self, queryset: QuerySet, user) -> QuerySet:
        """``queryset`` narrowed to the rows of the units ``user`` may see."""
        if user.is_superuser:
            return queryset
        lookup = "pk__in" if self.unit_lookup == "" else f"{self.unit_lookup}__in"
        return queryset.filter(**{lookup: visible_units(user)})

    def get_queryset(self, request):
        return self.scope_queryset(super().get_queryset(request), request.user)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index for a missing object; an object outside the user's
        # units must look exactly like one that does not exist: a 404.
        raise Http404(f"{opts.verbose_name} {object_id} 不存在或无权访问。")

    def get_list_filter(self, request):
        return [self._scoped_filter(item) for item in super().get_list_filter(request)]

    def _scoped_filter(self, item):
        if not isinstance(item, str):
            return item
        try:
            path = get_fields_from_path(self.model, item)
        except (FieldDoesNotExist, NotRelationField):
            return item
        if path[-1].is_relation and not path[-1].many_to_many:
            return (item, ScopedRelatedFieldListFilter)
        return item

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scoped = scoped_related_queryset(db_field.related_model, request.user, self.admin_site)
        if scoped is not None:
            kwargs.setdefault("queryset", scoped)
            if db_field.name in self.raw_id_fields and "widget" not in kwargs:
                kwargs["widget"] = ScopedRawIdWidget(
                    db_field.remote_field,
                    self.admin_site,
                    queryset=kwargs["queryset"],
                    using=kwargs.get("using"),
                )
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None:
            # One text, with the id, whether the id is missing or another unit's.
            field.error_messages["invalid_choice"] = not_found_message(db_field.related_model)
        return field


class ScopedInlineMixin(ScopedAdminMixin):
    pass


def is_service_refusal(request) -> bool:
    """Whether an error raised in a change form becomes a message and a reload of the page: only
    while saving (POST). On a GET — the role may not open the page at all — it stays a 403:
    reloading would redirect the page to itself for ever."""
    return request.method == "POST"


def report_service_error(modeladmin: admin.ModelAdmin, request, error: Exception) -> None:
    """Show a service's refusal (validation, permission, stale version) as an admin message."""
    if isinstance(error, ValidationError):
        text = "；".join(
            f"{msg}"
            for msgs in getattr(error, "message_dict", {"": error.messages}).values()
            for msg in msgs
        )
    elif isinstance(error, PermissionDenied):
        text = str(error) or "没有权限执行此操作。"
    else:
        text = str(error)
    modeladmin.message_user(request, text, level=messages.ERROR)


def record_formset_result(formset, *, new, changed, deleted) -> None:
    """Tell the admin's change message what a service-driven inline save did."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = new, changed, deleted


class ServiceErrorsAsMessagesMixin:
    """A change form whose service refuses the save (stale version, wrong state, no permission)
    shows the service's Chinese reason as an admin message and reloads the page; the admin's
    transaction is rolled back, so nothing of the post is kept."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, PermissionDenied) as error:
            if not is_service_refusal(request):
                raise
            report_service_error(self, request, error)
            return HttpResponseRedirect(request.get_full_path())
