"""The README's API example runs on the demo: every id exists, ``$TOKEN`` is set before use."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[3] / "README.md"


def api_example() -> list[str]:
    """The commands of the first ``sh`` block under “## The API”, continuation lines joined."""
    section = README.read_text(encoding="utf-8").split("\n## The API\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.replace("\\\n", " ").splitlines() if line.strip()]
    return [line.strip() for line in lines if not line.lstrip().startswith("#")]


def curl_request(command: str) -> tuple[str, str, dict[str, str], dict[str, str]]:
    """(method, path, headers, form data) of the first ``curl`` in ``command``."""
    words = shlex.split(command.split("curl", 1)[1].split("|", 1)[0])
    method, path, headers, data = "GET", "", {}, {}
    words = iter(words)
    for word in words:
        if word == "-X":
            method = next(words)
        elif word == "-H":
            name, _, value = next(words).partition(": ")
            headers[name] = value
        elif word == "-d":
            key, _, value = next(words).partition("=")
            data[key] = value
            method = "POST" if method == "GET" else method
        elif word.startswith("localhost:8000"):
            path = word.removeprefix("localhost:8000")
    return method, path, headers, data


def test_readme_api_example_runs_on_the_demo(demo, client):
    commands = api_example()
    assert commands[0].startswith("TOKEN=$(curl"), "the example must set $TOKEN first"
    token = None
    replayed = 0
    for command in commands:
        method, path, headers, data = curl_request(command)
        assert path.startswith("/api/v1/"), command
        extra = {}
        if "Authorization" in headers:
            assert token is not None, f"$TOKEN used before it is set: {command}"
            extra["HTTP_AUTHORIZATION"] = headers["Authorization"].replace("$TOKEN", token)
        if method == "POST":
            response = client.post(path, data, **extra)
        else:
            response = client.generic(method, path, **extra)
        assert 200 <= response.status_code < 300, (command, response.status_code, response.content)
        if command.startswith("TOKEN="):
            token = response.json()["token"]
        elif method == "GET" and "results" in response.json():
            assert response.json()["results"], f"the demo has nothing for {command}"
        replayed += 1
    assert replayed >= 4
