"""An SMTP server that accepts every email and notes, for each, when it accepted it.

Run in a process of its own (``python -m bench.e2e.sink PORT FILE [HOLD_FILE]``) so that its
work is not counted against the system under test, nor the system's against it. Each accepted
email is one JSON line in FILE: the time its DATA was accepted (``time.time()``), its
Message-ID, its recipients, and the thread reference its subject names (the confirmation's
subject carries it: "Votre message a bien été reçu – demande NPC-2026-000123").

With HOLD_FILE given, while that file exists the sink takes each email (and notes it, with
``"held": true``) but holds back its ``250`` until the file is removed: the window in which a
sender that dies has handed over an email without learning so (``bench/chaos``).
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import time
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import uvloop
from aiosmtpd.controller import Controller

_HEADERS = BytesHeaderParser()

REFERENCE = re.compile(r"[A-Z]{2,3}-\d{4}-\d{6,}")


class Recorder:
    def __init__(self, output: Path, hold: Path | None = None) -> None:
        self.file = output.open("a", buffering=1, encoding="utf-8")
        self.hold = hold

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        accepted = time.time()
        # The headers alone, decoded only where needed: the sink shares the machine with
        # what it measures, and the full parser cost it milliseconds an email.
        message = _HEADERS.parsebytes(envelope.content)
        subject = str(make_header(decode_header(message.get("Subject", ""))))
        found = REFERENCE.search(subject)
        held = self.hold is not None and self.hold.exists()
        self.file.write(
            json.dumps(
                {
                    "accepted_at": accepted,
                    "message_id": str(message.get("Message-ID", "")),
                    "to": list(envelope.rcpt_tos),
                    "reference": found.group(0) if found else None,
                    "subject": subject,
                    "held": held,
                }
            )
            + "\n"
        )
        # another process removes the file: there is nothing to await but its absence
        while self.hold is not None and self.hold.exists():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return "250 OK"


def main() -> None:
    port, output = int(sys.argv[1]), Path(sys.argv[2])
    hold = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    controller = Controller(
        Recorder(output, hold), hostname="127.0.0.1", port=port, loop=uvloop.new_event_loop()
    )
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
