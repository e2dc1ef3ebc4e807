"""Which fields of a goal and its indicators a unit fills, and which the 指标值 parser computes.

The goal and indicator services save exactly these, the API's serializers offer them, a new
version copies them, the import writes them and the version diff compares them.
"""

GOAL_FIELDS = (
    "overall_goal",
    "midterm_goal",
    "adjustment_reason",
    "budget_total",
    "budget_government",
    "budget_fiscal_special",
    "budget_unit_funds",
    "budget_basic",
    "budget_project",
)


INDICATOR_FIELDS = ("level1", "level2", "level3", "raw_value", "weight", "explanation", "order")


PARSED_FIELDS = (
    "category",
    "operator",
    "target_value",
    "target_unit",
    "kind",
    "direction",
    "relative_to",
    "findings",
)
