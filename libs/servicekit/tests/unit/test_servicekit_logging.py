"""Social-security numbers never reach the logs in clear."""

from __future__ import annotations

import json
import logging

import pytest

from servicekit.logging import configure_logging, get_logger, mask_nir

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "typed",
    [
        "2951099126111",
        "295109912611193",
        "2 95 10 99 126 111 93",
        "2.95.10.99.126.111",
        "253072B07300470",
        "253072a073004",
        "1800359350123 61",
    ],
)
def test_a_nir_in_any_typed_form_is_masked(typed: str) -> None:
    masked = mask_nir(f"login failed for {typed} today")
    assert typed not in masked
    assert masked.startswith("login failed for ")
    assert masked.endswith(" today")
    assert "*" * 12 in masked


@pytest.mark.parametrize(
    "innocent",
    [
        "NPC-2026-000123",
        "0612345678",
        "2026-11-28T09:15:00Z",
        "order 12345",
        "uuid 0b0f8a53-3a57-4cf5",
    ],
)
def test_other_numbers_are_left_alone(innocent: str) -> None:
    assert mask_nir(innocent) == innocent


def test_log_lines_are_json_and_masked_whatever_the_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(service="kit", level="INFO", fmt="json")
    get_logger("test").info(
        "login", details={"typed": "2951099126111"}, attempts=[1, "255081416802538"]
    )
    logging.getLogger("third.party").warning("user 2 95 10 99 126 111 93 locked")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 2
    text = json.dumps(lines)
    assert "2951099126111" not in text
    assert "255081416802538" not in text
    assert "2 95 10 99 126 111 93" not in text
    assert lines[0]["service"] == "kit"
    assert lines[0]["event"] == "login"


def test_a_logged_exception_shows_no_local_variable(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="kit", level="INFO", fmt="json")

    def register(password: str, text: str) -> None:
        raise ValueError("refused")

    try:
        register("Sup3rSecret-Mot-de-passe", "Mon diagnostic de la semaine")
    except ValueError:
        get_logger("test").exception("registration failed")
    out = capsys.readouterr().out
    assert "registration failed" in out
    assert "ValueError" in out
    assert "Sup3rSecret" not in out
    assert "diagnostic" not in out


def test_database_errors_name_the_statement_without_its_values() -> None:
    from pydantic import SecretStr

    from servicekit.db import create_engine
    from servicekit.settings import ServiceSettings

    engine = create_engine(
        ServiceSettings(database_url=SecretStr("postgresql+asyncpg://kit:kit@127.0.0.1:1/kit"))
    )
    assert engine.sync_engine.hide_parameters


def test_a_repeated_warning_goes_out_once_per_window_then_says_how_many_were_held(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    moments = iter([0.0, 1.0, 2.0, 3.0, 11.0])
    monkeypatch.setattr("servicekit.logging.time.monotonic", lambda: next(moments))
    configure_logging(service="kit", level="INFO", fmt="json")
    broker = logging.getLogger("aiokafka.conn")
    for _ in range(4):  # at 0, 1, 2 and 3 s: the first goes out, three are held
        broker.warning("Unable connect to node with id %s", 1)
    get_logger("test").info("request")  # below WARNING: never held back
    broker.warning("Unable connect to node with id %s", 1)  # at 11 s: out, with the count
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert [line["event"] for line in lines] == [
        "Unable connect to node with id 1",
        "request",
        "Unable connect to node with id 1",
    ]
    assert "repeated" not in lines[0]
    assert lines[2]["repeated"] == 3
