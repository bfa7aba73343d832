"""Which failures wait for the database, and which give up on the event."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from servicekit.failures import is_unavailable

pytestmark = pytest.mark.unit


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "sqlstate",
    ["25006", "40001", "40P01", "57P01", "57P03", "57014", "08006", "53300", "55P03"],
    ids=[
        "read-only-after-failover",
        "serialization",
        "deadlock",
        "admin-shutdown",
        "cannot-connect-now",
        "query-cancelled",
        "connection-failure",
        "too-many-connections",
        "lock-not-available",
    ],
)
def test_a_busy_or_failing_over_database_is_waited_for(sqlstate: str) -> None:
    error = DBAPIError("UPDATE deliveries ...", None, DriverError(sqlstate))
    assert is_unavailable(error)


def test_the_state_is_found_behind_the_driver_adapter() -> None:
    adapter = Exception("adapted")
    adapter.__cause__ = DriverError("25006")
    assert is_unavailable(DBAPIError("INSERT ...", None, adapter))


@pytest.mark.parametrize("sqlstate", ["23505", "22001", "42P01"])
def test_an_error_about_this_event_counts_towards_dead_lettering(sqlstate: str) -> None:
    assert not is_unavailable(IntegrityError("INSERT ...", None, DriverError(sqlstate)))
    assert not is_unavailable(DBAPIError("INSERT ...", None, DriverError(sqlstate)))
    assert not is_unavailable(ValueError("a bug in the handler"))
