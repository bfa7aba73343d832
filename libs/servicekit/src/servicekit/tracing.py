"""W3C trace context: one trace id follows a request through the outbox and Kafka."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

_current: ContextVar[TraceContext | None] = ContextVar("trace_context", default=None)


@dataclass(frozen=True)
class TraceContext:
    trace_id: str
    span_id: str
    flags: str = "01"

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"

    @classmethod
    def parse(cls, header: str | None) -> TraceContext | None:
        match = _TRACEPARENT.match((header or "").strip().lower())
        if not match or set(match.group(1)) == {"0"} or set(match.group(2)) == {"0"}:
            return None
        return cls(match.group(1), match.group(2), match.group(3))

    @classmethod
    def continue_from(cls, header: str | None) -> TraceContext:
        """A new span in the caller's trace, or a new trace when there is no valid caller."""
        parent = cls.parse(header)
        trace_id = parent.trace_id if parent else secrets.token_hex(16)
        return cls(trace_id, secrets.token_hex(8), parent.flags if parent else "01")


def set_trace(context: TraceContext) -> None:
    _current.set(context)


def current_trace() -> TraceContext | None:
    return _current.get()


def current_traceparent() -> str | None:
    context = _current.get()
    return context.traceparent if context else None
