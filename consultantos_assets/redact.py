"""Keep API keys out of log output (no dagster).

Our own error texts mask keys where they are built, but third-party libraries log too: a client
library's retry logger may print an error body in which a gateway quoted the request's key. Keys
registered here are replaced by '***' in every log record this process creates (message, arguments
and the formatted traceback), whatever logger or handler it goes to, including the stderr that
Dagster captures as compute logs.
"""

from __future__ import annotations

import logging
import threading

MASK = "***"
_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def mask(text: str) -> str:
    for s in sorted(_secrets, key=len, reverse=True):
        text = text.replace(s, MASK)
    return text


def _contains_secret(text: str) -> bool:
    return any(s in text for s in _secrets)


def register_secret(value: str | None) -> None:
    """Mask ``value`` in every log record from now on (values shorter than 8 characters are ignored:
    masking them would garble ordinary text and they are not real keys)."""
    global _installed
    if not value or len(value) < 8:
        return
    with _lock:
        _secrets.add(value)
        if not _installed:
            previous = logging.getLogRecordFactory()

            def factory(*args, **kwargs) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                if _secrets:
                    _scrub(record)
                return record

            logging.setLogRecordFactory(factory)
            _installed = True


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: leave it to logging's own error handling
        return
    if _contains_secret(message):
        record.msg, record.args = mask(message), None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        if _contains_secret(text):
            record.exc_text = mask(text)
