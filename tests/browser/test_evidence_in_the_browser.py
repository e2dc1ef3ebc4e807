"""Evidence files in a real browser: 305004's filler adds files to a monitoring report.

One file is dropped on the drop zone (a drop event carrying a real ``File``, as a drag from the
desktop delivers it: ``evidence.js`` moves it into the file input), then two are picked with the
file input at once; the panel lists them with name, type and uploader, a row's 佐证 link opens
that row's page, and an executable renamed ``.pdf`` is refused with the Chinese reason. The
panel fits a 1366-pixel screen. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import pytest

from performance.demo import load_demo_monitoring
from performance.models import Attachment, MonitoringReport
from tests.support import evidence_files as ef

from .test_review_in_the_browser import Browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DROP = """
const [zone, name, text] = arguments;
const transfer = new DataTransfer();
transfer.items.add(new File([text], name, {type: "application/pdf"}));
for (const type of ["dragenter", "dragover", "drop"]) {
  zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
}
"""


@pytest.fixture
def evidence_browser(chromium, live_server, monkeypatch, demo, evidence_storage) -> Browser:
    from django.db import connections

    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    chromium.delete_all_cookies()
    return Browser(chromium, live_server.url)


def test_evidence_upload_in_the_browser(evidence_browser, screenshot, tmp_path):
    browser = evidence_browser
    load_demo_monitoring()
    report = MonitoringReport.objects.filter(unit__code="305004").order_by("pk").first()
    picked = [tmp_path / "绩效监控报告.pdf", tmp_path / "现场照片.png"]
    picked[0].write_bytes(ef.pdf_bytes("监控"))
    picked[1].write_bytes(ef.png_bytes(40, 30))
    disguised = tmp_path / "伪装.pdf"
    disguised.write_bytes(ef.EXE)

    browser.login("filler305")
    browser.open(f"/admin/performance/monitoringreport/{report.pk}/change/")
    zone = browser.find("#evidence-panel .evidence-drop")
    browser.driver.execute_script("arguments[0].scrollIntoView()", zone)
    browser.driver.execute_script(DROP, zone, "拖入的说明.pdf", "%PDF-1.4 dropped")
    browser.text_in("#evidence-panel .evidence-chosen", "已选择 1 个文件：拖入的说明.pdf")
    screenshot("evidence-01-dropped")
    browser.click("#evidence-upload [type=submit]")
    browser.text_in("#evidence-panel h2", "佐证材料（1 个）")

    files = browser.find("#evidence-panel input[type=file]")
    files.send_keys("\n".join(str(path) for path in picked))
    browser.text_in("#evidence-panel .evidence-chosen", "已选择 2 个文件")
    browser.click("#evidence-upload [type=submit]")
    browser.text_in("#evidence-panel h2", "佐证材料（3 个）")
    panel = browser.find("#evidence-panel")
    for text in ("拖入的说明.pdf", "绩效监控报告.pdf", "现场照片.png", "PNG 图片", "305004 填报员"):
        assert text in panel.text
    right = browser.driver.execute_script(
        "return arguments[0].getBoundingClientRect().right", panel
    )
    assert right <= 1366
    browser.driver.execute_script("arguments[0].scrollIntoView()", panel)
    screenshot("evidence-02-listed")

    row_link = browser.find("a.evidence-link")
    browser.open(row_link.get_attribute("href").replace(browser.base_url, ""))
    browser.find("#evidence-panel input[type=file]").send_keys(str(disguised))
    browser.click("#evidence-upload [type=submit]")
    browser.text_in(".messagelist", "文件“伪装.pdf”的内容是可执行程序")
    screenshot("evidence-03-refused")
    assert sorted(Attachment.objects.values_list("name", flat=True)) == [
        "拖入的说明.pdf",
        "现场照片.png",
        "绩效监控报告.pdf",
    ]
