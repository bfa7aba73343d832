"""The service's wiring: every command has its handler, bound to dependencies named the same
way everywhere; every domain error has its problem, and the domain's errors carry no HTTP."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest

from auth.domain import commands, errors
from auth.domain.throttling import Refusal
from auth.entrypoints.http.errors import problem_for
from auth.service_layer.handlers import HANDLERS
from servicekit.bus import Command, bootstrap, command_type

pytestmark = pytest.mark.unit

DEPENDENCIES = ("uow", "clock", "settings", "hasher", "issuer", "franceconnect", "keyring")


def _commands() -> set[type[Command[object]]]:
    return {
        kind
        for _, kind in inspect.getmembers(commands, inspect.isclass)
        if issubclass(kind, Command)
        and kind is not Command
        and kind.__module__ == commands.__name__
    }


def test_every_command_has_one_handler() -> None:
    assert {command_type(handler) for handler in HANDLERS} == _commands()
    assert len(HANDLERS) == len(_commands())


def test_handlers_take_the_command_then_named_dependencies() -> None:
    for handler in HANDLERS:
        [first, *rest] = inspect.signature(handler).parameters.values()
        assert first.name == "cmd", handler.__qualname__
        for parameter in rest:
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, handler.__qualname__
            assert parameter.name in DEPENDENCIES, (handler.__qualname__, parameter.name)


def test_the_bus_binds_every_handler() -> None:
    bus = bootstrap(HANDLERS, **{name: object() for name in DEPENDENCIES})
    assert all(bus.handles(kind) for kind in _commands())


def test_domain_errors_carry_no_http_status() -> None:
    for _, kind in inspect.getmembers(errors, inspect.isclass):
        if issubclass(kind, errors.AuthError):
            assert not hasattr(kind, "status"), kind.__name__


def test_problems_say_when_to_retry() -> None:
    now = datetime(2026, 12, 3, 13, 0, 30, tzinfo=UTC)
    soon = Refusal(retry_at=now + timedelta(seconds=4), locked=False)
    problem = problem_for(errors.TooManyAttempts(soon, now))
    assert (problem.status, problem.slug) == (429, "too-many-attempts")
    assert problem.headers == {"Retry-After": "4"}
    assert problem.detail == "Trop de tentatives : réessayez dans 4 secondes."
    assert problem.extensions["retry_after"] == 4
    locked = Refusal(retry_at=datetime(2026, 12, 3, 18, 45, tzinfo=UTC), locked=True)
    problem = problem_for(errors.TooManyRequests(locked, now))
    assert problem.slug == "too-many-requests"
    assert "à partir de 19 h 45" in problem.detail  # Paris time
    assert problem.extensions["locked"] is True


def test_problems_name_who_failed_and_what_conflicts() -> None:
    member = problem_for(errors.InvalidCredentials())
    agent = problem_for(errors.InvalidCredentials(who="agent"))
    assert member.status == agent.status == 401
    assert member.detail.startswith("Numéro de sécurité sociale")
    assert agent.detail.startswith("Adresse électronique")
    assert problem_for(errors.WrongCurrentPassword()).slug == "wrong-password"
    taken = problem_for(errors.AgentEmailTaken())
    assert (taken.status, taken.slug) == (409, "conflict")
    assert "conseiller" in taken.detail
    assert problem_for(errors.InvalidCode("wrong")).extensions == {"field": "code"}
    assert problem_for(errors.CsrfRefused()).slug == "csrf"
