"""Reads of the indicator library (指标库): which entries a user may see.

Confirmed, superseded and retired entries are the library of a finance bureau's tree: every
member under that root reads them. Drafts, proposals and returned entries are their owner's
work: visible to whoever sees the owner unit (its department's staff, the finance bureau), so
another department's draft is a 404 like any foreign object.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from projects.choices import ProjectCategory
from projects.models import Project
from projects.permissions import root_paths, visible_units

from .. import text
from ..choices import LIBRARY_OPEN, GoalScope, LibraryGoalScope, LibraryStatus, Status
from ..db.trigram import Similarity
from ..models import Indicator, LibraryEntry
from ..models.library import ALL_CATEGORIES_MASK, CATEGORY_BITS

PUBLISHED = (LibraryStatus.APPROVED, LibraryStatus.SUPERSEDED, LibraryStatus.RETIRED)


def entries_for(user) -> QuerySet[LibraryEntry]:
    """Entries ``user`` may see, with their owner (one query)."""
    entries = LibraryEntry.objects.select_related("unit")
    if user is None or not user.is_authenticated or not user.is_active:
        return entries.none()
    if user.is_superuser:
        return entries
    published = Q()
    for root in root_paths(user):
        published |= Q(unit__path__startswith=root)
    if not published:
        return entries.none()
    return entries.filter(Q(status__in=PUBLISHED) & published | Q(unit__in=visible_units(user)))


def entry_versions(entry: LibraryEntry) -> QuerySet[LibraryEntry]:
    """Every version of the entry's code, oldest first."""
    return LibraryEntry.objects.filter(code=entry.code).order_by("version")


def visible_for_goal(user, goal) -> QuerySet[LibraryEntry]:
    """Entries ``user`` may see while writing ``goal``: the library (``entries_for``) plus the
    open 个性 proposals of the goal's own department (§12.5: pickable with a warning)."""
    codes = [code for code in goal.unit.path.split("/") if code]
    own = Q(pk__in=[])
    if len(codes) > 1:
        own = Q(unit__code=codes[1], is_common=False, status__in=LIBRARY_OPEN)
    if user is None:  # the system (the demo's filler): every entry; the service checks the root
        return LibraryEntry.objects.select_related("unit")
    mine = entries_for(user)
    if not getattr(user, "is_authenticated", False):
        return mine
    return LibraryEntry.objects.select_related("unit").filter(Q(pk__in=mine.values("pk")) | own)


# --- search and suggestions -----------------------------------------------------------------

SEARCH_MAX_CHARS = 50
SEARCH_MAX_WORDS = 5
# 同类项目: last year's projects of the same type, same department or a similar name, capped.
REFERENCE_YEARS_BACK = 1
SIMILAR_PROJECTS = 200


@dataclass(frozen=True)
class SearchHit:
    """One search result: the entry, how its 三级 name matches (0 equal, 1 starts with, 2
    contains, 3 other words only) and its trigram similarity to the query."""

    entry: LibraryEntry
    tier: int
    similarity: float


@dataclass(frozen=True)
class Suggestion:
    """One suggested entry with why: how many 同类项目 use it (same department, similar name)."""

    entry: LibraryEntry
    n: int
    n_department: int
    n_similar_name: int
    reason: str


def _root_and_department(unit) -> tuple[str, str | None]:
    codes = [code for code in unit.path.split("/") if code]
    return f"/{codes[0]}/", (f"/{codes[0]}/{codes[1]}/" if len(codes) > 1 else None)


def _category_q(category: str) -> Q:
    """Entries applicable to a project type: every type (0) or a mask holding its bit."""
    bit = CATEGORY_BITS[ProjectCategory(category)]
    masks = [mask for mask in range(1, ALL_CATEGORIES_MASK + 1) if mask & bit]
    return Q(project_categories=0) | Q(project_categories__in=masks)


def _applicable(entries: QuerySet[LibraryEntry], *, scope: str, category: str | None):
    """Entries applicable to a goal scope (project/unit) and a project type."""
    entries = entries.filter(goal_scope__in=(scope, LibraryGoalScope.BOTH))
    return entries.filter(_category_q(category)) if category else entries


