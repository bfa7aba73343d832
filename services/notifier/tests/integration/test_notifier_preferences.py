"""What members receive: their preferences, one-click unsubscribe (RFC 8058) from the emails
themselves, and thread emails skipped — never sent — once they are off. Through the real
broker, database and SMTP server."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from notifier.domain.preferences import SKIPPED_OPTED_OUT_EXPLANATION, UnsubscribeTokens
from services.notifier.tests.support import (
    Notifier,
    NotifierFactory,
    account_events,
    contact_changed,
    message_submitted,
    reply_posted,
    unique_email,
)

pytestmark = pytest.mark.integration

ONE_CLICK = {"content-type": "application/x-www-form-urlencoded"}
ONE_CLICK_BODY = "List-Unsubscribe=One-Click"


def member_headers(notifier: Notifier, member_id: uuid.UUID) -> dict[str, str]:
    token = notifier.minter.mint(kind="member", subject=member_id, api="notifier")
    return {"Authorization": f"Bearer {token}"}


def api_path(notifier: Notifier, link: str) -> str:
    """The notifier's own path for a link through the gateway (``/api/notifier/...``)."""
    assert link.startswith(notifier.settings.public_base_url + "/api/notifier/"), link
    parts = urlsplit(link)
    return parts.path.removeprefix("/api/notifier") + "?" + parts.query


async def emails_with(mailbox_client: Any, address: str, message_id: str) -> list[Any]:
    return [
        entry
        for entry in await mailbox_client.list(to=address)
        if entry["message_id"].strip() == message_id
    ]


async def deliveries_of(notifier: Notifier, member_id: uuid.UUID) -> dict[str, Any]:
    response = await notifier.client.get(
        "/deliveries", params={"member_id": str(member_id)}, headers=notifier.headers()
    )
    assert response.status_code == 200
    return {entry["message_id"]: entry for entry in response.json()["data"]}


