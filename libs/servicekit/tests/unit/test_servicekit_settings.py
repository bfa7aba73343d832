"""A secret left at its local default cannot reach production."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from servicekit.settings import ServiceSettings, local_database_url
from servicekit.tracing import TraceContext

pytestmark = pytest.mark.unit


class DemoSettings(ServiceSettings):
    service_name: str = "demo"
    database_url: SecretStr = local_database_url("demo")
    signing_secret: SecretStr = SecretStr("local-only-secret")


def test_local_defaults_are_fine_locally() -> None:
    settings = DemoSettings(environment="local")
    assert settings.database_url.get_secret_value().endswith("/demo")


def test_production_refuses_secrets_left_at_their_default() -> None:
    with pytest.raises(ValidationError, match="database_url, signing_secret"):
        DemoSettings(environment="production")


def test_production_starts_with_real_secrets() -> None:
    settings = DemoSettings(
        environment="production",
        database_url=SecretStr("postgresql+asyncpg://demo:s3cret@db/demo"),
        signing_secret=SecretStr("from-a-secret-store"),
    )
    assert settings.environment == "production"


def test_a_service_without_environment_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """No default: forgetting ENVIRONMENT must not turn the local-secrets guard off."""
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    with pytest.raises(ValidationError, match="ENVIRONMENT"):
        DemoSettings()
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="database_url, signing_secret"):
        DemoSettings()


def test_the_command_line_refuses_to_run_without_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    from servicekit.cli import ServiceCli

    monkeypatch.delenv("ENVIRONMENT", raising=False)
    cli = ServiceCli(service="demo", settings=DemoSettings, migrations=Path("."))
    assert cli.main(["migrate"]) == 2
    assert "ENVIRONMENT is not set" in capsys.readouterr().err


def test_cookies_are_secure_except_on_plain_localhost() -> None:
    assert not DemoSettings(environment="local").secure_cookies
    assert not DemoSettings(
        environment="test", public_base_url="http://127.0.0.1:8080"
    ).secure_cookies
    assert DemoSettings(
        environment="test", public_base_url="https://messages.msa.example"
    ).secure_cookies


def test_shared_settings_read_unprefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://messages.msa.example")
    settings = DemoSettings()
    assert settings.kafka_bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert settings.public_base_url == "https://messages.msa.example"


def test_a_trace_continues_the_callers_and_a_bad_header_starts_a_new_one() -> None:
    caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    child = TraceContext.continue_from(caller)
    assert child.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert child.span_id != "00f067aa0ba902b7"
    fresh = TraceContext.continue_from("00-00000000000000000000000000000000-00f067aa0ba902b7-01")
    assert fresh.trace_id != "0" * 32
    assert TraceContext.parse(fresh.traceparent) == fresh
