"""``{% todo_count %}`` for the header and ``{% todo_home %}`` for the admin's home page."""

from __future__ import annotations

from django import template

from ..selectors.todo import TodoList, todo_count, todo_for

register = template.Library()

HOME_LINES_PER_GROUP = 10


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None), request


@register.simple_tag(takes_context=True)
def todo_header_count(context) -> int:
    """Lines that ask the user to act; one query, once per request."""
    user, request = _user(context)
    if request is None:
        return 0
    cached = getattr(request, "_todo_count", None)
    if cached is None:
        cached = request._todo_count = todo_count(user)
    return cached


@register.simple_tag(takes_context=True)
def todo_home(context) -> TodoList:
    """The first lines of each group, with every group's count (one statement)."""
    user, request = _user(context)
    todo = todo_for(user, per_group=HOME_LINES_PER_GROUP)
    if request is not None:
        request._todo_count = todo.header_total
    return todo
