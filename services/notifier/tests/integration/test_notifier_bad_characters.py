"""The notifier takes no free text, only tokens, identifiers and cursors in the query: a NUL
character in any of them (which PostgreSQL cannot store, and no link or client ever sends) is
a 422 naming the parameter, never a 500."""

from __future__ import annotations

import pytest

from services.notifier.tests.support import NotifierFactory

pytestmark = pytest.mark.integration


async def test_a_nul_in_the_query_is_a_422_naming_the_parameter(
    notifier_factory: NotifierFactory,
) -> None:
    notifier = await (await notifier_factory()).start()
    supervisor = notifier.headers(role="supervisor")
    asked = [
        ("POST", "/unsubscribe?token=abc%00def", {}, "token"),
        ("GET", "/unsubscribe?token=%00", {}, "token"),
        ("GET", "/deliveries?cursor=abc%00", supervisor, "cursor"),
        ("GET", "/dead-letters?cursor=%00abc", supervisor, "cursor"),
    ]
    for method, path, headers, parameter in asked:
        response = await notifier.client.request(method, path, headers=headers)
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["field"] for error in response.json()["errors"]] == [parameter], path
