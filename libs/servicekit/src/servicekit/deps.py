"""The route dependencies every service shares (who calls is ``servicekit.security``'s)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from servicekit.bus import MessageBus


async def get_bus(request: Request) -> MessageBus:
    """The service's handlers, bound once in ``create_app`` (``extra_state={"bus": ...}``).

    A coroutine: FastAPI would run a plain function in a worker thread, a hand-off per
    request for one attribute read."""
    bus: MessageBus = request.app.state.bus
    return bus


#: ``await bus.handle(command)``: what a route does with the request it has read.
BusDep = Annotated[MessageBus, Depends(get_bus)]
