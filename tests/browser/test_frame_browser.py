"""The site's frame in a real browser: 「℃」 draws with the fonts the pages ask for; the language switch keeps the
filters; a date field written into a template gets its format hint; the auditor answers "who read this patient's
record last month" from the audit log, and a GP is refused it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.outreach.factories import make_session

from tiercare.core.audit import audit_patient_read

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Ink of one character drawn on a canvas in the page's own font stack (the canvas falls back like the text does).
INK = """([text, family]) => {
  const c = document.createElement("canvas"); c.width = 80; c.height = 80;
  const g = c.getContext("2d"); g.font = "48px " + family; g.fillStyle = "#000"; g.fillText(text, 8, 60);
  const d = g.getImageData(0, 0, 80, 80).data; let n = 0;
  for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; }
  return n;
}"""


def test_celsius_draws_with_the_pages_font_stack(page, cast):
    sign_in(page, "gp", PASSWORD)
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    stack = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "tiercare-symbols" in stack
    for text in ("℃", "体温 39 ℃", "中"):
        assert page.evaluate(INK, [text, stack]) > 50, (text, stack)


def test_the_language_switch_keeps_the_filters(page, cast, shot):
    sign_in(page, "ops", PASSWORD)
    page.goto("/directory/organizations/?tier=secondary&q=县")
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "tier=secondary" in page.url and "lang=en" in page.url
    assert page.input_value("#id_q") == "县" and page.input_value("#id_tier") == "secondary"


def test_a_date_field_written_into_a_template_gets_the_format_hint(page, cast):
    """The session page's move form has a bare <input type="date">: forms.js gives it the widgets' hint."""
    session = make_session(cast.expert_practitioner, cast.dept_a, on=timezone.localdate() + timedelta(days=7))
    sign_in(page, "ops", PASSWORD)
    page.goto(f"/outreach/sessions/{session.pk}/")
    hint = page.locator('input[type="date"][name="date"] + .format-hint')
    expect(hint).to_have_text("格式：年-月-日")
    assert page.get_attribute('input[type="date"][name="date"]', "placeholder") == "年-月-日"


def test_the_auditor_finds_who_read_a_record_last_month(page, cast, shot):
    cast.gp.display_name = "李医生"
    cast.gp.save(update_fields=["display_name"])
    for when in (datetime(2026, 10, 15, 9, 0), datetime(2026, 11, 2, 9, 0)):
        with time_machine.travel(when.replace(tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
            audit_patient_read(
                actor=cast.gp, person_ids=[cast.patient_person.pk], object_type="people.person",
                object_id=str(cast.patient_person.pk), reason="household page",
            )  # fmt: skip
    sign_in(page, "auditor", PASSWORD)
    page.click("text=审计日志")
    page.fill("#id_person", "张三")
    page.fill("#id_since", "2026-10-01")
    page.fill("#id_until", "2026-10-31")
    page.select_option("#id_action", "read")
    page.click("#audit-filters button.primary")
    page.wait_for_load_state()
    rows = page.locator("table.audit-log tbody tr")
    expect(rows).to_have_count(1)
    text = rows.first.inner_text()
    assert "2026-10-15 09:00:00" in text and "李医生" in text and "全科医生" in text and "张三" in text
    assert page.locator(".format-hint").count() >= 2  # the date fields say how to write a date
    assert page.input_value("#id_since") == "2026-10-01"  # the filter stays on the page
    shot(page, "audit-log-auditor")

    page.click("#lang-switch")
    page.wait_for_load_state()
    expect(page.locator("table.audit-log tbody tr")).to_have_count(1)  # same filter, in English
    assert "General practitioner" in page.locator("table.audit-log tbody tr").first.inner_text()


def test_a_gp_is_refused_the_audit_log(page, cast):
    sign_in(page, "gp", PASSWORD)
    assert page.locator("text=审计日志").count() == 0
    response = page.goto("/audit/?person=张三")
    assert response.status == 403
    assert "张三" not in page.content() and page.locator("header.top .brand").count() == 1
