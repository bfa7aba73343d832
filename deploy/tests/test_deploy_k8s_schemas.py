"""deploy/k8s: every overlay renders and validates against pinned schemas.

Built-in kinds are validated against the Kubernetes JSON schemas of ``KUBERNETES_VERSION``
(bundled by the kubernetes-validate wheel, strict: an unknown field is an error); the
CloudNativePG and Prometheus operator resources against their CRDs, vendored in
``schemas/crds`` (unknown fields are errors there too). Strimzi publishes its CRDs in no
registry these machines reach, so its resources get focused checks (test_deploy_k8s_kafka.py).
The rules the rendered objects keep are in the other test_deploy_k8s_* files.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from deploy.tests.support import (
    K8S,
    Objects,
    named,
)

pytestmark = pytest.mark.unit

CRDS = Path(__file__).parent / "schemas" / "crds"
KUBERNETES_VERSION = "1.33"


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
            continue  # no schema to be had offline: see test_deploy_k8s_kafka.py
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
