"""Mailpit, the mail catcher: every email the notifier sends, on a web page and an API; and
beside it the letters page: every postal letter the notifier drops in the outgoing mail."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from devstack.parts.base import Part
from devstack.process import read_record


class Mailbox(Part):
    """Mailpit: an SMTP server that keeps every email, with a web page and an HTTP API."""

    name = "mailbox"
    title = "Mailpit (SMTP and mailbox)"
    port_names = ("smtp", "mailbox")

    def replaced_by(self) -> str | None:
        host = os.environ.get("SMTP_HOST")
        return f"{host}:{os.environ.get('SMTP_PORT', '25')}" if host else None

    @property
    def database(self) -> Path:
        return self.config.data / "mailpit" / "mailpit.db"

    def running(self) -> bool:
        # The mail catcher written in Python that Mailpit replaced is not reused: its API
        # differs (``down mailbox`` stops it).
        record = read_record(self.pidfile)
        return record is not None and record.alive() and Path(record.command[0]).name == "mailpit"

    def prepare(self) -> None:
        from devstack.install import ensure_mailpit

        ensure_mailpit(self.config, log=self.log)
        self.database.parent.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        from devstack.install import mailpit_binary

        host, ports = self.config.host, self.config.ports
        return [
            str(mailpit_binary(self.config)),
            "--smtp",
            f"{host}:{ports['smtp']}",
            "--listen",
            f"{host}:{ports['mailbox']}",
            "--database",
            str(self.database),
            # Keep every email (tests count what each address received) and never ask
            # GitHub for a newer release.
            "--max",
            "0",
            "--disable-version-check",
            "--smtp-disable-rdns",
            # Like deploy/compose.yaml: whatever account the notifier is given is accepted.
            "--smtp-auth-accept-any",
            "--smtp-auth-allow-insecure",
        ]

    def ready(self) -> bool:
        return self._http_ok(f"{self.config.mailbox_url}/readyz")

    def address(self) -> str:
        return f"SMTP {self.config.host}:{self.config.ports['smtp']}, mail at {self.config.mailbox_url}"


class LettersPage(Part):
    """The outgoing mail's folder on a page (``devstack.letters``), next to the mailbox."""

    name = "letters"
    title = "Letters page (the outgoing mail)"
    port_names = ("letters",)

    def prepare(self) -> None:
        self.config.letters_dir.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "devstack.letters",
            "--folder",
            str(self.config.letters_dir),
            "--host",
            self.config.host,
            "--port",
            str(self.config.ports["letters"]),
        ]

    def ready(self) -> bool:
        return self._http_ok(f"{self.config.letters_url}/readyz")

    def address(self) -> str:
        return f"{self.config.letters_url} (folder {self.config.letters_dir})"
