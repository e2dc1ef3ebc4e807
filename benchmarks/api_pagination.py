"""API list of goals with nested indicators, 50 per page, deep in 1.5 million indicator rows.

    python -m benchmarks.api_pagination [--projects 100000] [--repeat 15] [--profile]

As a 财政审核人 of the synthetic province (``benchmarks.generate``: 100,000 project goals,
15 indicators each), ``GET /api/v1/goals/?page_size=50`` is requested through the whole API
stack (token authentication, scoping, filters, serializer, JSON rendering) in this process:

- the project's path: the API's cursor pagination (``LargeListCursorPagination``, ordered by
  the primary key); the deep page is reached with the cursor a client gets from the page
  before it (built here from that page's last id, as the ``next`` link encodes it);
- the baseline: the same view, queryset and serializer with DRF's ``PageNumberPagination``
  (a ``COUNT`` of the list, then ``OFFSET``): ``?page=N``.

First page and a page 95 % of the way through the list: after one warm-up request each (the
served API's steady state), ``--repeat`` rounds in which the four take turns in an order
rotated every round; the median, fastest and slowest request and the spread of each. Every
response of both paginations must carry the same goals with the same indicators and tasks,
field for field. Targets (issue 8): the cursor ≥ 10× faster than page numbers deep in the
list; the cursor's first and deep pages within 1.5× of each other. The ratio line is printed
last.
"""

from __future__ import annotations

import argparse
import time

from . import setup_django
from .measure import describe, median, ratio_range, rounds

PAGE_SIZE = 50
DEPTH = 0.95


