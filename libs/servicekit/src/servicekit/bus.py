"""Commands, their handlers, and the one place that wires handlers to what they need.

A command is a small immutable object naming what a caller asks (``SubmitMessage``) and, as
its type parameter, what answering it returns: ``class SubmitMessage(Command[Submission])``.
A handler is a function whose first parameter is the command and whose other parameters,
keyword-only, are its dependencies, by name (``uow``, ``clock``, ``settings``, ...)::

    async def submit_message(cmd: SubmitMessage, *, uow: UnitOfWorkFactory, clock: Clock)
        -> Submission: ...

``bootstrap`` binds every handler to its dependencies once, when the service is built
(``create_app``); entry points then only turn a request into a command and ask the bus::

    submission = await bus.handle(SubmitMessage(...))

Unit tests call ``bootstrap`` with fakes, integration tests with the real adapters.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar, cast, get_type_hints

R = TypeVar("R", covariant=True)
Result = TypeVar("Result")


class Command(Generic[R]):
    """Base of a service's commands and queries; ``R`` is what handling one returns.

    Subclasses are frozen dataclasses (or Pydantic models); the base holds no state."""

    __slots__ = ()


Handler = Callable[..., Any]


class MessageBus:
    """Hands each command to the handler bound for its type."""

    def __init__(self, handlers: Mapping[type[Command[Any]], Callable[[Any], Any]]) -> None:
        self._handlers = dict(handlers)

    def handles(self, kind: type[Command[Any]]) -> bool:
        return kind in self._handlers

    async def handle(self, command: Command[Result]) -> Result:
        try:
            handler = self._handlers[type(command)]
        except KeyError:
            raise LookupError(f"no handler is bound for {type(command).__name__}") from None
        result = handler(command)
        if inspect.isawaitable(result):
            result = await result
        return cast(Result, result)


def command_type(handler: Handler) -> type[Command[Any]]:
    """The command a handler answers: the annotation of its first parameter."""
    parameters = list(inspect.signature(handler).parameters.values())
    if not parameters:
        raise TypeError(f"{handler.__qualname__} takes no command")
    hints = get_type_hints(handler)
    kind = hints.get(parameters[0].name)
    if not (isinstance(kind, type) and issubclass(kind, Command)):
        raise TypeError(
            f"{handler.__qualname__}: its first parameter must be annotated with a Command"
        )
    return kind


def inject(handler: Handler, dependencies: Mapping[str, object]) -> Callable[[Any], Any]:
    """``handler`` with its keyword-only parameters taken from ``dependencies`` by name.

    A dependency the handler asks for and that is not given fails here, when the service is
    built, not at the first request that needs it."""
    wanted = [
        parameter.name
        for parameter in inspect.signature(handler).parameters.values()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    missing = [name for name in wanted if name not in dependencies]
    if missing:
        raise TypeError(
            f"{handler.__qualname__} needs {', '.join(missing)}, which nothing provides"
        )
    bound = {name: dependencies[name] for name in wanted}

    def call(command: Any) -> Any:
        return handler(command, **bound)

    call.__qualname__ = handler.__qualname__
    return call


def bootstrap(handlers: Iterable[Handler], **dependencies: object) -> MessageBus:
    """The bus of a service: every handler bound to its dependencies, keyed by its command."""
    bound: dict[type[Command[Any]], Callable[[Any], Any]] = {}
    for handler in handlers:
        kind = command_type(handler)
        if kind in bound:
            raise TypeError(f"two handlers answer {kind.__name__}")
        bound[kind] = inject(handler, dependencies)
    return MessageBus(bound)
