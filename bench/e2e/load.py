"""Load: closed loops (N connections, each sending as soon as it has its answer) and open
loops (a fixed rate, whatever the answers), timing every request. The measured loops run
in the compiled generator (``loadgen/``); the Python closed loop warms up and fills backlogs."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

TEXT = (
    "Bonjour, je vous écris au sujet de mon changement de situation familiale : nous avons "
    "accueilli un enfant le mois dernier. Pouvez-vous me dire quels justificatifs envoyer "
    "et sous quel délai ? Merci par avance pour votre réponse."
)


@dataclass
class Sample:
    sent_at: float  # time.time() when the request left
    latency: float  # seconds until the whole answer was read
    status: int  # 0 when no answer came (connection refused, timeout)
    reference: str | None


Send = Callable[[httpx.AsyncClient], Awaitable[Sample]]


def submission_body(codes: tuple[str, str, str]) -> dict[str, str]:
    """What the portal sends for a message on the motif ``codes`` names."""
    theme, subject, motif = codes
    return {"theme": theme, "subject": subject, "motif": motif, "text": TEXT}


def submission(
    path: str, codes: tuple[str, str, str], headers: dict[str, str] | None = None
) -> Send:
    """A member's submission exactly as the portal sends it: JSON, an Idempotency-Key, and
    (when ``headers`` holds them) the session cookie and the CSRF header."""
    body = submission_body(codes)

    async def send(client: httpx.AsyncClient) -> Sample:
        sent_at = time.time()
        started = time.perf_counter()
        try:
            response = await client.post(
                path,
                json=body,
                headers={**(headers or {}), "Idempotency-Key": str(uuid.uuid4())},
            )
        except httpx.HTTPError:
            return Sample(sent_at, time.perf_counter() - started, 0, None)
        latency = time.perf_counter() - started
        reference = None
        if response.status_code < 300:
            reference = response.json().get("reference")
        return Sample(sent_at, latency, response.status_code, reference)

    return send


#: One TLS context for every client (httpx makes one per client otherwise, loading the
#: certificate authorities each time: milliseconds per client, for plain http here).
_TLS = ssl.create_default_context()


def client(
    base_url: str, connections: int, cookies: httpx.Cookies | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        cookies=cookies,
        verify=_TLS,
        timeout=httpx.Timeout(60.0),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


async def closed_loop(
    http: httpx.AsyncClient, send: Send, *, connections: int, seconds: float
) -> list[Sample]:
    samples: list[Sample] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            samples.append(await send(http))

    await asyncio.gather(*(worker() for _ in range(connections)))
    return samples


# ------------------------------------------------------------ the compiled generator

#: ``loadgen``'s sources (Go, standard library only), built once per run.
LOADGEN = Path(__file__).resolve().parent / "loadgen"


@dataclass(frozen=True)
class Target:
    """A member's submission as the portal sends it, for the compiled generator: the URL,
    the session cookie and CSRF header (when given) and the body; each request gets its own
    Idempotency-Key."""

    url: str
    headers: dict[str, str]
    body: str

    @classmethod
    def submission(
        cls,
        url: str,
        codes: tuple[str, str, str],
        headers: dict[str, str] | None = None,
        cookies: httpx.Cookies | None = None,
    ) -> Target:
        sent = dict(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        return cls(url, sent, json.dumps(submission_body(codes), ensure_ascii=False))


def build_loadgen(output: Path) -> Path:
    """``go build`` of the generator into ``output`` (Go's build cache makes it quick)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["go", "build", "-o", str(output), "."],
        cwd=LOADGEN,
        check=True,
        env={**os.environ, "CGO_ENABLED": "0"},
    )
    return output


async def generate(
    binary: Path, target: Target, *, mode: str, seconds: float, connections: int, rate: float = 0
) -> list[Sample]:
    """Runs the compiled generator (a closed or an open loop, see ``loadgen/main.go``) and
    reads its samples: the same ``Sample`` as the Python loops above, timed the same way."""
    plan = {
        "url": target.url,
        "headers": target.headers,
        "body": target.body,
        "mode": mode,
        "rate": rate,
        "seconds": seconds,
        "connections": connections,
    }
    process = await asyncio.create_subprocess_exec(
        str(binary),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=1 << 20,
    )
    try:
        out, _ = await process.communicate(json.dumps(plan).encode())
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"loadgen stopped with {process.returncode}")
    return [
        Sample(line["sent_at"], line["latency"], line["status"], line["reference"])
        for line in map(json.loads, out.splitlines())
    ]
