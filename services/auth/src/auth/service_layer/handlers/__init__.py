"""What the auth service does: one handler per command, by subject, each committing through
the unit of work (``uow`` is its factory). ``HANDLERS`` is what ``create_app`` binds to the
adapters with ``servicekit.bus.bootstrap``."""

from __future__ import annotations

from auth.service_layer.handlers import agents, franceconnect, housekeeping, members, sessions
from auth.service_layer.handlers.common import UnitOfWorkFactory
from servicekit.bus import Handler

HANDLERS: list[Handler] = [
    members.register_member,
    members.renew_activation_code,
    members.activate_member,
    members.get_account,
    members.get_member_identity,
    members.request_email_change,
    members.confirm_email_change,
    members.delete_member,
    members.unlink_franceconnect,
    sessions.log_in_member,
    sessions.refresh_session,
    sessions.get_live_session,
    sessions.find_session_of_refresh_token,
    sessions.log_out,
    sessions.request_password_reset,
    sessions.reset_password,
    sessions.change_password,
    agents.log_in_agent,
    agents.create_agent,
    agents.get_agent,
    agents.list_agents,
    agents.update_agent,
    agents.send_agent_password_reset,
    agents.reset_agent_password,
    agents.list_security_events,
    franceconnect.start_franceconnect,
    franceconnect.finish_franceconnect,
    franceconnect.link_franceconnect,
    housekeeping.get_jwks,
    housekeeping.prune_expired,
    housekeeping.seed_demo_accounts,
]

__all__ = ["HANDLERS", "UnitOfWorkFactory"]
