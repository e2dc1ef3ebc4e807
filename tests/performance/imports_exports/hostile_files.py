"""Hostile .xlsx and .csv files, small on disk and huge inside, written straight to a path.

Each builder writes a minimal but valid package (content types, workbook, one sheet, shared
strings) with ``zipfile``, streaming the large parts in chunks so that building a file holding
a 290 MB cell costs the test process nothing. The sheet starts with the template's header and
one valid row for a new project of 027001; ``row_xml`` writes more rows.
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

from ...support.import_helpers import HEADER, NEW_CODE, row

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"

CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="{CT}"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{OFFICE}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OFFICE}.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="{OFFICE}.sharedStrings+xml"/></Types>"""
ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"""
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="导入模板" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"""

CHUNK = 1 << 20


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def inline_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def row_xml(number: int, values: Iterable[object]) -> str:
    """A row of inline strings (and a shared string for a ``SharedRef``)."""
    cells = []
    for index, value in enumerate(values, start=1):
        ref = f"{column_letter(index)}{number}"
        if isinstance(value, SharedRef):
            cells.append(f'<c r="{ref}" t="s"><v>{value.index}</v></c>')
        elif value is not None:
            cells.append(inline_cell(ref, str(value)))
    return f'<row r="{number}">{"".join(cells)}</row>'


class SharedRef:
    """A cell referring to the shared string at ``index``."""

    def __init__(self, index: int) -> None:
        self.index = index


def template_rows(**overrides) -> str:
    """The header (row 1) and one valid row (row 2) of the template."""
    values = row(项目编码=NEW_CODE, **overrides)
    return row_xml(1, HEADER) + row_xml(2, [values[h] for h in HEADER])


def repeated(piece: bytes, total: int) -> Iterable[bytes]:
    """``piece`` repeated to ``total`` bytes, in chunks of about a megabyte."""
    block = piece * max(1, CHUNK // len(piece))
    written = 0
    while written < total:
        part = block[: total - written]
        written += len(part)
        yield part


def write_xlsx(
    path: Path,
    sheet: Iterable[bytes],
    shared: Iterable[bytes] = (),
    extra: dict[str, Iterable[bytes]] | None = None,
) -> Path:
    """Write a package whose sheet XML and shared-strings items are the given byte chunks."""

    def stream(archive: zipfile.ZipFile, name: str, parts: Iterable[bytes]) -> None:
        with archive.open(name, "w", force_zip64=True) as target:
            for part in parts:
                target.write(part)

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode()
        stream(archive, "xl/sharedStrings.xml", itertools.chain([head], shared, [b"</sst>"]))
        head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
        parts = sheet
        end = b"</sheetData></worksheet>"
        stream(archive, "xl/worksheets/sheet1.xml", itertools.chain([head.encode()], parts, [end]))
        for name, content in (extra or {}).items():
            stream(archive, name, content)
    return path


# --- the files and their relatives -------------------------------------------------------

BIG = 290 * 1024 * 1024  # the 290 MB cell


def one_huge_shared_string(path: Path) -> Path:
    """三级指标 of row 2 is shared string 0: 290 MB of one letter (about 300 KB on disk)."""
    sheet = template_rows(三级指标=SharedRef(0)).encode()
    shared = itertools.chain([b"<si><t>"], repeated(b"a", BIG), [b"</t></si>"])
    return write_xlsx(path, [sheet], shared)


def one_huge_inline_string(path: Path) -> Path:
    """三级指标 of row 2 is an inline string of 290 MB."""
    sheet = template_rows(三级指标="X").encode()
    head, tail = sheet.split(b"<t>X</t>")
    parts = itertools.chain([head, b"<t>"], repeated(b"a", BIG), [b"</t>", tail])
    return write_xlsx(path, parts)


def many_long_shared_strings(path: Path, count: int = 9_000, length: int = 32_000) -> Path:
    """Thousands of shared strings each just under Excel's cell limit (288 MB in all)."""
    sheet = template_rows(三级指标=SharedRef(0)).encode()
    item = b"<si><t>" + b"b" * length + b"</t></si>"
    return write_xlsx(path, [sheet], (item for _ in range(count)))


def many_short_shared_strings(path: Path, count: int = 3_000_000) -> Path:
    """Millions of distinct short shared strings, referenced by no cell."""
    sheet = template_rows().encode()

    def items() -> Iterable[bytes]:
        batch = []
        for number in range(count):
            batch.append(b"<si><t>%d</t></si>" % number)
            if len(batch) == 10_000:
                yield b"".join(batch)
                batch = []
        yield b"".join(batch)

    return write_xlsx(path, [sheet], items())


def millions_of_empty_rows(path: Path, count: int = 20_000_000) -> Path:
    """The template's two rows, then millions of empty ``<row/>`` elements."""
    sheet = template_rows().encode()
    return write_xlsx(path, itertools.chain([sheet], repeated(b"<row/>", count * 6)))


def a_huge_styles_part(path: Path) -> Path:
    """A styles part openpyxl would read whole: 9 MB, mostly blanks."""
    styles = itertools.chain(
        [f'<?xml version="1.0"?><styleSheet xmlns="{MAIN}">'.encode()],
        repeated(b" ", 9 * 1024 * 1024),
        [b"</styleSheet>"],
    )
    return write_xlsx(path, [template_rows().encode()], extra={"xl/styles.xml": styles})


def one_row_of_millions_of_cells(path: Path, count: int = 10_000_000) -> Path:
    """Row 3 holds millions of empty cells."""
    sheet = template_rows().encode()
    cells = repeated(b"<c/>", count * 4)
    return write_xlsx(path, itertools.chain([sheet, b'<row r="3">'], cells, [b"</row>"]))


# --- csv -------------------------------------------------------------------------------------

CSV_HEADER = ",".join(HEADER).encode("utf-8") + b"\n"


def csv_with_a_huge_field(path: Path) -> Path:
    """Row 2's 三级指标 is 19 MB of one letter (the upload limit is 20 MB)."""
    path.write_bytes(CSV_HEADER + b"2022,027001,x,1,x,x,1,x,x," + b"a" * 19_000_000 + b",x\n")
    return path


def csv_with_millions_of_commas(path: Path) -> Path:
    """Row 2 holds 19 million empty fields."""
    path.write_bytes(CSV_HEADER + b"," * 19_000_000 + b"\n")
    return path


def csv_with_millions_of_blank_lines(path: Path) -> Path:
    """The header, then 19 million empty lines."""
    path.write_bytes(CSV_HEADER + b"\n" * 19_000_000)
    return path
