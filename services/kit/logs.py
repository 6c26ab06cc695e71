"""JSON logs, one object per line. Log ids and codes, never personal data: callers pass only
opaque references (serial, RMA, customer id, principal) as fields."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

from services.kit.tracing import current_ids

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if ids := current_ids():
            entry["trace_id"], entry["span_id"] = ids
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type and stack, not its message: messages can quote the data that failed.
            entry["exc_type"] = record.exc_info[0].__name__
            entry["stack"] = _stack_without_message(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _stack_without_message(exc_info: Any) -> list[str]:
    return [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc_info[2])]


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Temporal and gRPC are chatty at INFO about normal reconnects; httpx logs every URL it calls and
    # aiosmtpd (the dev mail sink) every recipient's address: keep their warnings only.
    for noisy in ("temporalio", "grpc", "aiosqlite", "sqlalchemy", "alembic", "httpx", "httpcore", "mail.log"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
