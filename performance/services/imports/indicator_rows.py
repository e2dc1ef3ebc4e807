"""One rule for indicators whose key (一级, 二级, 三级) repeats — in a file or in a goal.

Published tables repeat a 三级 text under the same 二级 (two different measures both called
"培训人次"). For a key with ``f`` rows in the file and ``d`` indicators in the current goal:

- ``d = 0``: create all ``f`` in file order; rows 2..f get the warning ``repeated_indicator``;
- ``f = d = 1``: update that indicator;
- ``f = d > 1`` and the rows equal the indicators as a multiset of values: unchanged;
- anything else: the error ``ambiguous_indicator`` on each row of the key (which row updates
  which indicator cannot be known; the user edits the goal in the system).

Pure: the import's planner (both target layouts) applies it; the API's goal create keeps
repeated names and its quality review warns ``duplicate_indicator`` — the same answer.

:func:`blank_problems` is the other half of the parity: what makes a row an error in the
import (empty 三级 or 指标值) makes the API's goal create a 400 on that indicator's field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence

CREATE = "create"
CREATE_REPEATED = "create_repeated"
UPDATE = "update"
UNCHANGED = "unchanged"
AMBIGUOUS = "ambiguous"


def decide(file_values: Sequence[Hashable], goal_values: Sequence[Hashable]) -> str:
    """What to do with the ``f`` file rows of one key given the ``d`` indicators of the goal."""
    f, d = len(file_values), len(goal_values)
    if d == 0:
        return CREATE if f == 1 else CREATE_REPEATED
    if f == d == 1:
        return UPDATE
    if f == d and Counter(file_values) == Counter(goal_values):
        return UNCHANGED
    return AMBIGUOUS


def repeated_message(label: str, first_row: int) -> str:
    return f"与第{first_row}行的指标「{label}」相同，已按顺序分别保留；请确认是否重复填写。"


def ambiguous_message(label: str, in_goal: int, in_file: int) -> str:
    return (
        f"系统中已有 {in_goal} 条、文件中有 {in_file} 条相同的指标「{label}」，无法确定对应关系；"
        "请在系统中修改。"
    )


BLANK_MESSAGES = {
    "level3": "三级指标不能为空。",
    "raw_value": "指标值不能为空（如“≥90%”“及时”）。",
}


def blank_problems(item: Mapping) -> dict[str, str]:
    """{field: Chinese message} for the cells an indicator may not leave empty."""
    return {
        name: message
        for name, message in BLANK_MESSAGES.items()
        if not str(item.get(name) or "").strip()
    }
