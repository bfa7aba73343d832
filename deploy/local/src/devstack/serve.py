"""One of our services in the local stack: its local set-up, then the service, in one Python.

``python -m devstack.serve <service> --record FILE --done FILE --go FILE -- <uvicorn
arguments>`` runs what ``python -m <service> setup-local`` runs (migrations, reference data,
demo accounts: the same steps, every time), writes what it printed to ``--record`` and its
outcome to ``--done`` (``ok``, or ``failed: <the last line it printed>``), then waits for the
file ``--go`` (made by the stack once everything the service needs answers: Kafka, the
mailbox...) and runs uvicorn with the given arguments, as ``python -m uvicorn`` would. (Not a
signal: the set-up's event loops leave the signal mask as they please.)

Importing a service takes seconds of CPU (FastAPI, SQLAlchemy, the PDF library...): a set-up
in one Python and the service in another paid for it twice on every ``make run``. The set-up
also starts as soon as PostgreSQL answers, while Kafka is still starting.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import sys
import time
import traceback
from pathlib import Path

#: How often the process looks for the file that lets it serve.
GO_POLL_SECONDS = 0.05


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


def _write(path: Path, text: str) -> None:
    """Whole or not at all: the stack reads the file as soon as it exists."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.serve", description=__doc__)
    parser.add_argument("service")
    parser.add_argument("--record", type=Path, required=True, help="what the set-up printed")
    parser.add_argument("--done", type=Path, required=True, help="the set-up's outcome")
    parser.add_argument("--go", type=Path, required=True, help="serve once this file exists")
    arguments_given = list(sys.argv[1:] if argv is None else argv)
    split = arguments_given.index("--") if "--" in arguments_given else len(arguments_given)
    arguments = parser.parse_args(arguments_given[:split])
    uvicorn_arguments = arguments_given[split + 1 :]
    code, stdout, stderr = set_up(arguments.service)
    # Into the part's log, as the set-up's own process wrote them.
    sys.stdout.write(stdout)
    sys.stderr.write(stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    arguments.record.write_text(stdout)
    if code != 0:
        last = (stderr or stdout).strip().splitlines()[-1:] or [f"exit {code}"]
        _write(arguments.done, f"failed: {last[0][:200]}\n")
        return code
    _write(arguments.done, "ok\n")
    # While Kafka may still be starting: the application's own modules (the set-up did not
    # need them all), so that uvicorn only builds the application once it may serve. An
    # import that fails fails again in uvicorn, which says so as it always does.
    for argument in uvicorn_arguments:
        if ":" in argument and not argument.startswith("-"):
            with contextlib.suppress(Exception):
                importlib.import_module(argument.split(":")[0])
            break
    while not arguments.go.exists():
        time.sleep(GO_POLL_SECONDS)
    from uvicorn.main import main as uvicorn

    # Click's standalone mode: uvicorn runs until it stops, then exits with its status.
    uvicorn.main(args=uvicorn_arguments, prog_name="uvicorn")


if __name__ == "__main__":
    sys.exit(main())
