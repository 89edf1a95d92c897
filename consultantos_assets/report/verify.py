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


def verify_pdf(path: Path, company_name: str, min_pages: int = 5) -> list[str]:
    """Problems found: unreadable file, too few pages, a missing section title or company name."""
    if not path.exists():
        return [f"{path} does not exist"]
    try:
        pages, text = pdf_text(path)
    except Exception as exc:  # any parse failure means a broken file
        return [f"{path} cannot be read as a PDF: {exc}"]
    flat = _SPACE.sub(" ", text)
    problems = []
    if pages < min_pages:
        problems.append(f"only {pages} pages (expected at least {min_pages})")
    for key, title in SECTIONS.items():
        if key != "changes" and title not in flat:
            problems.append(f"section '{title}' not found")
    if _SPACE.sub(" ", company_name) not in flat:
        problems.append(f"company name '{company_name}' not found")
    return problems
