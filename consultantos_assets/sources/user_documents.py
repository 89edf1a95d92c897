"""The user's own documents about a company (<snapshot>/documents/<TICKER>/): safe file names, text
decoding that refuses binary files, PDF text, and the reader that turns the files into documents."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

from ..models import Document, InvalidTicker, normalize_ticker

log = logging.getLogger(__name__)

USER_EXTENSIONS = (".md", ".txt", ".pdf")



def sanitize_filename(name: str) -> str:
    """File name safe for ids and display: letters, digits, '.', '_' and '-' only."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned[:120] or "file"


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_TEXT_CONTROLS = set("\t\n\r\f\v")


class NotText(ValueError):
    """Bytes that are not a text document in any encoding read here (binary data)."""


def _looks_binary(text: str) -> bool:
    """Any NUL, or control characters (other than whitespace) in more than 2% of the text: not prose."""
    if not text:
        return False
    if "\x00" in text:
        return True
    controls = sum(1 for c in text if (c < " " and c not in _TEXT_CONTROLS) or "\x7f" <= c <= "\x9f")
    return controls > max(2, 0.02 * len(text))


def decode_text(raw: bytes) -> tuple[str, str | None]:
    """Text from bytes: a byte-order mark's encoding (UTF-8/16/32), else UTF-8, else cp1252, else
    latin-1; returns (text, the encoding used when it was not UTF-8). Raises NotText for binary data."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise NotText(f"starts with a {encoding.upper()} byte-order mark but is not valid "
                              f"{encoding.upper()}") from exc
            if _looks_binary(text):
                raise NotText("binary data, not text")
            return text, None if encoding == "utf-8-sig" else encoding.upper()
    try:
        text, used = raw.decode("utf-8"), None
    except UnicodeDecodeError:
        try:
            text, used = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, used = raw.decode("latin-1"), "latin-1"
    if _looks_binary(text):
        raise NotText("binary data, not text")
    return text, used


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return "\n".join((page.extract_text() or "") for page in reader.pages)


class UserDocumentReader:
    """Reads <snapshot>/documents/<TICKER>/ safely: no paths outside it, size limit, no crash."""

    def __init__(self, snapshot_dir: Path, max_document_bytes: int = 5_000_000):
        self.root = Path(snapshot_dir) / "documents"
        self.max_document_bytes = max_document_bytes

    def folder(self, ticker: str) -> Path | None:
        """The company's folder, or None when absent or not inside documents/."""
        try:
            symbol = normalize_ticker(ticker)
        except InvalidTicker:
            return None
        if not self.root.is_dir():
            return None
        root = self.root.resolve()
        folder = (self.root / symbol).resolve()
        if folder.parent != root or not folder.is_dir():
            return None
        return folder

    def read(self, ticker: str) -> tuple[list[Document], list[str]]:
        folder = self.folder(ticker)
        if folder is None:
            return [], []
        docs: list[Document] = []
        warnings: list[str] = []
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.name.startswith(".") or entry.suffix.lower() not in USER_EXTENSIONS:
                log.debug("ignoring %s", entry)
                continue
            doc, warning = self._read_one(ticker.upper(), folder, entry)
            if doc is not None:
                docs.append(doc)
            if warning:
                log.warning(warning)
                warnings.append(warning)
        return docs, warnings

    def _read_one(self, ticker: str, folder: Path, entry: Path) -> tuple[Document | None, str | None]:
        shown = sanitize_filename(entry.name)
        try:
            real = entry.resolve(strict=True)
            if real.parent != folder or not real.is_file():
                return None, f"skipped document {shown}: it points outside documents/{ticker}/ or is not a file"
            stat = real.stat()
            if stat.st_size > self.max_document_bytes:
                return None, (
                    f"skipped document {shown}: {stat.st_size:,} bytes is over the "
                    f"{self.max_document_bytes:,}-byte limit"
                )
            text, note = self._text(real)
        except NotText as exc:
            return None, f"skipped document {shown}: {exc}"
        except Exception as exc:  # noqa: BLE001 - a bad user file must never stop the run
            return None, f"skipped document {shown}: could not be read ({type(exc).__name__})"
        if not text.strip():
            return None, f"skipped document {shown}: no text could be extracted"
        return Document(
            id=f"doc:{ticker}:file:{shown}",
            title=shown,
            kind="user",
            source=shown,
            published=datetime.fromtimestamp(stat.st_mtime, tz=UTC).date(),
            text=text.strip(),
        ), note

    def _text(self, path: Path) -> tuple[str, str | None]:
        """(text, a note for the user when it was read in another encoding than UTF-8)."""
        if path.suffix.lower() == ".pdf":
            text = _pdf_text(path)
            if _looks_binary(text):
                raise NotText("its text layer is not readable text")
            return text, None
        with path.open("rb") as handle:
            raw = handle.read(self.max_document_bytes + 1)
        if len(raw) > self.max_document_bytes:
            raise ValueError("file grew past the size limit while reading")
        text, encoding = decode_text(raw)
        note = f"document {sanitize_filename(path.name)} is not UTF-8: read it as {encoding}" if encoding else None
        return text, note


# ---- providers ----------------------------------------------------------------------------------
