"""Safe text for reportlab: one escaping helper and glyph fallback fonts.

Every string that comes from data, documents or a model goes through :func:`esc` before it is put
into Paragraph markup, and through :func:`plain` before it is drawn directly on a canvas or in a
chart. Characters the base font (Helvetica, WinAnsi) cannot show are drawn with a fallback TrueType
font that has the glyph (DejaVu Sans, a CJK font, ... whichever is installed); characters no font
has become '?'. Nothing here raises on odd input.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from .text import clean, xml_escape

log = logging.getLogger(__name__)

BASE_FONT = "Helvetica"
BASE_FONT_BOLD = "Helvetica-Bold"
BASE_FONT_ITALIC = "Helvetica-Oblique"

# (regular, bold) candidates, tried in order; the first that loads of each family is used.
_FALLBACK_CANDIDATES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "DejaVuSans",
        (
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf",
            "/usr/local/share/fonts/DejaVuSans.ttf",
            "/Library/Fonts/DejaVuSans.ttf",
        ),
        (
            "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
            "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
            "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
        ),
    ),
    (
        "CJK",
        (
            "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
            "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
            "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
            "/usr/share/fonts/truetype/arphic/uming.ttc",
            "/usr/share/fonts/google-droid/DroidSansFallbackFull.ttf",
            "/Library/Fonts/Arial Unicode.ttf",
        ),
        (),
    ),
    (
        "FreeSans",
        ("/usr/share/fonts/truetype/freefont/FreeSans.ttf", "/usr/share/fonts/gnu-free/FreeSans.ttf"),
        ("/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",),
    ),
)

# fontconfig patterns used when none of the known paths exists
_FC_PATTERNS = ("DejaVu Sans", "sans-serif:lang=zh", "sans-serif:lang=ar")


@dataclass(frozen=True)
class FallbackFont:
    name: str  # registered reportlab family name (regular face)
    bold: str
    cmap: frozenset[int]

    def has(self, ch: str) -> bool:
        return ord(ch) in self.cmap


_lock = threading.Lock()
_fonts: list[FallbackFont] | None = None


def _load_ttf(name: str, path: str) -> TTFont | None:
    try:
        font = TTFont(name, path, subfontIndex=0) if path.endswith(".ttc") else TTFont(name, path)
    except Exception as exc:  # unreadable, CFF-based or otherwise unsupported: skip it
        log.debug("cannot use font %s (%s): %s", path, name, exc)
        return None
    return font


def _fc_match(pattern: str) -> str | None:
    exe = shutil.which("fc-match")
    if not exe:
        return None
    try:
        out = subprocess.run(
            [exe, "-f", "%{file}", pattern], capture_output=True, text=True, timeout=3, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    path = out.stdout.strip()
    if path.lower().endswith((".ttf", ".ttc")) and os.path.isfile(path):
        return path
    return None


def _register(family: str, regular_path: str, bold_path: str | None) -> FallbackFont | None:
    name = f"COS-{family}"
    if name in pdfmetrics.getRegisteredFontNames():
        font = pdfmetrics.getFont(name)
    else:
        font = _load_ttf(name, regular_path)
        if font is None:
            return None
        pdfmetrics.registerFont(font)
    bold_name = f"{name}-Bold"
    if bold_name not in pdfmetrics.getRegisteredFontNames():
        bold = _load_ttf(bold_name, bold_path) if bold_path else None
        if bold is not None:
            pdfmetrics.registerFont(bold)
        else:
            bold_name = name
    # <b>/<i> inside a <font face=...> run map to the right face
    addMapping(name, 0, 0, name)
    addMapping(name, 1, 0, bold_name)
    addMapping(name, 0, 1, name)
    addMapping(name, 1, 1, bold_name)
    cmap = frozenset(font.face.charToGlyph.keys())
    return FallbackFont(name=name, bold=bold_name, cmap=cmap)


def fallback_fonts() -> list[FallbackFont]:
    """Fallback fonts found on this machine (loaded once per process)."""
    global _fonts
    with _lock:
        if _fonts is not None:
            return _fonts
        found: list[FallbackFont] = []
        seen: set[str] = set()
        for family, regulars, bolds in _FALLBACK_CANDIDATES:
            reg = next((p for p in regulars if os.path.isfile(p)), None)
            if reg is None:
                continue
            bold = next((p for p in bolds if os.path.isfile(p)), None)
            ff = _register(family, reg, bold)
            if ff is not None:
                found.append(ff)
                seen.add(os.path.realpath(reg))
        for i, pattern in enumerate(_FC_PATTERNS):
            path = _fc_match(pattern)
            if path and os.path.realpath(path) not in seen:
                ff = _register(f"FC{i}", path, None)
                if ff is not None:
                    found.append(ff)
                    seen.add(os.path.realpath(path))
        if not found:
            log.warning("no TrueType fallback font found: non-Latin characters will print as '?'")
        _fonts = found
        return found


@lru_cache(maxsize=4096)
def _is_base(ch: str) -> bool:
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@lru_cache(maxsize=8192)
def _font_for(ch: str) -> str | None:
    """'' for the base font, a fallback font name, or None when nothing has the glyph."""
    if _is_base(ch):
        return ""
    if ord(ch) > 0xFFFF:
        # reportlab writes a malformed ToUnicode entry for astral characters (emoji etc.), which
        # breaks text extraction and upsets strict readers: print those as '?' instead
        return None
    for ff in fallback_fonts():
        if ff.has(ch):
            return ff.name
    return None


def has_glyph(ch: str) -> bool:
    """True when the report can print ``ch`` itself (not as '?')."""
    return _font_for(ch) is not None


def esc(value: object, max_len: int | None = None) -> str:
    """Escape any data string for reportlab Paragraph markup.

    &, < and > are escaped, control characters dropped, and characters the base font lacks are
    wrapped in a ``<font face=...>`` run of a fallback font that has them, or replaced by '?'.
    Long unbroken words wrap because every paragraph style keeps ``splitLongWords`` on.
    """
    s = clean(value, max_len)
    if not s:
        return ""
    parts: list[str] = []
    run: list[str] = []
    run_font = ""
    for ch in s:
        font = _font_for(ch)
        if font is None:
            ch, font = "?", ""
        if font != run_font and run:
            parts.append(_wrap(run_font, "".join(run)))
            run = []
        run_font = font
        run.append(ch)
    if run:
        parts.append(_wrap(run_font, "".join(run)))
    return "".join(parts)


def _wrap(font: str, text: str) -> str:
    text = xml_escape(text)
    return f'<font face="{font}">{text}</font>' if font else text


def pick_font(texts: list[str] | tuple[str, ...] | str, bold: bool = False) -> str:
    """One font able to draw all of ``texts`` (base font if it can), for canvas and chart strings."""
    if isinstance(texts, str):
        texts = [texts]
    chars = {ch for t in texts for ch in clean(t) if not _is_base(ch) and ord(ch) <= 0xFFFF}
    if not chars:
        return BASE_FONT_BOLD if bold else BASE_FONT
    best: FallbackFont | None = None
    best_cover = -1
    for ff in fallback_fonts():
        cover = sum(1 for ch in chars if ff.has(ch))
        if cover > best_cover:
            best, best_cover = ff, cover
    if best is None or best_cover == 0:
        return BASE_FONT_BOLD if bold else BASE_FONT
    return best.bold if bold else best.name


def plain(value: object, font: str = BASE_FONT, max_len: int | None = None) -> str:
    """Text for canvas/graphics drawing in ``font``: glyphs it lacks become '?'."""
    s = clean(value, max_len)
    if font.startswith("Helvetica") or font.startswith("Times") or font.startswith("Courier"):
        return "".join(ch if _is_base(ch) else "?" for ch in s)
    ff = next((f for f in fallback_fonts() if font in (f.name, f.bold)), None)
    if ff is None:
        return "".join(ch if _is_base(ch) else "?" for ch in s)
    return "".join(ch if (ff.has(ch) and ord(ch) <= 0xFFFF) or ch == " " else "?" for ch in s)
