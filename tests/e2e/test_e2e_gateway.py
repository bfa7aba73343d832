"""The gateway's promises, checked over HTTP: security headers on pages and APIs, HSTS only
off localhost, cache headers of the web apps, request body limits, and an access log that
keeps no query string."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest

from devstack.pytest_plugin import IN_CI

pytestmark = pytest.mark.e2e


@pytest.fixture
def gateway(e2e_stack):
    with httpx.Client(base_url=e2e_stack.base_url, timeout=10) as client:
        yield client


@pytest.mark.parametrize("path", ["/", "/messages/nouveau", "/backoffice/", "/api/catalog/tree"])
def test_every_answer_carries_the_security_headers(gateway, path):
    response = gateway.get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "'unsafe-inline'" not in csp
    assert "style-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    assert re.search(r"form-action 'self' http://localhost:\d+", csp), csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["permissions-policy"]
    assert "server" not in response.headers
    assert "strict-transport-security" not in response.headers


def test_hsts_is_sent_when_the_site_is_reached_by_its_public_name(gateway):
    response = gateway.get("/", headers={"Host": "messagerie.msa.example"})
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_the_web_apps_are_served_with_their_cache_headers_and_fall_back_to_index(gateway):
    page = gateway.get("/messages/0b0f8a53-3a57-4cf5-9c1c-3b1c0e2b5a41")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-cache"
    script = re.search(r'src="(/assets/[^"]+\.js)"', page.text).group(1)
    asset = gateway.get(script)
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    backoffice = gateway.get("/backoffice/demandes/0b0f8a53-3a57-4cf5-9c1c-3b1c0e2b5a41")
    assert backoffice.status_code == 200
    assert 'src="/backoffice/assets/' in backoffice.text
    assert gateway.get("/backoffice").status_code == 308


@pytest.mark.parametrize("endpoint", ["metrics", "readyz", "healthz"])
def test_the_services_operational_endpoints_are_not_public(gateway, endpoint):
    for service in ("auth", "catalog", "messages", "notifier"):
        response = gateway.get(f"/api/{service}/{endpoint}")
        assert response.status_code == 404, f"/api/{service}/{endpoint} is reachable"
    # The gateway's own liveness stays public (the load balancer asks it).
    assert gateway.get("/healthz").status_code == 200


def test_request_bodies_are_limited_per_api(gateway):
    too_big = {"text": "a" * 70_000}
    response = gateway.post("/api/messages/threads", json=too_big)
    assert response.status_code == 413


def test_the_access_log_keeps_no_query_string(gateway, e2e_stack):
    log = e2e_stack.stack.parts["gateway"].log
    if not log.exists():
        if IN_CI:
            pytest.fail(f"the gateway's log is not at {log}")
        pytest.skip("the gateway was not started by the local stack")
    secret = f"recherche{secrets.token_hex(6)}"
    assert (
        gateway.get(
            f"/messages?recherche={secret}",
            headers={"Referer": f"http://localhost:8080/messages?q={secret}"},
        ).status_code
        == 200
    )
    assert gateway.get(f"/api/messages/threads?q={secret}").status_code == 401
    # The access log line is written once the answer is sent; wait for the second one.
    for _ in range(50):
        text = log.read_text("utf-8", errors="replace")
        if text.count('"uri":"/api/messages/threads"') and '"uri":"/messages"' in text:
            break
        httpx.get(e2e_stack.base_url + "/healthz")
    assert secret not in log.read_text("utf-8", errors="replace")