def goal_codes(goal) -> set[str]:
    """The library codes a goal already references (one query)."""
    return set(
        Indicator.objects.filter(goal=goal)
        .exclude(library_code="")
        .values_list("library_code", flat=True)
    )


def pickable(user, goal, *, codes: set[str] | None = None) -> QuerySet[LibraryEntry]:
    """Entries ``user`` may pick into ``goal``: confirmed entries of its root (and its own
    department's open proposals), applicable to its scope and project type, not in it yet."""
    root, department = _root_and_department(goal.unit)
    open_own = Q(pk__in=[])
    if department:
        open_own = Q(status__in=LIBRARY_OPEN, is_common=False, unit__path=department)
    entries = visible_for_goal(user, goal).filter(
        Q(status=LibraryStatus.APPROVED, unit__path__startswith=root) | open_own
    )
    category = goal.project.category if goal.project_id else None
    entries = _applicable(entries, scope=goal.scope, category=category)
    codes = goal_codes(goal) if codes is None else codes
    return entries.exclude(code__in=codes) if codes else entries


def filter_entries(entries: QuerySet[LibraryEntry], filters: dict | None) -> QuerySet:
    """The picker's and the API's filters: 一级, 二级, 行业 (支出功能分类 prefix), project
    type, 共性/个性."""
    filters = filters or {}
    if filters.get("level1"):
        entries = entries.filter(level1=filters["level1"])
    if filters.get("level2"):
        entries = entries.filter(level2=filters["level2"])
    if filters.get("function_class"):
        entries = entries.filter(function_class__startswith=filters["function_class"])
    if filters.get("project_category"):
        entries = entries.filter(_category_q(filters["project_category"]))
    if filters.get("is_common") is not None and filters.get("is_common") != "":
        entries = entries.filter(is_common=filters["is_common"] in (True, "true", "1", "共性"))
    return entries


def search_words(q: str) -> list[str]:
    """The words of a query: NFKC-folded and lower-cased, at most 50 characters and 5 words."""
    return text.normalise(q)[:SEARCH_MAX_CHARS].split()[:SEARCH_MAX_WORDS]