def bench_user():
    """A 财政审核人 of the synthetic finance bureau, with an API token."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from projects.choices import Role
    from projects.models import Membership, Unit

    from .generate import PREFIX

    user, _ = get_user_model().objects.get_or_create(username="bench_finance")
    Membership.objects.get_or_create(
        user=user, unit=Unit.objects.get(code=PREFIX), role=Role.FINANCE_REVIEWER
    )
    return user, Token.objects.get_or_create(user=user)[0].key


def views():
    from rest_framework.pagination import PageNumberPagination

    from performance.api.views.goals import GoalViewSet

    class CountedPages(PageNumberPagination):
        page_size = PAGE_SIZE
        page_size_query_param = "page_size"
        max_page_size = 200

    class PageNumberGoalViewSet(GoalViewSet):
        pagination_class = CountedPages

    return (
        GoalViewSet.as_view({"get": "list"}),
        PageNumberGoalViewSet.as_view({"get": "list"}),
    )


def request(view, token: str, query: str) -> tuple[float, dict]:
    from rest_framework.test import APIRequestFactory

    factory = APIRequestFactory()
    http = factory.get(f"/api/v1/goals/?{query}", HTTP_AUTHORIZATION=f"Token {token}")
    started = time.perf_counter()
    response = view(http)
    response.render()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{query}: HTTP {response.status_code} {response.content[:300]!r}")
    return elapsed, response.data


def profile(run, times: int = 20) -> None:
    """``run()`` ``times`` times under pyinstrument; the call tree, frames under 1 % hidden."""
    from pyinstrument import Profiler

    with Profiler(interval=0.0005) as profiler:
        for _ in range(times):
            run()
    print(profiler.output_text(unicode=True, color=False, show_all=False), flush=True)


def cursor_after(goal_id: int) -> str:
    """The cursor of the page that starts after ``goal_id`` (what that page's ``next`` holds)."""
    from urllib.parse import parse_qs, urlparse

    from rest_framework.pagination import Cursor

    from performance.api.pagination import LargeListCursorPagination

    paginator = LargeListCursorPagination()
    paginator.base_url = "http://bench/api/v1/goals/"
    link = paginator.encode_cursor(Cursor(offset=0, reverse=False, position=str(goal_id)))
    return parse_qs(urlparse(link).query)["cursor"][0]


def timed(
    variants: dict[str, tuple], token: str, repeat: int
) -> tuple[dict[str, list[float]], dict[str, list], int]:
    """(seconds of every request per variant, the page each variant returned — its goals with
    their indicators and tasks, as serialized —, how many later responses differed from it).
    After one warm-up request each, the variants take turns, in an order rotated every round,
    so a busy moment of the machine falls on all of them alike."""
    times: dict[str, list[float]] = {label: [] for label in variants}
    pages: dict[str, list] = {}
    for label, (view, query) in variants.items():
        pages[label] = request(view, token, query)[1]["results"]  # also the warm-up
    differing = 0
    for _, label in rounds(list(variants), repeat):
        view, query = variants[label]
        elapsed, data = request(view, token, query)
        times[label].append(elapsed)
        differing += data["results"] != pages[label]
    return times, pages, differing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--profile", action="store_true", help="profile the cursor's deep page (pyinstrument)"
    )
    args = parser.parse_args()
    setup_django()
    from config.gc_tuning import tune_for_serving
    from performance.models import Indicator
    from performance.selectors.scoping import goals_for

    from .recompute import scope_units

    scope_units(args.projects)
    user, token = bench_user()
    goals = goals_for(user).order_by("id")
    total = goals.count()
    page = int(total * DEPTH) // PAGE_SIZE + 1
    offset = (page - 1) * PAGE_SIZE
    before = goals.values_list("id", flat=True)[offset - 1]
    indicators = Indicator.objects.filter(goal__in=goals.values("pk")).count()
    print(
        f"goals list as a 财政审核人: {total} goals, {indicators} indicators;"
        f" page size {PAGE_SIZE}, deep page {page} (offset {offset})",
        flush=True,
    )
    cursor_view, page_view = views()
    tune_for_serving()  # as config/wsgi.py serves the API
    times, pages, differing = timed(
        {
            "cursor first": (cursor_view, f"page_size={PAGE_SIZE}"),
            "cursor deep": (cursor_view, f"page_size={PAGE_SIZE}&cursor={cursor_after(before)}"),
            "page-number first": (page_view, f"page_size={PAGE_SIZE}&page=1"),
            "page-number deep": (page_view, f"page_size={PAGE_SIZE}&page={page}"),
        },
        token,
        args.repeat,
    )
    for label, seconds in times.items():
        ids = [goal["id"] for goal in pages[label]]
        print(
            f"{label:<20} {describe(seconds, unit='ms', scale=1000)}  (goals {ids[0]}…{ids[-1]})",
            flush=True,
        )
    if args.profile:
        profile(
            lambda: request(
                cursor_view, token, f"page_size={PAGE_SIZE}&cursor={cursor_after(before)}"
            )
        )
    # Same result: both paginations return the same goals, indicators and tasks, field for
    # field, on the first and the deep page; and every later response the same as the first.
    same = (
        pages["cursor first"] == pages["page-number first"]
        and pages["cursor deep"] == pages["page-number deep"]
        and differing == 0
    )
    cursor_deep, page_deep = times["cursor deep"], times["page-number deep"]
    cursor_first = times["cursor first"]
    speedup = median(page_deep) / median(cursor_deep)
    spread = median(cursor_deep) / median(cursor_first)
    spread = max(spread, 1 / spread)
    met = same and speedup >= 10 and spread <= 1.5
    print(
        f"RESULT api_pagination: deep page {page} of {PAGE_SIZE} goals with nested indicators,"
        f" cursor {median(cursor_deep) * 1000:.1f} ms vs page-number + COUNT"
        f" {median(page_deep) * 1000:.1f} ms = {ratio_range(page_deep, cursor_deep)} faster"
        f" (target ≥ 10×); cursor first vs deep within {spread:.2f}× (target ≤ 1.5×);"
        f" same goals, indicators and tasks in every response: {'yes' if same else 'NO'}"
        f" → {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
