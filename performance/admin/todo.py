"""``/admin/todo/`` (待办): the whole to-do list in pages of 50, filtered by kind and unit."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.paginator import Paginator
from django.template.response import TemplateResponse

from projects.permissions import visible_units

from ..selectors.todo import GROUP_CODES, GROUP_LABELS, SOURCES, todo_for

PAGE_SIZE = 50


class TodoFilterForm(forms.Form):
    group = forms.ChoiceField(
        label="分组",
        required=False,
        choices=[("", "全部"), *((code, GROUP_LABELS[g]) for g, code in GROUP_CODES.items())],
        error_messages={"invalid_choice": "未知的待办分组：%(value)s。"},
    )
    kind = forms.ChoiceField(
        label="类型",
        required=False,
        choices=[("", "全部"), *((s.kind, s.label) for s in SOURCES)],
        error_messages={"invalid_choice": "未知的待办类型：%(value)s。"},
    )
    unit = forms.CharField(
        label="单位编码",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"size": 10, "placeholder": "如 027001"}),
    )
    page = forms.IntegerField(label="页码", required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def kinds(self) -> list[str] | None:
        """The kinds chosen: one kind, or those of a group (both: their intersection)."""
        kind, group = self.cleaned_data.get("kind"), self.cleaned_data.get("group")
        kinds = [kind] if kind else [s.kind for s in SOURCES]
        if group:
            kinds = [
                k
                for k in kinds
                if GROUP_CODES[next(s.group for s in SOURCES if s.kind == k)] == group
            ]
        return kinds if (kind or group) else None

    def clean_unit(self):
        code = self.cleaned_data["unit"].strip()
        if not code:
            return None
        unit = visible_units(self.user).filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(f"单位“{code}”不存在或不在您的管辖范围内。")
        return unit


class _Counted:
    """A sequence of ``count`` items for the paginator (the list itself is fetched per page)."""

    def __init__(self, count: int) -> None:
        self._count = count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, key):
        return []


def todo_view(request):
    """GET ?kind=&unit=&page=: the user's to-do lines, in the home page's order."""
    form = TodoFilterForm(request.GET or None, user=request.user)
    todo, page = None, None
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        kinds = form.kinds() if form.is_bound else None
        number = data.get("page") or 1

        def fetch(number: int):
            return todo_for(
                request.user,
                kind=kinds,
                unit=data.get("unit"),
                offset=(number - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )

        todo = fetch(number)
        page = Paginator(_Counted(todo.total), PAGE_SIZE).get_page(number)
        if page.number != number:  # past the end: show the last page
            todo = fetch(page.number)
        query = request.GET.copy()
        query.pop("page", None)
        page.query = query.urlencode()
    context = {
        **admin.site.each_context(request),
        "title": "待办",
        "form": form,
        "todo": todo,
        "page": page,
    }
    return TemplateResponse(request, "admin/performance/todo/list.html", context)
