"""``/accounts/set-password/<uidb64>/<token>/``: a user invited by the people import sets his
first password. Django's ``PasswordResetConfirmView`` (the token moves into the session, so
it never leaks in a Referer) with the invitation tokens, inactive users refused, the login
throttle's per-address counter on bad links, and the password written through
``accounts.user_set_password`` (audited)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.generic import TemplateView

from .security import login_throttle
from .security.client_address import client_address
from .services import accounts
from .services.invitations import invite_seconds, invite_token_generator

THROTTLE_NAME = "（设置密码链接）"


class SetPasswordView(auth_views.PasswordResetConfirmView):
    token_generator = invite_token_generator
    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("set-password-done")
    post_reset_login = False

    def dispatch(self, *args, **kwargs) -> HttpResponse:
        ident = client_address(self.request)
        lockout = login_throttle.current_lockout(THROTTLE_NAME, ident)
        if lockout:
            return render(
                self.request, "accounts/set_password.html", {"locked": lockout.message}, status=429
            )
        response = super().dispatch(*args, **kwargs)
        if not self.validlink and self.request.method == "POST":
            login_throttle.record_failure(THROTTLE_NAME, ident)
        return response

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        if user is not None and not user.is_active:
            return None  # a deactivated account is not opened by an old invitation
        return user

    def form_valid(self, form) -> HttpResponse:
        accounts.user_set_password(
            user=self.user,
            password=form.cleaned_data["new_password1"],
            actor=self.user,
            comment="通过邀请链接设置密码",
        )
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return super(auth_views.PasswordResetConfirmView, self).form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["days"] = invite_seconds() // 86400
        return context


class SetPasswordDoneView(TemplateView):
    template_name = "accounts/set_password_done.html"
