"""Evidence files made on the fly: each accepted type, and each kind of bad file.

Nothing here is a fixture file in the repository: PDFs, images, Office documents (OOXML as zips,
legacy ones as OLE compound files written by :func:`ole_file`), OFD, zips, zip bombs and
executables are built from bytes, so each test says exactly what it uploads.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

# --- simple formats ------------------------------------------------------------------------------


def pdf_bytes(text: str = "佐证材料") -> bytes:
    body = text.encode("utf-8")
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% " + body + b"\ntrailer\n<<>>\n%%EOF\n"
    )


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 24
TIFF = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode.\r\n"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64
SHELL = b"#!/bin/sh\nrm -rf /\n"
HTML = b"\xef\xbb\xbf  <!DOCTYPE html><html><script>alert(1)</script></html>"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
RAR = b"Rar!\x1a\x07\x00" + b"\x00" * 32


# --- zips and OOXML --------------------------------------------------------------------------------


def zip_bytes(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
)
OOXML = {
    "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
}


def ooxml_bytes(kind: str, *, macro: bool = False) -> bytes:
    """A minimal Word or PowerPoint document (``macro``: a .docm with its VBA project)."""
    part, main = OOXML[kind]
    content_type = f"application/vnd.openxmlformats-officedocument.{main}"
    members = {part: b"<document/>"}
    if macro:
        content_type = "application/vnd.ms-word.document.macroEnabled.main+xml"
        members["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + b"\x00" * 64
    members["[Content_Types].xml"] = CONTENT_TYPES.format(
        part=part, content_type=content_type
    ).encode()
    return zip_bytes(members)


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "佐证"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ofd_bytes() -> bytes:
    return zip_bytes({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<ofd:Document/>"})


def bomb_in_zip(unpacked_mb: int = 20) -> bytes:
    """A zip holding ``inner.zip``, which holds ``unpacked_mb`` MB of zeros (~1000:1)."""
    inner = io.BytesIO()
    block = b"\x00" * (1 << 20)
    with (
        zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.bin", "w") as member,
    ):
        for _ in range(unpacked_mb):
            member.write(block)
    return zip_bytes({"inner.zip": inner.getvalue()}, method=zipfile.ZIP_STORED)


def nested_zip(depth: int) -> bytes:
    """A PDF inside ``depth`` zips (1: a zip of a PDF)."""
    data = zip_bytes({"a.pdf": pdf_bytes()})
    for level in range(1, depth):
        data = zip_bytes({f"level{level}.zip": data}, method=zipfile.ZIP_STORED)
    return data


def encrypted_member_zip() -> bytes:
    """A zip whose member claims to be encrypted (flag bit 0), as a password-protected one."""
    data = bytearray(zip_bytes({"secret.pdf": pdf_bytes()}, method=zipfile.ZIP_STORED))
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + 6] |= 0x01
    data[central + 8] |= 0x01
    return bytes(data)


def zip_with_member_name(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("placeholder.pdf")
        info.filename = name
        archive.writestr(info, pdf_bytes())
    return buffer.getvalue()


# --- OLE compound files (legacy Office, installers) -----------------------------------------------

FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
SECTOR = 512


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A compound file (version 3) holding ``streams`` (``"Storage/Stream"`` paths allowed).

    Every stream is padded to the 4096-byte mini-stream cutoff, so all live in regular sectors
    and no mini FAT is needed; siblings are chained as right children (olefile reads any tree).
    """
    nodes: dict[str, dict] = {"": {"name": "Root Entry", "type": 5, "children": []}}
    for path, data in streams.items():
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            key = "/".join(parts[:depth])
            if key not in nodes:
                is_stream = depth == len(parts)
                nodes[key] = {
                    "name": parts[depth - 1],
                    "type": 2 if is_stream else 1,
                    "children": [],
                    "data": data.ljust(4096, b"\x00") if is_stream else b"",
                }
                nodes["/".join(parts[: depth - 1])]["children"].append(key)
    order = list(nodes)
    ids = {key: index for index, key in enumerate(order)}
    sectors: list[bytes] = []
    fat: list[int] = []

    def chain(data: bytes) -> int:
        if not data:
            return END
        first = len(sectors)
        count = (len(data) + SECTOR - 1) // SECTOR
        for index in range(count):
            sectors.append(data[index * SECTOR : (index + 1) * SECTOR].ljust(SECTOR, b"\x00"))
            fat.append(first + index + 1 if index + 1 < count else END)
        return first

    starts = {key: chain(node.get("data", b"")) for key, node in nodes.items()}
    entries = b""
    for key in order:
        node = nodes[key]
        siblings = nodes["/".join(key.split("/")[:-1])]["children"] if key else [key]
        position = siblings.index(key)
        right = ids[siblings[position + 1]] if position + 1 < len(siblings) else FREE
        child = ids[node["children"][0]] if node["children"] else FREE
        name = node["name"].encode("utf-16-le") + b"\x00\x00"
        entries += (
            name.ljust(64, b"\x00")
            + struct.pack("<HBB", len(name), node["type"], 1)
            + struct.pack("<III", FREE, right if key else FREE, child)
            + b"\x00" * 16
            + struct.pack("<I", 0)
            + b"\x00" * 16
            + struct.pack("<I", starts[key] if node["type"] == 2 else END)
            + struct.pack("<Q", len(node.get("data", b"")))
        )
    entries = entries.ljust(((len(entries) + SECTOR - 1) // SECTOR) * SECTOR, b"\x00")
    directory = chain(entries)
    fat_sectors = 1
    while (len(sectors) + fat_sectors) > fat_sectors * 128:
        fat_sectors += 1
    fat_start = len(sectors)
    fat += [FATSECT] * fat_sectors
    fat += [FREE] * (fat_sectors * 128 - len(fat))
    for index in range(fat_sectors):
        sectors.append(struct.pack("<128I", *fat[index * 128 : (index + 1) * 128]))
    difat = [fat_start + i for i in range(fat_sectors)] + [FREE] * (109 - fat_sectors)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, fat_sectors, directory, 0, 4096, END, 0, END, 0)
        + struct.pack("<109I", *difat)
    )
    return header + b"".join(sectors)