async def test_one_click_unsubscribe_stops_the_next_thread_email_but_not_account_emails(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    member_id, address = uuid.uuid4(), unique_email("desabonnement")
    thread_id = uuid.uuid4()
    await notifier.publish(contact_changed(member_id, address))
    first = message_submitted(member_id, thread_id=thread_id)
    await notifier.publish(first)
    [confirmation] = await mailbox_client.wait_for(to=address, timeout=60)
    assert confirmation["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(.+)>", confirmation["headers"]["List-Unsubscribe"]).group(1)

    # The mail provider POSTs the link, form-encoded, with no cookie and no login.
    response = await notifier.client.post(
        api_path(notifier, link), content=ONE_CLICK_BODY, headers=ONE_CLICK
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"thread_emails": False}
    again = await notifier.client.post(
        api_path(notifier, link), content=ONE_CLICK_BODY, headers=ONE_CLICK
    )
    assert again.status_code == 200, "a second click changes nothing and is no error"
    preferences = await notifier.client.get(
        "/preferences", headers=member_headers(notifier, member_id)
    )
    assert preferences.json() == {"thread_emails": False}

    # The next reply-available email is recorded as skipped, and never sent.
    reply = reply_posted(member_id, thread_id=thread_id)
    await notifier.publish(reply)
    row = await notifier.wait_for_status(reply.event_id, "skipped_opted_out")
    assert row["sent_at"] is None
    assert row["attempts"] == 0
    assert await emails_with(mailbox_client, address, row["message_id"]) == []
    logged = (await deliveries_of(notifier, member_id))[row["message_id"]]
    assert logged["status"] == "skipped_opted_out"
    assert logged["last_error"] == SKIPPED_OPTED_OUT_EXPLANATION
    assert "ne plus recevoir" in logged["last_error"]

    # Account-security emails are always sent, and never offer to unsubscribe.
    account = account_events(member_id, address)
    await notifier.publish(*account)
    account_ids = {
        (await notifier.wait_for_status(event.event_id, "sent", "dead"))["message_id"]
        for event in account
    }
    received = await mailbox_client.wait_for(
        lambda message: message["message_id"].strip() in account_ids,
        to=address,
        count=len(account),
        timeout=60,
    )
    for message in received:
        assert "List-Unsubscribe" not in message["headers"]
        assert "List-Unsubscribe-Post" not in message["headers"]

    metrics = (await notifier.client.get("/metrics")).text
    assert 'notifier_emails_skipped_total{kind="reply_available"} 1.0' in metrics


async def test_emails_already_waiting_are_skipped_and_turning_back_on_restores_them(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    member_id, address = uuid.uuid4(), unique_email("attente")
    member = member_headers(notifier, member_id)
    # The email waits for the member's contact, and meanwhile the member turns them off.
    waiting = message_submitted(member_id)
    await notifier.publish(waiting)
    await notifier.wait_for_status(waiting.event_id, "waiting_contact")
    response = await notifier.client.put(
        "/preferences", json={"thread_emails": False}, headers=member
    )
    assert response.status_code == 200
    assert response.json() == {"thread_emails": False}
    await notifier.publish(contact_changed(member_id, address))
    await notifier.wait_for_status(waiting.event_id, "skipped_opted_out")

    # Turned back on, the next one goes out.
    response = await notifier.client.put(
        "/preferences", json={"thread_emails": True}, headers=member
    )
    assert response.json() == {"thread_emails": True}
    follow_up = message_submitted(member_id, thread_id=waiting.thread_id, follow_up=True)
    await notifier.publish(follow_up)
    sent = await notifier.wait_for_status(follow_up.event_id, "sent")
    [message] = await mailbox_client.wait_for(to=address, timeout=60)
    assert message["message_id"].strip() == sent["message_id"]


async def test_a_forged_token_is_404_and_changes_nothing(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    member_id, address = uuid.uuid4(), unique_email("falsifie")
    await notifier.publish(contact_changed(member_id, address))
    genuine = UnsubscribeTokens(notifier.settings.unsubscribe_secret.get_secret_value())
    identity = genuine.issue(member_id).split(".")[0]
    foreign = UnsubscribeTokens("the-secret-of-someone-who-guesses-it-wrong")
    for forged in (
        foreign.issue(member_id),
        f"{identity}.{genuine.issue(uuid.uuid4()).split('.')[1]}",
        identity,
        "x",
    ):
        response = await notifier.client.post(
            "/unsubscribe", params={"token": forged}, content=ONE_CLICK_BODY, headers=ONE_CLICK
        )
        assert response.status_code == 404, forged
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/unsubscribe-link-not-found")
        assert "lien de désabonnement n'est pas valide" in response.json()["detail"]
        opened = await notifier.client.get("/unsubscribe", params={"token": forged})
        assert opened.status_code == 404
    assert (await notifier.client.post("/unsubscribe")).status_code == 422

    preferences = await notifier.client.get(
        "/preferences", headers=member_headers(notifier, member_id)
    )
    assert preferences.json() == {"thread_emails": True}
    event = message_submitted(member_id)
    await notifier.publish(event)
    await notifier.wait_for_status(event.event_id, "sent")

    # Opened in a browser (a mail client without one-click), the link changes nothing and
    # goes on to the portal's page, which asks for confirmation.
    token = genuine.issue(member_id)
    opened = await notifier.client.get("/unsubscribe", params={"token": token})
    assert opened.status_code == 303
    assert opened.headers["location"] == (
        f"{notifier.settings.public_base_url}/desabonnement#jeton={token}"
    )
    preferences = await notifier.client.get(
        "/preferences", headers=member_headers(notifier, member_id)
    )
    assert preferences.json() == {"thread_emails": True}


async def test_preferences_are_the_logged_in_members_own(
    notifier_factory: NotifierFactory,
) -> None:
    notifier = await (await notifier_factory()).start()
    client = notifier.client
    member_id = uuid.uuid4()
    member = member_headers(notifier, member_id)

    for method in ("GET", "PUT"):
        body = {"thread_emails": False} if method == "PUT" else None
        anonymous = await client.request(method, "/preferences", json=body)
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        agent = await client.request(method, "/preferences", json=body, headers=notifier.headers())
        assert agent.status_code == 403, "agents have no email preferences here"

    assert (await client.get("/preferences", headers=member)).json() == {"thread_emails": True}
    for invalid in ({"thread_emails": "non"}, {"thread_emails": None}, {}, [True]):
        response = await client.put("/preferences", json=invalid, headers=member)
        assert response.status_code == 422, invalid
        assert response.headers["content-type"] == "application/problem+json"
    response = await client.put("/preferences", json={"thread_emails": False}, headers=member)
    assert response.json() == {"thread_emails": False}
    assert (await client.get("/preferences", headers=member)).json() == {"thread_emails": False}
    other = member_headers(notifier, uuid.uuid4())
    assert (await client.get("/preferences", headers=other)).json() == {"thread_emails": True}

    # From the browser: the session cookie, and the CSRF header servicekit requires with it.
    access = notifier.minter.mint(
        kind="member", subject=member_id, api="notifier", csrf="csrf-secret"
    )
    cookies = {"Cookie": f"mm-portal-notifier={access}; mm-portal-csrf=csrf-secret"}
    read = await client.get("/preferences", headers=cookies)
    assert read.json() == {"thread_emails": False}, "reading needs no CSRF header"
    forged = await client.put("/preferences", json={"thread_emails": True}, headers=cookies)
    assert forged.status_code == 403
    assert forged.json()["type"].endswith("/csrf")
    foreign = await client.put(
        "/preferences",
        json={"thread_emails": True},
        headers=cookies | {"X-CSRF-Token": "csrf-secret", "Origin": "https://ailleurs.example"},
    )
    assert foreign.status_code == 403
    response = await client.put(
        "/preferences",
        json={"thread_emails": True},
        headers=cookies | {"X-CSRF-Token": "csrf-secret"},
    )
    assert response.status_code == 200
    assert (await client.get("/preferences", headers=member)).json() == {"thread_emails": True}
