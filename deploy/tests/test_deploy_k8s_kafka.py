"""deploy/k8s Kafka: a KafkaTopic per contract topic, every service a TLS + SCRAM client as
its own KafkaUser whose ACLs are what the contracts draw, and Strimzi's resources checked
field by field (no CRD schema offline).
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import os
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

import pytest
import yaml

from contracts import ALL_TOPICS
from deploy.tests.support import (
    K8S,
    KAFKA_CLIENT_VARIABLES,
    SERVICES,
    Objects,
    containers,
    kafka_users,
    named,
    of_kind,
    pod_specs,
    user_secret,
)
from servicekit.kafka import group_id, topic_name
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.unit

# --- Kafka topics ------------------------------------------------------------------------

#: Systems outside the product that write to its cluster with a KafkaUser of their own: the
#: funds' registry of covered people. Its Secret is handed to that system, read by no pod here.
EXTERNAL_PARTIES = {"registry"}


def load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_kafka", K8S / "generate_kafka.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_kafka_topics_and_users_are_what_the_generator_writes() -> None:
    generator = load_generator()
    outputs = generator.rendered()
    assert set(outputs) == {generator.TOPICS, generator.USERS, generator.DEAD_LETTER_READER}
    for path, wanted in outputs.items():
        assert path.read_text() == wanted, (
            f"{path.name}: run `uv run python deploy/k8s/generate_kafka.py` and commit"
        )
    resources = yaml.safe_load((generator.COMPONENT / "kustomization.yaml").read_text())
    assert {"topics.yaml", "users.yaml"} <= set(resources["resources"])


def test_every_contract_topic_has_a_kafka_topic_and_none_is_extra(render: Any) -> None:
    objects = render(K8S / "overlays" / "prod")
    topics = {topic["spec"]["topicName"]: topic for topic in of_kind(objects, "KafkaTopic")}
    assert set(topics) == {topic.name for topic in ALL_TOPICS}
    for contract in ALL_TOPICS:
        spec = topics[contract.name]["spec"]
        assert spec["partitions"] == contract.partitions
        assert spec["replicas"] == 3
        assert spec["config"] == {**contract.config(), "min.insync.replicas": "2"}
        assert spec["config"]["cleanup.policy"] == contract.cleanup_policy
        if contract.cleanup_policy == "delete":
            assert spec["config"]["retention.ms"] == str(contract.retention_ms)


# --- Kafka clients: TLS, SCRAM, ACLs drawn from the contracts ---------------------------


def test_every_service_reaches_kafka_over_tls_as_its_own_user(
    overlay: tuple[str, Objects],
) -> None:
    name, objects = overlay
    kafka = named(objects, "Kafka", "mes-messages")
    users = kafka_users(objects)
    for service in SERVICES:
        where = f"{name}: {service}"
        pod = named(objects, "Deployment", service)["spec"]["template"]["spec"]
        container = pod["containers"][0]
        env = {item["name"]: item for item in container["env"]}
        assert set(env) >= KAFKA_CLIENT_VARIABLES, where
        assert env["KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL", where
        assert env["KAFKA_SASL_MECHANISM"]["value"] == "SCRAM-SHA-512", where
        user = env["KAFKA_SASL_USERNAME"]["value"]
        assert user == service, where
        assert users[user]["spec"]["authentication"] == {"type": "scram-sha-512"}, where
        assert env["KAFKA_SASL_PASSWORD"] == {
            "name": "KAFKA_SASL_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": user_secret(kafka, user), "key": "password"}},
        }, where
        # The cluster CA: Strimzi's Secret, mounted read-only (and whole, not by subPath, so
        # a renewed certificate reaches the file) where KAFKA_SSL_CAFILE points.
        cafile = PurePosixPath(env["KAFKA_SSL_CAFILE"]["value"])
        mounts = [m for m in container["volumeMounts"] if m["mountPath"] == str(cafile.parent)]
        assert len(mounts) == 1, where
        assert mounts[0].get("readOnly") is True, where
        assert "subPath" not in mounts[0], where
        volume = next(item for item in pod["volumes"] if item["name"] == mounts[0]["name"])
        assert volume["secret"]["secretName"] == f"{kafka['metadata']['name']}-cluster-ca-cert"
        assert volume["secret"]["items"] == [{"key": "ca.crt", "path": cafile.name}], where


def test_only_the_services_themselves_talk_to_kafka(overlay: tuple[str, Objects]) -> None:
    """Migration Jobs, the key rotation, the init containers and the gateway get no Kafka
    credentials: they do not need them, and SASL without its password stops the settings."""
    name, objects = overlay
    for owner, spec in pod_specs(objects):
        kind, _, owner_name = owner.partition(" ")
        for container in containers(spec):
            variables = {item["name"] for item in container.get("env", [])}
            mounts = {mount["name"] for mount in container.get("volumeMounts", [])}
            service = kind == "Deployment" and owner_name in SERVICES
            if service and container is spec["containers"][0]:
                continue
            where = f"{name}: {owner} container {container['name']}"
            assert not variables & KAFKA_CLIENT_VARIABLES, where
            assert "kafka-cluster-ca" not in mounts, where
    for config in of_kind(objects, "ConfigMap"):
        assert not set(config.get("data", {})) & KAFKA_CLIENT_VARIABLES, config["metadata"]["name"]


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_settings_read_what_the_deployment_gives(
    render: Any, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The variables are the ones servicekit reads, and they name what the ACLs allow."""
    objects = render(K8S / "overlays" / "prod")
    configs = {
        item["metadata"]["name"]: item.get("data", {}) for item in of_kind(objects, "ConfigMap")
    }

    def settings_of(container: dict[str, Any]) -> ServiceSettings:
        environment: dict[str, str] = {}
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                environment |= configs[source["configMapRef"]["name"]]
        for item in container.get("env", []):
            environment[item["name"]] = item.get("value", f"<{item['name']} from a Secret>")
        with monkeypatch.context() as patch:
            for variable in [name for name in os.environ if name.startswith("KAFKA_")]:
                patch.delenv(variable)
            for variable, value in environment.items():
                patch.setenv(variable, value)
            return ServiceSettings(service_name=service)

    pod = named(objects, "Deployment", service)["spec"]["template"]["spec"]
    settings = settings_of(pod["containers"][0])
    assert settings.kafka_bootstrap_servers == "mes-messages-kafka-bootstrap:9093"
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert settings.kafka_sasl_username == service
    assert settings.kafka_sasl_password.get_secret_value() == "<KAFKA_SASL_PASSWORD from a Secret>"
    assert settings.kafka_ssl_cafile == "/etc/kafka-cluster-ca/ca.crt"
    # The ACLs name topics and groups as they are: no prefix may come in between.
    for topic in ALL_TOPICS:
        assert topic_name(settings, topic) == topic.name
    assert group_id(settings, "some-consumer").startswith(f"{service}.")
    # The init container (the migration Job has the same environment) reads its settings
    # without any of it.
    gate = settings_of(pod["initContainers"][0])
    assert gate.kafka_security_protocol == "PLAINTEXT"
    assert gate.kafka_sasl_username == ""


