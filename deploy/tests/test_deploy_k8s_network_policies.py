"""deploy/k8s network policies: the flows the architecture draws are let through, every other
one is denied, and the namespace denies by default.
"""

from __future__ import annotations

import copy
import ipaddress
from dataclasses import dataclass, field
from typing import Any

import pytest

from deploy.tests.support import (
    K8S,
    SERVICES,
    STATELESS,
    Objects,
    named,
    of_kind,
)

pytestmark = pytest.mark.unit

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