def doc_bytes() -> bytes:
    return ole_file({"WordDocument": b"\xec\xa5" + b"\x00" * 32, "1Table": b"\x00" * 16})


def xls_bytes() -> bytes:
    return ole_file({"Workbook": b"\x09\x08" + b"\x00" * 32})


def ppt_bytes() -> bytes:
    return ole_file({"PowerPoint Document": b"\x00" * 32, "Current User": b"\x00" * 16})


def doc_with_macros() -> bytes:
    return ole_file({"WordDocument": b"\xec\xa5", "Macros/VBA/dir": b"\x01" * 16})


def installer_bytes() -> bytes:
    """An installer's compound file (.msi): no Office stream."""
    return ole_file({"\u4840\u3b3f\u4577": b"\x00" * 32, "\x05SummaryInformation": b"\x00" * 48})


def encrypted_docx() -> bytes:
    """Office 2007+ with a password: an OLE file with the encrypted package inside."""
    return ole_file({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"\x00" * 64})


# --- uploads -------------------------------------------------------------------------------------


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    """A file as the admin or the API hands it to the service (held in memory)."""
    return SimpleUploadedFile(name, data, content_type=content_type)


ACCEPTED = {
    "pdf": ("报告.pdf", pdf_bytes),
    "png": ("照片.png", png_bytes),
    "jpeg": ("现场.jpg", lambda: JPEG),
    "gif": ("图.gif", lambda: GIF),
    "webp": ("图.webp", lambda: WEBP),
    "tiff": ("扫描件.tif", lambda: TIFF),
    "docx": ("说明.docx", lambda: ooxml_bytes("docx")),
    "xlsx": ("台账.xlsx", xlsx_bytes),
    "pptx": ("汇报.pptx", lambda: ooxml_bytes("pptx")),
    "doc": ("旧文档.doc", doc_bytes),
    "xls": ("旧表格.xls", xls_bytes),
    "ppt": ("旧演示.ppt", ppt_bytes),
    "ofd": ("发票.ofd", ofd_bytes),
    "zip": ("材料.zip", lambda: zip_bytes({"a.pdf": pdf_bytes(), "b.png": png_bytes()})),
}


def stored_files(root) -> list[str]:
    """Every file under ``root`` (an evidence storage directory), as relative paths."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
