"""``assert_fits(driver)``: nothing on the page scrolls sideways.

The page-level check alone passes while a list is unusable: Django wraps ``#result_list`` in
``.results { overflow-x: auto }``, so a too-wide table scrolls inside its box while the page
itself fits. So every box that can hold a table is measured too, and the key column headers
(status, lights, rates, score) must end inside the window.
"""

from __future__ import annotations

BOXES = ".results, .inline-group, #todo, .module, #changelist, #content-main, table"
KEY_COLUMNS = (
    "#result_list th.column-status, #result_list th[class*=light], #result_list th[class*=rate],"
    " #result_list th[class*=score], #result_list th[class*=grade],"
    " #result_list th.column-check_badge"
)
MEASURE = f"""
const inner = window.innerWidth;
const page = document.documentElement.scrollWidth;
const boxes = [...document.querySelectorAll({BOXES!r})]
    .filter(box => box.offsetParent !== null && box.scrollWidth > box.clientWidth + 1)
    .map(box => `${{box.id || box.className || box.tagName}} ${{box.scrollWidth}}>${{box.clientWidth}}`);
const columns = [...document.querySelectorAll({KEY_COLUMNS!r})]
    .filter(th => th.getBoundingClientRect().right > inner)
    .map(th => `${{th.className}} ends at ${{Math.round(th.getBoundingClientRect().right)}}`);
return [page, inner, boxes, columns];
"""


def overflow(driver) -> list[str]:
    """What scrolls sideways on the current page (empty when it all fits)."""
    page, inner, boxes, columns = driver.execute_script(MEASURE)
    problems = [f"page {page} > window {inner}"] if page > inner else []
    return [*problems, *(f"box {box}" for box in boxes), *(f"column {c}" for c in columns)]


def assert_fits(driver) -> None:
    """Fail, naming each box, when the page or any table box is wider than its window."""
    problems = overflow(driver)
    assert not problems, f"{driver.current_url} scrolls sideways: {problems}"
