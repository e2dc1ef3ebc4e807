"""Pagination: cursors for the large lists, page numbers for the small ones.

Both take ``page_size`` (default 50, at most 200). Cursor pages never count rows, so a list
request costs the same number of queries whatever the page size. A cursor that does not decode,
or a page number past the end, is bad input: 400 with the message under ``cursor`` / ``page``
(DRF answers 404, which would read as "this list does not exist"). A cursor is only base64 of
``o=…&r=…&p=…`` that anyone can forge: its position must also be a value of the ordering's
field (a number for ``id``, a date-time for ``created_at``…), or it is the same 400 instead of
reaching the query (where ``id > 'abc'`` is a ``ValueError``, a 500). An ordering by a field
many rows share (``ordering=year``) gets ``id`` as a tie-break: DRF pages through equal values
by counting them, which needs the same order on every request (PostgreSQL returned rows of one
year in a different order per page: some twice, some never).
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field, Model
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class LargeListCursorPagination(CursorPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = f"每页条数（默认 {DEFAULT_PAGE_SIZE}，最多 {MAX_PAGE_SIZE}）。"
    cursor_query_description = "分页游标：取自上一次响应的 next / previous 链接。"
    max_page_size = MAX_PAGE_SIZE
    ordering = "id"

    model: type[Model] | None = None

    def paginate_queryset(self, queryset, request, view=None):
        self.model = queryset.model  # decode_cursor checks the position against its fields
        return super().paginate_queryset(queryset, request, view)

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        ordering = tuple(super().get_ordering(request, queryset, view))
        if not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            ordering += ("id",)
        return ordering

    def decode_cursor(self, request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound as error:
            raise ValidationError({self.cursor_query_param: [error.detail]}) from None
        position = cursor.position if cursor is not None else None
        if position is not None and not self._valid_position(position):
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        return cursor

    def _valid_position(self, position: str) -> bool:
        """Whether ``position`` is a value of the field the page is ordered by."""
        if "\x00" in position:  # PostgreSQL refuses NUL in any string parameter
            return False
        field = _ordering_field(self.model, self.ordering[0].lstrip("-"))
        if field is None:
            return True
        try:
            field.get_prep_value(field.to_python(position))
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            return False
        return True


def _ordering_field(model: type[Model] | None, path: str) -> Field | None:
    """The model field ``path`` (``a__b`` through relations) names, if it is one."""
    field = None
    for name in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        model = field.related_model
    return field


class HistoryCursorPagination(LargeListCursorPagination):
    ordering = "-id"


class SmallListPagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = f"每页条数（默认 {DEFAULT_PAGE_SIZE}，最多 {MAX_PAGE_SIZE}）。"
    page_query_description = "页码，从 1 开始。"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as error:
            raise ValidationError({self.page_query_param: [error.detail]}) from None
