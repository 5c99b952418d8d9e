"""core.pdf: statements and certificates come out as PDFs whose Chinese is embedded and can be read back."""

from __future__ import annotations

import logging

import pytest
from tests.pdf import pdf_embedded_fonts, pdf_text

from tiercare.core.pdf import BUNDLED_FONT, fetch_allowed, pdf_response, render_pdf

DOC = """<h1>专家阳光收入结算单</h1>
<table><tr><th>日期</th><th>服务</th><th class="num">金额</th></tr>
<tr><td>2026-11-03</td><td>特需手术（三级）</td><td class="num">￥1,234.56</td></tr></table>
<p>实发：￥987.65</p>"""


def test_chinese_text_is_embedded_and_reads_back():
    pdf = render_pdf(DOC)

    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for words in ("专家阳光收入结算单", "特需手术（三级）", "1,234.56", "实发", "987.65"):
        assert words in text
    assert pdf_embedded_fonts(pdf), "the font is embedded, so the PDF reads the same on a machine without it"


def test_the_bundled_font_carries_chinese_where_the_machine_has_none(caplog):
    # Naming only the bundled face is what happens on a machine with no Chinese font of its own.
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_pdf(DOC, stylesheets=['html, h1, td, th, p { font-family: "TiercareCJK" }'])

    assert not [r for r in caplog.records if "font" in r.getMessage().lower()], "the bundled face loaded"

    assert "专家阳光收入结算单" in pdf_text(pdf)
    assert any("WenQuanYi" in name for name in pdf_embedded_fonts(pdf))


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "http://169.254.169.254/latest/meta-data/", "https://example.com/x.png"]
)
def test_a_document_cannot_make_the_server_fetch_files_or_urls(url):
    assert not fetch_allowed(url)
    # Rendering goes on without the refused resource: nothing of it reaches the PDF.
    pdf = render_pdf(f'<p>报告</p><img src="{url}"><link rel="stylesheet" href="{url}">')
    assert "报告" in pdf_text(pdf)
    assert b"root:" not in pdf


def test_the_bundled_font_and_inline_images_may_be_fetched():
    assert fetch_allowed(BUNDLED_FONT.as_uri())
    assert fetch_allowed("data:image/png;base64,iVBORw0KGgo=")
    assert not fetch_allowed(BUNDLED_FONT.parent.as_uri() + "/README.md")


def test_a_download_keeps_its_chinese_file_name():
    response = pdf_response(b"%PDF-1.7", "2026年11月结算单.pdf")

    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''2026%E5%B9%B411%E6%9C%88" in disposition
