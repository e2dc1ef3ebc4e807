"""The rules of the unit tree, as pure functions over codes (no database).

``unit_parent_refusal`` is the one place for which kind of unit may sit under which
(``Unit.clean`` and the unit import both ask it); ``check_tree`` checks a whole final tree —
the database overlaid with an import file — for cycles, missing parents, parents of the wrong
kind and active units under deactivated ones, and ``tree_paths`` computes every unit's
materialised path in memory (a move rewrites its subtree's paths set-based, not row by row).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .choices import Role, UnitKind

ALLOWED_PARENTS = {
    UnitKind.FINANCE: frozenset(),
    UnitKind.DEPARTMENT: frozenset({UnitKind.FINANCE}),
    UnitKind.UNIT: frozenset({UnitKind.DEPARTMENT, UnitKind.UNIT}),
}


def unit_parent_refusal(kind: str, parent_kind: str | None) -> str | None:
    """Why a unit of ``kind`` may not sit under a unit of ``parent_kind`` (None: no parent).

    An unknown kind is left to the field's own choices error."""
    if kind not in ALLOWED_PARENTS:
        return None
    if kind == UnitKind.FINANCE:
        return "财政局是最上级单位，不能有上级单位。" if parent_kind is not None else None
    if parent_kind is None:
        return "主管部门和预算单位必须指定上级单位。"
    if parent_kind not in ALLOWED_PARENTS.get(kind, frozenset()):
        return f"{UnitKind(kind).label}的上级不能是{UnitKind(parent_kind).label}。"
    return None


ROLE_UNIT_KINDS = {
    Role.FINANCE_REVIEWER: frozenset({UnitKind.FINANCE}),
    Role.DEPT_REVIEWER: frozenset({UnitKind.DEPARTMENT}),
    Role.FILLER: frozenset({UnitKind.UNIT, UnitKind.DEPARTMENT}),
    Role.UNIT_REVIEWER: frozenset({UnitKind.UNIT, UnitKind.DEPARTMENT}),
    Role.ADMIN: frozenset({UnitKind.FINANCE, UnitKind.DEPARTMENT, UnitKind.UNIT}),
}


def role_unit_refusal(role: str, unit_kind: str) -> str | None:
    """Why ``role`` may not be held on a unit of ``unit_kind`` (``Membership.clean`` and the
    people import ask it); an unknown role or kind is left to the field's own error."""
    if role not in ROLE_UNIT_KINDS or unit_kind not in ALLOWED_PARENTS:
        return None
    if unit_kind not in ROLE_UNIT_KINDS[role]:
        return f"“{Role(role).label}”不能设在{UnitKind(unit_kind).label}上。"
    return None


@dataclass(frozen=True)
class TreeNode:
    code: str
    kind: str
    parent: str | None  # the parent's code
    is_active: bool = True


@dataclass(frozen=True)
class TreeProblem:
    """One unit the final tree cannot hold: ``problem`` is a stable code, ``message`` Chinese."""

    code: str
    problem: str
    message: str


def check_tree(nodes: Mapping[str, TreeNode]) -> list[TreeProblem]:
    """Every problem of the tree ``nodes`` (by code), in code order.

    ``cycle``: the unit is its own ancestor; ``parent_missing``: the parent code names no unit;
    ``parent_kind``: see :func:`unit_parent_refusal`; ``parent_deactivated``: an active unit
    whose parent is inactive (it would vanish from every active subtree)."""
    problems: list[TreeProblem] = []
    in_cycle = _cycles(nodes)
    for code in sorted(nodes):
        node = nodes[code]
        if code in in_cycle:
            problems.append(
                TreeProblem(
                    code,
                    "cycle",
                    f"单位「{code}」的上级链条绕回了它自己（{in_cycle[code]}），上级单位不能是本单位"
                    "或其下级单位。",
                )
            )
            continue
        parent = nodes.get(node.parent) if node.parent is not None else None
        if node.parent is not None and parent is None:
            problems.append(
                TreeProblem(
                    code,
                    "parent_missing",
                    f"上级单位编码「{node.parent}」不存在（文件和系统中都没有）。",
                )
            )
            continue
        refusal = unit_parent_refusal(node.kind, parent.kind if parent else None)
        if refusal:
            problems.append(TreeProblem(code, "parent_kind", refusal))
            continue
        if parent is not None and node.is_active and not parent.is_active:
            problems.append(
                TreeProblem(
                    code,
                    "parent_deactivated",
                    f"上级单位「{parent.code}」将被停用（或已停用），其下级单位「{code}」不能保持启用。",
                )
            )
    return problems


def _cycles(nodes: Mapping[str, TreeNode]) -> dict[str, str]:
    """Codes on a cycle → the cycle written as ``A → B → A``."""
    state: dict[str, int] = {}  # 1: on the current walk, 2: known to reach a root
    found: dict[str, str] = {}
    for start in nodes:
        walk: list[str] = []
        code: str | None = start
        while code is not None and code in nodes and state.get(code) is None:
            state[code] = 1
            walk.append(code)
            code = nodes[code].parent
        if code is not None and state.get(code) == 1:
            loop = walk[walk.index(code) :]
            text = " → ".join([*loop, code])
            for member in loop:
                found[member] = text
        for member in walk:
            state[member] = 2
    return found


def tree_paths(nodes: Mapping[str, TreeNode]) -> dict[str, str]:
    """``/F/305/305004/`` for every node of a tree without cycles or missing parents."""
    paths: dict[str, str] = {}
    for start in nodes:
        chain: list[str] = []
        code: str | None = start
        while code is not None and code not in paths:
            chain.append(code)
            code = nodes[code].parent
        prefix = paths[code] if code is not None else "/"
        for member in reversed(chain):
            prefix = f"{prefix}{member}/"
            paths[member] = prefix
    return paths
