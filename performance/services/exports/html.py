"""The official layouts as HTML tables: the same writers as the xlsx, into a grid.

A layout module writes its rows through ``open_sheet(book, …)``; given an :class:`HtmlBook`
instead of an openpyxl workbook, each sheet is an :class:`HtmlSheet`, which keeps the rows,
cell styles, number formats and merged ranges, and :meth:`HtmlSheet.table` turns them into a
:class:`Table` of rows of :class:`GridCell` with ``rowspan``/``colspan`` — the headers merged
exactly as in the workbook. The title rows become the table's ``titles`` and ``notes`` (shown
above it), the header rows its ``head`` (repeated on every printed page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from projects.numbers import AMOUNT, PLAIN, RATE, figure

from .workbook import AMOUNT_FORMAT, Merge

CAPTION_STYLES = {"title": "titles", "right": "notes"}


@dataclass(frozen=True)
class HtmlCell:
    """A styled value, as ``SheetWriter.cell`` makes for xlsx."""

    value: Any
    style: str = ""
    number_format: str | None = None


@dataclass(frozen=True)
class GridCell:
    text: str
    header: bool = False
    rowspan: int = 1
    colspan: int = 1
    align: str = ""  # "num", "center" or "" (text)


@dataclass
class Table:
    title: str
    titles: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    head: list[list[GridCell]] = field(default_factory=list)
    body: list[list[GridCell]] = field(default_factory=list)
    width: int = 0
    column_widths: list[Decimal] = field(default_factory=list)  # % of the page, from the xlsx


def format_value(value: Any, number_format: str | None = None) -> str:
    """A cell's text as the workbook shows it, through ``figure``: amounts (``0.00``) with their
    two places, rates (``%`` formats, stored as fractions) as published, the rest plain."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal | int):
        number = Decimal(value)
        if number_format and number_format.endswith("%"):
            return figure(number * 100, RATE)
        if number_format == AMOUNT_FORMAT:
            return figure(number, AMOUNT)
        return figure(number, PLAIN)
    return str(value)


class HtmlSheet:
    """``SheetWriter``'s interface, keeping everything in memory for one HTML table."""

    def __init__(
        self,
        title: str,
        *,
        header: Sequence[tuple[str, Sequence]] = (),
        header_merges: Sequence[Merge] = (),
        widths: Sequence[float] = (),
        freeze: str | None = None,
    ) -> None:
        self.title = title
        self.sheets = [title]
        self.header = [(style, list(values)) for style, values in header]
        self.merges = list(header_merges)
        self.widths = list(widths)
        self.rows: list[list[Any]] = []
        self.data_rows = 0

    def cell(self, value, *, style: str = "", number_format: str | None = None) -> HtmlCell:
        return HtmlCell(value, style, number_format)

    def row(self, values: Sequence) -> None:
        self.rows.append(list(values))
        self.data_rows += 1

    def block(self, rows: Sequence[Sequence], merge_columns: Sequence[int] = ()) -> None:
        first = self.current_row + 1
        for values in rows:
            self.row(values)
        if self.current_row > first:
            for column in merge_columns:
                self.merges.append(Merge(first, column, self.current_row, column))

    def merge(self, merge: Merge) -> None:
        self.merges.append(merge)

    @property
    def current_row(self) -> int:
        return len(self.header) + len(self.rows)

    def close(self) -> None:
        """Nothing to flush: the table is built on demand."""

    # -- the grid -------------------------------------------------------------------------------

    def table(self) -> Table:
        """The sheet as a table: captions above, merged header rows, body rows with spans."""
        table = Table(title=self.title)
        grid: list[tuple[str, list[Any]]] = []  # (section, values) per sheet row, 1-based - 1
        for style, values in self.header:
            caption = CAPTION_STYLES.get(style)
            if caption:
                text = " ".join(format_value(_plain(v)) for v in values if v is not None)
                getattr(table, caption).append(text)
            grid.append((caption or "head", values))
        grid += [("body", values) for values in self.rows]
        width = max(
            [len(values) for section, values in grid if section in ("head", "body")]
            + [m.last_col for m in self.merges if grid[m.first_row - 1][0] in ("head", "body")]
            + [0]
        )
        table.width = width
        if len(self.widths) == width and sum(self.widths):
            total = Decimal(str(sum(self.widths)))
            table.column_widths = [
                (Decimal(str(w)) * 100 / total).quantize(Decimal("0.1")) for w in self.widths
            ]
        spans: dict[tuple[int, int], tuple[int, int]] = {}
        covered: set[tuple[int, int]] = set()
        for merge in self.merges:
            if grid[merge.first_row - 1][0] not in ("head", "body"):
                continue
            spans[(merge.first_row, merge.first_col)] = (
                merge.last_row - merge.first_row + 1,
                merge.last_col - merge.first_col + 1,
            )
            covered |= {
                (r, c)
                for r in range(merge.first_row, merge.last_row + 1)
                for c in range(merge.first_col, merge.last_col + 1)
            } - {(merge.first_row, merge.first_col)}
        for number, (section, values) in enumerate(grid, start=1):
            if section not in ("head", "body"):
                continue
            cells = []
            for column in range(1, width + 1):
                if (number, column) in covered:
                    continue
                value = values[column - 1] if column <= len(values) else None
                rowspan, colspan = spans.get((number, column), (1, 1))
                cells.append(_grid_cell(value, section == "head", rowspan, colspan))
            getattr(table, section).append(cells)
        return table


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, HtmlCell) else value


def _grid_cell(value: Any, in_head: bool, rowspan: int, colspan: int) -> GridCell:
    style, number_format = "", None
    if isinstance(value, HtmlCell):
        style, number_format, value = value.style, value.number_format, value.value
    numeric = isinstance(value, Decimal | int) and not isinstance(value, bool)
    return GridCell(
        text=format_value(value, number_format),
        header=in_head or style == "header",
        rowspan=rowspan,
        colspan=colspan,
        align="num" if numeric else ("center" if style in ("center", "header") else ""),
    )


class HtmlBook:
    """What a layout writes into instead of a workbook; ``tables()`` once it is done."""

    def __init__(self) -> None:
        self.sheets: list[HtmlSheet] = []

    def open_sheet(self, title: str, **options) -> HtmlSheet:
        sheet = HtmlSheet(title, **options)
        self.sheets.append(sheet)
        return sheet

    def tables(self) -> list[Table]:
        return [sheet.table() for sheet in self.sheets]
