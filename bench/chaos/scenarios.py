"""The faults, one scenario each: submissions sent through the gateway as the portal sends
them while a part of the system is killed, stopped or frozen, then everything counted.

A submission is what a member does: one text, one Idempotency-Key, sent again with the same
key (as the portal does with its draft) after a ``503``, a ``409`` or no answer, until it is
accepted or the scenario gives up. Each attempt's status is counted.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.chaos.harness import SENDING_LEASE_SECONDS, ChaosStack
from bench.e2e.load import TEXT, client

#: Statuses after which the portal lets the member send the same draft again.
RETRIED = {0, 409, 429, 502, 503, 504}


@dataclass(frozen=True)
class Plan:
    """Sizes of one run: ``full`` for ``make chaos``, ``short`` for ``make test``."""

    submissions: int
    rate: float  # submissions started per second
    kafka_outage: float
    smtp_outage: float
    postgres_outage: float
    freeze: float
    crash_emails: int
    give_up_after: float = 180.0  # a submission not accepted by then is lost

    @classmethod
    def full(cls) -> Plan:
        return cls(
            submissions=500,
            rate=10.0,
            kafka_outage=30,
            smtp_outage=60,
            postgres_outage=20,
            freeze=20,
            crash_emails=8,
        )

    @classmethod
    def short(cls) -> Plan:
        return cls(
            submissions=40,
            rate=8.0,
            kafka_outage=6,
            smtp_outage=8,
            postgres_outage=5,
            freeze=8,
            crash_emails=4,
        )


@dataclass
class Attempt:
    started: float  # time.time()
    seconds: float
    status: int  # 0: no answer


@dataclass
class Submission:
    key: str
    attempts: list[Attempt] = field(default_factory=list)
    reference: str | None = None
    accepted_at: float | None = None
    #: The answer to an attempt the member cannot get past by sending again (its body).
    refusal: str | None = None


class Member:
    """The demo member, logged in through the gateway; sends submissions as the portal."""

    def __init__(self, stack: ChaosStack) -> None:
        self.stack = stack

    async def open(self) -> None:
        cookies, self.headers = await self.stack.login()
        # as many connections as submissions under way: each stands for a member of its own
        self.http = client(self.stack.gateway, 2048, cookies)
        theme, subject, motif = self.stack.codes
        self.body = {"theme": theme, "subject": subject, "motif": motif, "text": TEXT}

    async def close(self) -> None:
        await self.http.aclose()

    async def submit(self, give_up_at: float) -> Submission:
        submission = Submission(str(uuid.uuid4()))
        while time.time() < give_up_at:
            started, clock = time.time(), time.perf_counter()
            try:
                response = await self.http.post(
                    "/api/messages/threads",
                    json=self.body,
                    headers={**self.headers, "Idempotency-Key": submission.key},
                    timeout=30.0,
                )
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            submission.attempts.append(Attempt(started, time.perf_counter() - clock, status))
            if 200 <= status < 300:
                submission.reference = response.json()["reference"]
                submission.accepted_at = time.time()
                return submission
            if status not in RETRIED:
                # a refusal the member cannot get past by sending again
                submission.refusal = response.text[:500]
                return submission
            await asyncio.sleep(1.0)
        return submission

    async def submit_many(self, count: int, rate: float, give_up_after: float) -> list[Submission]:
        """``count`` submissions started at ``rate`` per second, each on its own schedule."""
        start = time.perf_counter()
        tasks = []
        for index in range(count):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.submit(time.time() + give_up_after)))
        return list(await asyncio.gather(*tasks))


@dataclass
class Fault:
    """What happened to the system and when (``time.time()``)."""

    began: float = 0.0
    recovered: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


async def blocking(function: Callable[..., Any], *args: Any) -> Any:
    """Stack operations block (they wait for a part to be ready): off the event loop, so the
    submissions keep going meanwhile."""
    return await asyncio.to_thread(function, *args)


# ----------------------------------------------------------------------------- scenarios


async def kafka_killed(stack: ChaosStack, plan: Plan, fault: Fault) -> None:
    await asyncio.sleep(plan.submissions / plan.rate / 5)
    fault.began = time.time()
    await blocking(stack.kill, "kafka")
    await asyncio.sleep(plan.kafka_outage)
    await blocking(stack.start_part, "kafka")
    fault.recovered = time.time()


async def notifier_killed(stack: ChaosStack, plan: Plan, fault: Fault) -> None:
    await asyncio.sleep(plan.submissions / plan.rate / 2)
    fault.began = time.time()
    await blocking(stack.kill, "notifier")
    await blocking(stack.restart, "notifier")
    fault.recovered = time.time()


async def smtp_down(stack: ChaosStack, plan: Plan, fault: Fault) -> None:
    await asyncio.sleep(plan.submissions / plan.rate / 5)
    fault.began = time.time()
    await blocking(stack.stop_sink)
    await asyncio.sleep(plan.smtp_outage)
    await blocking(stack.start_sink)
    fault.recovered = time.time()


async def postgres_stopped(stack: ChaosStack, plan: Plan, fault: Fault) -> None:
    await asyncio.sleep(plan.submissions / plan.rate / 5)
    fault.began = time.time()
    await blocking(stack.stop_part, "postgres")
    await asyncio.sleep(plan.postgres_outage)
    await blocking(stack.start_part, "postgres")
    fault.recovered = time.time()


async def postgres_frozen(stack: ChaosStack, plan: Plan, fault: Fault) -> None:
    """SIGSTOP for ``plan.freeze`` seconds; meanwhile ``/readyz`` of messages is asked every
    half second (how long it takes to answer, and what)."""
    await asyncio.sleep(plan.submissions / plan.rate / 5)
    fault.began = time.time()
    stack.freeze("postgres")
    probes: list[tuple[bool, float]] = []
    try:
        while time.time() < fault.began + plan.freeze:
            probes.append(await stack.ready("messages", timeout=30.0))
            await asyncio.sleep(0.5)
    finally:
        stack.thaw("postgres")
    fault.recovered = time.time()
    # the first second is the pool's connections noticing; every later probe must say no
    fault.extra["readiness_probes"] = len(probes)
    fault.extra["readiness_false"] = sum(1 for ready, _ in probes if not ready)
    fault.extra["readiness_slowest_s"] = round(max((s for _, s in probes), default=0.0), 2)


async def crash_window(stack: ChaosStack, plan: Plan, fault: Fault) -> None:
    """The sink holds its ``250``; once it holds an email, the notifier is killed, the sink
    lets go, the notifier starts again: the held emails go again after the sending lease."""
    fault.began = time.time()
    deadline = time.monotonic() + 60
    while not any(e.held for e in stack.sink_emails() if e.accepted_at >= fault.began):
        if time.monotonic() > deadline:
            raise RuntimeError("no email reached the holding sink within 60 s")
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # let the other connections of the pool hand theirs over too
    await blocking(stack.kill, "notifier")
    stack.hold_file.unlink(missing_ok=True)
    await blocking(stack.restart, "notifier")
    fault.recovered = time.time()
    fault.extra["held"] = sum(
        1 for e in stack.sink_emails() if e.held and e.accepted_at >= fault.began
    )


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    fault: Callable[[ChaosStack, Plan, Fault], Coroutine[Any, Any, None]]
    #: how many submissions (``None``: the plan's)
    size: Callable[[Plan], int] | None = None
    #: a party to an SMTP transaction dies in it (the notifier, or the SMTP server after it
    #: took an email and before its 250 left): a resend with the same Message-ID is the
    #: documented outcome
    crash: bool = False
    #: after recovery, the time the system may need before it drains on its own
    allowance: Callable[[Plan], float] = lambda _plan: 0.0


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "kafka-killed",
        "Kafka killed (SIGKILL) for {kafka_outage:.0f} s during the submissions",
        kafka_killed,
    ),
    Scenario(
        "notifier-killed",
        "the notifier killed (SIGKILL) mid-stream and started again",
        notifier_killed,
        crash=True,
    ),
    Scenario(
        "smtp-down",
        "the SMTP server away (killed) for {smtp_outage:.0f} s",
        smtp_down,
        crash=True,
    ),
    Scenario(
        "postgres-stopped",
        "PostgreSQL stopped (fast shutdown) for {postgres_outage:.0f} s",
        postgres_stopped,
    ),
    Scenario("postgres-frozen", "PostgreSQL frozen (SIGSTOP) for {freeze:.0f} s", postgres_frozen),
    Scenario(
        "crash-window",
        "the notifier killed while the SMTP server holds its 250 (the crash window)",
        crash_window,
        size=lambda plan: plan.crash_emails,
        crash=True,
        allowance=lambda _plan: float(SENDING_LEASE_SECONDS),
    ),
)


async def run(stack: ChaosStack, scenario: Scenario, plan: Plan) -> dict[str, Any]:
    """One scenario, measured: the load and the fault together, then every email awaited."""
    count = scenario.size(plan) if scenario.size else plan.submissions
    member = Member(stack)
    await member.open()
    fault = Fault()
    if scenario.name == "crash-window":
        stack.hold_file.touch()
    started = time.time()
    try:
        fault_task = asyncio.create_task(scenario.fault(stack, plan, fault))
        submissions = await member.submit_many(count, plan.rate, plan.give_up_after)
        await fault_task
    finally:
        stack.hold_file.unlink(missing_ok=True)
        await member.close()
    return await measure(stack, scenario, plan, fault, started, submissions)


async def measure(
    stack: ChaosStack,
    scenario: Scenario,
    plan: Plan,
    fault: Fault,
    started: float,
    submissions: list[Submission],
) -> dict[str, Any]:
    accepted = {s.reference: s for s in submissions if s.reference}
    references = set(accepted)
    # every confirmation, or give up after three minutes (and the allowance): an email later
    # than that is counted as never sent; one later than the drain bound is late, not lost
    deadline = time.monotonic() + 180 + scenario.allowance(plan)
    while time.monotonic() < deadline:
        arrived = {e.reference for e in stack.sink_emails() if e.confirmation}
        if references <= arrived:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # a copy sent right after the last email is counted too
    emails = [e for e in stack.sink_emails() if e.confirmation and e.reference in references]
    by_reference: dict[str, list[str]] = {}
    for email in emails:
        by_reference.setdefault(email.reference or "", []).append(email.message_id)

    stored = await stack.query(
        "messages", "SELECT reference FROM threads WHERE reference = ANY($1)", list(references)
    )
    others = await stack.query(
        "messages",
        "SELECT count(*) AS n FROM threads WHERE created_at >= to_timestamp($1)"
        " AND NOT (reference = ANY($2))",
        started,
        list(references),
    )
    recorded = await stack.query(
        "notifier",
        "SELECT reference, status, message_id FROM deliveries"
        " WHERE kind = 'message_received' AND reference = ANY($1)",
        list(references),
    )
    rows_per_reference: dict[str, int] = {}
    for row in recorded:
        rows_per_reference[row["reference"]] = rows_per_reference.get(row["reference"], 0) + 1

    statuses: dict[str, int] = {}
    for submission in submissions:
        for attempt in submission.attempts:
            key = str(attempt.status) if attempt.status else "no answer"
            statuses[key] = statuses.get(key, 0) + 1
    during = [
        a
        for s in submissions
        for a in s.attempts
        if fault.began <= a.started <= (fault.recovered or a.started)
    ]
    last_email = max((e.accepted_at for e in emails), default=None)
    last_accepted = max((s.accepted_at or 0.0 for s in submissions), default=0.0)
    recovered = fault.recovered or started
    drain = None if last_email is None else max(0.0, last_email - max(recovered, last_accepted))
    return {
        "scenario": scenario.name,
        "fault": scenario.what.format(**plan.__dict__),
        "outage_s": round(fault.recovered - fault.began, 1) if fault.recovered else None,
        "submitted": len(submissions),
        "attempts": sum(len(s.attempts) for s in submissions),
        "accepted": len(accepted),
        "statuses": dict(sorted(statuses.items())),
        "slowest_answer_s": round(
            max((a.seconds for s in submissions for a in s.attempts), default=0.0), 2
        ),
        "slowest_answer_during_fault_s": round(max((a.seconds for a in during), default=0.0), 2),
        "slowest_gateway_answer_during_fault_s": round(
            max(stack.gateway_answers(fault.began, fault.recovered or time.time()), default=0.0),
            2,
        ),
        "stored": len(stored),
        "lost": len(submissions) - len(stored),
        "duplicate_threads": int(others[0]["n"]),
        "emails": len(by_reference),
        "emails_missing": len(references - set(by_reference)),
        "duplicate_emails": sum(1 for ids in by_reference.values() if len(set(ids)) > 1),
        "resent_same_message_id": sum(
            1 for ids in by_reference.values() if len(ids) > len(set(ids))
        ),
        "deliveries_recorded_twice": sum(1 for n in rows_per_reference.values() if n > 1),
        "deliveries_not_sent": sum(1 for row in recorded if row["status"] != "sent"),
        "drain_s": None if drain is None else round(drain, 2),
        "drain_allowance_s": scenario.allowance(plan),
        "crash": scenario.crash,
        "load_average_1m": round(os.getloadavg()[0], 1),
        **fault.extra,
    }
