"""Load: closed loops (N connections, each sending as soon as it has its answer) and open
loops (a fixed rate, whatever the answers), timing every request."""

from __future__ import annotations

import asyncio
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

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


def submission(
    path: str, codes: tuple[str, str, str], headers: dict[str, str] | None = None
) -> Send:
    """A member's submission exactly as the portal sends it: JSON, an Idempotency-Key, and
    (when ``headers`` holds them) the session cookie and the CSRF header."""
    theme, subject, motif = codes
    body = {"theme": theme, "subject": subject, "motif": motif, "text": TEXT}

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


async def open_loop(
    connect: Callable[[], httpx.AsyncClient],
    send: Send,
    *,
    rate: float,
    seconds: float,
    workers: int = 128,
) -> list[Sample]:
    """Sends at ``rate`` per second for ``seconds``, each request on its own schedule: a slow
    answer never delays the next request (no coordinated omission). ``workers`` tasks, each
    with a client and a connection of its own (``connect``), take the requests as they fall
    due; a request that waits for a free worker counts that wait in its latency (and its
    time from submission to email starts at its scheduled moment). Requests queued inside
    one httpx client made the generator itself the bottleneck: its pool scans every request
    and connection it holds at each step, and at 100/s the benchmark's process took a whole
    core to send 13 a second."""
    samples: list[Sample] = []
    count = int(rate * seconds)
    due: asyncio.Queue[float | None] = asyncio.Queue()

    async def worker(http: httpx.AsyncClient) -> None:
        async with http:
            while (scheduled := await due.get()) is not None:
                sample = await send(http)
                late = max(0.0, sample.sent_at - scheduled)
                samples.append(replace(sample, sent_at=scheduled, latency=sample.latency + late))

    # The clients exist before the first request is due: making them is not the phase's work.
    pool = [asyncio.create_task(worker(connect())) for _ in range(workers)]
    await asyncio.sleep(0)
    start = time.perf_counter()
    wall_start = time.time()
    for index in range(count):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        due.put_nowait(wall_start + index / rate)
    for _ in pool:
        due.put_nowait(None)
    await asyncio.gather(*pool)
    return samples
