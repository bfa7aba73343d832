"""Fixtures shared by every test: the local stack (Kafka, PostgreSQL, SMTP, OIDC provider)."""

# pytest's importlib mode names test modules after their folders (contracts/tests/... becomes
# "contracts.tests...") and would shadow the real `contracts` package with an empty one unless
# the real one is imported first.
import contracts  # noqa: F401

pytest_plugins = ["devstack.pytest_plugin", "servicekit.pytest_plugin"]