def expected_acls(service: str) -> set[tuple[str, str, str, str]]:
    """(resource type, name, pattern, operation) the architecture draws for ``service``."""
    rights: set[tuple[str, str, str, str]] = set()
    for topic in ALL_TOPICS:
        if topic.producer == service:
            rights |= {("topic", topic.name, "literal", op) for op in ("Write", "Describe")}
            rights.add(("cluster", "kafka-cluster", "literal", "IdempotentWrite"))
        if service in topic.consumers:
            rights |= {("topic", topic.name, "literal", op) for op in ("Read", "Describe")}
            rights.add(("group", f"{service}.", "prefix", "Read"))
    return rights


def granted_acls(user: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """What a KafkaUser's ACLs allow, one tuple per right (a right given twice, twice)."""
    authorization = user["spec"]["authorization"]
    assert authorization["type"] == "simple"
    rights: list[tuple[str, str, str, str]] = []
    for rule in authorization["acls"]:
        assert set(rule) <= {"resource", "operations", "host", "type"}
        assert rule.get("type", "allow") == "allow"
        assert rule.get("host", "*") == "*"
        resource = rule["resource"]
        # Kafka knows one cluster resource, named kafka-cluster; Strimzi takes it unnamed.
        name = resource.get("name", "kafka-cluster" if resource["type"] == "cluster" else "")
        pattern = resource.get("patternType", "literal")
        rights += [(resource["type"], name, pattern, op) for op in rule["operations"]]
    return rights


def test_every_kafka_user_may_do_what_the_contracts_draw_and_nothing_else(
    overlay: tuple[str, Objects],
) -> None:
    name, objects = overlay
    users = kafka_users(objects)
    parties = {topic.producer for topic in ALL_TOPICS} | {
        consumer for topic in ALL_TOPICS for consumer in topic.consumers
    }
    assert parties <= set(SERVICES) | EXTERNAL_PARTIES
    assert set(users) == set(SERVICES) | EXTERNAL_PARTIES, name
    for service in (*SERVICES, *EXTERNAL_PARTIES):
        granted = granted_acls(users[service])
        assert len(granted) == len(set(granted)), f"{name}: {service} has a right twice"
        assert set(granted) == expected_acls(service), f"{name}: {service}"


def test_the_acl_check_itself_notices_a_right_too_many(render: Any) -> None:
    objects = copy.deepcopy(render(K8S / "overlays" / "prod"))
    catalog = kafka_users(objects)["catalog"]
    assert set(granted_acls(catalog)) == expected_acls("catalog")
    catalog["spec"]["authorization"]["acls"].append(
        {
            "resource": {"type": "topic", "name": "catalog.", "patternType": "prefix"},
            "operations": ["Read"],
        }
    )
    assert set(granted_acls(catalog)) != expected_acls("catalog")
    # In words: the producer of a topic writes it, its consumer reads it, neither more.
    assert ("topic", "messages.reply-posted.v1", "literal", "Write") in expected_acls("messages")
    assert ("topic", "messages.reply-posted.v1", "literal", "Read") in expected_acls("notifier")
    assert ("topic", "messages.reply-posted.v1", "literal", "Read") not in expected_acls("messages")
    assert ("group", "notifier.", "prefix", "Read") not in expected_acls("auth")


def test_the_dead_letter_reader_only_reads_the_dead_letters(render: Any) -> None:
    """The KafkaUser applied by hand to investigate (docs/operations.md), in no overlay."""
    reader = yaml.safe_load((K8S / "operations" / "dead-letter-reader.yaml").read_text())
    check_kafka_user(reader, "mes-messages", "operations")
    dead_letters = [topic for topic in ALL_TOPICS if topic.name.endswith(".dead-letter.v1")]
    assert dead_letters
    assert set(granted_acls(reader)) == {
        *{
            ("topic", topic.name, "literal", op)
            for topic in dead_letters
            for op in ("Read", "Describe")
        },
        ("group", "dead-letter-reader.", "prefix", "Read"),
    }
    for overlay in ("dev", "prod"):
        rendered = of_kind(render(K8S / "overlays" / overlay), "KafkaUser")
        assert reader["metadata"]["name"] not in {user["metadata"]["name"] for user in rendered}


def secret_references(item: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(where, Secret name) for every reference to a Secret in an object."""
    if isinstance(item, dict):
        for key, value in item.items():
            where = f"{path}/{key}"
            if key == "secretName" and isinstance(value, str):
                yield where, value
            elif key in ("secretKeyRef", "secretRef", "passwordSecret") and isinstance(value, dict):
                yield where, value["name"]
            elif (
                isinstance(value, dict)
                and set(value) == {"name", "key"}
                and key not in ("configMapKeyRef",)
            ):
                yield where, value["name"]  # CloudNativePG's credentials: {name, key}
            else:
                yield from secret_references(value, where)
    elif isinstance(item, list):
        for index, value in enumerate(item):
            yield from secret_references(value, f"{path}[{index}]")


def test_kafka_user_secrets_take_no_name_of_ours(overlay: tuple[str, Objects]) -> None:
    """Strimzi writes each KafkaUser's password in a Secret named after it: one of ours with
    that name (the Secret "auth" of the KafkaUser "auth") would be overwritten."""
    name, objects = overlay
    kafka = named(objects, "Kafka", "mes-messages")
    written = {
        user_secret(kafka, user): user
        for user in kafka_users(objects)
        if user not in EXTERNAL_PARTIES
    }
    password = re.compile(r"/spec/template/spec/containers\[0\]/env\[\d+\]/valueFrom/secretKeyRef")
    readers: dict[str, set[str]] = {secret: set() for secret in written}
    others = 0
    for item in objects:
        for where, secret in secret_references(item):
            if secret not in written:
                others += 1
                continue
            label = f"{name}: {item['kind']} {item['metadata']['name']}{where}"
            # Only the password of the service of the same name reads it.
            assert item["kind"] == "Deployment", label
            assert item["metadata"]["name"] == written[secret], label
            assert password.fullmatch(where), label
            readers[secret].add(item["metadata"]["name"])
    assert all(readers.values()), f"{name}: a KafkaUser's Secret nobody reads: {readers}"
    assert others >= 4 * len(SERVICES), "the walk should see the Secrets of ours too"


# --- Strimzi (focused checks: no CRD schema offline) -------------------------------------

KAFKA_SPEC_FIELDS = {
    "kafka", "entityOperator", "cruiseControl", "kafkaExporter", "clusterCa", "clientsCa",
    "maintenanceTimeWindows",
}  # fmt: skip
KAFKA_FIELDS = {
    "version", "metadataVersion", "listeners", "config", "authorization", "rack",
    "brokerRackInitImage", "livenessProbe", "readinessProbe", "jvmOptions", "jmxOptions",
    "logging", "metricsConfig", "template", "tieredStorage", "quotas", "image", "resources",
}  # fmt: skip
LISTENER_FIELDS = {
    "name", "port", "type", "tls", "authentication", "configuration", "networkPolicyPeers",
}  # fmt: skip
ENTITY_OPERATOR_FIELDS = {"topicOperator", "userOperator", "template"}
ENTITY_OPERATOR_PART_FIELDS = {
    "watchedNamespace", "image", "reconciliationIntervalMs", "livenessProbe", "readinessProbe",
    "resources", "logging", "jvmOptions", "startupProbe",
}  # fmt: skip
USER_OPERATOR_FIELDS = {*ENTITY_OPERATOR_PART_FIELDS, "secretPrefix"}
NODE_POOL_FIELDS = {"replicas", "roles", "storage", "resources", "jvmOptions", "template"}
USER_FIELDS = {"authentication", "authorization", "quotas", "template"}
#: The operations Kafka applies to each kind of resource (an ACL for another is inert).
ACL_OPERATIONS = {
    "topic": {
        "Read", "Write", "Create", "Delete", "Alter", "Describe", "AlterConfigs",
        "DescribeConfigs", "All",
    },
    "group": {"Read", "Delete", "Describe", "All"},
    "cluster": {
        "Create", "Alter", "Describe", "ClusterAction", "AlterConfigs", "DescribeConfigs",
        "IdempotentWrite", "All",
    },
    "transactionalId": {"Write", "Describe", "All"},
}  # fmt: skip
TOPIC_FIELDS = {"topicName", "partitions", "replicas", "config"}
STORAGE_VOLUME_FIELDS = {"id", "type", "size", "class", "deleteClaim", "kraftMetadata", "selector"}


def check_kafka_user(user: dict[str, Any], cluster: str, name: str) -> None:
    """What Strimzi's KafkaUser schema would check, and that every ACL can take effect."""
    where = f"{name}: KafkaUser {user['metadata']['name']}"
    assert user["apiVersion"] == "kafka.strimzi.io/v1beta2", where
    assert user["metadata"]["labels"]["strimzi.io/cluster"] == cluster, where
    assert set(user["spec"]) <= USER_FIELDS, where
    assert user["spec"]["authentication"]["type"] in ("tls", "tls-external", "scram-sha-512")
    assert set(user["spec"]["authorization"]) == {"type", "acls"}, where
    for rule in user["spec"]["authorization"]["acls"]:
        assert {"resource", "operations"} <= set(rule) <= {"resource", "operations", "host", "type"}
        resource = rule["resource"]
        assert resource["type"] in ACL_OPERATIONS, where
        assert set(resource) <= {"type", "name", "patternType"}, where
        assert resource.get("patternType", "literal") in ("literal", "prefix"), where
        assert ("name" in resource) == (resource["type"] != "cluster"), where
        assert rule["operations"], where
        assert set(rule["operations"]) <= ACL_OPERATIONS[resource["type"]], where


def test_strimzi_resources_are_well_formed(overlay: tuple[str, Objects]) -> None:
    name, objects = overlay
    kafka = named(objects, "Kafka", "mes-messages")
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1beta2"
    assert set(kafka["spec"]) <= KAFKA_SPEC_FIELDS
    assert set(kafka["spec"]["kafka"]) <= KAFKA_FIELDS
    assert "replicas" not in kafka["spec"]["kafka"], "replicas belong to the node pool (KRaft)"
    assert "zookeeper" not in kafka["spec"]
    for listener in kafka["spec"]["kafka"]["listeners"]:
        assert {"name", "port", "type", "tls"} <= set(listener)
        assert set(listener) <= LISTENER_FIELDS
        # Every door asks who knocks: no listener without authentication.
        assert listener["authentication"]["type"] in ("tls", "scram-sha-512", "oauth", "custom")
        assert listener["type"] in (
            "internal",
            "cluster-ip",
            "route",
            "loadbalancer",
            "nodeport",
            "ingress",
        )
        assert 9092 <= listener["port"] <= 65535
        assert listener["port"] not in (9090, 9091)
    pools = of_kind(objects, "KafkaNodePool")
    assert pools
    assert all(pool["apiVersion"] == "kafka.strimzi.io/v1beta2" for pool in pools)
    roles: set[str] = set()
    brokers = 0
    for pool in pools:
        assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert set(pool["spec"]) <= NODE_POOL_FIELDS
        assert set(pool["spec"]["roles"]) <= {"controller", "broker"}
        roles |= set(pool["spec"]["roles"])
        if "broker" in pool["spec"]["roles"]:
            brokers += pool["spec"]["replicas"]
        assert pool["spec"]["storage"]["type"] in ("jbod", "persistent-claim", "ephemeral")
        for volume in pool["spec"]["storage"].get("volumes", []):
            assert set(volume) <= STORAGE_VOLUME_FIELDS
    assert roles == {"controller", "broker"}, "KRaft needs controllers and brokers"
    # Without an authorizer the ACLs would be ignored; without the User Operator, no user.
    assert kafka["spec"]["kafka"]["authorization"] == {"type": "simple"}
    entity_operator = kafka["spec"]["entityOperator"]
    assert set(entity_operator) <= ENTITY_OPERATOR_FIELDS
    assert set(entity_operator["topicOperator"]) <= ENTITY_OPERATOR_PART_FIELDS
    assert set(entity_operator["userOperator"]) <= USER_OPERATOR_FIELDS
    for user in of_kind(objects, "KafkaUser"):
        check_kafka_user(user, kafka["metadata"]["name"], name)
    config = kafka["spec"]["kafka"]["config"]
    assert config["auto.create.topics.enable"] is False
    for topic in of_kind(objects, "KafkaTopic"):
        where = f"{name}: {topic['metadata']['name']}"
        assert topic["apiVersion"] == "kafka.strimzi.io/v1beta2", where
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"], where
        assert set(topic["spec"]) <= TOPIC_FIELDS, where
        assert isinstance(topic["spec"]["partitions"], int)
        assert topic["spec"]["partitions"] >= 1
        assert 1 <= topic["spec"]["replicas"] <= brokers, where
        min_insync = int(topic["spec"]["config"]["min.insync.replicas"])
        assert min_insync <= topic["spec"]["replicas"], where
        assert min_insync < topic["spec"]["replicas"] or topic["spec"]["replicas"] == 1, (
            f"{where}: one broker down would stop every write"
        )
        assert all(isinstance(value, str) for value in topic["spec"]["config"].values()), where
    assert (
        int(config["min.insync.replicas"]) <= int(config["default.replication.factor"]) <= brokers
    )
