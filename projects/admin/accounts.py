"""Users, memberships, role groups and API tokens in the admin.

A 管理员 sees and manages only the users of the units he administers
(``permissions.administered_users``: never himself, never a superuser, never a user with a role
elsewhere) and the memberships of those units; every save is an ``accounts`` service, so it is
checked again, audited, and keeps the user's groups equal to his roles. Superusers keep full
power (their changes are audited too). Groups are derived from roles, so their page is a
read-only view for superusers; tokens are for superusers only (as are the schedules, whose
admin is ``performance.admin.schedules``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework.authtoken.admin import TokenAdmin as DrfTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from ..choices import Role
from ..models import Membership, Unit
from ..permissions import (
    administered_units,
    administered_users,
    grant_refusal,
    is_administrator,
    may_administer_user,
    may_grant,
    may_manage_tokens,
)
from ..services import accounts
from .scoping import is_service_refusal, report_service_error
from .writes import (
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    WritesThroughServices,
    delete_each,
)

User = get_user_model()


class ServiceValidationAsMessagesMixin:
    """A service's ``ValidationError`` that the form could not foresee (a race) is shown as an
    admin message, never a 500; the admin's transaction has been rolled back. A
    ``PermissionDenied`` stays a 403."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            if not is_service_refusal(request):
                raise
            report_service_error(self, request, error)
            return HttpResponseRedirect(request.get_full_path())


class NotFoundOutsideScopeMixin:
    """Django redirects to the index for a missing object; here it is a 404, as elsewhere."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # An object outside the user's scope must look exactly like one that does not exist.
        raise Http404(f"{opts.verbose_name} {object_id} 不存在或无权访问。")


def _roles_display(user) -> str:
    memberships = sorted(user.memberships.all(), key=lambda m: (m.unit.path, m.role))
    if not memberships:
        return "—"
    return format_html_join(
        "",
        "<div>{} {} · {}</div>",
        ((m.unit.code, m.unit.name, m.get_role_display()) for m in memberships),
    )


# --- users -------------------------------------------------------------------------------------


class UserCreationWithRoleForm(AdminUserCreationForm):
    """A new user with his first role: a 管理员's users are those with roles in his units."""

    unit = forms.ModelChoiceField(label="单位", queryset=Unit.objects.none(), required=False)
    role = forms.ChoiceField(
        label="角色", choices=[("", "---------"), *Role.choices], required=False
    )

    actor = None  # set by ``ScopedUserAdmin.get_form``

    class Meta(AdminUserCreationForm.Meta):
        fields = ("username", "first_name", "last_name", "email")

    def clean(self):
        cleaned = super().clean()
        if self.errors.keys() & {"unit", "role"}:
            return cleaned
        unit, role = cleaned.get("unit"), cleaned.get("role")
        if not (unit and role):
            # Superusers may create a user without a role; then both stay empty.
            if unit or role or not self.actor.is_superuser:
                for name, value in (("unit", unit), ("role", role)):
                    if not value:
                        self.add_error(name, "请同时选择新用户的单位和角色。")
            return cleaned
        try:
            Membership(unit=unit, role=role).clean()
        except ValidationError as error:
            self.add_error("role", error.message_dict.get("role", error.messages))
            return cleaned
        refusal = grant_refusal(self.actor, user=None, unit=unit, role=role)
        if refusal:
            self.add_error("role", refusal)
        return cleaned


