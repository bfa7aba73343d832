"""Brute-force defence: growing delays, then a temporary lock, per account and per address.

The rules are servicekit's (``servicekit.throttling``), shared with the messages service's
rate limit; here, the names the auth service's code has always used.

The same rules limit how often a person may have a code or a link emailed (a new activation
code, a password-reset link, an email-change code): each request counts as a failure does, so
with one free request, a delay of a minute and a lock after three, at most one is sent a
minute and at most three an hour (see ``Settings.code_request_policy``).
"""

from __future__ import annotations

from servicekit.throttling import Refusal, ThrottlePolicy, ThrottleState, refusal

__all__ = ["Refusal", "ThrottlePolicy", "ThrottleState", "refusal"]
