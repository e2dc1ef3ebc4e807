"""``{% todo_header_count %}`` for the header and ``{% todo_home %}`` for the admin's home page.

On the home page the header's count is taken from the home page's own statement (the header is
rendered first, so it runs it and keeps it on the request); elsewhere it is one ``COUNT(*)``.
"""

from __future__ import annotations

from django import template

from ..selectors.todo import TodoList, todo_count, todo_for

register = template.Library()

HOME_LINES_PER_GROUP = 10
HOME_VIEW = "admin:index"


def _home(request) -> TodoList:
    cached = getattr(request, "_todo_home", None)
    if cached is None:
        cached = request._todo_home = todo_for(request.user, per_group=HOME_LINES_PER_GROUP)
    return cached


@register.simple_tag(takes_context=True)
def todo_header_count(context) -> int:
    """Lines that ask the user to act; one query, once per request."""
    request = context.get("request")
    if request is None:
        return 0
    cached = getattr(request, "_todo_count", None)
    if cached is None:
        if getattr(request.resolver_match, "view_name", None) == HOME_VIEW:
            cached = _home(request).header_total
        else:
            cached = todo_count(request.user)
        request._todo_count = cached
    return cached


@register.simple_tag(takes_context=True)
def todo_home(context) -> TodoList:
    """The first lines of each group, with every group's count (one statement)."""
    request = context.get("request")
    if request is None:
        return todo_for(None)
    return _home(request)
