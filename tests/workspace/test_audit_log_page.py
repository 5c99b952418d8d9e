"""The auditor's audit log answers "who read this patient's record last month" from the page: the person found by
what the auditor has in hand (name, pinyin, ID last 4), a Beijing-time date range, names and words instead of ids
and codes, the filter kept across pages, and the reading of names audited."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from tests import factories as f

from tiercare.core.audit import audit_patient_read
from tiercare.core.models import AuditAction, AuditEvent
from tiercare.people.access import access_person_by_id
from tiercare.people.models import Person

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reads(cast):
    """The GP read 张三's record on 10-15 and late on 10-31 (Beijing); the coordinator read it just after midnight
    on 11-01, and 王五's record on 10-20."""
    cast.gp.display_name = "李医生"
    cast.gp.save(update_fields=["display_name"])
    Person.objects.filter(pk=cast.patient_person.pk).update(id_last4="002X", id_masked="5101**********002X")
    for when, user, person in (
        (beijing(2026, 10, 15, 9, 0), cast.gp, cast.patient_person),
        (beijing(2026, 10, 31, 23, 30), cast.gp, cast.patient_person),
        (beijing(2026, 11, 1, 0, 30), cast.coordinator, cast.patient_person),
        (beijing(2026, 10, 20, 10, 0), cast.gp_b, cast.person_b),
    ):
        with time_machine.travel(when, tick=False):
            audit_patient_read(
                actor=user, person_ids=[person.pk], object_type="people.person", object_id=str(person.pk),
                reason="household page",
            )  # fmt: skip
    return cast


def rows(html: str) -> list[str]:
    body = html.split('class="audit-log"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"<[^>]+>", " ", r) for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_who_read_this_patients_record_last_month(reads) -> None:
    cast = reads
    response = client_for(cast.auditor).get(
        "/audit/", {"person": "002X", "since": "2026-10-01", "until": "2026-10-31", "action": "read"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    found = rows(html)
    assert len(found) == 2, found
    # Newest first, Beijing time (23:30 on the 31st is 15:30 UTC), the GP by name, role, action, object, reason.
    assert "2026-10-31 23:30:00" in found[0] and "2026-10-15 09:00:00" in found[1]
    for row in found:
        assert all(word in row for word in ("李医生", "全科医生", "查看", "居民档案", "张三", "家庭页面")), row
        assert "people.person" not in row and str(cast.patient_person.pk) not in row and " gp " not in row
    assert "医院协调员" not in "".join(found)  # the coordinator's read was on 11-01 in Beijing
    assert 'id="audit-person"' in html and "5101**********002X" in html


def test_a_person_found_by_name_pinyin_or_initials(reads) -> None:
    client = client_for(reads.auditor)
    for text in ("张三", "zhangsan", "zs"):
        html = client.get("/audit/", {"person": text}).content.decode()
        assert "张三" in html and "王五" not in "".join(rows(html)), text


def test_several_matches_are_listed_to_choose_and_nothing_is_guessed(reads) -> None:
    cast = reads
    first = f.PersonFactory(name="贺霞", birth_date=f.date(1958, 2, 1), household=cast.household_a)
    f.PersonFactory(name="贺霞", birth_date=f.date(1990, 7, 9), household=cast.household_b)
    with time_machine.travel(beijing(2026, 10, 16, 9, 0), tick=False):
        audit_patient_read(actor=cast.gp, person_ids=[first.pk], object_type="people.person", reason="list")
    html = client_for(cast.auditor).get("/audit/", {"person": "贺霞", "since": "2026-10-01"}).content.decode()
    assert 'id="person-matches"' in html and "1958-02-01" in html and "1990-07-09" in html
    found = rows(html)
    assert len(found) == 1 and "贺霞" not in found[0] and "张三" not in found[0]  # no events until one is chosen
    # Choosing one keeps the other filters.
    link = re.search(rf'href="\?([^"]*person={first.pk})"', html)
    assert link and "since=2026-10-01" in link.group(1)
    chosen = client_for(cast.auditor).get("/audit/?" + link.group(1).replace("&amp;", "&")).content.decode()
    # The GP's read of this 贺霞, and the auditor's own look at the two names a moment ago (audited too).
    chosen_rows = rows(chosen)
    assert len(chosen_rows) == 2 and "2026-10-16 09:00:00" in chosen_rows[1] and "李医生" in chosen_rows[1]
    assert "审计员" in chosen_rows[0] and "审计日志" in chosen_rows[0]


def test_the_filter_is_kept_when_paging(reads) -> None:
    cast = reads
    with time_machine.travel(beijing(2026, 10, 10, 8, 0), tick=True):
        for _ in range(105):
            access_person_by_id(cast.gp, cast.patient_person.pk, reason="household page")
    client = client_for(cast.auditor)
    html = client.get("/audit/", {"person": "张三", "until": "2026-10-31"}).content.decode()
    assert len(rows(html)) == 100
    next_link = re.search(r'href="\?([^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "person=" in next_link and "until=2026-10-31" in next_link and "page=2" in next_link
    second = rows(client.get("/audit/?" + next_link).content.decode())
    assert len(second) == 107 - 100  # 105 + the two reads of the fixture in October, none from November
    assert all("张三" in r for r in second)


def test_a_bad_filter_is_named_beside_its_field_and_the_rest_still_apply(reads) -> None:
    html = client_for(reads.auditor).get("/audit/", {"person": "张三", "since": "2026-13-45"}).content.decode()
    assert 'id="id_since-error"' in html and 'value="2026-13-45"' in html
    assert len(rows(html)) == 3  # 张三's three reads: the person filter applied, the bad date not
    html = client_for(reads.auditor).get("/audit/", {"person": "没有这个人"}).content.decode()
    assert 'id="id_person-error"' in html


def test_names_shown_to_the_auditor_are_themselves_audited(reads) -> None:
    cast = reads
    client_for(cast.auditor).get("/audit/", {"person": "002X"})
    event = AuditEvent.objects.filter(actor=cast.auditor).order_by("-id").first()
    assert event.reason == "audit log" and event.action == AuditAction.LIST
    assert cast.patient_person.pk in event.person_ids


@pytest.mark.parametrize("who", ["gp", "coordinator", "patient", "ops", "outsider"])
def test_only_auditors_and_administrators_see_the_log(reads, who) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(getattr(reads, who))
    response = client.get("/audit/", {"person": "张三"})
    assert response.status_code == 403 and "张三" not in response.content.decode()


def test_the_workspace_panel_shows_beijing_time_and_words(reads) -> None:
    html = client_for(reads.auditor).get("/").content.decode()
    panel = html.split('id="recent-audit"', 1)[1]
    # The newest event of the fixture is the coordinator's read at 00:30 on 11-01 Beijing (16:30 UTC on 10-31).
    assert "2026-11-01 00:30:00" in panel and "2026-10-31 16:30" not in panel
    assert "医院协调员" in panel and "people.person" not in panel
