"""deploy/k8s: every overlay renders, validates against pinned schemas and keeps the rules.

Built-in kinds are validated against the Kubernetes JSON schemas of ``KUBERNETES_VERSION``
(bundled by the kubernetes-validate wheel, strict: an unknown field is an error); the
CloudNativePG and Prometheus operator resources against their CRDs, vendored in
``schemas/crds`` (unknown fields are errors there too). Strimzi publishes its CRDs in no
registry these machines reach, so its resources get focused checks. The Kafka clients'
security (TLS, SCRAM, ACLs drawn from the contracts) has a section of its own.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import ipaddress
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from pydantic import SecretStr

from contracts import ALL_TOPICS
from servicekit.kafka import group_id, topic_name
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CRDS = Path(__file__).parent / "schemas" / "crds"
KUBERNETES_VERSION = "1.33"
SERVICES = ("auth", "catalog", "messages", "notifier")
STATELESS = (*SERVICES, "gateway")
Objects = list[dict[str, Any]]


def of_kind(objects: Objects, kind: str) -> Objects:
    return [item for item in objects if item["kind"] == kind]


def named(objects: Objects, kind: str, name: str) -> dict[str, Any]:
    found = [item for item in of_kind(objects, kind) if item["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def pod_specs(objects: Objects) -> Iterator[tuple[str, dict[str, Any]]]:
    for item in objects:
        if item["kind"] in ("Deployment", "Job"):
            yield f"{item['kind']} {item['metadata']['name']}", item["spec"]["template"]["spec"]
        if item["kind"] == "CronJob":
            template = item["spec"]["jobTemplate"]["spec"]["template"]
            yield f"CronJob {item['metadata']['name']}", template["spec"]


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


# --- rendering and schemas ---------------------------------------------------------------


def test_every_overlay_renders(overlay: tuple[str, Objects]) -> None:
    name, objects = overlay
    kinds = {item["kind"] for item in objects}
    assert {"Deployment", "Service", "Ingress", "Job", "NetworkPolicy"} <= kinds, name
    assert {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster", "ServiceMonitor"} <= (
        kinds
    ), name


@cache
def crd_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """(apiVersion, kind) → a validator of the CRD's schema, closed to unknown fields."""
    validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served", False):
                continue
            schema = closed(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
            validators[(f"{group}/{version['name']}", kind)] = jsonschema.Draft7Validator(schema)
    return validators


def closed(schema: Any) -> Any:
    """The schema with unknown fields refused, as ``kubectl apply --validate=strict`` does:
    objects that list their properties and do not keep unknown fields admit no others."""
    if isinstance(schema, dict):
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        for value in schema.values():
            closed(value)
    elif isinstance(schema, list):
        for value in schema:
            closed(value)
    return schema


STRIMZI_KINDS = {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"}


def test_every_object_validates_against_its_schema(overlay: tuple[str, Objects]) -> None:
    name, objects = overlay
    problems: list[str] = []
    for item in objects:
        label = f"{item['kind']} {item['metadata']['name']}"
        if item["kind"] in STRIMZI_KINDS:
            continue  # no schema to be had offline: see the Strimzi tests below
        validator = crd_validators().get((item["apiVersion"], item["kind"]))
        if validator is not None:
            problems += [
                f"{label}: {'/'.join(map(str, error.absolute_path))}: {error.message}"
                for error in validator.iter_errors(item)
            ]
            continue
        try:
            kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{label}: {'/'.join(map(str, error.path))}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{label}: no schema ({error.message})")
    assert problems == [], f"{name}:\n" + "\n".join(problems)


def test_the_schemas_catch_mistakes(render: Any) -> None:
    objects = render(K8S / "overlays" / "prod")
    deployment = copy.deepcopy(named(objects, "Deployment", "auth"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    cluster = copy.deepcopy(named(objects, "Cluster", "mes-messages-db"))
    cluster["spec"]["instance"] = 3
    cluster["spec"]["storage"]["size"] = 50
    errors = list(crd_validators()[("postgresql.cnpg.io/v1", "Cluster")].iter_errors(cluster))
    assert len(errors) == 2


# --- containers --------------------------------------------------------------------------


def test_every_container_is_non_root_read_only_and_bounded(overlay: tuple[str, Objects]) -> None:
    name, objects = overlay
    for owner, spec in pod_specs(objects):
        assert spec.get("automountServiceAccountToken") is False, owner
        assert spec["securityContext"]["runAsNonRoot"] is True, owner
        assert spec["securityContext"]["runAsUser"] != 0, owner
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", owner
        for container in containers(spec):
            where = f"{name}: {owner} container {container['name']}"
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in context["capabilities"], where
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), where
            assert {"cpu", "memory"} <= set(resources["limits"]), where
            # The one writable place is a memory-backed emptyDir at /tmp.
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            assert mounts.get("/tmp") == "tmp", where  # noqa: S108 - a path in the pod


def test_every_long_running_container_has_its_probes(overlay: tuple[str, Objects]) -> None:
    name, objects = overlay
    for deployment in of_kind(objects, "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            where = f"{name}: {deployment['metadata']['name']}"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", where
            assert container["startupProbe"]["httpGet"]["path"] == "/healthz", where
            expected = "/healthz" if deployment["metadata"]["name"] == "gateway" else "/readyz"
            assert container["readinessProbe"]["httpGet"]["path"] == expected, where


def test_images_carry_the_release_version_and_jobs_their_name(
    overlay: tuple[str, Objects],
) -> None:
    name, objects = overlay
    version = named(objects, "ConfigMap", "release")["data"]["version"]
    for owner, spec in pod_specs(objects):
        for container in containers(spec):
            assert container["image"].startswith("registry.msa.example/mes-messages/"), owner
            assert container["image"].endswith(f":{version}"), owner
    jobs = {job["metadata"]["name"] for job in of_kind(objects, "Job")}
    assert jobs == {f"{service}-migrate-{version}" for service in SERVICES}, name


#: What a container needs to talk to Kafka, beyond the shared bootstrap address.
KAFKA_CLIENT_VARIABLES = {
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_SSL_CAFILE",
}


def env_of(container: dict[str, Any]) -> tuple[Any, Any]:
    """The container's environment, but for the Kafka client's (only the services have it)."""
    env = [item for item in container.get("env", []) if item["name"] not in KAFKA_CLIENT_VARIABLES]
    return container.get("envFrom"), env


@pytest.mark.parametrize("service", SERVICES)
def test_migration_job_and_schema_gate_see_what_the_service_sees(render: Any, service: str) -> None:
    objects = render(K8S / "overlays" / "prod")
    pod = named(objects, "Deployment", service)["spec"]["template"]["spec"]
    job = next(
        item
        for item in of_kind(objects, "Job")
        if item["metadata"]["name"].startswith(f"{service}-migrate-")
    )
    migrate = job["spec"]["template"]["spec"]["containers"][0]
    gate = pod["initContainers"][0]
    assert migrate["command"] == ["python", "-m", service, "migrate"]
    assert gate["command"] == ["python", "/opt/schema-gate/wait_for_schema.py", service]
    assert env_of(migrate) == env_of(pod["containers"][0]) == env_of(gate)
    for cronjob in of_kind(objects, "CronJob"):
        if cronjob["metadata"]["labels"]["app.kubernetes.io/name"] == service:
            task = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
            assert env_of(task) == env_of(migrate)
    url = {variable["name"]: variable.get("value") for variable in migrate["env"]}
    assert url[f"{service.upper()}_DATABASE_URL"] == (
        "postgresql+asyncpg://$(DATABASE_USERNAME):$(DATABASE_PASSWORD)"
        f"@$(DATABASE_HOST):5432/{service}"
    )


def test_secrets_are_only_referenced(overlay: tuple[str, Objects]) -> None:
    name, objects = overlay
    assert of_kind(objects, "Secret") == [], "Secrets are created by the operators, not here"
    for owner, spec in pod_specs(objects):
        for container in containers(spec):
            for variable in container.get("env", []):
                sensitive = any(
                    word in variable["name"] for word in ("PASSWORD", "SECRET", "PASSPHRASE")
                )
                if sensitive:
                    assert "valueFrom" in variable, f"{name}: {owner}: {variable['name']}"
    for config in of_kind(objects, "ConfigMap"):
        for key in config.get("data", {}):
            assert not any(word in key for word in ("PASSWORD", "SECRET", "PASSPHRASE")), key


def test_the_schema_gate_script_is_the_committed_one(render: Any) -> None:
    objects = render(K8S / "overlays" / "prod")
    gates = [
        item
        for item in of_kind(objects, "ConfigMap")
        if item["metadata"]["name"].startswith("schema-gate-")
    ]
    assert len(gates) == 1
    script = K8S / "base" / "schema-gate" / "wait_for_schema.py"
    assert gates[0]["data"]["wait_for_schema.py"] == script.read_text()


# --- availability and scaling ------------------------------------------------------------


def test_signing_keys_rotate_every_week(render: Any) -> None:
    objects = render(K8S / "overlays" / "prod")
    rotation = named(objects, "CronJob", "auth-rotate-keys")["spec"]
    assert rotation["concurrencyPolicy"] == "Forbid"
    task = rotation["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert task["command"] == ["python", "-m", "auth", "rotate-keys"]
    assert (
        task["image"]
        == named(objects, "Deployment", "auth")["spec"]["template"]["spec"]["containers"][0][
            "image"
        ]
    )


def test_every_stateless_service_has_a_disruption_budget_and_an_autoscaler(
    overlay: tuple[str, Objects],
) -> None:
    name, objects = overlay
    for service in STATELESS:
        deployment = named(objects, "Deployment", service)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        budget = named(objects, "PodDisruptionBudget", service)
        assert budget["spec"]["maxUnavailable"] == 1
        assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
        autoscaler = named(objects, "HorizontalPodAutoscaler", service)
        assert autoscaler["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": service,
        }
        # The autoscaler owns the replica count: a count in the Deployment would reset it
        # at every apply.
        assert "replicas" not in deployment["spec"], f"{name}: {service}"
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_dev_runs_one_replica_of_everything(render: Any) -> None:
    objects = render(K8S / "overlays" / "dev")
    for autoscaler in of_kind(objects, "HorizontalPodAutoscaler"):
        assert autoscaler["spec"]["minReplicas"] == autoscaler["spec"]["maxReplicas"] == 1
    assert named(objects, "KafkaNodePool", "dual-role")["spec"]["replicas"] == 1
    assert named(objects, "Cluster", "mes-messages-db")["spec"]["instances"] == 1
    for topic in of_kind(objects, "KafkaTopic"):
        assert topic["spec"]["replicas"] == 1
        assert topic["spec"]["config"]["min.insync.replicas"] == "1"


def test_prod_runs_three_replicas_spread_across_zones(render: Any) -> None:
    objects = render(K8S / "overlays" / "prod")
    for autoscaler in of_kind(objects, "HorizontalPodAutoscaler"):
        assert autoscaler["spec"]["minReplicas"] == 3
        assert autoscaler["spec"]["maxReplicas"] >= 3
    for deployment in of_kind(objects, "Deployment"):
        constraints = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
        zone = [
            item for item in constraints if item["topologyKey"] == "topology.kubernetes.io/zone"
        ]
        assert zone
        assert zone[0]["whenUnsatisfiable"] == "DoNotSchedule"
        assert "app.kubernetes.io/name" in zone[0]["matchLabelKeys"]
    assert named(objects, "KafkaNodePool", "dual-role")["spec"]["replicas"] == 3
    assert named(objects, "Kafka", "mes-messages")["spec"]["kafka"]["rack"]["topologyKey"] == (
        "topology.kubernetes.io/zone"
    )
    cluster = named(objects, "Cluster", "mes-messages-db")["spec"]
    assert cluster["instances"] == 3
    assert cluster["affinity"]["topologyKey"] == "topology.kubernetes.io/zone"


def test_notifier_never_scales_past_its_smallest_topic(render: Any) -> None:
    """Replicas beyond a topic's partitions would sit idle in that consumer group."""
    objects = render(K8S / "overlays" / "prod")
    consumed = [topic.partitions for topic in ALL_TOPICS if "notifier" in topic.consumers]
    assert named(objects, "HorizontalPodAutoscaler", "notifier")["spec"]["maxReplicas"] <= min(
        consumed
    )


# --- configuration and wiring ------------------------------------------------------------


def shared_config(objects: Objects) -> dict[str, str]:
    found = [
        item
        for item in of_kind(objects, "ConfigMap")
        if item["metadata"]["name"].startswith("mes-messages-")
    ]
    assert len(found) == 1
    data: dict[str, str] = found[0]["data"]
    return data


def test_services_find_kafka_postgres_and_auth_where_the_components_put_them(
    overlay: tuple[str, Objects],
) -> None:
    _, objects = overlay
    config = shared_config(objects)
    kafka = named(objects, "Kafka", "mes-messages")
    host, port = config["KAFKA_BOOTSTRAP_SERVERS"].split(":")
    assert host == f"{kafka['metadata']['name']}-kafka-bootstrap"
    listener = client_listener(kafka, int(port))
    assert listener["tls"] is True
    assert listener["authentication"] == {"type": "scram-sha-512"}
    assert (
        config["DATABASE_HOST"]
        == f"{named(objects, 'Cluster', 'mes-messages-db')['metadata']['name']}-rw"
    )
    assert config["AUTH_JWKS_URL"] == "http://auth:8000/.well-known/jwks.json"
    assert config["AUTH_ISSUER"] == config["PUBLIC_BASE_URL"] + "/api/auth"
    assert config["ENVIRONMENT"] in ("staging", "production")
    host = named(objects, "Ingress", "gateway")["spec"]["rules"][0]["host"]
    assert config["PUBLIC_BASE_URL"] == f"https://{host}"


def test_every_service_has_a_database_and_a_role(overlay: tuple[str, Objects]) -> None:
    _, objects = overlay
    cluster = named(objects, "Cluster", "mes-messages-db")
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    for service in SERVICES:
        assert roles[service]["passwordSecret"]["name"] == f"{service}-database"
        database = named(objects, "Database", service)["spec"]
        assert database["owner"] == service
        assert database["name"] == service
        assert database["cluster"]["name"] == "mes-messages-db"


def test_every_service_is_scraped(overlay: tuple[str, Objects]) -> None:
    _, objects = overlay
    for service in SERVICES:
        monitor = named(objects, "ServiceMonitor", service)
        target = named(objects, "Service", service)
        assert (
            monitor["spec"]["selector"]["matchLabels"].items()
            <= target["metadata"]["labels"].items()
        )
        assert monitor["spec"]["endpoints"][0]["port"] == target["spec"]["ports"][0]["name"]


# --- Kafka topics ------------------------------------------------------------------------


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


def client_listener(kafka: dict[str, Any], port: int) -> dict[str, Any]:
    found = [item for item in kafka["spec"]["kafka"]["listeners"] if item["port"] == port]
    assert len(found) == 1, f"no listener on port {port}"
    return found[0]


def user_secret(kafka: dict[str, Any], user: str) -> str:
    """The Secret Strimzi's User Operator writes a KafkaUser's password in."""
    prefix: str = kafka["spec"]["entityOperator"]["userOperator"].get("secretPrefix", "")
    return prefix + user


def kafka_users(objects: Objects) -> dict[str, dict[str, Any]]:
    return {user["metadata"]["name"]: user for user in of_kind(objects, "KafkaUser")}


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
    assert parties <= set(SERVICES)
    assert set(users) == set(SERVICES), name
    for service in SERVICES:
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
    written = {user_secret(kafka, user): user for user in kafka_users(objects)}
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


# --- network policies --------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A pod (namespace and labels) or, outside the cluster, an address."""

    name: str
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    address: str | None = None

    def __hash__(self) -> int:
        return hash(self.name)


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = (
            expression["key"],
            expression["operator"],
            expression.get("values", []),
        )
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def peer_matches(peer: dict[str, Any], other: Endpoint, namespace: str) -> bool:
    if "ipBlock" in peer:
        if other.address is None:
            return False
        address = ipaddress.ip_address(other.address)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(excluded) for excluded in block.get("except", [])
        )
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        namespace_labels = {"kubernetes.io/metadata.name": other.namespace}
        if not selects(peer["namespaceSelector"], namespace_labels):
            return False
    elif other.namespace != namespace:
        return False
    return selects(peer.get("podSelector"), other.labels)


def rule_admits(
    rule: dict[str, Any], direction: str, other: Endpoint, port: int, namespace: str
) -> bool:
    peers = rule.get("from" if direction == "Ingress" else "to")
    if peers is not None and not any(peer_matches(peer, other, namespace) for peer in peers):
        return False
    ports = rule.get("ports")
    return ports is None or any(item.get("port") in (None, port) for item in ports)


def allowed(
    policies: Objects, namespace: str, source: Endpoint, target: Endpoint, port: int
) -> bool:
    def side(pod: Endpoint, direction: str, other: Endpoint) -> bool:
        if pod.namespace != namespace:
            return True  # outside this namespace: not ours to judge
        isolating = [
            policy
            for policy in policies
            if direction in policy["spec"]["policyTypes"]
            and selects(policy["spec"]["podSelector"], pod.labels)
        ]
        if not isolating:
            return True
        key = "ingress" if direction == "Ingress" else "egress"
        return any(
            rule_admits(rule, direction, other, port, namespace)
            for policy in isolating
            for rule in policy["spec"].get(key, [])
        )

    return side(source, "Egress", target) and side(target, "Ingress", source)


def strimzi_generated_policies(objects: Objects) -> Objects:
    """The ingress policies the Strimzi operator generates for the brokers' listeners (from
    each listener's ``networkPolicyPeers``; open to all when it has none)."""
    generated = []
    for kafka in of_kind(objects, "Kafka"):
        cluster = kafka["metadata"]["name"]
        rules = [
            {
                "ports": [{"port": listener["port"]}],
                **(
                    {"from": listener["networkPolicyPeers"]}
                    if "networkPolicyPeers" in listener
                    else {}
                ),
            }
            for listener in kafka["spec"]["kafka"]["listeners"]
        ]
        rules.append(
            {
                "from": [{"podSelector": {"matchLabels": {"strimzi.io/cluster": cluster}}}],
                "ports": [{"port": 9090}, {"port": 9091}],
            }
        )
        generated.append(
            {
                "kind": "NetworkPolicy",
                "metadata": {"name": f"{cluster}-network-policy-kafka"},
                "spec": {
                    "podSelector": {
                        "matchLabels": {"strimzi.io/cluster": cluster, "strimzi.io/kind": "Kafka"}
                    },
                    "policyTypes": ["Ingress"],
                    "ingress": rules,
                },
            }
        )
    return generated


def endpoints(objects: Objects, namespace: str) -> dict[str, Endpoint]:
    pods = {
        deployment["metadata"]["name"]: Endpoint(
            deployment["metadata"]["name"],
            namespace,
            deployment["spec"]["template"]["metadata"]["labels"],
        )
        for deployment in of_kind(objects, "Deployment")
    }
    return pods | {
        "kafka": Endpoint(
            "kafka", namespace, {"strimzi.io/cluster": "mes-messages", "strimzi.io/kind": "Kafka"}
        ),
        "postgres": Endpoint("postgres", namespace, {"cnpg.io/cluster": "mes-messages-db"}),
        "ingress-controller": Endpoint(
            "ingress-controller", "ingress-nginx", {"app": "ingress-nginx"}
        ),
        "prometheus": Endpoint("prometheus", "monitoring", {"app": "prometheus"}),
        "dns": Endpoint("dns", "kube-system", {"k8s-app": "kube-dns"}),
        "stranger": Endpoint("stranger", "default", {"app": "stranger"}),
        "neighbour": Endpoint("neighbour", namespace, {"app": "debug"}),
        "franceconnect": Endpoint("franceconnect", address="203.0.113.10"),
        "smtp-relay": Endpoint("smtp-relay", address="10.20.30.40"),
        "internet": Endpoint("internet", address="198.51.100.7"),
    }


#: (source, target, port) the architecture draws: allowed. Everything else below: denied.
FLOWS = {
    ("ingress-controller", "gateway", 8080),
    *{("gateway", service, 8000) for service in SERVICES},
    *{(service, "auth", 8000) for service in ("catalog", "messages", "notifier")},
    *{(service, "kafka", 9093) for service in SERVICES},
    # The command-line tools run in a broker pod (docs/operations.md).
    ("kafka", "kafka", 9093),
    *{(service, "postgres", 5432) for service in SERVICES},
    ("notifier", "smtp-relay", 25),
    ("notifier", "smtp-relay", 465),
    ("notifier", "smtp-relay", 587),
    ("auth", "franceconnect", 443),
    *{("prometheus", service, 8000) for service in SERVICES},
}
DENIED = [
    ("stranger", "auth", 8000),
    ("neighbour", "messages", 8000),
    ("ingress-controller", "auth", 8000),
    ("gateway", "postgres", 5432),
    ("gateway", "kafka", 9093),
    ("auth", "kafka", 9092),
    ("postgres", "kafka", 9093),
    ("catalog", "messages", 8000),
    ("messages", "notifier", 8000),
    ("auth", "catalog", 8000),
    ("messages", "franceconnect", 443),
    ("auth", "internet", 80),
    ("auth", "smtp-relay", 587),
    ("notifier", "internet", 443),
    ("neighbour", "postgres", 5432),
    ("neighbour", "kafka", 9093),
    ("prometheus", "gateway", 8080),
    ("auth", "postgres", 8000),
]


def test_network_policies_let_through_the_drawn_flows_and_nothing_else(
    overlay: tuple[str, Objects],
) -> None:
    name, objects = overlay
    namespace = of_kind(objects, "Namespace")[0]["metadata"]["name"]
    policies = of_kind(objects, "NetworkPolicy") + strimzi_generated_policies(objects)
    pods = endpoints(objects, namespace)
    for source, target, port in FLOWS:
        assert allowed(policies, namespace, pods[source], pods[target], port), (
            f"{name}: {source} → {target}:{port} should be allowed"
        )
    for source, target, port in DENIED:
        assert not allowed(policies, namespace, pods[source], pods[target], port), (
            f"{name}: {source} → {target}:{port} should be denied"
        )
    for pod in (*STATELESS, "kafka", "postgres"):
        assert allowed(policies, namespace, pods[pod], pods["dns"], 53), (
            f"{pod} cannot resolve names"
        )


def test_every_service_has_its_network_policy_and_the_namespace_denies_by_default(
    overlay: tuple[str, Objects],
) -> None:
    _, objects = overlay
    deny = named(objects, "NetworkPolicy", "default-deny")["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    assert "egress" not in deny
    for service in STATELESS:
        policy = named(objects, "NetworkPolicy", service)["spec"]
        assert policy["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": service}}
        assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    kafka = named(objects, "Kafka", "mes-messages")
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    services, brokers = listener["networkPolicyPeers"]
    assert services["podSelector"]["matchExpressions"] == [
        {"key": "app.kubernetes.io/name", "operator": "In", "values": list(SERVICES)}
    ]
    assert brokers == {
        "podSelector": {
            "matchLabels": {"strimzi.io/cluster": "mes-messages", "strimzi.io/kind": "Kafka"}
        }
    }


def test_the_policy_checker_itself_notices_an_open_door(render: Any) -> None:
    objects = copy.deepcopy(render(K8S / "overlays" / "prod"))
    policies = [
        item
        for item in of_kind(objects, "NetworkPolicy")
        if item["metadata"]["name"] != "default-deny"
    ]
    pods = endpoints(objects, "mes-messages")
    catalog = named(policies, "NetworkPolicy", "catalog")
    assert not allowed(policies, "mes-messages", pods["stranger"], pods["catalog"], 8000)
    catalog["spec"]["ingress"].append({})
    assert allowed(policies, "mes-messages", pods["stranger"], pods["catalog"], 8000)


def secrets_operators_create() -> dict[str, set[str]]:
    """The keys of each Secret that deploy/README.md tells operators to create."""
    created: dict[str, set[str]] = {}
    current: set[str] | None = None
    for line in (ROOT / "deploy" / "README.md").read_text("utf-8").splitlines():
        if match := re.search(r"create secret generic (\S+)", line):
            current = created.setdefault(match.group(1), set())
        if current is not None:
            current.update(re.findall(r"--from-literal=([A-Za-z_]+)=", line))
            if not line.rstrip().endswith("\\"):
                current = None
    return created


@pytest.mark.parametrize("service", SERVICES)
def test_every_secret_setting_comes_from_a_secret_the_operators_create(
    render: Any, service: str
) -> None:
    """A secret setting with a local default refuses to start in production: each must be
    given by a Secret the README says how to create, to the service and to its migrations."""
    settings_class = importlib.import_module(f"{service}.config").Settings
    prefix = settings_class.model_config.get("env_prefix", "")
    needed = {
        (prefix + name).upper()
        for name, field in settings_class.model_fields.items()
        if field.annotation is SecretStr
        and isinstance(field.default, SecretStr)
        and field.default.get_secret_value()
        and field.validation_alias is None
    }
    created = secrets_operators_create()
    objects = render(K8S / "overlays" / "prod")
    pod = named(objects, "Deployment", service)["spec"]["template"]["spec"]
    job = next(
        item["spec"]["template"]["spec"]
        for item in of_kind(objects, "Job")
        if item["metadata"]["name"].startswith(f"{service}-migrate-")
    )
    for container in (pod["containers"][0], pod["initContainers"][0], job["containers"][0]):
        given = {
            item["name"]
            for item in container.get("env", [])
            if "valueFrom" in item or "value" in item
        }
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                given |= created.get(source["secretRef"]["name"], set())
        assert needed <= given, (
            f"{service}/{container['name']}: no Secret gives {sorted(needed - given)}"
        )
