"""Reading back the PDFs the product makes: their text, as a reader's copy-and-paste would give it."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """The text of every page of the PDF ``data``, pages joined by newlines."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_embedded_fonts(data: bytes) -> list[str]:
    """The base names of the fonts whose file is embedded in the PDF ``data`` (e.g. ``ABCDEF+WenQuanYiMicroHei``)."""
    reader = PdfReader(io.BytesIO(data))
    names: list[str] = []
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            for member in [font, *[d.get_object() for d in font.get("/DescendantFonts", [])]]:
                descriptor = member.get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    names.append(str(member.get("/BaseFont")))
    return names
