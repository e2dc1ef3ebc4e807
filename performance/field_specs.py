"""One field spec per fillable document: which fields the unit fills, which the engine (or the
指标值 parser) computes, and which are fixed or belong to the review.

| document          | spec                | its rows                                    |
| ----------------- | ------------------- | ------------------------------------------- |
| 绩效目标           | :data:`GOAL`        | ``indicator`` (:data:`INDICATOR`), ``task`` (:data:`TASK`) |
| 项目绩效监控表      | :data:`MONITORING_REPORT` | ``entries`` (:data:`MONITORING_ENTRY`)  |
| 绩效自评           | :data:`SELF_EVALUATION` | ``scores`` (:data:`INDICATOR_SCORE`)     |

Read by all who touch these fields, so they cannot disagree:

- the services accept exactly ``filled`` (refusing anything else), save ``filled`` and
  ``computed``, and audit them (``services.goals``, ``services.filling``);
- the engine's row functions write ``computed`` (``services.derived_figures``);
- the API's input serializers are generated from ``filled`` (``input_names``), its read
  serializers show every field of the spec;
- the admin's forms edit ``filled`` and show the rest read-only (``admin.documents``);
- a new goal version copies ``GOAL_FIELDS`` and the indicators' filled and parsed fields; the
  import writes them; the version diff compares them.

``tests/performance/test_field_specs.py`` checks that every name is a field of the model, that
the kinds do not overlap, and that the serializers and the admin show what the spec says.
Plain names only: no Django import, so any layer may read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# The review columns of ``models.review.ReviewedDocument``: set by the workflow (and the lock),
# read-only everywhere.
REVIEW_COLUMNS = ("status", "last_comment", "submitted_at", "step_entered_at", "lock_version")
# Who created a document and when it was created and last saved: kept by the model and the
# services, shown where useful, never filled.
BOOKKEEPING = ("created_by", "created_at", "updated_at")


@dataclass(frozen=True)
class RowSpec:
    """The rows of a document (one per indicator, or per task).

    ``name`` is their key in input and field errors (``entries[0].value_raw``) and in the audit
    (``entries[12].light``); ``parent`` the foreign key to the document; ``fixed`` what else a
    row is about (its indicator); ``typed`` the filled fields read against the indicator's
    target (a value typed by a person: refused when it cannot be read); ``reserved`` fields
    nobody writes yet (carried over to a new version); ``groups`` fields the unit fills only
    together, under one input name (an indicator's period plan, ``period_targets``): the
    service and the API take the group, the row's own page edits its fields, a new version
    copies them.
    """

    name: str
    parent: str
    filled: tuple[str, ...]
    computed: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    typed: tuple[str, ...] = ()
    reserved: tuple[str, ...] = ()
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def grouped(self) -> tuple[str, ...]:
        """The fields of every group, in order."""
        return tuple(name for fields in self.groups.values() for name in fields)

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field the spec names (the parent link aside)."""
        return (*self.fixed, *self.filled, *self.grouped, *self.computed, *self.reserved)


@dataclass(frozen=True)
class DocumentSpec:
    """What a document is made of, by who writes each field.

    ``fixed``: what it is about, set when it is created (the project, the round, the unit);
    ``filled``: what the unit fills; ``computed``: what the engine computes from them;
    ``review``: the review columns (:data:`REVIEW_COLUMNS` and the document's own; the
    :data:`BOOKKEEPING` columns are in no spec);
    ``aliases``: input names the API takes for a filled field.
    """

    fixed: tuple[str, ...]
    filled: tuple[str, ...]
    computed: tuple[str, ...]
    review: tuple[str, ...]
    rows: tuple[RowSpec, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def row(self) -> RowSpec:
        """The one kind of row of a document filled row by row (entries, scores)."""
        (only,) = self.rows
        return only

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field of the document the spec names."""
        return (*self.fixed, *self.filled, *self.computed, *self.review)

    @property
    def read_only(self) -> tuple[str, ...]:
        """What nobody edits in a form: fixed, computed and review fields."""
        return (*self.fixed, *self.computed, *self.review)

    @property
    def input_names(self) -> tuple[str, ...]:
        """``filled`` as the API names them (an alias replaces its field)."""
        names = {target: alias for alias, target in self.aliases.items()}
        return tuple(names.get(name, name) for name in self.filled)

    def field_of(self, key: str) -> str | None:
        """The filled field an input ``key`` (a field name or an alias) writes, else ``None``."""
        name = self.aliases.get(key, key)
        return name if name in self.filled else None


# --- goals -------------------------------------------------------------------------------

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
TASK_FIELDS = ("name", "content", "order")
# An indicator's interim (period) targets: one plan, validated as a whole.
PERIOD_FIELDS = (
    "period_kind",
    "period_mode",
    "period_target_1",
    "period_target_2",
    "period_target_3",
    "period_target_4",
)

INDICATOR = RowSpec(
    name="indicator",
    parent="goal",
    filled=INDICATOR_FIELDS,
    computed=PARSED_FIELDS,  # by the 指标值 parser
    # set by the indicator library's services only: the version picked and its lineage code
    reserved=("library_code", "library_entry"),
    groups=MappingProxyType({"period_targets": PERIOD_FIELDS}),
)
TASK = RowSpec(name="task", parent="goal", filled=TASK_FIELDS)
GOAL = DocumentSpec(
    # scope, subject and year; the version and its predecessor are set by an adjustment
    fixed=("scope", "project", "unit", "year", "version", "previous"),
    filled=GOAL_FIELDS,
    computed=("quality_findings", "quality_checked_at"),  # 智能审核
    review=(*REVIEW_COLUMNS, "quality_grade", "approved_at"),
    rows=(INDICATOR, TASK),
)


# --- monitoring --------------------------------------------------------------------------

MONITORING_ENTRY = RowSpec(
    name="entries",
    parent="report",
    fixed=("indicator",),
    filled=(
        "value_raw",
        "forecast_raw",
        "band",
        "deviation_cause",
        "deviation_note",
        "likelihood",
        "measures",
    ),
    computed=(
        "value",
        "forecast_value",
        "light",
        "findings",
        "expected_value",
        "expected_basis",
        "expected_period",
    ),
    typed=("value_raw", "forecast_raw"),
)
MONITORING_REPORT = DocumentSpec(
    fixed=("round", "project", "goal", "unit"),
    filled=("forecast_executed", "summary"),
    computed=("budget", "executed", "execution_rate", "time_progress", "budget_light", "light"),
    review=(*REVIEW_COLUMNS, "computed_at"),
    rows=(MONITORING_ENTRY,),
)


# --- self-evaluation ---------------------------------------------------------------------

INDICATOR_SCORE = RowSpec(
    name="scores",
    parent="evaluation",
    fixed=("indicator",),
    filled=(
        "actual_raw",
        "band",
        "band_score",
        "override_score",
        "override_reason",
        "deviation_reason",
    ),
    computed=("actual_value", "computed_score", "final_score", "over_achieved", "notes"),
    typed=("actual_raw",),
)
SELF_EVALUATION = DocumentSpec(
    fixed=("scope", "project", "unit", "year", "goal", "scheme"),
    # deviation_declared: the unit's own finding that there is a deviation (the API's
    # ``has_deviation``); has_deviation is also computed when any indicator falls short.
    filled=("deviation_analysis", "measures", "deviation_declared"),
    computed=(
        "budget",
        "executed",
        "execution_rate",
        "execution_score",
        "category_rates",
        "total_score",
        "grade",
        "has_deviation",
    ),
    review=(*REVIEW_COLUMNS, "computed_at"),
    rows=(INDICATOR_SCORE,),
    aliases=MappingProxyType({"has_deviation": "deviation_declared"}),
)


# --- the indicator library (指标库) -----------------------------------------------------------

LIBRARY_ENTRY = DocumentSpec(
    # the code and version are issued by the service; the owner and 共性/个性 chosen on creation
    fixed=("code", "version", "previous", "unit", "is_common"),
    filled=(
        "level1",
        "level2",
        "level3",
        "nature",
        "measure_unit",
        "reference_value",
        "reference_weight",
        "explanation",
        "basis",
        "scoring_standard",
        "goal_scope",
        "project_categories",
        "function_class",
        "is_required",
    ),
    # derived by the service (category and direction from 一级 and 指标性质), set on 财政批复
    computed=("category", "direction", "search_text", "frozen_at"),
    review=(*REVIEW_COLUMNS, "retire_reason"),
)


# --- 整改 (rectification) ---------------------------------------------------------------------

RECTIFICATION = DocumentSpec(
    # set when the task is raised (by the system or a reviewer)
    fixed=(
        "unit",
        "year",
        "project",
        "cause",
        "report",
        "evaluation",
        "spot_check",
        "review_by",
        "problem",
        "raised_by",
        "raised_at",
    ),
    # the unit's answer
    filled=("measures", "result"),
    computed=(),
    # the 验收方 may change the requirement and the deadline while the task is open; 销号 sets
    # closed_at
    review=(*REVIEW_COLUMNS, "requirement", "deadline", "closed_at"),
)
