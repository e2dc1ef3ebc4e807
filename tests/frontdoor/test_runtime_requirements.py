"""``requirements.txt`` alone (what ``docker/Dockerfile`` installs) runs the production processes.

The dev venv also holds the test tools and what they pull in (pytest brings ``packaging``,
which kombu's Redis transport imports), so a runtime import missing from ``requirements.txt``
goes unnoticed there. This test hides every installed distribution that ``requirements.txt``
does not install, then loads what gunicorn, the worker and beat load (``.ci/runtime_imports.py``,
which ``.ci/run`` also runs in a venv built from ``requirements.txt`` alone).
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
# What `python -m venv` puts in every venv before requirements.txt is installed.
VENV_BASE = {"pip", "setuptools"}


def _requirements(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def installed_closure(path: Path) -> set[str]:
    """Every distribution pip installs for ``path``: its requirements, their extras, recursively."""
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(req.name, frozenset(req.extras)) for req in _requirements(path)]
    while pending:
        name, extras = pending.pop()
        if (canonicalize_name(name), extras) in seen:
            continue
        seen.add((canonicalize_name(name), extras))
        for spec in metadata.requires(name) or ():
            requirement = Requirement(spec)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in {"", *extras}):
                pending.append((requirement.name, frozenset(requirement.extras)))
    return {name for name, _ in seen}


def test_the_production_processes_load_with_only_what_requirements_txt_installs():
    allowed = installed_closure(ROOT / "requirements.txt") | VENV_BASE

    result = subprocess.run(
        [sys.executable, ".ci/runtime_imports.py", "--only", ",".join(sorted(allowed))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "runtime imports ok" in result.stdout


def test_a_distribution_requirements_txt_does_not_install_cannot_be_imported():
    """The hiding works: without celery in the list, the runtime cannot load."""
    allowed = installed_closure(ROOT / "requirements.txt") - {"celery"} | VENV_BASE

    result = subprocess.run(
        [sys.executable, ".ci/runtime_imports.py", "--only", ",".join(sorted(allowed))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "No module named 'celery'" in result.stderr
