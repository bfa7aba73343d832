"""deploy/k8s configuration: the migration Jobs and the schema gate see what the services
see, the services find Kafka, PostgreSQL and auth where the components put them, each has
its database and its scraping, and every secret setting comes from a Secret the README
tells operators to create.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from pydantic import SecretStr

from deploy.tests.support import (
    K8S,
    KAFKA_CLIENT_VARIABLES,
    ROOT,
    SERVICES,
    Objects,
    client_listener,
    named,
    of_kind,
)

pytestmark = pytest.mark.unit

# --- migrations and the schema gate --------------------------------------------------------


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
