"""Fixtures shared by every test: the local stack (Kafka, PostgreSQL, SMTP, OIDC provider)."""

# pytest's importlib mode names test modules after their folders (contracts/tests/... becomes
# "contracts.tests...") and would shadow the real `contracts` package with an empty one unless
# the real one is imported first.
import contracts  # noqa: F401

pytest_plugins = ["devstack.pytest_plugin", "servicekit.pytest_plugin"]


def pytest_collection_modifyitems(items: list) -> None:  # type: ignore[type-arg]
    """The browser tests run last: Playwright's synchronous API keeps an event loop running in
    the main thread until the session ends, and the asynchronous session fixtures of the suites
    collected after them (tests/security) could not start their own."""
    items.sort(key=lambda item: "tests/e2e/" in item.nodeid)
