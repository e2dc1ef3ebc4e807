"""Forms shared by admin screens."""

from __future__ import annotations

import datetime as dt

from django import forms

from projects.models import Unit
from projects.permissions import visible_units
from projects.years import year_form_field


class TableForm(forms.Form):
    """Which official table to produce: kind, unit (within the user's scope), year and month.

    Subclasses set ``kinds`` (code → label); the unit list is the user's visible units.
    """

    kinds: dict[str, str] = {}

    kind = forms.ChoiceField(label="报表")
    unit = forms.ModelChoiceField(
        label="单位",
        queryset=Unit.objects.none(),
        help_text="所选单位及其下级中您有权查看的单位都会包含在内。",
    )
    year = year_form_field()
    data_month = forms.IntegerField(
        label="监控数据截至月份",
        min_value=1,
        max_value=12,
        required=False,
        help_text="仅用于项目绩效监控表；不填则取该年度最近一轮。",
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(self.kinds.items())
        self.fields["unit"].queryset = visible_units(user).order_by("path")
        self.fields["unit"].label_from_instance = lambda unit: f"{unit.code} {unit.name}"
        self.fields["year"].initial = dt.date.today().year