def search(
    user,
    q: str,
    *,
    goal=None,
    filters: dict | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[SearchHit]:
    """Confirmed entries whose search text holds every word of ``q``, best first: 三级 equal to
    ``q``, starting with it, containing it, the rest; then trigram similarity of 三级 to ``q``,
    共性 first, code. With ``goal``: only what that goal may pick. One query."""
    words = search_words(q)
    if not words:
        return []
    phrase = " ".join(words)
    if goal is not None:
        entries = pickable(user, goal)
    else:
        entries = entries_for(user).filter(status=LibraryStatus.APPROVED)
    entries = filter_entries(entries, filters)
    for word in words:
        entries = entries.filter(search_text__contains=word)
    entries = entries.annotate(
        tier=Case(
            When(level3__iexact=phrase, then=Value(0)),
            When(level3__istartswith=phrase, then=Value(1)),
            When(level3__icontains=phrase, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
        similarity=Similarity("level3", Value(phrase)),
    ).order_by("tier", "-similarity", "-is_common", "code", "version")
    return [
        SearchHit(entry=e, tier=e.tier, similarity=float(e.similarity))
        for e in entries[offset : offset + limit]
    ]


def suggestion_reason(n: int, n_department: int, n_similar_name: int) -> str:
    """Why an entry is suggested: “同类项目 12 个使用（本部门 9 个、名称相近 5 个）”."""
    parts = [
        f"{label} {count} 个"
        for label, count in (("本部门", n_department), ("名称相近", n_similar_name))
        if count
    ]
    detail = f"（{'、'.join(parts)}）" if parts else ""
    return f"同类项目 {n} 个使用{detail}"


def similar_projects(project) -> list[tuple[int, bool, bool]]:
    """同类项目 of ``project``: last year's projects under the same finance bureau with a
    财政批复 goal, of the same type, in the same department or with a similar name (trigram
    similarity ≥ 0.3); same department first, then by similarity, at most 200. Returns
    ``(id, same department, similar name)`` per project. One query."""
    root, department = _root_and_department(project.unit)
    candidates = Project.objects.filter(
        year=project.year - REFERENCE_YEARS_BACK,
        category=project.category,
        unit__path__startswith=root,
        goals__status=Status.APPROVED,
        goals__scope=GoalScope.PROJECT,
    ).annotate(
        same=Case(
            When(unit__path__startswith=department or "//", then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        similarity=Similarity("name", Value(project.name)),
    )
    columns = ("id", "same", "name", "similarity")
    # Two arms, each answered by its index (the trigram index on names, the unit path), not
    # one OR that makes the database compare the name with every project of the year.
    rows = candidates.filter(name__similar=project.name).order_by().values_list(*columns)
    if department:
        rows = rows.union(
            candidates.filter(unit__path__startswith=department).order_by().values_list(*columns)
        )
    rows = rows.order_by("-same", "-similarity", "id")[:SIMILAR_PROJECTS]
    return [(pk, bool(same), text.similar(name, project.name)) for pk, same, name, _ in rows]


def suggestions(user, *, project=None, goal=None, limit: int = 20) -> list[Suggestion]:
    """For a project (or a project goal), the confirmed entries most used by its 同类项目:
    how many of them reference each entry (any version) in their 财政批复 goal, then how many
    of the same department, 共性 first, code. Only entries the goal may still pick. 3–4 queries
    (one more per further batch of codes when most used codes are not applicable)."""
    codes: set[str] = set()
    if goal is not None:
        project = goal.project
        codes = goal_codes(goal)
    if project is None:
        return []
    neighbours = similar_projects(project)
    if not neighbours:
        return []
    same = {pk for pk, is_same, _ in neighbours if is_same}
    near = {pk for pk, _, is_near in neighbours if is_near}

    # Usage per entry code, counted in the database: projects, of the same department, with a
    # similar name (a few dozen rows, not one per project and code).
    def projects(among: set[int] | None = None):
        if among is None:
            return Count("goal__project", distinct=True)
        if not among:
            return Value(0, output_field=IntegerField())
        return Count("goal__project", distinct=True, filter=Q(goal__project_id__in=among))

    used = {
        code: (n, n_d, n_n)
        for code, n, n_d, n_n in Indicator.objects.filter(
            goal__project_id__in=[pk for pk, _, _ in neighbours],
            goal__status=Status.APPROVED,
        )
        .exclude(library_code="")
        .values("library_code")
        .annotate(
            n=projects(),
            n_d=projects(same),
            n_n=projects(near),
        )
        .order_by()
        .values_list("library_code", "n", "n_d", "n_n")
    }
    root, _department = _root_and_department(project.unit)
    entries = _applicable(
        entries_for(user).filter(status=LibraryStatus.APPROVED, unit__path__startswith=root),
        scope=GoalScope.PROJECT,
        category=project.category,
    ).exclude(code__in=codes)
    # Rank the codes by their counts first and load entries a batch of codes at a time, best
    # first, until a page is full: a few hundred codes are used by 同类项目 at province scale,
    # a page shows ``limit``. A batch ends at the end of a tie of counts, so within it 共性
    # first, code decide, and batches concatenate in order.
    order = sorted(used, key=lambda code: (-used[code][0], -used[code][1], code))
    found: list[Suggestion] = []
    start = 0
    while start < len(order) and len(found) < limit:
        end = min(len(order), start + 2 * limit)
        while end < len(order) and used[order[end]][:2] == used[order[end - 1]][:2]:
            end += 1
        batch = sorted(
            entries.filter(code__in=order[start:end]),
            key=lambda e: (-used[e.code][0], -used[e.code][1], not e.is_common, e.code),
        )
        for entry in batch:
            n, n_d, n_n = used[entry.code]
            found.append(Suggestion(entry, n, n_d, n_n, suggestion_reason(n, n_d, n_n)))
        start = end
    return found[:limit]