class ScopedUserAdmin(
    ServiceValidationAsMessagesMixin,
    NotFoundOutsideScopeMixin,
    WritesThroughServices,
    DjangoUserAdmin,
):
    """Users, scoped to ``administered_users``; every save is an ``accounts`` service."""

    add_form = UserCreationWithRoleForm
    list_display = ["username", "first_name", "last_name", "email", "roles", "is_active"]
    list_filter = ["is_active", "memberships__role"]
    ordering = ["username"]
    readonly_fields = ["roles", "is_staff", "groups_shown", "last_login", "date_joined"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("memberships__unit")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=administered_users(request.user).values("pk"))

    # who may do what: administrators only, and per object only users they manage
    def has_module_permission(self, request):
        return is_administrator(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._manages(request, obj) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._manages(request, obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return is_administrator(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Superusers only (a 管理员 deactivates: the audit keeps who did what), never oneself.
        user = request.user
        return user.is_superuser and (obj is None or obj.pk != user.pk)

    def _manages(self, request, obj) -> bool:
        if not is_administrator(request.user):
            return False
        return obj is None or may_administer_user(request.user, obj)

    # what the forms show
    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fields = ["username", "usable_password", "password1", "password2"]
            fields += ["first_name", "last_name", "email", "unit", "role"]
            return [(None, {"classes": ["wide"], "fields": fields})]
        status = ["is_active"]
        if request.user.is_superuser:
            status += ["is_superuser", "is_staff", "groups_shown", "user_permissions"]
        return [
            (None, {"fields": ["username", "password"]}),
            ("个人信息", {"fields": ["first_name", "last_name", "email"]}),
            ("状态与权限", {"fields": status}),
            ("角色", {"fields": ["roles"]}),
            ("重要日期", {"fields": ["last_login", "date_joined"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += ["is_active", "is_superuser"]  # no locking oneself out
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            units = administered_units(request.user).order_by("path")
            actor = request.user

            class AddForm(form):
                def __init__(self, *args, **kw):
                    super().__init__(*args, **kw)
                    self.actor = actor
                    self.fields["unit"].queryset = units
                    self.fields["unit"].required = not actor.is_superuser
                    self.fields["role"].required = not actor.is_superuser

            return AddForm
        return form

    @admin.display(description="角色（单位 · 角色）")
    def roles(self, obj):
        link = ""
        if obj.pk and self.admin_site.is_registered(Membership):
            url = reverse("admin:projects_membership_changelist") + f"?user__id__exact={obj.pk}"
            link = format_html('<div><a href="{}">管理角色</a></div>', url)
        return format_html("{}{}", _roles_display(obj), link) if obj.pk else "—"

    @admin.display(description="权限组（由角色决定）")
    def groups_shown(self, obj):
        return "、".join(obj.groups.values_list("name", flat=True)) or "—"

    # every write is a service
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = accounts.USER_FIELDS + accounts.SUPERUSER_FIELDS
            changed = {k: data[k] for k in form.changed_data if k in fields}
            if changed:
                accounts.user_update(user=obj, data=changed, actor=request.user)
            return
        usable = data.get("set_usable_password", True)  # AdminUserCreationForm's choice
        saved = accounts.user_create(
            actor=request.user,
            username=data["username"],
            password=data.get("password1") if usable else None,
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            email=data.get("email", ""),
            unit=data.get("unit"),
            role=data.get("role") or None,
        )
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        """Nothing left to save: the service set the permissions; groups follow the roles."""

    def delete_model(self, request, obj):
        accounts.user_delete(user=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda user: self.delete_model(request, user))

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        """Django's view, with the scope (another unit's user is a 404) and the service."""
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404(f"用户 {id} 不存在或无权访问。")
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        form = self.change_password_form(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            # Django's check: disabling the password must come from the "unset" button.
            valid = form.cleaned_data["set_usable_password"] or "unset-password" in request.POST
            if not valid:
                messages.error(request, "提交的表单数据有冲突，请重试。")
                return HttpResponseRedirect(request.get_full_path())
            password = (
                form.cleaned_data.get("password1")
                if form.cleaned_data["set_usable_password"]
                else None
            )
            accounts.user_set_password(user=user, password=password, actor=request.user)
            user.refresh_from_db()
            self.log_change(request, user, "修改密码")
            if user.pk == request.user.pk:
                update_session_auth_hash(request, user)
            messages.success(request, "密码已修改。" if password else "已停用该用户的密码登录。")
            return HttpResponseRedirect(reverse("admin:auth_user_change", args=[user.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"修改密码：{user.get_username()}",
            "adminForm": admin.helpers.AdminForm(
                form, [(None, {"fields": list(form.base_fields)})], {}
            ),
            "form_url": form_url,
            "form": form,
            "is_popup": IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET,
            "is_popup_var": IS_POPUP_VAR,
            "add": True,
            "change": False,
            "has_delete_permission": False,
            "has_change_permission": True,
            "has_absolute_url": False,
            "opts": self.opts,
            "original": user,
            "save_as": False,
            "show_save": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            self.change_user_password_template or "admin/auth/user/change_password.html",
            context,
        )


# --- memberships -------------------------------------------------------------------------------


class MembershipForm(forms.ModelForm):
    """Refuses, field by field, what ``accounts`` would refuse (the service checks again)."""

    actor = None  # set by ``MembershipAdmin.get_form``

    class Meta:
        model = Membership
        fields = ["user", "unit", "role"]

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user") or (self.instance.user if self.instance.pk else None)
        unit, role = cleaned.get("unit"), cleaned.get("role")
        if self.instance.pk:
            original = Membership.objects.select_related("unit", "user").get(pk=self.instance.pk)
            refusal = grant_refusal(
                self.actor,
                user=original.user,
                unit=original.unit,
                role=original.role,
                revoke=True,
            )
            if refusal:
                raise ValidationError(refusal)
        if user is not None and unit is not None and role:
            refusal = grant_refusal(self.actor, user=user, unit=unit, role=role)
            if refusal:
                self.add_error("role", refusal)
        return cleaned


class MembershipAdmin(
    ServiceValidationAsMessagesMixin,
    NotFoundOutsideScopeMixin,
    WritesThroughServices,
    admin.ModelAdmin,
):
    """Who holds which role where: a 管理员 sees his units' memberships and changes those of the
    users he manages; add, change, delete and bulk delete are ``accounts`` services."""

    form = MembershipForm
    list_display = ["user", "unit", "role", "created_at"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "user__first_name", "unit__code", "unit__name"]
    list_select_related = ["user", "unit"]
    autocomplete_fields = ["user", "unit"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(unit__in=administered_units(request.user))

    def has_module_permission(self, request):
        return is_administrator(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return is_administrator(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may_revoke(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_revoke(request, obj) and super().has_delete_permission(request, obj)

    def _may_revoke(self, request, obj) -> bool:
        if not is_administrator(request.user):
            return False
        return obj is None or may_grant(
            request.user, user=obj.user, unit=obj.unit, role=obj.role, revoke=True
        )

    def get_readonly_fields(self, request, obj=None):
        return ["user", "created_at"] if obj is not None else []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        actor = request.user
        return type(form.__name__, (form,), {"actor": actor})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            if db_field.name == "user":
                kwargs["queryset"] = administered_users(request.user)
            elif db_field.name == "unit":
                kwargs["queryset"] = administered_units(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = accounts.membership_change(
                membership=obj, unit=data["unit"], role=data["role"], actor=request.user
            )
        else:
            saved = accounts.membership_add(
                user=data["user"], unit=data["unit"], role=data["role"], actor=request.user
            )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        accounts.membership_remove(membership=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda membership: self.delete_model(request, membership))


class MembershipInline(ReadOnlyInlineMixin, admin.TabularInline):
    """A unit's members, read-only: roles are granted and revoked under 成员角色 (services)."""

    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = fields


# --- groups and tokens ------------------------------------------------------------------------


class RoleGroupAdmin(ReadOnlyAdminMixin, DjangoGroupAdmin):
    """One group per role, kept by ``roles.sync_role_groups``: superusers may read them."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class SuperuserOnlyMixin:
    """For screens whose power has no unit scope: API tokens (act as anyone) and schedules
    (run any task as the system). ``manager`` is the check of ``projects.permissions``."""

    manager = staticmethod(may_manage_tokens)

    def has_module_permission(self, request):
        return self.manager(request.user)

    def has_view_permission(self, request, obj=None):
        return self.manager(request.user)

    def has_add_permission(self, request, *args):
        return self.manager(request.user)

    def has_change_permission(self, request, obj=None):
        return self.manager(request.user)

    def has_delete_permission(self, request, obj=None):
        return self.manager(request.user)


class TokenAdmin(SuperuserOnlyMixin, WritesThroughServices, DrfTokenAdmin):
    """API tokens: issued and revoked through ``accounts``, audited on their user (never the
    key itself). A token is not moved to another user: revoke it and issue a new one."""

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        token = accounts.token_create(user=form.cleaned_data["user"], actor=request.user)
        obj.key, obj.created = token.key, token.created  # its pk is the user's

    def delete_model(self, request, obj):
        accounts.token_delete(token=obj, actor=request.user)


def reregister(model, admin_class) -> None:
    """Register ``admin_class`` for ``model``, replacing the admin a library registered."""
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, admin_class)


reregister(User, ScopedUserAdmin)
reregister(Group, RoleGroupAdmin)
reregister(Membership, MembershipAdmin)
reregister(TokenProxy, TokenAdmin)
