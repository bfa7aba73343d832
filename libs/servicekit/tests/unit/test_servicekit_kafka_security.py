"""Clusters reach Kafka over TLS with SCRAM; locally it stays plain."""

from __future__ import annotations

import ssl

import pytest
from faststream.security import BaseSecurity, SASLScram256, SASLScram512
from pydantic import SecretStr, ValidationError

from servicekit.kafka import KafkaSecurity, broker_security, client_options
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.unit


def test_local_kafka_is_plain() -> None:
    settings = ServiceSettings()
    assert client_options(settings) == {"security_protocol": "PLAINTEXT", "retry_backoff_ms": 1000}
    assert broker_security(settings) is None


def test_sasl_ssl_gives_tls_and_scram_to_every_client() -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="messages",
        kafka_sasl_password=SecretStr("from-the-kafka-user-secret"),
    )
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "messages"
    assert options["sasl_plain_password"] == "from-the-kafka-user-secret"
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    security = broker_security(settings)
    assert isinstance(security, SASLScram512)
    assert security.use_ssl
    assert security.username == "messages"


def test_tls_alone_verifies_the_brokers() -> None:
    settings = ServiceSettings(kafka_security_protocol="SSL")
    context = client_options(settings)["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED
    security = broker_security(settings)
    assert isinstance(security, BaseSecurity)
    assert security.use_ssl


def test_sasl_without_credentials_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="KAFKA_SASL_USERNAME"):
        ServiceSettings(kafka_security_protocol="SASL_SSL")


def test_sasl_without_tls_gives_no_certificate_context_to_either_client() -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="notifier",
        kafka_sasl_password=SecretStr("s3cret"),
    )
    options = client_options(settings)
    assert "ssl_context" not in options
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    security = broker_security(settings)
    assert isinstance(security, SASLScram256)
    assert not security.use_ssl
    assert security.ssl_context is None


def test_both_clients_take_one_reading_of_the_settings() -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="messages",
        kafka_sasl_password=SecretStr("from-the-kafka-user-secret"),
    )
    security = KafkaSecurity.from_settings(settings)
    broker = security.broker_security()
    assert isinstance(broker, SASLScram512)
    assert broker.ssl_context is security.client_options()["ssl_context"]
    assert "from-the-kafka-user-secret" not in repr(security)
