"""An SMTP server that accepts every email and notes, for each, when it accepted it.

Run in a process of its own (``python -m bench.e2e.sink PORT FILE``) so that its work is not
counted against the system under test, nor the system's against it. Each accepted email is
one JSON line in FILE: the time its DATA was accepted (``time.time()``), its Message-ID, its
recipients, and the thread reference its subject names (the confirmation's subject carries
it: "Votre message a bien été reçu – demande NPC-2026-000123").
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

REFERENCE = re.compile(r"[A-Z]{2,3}-\d{4}-\d{6,}")


class Recorder:
    def __init__(self, output: Path) -> None:
        self.file = output.open("a", buffering=1, encoding="utf-8")

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        accepted = time.time()
        message = message_from_bytes(envelope.content, policy=policy.default)
        subject = str(message.get("Subject", ""))
        found = REFERENCE.search(subject)
        self.file.write(
            json.dumps(
                {
                    "accepted_at": accepted,
                    "message_id": str(message.get("Message-ID", "")),
                    "to": list(envelope.rcpt_tos),
                    "reference": found.group(0) if found else None,
                    "subject": subject,
                }
            )
            + "\n"
        )
        return "250 OK"


def main() -> None:
    port, output = int(sys.argv[1]), Path(sys.argv[2])
    controller = Controller(Recorder(output), hostname="127.0.0.1", port=port)
    controller.start()
    stop = asyncio.Event()

    async def wait() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()

    try:
        asyncio.run(wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
