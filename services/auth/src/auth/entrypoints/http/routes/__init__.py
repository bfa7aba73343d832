"""HTTP routes of the auth service (served by the gateway under ``/api/auth``), by subject.

Routes are thin: they turn a request into a command, ``await bus.handle(command)``, and turn
the result into its response model and cookies. Domain errors become problems in one place
(``entrypoints/http/errors.py``). Browser flows answer JSON for fetch calls; the FranceConnect
routes redirect the browser."""

from __future__ import annotations

from auth.entrypoints.http.routes import (
    agents,
    franceconnect,
    members,
    reference,
    sessions,
    trail,
)

routers = [
    reference.router,
    members.router,
    sessions.passwords,
    sessions.router,
    franceconnect.router,
    agents.router,
    trail.router,
]
