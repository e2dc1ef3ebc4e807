"""What an evidence file (佐证材料) is, decided by its content, never by its name.

Pure: the standard library and ``olefile`` (reads legacy Office's compound files), no Django, so
the rules are testable on bytes made in the test. :func:`check_name` refuses unsafe names;
:func:`detect` reads a seekable binary stream and returns the :class:`Detected` type or raises
:class:`Refused` with a Chinese message naming the file (and the member of a zip):

- accepted: PDF; PNG, JPEG, GIF, WebP, TIFF; Word/Excel/PowerPoint (OOXML by the main part of
  ``[Content_Types].xml``, legacy 97-2003 by the streams of the OLE file, which WPS's
  ``.wps/.et/.dps`` share); OFD (版式文档); a ZIP whose members are all of these;
- refused: executables and scripts (also renamed ``.pdf``), HTML and SVG, macro-enabled or
  encrypted Office files and encrypted zips, anything unknown, and zips that could exhaust
  the machine: too many members, more declared bytes than the budget (shared by the whole
  nesting tree), a compression ratio past the limit (a zip bomb), nesting past the depth;
- the name's extension must be one of the detected type's (a PNG named ``.pdf`` is refused,
  not renamed: the name decides how the reader's computer opens the download).

A zip is judged on its central directory (declared sizes), and ``zipfile`` never inflates a
member past its declared size, so checking the declared sizes bounds the work. Members are read
in 1 MiB chunks; nested containers go to a temporary file, never to memory whole.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import BinaryIO

import olefile

MIB = 1 << 20
HEAD_BYTES = 64 * 1024
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class FileKind:
    """One accepted type: its code, what people call it, its MIME type and its extensions."""

    code: str
    label: str
    mime: str
    extensions: tuple[str, ...]


TYPES: dict[str, FileKind] = {
    kind.code: kind
    for kind in (
        FileKind("pdf", "PDF 文档", "application/pdf", ("pdf",)),
        FileKind("png", "PNG 图片", "image/png", ("png",)),
        FileKind("jpeg", "JPEG 图片", "image/jpeg", ("jpg", "jpeg")),
        FileKind("gif", "GIF 图片", "image/gif", ("gif",)),
        FileKind("webp", "WebP 图片", "image/webp", ("webp",)),
        FileKind("tiff", "TIFF 图片", "image/tiff", ("tif", "tiff")),
        FileKind(
            "docx",
            "Word 文档",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ("docx",),
        ),
        FileKind(
            "xlsx",
            "Excel 工作簿",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ("xlsx",),
        ),
        FileKind(
            "pptx",
            "PowerPoint 演示文稿",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ("pptx",),
        ),
        FileKind("doc", "Word 97-2003 文档", "application/msword", ("doc", "wps")),
        FileKind("xls", "Excel 97-2003 工作簿", "application/vnd.ms-excel", ("xls", "et")),
        FileKind(
            "ppt", "PowerPoint 97-2003 演示文稿", "application/vnd.ms-powerpoint", ("ppt", "dps")
        ),
        FileKind("ofd", "OFD 版式文档", "application/ofd", ("ofd",)),
        FileKind("zip", "ZIP 压缩包", "application/zip", ("zip",)),
    )
}
CONTAINERS = frozenset({"zip", "docx", "xlsx", "pptx", "ofd"})
ALLOWED_TEXT = (
    "允许的类型：PDF、图片（PNG/JPEG/GIF/WebP/TIFF）、Word/Excel/PowerPoint 文档、OFD、"
    "以及只含这些文件的 ZIP 压缩包。文件类型按内容判断，与扩展名无关。"
)


@dataclass(frozen=True)
class Limits:
    """How much a zip may hold: members, declared bytes (whole tree), ratio, nesting depth."""

    max_members: int = 1000
    max_total: int = 1 << 30
    max_ratio: int = 100
    max_depth: int = 2
    allowed: frozenset[str] = field(default_factory=lambda: frozenset(TYPES))


@dataclass(frozen=True)
class Detected:
    """What the content is: a :data:`TYPES` code, its MIME type and label."""

    file_type: str
    mime: str
    label: str


class Refused(Exception):
    """The file is not accepted: ``code`` for machines, ``message`` (Chinese) for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def size_text(size: int) -> str:
    """Bytes as people read them: 980 字节, 12.3 KB, 4.5 MB, 1.2 GB."""
    if size < 1024:
        return f"{size} 字节"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}"
    return f"{size:.1f} GB"  # pragma: no cover - the loop returns


