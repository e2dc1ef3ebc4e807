"""Pagination: cursors for the large lists, page numbers for the small ones.

Both take ``page_size`` (default 50, at most 200). Cursor pages never count rows, so a list
request costs the same number of queries whatever the page size. A cursor that does not decode,
or a page number past the end, is bad input: 400 with the message under ``cursor`` / ``page``
(DRF answers 404, which would read as "this list does not exist").
"""

from __future__ import annotations

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class LargeListCursorPagination(CursorPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = f"每页条数（默认 {DEFAULT_PAGE_SIZE}，最多 {MAX_PAGE_SIZE}）。"
    cursor_query_description = "分页游标：取自上一次响应的 next / previous 链接。"
    max_page_size = MAX_PAGE_SIZE
    ordering = "id"

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as error:
            raise ValidationError({self.cursor_query_param: [error.detail]}) from None


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
