"""JSON logs with request and trace ids, and social-security numbers masked.

Every log line, from our code or from a library through the standard ``logging`` module,
goes through the same processors: the NIR mask is applied to every string value, whatever
the key, so a number pasted into an unexpected field is masked too.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading
import time
from collections.abc import Mapping, MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog
import structlog.tracebacks

#: A NIR, with or without its key, digits possibly grouped by spaces or dots:
#: sex, year, month, department (2A/2B for Corsica), commune, order, key.
_SEPARATOR = r"[ .]?"
NIR_PATTERN = re.compile(
    r"(?<![\dA-Za-z])[1-478]"
    + _SEPARATOR
    + r"\d{2}"
    + _SEPARATOR
    + r"\d{2}"
    + _SEPARATOR
    + r"(?:\d{2}|2[AaBb])"
    + _SEPARATOR
    + r"\d{3}"
    + _SEPARATOR
    + r"\d{3}"
    + r"(?:"
    + _SEPARATOR
    + r"\d{2})?(?![\dA-Za-z])"
)


def mask_nir(text: str) -> str:
    """Keep the sex digit only: ``2 95 10 99 126 111 93`` becomes ``2************``."""
    return NIR_PATTERN.sub(lambda match: match.group(0)[0] + "*" * 12, text)


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_nir(value)
    if isinstance(value, Mapping):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask(item) for item in value)
    return value


def mask_nir_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in event_dict.items():
        event_dict[key] = _mask(value)
    return event_dict


_HANDLER_NAME = "servicekit-stdout"


#: The task that bound the current request's ids, and those ids.
_request_binding: ContextVar[tuple[asyncio.Task[Any] | None, dict[str, Any]] | None] = ContextVar(
    "servicekit_request_binding", default=None
)


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # a thread with no event loop
        return None


def bind_request_context(**values: Any) -> None:
    """Bind a request's ids (request_id, trace_id) to its log lines, and only to its own.

    A task started while a request is served inherits a copy of its context: aiokafka's
    connection and metadata tasks opened by a readiness check, a key-set refresh, anything a
    library starts lazily. Those tasks outlive the request, and their lines would carry an id
    that belongs to no request of theirs. The ids are dropped from any line logged by another
    task than the one that bound them (``_drop_inherited_request_context``)."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**values)
    _request_binding.set((_current_task(), dict(values)))


def _drop_inherited_request_context(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    binding = _request_binding.get()
    if binding is None:
        return event_dict
    owner, values = binding
    current = _current_task()
    if current is None or current is owner:  # the request itself, or its worker thread
        return event_dict
    for key, value in values.items():
        if event_dict.get(key) == value:  # a value the task bound itself stays
            del event_dict[key]
    return event_dict


class RepeatedLineFilter(logging.Filter):
    """Lets a warning or error that repeats through at most once per ``window`` seconds.

    While a dependency is down, libraries and our own loops say the same thing many times a
    second ("Unable connect to node ..."): the first line goes out, the repeats within the
    window are counted, and the next line that goes out says how many were held back
    (``repeated``). Lines below WARNING pass untouched.
    """

    def __init__(self, window: float = 10.0) -> None:
        super().__init__()
        self.window = window
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    @staticmethod
    def _key(record: logging.LogRecord) -> tuple[str, int, str]:
        message = record.msg
        if isinstance(message, Mapping):  # a structlog line: its event names it
            message = message.get("event", "")
        return record.name, record.levelno, str(message)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = self._key(record)
        now = time.monotonic()
        with self._lock:
            last, held = self._seen.get(key, (float("-inf"), 0))
            if now - last < self.window:
                self._seen[key] = (last, held + 1)
                return False
            self._seen[key] = (now, 0)
            if len(self._seen) > 1024:  # forget old keys rather than grow without bound
                self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.window}
        if held:
            record.repeated = held
        return True


def _add_repeated(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    record = event_dict.get("_record")
    held = getattr(record, "repeated", None)
    if held:
        event_dict["repeated"] = held
    return event_dict


def configure_logging(*, service: str, level: str = "INFO", fmt: str = "json") -> None:
    """Route structlog and standard logging through one pipeline to stdout."""
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _drop_inherited_request_context,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        timestamper,
        # Tracebacks without local variables: a frame may hold a password or a message.
        structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        )
        if fmt == "json"
        else structlog.processors.format_exc_info,
        mask_nir_processor,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            _add_repeated,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _add_service(service),
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RepeatedLineFilter())
    root = logging.getLogger()
    # Replace our own handler from an earlier call (one app per test, say), keep the others
    # (pytest's log capture, a debugger's).
    root.handlers[:] = [h for h in root.handlers if h.get_name() != _HANDLER_NAME] + [handler]
    root.setLevel(level.upper())
    # Access logs come from our own middleware, with request ids; uvicorn's would repeat them.
    logging.getLogger("uvicorn.access").disabled = True
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def _add_service(service: str) -> Any:
    def processor(
        _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    return processor


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
