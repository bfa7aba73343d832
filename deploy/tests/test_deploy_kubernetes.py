"""deploy/k8s: every overlay renders, validates against pinned schemas and keeps the rules.

Built-in kinds are validated against the Kubernetes JSON schemas of ``KUBERNETES_VERSION``
(bundled by the kubernetes-validate wheel, strict: an unknown field is an error); the
CloudNativePG and Prometheus operator resources against their CRDs, vendored in
``schemas/crds`` (unknown fields are errors there too). Strimzi publishes its CRDs in no
registry these machines reach, so its resources get the focused checks at the end.
"""

from __future__ import annotations

import copy
import importlib.util
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from contracts import ALL_TOPICS

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
    assert {"Kafka", "KafkaNodePool", "KafkaTopic", "Cluster", "ServiceMonitor"} <= kinds, name


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


STRIMZI_KINDS = {"Kafka", "KafkaNodePool", "KafkaTopic"}


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


def env_of(container: dict[str, Any]) -> tuple[Any, Any]:
    return container.get("envFrom"), container.get("env")


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
    assert config["KAFKA_BOOTSTRAP_SERVERS"] == "mes-messages-kafka-bootstrap:9092"
    assert any(
        listener["port"] == 9092 and listener["tls"] is False
        for listener in kafka["spec"]["kafka"]["listeners"]
    )
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
    spec = importlib.util.spec_from_file_location("generate_topics", K8S / "generate_topics.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_kafka_topics_are_what_the_generator_writes() -> None:
    generator = load_generator()
    assert generator.OUTPUT.read_text() == generator.render(), (
        "run `uv run python deploy/k8s/generate_topics.py` and commit"
    )


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
NODE_POOL_FIELDS = {"replicas", "roles", "storage", "resources", "jvmOptions", "template"}
TOPIC_FIELDS = {"topicName", "partitions", "replicas", "config"}
STORAGE_VOLUME_FIELDS = {"id", "type", "size", "class", "deleteClaim", "kraftMetadata", "selector"}


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
    *{(service, "kafka", 9092) for service in SERVICES},
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
    ("gateway", "kafka", 9092),
    ("catalog", "messages", 8000),
    ("messages", "notifier", 8000),
    ("auth", "catalog", 8000),
    ("messages", "franceconnect", 443),
    ("auth", "internet", 80),
    ("auth", "smtp-relay", 587),
    ("notifier", "internet", 443),
    ("neighbour", "postgres", 5432),
    ("neighbour", "kafka", 9092),
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
    peers = kafka["spec"]["kafka"]["listeners"][0]["networkPolicyPeers"]
    assert [peer["podSelector"]["matchExpressions"][0]["values"] for peer in peers] == [
        list(SERVICES)
    ]


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
