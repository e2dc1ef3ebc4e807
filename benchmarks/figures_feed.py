"""A year's goals out of the API: the figures feed vs paging the goals list to the end.

    python -m benchmarks.figures_feed [--projects 100000] [--repeat 3]

As a 财政审核人 of the synthetic province (``benchmarks.generate``: one goal per project, 15
indicators each), every goal of the year with its indicators and tasks is read through the whole
API stack (token authentication, scoping, rendering):

- the project's path: ``GET /api/v1/exports/figures/?year=Y&section=goals`` (NDJSON), in a fresh
  subprocess, the streamed body read chunk by chunk and dropped (as a client writing it to a
  file would); on PostgreSQL the feed is one ``COPY`` per chunk of units;
- the baseline: ``GET /api/v1/goals/?year=Y&page_size=200`` in this process, following the
  cursor to the last page (the served API's steady state: one warm-up pass first).

Same result: every goal's JSON object, as the feed and as the list pages deliver it, is hashed
(``Digest``: order-free, constant memory); the two digests and the goal ids must be equal, on
every run; the check's own time is left out of the feed's. Memory: the
feed process's peak resident set (``VmHWM``) minus its resident set just before the request,
after Django is set up. Rounds interleaved and rotated as ``measure.py`` describes. Targets
(issue 18): the feed ≥ 20× faster than paging, peak memory growth ≤ 100 MB. The ratio line is
printed last.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import setup_django
from .export_memory import _reset_peak, _status
from .measure import describe, median, ratio_range, rounds

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = 200


class Digest:
    """An order-free digest of goals in constant memory: the sum, modulo 2**256, of the sha256
    of each goal's canonical JSON (sorted keys), and the set of ids seen — the feed sends goals
    by unit code, the list by id, and holding the goals to sort them would be the memory the
    feed is measured for."""

    def __init__(self) -> None:
        self.total = 0
        self.goals: set[int] = set()

    def add(self, goal: dict) -> None:
        line = json.dumps(goal, sort_keys=True, ensure_ascii=False).encode()
        self.total = (self.total + int.from_bytes(hashlib.sha256(line).digest())) % 2**256
        self.goals.add(goal["id"])

    def hexdigest(self) -> str:
        return f"{self.total:064x}:{len(self.goals)}"


def bench_token() -> str:
    from .api_pagination import bench_user

    return bench_user()[1]


def child(year: int, check: bool) -> None:
    """One feed request in this process; prints its figures as JSON."""
    setup_django()
    import orjson
    from rest_framework.test import APIRequestFactory

    from performance.api.views.feeds import FiguresFeedView

    token = bench_token()
    view = FiguresFeedView.as_view()
    factory = APIRequestFactory()
    query = f"/api/v1/exports/figures/?year={year}&section=goals"
    view(factory.get(query + "&unit=0", HTTP_AUTHORIZATION=f"Token {token}")).close()  # imports
    _reset_peak()
    before = _status("VmRSS")
    started = time.perf_counter()
    response = view(factory.get(query, HTTP_AUTHORIZATION=f"Token {token}"))
    size, tail, ended, checking = 0, b"", False, 0.0
    digest = Digest() if check else None
    for chunk in response.streaming_content:
        size += len(chunk)
        if digest is None:
            tail = (tail + chunk)[-200:]
            continue
        checked = time.perf_counter()  # the check's own time is not the feed's
        *complete, tail = (tail + chunk).split(b"\n")
        for line in complete:
            record = orjson.loads(line)
            if "type" not in record:
                digest.add(record)
            ended = ended or record.get("type") == "end"
        checking += time.perf_counter() - checked
    response.close()
    elapsed = time.perf_counter() - started - checking
    if digest is None:
        ended = b'"type":"end"' in tail
    growth = _status("VmHWM") - before
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "bytes": size,
                "peak_growth": growth,
                "goals": len(digest.goals) if digest else None,
                "digest": digest.hexdigest() if digest else None,
                "ended": ended,
            }
        )
    )


def run_feed(year: int, check: bool) -> dict:
    command = [sys.executable, "-m", "benchmarks.figures_feed", "--child", "--year", str(year)]
    if check:
        command.append("--check")
    result = subprocess.run(
        command, cwd=ROOT, env=os.environ, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(result.strip().splitlines()[-1])


def run_paging(view, token: str, year: int) -> tuple[float, Digest]:
    """Every page of the goals list, following ``next``; (seconds, digest of what came)."""
    from urllib.parse import urlparse

    import orjson
    from rest_framework.test import APIRequestFactory

    factory = APIRequestFactory()
    url = f"/api/v1/goals/?year={year}&page_size={PAGE_SIZE}"
    bodies = []
    started = time.perf_counter()
    while url:
        response = view(factory.get(url, HTTP_AUTHORIZATION=f"Token {token}"))
        response.render()
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code} {response.content[:300]!r}")
        bodies.append(response.content)
        following = response.data["next"]
        url = None
        if following:
            parsed = urlparse(following)
            url = f"{parsed.path}?{parsed.query}"
    elapsed = time.perf_counter() - started
    digest = Digest()
    for body in bodies:
        for goal in orjson.loads(body)["results"]:
            digest.add(goal)
    return elapsed, digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--year", type=int, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.year, args.check)
        return
    setup_django()
    from django.db import connection

    from config.gc_tuning import tune_for_serving
    from performance.api.views.goals import GoalViewSet
    from performance.models import Indicator
    from performance.selectors.scoping import goals_for

    from .generate import YEAR
    from .recompute import scope_units

    year = args.year or YEAR
    scope_units(args.projects)
    token = bench_token()
    from rest_framework.authtoken.models import Token

    user = Token.objects.get(key=token).user
    goals = goals_for(user).filter(year=year)
    total = goals.count()
    indicators = Indicator.objects.filter(goal__in=goals.values("pk")).count()
    print(
        f"goals of {year} as a 财政审核人: {total} goals, {indicators} indicators"
        f" ({connection.vendor}); list pages of {PAGE_SIZE}",
        flush=True,
    )
    view = GoalViewSet.as_view({"get": "list"})
    tune_for_serving()  # as config/wsgi.py serves the API
    _, reference = run_paging(view, token, year)  # warm-up, and the result to compare with
    expected = reference.hexdigest()
    times: dict[str, list[float]] = {"feed": [], "paging": []}
    growth: list[float] = []
    differing = 0
    for round_index, label in rounds(list(times), args.repeat):
        if label == "feed":
            result = run_feed(year, check=True)
            times["feed"].append(result["seconds"])
            growth.append(result["peak_growth"])
            differing += result["digest"] != expected or not result["ended"]
            print(
                f"  round {round_index + 1} feed    {result['seconds']:.2f} s,"
                f" {result['bytes'] / 1e6:.1f} MB, peak growth"
                f" {result['peak_growth'] / 2**20:.1f} MB, {result['goals']} goals",
                flush=True,
            )
        else:
            elapsed, digest = run_paging(view, token, year)
            times["paging"].append(elapsed)
            differing += digest.hexdigest() != expected
            print(
                f"  round {round_index + 1} paging  {elapsed:.2f} s, {len(digest.goals)} goals",
                flush=True,
            )
    print(f"feed   {describe(times['feed'])}", flush=True)
    print(f"paging {describe(times['paging'])}", flush=True)
    print(f"feed peak memory growth {describe(growth, unit='MB', scale=1 / 2**20)}", flush=True)
    same = differing == 0 and len(reference.goals) == total
    speedup = median(times["paging"]) / median(times["feed"])
    peak = max(growth) / 2**20
    met = same and speedup >= 20 and peak <= 100
    print(
        f"RESULT figures_feed: {total} goals with {indicators} indicators, feed"
        f" {median(times['feed']):.2f} s vs paging the goals list {median(times['paging']):.2f} s"
        f" = {ratio_range(times['paging'], times['feed'])} faster (target ≥ 20×); peak memory"
        f" growth {peak:.1f} MB (target ≤ 100 MB); same goals, every value, every run:"
        f" {'yes' if same else 'NO'} → {'met' if met else 'NOT met'}",
        flush=True,
    )


if __name__ == "__main__":
    main()
