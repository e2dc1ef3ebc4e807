"""Cells of the money feeds (kinds ``projects`` and ``execution``): amounts, dates, choices.

Amounts come from machines (the budget and treasury systems), so they are held to a stricter
rule than the target template: a plain decimal, no thousands separator, no unit in the cell.
元 versus 万元 is detected, never guessed: a header in 元 declares the file's unit (amounts are
converted exactly, ÷10000, with a notice); an amount above ``IMPORT_AMOUNT_CAP_WAN`` is refused
here, and the planners compare amounts with the project's budget (``amount_scale_suspect``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.conf import settings

from projects.choices import Continuity, FundSource

from .cell_cleaning import Bad, plain, special
from .reading import PercentNumber

YUAN_PER_WAN = Decimal(10000)
AMOUNT_PLACES = 6
DECIMAL = re.compile(r"-?\d+(\.\d+)?")
GROUPED = re.compile(r"-?\d{1,3}([,，]\d{3})+(\.\d+)?")
WITH_UNIT = re.compile(r"-?[\d.,，]+\s*(万元|元|万|亿元|亿)")
DATE_TEXT = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
FUND_SOURCES = {label: value for value, label in FundSource.choices} | {
    value: value for value in FundSource.values
}
CONTINUITIES = {label: value for value, label in Continuity.choices} | {
    value: value for value in Continuity.values
}


def amount_cap_wan() -> Decimal:
    return Decimal(str(getattr(settings, "IMPORT_AMOUNT_CAP_WAN", 1_000_000)))


def money(value, *, in_yuan: bool = False, negative_ok: bool = False) -> Decimal:
    """An amount in 万元 from a cell; ``in_yuan`` when the file's header declares 元.

    Raises ``Bad`` with codes ``thousands_separator``, ``amount_with_unit``, ``invalid_number``,
    ``negative_number``, ``too_many_places`` and ``amount_implausible``."""
    special(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Bad("不能为空。", "required")
    if isinstance(value, PercentNumber):
        raise Bad("金额不应是百分比，请填写数字。", "invalid_number")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Bad("不是有效的数值。", "invalid_number")
        number = Decimal(repr(value))
    else:
        shown = str(value).strip()[:30]
        text = "".join(unicodedata.normalize("NFKC", str(value)).split())
        if GROUPED.fullmatch(text):
            bare = text.replace(",", "").replace("，", "")
            raise Bad(f"金额「{shown}」含千位分隔符，请写成 {bare}。", "thousands_separator")
        if WITH_UNIT.fullmatch(text):
            raise Bad(
                f"金额「{shown}」带有单位；本列只填写数字，单位见表头"
                f"（{'元' if in_yuan else '万元'}）。",
                "amount_with_unit",
            )
        if not DECIMAL.fullmatch(text):
            raise Bad(f"「{shown}」不是数字；金额只填写数字（如 14.48）。", "invalid_number")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise Bad(f"「{shown}」不是数字。", "invalid_number") from None
    if number < 0 and not negative_ok:
        raise Bad(f"金额不能为负数（{plain(number)}）。", "negative_number")
    places = AMOUNT_PLACES - 4 if in_yuan else AMOUNT_PLACES
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise Bad(
            f"金额最多保留 {places} 位小数（{plain(number)}{'元' if in_yuan else '万元'}）。",
            "too_many_places",
        )
    if in_yuan:
        number = number / YUAN_PER_WAN
    cap = amount_cap_wan()
    if abs(number) > cap:
        raise Bad(
            f"金额 {plain(number)} 万元超过 {plain(cap)} 万元，不像一笔真实的金额；"
            "请核对是否把“元”填在了“万元”列。",
            "amount_implausible",
        )
    return number


def date(value) -> dt.date:
    """A date from an xlsx date cell or text ``2023-03-05``, ``2023/3/5``, ``20230305``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Bad("不能为空。", "required")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    special(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for pattern in DATE_TEXT:
        match = pattern.fullmatch(text)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise Bad(
        f"「{text[:30]}」不是有效的日期（如 2023-03-05、2023/3/5 或 20230305）。", "invalid_date"
    )


def optional_date(value) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return date(value)


def fund_source(value, *, blank_ok: bool = False) -> str:
    text = "".join(unicodedata.normalize("NFKC", "" if value is None else str(value)).split())
    if not text and blank_ok:
        return ""
    if text in FUND_SOURCES:
        return FUND_SOURCES[text]
    accepted = "、".join(FundSource.labels)
    raise Bad(f"「{text[:30]}」不是已知的资金来源（可填：{accepted}）。", "invalid_fund_source")


def continuity(value) -> str:
    text = "".join(unicodedata.normalize("NFKC", "" if value is None else str(value)).split())
    if not text:
        return Continuity.CONTINUING
    if text in CONTINUITIES:
        return CONTINUITIES[text]
    raise Bad(f"「{text[:20]}」应填写“新增”或“延续”。", "invalid_continuity")


def text(value, *, max_length: int) -> str:
    special(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = str(value).strip()
    if len(result) > max_length:
        raise Bad(f"内容过长（{len(result)} 字），最多 {max_length} 字。", "too_long")
    return result
