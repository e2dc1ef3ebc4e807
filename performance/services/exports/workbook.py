"""Streaming xlsx sheets with merged headers, split across sheets past Excel's row limit.

openpyxl's write-only mode writes each row as it comes, so memory stays flat however large the
export. A sheet holds at most :data:`SHEET_MAX_ROWS` rows (Excel's 1,048,576); past that the
writer opens a continuation sheet (「…（续1）」) and repeats the header rows there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

SHEET_MAX_ROWS = 1_048_576  # Excel's limit; tests patch it small
INVALID_TITLE_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")
AMOUNT_FORMAT = "0.00"


@dataclass(frozen=True)
class Merge:
    """A merged range in sheet coordinates (1-based, inclusive)."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def ref(self) -> str:
        return (
            f"{get_column_letter(self.first_col)}{self.first_row}:"
            f"{get_column_letter(self.last_col)}{self.last_row}"
        )


def plain_number(value):
    """A Decimal as the shortest exact number (28.000000 → 28, 0.935000 → 0.935); other
    values unchanged."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return value
    if value == value.to_integral_value():
        return int(value)
    return value.normalize()


def percent_format(fraction: Decimal) -> str:
    """A % format showing exactly the decimals the value has (0.9346 → 0.00%, 0.357 → 0.0%)."""
    exponent = (fraction * 100).normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    return "0%" if places == 0 else "0." + "0" * min(places, 6) + "%"


class SheetWriter:
    """Rows into write-only sheets: fixed header rows, styled cells, merges, and splitting.

    ``header`` is a list of ``(style, values)`` rows ("title", "header", "right"…) written at the
    top of every sheet, ``header_merges`` their merged ranges.
    """

    def __init__(
        self,
        workbook: Workbook,
        title: str,
        *,
        header: Sequence[tuple[str, Sequence]] = (),
        header_merges: Sequence[Merge] = (),
        widths: Sequence[float] = (),
        freeze: str | None = None,
    ) -> None:
        self.workbook = workbook
        self.base_title = title.translate(INVALID_TITLE_CHARS)[:25] or "Sheet"
        self.header = [(style, list(values)) for style, values in header]
        self.header_merges = list(header_merges)
        self.widths = list(widths)
        self.freeze = freeze
        self.sheets: list[str] = []
        self.data_rows = 0
        self._sheet = None
        self._row = 0
        self._merges: list[Merge] = []
        self._open()

    # -- sheets -------------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        """Data rows that fit on one sheet under the header."""
        return SHEET_MAX_ROWS - len(self.header)

    def _open(self) -> None:
        self._flush_merges()
        number = len(self.sheets)
        title = self.base_title if number == 0 else f"{self.base_title}（续{number}）"
        self._sheet = self.workbook.create_sheet(title=title[:31])
        self.sheets.append(self._sheet.title)
        for index, width in enumerate(self.widths, start=1):
            self._sheet.column_dimensions[get_column_letter(index)].width = width
        if self.freeze:
            self._sheet.freeze_panes = self.freeze
        self._row = 0
        for style, values in self.header:
            self._sheet.append([None if v is None else self.cell(v, style=style) for v in values])
            self._row += 1
        self._merges = list(self.header_merges)

    def _flush_merges(self) -> None:
        if self._sheet is not None:
            # straight into the set: MultiCellRange.add() scans every range (quadratic)
            self._sheet.merged_cells.ranges.update(CellRange(m.ref) for m in self._merges)

    def close(self) -> None:
        self._flush_merges()
        self._merges = []

    # -- rows ---------------------------------------------------------------------------------

    def cell(self, value, *, style: str = "", number_format: str | None = None):
        """A styled cell; plain values are cheaper, so use this only where it shows."""
        cell = WriteOnlyCell(self._sheet, value=plain_number(value))
        if cell.data_type == "f":  # text never becomes a formula (a 指标值 may start with "=")
            cell.data_type = "s"
        if style == "title":
            cell.font, cell.alignment = TITLE_FONT, CENTER
        elif style == "header":
            cell.font, cell.alignment, cell.border, cell.fill = (
                HEADER_FONT,
                CENTER,
                BORDER,
                HEADER_FILL,
            )
        elif style == "right":
            cell.alignment = RIGHT
        elif style == "text":
            cell.alignment, cell.border = LEFT, BORDER
        elif style == "center":
            cell.alignment, cell.border = CENTER, BORDER
        if number_format:
            cell.number_format = number_format
        return cell

    def _value(self, value):
        if isinstance(value, Cell):
            return value
        if isinstance(value, str) and value.startswith("=") and len(value) > 1:
            return self.cell(value)  # "=100%" is a 指标值, not a formula
        return plain_number(value)

    def _append(self, values: Sequence) -> int:
        if self._row >= SHEET_MAX_ROWS:
            self._open()
        self._sheet.append([self._value(v) for v in values])
        self._row += 1
        self.data_rows += 1
        return self._row

    def row(self, values: Sequence) -> None:
        self._append(values)

    def block(self, rows: Sequence[Sequence], merge_columns: Sequence[int] = ()) -> None:
        """Rows that belong together (one project): kept on one sheet when they fit, with the
        given columns (1-based) merged down the block."""
        if not rows:
            return
        if len(rows) <= self.capacity and self._row + len(rows) > SHEET_MAX_ROWS:
            self._open()
        start_sheet, first = len(self.sheets), self._row + 1
        for values in rows:
            self._append(values)
            if len(self.sheets) != start_sheet:  # a block longer than a sheet: merge per part
                start_sheet, first = len(self.sheets), self._row
        last = self._row
        if last > first:
            for column in merge_columns:
                self._merges.append(Merge(first, column, last, column))

    def merge(self, merge: Merge) -> None:
        """Merge a range of the current sheet (free-form layouts such as the unit table)."""
        self._merges.append(merge)

    @property
    def current_row(self) -> int:
        return self._row


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def open_sheet(book, title: str, **options) -> SheetWriter:
    """A sheet writer of ``book``: a streaming xlsx sheet for an openpyxl workbook; any other
    book (``html.HtmlBook`` for the printable tables) makes its own writer with the same
    interface, so each layout is written once for both formats."""
    if isinstance(book, Workbook):
        return SheetWriter(book, title, **options)
    return book.open_sheet(title, **options)
