"""Cleaning of single cells of the template: each returns the value or raises :class:`Bad`
with the reason the user reads (formulas, dates, numbers, codes, lengths)."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from projects.years import is_budget_year, year_out_of_range_message

from .columns import PROJECT_TYPE_LABELS, project_type_of
from .reading import CELL_MAX_CHARS, CellError, Formula, PercentNumber, TooLong

UNIT_CODE = re.compile(r"[0-9A-Za-z]{1,20}")
PROJECT_CODE = re.compile(r"[0-9A-Za-z\-]{1,32}")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
GROUPED_NUMBER = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
MAX_LENGTH = {
    "unit_name": 200,
    "project_name": 300,
    "level1": 50,
    "level2": 50,
    "level3": 300,
    "raw_value": 300,
}


class Bad(Exception):
    """A cell that cannot be used, with the reason shown to the user."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def special(value) -> None:
    """Refuse formulas, error values, dates, booleans and overlong text in any column."""
    if isinstance(value, TooLong):
        raise Bad(
            f"内容过长（{value.length} 字），超过 Excel 单元格的上限 {CELL_MAX_CHARS} 字，"
            "不是正常的单元格内容。",
            "too_long",
        )
    if isinstance(value, Formula):
        raise Bad(
            f"是公式（{value[:40]}），导入只接受数值和文本；请复制后用“选择性粘贴 → 数值”替换公式再导入。",
            "formula",
        )
    if isinstance(value, CellError):
        raise Bad(f"是错误值 {value}，请改正。", "cell_error")
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        shown = value.isoformat() if hasattr(value, "isoformat") else str(value)
        raise Bad(
            f"被 Excel 识别成了日期/时间（{shown}）；请把单元格设为“文本”格式后重新填写。",
            "date_cell",
        )
    if isinstance(value, bool):
        raise Bad("是逻辑值（TRUE/FALSE），请填写文本或数字。", "bool_cell")


def plain(number: Decimal) -> str:
    if number == number.to_integral_value():
        return format(number.quantize(Decimal(1)), "f")
    return format(number.normalize(), "f")


def as_text(value, *, strip: bool = True) -> str:
    if value is None:
        return ""
    special(value)
    if isinstance(value, PercentNumber):
        return plain(Decimal(repr(float(value))) * 100) + "%"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Bad("不是有效的数值。", "invalid_number")
        return plain(Decimal(repr(value)))
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return text.strip() if strip else text


def required(text: str) -> str:
    if not text:
        raise Bad("不能为空。", "required")
    return text


def number(value, *, places: int, int_digits: int, what: str) -> Decimal:
    special(value)
    if isinstance(value, PercentNumber):
        raise Bad(f"{what}不应是百分比（{as_text(value)}），请填写数字。", "invalid_number")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Bad("不是有效的数值。", "invalid_number")
        number = Decimal(repr(value))
    else:
        text = "".join(unicodedata.normalize("NFKC", str(value)).split())
        if not text:
            raise Bad("不能为空。", "required")
        if GROUPED_NUMBER.fullmatch(text):
            text = text.replace(",", "")  # 1,909.20: Excel's thousands separators
        if not PLAIN_NUMBER.fullmatch(text):
            raise Bad(
                f"「{str(value).strip()[:30]}」不是数字；{what}只填写数字（如 14.48），不要带单位或文字。",
                "invalid_number",
            )
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise Bad(f"「{text[:30]}」不是数字。", "invalid_number") from None
    if number < 0:
        raise Bad(f"{what}不能为负数（{plain(number)}）。", "negative_number")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise Bad(f"{what}最多保留 {places} 位小数（{plain(number)}）。", "too_many_places")
    if number >= Decimal(10) ** int_digits:
        raise Bad(f"{what}数值过大（{plain(number)}）。", "number_too_large")
    return number


def year(value) -> int:
    if value is None or value == "":
        raise Bad("不能为空。", "required")
    special(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().removesuffix("年")
    if not re.fullmatch(r"\d{4}", text):
        raise Bad(f"「{str(value)[:20]}」不是四位数的年度（如 2022）。", "invalid_year")
    year = int(text)
    if not is_budget_year(year):
        raise Bad(year_out_of_range_message(year), "year_out_of_range")
    return year


def unit_code(value) -> str:
    text = unicodedata.normalize("NFKC", required(as_text(value)))
    if not UNIT_CODE.fullmatch(text):
        raise Bad(f"「{text[:30]}」不是有效的单位编码（数字和字母，最长 20 位）。", "invalid_code")
    return text


def project_code(value) -> str:
    if isinstance(value, float) and not isinstance(value, PercentNumber):
        raise Bad(
            f"项目编码被 Excel 存成了数字（{value:g}），长编码会丢失末尾的数字；请把该列设为“文本”"
            "格式后重新填写编码。",
            "code_as_number",
        )
    text = unicodedata.normalize("NFKC", required(as_text(value)))
    if any(ch.isspace() for ch in text):
        raise Bad(
            f"项目编码「{text[:40]}」中含有空格；项目编码是连续的数字和字母，请删除空格。",
            "code_with_spaces",
        )
    if not PROJECT_CODE.fullmatch(text):
        raise Bad(
            f"「{text[:40]}」不是有效的项目编码（只能包含数字、字母和短横线，最长 32 位）。",
            "invalid_code",
        )
    return text


def limited(text: str, key: str) -> str:
    cap = MAX_LENGTH[key]
    if len(text) > cap:
        raise Bad(f"内容过长（{len(text)} 字），最多 {cap} 字。", "too_long")
    return text


def project_type(value) -> str:
    text = required(as_text(value))
    category = project_type_of(text)
    if category is None:
        accepted = "、".join(PROJECT_TYPE_LABELS.values())
        raise Bad(f"「{text[:30]}」不是已知的项目类型（可填：{accepted}）。", "invalid_type")
    return category


def raw_value(value) -> str:
    """The 指标值 exactly as typed (no trimming); numbers as the cell shows them."""
    text = as_text(value, strip=False)
    if not text.strip():
        raise Bad("指标值不能为空（如“≥90%”“及时”）。", "required")
    if len(text) > MAX_LENGTH["raw_value"]:
        raise Bad(f"内容过长（{len(text)} 字），最多 300 字。", "too_long")
    return text
