"""deploy/k8s workloads: every container non-root, read-only, bounded and probed, images of
the release, Secrets only referenced; disruption budgets, autoscalers and replicas per overlay.
"""

from __future__ import annotations

from typing import Any

import pytest

from contracts import ALL_TOPICS
from deploy.tests.support import (
    K8S,
    SERVICES,
    STATELESS,
    Objects,
    containers,
    named,
    of_kind,
    pod_specs,
)

pytestmark = pytest.mark.unit

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
