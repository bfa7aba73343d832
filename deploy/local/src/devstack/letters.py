"""The local outgoing mail, on a page: the PDF letters the notifier posted (activation codes
sent to the registry's postal address), newest first, next to the mailbox.

In production the folder is handed to a printing and posting service; locally nobody posts
anything, so this page is where a developer (or a test) reads a letter. It serves the folder
``NOTIFIER_LETTERS_DIR`` (``.devstack/letters``) read-only:

- ``/``: the list (file, date in Europe/Paris, size), each letter a link;
- ``/letters.json``: the same list for scripts (``name``, ``posted_at`` UTC, ``size``, ``url``);
- ``/<name>.pdf``: one letter, shown in the browser;
- ``/readyz``: ``ok``.

Nothing else is served: only plain file names of PDFs at the folder's top level.

``python -m devstack.letters --folder .devstack/letters --port 8026`` (the local stack starts it).
"""

from __future__ import annotations

import argparse
import html
import json
import re
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
#: A letter's file name as the notifier writes it (``courrier-<uuid>.pdf``), or any plain
#: PDF name: never a path.
LETTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.pdf$")


def letters(folder: Path) -> list[dict[str, Any]]:
    """The letters in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if not LETTER_NAME.match(path.name) or not path.is_file():
            continue
        stat = path.stat()
        found.append(
            {
                "name": path.name,
                "posted_at": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
                "size": stat.st_size,
                "url": f"/{path.name}",
            }
        )
    return sorted(found, key=lambda letter: (letter["posted_at"], letter["name"]), reverse=True)


def page(folder: Path) -> str:
    rows = []
    for letter in letters(folder):
        posted = datetime.fromisoformat(letter["posted_at"]).astimezone(PARIS)
        name = html.escape(letter["name"])
        rows.append(
            f'<tr><td><a href="/{name}">{name}</a></td>'
            f"<td>{posted:%d/%m/%Y à %H:%M:%S}</td>"
            f"<td>{letter['size'] / 1024:.1f} Ko</td></tr>"
        )
    body = (
        "\n".join(rows) if rows else '<tr><td colspan="3">Aucun courrier pour l’instant.</td></tr>'
    )
    return f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="10">
<title>Courriers envoyés (local)</title>
<style>
body {{ font-family: sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; }}
td, th {{ padding: .3rem 1rem; border-bottom: 1px solid #ddd; text-align: left; }}
</style>
</head>
<body>
<h1>Courriers envoyés</h1>
<p>Les lettres que le service de notification a déposées pour l’envoi postal
(codes d’activation), les plus récentes d’abord. Dossier : <code>{html.escape(str(folder))}</code>.
Cette page se recharge toutes les 10 secondes.</p>
<table>
<thead><tr><th>Courrier</th><th>Déposé le</th><th>Taille</th></tr></thead>
<tbody>
{body}
</tbody>
</table>
</body>
</html>
"""


def handler_for(folder: Path) -> type[BaseHTTPRequestHandler]:
    class LettersHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            if path == "/readyz":
                self._answer(HTTPStatus.OK, b"ok", "text/plain; charset=utf-8")
            elif path == "/":
                self._answer(HTTPStatus.OK, page(folder).encode(), "text/html; charset=utf-8")
            elif path == "/letters.json":
                content = json.dumps(letters(folder)).encode()
                self._answer(HTTPStatus.OK, content, "application/json")
            elif LETTER_NAME.match(path[1:]) and (folder / path[1:]).is_file():
                self._answer(
                    HTTPStatus.OK,
                    (folder / path[1:]).read_bytes(),
                    "application/pdf",
                    {"Content-Disposition": f'inline; filename="{path[1:]}"'},
                )
            else:
                self._answer(HTTPStatus.NOT_FOUND, b"Not found", "text/plain; charset=utf-8")

        def _answer(
            self,
            status: HTTPStatus,
            content: bytes,
            content_type: str,
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return LettersHandler


def server(folder: Path, host: str, port: int) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), handler_for(folder))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.letters")
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8026)
    args = parser.parse_args(argv)
    with server(args.folder, args.host, args.port) as running:
        running.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
