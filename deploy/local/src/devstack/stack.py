"""Bringing parts up in dependency order, concurrently, with a live progress display."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.table import Table

from devstack.config import StackConfig, replicas
from devstack.parts import Part, StartFailure, build_parts, wait_ready

ORDER = (
    "postgres",
    "kafka",
    "mailbox",
    "letters",
    "oidc",
    "object_storage",
    "clamd",
    "auth",
    "catalog",
    "messages",
    "notifier",
    "messages-2",
    "notifier-2",
    "gateway",
)


@dataclass
class PartState:
    part: Part
    status: str = "waiting"
    detail: str = ""
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    log: Path | None = None
    #: How the part is provided: started now, already running, or replaced by the environment.
    origin: str = ""

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started


class Stack:
    def __init__(
        self, config: StackConfig | None = None, *, console: Console | None = None
    ) -> None:
        self.config = config or StackConfig()
        self.parts = build_parts(self.config)
        self.console = console or Console()

    def expand(self, names: Iterable[str]) -> list[str]:
        """The parts asked for and everything they need, in start order."""
        wanted: set[str] = set()

        def add(name: str) -> None:
            if name not in self.parts:
                raise SystemExit(f"unknown part {name!r}; parts: {', '.join(ORDER)}")
            if name not in wanted:
                wanted.add(name)
                for required in self.parts[name].requires:
                    add(required)

        for name in names:
            add(name)
        return [name for name in ORDER if name in wanted]

    @staticmethod
    def default_parts() -> list[str]:
        """The whole stack: the second replicas only with ``DEVSTACK_REPLICAS=2``."""
        replicated = replicas() == 2
        return [name for name in ORDER if replicated or not name.endswith("-2")]

    def up(self, names: Iterable[str] | None = None) -> dict[str, PartState]:
        """Start what is not running; reuse what is; return each part's final state."""
        self.config.ensure_folders()
        selected = self.expand(self.default_parts() if names is None else names)
        states = {name: PartState(self.parts[name]) for name in selected}
        done = {name: threading.Event() for name in selected}

        def wait_for(required: Iterable[str]) -> None:
            for name in required:
                if name in done:
                    done[name].wait()
                    if states[name].status != "ready":
                        raise StartFailure(f"needs {name}, which did not start")

        def bring_up(name: str) -> None:
            state = states[name]
            part = state.part
            try:
                wait_for(part.prepare_requires)
                state.started = time.monotonic()
                if replacement := part.replaced_by():
                    wait_for(part.requires)
                    state.status, state.origin, state.detail = "preparing", "external", replacement
                    part.after_ready()
                elif part.running():
                    wait_for(part.requires)
                    state.status, state.origin = "checking", "reused"
                    wait_ready(part, timeout=30)
                    part.after_ready()
                else:
                    state.origin = "started"
                    state.status = "preparing"
                    part.prepare()
                    if set(part.requires) - set(part.prepare_requires):
                        state.status = "waiting"
                        try:
                            wait_for(part.requires)
                        except StartFailure:
                            part.stop()  # what its preparation left running (a held process)
                            raise
                    state.status = "starting"
                    part.start()
                    wait_ready(part)
                    part.after_ready()
                state.status = "ready"
                state.detail = state.detail or part.address()
            except StartFailure as failure:
                state.status, state.detail, state.log = (
                    "failed",
                    failure.reason,
                    failure.log or part.log,
                )
            except Exception as error:  # a bug or an unexpected environment: show it, stop the rest
                state.status, state.detail, state.log = (
                    "failed",
                    f"{type(error).__name__}: {error}",
                    part.log,
                )
            finally:
                state.finished = time.monotonic()
                done[name].set()

        threads = [
            threading.Thread(target=bring_up, args=(name,), daemon=True) for name in selected
        ]
        for thread in threads:
            thread.start()
        self._show_progress(states, threads)
        return states

    def _show_progress(self, states: dict[str, PartState], threads: list[threading.Thread]) -> None:
        if self.console.is_terminal:
            with Live(self._table(states), console=self.console, refresh_per_second=8) as live:
                while any(thread.is_alive() for thread in threads):
                    live.update(self._table(states))
                    time.sleep(0.12)
                live.update(self._table(states))
            return
        # Not a terminal (CI logs): one line per change.
        shown: dict[str, str] = {}
        while True:
            alive = any(thread.is_alive() for thread in threads)
            for name, state in states.items():
                if shown.get(name) != state.status:
                    shown[name] = state.status
                    line = f"[devstack] {name:<9} {state.status:<10} {state.elapsed:5.1f}s {state.detail}"
                    if state.status == "failed" and state.log:
                        line += f" (log: {state.log})"
                    self.console.print(line, highlight=False, markup=False)
            if not alive:
                return
            time.sleep(0.12)

    def _table(self, states: dict[str, PartState]) -> Table:
        table = Table(title="Mes messages et mes réponses — local stack", expand=False)
        table.add_column("part")
        table.add_column("status")
        table.add_column("time", justify="right")
        table.add_column("where / why")
        spinner = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"[int(time.monotonic() * 10) % 10]
        for _name, state in states.items():
            style = {"ready": "green", "failed": "red"}.get(state.status, "yellow")
            status = (
                state.status if state.status in ("ready", "failed") else f"{spinner} {state.status}"
            )
            if state.status == "ready" and state.origin in ("reused", "external"):
                status = f"ready ({state.origin})"
            detail = state.detail
            if state.status == "failed" and state.log:
                detail = f"{detail}\nlog: {state.log}"
            table.add_row(
                state.part.title, f"[{style}]{status}[/{style}]", f"{state.elapsed:.1f}s", detail
            )
        return table

    def down(self, names: Iterable[str] | None = None) -> list[str]:
        """Stop the given parts (all by default), dependents first."""
        selected = list(names) if names is not None else list(ORDER)
        stopped = []
        for name in reversed(ORDER):
            if name in selected and self.parts[name].stop():
                stopped.append(name)
        return stopped

    def status(self) -> dict[str, str]:
        result = {}
        for name in ORDER:
            part = self.parts[name]
            if name not in self.default_parts() and not part.running():
                continue
            if part.replaced_by():
                result[name] = f"external: {part.replaced_by()}"
            elif part.running():
                result[name] = "running" + (" and ready" if part.ready() else ", not answering")
            else:
                result[name] = "stopped"
        return result
