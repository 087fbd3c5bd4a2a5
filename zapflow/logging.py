"""Structured logging: JSON in production, readable in a terminal, never a secret."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from zapflow.config import Settings

REDACTED = "[redacted]"
_SENSITIVE_KEY = re.compile(
    r"pass(word)?|secret|token|api[_-]?key|cookie|authorization|csrf|creds|session[_-]?key|"
    r"private|signal|auth[_-]?state|ciphertext",
    re.IGNORECASE,
)
# Values that look like our own credentials are masked wherever they appear.
_CREDENTIAL_VALUE = re.compile(r"\b(zf(?:k|s)_[A-Za-z0-9_-]{8,})")


def _redact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if _SENSITIVE_KEY.search(str(k)) else _redact(v)) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_redact(v) for v in value]
    if isinstance(value, str):
        return _CREDENTIAL_VALUE.sub(REDACTED, value)
    return value


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask any field whose name says it holds a secret."""
    for key in list(event_dict):
        if key == "event":
            event_dict[key] = _redact(event_dict[key])
        elif _SENSITIVE_KEY.search(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact(event_dict[key])
    return event_dict


def configure_logging(settings: Settings) -> None:
    """Route structlog and the standard library (uvicorn, alembic) through one pipeline."""
    use_json = settings.log_format == "json" or (
        settings.log_format == "auto" and (settings.is_production or not sys.stderr.isatty())
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        # rich's traceback rendering takes seconds per exception: plain tracebacks instead.
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level)
    # pgserver narrates every command it runs; its warnings are enough.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # Alembic announces its dialect on every readiness probe; we log migrations ourselves.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    # Our own request log replaces uvicorn's access log (which would print query strings).
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
