"""Read a rendered PDF back and say what is missing from it."""

from __future__ import annotations

import re
from pathlib import Path

from .content import SECTIONS

_SPACE = re.compile(r"\s+")


def pdf_text(path: Path) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), text


def _outline(reader) -> dict[str, int]:
    """The PDF outline's top-level entries: title -> index of the page each one opens."""
    return {item.title: reader.get_destination_page_number(item) for item in reader.outline
            if not isinstance(item, list)}


def verify_pdf(path: Path, company_name: str, min_pages: int = 5) -> list[str]:
    """Problems found: unreadable file, too few pages, a section without an outline entry or not on the
    page its entry opens, the company name on none of the pages read.

    Only the pages the outline names and the cover are read (and the rest only while the company name
    is still not found): a section's title must be on its own page, not merely somewhere."""
    if not path.exists():
        return [f"{path} does not exist"]
    texts: dict[int, str] = {}

    def text(index: int) -> str:
        if index not in texts:
            texts[index] = _SPACE.sub(" ", reader.pages[index].extract_text() or "")
        return texts[index]

    try:
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        pages = len(reader.pages)
        outline = _outline(reader)
        problems = []
        if pages < min_pages:
            problems.append(f"only {pages} pages (expected at least {min_pages})")
        for key, title in SECTIONS.items():
            if key == "changes":  # only when an earlier report exists
                continue
            if title not in outline:
                problems.append(f"section '{title}' not in the PDF outline")
            elif title not in text(outline[title]):
                problems.append(f"section '{title}' is not on page {outline[title] + 1}, which its outline "
                                "entry opens")
        name = _SPACE.sub(" ", company_name)
        order = [0, *sorted(set(texts) - {0}), *(i for i in range(pages) if i not in texts)]
        if pages and not any(name in text(i) for i in order):
            problems.append(f"company name '{company_name}' not found")
    except Exception as exc:  # any parse failure means a broken file
        return [f"{path} cannot be read as a PDF: {exc}"]
    return problems
