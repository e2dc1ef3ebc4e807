"""The review workflow of every reviewed document (goals, monitoring reports, self-evaluations;
next spot checks and rectifications).

- ``table``        the one table: each kind of document (:data:`DOCUMENTS`), its transitions
                   and who may take them (:data:`TRANSITIONS`), when it may be edited
                   (:func:`ensure_editable`, :func:`require_edit`) and what a user may do with
                   it now (:func:`allowed_actions`)
- ``transitions``  the services that move a document: :func:`submit`, :func:`approve`,
                   :func:`return_`, and :func:`goal_adjust` (a new version of an approved goal)
- ``bulk``         :func:`review_many`: approve or return many documents, each item through
                   its own single transition

Import from here (``from performance.services import workflow``); the version reads of goals
(``goal_versions``, ``goal_diff``, ``same_scope``) are part of this interface, as the admin's
version history shows them beside the buttons.
"""

from ...selectors.versions import INDICATOR_DIFF_FIELDS, goal_diff, goal_versions, same_scope
from .bulk import BULK_ACTIONS, BulkFailure, BulkItem, BulkResult, bulk_review_max, review_many
from .table import (
    ACTION_LABELS,
    ACTIONS,
    ADJUST,
    ALWAYS,
    APPROVE,
    DOCUMENTS,
    EDIT,
    GOAL_ADJUST,
    LIBRARY_REVIEW,
    RETIRE,
    RETURN,
    REVIEW,
    REVISE,
    SUBMIT,
    TRANSITIONS,
    WITH_UNIT_REVIEW,
    WITHOUT_UNIT_REVIEW,
    DocumentKind,
    Transition,
    allowed_actions,
    ensure_editable,
    kind_of,
    require_edit,
    row_roles,
    transition_for,
    transitions_of,
)
from .transitions import (
    COPIED_INDICATOR_FIELDS,
    REJECTING_GRADES,
    approve,
    begin,
    goal_adjust,
    retire,
    return_,
    submit,
)

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "ADJUST",
    "ALWAYS",
    "APPROVE",
    "BULK_ACTIONS",
    "COPIED_INDICATOR_FIELDS",
    "DOCUMENTS",
    "EDIT",
    "GOAL_ADJUST",
    "INDICATOR_DIFF_FIELDS",
    "LIBRARY_REVIEW",
    "REJECTING_GRADES",
    "RETIRE",
    "RETURN",
    "REVIEW",
    "REVISE",
    "SUBMIT",
    "TRANSITIONS",
    "WITHOUT_UNIT_REVIEW",
    "WITH_UNIT_REVIEW",
    "BulkFailure",
    "BulkItem",
    "BulkResult",
    "DocumentKind",
    "Transition",
    "allowed_actions",
    "approve",
    "begin",
    "bulk_review_max",
    "ensure_editable",
    "goal_adjust",
    "goal_diff",
    "goal_versions",
    "kind_of",
    "require_edit",
    "retire",
    "return_",
    "review_many",
    "row_roles",
    "same_scope",
    "submit",
    "transition_for",
    "transitions_of",
]
