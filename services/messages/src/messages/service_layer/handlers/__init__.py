"""Use cases, by side: each takes its command and, keyword-only, what it needs (``uow`` the
unit-of-work factory, ``clock``, ``catalog``, ``receipts`` the PDF printer,
``storage`` the attachments' object storage), and commits at
most once per unit of work.

``HANDLERS`` is every handler, for ``servicekit.bus.bootstrap`` in ``create_app``."""

from __future__ import annotations

from messages.service_layer.handlers.agent import (
    add_note,
    assign_thread,
    claim_thread,
    close_thread,
    count_queue,
    list_accesses,
    list_queue,
    open_agent_thread,
    post_reply,
    render_canned_reply_for_thread,
    reopen_thread,
)
from messages.service_layer.handlers.attachments import (
    delete_attachment,
    download_attachment,
    get_attachment,
    list_thread_attachments,
    purge_expired_attachments,
    upload_attachment,
)
from messages.service_layer.handlers.canned_replies import (
    delete_canned_reply,
    list_canned_replies,
    save_canned_reply,
)
from messages.service_layer.handlers.dashboard import show_dashboard
from messages.service_layer.handlers.follow_ups import (
    give_satisfaction,
    mark_reply_not_understood,
    run_follow_up_timers,
)
from messages.service_layer.handlers.housekeeping import (
    forget_idempotency_keys,
    purge_closed_threads,
)
from messages.service_layer.handlers.member import (
    list_member_threads,
    open_member_thread,
    prepare_message,
    submit_follow_up,
    submit_message,
)
from messages.service_layer.handlers.receipts import download_receipt, verify_receipt
from servicekit.bus import Handler

HANDLERS: tuple[Handler, ...] = (
    prepare_message,
    submit_message,
    submit_follow_up,
    list_member_threads,
    open_member_thread,
    download_receipt,
    verify_receipt,
    list_queue,
    count_queue,
    open_agent_thread,
    claim_thread,
    assign_thread,
    close_thread,
    reopen_thread,
    post_reply,
    render_canned_reply_for_thread,
    add_note,
    list_accesses,
    list_canned_replies,
    save_canned_reply,
    delete_canned_reply,
    purge_closed_threads,
    forget_idempotency_keys,
    upload_attachment,
    get_attachment,
    download_attachment,
    delete_attachment,
    list_thread_attachments,
    purge_expired_attachments,
    show_dashboard,
    mark_reply_not_understood,
    give_satisfaction,
    run_follow_up_timers,
)
