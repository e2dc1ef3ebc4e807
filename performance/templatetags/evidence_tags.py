"""``{% evidence_panel original %}``: the 佐证材料 panel of a monitoring report or self-evaluation."""

from django import template

from ..admin.evidence import document_panel

register = template.Library()


@register.inclusion_tag("admin/performance/includes/evidence_panel.html", takes_context=True)
def evidence_panel(context, document) -> dict:
    return {
        "evidence": document_panel(context["request"], document),
        "csrf_token": context.get("csrf_token"),
    }
