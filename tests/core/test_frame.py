"""The site's frame: the language switch keeps the page's filters; every date field carries its format hint."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django import forms
from django.test import Client
from django.utils import translation

pytestmark = pytest.mark.django_db


def switch_href(html: str) -> str:
    return unescape(re.search(r'href="([^"]*)" id="lang-switch"', html).group(1))


def test_the_language_switch_keeps_the_filters(cast) -> None:
    client = Client()
    client.force_login(cast.ops)
    html = client.get("/directory/experts/", {"specialty": "oncology", "q": "钱", "page": "2"}).content.decode()
    query = parse_qs(urlsplit(switch_href(html)).query)
    assert query == {"specialty": ["oncology"], "q": ["钱"], "page": ["2"], "lang": ["en"]}

    # On the English page, the switch back replaces lang rather than adding a second one.
    html = client.get("/directory/experts/", {"specialty": "oncology", "lang": "en"}).content.decode()
    assert parse_qs(urlsplit(switch_href(html)).query) == {"specialty": ["oncology"], "lang": ["zh-hans"]}
    assert client.get("/directory/experts/" + switch_href(html)).status_code == 200


@pytest.mark.parametrize(
    ("language", "hint", "placeholder"),
    [("zh-hans", "格式：年-月-日", "年-月-日"), ("en", "Format: YYYY-MM-DD", "YYYY-MM-DD")],
)
def test_every_date_field_has_a_format_hint(language, hint, placeholder) -> None:
    """A widget default: any form's date field, as a date picker or as text, says how to write the date."""
    with translation.override(language):
        for widget in (forms.DateInput(), forms.DateInput(attrs={"type": "date"})):
            html = str(type("F", (forms.Form,), {"d": forms.DateField(widget=widget)})()["d"])
            assert f'placeholder="{placeholder}"' in html and f'<small class="format-hint">{hint}</small>' in html
        html = str(type("F", (forms.Form,), {"t": forms.DateTimeField()})()["t"])
        assert "format-hint" in html and ("时:分" if language == "zh-hans" else "HH:MM") in html


def test_a_page_date_filter_shows_the_hint_and_the_frame_carries_it_for_scripts(cast) -> None:
    client = Client()
    client.force_login(cast.ops)
    html = client.get("/directory/experts/").content.decode()
    assert re.search(r'<input type="date" name="on"[^>]*placeholder="年-月-日"', html)
    assert '<small class="format-hint">格式：年-月-日</small>' in html
    # Date inputs written straight into templates get the same words from forms.js.
    assert 'data-date-hint="格式：年-月-日"' in html and 'data-datetime-hint="格式：年-月-日 时:分"' in html
