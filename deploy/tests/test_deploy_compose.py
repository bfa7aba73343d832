"""deploy/compose.yaml: valid against the Compose specification, and the stack it describes."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from contracts import ALL_TOPICS
from devstack.install import MAILPIT_VERSION
from devstack.parts.attachments import S3PROXY_VERSION

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
SERVICES = ("auth", "catalog", "messages", "notifier")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def schema_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    assert schema_errors(compose) == []


def test_the_schema_check_catches_a_mistake(compose: dict[str, Any]) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["auth"]["enviroment"] = broken["services"]["auth"].pop("environment")
    broken["services"]["gateway"]["depends_on"]["auth"]["condition"] = "service_ready"
    errors = schema_errors(broken)
    assert any("enviroment" in error for error in errors)
    assert any(error.startswith("services/gateway/depends_on") for error in errors)


def test_the_whole_stack_is_there(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {
        "kafka",
        "kafka-topics",
        "postgres",
        "mailpit",
        "oidc",
        "object-storage",
        "clamd",
        *SERVICES,
        "gateway",
    } <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    # The mail catcher of `make run` and of the tests, at the same version.
    assert services["mailpit"]["image"] == f"axllent/mailpit:{MAILPIT_VERSION}"
    assert services["oidc"]["build"]["dockerfile"] == "deploy/local/oidc/Dockerfile"
    assert services["gateway"]["build"]["dockerfile"] == "deploy/gateway/Dockerfile"
    # What a person opens: the portal, the mailbox and the provider's login page, on this
    # machine only.
    published = {port for service in services.values() for port in service.get("ports", [])}
    assert published == {"127.0.0.1:8080:8080", "127.0.0.1:8025:8025", "127.0.0.1:9100:9100"}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_its_image_on_its_own_database(
    compose: dict[str, Any], service: str
) -> None:
    definition = compose["services"][service]
    assert definition["build"] == {
        "context": "..",
        "dockerfile": "services/Dockerfile",
        "args": {"SERVICE": service},
    }
    assert definition["image"] == f"mes-messages/{service}:local"
    environment = definition["environment"]
    assert environment[f"{service.upper()}_DATABASE_URL"] == (
        f"postgresql+asyncpg://{service}:{service}@postgres:5432/{service}"
    )
    assert environment["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert environment["KAFKA_SECURITY_PROTOCOL"] == "PLAINTEXT"  # a laptop; TLS on Kubernetes
    assert environment["AUTH_JWKS_URL"] == "http://auth:8000/.well-known/jwks.json"
    assert environment["ENVIRONMENT"] == "local"
    command = " ".join(definition["command"])
    assert (
        f"python -m {service} setup-local && exec uvicorn --factory {service}.main:create_app"
        in command
    )
    assert f"--root-path /api/{service}" in command
    init = compose["configs"]["postgres-databases"]["content"]
    assert f"CREATE DATABASE {service} OWNER {service};" in init
    assert definition["depends_on"]["kafka-topics"]["condition"] == "service_completed_successfully"


def test_our_containers_are_hardened(compose: dict[str, Any]) -> None:
    ours = [name for name, service in compose["services"].items() if "build" in service]
    assert set(ours) == {"kafka-topics", "oidc", *SERVICES, "gateway"}
    for name in ours:
        service = compose["services"][name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name


def test_topics_come_from_the_contracts(compose: dict[str, Any]) -> None:
    # The auth image, built as the auth service builds it: it carries the contracts package.
    assert compose["services"]["kafka-topics"]["build"] == compose["services"]["auth"]["build"]
    assert compose["services"]["kafka-topics"]["image"] == compose["services"]["auth"]["image"]
    script = "\n".join(compose["services"]["kafka-topics"]["command"])
    assert "from contracts import ALL_TOPICS" in script
    assert "ensure_topics" in script
    assert compose["services"]["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert ALL_TOPICS


def test_franceconnect_provider_answers_browsers_and_services_at_one_address(
    compose: dict[str, Any],
) -> None:
    issuer = compose["services"]["oidc"]["environment"]["OIDC_ISSUER"]
    host = re.match(r"http://([^:/]+):9100/", issuer)
    assert host is not None
    assert host.group(1).endswith(".localhost")
    assert host.group(1) in compose["services"]["oidc"]["networks"]["default"]["aliases"]
    assert compose["services"]["auth"]["environment"]["FRANCECONNECT_ISSUER"] == issuer
    origin = compose["services"]["gateway"]["environment"]["FRANCECONNECT_ORIGIN"]
    assert issuer.startswith(origin + "/")


def test_attachments_get_an_object_storage_and_clamd_with_the_settings_of_kubernetes(
    compose: dict[str, Any],
) -> None:
    """The messages service's attachments settings are those of Kubernetes' config map, the
    endpoint aside (this stack's own s3proxy, the one ``make run`` starts, same version)."""
    config_env = ROOT / "deploy" / "k8s" / "base" / "messages" / "config.env"
    kubernetes = dict(
        line.split("=", 1)
        for line in config_env.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    attachment_settings = {
        name: value
        for name, value in kubernetes.items()
        if name.startswith(("MESSAGES_OBJECT_STORAGE_", "MESSAGES_CLAMD_"))
    }
    assert set(attachment_settings) >= {
        "MESSAGES_OBJECT_STORAGE_ENDPOINT",
        "MESSAGES_OBJECT_STORAGE_BUCKET",
        "MESSAGES_CLAMD_ADDRESS",
    }
    services = compose["services"]
    environment = services["messages"]["environment"]
    for name, value in attachment_settings.items():
        if name != "MESSAGES_OBJECT_STORAGE_ENDPOINT":
            assert environment[name] == value, name
    assert environment["MESSAGES_OBJECT_STORAGE_ENDPOINT"] == "http://object-storage:80"
    assert (
        environment["MESSAGES_OBJECT_STORAGE_ACCESS_KEY"]
        == (services["object-storage"]["environment"]["S3PROXY_IDENTITY"])
    )
    assert (
        environment["MESSAGES_OBJECT_STORAGE_SECRET_KEY"]
        == (services["object-storage"]["environment"]["S3PROXY_CREDENTIAL"])
    )
    assert services["object-storage"]["image"] == f"andrewgaul/s3proxy:{S3PROXY_VERSION}"
    assert services["clamd"]["image"].startswith("clamav/clamav:")
    # clamd's address names the compose service, as Kubernetes names its Service.
    assert attachment_settings["MESSAGES_CLAMD_ADDRESS"] == "tcp://clamd:3310"
    for part in ("object-storage", "clamd"):
        assert services["messages"]["depends_on"][part]["condition"] == "service_started"


def test_the_notifier_posts_its_letters_to_a_volume_it_may_write(
    compose: dict[str, Any],
) -> None:
    """The notifier's letters go where Kubernetes puts them (its config map's
    NOTIFIER_LETTERS_DIR, the mount of its ``letters`` volume), in a named volume: the only
    place its read-only container writes. A fresh named volume takes the owner of the image's
    folder, which services/Dockerfile makes for the image's user in the notifier's image."""
    config_env = ROOT / "deploy" / "k8s" / "base" / "notifier" / "config.env"
    kubernetes = dict(
        line.split("=", 1)
        for line in config_env.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    folder = kubernetes["NOTIFIER_LETTERS_DIR"]
    deployment = yaml.safe_load(
        (ROOT / "deploy" / "k8s" / "base" / "notifier" / "deployment.yaml").read_text()
    )
    (container,) = [
        c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "notifier"
    ]
    assert {"name": "letters", "mountPath": folder} in container["volumeMounts"]
    notifier = compose["services"]["notifier"]
    assert notifier["read_only"] is True
    assert notifier["environment"]["NOTIFIER_LETTERS_DIR"] == folder
    volume, _, target = next(v for v in notifier["volumes"] if v.split(":")[1] == folder).partition(
        ":"
    )
    assert target == folder
    assert volume in compose["volumes"], "a named volume, not a folder of the host"
    dockerfile = (ROOT / "services" / "Dockerfile").read_text()
    assert f"install -d -o 10001 -g 10001 -m 0750 {folder}" in dockerfile
