"""``{% unread_notifications %}``: the unread count beside the admin's user links."""

from django import template

from ..services.notifications import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    return unread_count(getattr(request, "user", None))
