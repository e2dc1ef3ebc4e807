"""Every test checks something: a test function that asserts nothing cannot land.

Each ``test*`` function (or ``test*`` method of a ``Test*`` class) in ``tests/**/test_*.py``
must, in its own body (nested functions included), do at least one of:

- an ``assert`` statement, or ``raise AssertionError``;
- call ``raises`` / ``warns`` / ``fail`` / ``deprecated_call`` (``pytest.raises(...)``…);
- call anything whose name contains ``assert`` (``django_assert_num_queries``,
  ``self.assertNumQueries``, ``mock.assert_called_once_with``, ``assert_no_update_lost``…);
- call a helper of the tests package that itself does one of these, directly or through
  further helpers: a function of the same module or imported from a module under ``tests/``
  (``from .import_helpers import …``, ``from tests.support.races import …``), or a method of a
  class defined under ``tests/`` (``self.text_in(…)``, ``validator.check_body(…)``).

Checked statically (``ast``): a test that asserts only under some condition still counts, so
this catches tests that cannot fail at all, not weak ones.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ASSERTING_CALLS = {"raises", "warns", "fail", "deprecated_call"}

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _asserts_directly(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Assert):
            return True
        if isinstance(child, ast.Raise) and child.exc is not None:
            exc = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
            if isinstance(exc, ast.Name) and exc.id == "AssertionError":
                return True
        if isinstance(child, ast.Call):
            func = child.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in ASSERTING_CALLS or "assert" in name.lower():
                return True
    return False


def _module_name(path: str) -> str:
    """``tests/support/races.py`` (or ``support/races.py`` under ``tests``) → ``tests.support.races``."""
    parts = list(Path(path).with_suffix("").parts)
    if parts[0] != "tests":
        parts.insert(0, "tests")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class Suite:
    """The functions of the tests package's modules and which of them assert."""

    def __init__(self, sources: dict[str, str]) -> None:
        self.trees = {
            _module_name(path): ast.parse(code, filename=path) for path, code in sources.items()
        }
        self.paths = {_module_name(path): path for path in sources}
        self.functions: dict[tuple[str, str], Function] = {}  # (module, name or Class.name)
        self.methods: dict[str, list[tuple[str, str]]] = {}  # method name → its keys
        self.imports: dict[str, dict[str, tuple[str, str | None]]] = {}
        for module, tree in self.trees.items():
            self.imports[module] = self._imports(module, tree)
            for node in tree.body:
                if isinstance(node, Function):
                    self.functions[(module, node.name)] = node
                elif isinstance(node, ast.ClassDef):
                    for item in node.body:
                        if isinstance(item, Function):
                            key = (module, f"{node.name}.{item.name}")
                            self.functions[key] = item
                            self.methods.setdefault(item.name, []).append(key)
        self.asserting = self._asserting()

    def _imports(self, module: str, tree: ast.Module) -> dict[str, tuple[str, str | None]]:
        """Local name → (tests module, function name or None for the module itself)."""
        found: dict[str, tuple[str, str | None]] = {}
        package = module.rsplit(".", 1)[0]
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    source = f"{base}.{node.module}" if node.module else base
                else:
                    source = node.module or ""
                for alias in node.names:
                    local = alias.asname or alias.name
                    if f"{source}.{alias.name}" in self.trees:
                        found[local] = (f"{source}.{alias.name}", None)
                    elif source in self.trees:
                        found[local] = (source, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in self.trees:
                        found[alias.asname or alias.name] = (alias.name, None)
        return found

    def callees(self, key: tuple[str, str]) -> set[tuple[str, str]]:
        """The tests-package functions that function ``key`` calls."""
        module, name = key
        owner = name.split(".")[0] if "." in name else None
        imports = self.imports[module]
        found: set[tuple[str, str]] = set()
        for call in ast.walk(self.functions[key]):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            if isinstance(func, ast.Name):
                if (module, func.id) in self.functions:
                    found.add((module, func.id))
                elif func.id in imports and imports[func.id][1] is not None:
                    found.add(imports[func.id])  # type: ignore[arg-type]
            elif isinstance(func, ast.Attribute):
                target = func.value
                if isinstance(target, ast.Name) and target.id in ("self", "cls") and owner:
                    found.add((module, f"{owner}.{func.attr}"))
                elif isinstance(target, ast.Name) and imports.get(target.id, ("", ""))[1] is None:
                    found.add((imports[target.id][0], func.attr))
                else:  # a method of a helper object (a validator, a browser…)
                    found.update(self.methods.get(func.attr, ()))
        return found & self.functions.keys()

    def _asserting(self) -> set[tuple[str, str]]:
        asserting = {key for key, node in self.functions.items() if _asserts_directly(node)}
        calls = {key: self.callees(key) for key in self.functions}
        changed = True
        while changed:  # a function calling an asserting function asserts too
            changed = False
            for key, called in calls.items():
                if key not in asserting and called & asserting:
                    asserting.add(key)
                    changed = True
        return asserting

    def tests(self, module: str) -> Iterator[tuple[tuple[str, str], Function]]:
        """Module-level ``test*`` functions and ``test*`` methods of ``Test*`` classes."""
        for node in self.trees[module].body:
            if isinstance(node, Function) and node.name.startswith("test"):
                yield (module, node.name), node
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                for item in node.body:
                    if isinstance(item, Function) and item.name.startswith("test"):
                        yield (module, f"{node.name}.{item.name}"), item

    def without_assertions(self) -> list[str]:
        """``path:line::name`` of every test function of the test modules asserting nothing."""
        offenders = []
        for module, path in self.paths.items():
            if not Path(path).name.startswith("test_"):
                continue
            for key, node in self.tests(module):
                if key not in self.asserting:
                    offenders.append(f"{path}:{node.lineno}::{key[1]}")
        return offenders


def find_tests_without_assertions(sources: dict[str, str]) -> list[str]:
    """Test functions asserting nothing among ``sources`` ({path under tests: code})."""
    return Suite(sources).without_assertions()


def _suite_sources() -> dict[str, str]:
    return {
        str(path.relative_to(TESTS.parent)): path.read_text(encoding="utf-8")
        for path in TESTS.rglob("*.py")
    }


def test_every_test_in_the_suite_asserts_something():
    sources = _suite_sources()
    assert sum(Path(p).name.startswith("test_") for p in sources) > 50  # it found the suite
    assert find_tests_without_assertions(sources) == []


HELPERS = """
def check_status(response, status):
    assert response.status_code == status, response.content

def post(client, url):
    response = client.post(url)
    check_status(response, 200)
    return response
"""
EXAMPLE = """
import pytest

from .helpers import check_status
from tests import helpers


def helper_that_checks(value):
    assert value


def helper_that_delegates(value):
    helper_that_checks(value)


def post(client, url):  # the same name as the asserting helper, in this module: asserts nothing
    return client.post(url)


def test_asserts():
    assert 1 + 1 == 2


def test_raises():
    with pytest.raises(ValueError):
        int("x")


def test_counts_queries(django_assert_num_queries):
    with django_assert_num_queries(1):
        pass


def test_through_a_helper():
    helper_that_delegates(3)


def test_through_an_imported_helper(client):
    check_status(client.get("/"), 200)


def test_through_a_helper_module(client):
    helpers.post(client, "/")


def test_calls_a_mock(mocked):
    mocked.assert_called_once_with(1)


def test_only_posts(client):
    post(client, "/")


class TestGroup:
    def check(self, value):
        assert value

    def test_method_without_assertion(self):
        print("nothing checked")

    def test_method_through_its_class(self):
        self.check(1)

    def test_method_with_unittest_assertion(self):
        self.assertEqual(1, 1)
"""


def test_a_test_without_an_assertion_is_found():
    found = find_tests_without_assertions(
        {"tests/helpers.py": HELPERS, "tests/test_example.py": EXAMPLE}
    )
    lines = EXAMPLE.splitlines()
    first = lines.index("def test_only_posts(client):") + 1
    second = lines.index("    def test_method_without_assertion(self):") + 1
    assert found == [
        f"tests/test_example.py:{first}::test_only_posts",
        f"tests/test_example.py:{second}::TestGroup.test_method_without_assertion",
    ]
