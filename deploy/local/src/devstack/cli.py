"""``python -m devstack up|run|down|status|logs|env``: the local stack from the command line."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading

from rich.console import Console
from rich.table import Table

from devstack.config import SERVICES, StackConfig
from devstack.stack import ORDER, PartState, Stack

console = Console()


def _summary(stack: Stack, states: dict[str, PartState]) -> None:
    config = stack.config
    if "gateway" not in states:
        table = Table(title="What runs where")
        table.add_column("part")
        table.add_column("where", overflow="fold")
        for part_state in states.values():
            table.add_row(part_state.part.title, part_state.part.address())
        console.print(table)
        return
    table = Table(title="What runs where", show_lines=False)
    table.add_column("what")
    table.add_column("where", overflow="fold")
    gateway = config.gateway_url
    rows = [
        ("Member portal", f"{gateway}/"),
        ("Agent back office", f"{gateway}/backoffice/"),
        ("Mailbox (every email sent)", config.mailbox_url),
        ("Letters (every postal letter sent)", config.letters_url),
        *[(f"API docs: {service}", f"{gateway}/api/{service}/docs") for service in SERVICES],
        ("FranceConnect-like provider", config.oidc_issuer),
        ("Kafka bootstrap", config.kafka_bootstrap),
        ("PostgreSQL", config.postgres_admin_url.replace("+asyncpg", "")),
        ("Logs", str(config.logs)),
    ]
    for what, where in rows:
        table.add_row(what, where)
    console.print(table)
    for name in SERVICES:
        record = stack.config.data / f"{name}-setup.txt"
        output = record.read_text() if name in states and record.exists() else ""
        lines = [line[5:] for line in output.splitlines() if line.startswith("DEMO ")]
        if lines:
            console.print(f"[bold]{name}[/bold]: " + "\n  ".join(["", *lines]), highlight=False)


def _failed(states: dict[str, PartState]) -> list[PartState]:
    return [state for state in states.values() if state.status == "failed"]


def cmd_up(stack: Stack, parts: list[str], *, wait: bool) -> int:
    states = stack.up(parts or None)
    failed = _failed(states)
    for state in failed:
        console.print(
            f"[red]{state.part.title} failed:[/red] {state.detail}"
            + (f"\n  log: {state.log}" if state.log else "")
        )
    if failed:
        if wait:
            stack.down([name for name, state in states.items() if state.origin == "started"])
        return 1
    if not wait:
        _summary(stack, states)
        return 0
    _summary(stack, states)
    started = [name for name, state in states.items() if state.origin == "started"]
    console.print("[bold]Everything is up. Press Ctrl-C to stop.[/bold]")
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    reported: set[str] = set()
    while not stopping.wait(2.0):
        for name in started:
            part = stack.parts[name]
            if name not in reported and not part.running():
                reported.add(name)
                console.print(f"[red]{part.title} stopped unexpectedly[/red]; log: {part.log}")
    console.print("Stopping…")
    stopped = stack.down(started)
    console.print(f"Stopped: {', '.join(stopped) or 'nothing'}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start parts (all by default) and leave them running")
    up.add_argument("parts", nargs="*", metavar="PART")
    run = commands.add_parser(
        "run", help="start everything, wait for Ctrl-C, then stop what was started"
    )
    run.add_argument("parts", nargs="*", metavar="PART")
    down = commands.add_parser("down", help="stop parts (all by default)")
    down.add_argument("parts", nargs="*", metavar="PART")
    commands.add_parser("status", help="what runs")
    logs = commands.add_parser("logs", help="show a part's log")
    logs.add_argument("part", choices=ORDER)
    logs.add_argument("-f", "--follow", action="store_true")
    commands.add_parser("env", help="environment variables pointing at the local stack")
    registry = commands.add_parser(
        "registry-load",
        help="publish the local registry of covered people (deploy/local/registry/)",
    )
    registry.add_argument("--write", metavar="FILE", help="write them as JSON Lines instead")
    registry.add_argument(
        "--read-by", metavar="DATABASE_URL", help="then wait until auth's database holds them"
    )
    registry.add_argument("--wait-only", action="store_true", help="with --read-by: only wait")
    prune = commands.add_parser(
        "prune-topics",
        help="delete the Kafka topics test sessions left behind (<owner>-<8 hex>.<topic>)",
    )
    prune.add_argument("--prefix", action="append", default=[], help="only under this prefix")
    prune.add_argument(
        "--all",
        action="store_true",
        help="every test session's topics: only when no test run uses the broker",
    )
    args = parser.parse_args(argv)
    stack = Stack(StackConfig(), console=console)

    if args.command == "up":
        return cmd_up(stack, args.parts, wait=False)
    if args.command == "run":
        return cmd_up(stack, args.parts, wait=True)
    if args.command == "down":
        stopped = stack.down(args.parts or None)
        console.print(f"Stopped: {', '.join(stopped) or 'nothing was running'}.")
        return 0
    if args.command == "status":
        table = Table()
        table.add_column("part")
        table.add_column("status")
        for name, status in stack.status().items():
            table.add_row(name, status)
        console.print(table)
        return 0
    if args.command == "logs":
        log = stack.parts[args.part].log
        if not log.exists():
            console.print(f"No log yet at {log}")
            return 1
        if args.follow:
            os.execvp("tail", ["tail", "-n", "200", "-F", str(log)])  # noqa: S606
        subprocess.run(["tail", "-n", "200", str(log)], check=False)
        return 0
    if args.command == "prune-topics":
        from devstack.topics import delete_topics

        if not args.prefix and not args.all:
            console.print("Say which: --prefix <prefix> (repeatable), or --all when no test runs.")
            return 2
        deleted = delete_topics(
            os.environ.get("KAFKA_BOOTSTRAP_SERVERS", stack.config.kafka_bootstrap),
            prefixes=None if args.all else args.prefix,
        )
        console.print(f"Deleted {len(deleted)} topics left by test sessions.")
        return 0
    if args.command == "registry-load":
        from devstack.registry import main as load_registry

        return load_registry(
            [
                *(["--write", args.write] if args.write else []),
                *(["--read-by", args.read_by] if args.read_by else []),
                *(["--wait-only"] if args.wait_only else []),
            ]
        )
    if args.command == "env":
        config = stack.config
        print(f"KAFKA_BOOTSTRAP_SERVERS={config.kafka_bootstrap}")
        print(f"DEVSTACK_POSTGRES_URL={config.postgres_admin_url}")
        for service in SERVICES:
            print(f"{service.upper()}_DATABASE_URL={config.database_url(service)}")
        print(f"SMTP_HOST={config.host}\nSMTP_PORT={config.ports['smtp']}")
        print(f"FRANCECONNECT_ISSUER={config.oidc_issuer}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
