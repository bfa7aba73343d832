"""Helpers of the deploy/k8s tests: the repository's places, the services, and how to find
objects, pod specs and containers in a rendered overlay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
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


#: What a container needs to talk to Kafka, beyond the shared bootstrap address.
KAFKA_CLIENT_VARIABLES = {
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_SSL_CAFILE",
}


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
