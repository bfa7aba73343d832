"""The services' OpenAPI documents, as the web apps' TypeScript types are generated from them.

Each service's application is built in this process (``create_app(settings)``) and asked for
its document (``app.openapi()``): nothing is started, nothing connects. The settings point at
addresses where nothing listens, and the environment is set aside while the applications are
built, so the documents are the same on every machine.

    python frontends/scripts/openapi.py            # write frontends/shared/api/<service>.openapi.json
    python frontends/scripts/openapi.py --stdout   # print {service: document} as JSON, write nothing

``make api-types`` runs this, then ``npm run api-types`` in frontends/ (the TypeScript types).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

SERVICES = ("auth", "catalog", "messages", "notifier")

#: Where the committed documents are; frontends/scripts/api-types.mjs reads them from there.
API_FOLDER = Path(__file__).resolve().parents[1] / "shared" / "api"

#: Addresses where nothing listens: building an application must not connect anywhere.
UNREACHABLE = {
    "database_url": "postgresql+asyncpg://openapi:openapi@127.0.0.1:9/openapi",
    "kafka_bootstrap_servers": "127.0.0.1:9",
    "auth_jwks_url": "http://127.0.0.1:9/.well-known/jwks.json",
}

#: Environment variables an application may still need to start a Python process.
KEPT_VARIABLES = frozenset({"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"})


def document_path(service: str) -> Path:
    return API_FOLDER / f"{service}.openapi.json"


def serialize(document: dict[str, Any]) -> str:
    """The committed form: two-space indents, non-ASCII characters kept, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@contextmanager
def environment_set_aside() -> Iterator[None]:
    """Settings read the environment: without it, every machine builds the same documents."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name not in KEPT_VARIABLES:
            del os.environ[name]
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def build_document(service: str) -> dict[str, Any]:
    config = importlib.import_module(f"{service}.config")
    main = importlib.import_module(f"{service}.main")
    settings = config.Settings(environment="local", log_level="WARNING", **UNREACHABLE)
    app = main.create_app(settings)
    document: dict[str, Any] = app.openapi()
    return document


def build_documents() -> dict[str, dict[str, Any]]:
    with environment_set_aside():
        return {service: build_document(service) for service in SERVICES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--stdout", action="store_true", help="print {service: document} as JSON, write nothing"
    )
    arguments = parser.parse_args(argv)
    # Whatever an application prints while it is built goes to stderr: stdout is the JSON.
    with redirect_stdout(sys.stderr):
        documents = build_documents()
    if arguments.stdout:
        sys.stdout.write(json.dumps(documents, ensure_ascii=False))
        return 0
    API_FOLDER.mkdir(parents=True, exist_ok=True)
    for service, document in documents.items():
        path = document_path(service)
        text = serialize(document)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"› {path.relative_to(API_FOLDER.parents[2])} written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
