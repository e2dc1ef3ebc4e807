"""``{% importable_kinds as kinds %}``: the import kinds the user may import (the home page's
数据导入 links)."""

from __future__ import annotations

from django import template

from ..services.imports import importable_kinds as kinds_for

register = template.Library()


@register.simple_tag(takes_context=True)
def importable_kinds(context) -> list:
    """The registered kinds the signed-in user may import (empty for anyone else)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return kinds_for(request.user)
