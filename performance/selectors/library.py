"""Reads of the indicator library (指标库): which entries a user may see.

Confirmed, superseded and retired entries are the library of a finance bureau's tree: every
member under that root reads them. Drafts, proposals and returned entries are their owner's
work: visible to whoever sees the owner unit (its department's staff, the finance bureau), so
another department's draft is a 404 like any foreign object.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from projects.permissions import root_paths, visible_units

from ..choices import LIBRARY_OPEN, LibraryStatus
from ..models import LibraryEntry

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
