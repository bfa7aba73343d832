"""The generated KafkaUsers against a real broker: TLS, SCRAM-SHA-512 and the ACLs of
``deploy/k8s/components/strimzi/users.yaml``, as the Strimzi cluster enforces them.

A Kafka of its own (the jars of the local stack, KRaft, one node on loopback ports) with a
TLS + SCRAM listener for the services, like the Strimzi one, and the standard authorizer.
Each user of ``users.yaml`` gets its SCRAM credentials and exactly the ACLs the file lists;
then servicekit's own clients, configured from the settings the Deployments give
(``KAFKA_SECURITY_PROTOCOL=SASL_SSL``, ``KAFKA_SSL_CAFILE``...), show that the rights are
enough for what each service does (its outbox relay's idempotent producer on every topic it
produces, a consumer group ``<service>.*`` on every topic it consumes) and that everything
else is refused. The unit tests check the ACLs against the contracts; this checks that
those ACLs fit the client code.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from aiokafka.protocol.admin import CreateAclsRequest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy

from contracts import ALL_TOPICS
from servicekit.kafka import (
    RelayProducer,
    client_options,
    create_broker,
    ensure_topics,
    group_id,
)
from servicekit.settings import ServiceSettings
from servicekit.testing import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
USERS = ROOT / "deploy" / "k8s" / "components" / "strimzi" / "users.yaml"
KAFKA_JARS = ROOT / ".cache" / "kafka" / "libs"
LOG4J = ROOT / "deploy" / "local" / "kafka" / "log4j2.properties"

# Kafka's codes for the CreateAcls request (org.apache.kafka.common.acl and .resource).
RESOURCE_TYPES = {"topic": 2, "group": 3, "cluster": 4, "transactionalId": 5}
PATTERN_TYPES = {"literal": 3, "prefix": 4}
OPERATIONS = {
    "All": 2, "Read": 3, "Write": 4, "Create": 5, "Delete": 6, "Alter": 7, "Describe": 8,
    "ClusterAction": 9, "DescribeConfigs": 10, "AlterConfigs": 11, "IdempotentWrite": 12,
}  # fmt: skip
ALLOW = 3


def users() -> dict[str, dict[str, Any]]:
    return {user["metadata"]["name"]: user for user in yaml.safe_load_all(USERS.read_text())}


# --- a certificate authority and the broker's certificate ------------------------------


def write_certificates(folder: Path) -> tuple[Path, Path]:
    """A CA (what Strimzi's cluster CA is to the services) and a broker certificate it signs
    for 127.0.0.1; returns (the CA's PEM, the broker's key and chain as one PEM)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test cluster CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    broker_key = ec.generate_private_key(ec.SECP256R1())
    broker = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "broker")]))
        .issuer_name(ca_name)
        .public_key(broker_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = folder / "ca.crt"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    keystore = folder / "broker.pem"
    keystore.write_bytes(
        broker_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + broker.public_bytes(serialization.Encoding.PEM)
        + ca.public_bytes(serialization.Encoding.PEM)
    )
    return ca_file, keystore


# --- the broker ------------------------------------------------------------------------


@dataclass(frozen=True)
class SecureKafka:
    #: The TLS + SCRAM listener, as the services reach Strimzi's.
    bootstrap: str
    #: A plaintext listener for the test's own set-up (its anonymous user is a super user).
    admin_bootstrap: str
    ca_file: Path
    passwords: dict[str, str]


def java(*arguments: str, log: Path, heap: str = "256m") -> list[str]:
    return [
        "java",
        f"-Xmx{heap}",
        "-cp",
        f"{KAFKA_JARS}/*",
        f"-Dlog4j2.configurationFile={LOG4J}",
        f"-Dkafka.log.file={log}",
        *arguments,
    ]


@pytest.fixture(scope="module")
def secure_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureKafka]:
    if shutil.which("java") is None or not any(KAFKA_JARS.glob("kafka-server-*.jar")):
        pytest.fail(
            f"Java and Kafka's jars ({KAFKA_JARS}) are needed: run `make kafka-jars` "
            "(or `make test`, which runs it)",
            pytrace=False,
        )
    folder = tmp_path_factory.mktemp("secure-kafka")
    ca_file, keystore = write_certificates(folder)
    client, internal, controller = free_port(), free_port(), free_port()
    passwords = {name: uuid.uuid4().hex for name in users()}
    properties = folder / "server.properties"
    properties.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@127.0.0.1:{controller}",
                f"listeners=CLIENT://127.0.0.1:{client},INTERNAL://127.0.0.1:{internal},"
                f"CONTROLLER://127.0.0.1:{controller}",
                f"advertised.listeners=CLIENT://127.0.0.1:{client},INTERNAL://127.0.0.1:{internal}",
                "listener.security.protocol.map=CLIENT:SASL_SSL,INTERNAL:PLAINTEXT,"
                "CONTROLLER:PLAINTEXT",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=INTERNAL",
                # The services' listener: TLS and SCRAM-SHA-512, as Strimzi's tls listener.
                "listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-512",
                "listener.name.client.scram-sha-512.sasl.jaas.config="
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "listener.name.client.ssl.keystore.type=PEM",
                f"listener.name.client.ssl.keystore.location={keystore}",
                # ACLs, as Strimzi's "authorization: simple" in KRaft; what none allows is denied.
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "allow.everyone.if.no.acl.found=false",
                "super.users=User:ANONYMOUS",
                f"log.dirs={folder / 'data'}",
                "auto.create.topics.enable=false",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=3",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "",
            ]
        )
    )
    log = folder / "kafka.log"
    scram = [
        argument
        for name, password in passwords.items()
        for argument in ("--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]")
    ]
    subprocess.run(
        java(
            "kafka.tools.StorageTool",
            "format",
            "-t",
            uuid.uuid4().hex[:22],
            "-c",
            str(properties),
            *scram,
            log=log,
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    with (folder / "stdout.log").open("wb") as output:
        broker = subprocess.Popen(
            java("kafka.Kafka", str(properties), log=log, heap="512m"),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield SecureKafka(
            bootstrap=f"127.0.0.1:{client}",
            admin_bootstrap=f"127.0.0.1:{internal}",
            ca_file=ca_file,
            passwords=passwords,
        )
    finally:
        broker.terminate()
        try:
            broker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            broker.kill()
            broker.wait()


async def admin_client(kafka: SecureKafka, timeout: float = 90.0) -> AIOKafkaAdminClient:
    """An admin client on the plaintext listener, once the broker answers."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka.admin_bootstrap, client_id="set-up")
        try:
            await admin.start()
            await admin.describe_cluster()
            return admin
        except KafkaError:
            await admin.close()
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(1)


@pytest.fixture(scope="module")
async def prepared(secure_kafka: SecureKafka) -> SecureKafka:
    """The contract topics, and the ACLs of users.yaml, on the broker."""
    admin = await admin_client(secure_kafka)
    try:
        for name, user in users().items():
            for rule in user["spec"]["authorization"]["acls"]:
                resource = rule["resource"]
                for operation in rule["operations"]:
                    request = CreateAclsRequest(
                        resource_type=RESOURCE_TYPES[resource["type"]],
                        resource_name=resource.get("name", "kafka-cluster"),
                        resource_pattern_type_filter=PATTERN_TYPES[
                            resource.get("patternType", "literal")
                        ],
                        principal=f"User:{name}",
                        host=rule.get("host", "*"),
                        operation=OPERATIONS[operation],
                        permission_type=ALLOW,
                    )
                    response = await admin._send_request(request)  # aiokafka has no ACL API
                    errors = [item[0] for item in response.creation_responses if item[0]]
                    assert errors == [], f"{name}: {rule}: {response}"
    finally:
        await admin.close()
    await ensure_topics(secure_kafka.admin_bootstrap, ALL_TOPICS)
    await asyncio.sleep(1)  # the ACLs reach the authorizer through the metadata log
    return secure_kafka


def settings_of(kafka: SecureKafka, service: str, **changes: Any) -> ServiceSettings:
    """A service's settings as its Deployment gives them (deploy/k8s/base/<service>)."""
    environment = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": service,
        "KAFKA_SASL_PASSWORD": kafka.passwords[service],
        "KAFKA_SSL_CAFILE": str(kafka.ca_file),
        **changes,
    }
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        return ServiceSettings(service_name=service)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def publish(settings: ServiceSettings, topic: str) -> None:
    producer = RelayProducer(settings)
    try:
        acknowledgement = await producer.send(topic, b"acl-check", b"{}", [])
        await asyncio.wait_for(acknowledgement, 30)
    finally:
        await producer.stop()


async def subscribe(settings: ServiceSettings, topic: str, group: str) -> None:
    """Consume ``topic`` in ``group`` as the services do (servicekit's FastStream broker,
    acknowledging, so committing, each record) until one record has been handled."""
    broker = create_broker(settings)
    handled = asyncio.Event()

    @broker.subscriber(
        topic, group_id=group, auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR
    )
    async def handle(message: KafkaMessage) -> None:
        handled.set()

    try:
        await broker.start()
        await asyncio.wait_for(handled.wait(), 30)
    finally:
        await broker.stop()


async def consume(settings: ServiceSettings, topic: str, group: str) -> None:
    """Join ``group``, read ``topic`` from its start and commit (a plain aiokafka consumer
    with servicekit's client options: it raises what the broker refuses)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **client_options(settings),
    )
    try:
        await consumer.start()
        await asyncio.wait_for(consumer.getone(), 30)
        await consumer.commit()
    finally:
        await consumer.stop()


def producers() -> list[tuple[str, str]]:
    return [(topic.producer, topic.name) for topic in ALL_TOPICS]


def consumers() -> list[tuple[str, str]]:
    return [(service, topic.name) for topic in ALL_TOPICS for service in topic.consumers]


@pytest.mark.parametrize(("service", "topic"), producers())
async def test_each_service_publishes_what_it_produces(
    prepared: SecureKafka, service: str, topic: str
) -> None:
    await publish(settings_of(prepared, service), topic)


@pytest.mark.parametrize(("service", "topic"), consumers())
async def test_each_service_consumes_what_it_consumes_in_its_groups(
    prepared: SecureKafka, service: str, topic: str
) -> None:
    producer = next(item.producer for item in ALL_TOPICS if item.name == topic)
    await publish(settings_of(prepared, producer), topic)
    settings = settings_of(prepared, service)
    await subscribe(settings, topic, group_id(settings, f"acl-check-{topic}"))


async def test_a_service_cannot_write_another_services_topic(prepared: SecureKafka) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await publish(settings_of(prepared, "auth"), "catalog.snapshot.v1")
    with pytest.raises(TopicAuthorizationFailedError):
        # A consumer does not write what it reads.
        await publish(settings_of(prepared, "notifier"), "messages.reply-posted.v1")


async def test_a_service_cannot_read_what_it_does_not_consume(prepared: SecureKafka) -> None:
    await publish(settings_of(prepared, "catalog"), "catalog.snapshot.v1")
    notifier = settings_of(prepared, "notifier")
    with pytest.raises(TopicAuthorizationFailedError):
        await consume(notifier, "catalog.snapshot.v1", group_id(notifier, "snoop"))
    messages = settings_of(prepared, "messages")
    with pytest.raises(TopicAuthorizationFailedError):
        # A producer does not read what it writes.
        await consume(messages, "messages.reply-posted.v1", group_id(messages, "snoop"))


async def test_a_service_cannot_use_another_services_consumer_group(
    prepared: SecureKafka,
) -> None:
    await publish(settings_of(prepared, "catalog"), "catalog.snapshot.v1")
    messages = settings_of(prepared, "messages")
    with pytest.raises(GroupAuthorizationFailedError):
        await consume(messages, "catalog.snapshot.v1", "notifier.catalog")


async def test_a_wrong_password_or_no_tls_gets_nowhere(prepared: SecureKafka) -> None:
    wrong = settings_of(prepared, "catalog", KAFKA_SASL_PASSWORD="not-the-password")
    with pytest.raises(KafkaError):
        await asyncio.wait_for(publish(wrong, "catalog.snapshot.v1"), 60)
    plaintext = settings_of(prepared, "catalog", KAFKA_SECURITY_PROTOCOL="PLAINTEXT")
    with pytest.raises((KafkaError, KafkaConnectionError, asyncio.TimeoutError)):
        await asyncio.wait_for(publish(plaintext, "catalog.snapshot.v1"), 30)
