"""The evidence file-type detector (pure): types by content, names, and every refusal."""

from __future__ import annotations

import io

import pytest

from performance.filetypes import Limits, Refused, check_name, detect
from tests.support import evidence_files as ef


def detected(data: bytes, name: str, limits: Limits | None = None) -> str:
    return detect(io.BytesIO(data), name=name, limits=limits).file_type


def refused(data: bytes, name: str, limits: Limits | None = None) -> Refused:
    with pytest.raises(Refused) as error:
        detect(io.BytesIO(data), name=name, limits=limits)
    return error.value


@pytest.mark.parametrize("code", list(ef.ACCEPTED))
def test_each_accepted_type_is_detected_by_content(code):
    name, make = ef.ACCEPTED[code]
    assert detected(make(), name) == code


def test_detects_pdf_png_jpeg_gif_webp_tiff_whatever_the_case_of_the_extension():
    assert detected(ef.pdf_bytes(), "A.PDF") == "pdf"
    assert detected(ef.JPEG, "photo.JPEG") == "jpeg"
    assert detected(ef.TIFF, "scan.tiff") == "tiff"
    assert detected(b"\r\n" + ef.pdf_bytes(), "junk-before-header.pdf") == "pdf"


def test_detects_ooxml_by_content_types_main_part():
    assert detected(ef.ooxml_bytes("docx"), "a.docx") == "docx"
    assert detected(ef.xlsx_bytes(), "a.xlsx") == "xlsx"
    assert detected(ef.ooxml_bytes("pptx"), "a.pptx") == "pptx"
    # A zip that only looks like Office by name is a zip, so the name must say .zip.
    assert refused(ef.zip_bytes({"a.pdf": ef.pdf_bytes()}), "a.docx").code == "extension_mismatch"


def test_detects_legacy_office_by_ole_streams_and_accepts_wps_names():
    assert detected(ef.doc_bytes(), "a.doc") == "doc"
    assert detected(ef.doc_bytes(), "a.wps") == "doc"
    assert detected(ef.xls_bytes(), "a.et") == "xls"
    assert detected(ef.ppt_bytes(), "a.dps") == "ppt"


def test_detects_ofd_and_zip_of_allowed_files():
    assert detected(ef.ofd_bytes(), "发票.ofd") == "ofd"
    assert (
        detected(ef.zip_bytes({"a.pdf": ef.pdf_bytes(), "b/c.doc": ef.doc_bytes()}), "a.zip")
        == "zip"
    )
    assert detected(ef.nested_zip(2), "two-levels.zip") == "zip"


def test_executable_renamed_pdf_is_refused():
    for data in (ef.EXE, ef.ELF, ef.SHELL):
        error = refused(data, "发票.pdf")
        assert error.code == "executable"
        assert "文件“发票.pdf”的内容是可执行程序" in error.message
        assert "文件类型按内容判断，与扩展名无关" in error.message


def test_svg_and_html_are_refused():
    assert refused(ef.SVG, "a.svg").code == "executable"
    assert refused(ef.HTML, "a.pdf").code == "executable"


def test_installer_ole_renamed_doc_is_refused():
    assert refused(ef.installer_bytes(), "setup.doc").code == "unknown"


def test_macro_enabled_docm_and_doc_with_vba_are_refused():
    assert refused(ef.ooxml_bytes("docx", macro=True), "a.docx").code == "macro"
    assert refused(ef.doc_with_macros(), "a.doc").code == "macro"


def test_encrypted_office_file_and_encrypted_zip_member_are_refused():
    assert refused(ef.encrypted_docx(), "a.docx").code == "encrypted"
    assert refused(ef.encrypted_member_zip(), "a.zip").code == "encrypted"


def test_zip_bomb_inside_zip_is_refused():
    error = refused(ef.bomb_in_zip(20), "材料.zip")
    assert error.code == "bomb"
    assert "“inner.zip/zeros.bin”解压后 20.0 MB" in error.message
    assert "超过上限 100:1，疑似压缩炸弹" in error.message


def test_declared_total_over_limit_is_refused():
    data = ef.zip_bytes({f"{i}.pdf": ef.pdf_bytes(str(i)) * 50 for i in range(3)})
    error = refused(data, "a.zip", Limits(max_total=2000))
    assert error.code == "too_large_unpacked"


def test_too_many_members_are_refused():
    data = ef.zip_bytes({f"{i}.pdf": ef.pdf_bytes(str(i)) for i in range(6)})
    assert refused(data, "a.zip", Limits(max_members=5)).code == "too_many_members"


def test_nesting_beyond_depth_is_refused():
    error = refused(ef.nested_zip(3), "deep.zip")
    assert error.code == "too_deep" and "嵌套超过 2 层" in error.message


@pytest.mark.parametrize("member", ["../evil.pdf", "/etc/evil.pdf", "C:/evil.pdf", "a\u202ex.pdf"])
def test_zip_member_with_parent_path_is_refused(member):
    assert refused(ef.zip_with_member_name(member), "a.zip").code == "bad_member_name"


def test_zip_of_unknown_or_empty_members_is_refused():
    assert refused(ef.zip_bytes({"a.txt": b"plain text"}), "a.zip").code == "unknown"
    assert refused(ef.zip_bytes({"a.pdf": b""}), "a.zip").code == "empty_member"
    assert refused(ef.zip_bytes({"a.pdf": ef.EXE}), "a.zip").code == "executable"


def test_png_named_pdf_is_an_extension_mismatch():
    error = refused(ef.png_bytes(), "照片.pdf")
    assert error.code == "extension_mismatch"
    assert (
        error.message == "文件“照片.pdf”的内容是PNG 图片，与扩展名“.pdf”不符，请改为 .png 后上传。"
    )
    assert refused(ef.pdf_bytes(), "无扩展名").code == "extension_mismatch"


def test_empty_file_and_other_archives_are_refused():
    assert refused(b"", "空.pdf").code == "empty"
    assert "请改用 ZIP" in refused(ef.RAR, "a.rar").message


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("a/b.pdf", "路径分隔符"),
        ("a\\b.pdf", "路径分隔符"),
        ("a\u202egpj.exe", "控制字符"),
        ("a\nb.pdf", "控制字符"),
        ("a\x00.pdf", "控制字符"),
        ("a\u200bb.pdf", "控制字符"),
        (".htaccess", "不能以“.”开头"),
        ("a.pdf.", "不能以空格或“.”结尾"),
        ("  ", "文件名不能为空"),
        ("长" * 201 + ".pdf", "超过 200 个字符"),
    ],
)
def test_name_with_separator_or_control_character_is_refused(name, words):
    with pytest.raises(Refused) as error:
        check_name(name)
    assert error.value.code == "bad_name" and words in error.value.message
    assert "\u202e" not in error.value.message  # shown escaped, never rendered


def test_ordinary_chinese_names_pass():
    for name in ("2023年绩效自评报告（终稿）.pdf", "现场照片 1.jpg", "发票-001.ofd"):
        check_name(name)
    assert detected(ef.pdf_bytes(), "2023年绩效自评报告（终稿）.pdf") == "pdf"