def _hidden(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def visible_name(name: str) -> str:
    """``name`` with control and format characters shown as ``\\uXXXX`` (safe to print)."""
    return "".join(f"\\u{ord(c):04x}" if _hidden(c) else c for c in name)


def check_name(name: str) -> None:
    """Refuse (``bad_name``) an empty or over-long name, a path, control or format characters
    (newlines, bidi overrides such as ``a\\u202egpj.exe``), a leading dot or a trailing space
    or dot."""
    shown = visible_name(name)
    if not name.strip():
        raise Refused("bad_name", "文件名不能为空。")
    if len(name) > MAX_NAME_LENGTH:
        raise Refused("bad_name", f"文件名“{shown[:40]}…”超过 {MAX_NAME_LENGTH} 个字符。")
    if "/" in name or "\\" in name:
        raise Refused("bad_name", f"文件名“{shown}”含有路径分隔符（/ 或 \\），请只上传文件本身。")
    if any(_hidden(c) for c in name):
        raise Refused(
            "bad_name", f"文件名“{shown}”含有控制字符（如换行、方向控制符），请改名后上传。"
        )
    if name.startswith("."):
        raise Refused("bad_name", f"文件名“{shown}”不能以“.”开头。")
    if name != name.rstrip(" ."):
        raise Refused("bad_name", f"文件名“{shown}”不能以空格或“.”结尾。")


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name else ""


# --- signatures ------------------------------------------------------------------------------

EXECUTABLE = (
    b"MZ",  # Windows PE (exe, dll, scr)
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
    b"#!",
    b"<?php",
    b"dex\n",
)
MARKUP = (b"<html", b"<svg", b"<!doctype", b"<script", b"<?xml", b"<body", b"<head")
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = (b"PK\x03\x04", b"PK\x05\x06")
OTHER_ARCHIVES = (b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh")
OOXML_MAIN = (
    ("wordprocessingml.document.main", "docx"),
    ("spreadsheetml.sheet.main", "xlsx"),
    ("presentationml.presentation.main", "pptx"),
)


def _is_markup(head: bytes) -> bool:
    text = head[:512]
    for bom in BOMS:
        if text.startswith(bom):
            text = text[len(bom) :]
            break
    text = text.replace(b"\x00", b"").lstrip().lower()  # UTF-16 markup too
    if not text.startswith(MARKUP):
        return False
    # XML is refused only when it is markup a browser runs (SVG, XHTML); other XML is unknown.
    return not text.startswith(b"<?xml") or b"<svg" in text or b"<html" in text


def sniff(head: bytes) -> str:
    """The code of what ``head`` (the first bytes) starts like: a :data:`TYPES` code, ``ole``,
    ``executable``, ``archive`` (rar, 7z, gzip, bzip2) or ``unknown``. Zip and OLE files need
    :func:`detect` to look inside."""
    if head.startswith(EXECUTABLE) or _is_markup(head):
        return "executable"
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(OLE):
        return "ole"
    if head.startswith(ZIP):
        return "zip"
    if head.startswith(OTHER_ARCHIVES):
        return "archive"
    if b"%PDF-" in head[:1024]:  # readers accept a few bytes of junk before the header
        return "pdf"
    return "unknown"


# --- detection -------------------------------------------------------------------------------


@dataclass
class _Budget:
    """Declared uncompressed bytes still allowed, shared by every zip of one upload."""

    left: int


def _label(name: str, path: str) -> str:
    return f"压缩包“{name}”中的“{path}”" if path else f"文件“{name}”"


def _refuse_sniffed(code: str, name: str, path: str) -> Refused:
    what = _label(name, path)
    if code == "executable":
        return Refused(
            "executable", f"{what}的内容是可执行程序、脚本或网页，不能作为佐证材料。{ALLOWED_TEXT}"
        )
    if code == "archive":
        return Refused(
            "unknown", f"{what}是 RAR、7z 或 gzip 等压缩格式，请改用 ZIP 压缩后上传。{ALLOWED_TEXT}"
        )
    return Refused("unknown", f"{what}的内容无法识别为允许的类型。{ALLOWED_TEXT}")


def _ole(stream: BinaryIO, name: str, path: str) -> str:
    """doc / xls / ppt by their streams; macros, encryption and anything else refused."""
    what = _label(name, path)
    try:
        stream.seek(0)
        ole = olefile.OleFileIO(stream)
        try:
            entries = {"/".join(parts) for parts in ole.listdir(streams=True, storages=True)}
        finally:
            ole.close()
    except Exception:  # olefile raises many kinds on a damaged file
        raise Refused("unknown", f"{what}已损坏或内容无法识别。{ALLOWED_TEXT}") from None
    top = {entry.split("/", 1)[0] for entry in entries}
    parts = {part for entry in entries for part in entry.split("/")}
    if "EncryptedPackage" in top or "EncryptionInfo" in top:
        raise Refused("encrypted", f"{what}已加密，无法检查内容，请去除密码后上传。")
    if parts & {"Macros", "_VBA_PROJECT_CUR", "VBA", "_VBA_PROJECT"}:
        raise Refused(
            "macro", f"{what}含有宏（VBA），不能上传；请另存为不含宏的格式（.docx/.xlsx/.pptx）。"
        )
    if "WordDocument" in top:
        return "doc"
    if "Workbook" in top or "Book" in top:
        return "xls"
    if "PowerPoint Document" in top:
        return "ppt"
    raise Refused(
        "unknown", f"{what}的内容无法识别为允许的类型（如安装程序、邮件）。{ALLOWED_TEXT}"
    )


_SAFE_DRIVE = re.compile(r"^[A-Za-z]:")


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author saw it: zips from Chinese Windows name members in GBK."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _zip(
    stream: BinaryIO, *, name: str, path: str, depth: int, limits: Limits, budget: _Budget
) -> str:
    """ooxml / ofd / zip after every structural check; members of a plain zip recursively."""
    what = _label(name, path)
    try:
        stream.seek(0)
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise Refused("unknown", f"{what}是损坏的 ZIP 文件，无法读取。") from None
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        office = "[Content_Types].xml" in names
        ofd = "OFD.xml" in names
        max_members = limits.max_members * (10 if office or ofd else 1)
        if len(infos) > max_members:
            raise Refused(
                "too_many_members", f"{what}含有 {len(infos)} 个文件，超过上限 {max_members} 个。"
            )
        if not infos:
            raise Refused("empty", f"{what}是空的压缩包。")
        declared = 0
        for info in infos:
            member = _member_name(info)
            inner = f"{path}/{member}" if path else member
            parts = member.replace("\\", "/").split("/")
            if (
                member.startswith(("/", "\\"))
                or _SAFE_DRIVE.match(member)
                or ".." in parts
                or any(_hidden(c) for c in member)
            ):
                raise Refused(
                    "bad_member_name",
                    f"压缩包“{name}”中的“{visible_name(inner)}”路径不安全（绝对路径、含 .. 或控制字符）。",
                )
            if info.flag_bits & 0x1:
                raise Refused(
                    "encrypted",
                    f"{what}设有密码（“{inner}”已加密），无法检查内容，请去除密码后上传。",
                )
            if info.file_size > MIB and info.file_size > limits.max_ratio * max(
                info.compress_size, 1
            ):
                ratio = info.file_size // max(info.compress_size, 1)
                raise Refused(
                    "bomb",
                    f"压缩包“{name}”中的“{inner}”解压后 {size_text(info.file_size)}，压缩比 "
                    f"{ratio}:1，超过上限 {limits.max_ratio}:1，疑似压缩炸弹。",
                )
            declared += info.file_size
        budget.left -= declared
        if budget.left < 0:
            raise Refused(
                "too_large_unpacked",
                f"{what}解压后共 {size_text(declared)}，超过上限 {size_text(limits.max_total)}。",
            )
        if office:
            return _office(archive, infos, what=what)
        if ofd:
            return "ofd"
        for info in infos:
            if info.is_dir():
                continue
            member = _member_name(info)
            inner = f"{path}/{member}" if path else member
            if info.file_size == 0:
                raise Refused("empty_member", f"压缩包“{name}”中的“{inner}”是空文件（0 字节）。")
            _member(archive, info, name=name, path=inner, depth=depth, limits=limits, budget=budget)
    return "zip"


def _office(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], *, what: str) -> str:
    if any(info.filename.lower().endswith("vbaproject.bin") for info in infos):
        raise Refused(
            "macro", f"{what}含有宏（VBA），不能上传；请另存为不含宏的格式（.docx/.xlsx/.pptx）。"
        )
    with archive.open("[Content_Types].xml") as part:
        text = part.read(MIB).decode("utf-8", "replace")
    if "macroenabled" in text.lower():
        raise Refused(
            "macro", f"{what}是启用宏的 Office 文件，不能上传；请另存为 .docx/.xlsx/.pptx。"
        )
    for marker, code in OOXML_MAIN:
        if marker in text:
            return code
    raise Refused(
        "unknown", f"{what}是无法识别的 Office 文件（不是 Word、Excel 或 PowerPoint 文档）。"
    )


