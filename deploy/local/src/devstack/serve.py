"""One of our services in the local stack: its local set-up, then the service, in one Python.

``python -m devstack.serve <service> --record FILE --done FILE -- <uvicorn arguments>`` runs
what ``python -m <service> setup-local`` runs (migrations, reference data, demo accounts: the
same steps, every time), writes what it printed to ``--record`` and its outcome to ``--done``
(``ok``, or ``failed: <the last line it printed>``), then waits for SIGUSR1 (sent by the stack
once everything the service needs answers: Kafka, the mailbox...) and runs uvicorn with the
given arguments, as ``python -m uvicorn`` would.

Importing a service takes seconds of CPU (FastAPI, SQLAlchemy, the PDF library...): a set-up
in one Python and the service in another paid for it twice on every ``make run``. The set-up
also starts as soon as PostgreSQL answers, while Kafka is still starting.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import signal
import sys
import traceback
from pathlib import Path

#: The signal that lets the service start once its set-up is done.
GO = signal.SIGUSR1


def set_up(service: str) -> tuple[int, str, str]:
    """``setup-local`` of ``service``, in this process: its exit code, stdout and stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            cli = importlib.import_module(f"{service}.__main__").cli
            code = cli.main(["setup-local"])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except Exception:
            traceback.print_exc()
            code = 1
    return code, stdout.getvalue(), stderr.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.serve", description=__doc__)
    parser.add_argument("service")
    parser.add_argument("--record", type=Path, required=True, help="what the set-up printed")
    parser.add_argument("--done", type=Path, required=True, help="the set-up's outcome")
    arguments_given = list(sys.argv[1:] if argv is None else argv)
    split = arguments_given.index("--") if "--" in arguments_given else len(arguments_given)
    arguments = parser.parse_args(arguments_given[:split])
    uvicorn_arguments = arguments_given[split + 1 :]
    # Blocked from the start, so a signal sent early waits for sigwait instead of killing us.
    signal.pthread_sigmask(signal.SIG_BLOCK, {GO})
    code, stdout, stderr = set_up(arguments.service)
    # Into the part's log, as the set-up's own process wrote them.
    sys.stdout.write(stdout)
    sys.stderr.write(stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    arguments.record.write_text(stdout)
    if code != 0:
        last = (stderr or stdout).strip().splitlines()[-1:] or [f"exit {code}"]
        arguments.done.write_text(f"failed: {last[0][:200]}\n")
        return code
    arguments.done.write_text("ok\n")
    signal.sigwait({GO})
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {GO})
    from uvicorn.main import main as uvicorn

    # Click's standalone mode: uvicorn runs until it stops, then exits with its status.
    uvicorn.main(args=uvicorn_arguments, prog_name="uvicorn")


if __name__ == "__main__":
    sys.exit(main())
