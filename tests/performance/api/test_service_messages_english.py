"""The services' business-rule messages answer in English with ``Accept-Language: en``.

The catalog (``locale/en``) must hold every message these services raise or return, and a
message must go through ``gettext`` to be looked up at all: a new bare Chinese literal in a
refusal, or a new ``gettext`` message without an English entry, fails here.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from performance.models import Rectification, SpotCheck
from performance.services import rectifications as rs
from projects.models import Unit

ROOT = Path(__file__).resolve().parents[3]
MODULES = [
    "performance/services/library.py",
    "performance/services/spot_checks.py",
    "performance/services/rectifications.py",
    "performance/services/publication.py",
    "performance/services/attachments.py",
    "projects/services/units.py",
    "projects/services/people.py",
    "projects/services/invitations.py",
    "projects/services/execution.py",
]
CJK = re.compile(r"[\u4e00-\u9fff]")
TRANSLATORS = {"gettext", "gettext_lazy", "_"}
# Calls whose arguments are messages for the user (a refusal, or an import plan's problem).
REFUSALS = {"ValidationError", "PermissionDenied", "refuse", "problem", "Refused"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _has_chinese(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(CJK.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_has_chinese(part) for part in node.values)
    return False


def _untranslated(node: ast.AST) -> list[int]:
    """Lines of Chinese literals under ``node`` that no ``gettext`` call wraps."""
    if isinstance(node, ast.Call) and _name(node.func) in TRANSLATORS:
        return []
    if _has_chinese(node):
        return [node.lineno]
    return [line for child in ast.iter_child_nodes(node) for line in _untranslated(child)]


def _messages(tree: ast.AST) -> tuple[set[str], list[int]]:
    """(msgids passed to ``gettext``, lines of Chinese refusals not passed to it)."""
    msgids: set[str] = set()
    bare: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in TRANSLATORS:
            argument = node.args[0] if node.args else None
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                msgids.add(argument.value)
        elif isinstance(node, ast.Call) and _name(node.func) in REFUSALS:
            bare += _untranslated(node)
        elif isinstance(node, ast.Raise) and node.exc is not None:
            bare += _untranslated(node.exc)
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Subscript) and _name(target.value) == "errors"
            for target in node.targets
        ):
            bare += _untranslated(node.value)
        elif (
            isinstance(node, ast.Call)
            and _name(node.func) == "setdefault"
            and _name(getattr(node.func, "value", None)) == "errors"
        ):
            bare += _untranslated(node)
    return msgids, sorted(set(bare))


@pytest.fixture
def unit027(demo):
    return Unit.objects.get(code="027001")


@pytest.mark.parametrize("module", MODULES)
def test_every_service_message_has_an_english_translation(module):
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    msgids, bare = _messages(tree)
    assert not bare, f"{module}: Chinese messages not wrapped in gettext at lines {bare}"
    with translation.override("en"):
        missing = sorted(m for m in msgids if CJK.search(m) and translation.gettext(m) == m)
    assert not missing, f"{module}: no English entry in locale/en for {missing}"


def test_the_guard_sees_a_bare_refusal_and_a_missing_entry():
    """The scan above is not vacuous: a bare literal and an unknown msgid are both caught."""
    source = (
        "def f(errors):\n"
        '    errors["x"] = "新的错误。"\n'
        '    raise PermissionDenied(f"不能{x}。")\n'
        '    return gettext("一条还没有翻译的新消息。")\n'
    )
    msgids, bare = _messages(ast.parse(source))
    assert bare == [2, 3]
    with translation.override("en"):
        assert translation.gettext(msgids.pop()) == "一条还没有翻译的新消息。"


def test_spot_check_draw_errors_in_english(api, finance_reviewer):
    response = api(finance_reviewer, HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/spot-checks/draw/", {"year": 2023, "method": "random"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "count": ["A random draw needs a sample size or a sampling rate."]
    }
    response = api(finance_reviewer, HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/spot-checks/draw/",
        {"year": 2023, "method": "random", "count": 1, "rate": "5"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "count": ["Give either a sample size or a sampling rate, not both."]
    }
    assert SpotCheck.objects.count() == 0


def test_rectification_refusals_in_english_and_chinese(dept_reviewer, unit027):
    past = timezone.localdate() - dt.timedelta(days=1)
    for language, expected in (
        ("en", {"problem": ["Describe the problem."]}),
        ("zh-hans", {"problem": ["请填写存在问题。"]}),
    ):
        with translation.override(language), pytest.raises(ValidationError) as error:
            rs.rectification_raise(
                actor=dept_reviewer, unit=unit027, year=2023, problem=" ", deadline=past
            )
        assert error.value.message_dict["problem"] == expected["problem"]
    with translation.override("en"), pytest.raises(ValidationError) as error:
        rs.rectification_raise(
            actor=dept_reviewer, unit=unit027, year=2023, problem="问题", deadline=past
        )
    assert error.value.message_dict == {
        "deadline": ["The rectification deadline cannot be earlier than today."]
    }
    assert not Rectification.objects.exists()
