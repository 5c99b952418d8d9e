"""PDF documents (statements, certificates, evaluation reports) from HTML with WeasyPrint, a Chinese font embedded.

``render_pdf(html)`` lays out an HTML string on A4 with the house style and returns the PDF's bytes; the fonts it
uses are embedded (subset) in the file, so a statement opens with its Chinese on any reader. The font is the
machine's own Chinese font where there is one (WenQuanYi Micro Hei, Noto Sans CJK SC, Source Han Sans SC), else
the GB 2312 subset of WenQuanYi Micro Hei shipped in ``core/fonts/`` (see its README: GB 2312 plus ASCII and the
full-width punctuation ￥·—…‘’“”、。〈〉《》「」『』【】〔〕！（），．：；？～％＋－／＜＝＞℃°±×÷≤≥①②③④⑤).

Documents are rendered from our own templates; still, WeasyPrint may fetch nothing but the bundled font and inline
``data:`` images, so text a user typed can never make the server read a file or call a URL (``fetch_allowed``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

FONT_DIR = Path(__file__).resolve().parent / "fonts"
BUNDLED_FONT = FONT_DIR / "tiercare-cjk-gb2312.woff2"
FONT_FAMILY = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "TiercareCJK", sans-serif'

BASE_CSS = f"""
@font-face {{ font-family: "TiercareCJK"; src: url("{BUNDLED_FONT.as_uri()}") format("woff2"); }}
@page {{
  size: A4; margin: 18mm 15mm 20mm;
  @bottom-center {{ content: counter(page) " / " counter(pages); font-family: {FONT_FAMILY}; font-size: 8pt; }}
}}
html {{ font-family: {FONT_FAMILY}; font-size: 10.5pt; line-height: 1.45; color: #111; }}
h1 {{ font-size: 16pt; margin: 0 0 4mm; }}
h2 {{ font-size: 12.5pt; margin: 6mm 0 2mm; }}
table {{ border-collapse: collapse; width: 100%; margin: 2mm 0; }}
th, td {{ border: 0.5pt solid #999; padding: 1.5pt 4pt; vertical-align: top; text-align: left; }}
th {{ background: #eee; }}
.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
.muted {{ color: #555; font-size: 9pt; }}
"""


class PdfFetchRefused(ValueError):
    """A document asked WeasyPrint for something other than the bundled font or an inline image."""


def fetch_allowed(url: str) -> bool:
    """May a document fetch ``url``? Only the bundled font and inline ``data:`` images."""
    return url.startswith("data:") or url == BUNDLED_FONT.as_uri()


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    class Fetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not fetch_allowed(url):
                raise PdfFetchRefused(url)
            return super().fetch(url, headers)

    return Fetcher(allowed_protocols=("file", "data"), allow_redirects=False)


def render_pdf(html: str, *, stylesheets: Sequence[str] = ()) -> bytes:
    """The PDF of ``html`` (a whole document or a fragment) in the house style plus ``stylesheets`` (CSS strings)."""
    from weasyprint import CSS, HTML  # imported when a PDF is asked for: WeasyPrint takes ~0.5 s to import
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    fetcher = _fetcher()
    css = [CSS(string=s, font_config=fonts, url_fetcher=fetcher) for s in (BASE_CSS, *stylesheets)]
    document = HTML(string=html, base_url=FONT_DIR.as_uri() + "/", url_fetcher=fetcher)
    pdf = document.write_pdf(stylesheets=css, font_config=fonts)
    assert pdf is not None  # write_pdf without a target returns the bytes
    return bytes(pdf)


def render_pdf_template(template_name: str, context: Mapping[str, Any], *, request: HttpRequest | None = None) -> bytes:
    """``render_pdf`` of a Django template rendered with ``context`` (in the active language)."""
    return render_pdf(render_to_string(template_name, dict(context), request=request))


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """A download of ``pdf`` named ``filename`` (Chinese names kept, RFC 6266 ``filename*``)."""
    response = HttpResponse(pdf, content_type="application/pdf")
    ascii_name = filename.encode("ascii", "ignore").decode() or "document.pdf"
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
