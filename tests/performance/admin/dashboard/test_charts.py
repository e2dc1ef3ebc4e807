"""The dashboard's SVG builders: well-formed, accessible, every figure printed, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from performance.admin.dashboard import charts
from performance.admin.dashboard.charts import Bar, Segment

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element, css_class: str) -> list[str]:
    return [
        "".join(node.itertext()).strip()
        for node in root.iter("{http://www.w3.org/2000/svg}text")
        if node.get("class") == css_class
    ]


def shown_labels(root: ET.Element) -> list[str]:
    """Row labels as displayed (each label's <title> holds the full text for tooltips)."""
    return [
        node.find("svg:title", NS).tail
        for node in root.iter("{http://www.w3.org/2000/svg}text")
        if node.get("class") == "bar-label"
    ]


def bar_widths(root: ET.Element) -> list[float]:
    return [
        float(rect.get("width"))
        for rect in root.iter("{http://www.w3.org/2000/svg}rect")
        if rect.get("class") == "bar"
    ]


def test_format_figure_writes_figures_as_published():
    assert charts.format_figure(Decimal("100.00")) == "100"
    assert charts.format_figure(Decimal("93.460")) == "93.46"
    assert charts.format_figure(Decimal("0.50")) == "0.5"
    assert charts.format_figure(Decimal("0.00")) == "0"
    assert charts.format_figure(Decimal("1E+3")) == "1000"
    assert charts.format_figure(7) == "7"
    assert charts.format_figure(None) == "—"


def test_a_bar_chart_is_an_accessible_image_with_a_label_and_figure_per_bar():
    svg = charts.bar_chart(
        chart_id="c1",
        title="2023年项目自评等级",
        bars=[Bar("优", 4), Bar("良", 1), Bar("差", 0)],
        suffix=" 个",
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find("svg:title", NS).text == "2023年项目自评等级"
    assert root.find("svg:desc", NS).text == "2023年项目自评等级：优 4 个；良 1 个；差 0 个"
    assert texts(root, "chart-title") == ["2023年项目自评等级"]
    assert shown_labels(root) == ["优", "良", "差"]
    assert texts(root, "bar-value") == ["4 个", "1 个", "0 个"]
    widths = bar_widths(root)
    assert widths[0] == charts.WIDTH - charts.LABEL_WIDTH - charts.VALUE_WIDTH  # the largest
    assert widths[1] == widths[0] / 4
    assert widths[2] == 0


def test_long_labels_are_cut_but_keep_the_full_text_as_a_tooltip():
    name = "伊滨经开区（示范区）社会保障事务服务中心"
    root = parse(charts.bar_chart(chart_id="c", title="t", bars=[Bar(name, 3)]))
    (label,) = [
        node
        for node in root.iter("{http://www.w3.org/2000/svg}text")
        if node.get("class") == "bar-label"
    ]
    assert label.find("svg:title", NS).text == name
    (shown,) = shown_labels(root)
    assert shown == name[: charts.LABEL_CHARS - 1] + "…"


def test_every_text_is_escaped():
    svg = charts.bar_chart(
        chart_id='x" onload="alert(1)',
        title="<script>alert(1)</script>",
        bars=[Bar("<b>单位</b> & 'x'", 1, color='red" onclick="x')],
    )
    root = parse(svg)  # still well-formed XML
    assert "<script>" not in svg and "<b>" not in svg
    assert root.get("id") == 'x" onload="alert(1)'
    assert root.get("onload") is None
    assert all(rect.get("onclick") is None for rect in root.iter())


def test_an_empty_chart_says_there_is_no_data():
    for svg in (
        charts.bar_chart(chart_id="e", title="空", bars=[]),
        charts.progress_chart(
            chart_id="e", title="空", bars=[], reference=Decimal(50), reference_label="时间进度"
        ),
        charts.stacked_chart(chart_id="e", title="空", rows=[("1-6月", [])], legend=[]),
    ):
        root = parse(svg)
        assert texts(root, "chart-empty") == [charts.EMPTY_TEXT]
        assert root.get("role") == "img"


def test_a_progress_chart_draws_rates_against_the_time_progress_line():
    svg = charts.progress_chart(
        chart_id="p",
        title="预算执行率与时间进度",
        bars=[
            Bar("027001", Decimal("36.97"), charts.LIGHT_COLORS["red"], "红灯"),
            Bar("305004", Decimal("100.00"), charts.LIGHT_COLORS["green"], "绿灯"),
        ],
        reference=Decimal("58.33"),
        reference_label="时间进度",
    )
    root = parse(svg)
    assert texts(root, "bar-value") == ["36.97% 红灯", "100% 绿灯"]
    assert texts(root, "reference-label") == ["时间进度 58.33%"]
    area = charts.WIDTH - charts.LABEL_WIDTH - charts.VALUE_WIDTH
    widths = bar_widths(root)
    assert abs(widths[1] - area) < 0.1  # 100 % fills the axis
    assert abs(widths[0] - area * 0.3697) < 0.1
    (line,) = [n for n in root.iter() if n.get("class") == "reference-line"]
    assert abs(float(line.get("x1")) - (charts.LABEL_WIDTH + area * 0.5833)) < 0.1
    assert texts(root, "axis-label") == ["0%", "50%", "100%"]
    fills = [r.get("fill") for r in root.iter() if r.get("class") == "bar"]
    assert fills == [charts.LIGHT_COLORS["red"], charts.LIGHT_COLORS["green"]]
    assert "027001 36.97%（红灯）" in root.find("svg:desc", NS).text


def test_a_rate_over_100_widens_the_axis_instead_of_overflowing():
    root = parse(
        charts.progress_chart(
            chart_id="p",
            title="t",
            bars=[Bar("a", Decimal("125")), Bar("b", Decimal("50"))],
            reference=Decimal("100"),
            reference_label="时间进度",
        )
    )
    area = charts.WIDTH - charts.LABEL_WIDTH - charts.VALUE_WIDTH
    assert bar_widths(root) == [area, round(area * 50 / 125, 1)]


def test_a_stacked_chart_prints_each_count_and_the_row_total():
    root = parse(
        charts.stacked_chart(
            chart_id="s",
            title="预警灯",
            rows=[
                (
                    "1-6月",
                    [
                        Segment("绿灯", 6, "#0a0"),
                        Segment("黄灯", 0, "#ff0"),
                        Segment("红灯", 4, "#a00"),
                    ],
                ),
                ("1-9月", [Segment("绿灯", 5, "#0a0")]),
            ],
            legend=[("绿灯", "#0a0"), ("红灯", "#a00")],
        )
    )
    assert texts(root, "bar-value") == ["6", "4", "5"]  # an empty segment draws nothing
    assert texts(root, "bar-total") == ["共 10", "共 5"]
    assert texts(root, "legend") == ["绿灯", "红灯"]
    widths = bar_widths(root)
    assert abs(sum(widths[:2]) - (charts.WIDTH - charts.LABEL_WIDTH - charts.VALUE_WIDTH)) < 0.1
    assert root.find("svg:desc", NS).text == "预警灯：1-6月：绿灯 6，红灯 4；1-9月：绿灯 5"
