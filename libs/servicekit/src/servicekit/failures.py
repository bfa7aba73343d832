"""Telling a dependency that is away from a request that is wrong.

The database down, failing over, frozen (a statement or a pool wait that times out), or a
connection refused: none of this says anything about what was asked, and all of it passes.
"""

from __future__ import annotations

from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

#: SQLSTATE classes and codes that say the database is (momentarily) unable, not that the
#: event is wrong: connection exceptions, insufficient resources, operator intervention
#: (shutdown, cannot connect now, query cancelled), serialization failures and deadlocks, a
#: read-only transaction (a failover demoted the primary), a lock not available.
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57")
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "25006", "55P03"})


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE behind a SQLAlchemy error (asyncpg's exception carries it)."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        candidate = pending.pop()
        if candidate is None or id(candidate) in seen:
            continue
        seen.add(id(candidate))
        code = getattr(candidate, "sqlstate", None)
        if isinstance(code, str):
            return code
        pending += [getattr(candidate, "orig", None), getattr(candidate, "__cause__", None)]
    return None


def is_unavailable(error: BaseException) -> bool:
    """A dependency is down, busy or failing over, as opposed to this request or event being
    wrong: a consumer retries such failures for as long as it takes (never dead-lettering the
    event), and an HTTP request is answered 503 with ``Retry-After``."""
    if isinstance(
        error, OperationalError | InterfaceError | PoolTimeout | ConnectionError | TimeoutError
    ):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        state = sqlstate(error)
        if state is not None and (
            state.startswith(_TRANSIENT_SQLSTATE_CLASSES) or state in _TRANSIENT_SQLSTATES
        ):
            return True
    return isinstance(error, OSError)


def kafka_unreachable(error: BaseException) -> bool:
    """An acknowledgement that failed because the cluster is away or electing (a broker down
    or restarting, a partition without a leader yet, a request that timed out), as opposed
    to the broker refusing this record (too large, not allowed): every record would have
    failed the same way, so none of them is to blame."""
    if isinstance(error, KafkaTimeoutError | KafkaConnectionError):
        return True
    return isinstance(error, KafkaError) and bool(error.retriable)