def _member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    *,
    name: str,
    path: str,
    depth: int,
    limits: Limits,
    budget: _Budget,
) -> None:
    """Type one member of a plain zip from its first bytes; open containers and OLE files."""
    try:
        with archive.open(info) as part:
            head = part.read(HEAD_BYTES)
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError, EOFError):
        raise Refused("unknown", f"压缩包“{name}”中的“{path}”已损坏，无法读取。") from None
    code = sniff(head)
    if code in ("executable", "archive", "unknown"):
        raise _refuse_sniffed(code, name, path)
    if code not in ("zip", "ole"):
        _require_allowed(code, name, path, limits)
        return
    if code == "zip" and depth + 1 > limits.max_depth:
        raise Refused(
            "too_deep", f"压缩包“{name}”嵌套超过 {limits.max_depth} 层（{path}），请解开后上传。"
        )
    with tempfile.TemporaryFile() as copy:
        try:
            with archive.open(info) as part:
                shutil.copyfileobj(part, copy, MIB)
        except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError, EOFError):
            raise Refused("unknown", f"压缩包“{name}”中的“{path}”已损坏，无法读取。") from None
        if code == "ole":
            inner = _ole(copy, name, path)
        else:
            inner = _zip(copy, name=name, path=path, depth=depth + 1, limits=limits, budget=budget)
        _require_allowed(inner, name, path, limits)


