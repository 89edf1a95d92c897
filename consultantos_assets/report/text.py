"""Data text made safe without any renderer's library: control and invisible characters removed,
whitespace normalised, lengths capped (`clean`), and Markdown escaping (`md`). The Markdown export and
the run's metadata use these in the run's own process; `markup` builds reportlab's escaping on them."""

from __future__ import annotations

import unicodedata


def invisible(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cs", "Co", "Cn") or (cat == "Cf") or 0xFE00 <= ord(ch) <= 0xFE0F


def clean(value: object, max_len: int | None = None) -> str:
    """Text with control characters removed, whitespace normalised and length capped."""
    if value is None:
        return ""
    s = value if isinstance(value, str) else str(value)
    s = unicodedata.normalize("NFC", s)
    out = []
    for ch in s:
        if ch in "\r\n\t\f\v":
            out.append(" ")
        elif not invisible(ch):
            out.append(ch)
    s = "".join(out)
    if max_len is not None and len(s) > max_len:
        s = s[: max(1, max_len - 1)].rstrip() + "\u2026"
    return s


def xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md(value: object, max_len: int | None = None) -> str:
    """Escape a data string for markdown (tables included): HTML and table syntax neutralised."""
    s = clean(value, max_len)
    s = xml_escape(s)
    for ch in ("\\", "|", "*", "_", "`", "[", "]", "#"):
        s = s.replace(ch, "\\" + ch)
    return s
