"""schemathesis through the gateway, as one of four people, with the conformance checks on."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("auth", "catalog", "messages", "notifier")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
#: The web apps' readable CSRF cookies on plain http://localhost.
CSRF_COOKIES = {"member": "mm-portal-csrf", "agent": "mm-backoffice-csrf"}
CSRF_HEADER = "X-CSRF-Token"

#: What the fuzzing must not do to what other suites (the browser tests) rely on: delete the
#: member's account, change a demo password, put generated nodes in the catalog's draft and
#: publish them, or send generated credentials, whose failures the login throttle counts
#: against this machine's address (every request comes from it: the local gateway believes
#: no X-Forwarded-For) until the demo logins themselves are refused. Their bad inputs are
#: covered by explicit tests (services/auth/tests/integration/test_auth_bad_characters.py...).
NEVER_SENT = {
    ("auth", "POST", "/session"),
    ("auth", "POST", "/agents/session"),
    ("auth", "POST", "/franceconnect/link"),
    ("auth", "DELETE", "/me"),
    ("auth", "POST", "/password"),
    # Their current password is checked under the login's throttle too.
    ("auth", "POST", "/me/email"),
    ("auth", "DELETE", "/me/franceconnect"),
    ("catalog", "POST", "/admin/publish"),
    ("catalog", "POST", "/admin/nodes"),
    ("catalog", "PATCH", "/admin/nodes/{code}"),
    ("catalog", "PUT", "/admin/nodes/{code}/online-service"),
    ("catalog", "DELETE", "/admin/nodes/{code}/online-service"),
    ("catalog", "PUT", "/admin/nodes/{code}/online-service/fund-urls/{fund}"),
    ("catalog", "DELETE", "/admin/nodes/{code}/online-service/fund-urls/{fund}"),
}

#: The services' operational endpoints, which the gateway keeps from the outside (a 404).
BEHIND_THE_GATEWAY = {"/healthz", "/readyz", "/metrics"}

_addresses = itertools.count(1)


def _fresh_address() -> str:
    """A client address per login, for a gateway that believes the loopback's X-Forwarded-For
    (GATEWAY_TRUSTED_PROXIES); harmless where it does not."""
    number = next(_addresses)
    return f"10.99.{number >> 8 & 255}.{number & 255}"


def _demo_accounts() -> dict[str, dict[str, str]]:
    """The login of each role among the demo accounts the auth service seeds locally."""
    data = yaml.safe_load(
        (ROOT / "services/auth/src/auth/seed/demo_accounts.yaml").read_text("utf-8")
    )
    member = next(row for row in data["members"] if row["fund"] == "NPC")
    logins = {"member": {"nir": str(member["nir"])[:13], "password": member["password"]}}
    for role in ("agent", "supervisor", "admin"):
        agent = next(row for row in data["agents"] if row["role"] == role and row["fund"] == "NPC")
        logins[role] = {"email": agent["email"], "password": agent["password"]}
    return logins


@dataclass
class Session:
    """A person's browser session through the gateway, opened again whenever an operation
    (a logout, a FranceConnect logout) has ended it."""

    gateway_url: str
    role: str
    _headers: dict[str, str] = field(default_factory=dict)

    def _log_in(self) -> dict[str, str]:
        login = _demo_accounts()[self.role]
        path = "/api/auth/session" if self.role == "member" else "/api/auth/agents/session"
        with httpx.Client(base_url=self.gateway_url, timeout=30) as client:
            response = client.post(
                path,
                json=login,
                headers={"Origin": self.gateway_url, "X-Forwarded-For": _fresh_address()},
            )
            assert response.status_code == 200, f"{self.role} login: {response.text}"
            cookies = dict(client.cookies.items())
        csrf_cookie = CSRF_COOKIES["member" if self.role == "member" else "agent"]
        assert csrf_cookie in cookies, f"no CSRF cookie in {sorted(cookies)}"
        return {
            "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
            CSRF_HEADER: cookies[csrf_cookie],
            "Origin": self.gateway_url,
        }

    def headers(self) -> dict[str, str]:
        if self._headers:
            alive = httpx.get(f"{self.gateway_url}/api/auth/me", headers=self._headers, timeout=30)
            if alive.status_code == 200:
                return self._headers
        self._headers = self._log_in()
        return self._headers


@dataclass
class FuzzReport:
    failures: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


def fuzz_service(schema: Any, service: str, session: Session, *, max_examples: int) -> FuzzReport:
    """Every operation of ``schema`` (but those in NEVER_SENT), ``max_examples`` valid and
    half as many invalid generated requests each, sent through the gateway as ``session``;
    every answer is checked against the document (server errors, undocumented statuses,
    content types, bodies, headers)."""
    report = FuzzReport()
    base_url = f"{session.gateway_url}/api/{service}"

    def fuzz_one(operation: Any, headers: dict[str, str], mode: GenerationMode, count: int) -> None:
        @hypothesis_settings(
            max_examples=count,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            report.statuses.append(response.status_code)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as failure:
                report.failures.append(
                    f"{session.role} {case.method} /api/{service}{case.formatted_path} -> "
                    f"{response.status_code}: {str(failure)[:600]}"
                )

        try:
            fuzz()
        except Unsatisfiable:
            # Nothing in the request can be made invalid (no parameter, no body).
            assert mode is GenerationMode.NEGATIVE, operation.label

    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in BEHIND_THE_GATEWAY:
            continue
        if (service, operation.method.upper(), operation.path) in NEVER_SENT:
            continue
        fuzz_one(operation, session.headers(), GenerationMode.POSITIVE, max_examples)
        fuzz_one(operation, session.headers(), GenerationMode.NEGATIVE, max(1, max_examples // 2))
    return report
