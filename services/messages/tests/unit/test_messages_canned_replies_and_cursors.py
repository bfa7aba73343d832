"""Canned-reply placeholders and pagination cursors."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from messages.domain.errors import InvalidCursor, InvalidText
from messages.domain.model import (
    PlaceholderValues,
    check_placeholders,
    format_reference,
    render_canned_reply,
)
from messages.service_layer import cursors

pytestmark = pytest.mark.unit

VALUES = PlaceholderValues(
    prenom="Camille",
    nom="MARTIN",
    reference="NPC-2026-000123",
    caisse="MSA Nord-Pas de Calais",
    conseiller="Sophie BERNARD",
)


def test_every_placeholder_is_replaced() -> None:
    template = (
        "Bonjour {prenom} {nom},\nvotre demande {reference} est traitée.\n{conseiller}, {caisse}"
    )
    assert render_canned_reply(template, VALUES) == (
        "Bonjour Camille MARTIN,\nvotre demande NPC-2026-000123 est traitée.\n"
        "Sophie BERNARD, MSA Nord-Pas de Calais"
    )


def test_unknown_placeholders_are_refused_when_saving_and_kept_as_written_otherwise() -> None:
    with pytest.raises(InvalidText) as refused:
        check_placeholders("Bonjour {prénom} {nom_famille}")
    assert "{nom_famille}, {prénom}" in refused.value.detail
    assert "{prenom}" in refused.value.detail
    check_placeholders("Bonjour {prenom}, à bientôt")
    assert render_canned_reply("Bonjour {inconnu}", VALUES) == "Bonjour {inconnu}"


def test_references_have_six_digits_at_least() -> None:
    assert format_reference("NPC", 2026, 123) == "NPC-2026-000123"
    assert format_reference("CNO", 2027, 1234567) == "CNO-2027-1234567"


def test_cursors_round_trip_and_refuse_anything_else() -> None:
    identifier = uuid.uuid4()
    moment = datetime(2026, 11, 28, 9, 15, tzinfo=UTC)
    assert cursors.decode_activity(cursors.encode(moment, identifier)) == (moment, identifier)
    assert cursors.decode_due(cursors.encode(date(2026, 12, 4), identifier)) == (
        date(2026, 12, 4),
        identifier,
    )
    assert cursors.decode_access(cursors.encode(moment, 42)) == (moment, 42)
    for broken in [
        "",
        "!!!",
        cursors.encode(1, 2),
        cursors.encode("x"),
        cursors.encode(moment, 2**70),
    ]:
        with pytest.raises(InvalidCursor):
            cursors.decode_access(broken)
    with pytest.raises(InvalidCursor):
        cursors.decode_activity(cursors.encode("2026-11-28T09:15:00", str(identifier)))
