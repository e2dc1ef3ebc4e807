"""Every database has a default scoring scheme: units without an assignment (on themselves or
an ancestor) are scored with it, and without one they cannot be monitored, evaluated or
summarised (``performance.selectors.schemes`` refuses with ``no_scheme``)."""

from decimal import Decimal

from django.db import migrations

# The national scheme (财政部项目支出绩效自评通用口径), as ``performance.demo`` loads it.
NATIONAL = {
    "code": "national",
    "name": "全国通用（执行率10 产出50 效益30 满意度10）",
    "description": "财政部项目支出绩效自评通用口径：成本指标计入产出指标。",
    "execution_weight": Decimal("10"),
    "weight_output": Decimal("50"),
    "weight_benefit": Decimal("30"),
    "weight_satisfaction": Decimal("10"),
    "cost_required": False,
}


def ensure_default_scheme(apps, schema_editor):
    """With no default: make the national scheme the default, creating it if it is missing."""
    ScoringScheme = apps.get_model("performance", "ScoringScheme")
    if ScoringScheme.objects.filter(is_default=True).exists():
        return
    fields = {key: value for key, value in NATIONAL.items() if key != "code"}
    ScoringScheme.objects.get_or_create(code=NATIONAL["code"], defaults=fields)
    ScoringScheme.objects.filter(code=NATIONAL["code"]).update(is_default=True)


class Migration(migrations.Migration):
    dependencies = [
        ("performance", "0011_scheme_assignment_from_year"),
    ]

    operations = [
        migrations.RunPython(ensure_default_scheme, migrations.RunPython.noop, elidable=False),
    ]