def _require_allowed(code: str, name: str, path: str, limits: Limits) -> None:
    if code not in limits.allowed:
        raise Refused(
            "not_allowed", f"{_label(name, path)}的类型（{TYPES[code].label}）不在允许范围内。"
        )


def detect(stream: BinaryIO, *, name: str, limits: Limits | None = None) -> Detected:
    """The type of the seekable binary ``stream`` by its content; :class:`Refused` says why not.

    ``name`` is the uploaded file's name: it names the file in messages and its extension must
    belong to the detected type."""
    limits = limits or Limits()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise Refused("empty", f"文件“{name}”是空文件（0 字节）。")
    head = stream.read(HEAD_BYTES)
    code = sniff(head)
    if code in ("executable", "archive", "unknown"):
        raise _refuse_sniffed(code, name, "")
    if code == "ole":
        code = _ole(stream, name, "")
    elif code == "zip":
        code = _zip(
            stream, name=name, path="", depth=1, limits=limits, budget=_Budget(limits.max_total)
        )
    stream.seek(0)
    _require_allowed(code, name, "", limits)
    kind = TYPES[code]
    extension = extension_of(name)
    if extension not in kind.extensions:
        shown = f"“.{extension}”" if extension else "（无扩展名）"
        wanted = "、".join(f".{e}" for e in kind.extensions)
        raise Refused(
            "extension_mismatch",
            f"文件“{name}”的内容是{kind.label}，与扩展名{shown}不符，请改为 {wanted} 后上传。",
        )
    return Detected(file_type=code, mime=kind.mime, label=kind.label)
