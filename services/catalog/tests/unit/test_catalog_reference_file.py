"""The shipped reference catalog, and how a broken reference file is reported."""

from __future__ import annotations

import pytest

from catalog.adapters.reference_file import InvalidReferenceData, parse_reference, read_reference
from catalog.domain.model import Catalog

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def reference() -> Catalog:
    return read_reference()


def labels(catalog: Catalog, parent: str | None) -> list[str]:
    return [node.label for node in catalog.children(parent)]


def codes(catalog: Catalog, parent: str | None) -> list[str]:
    return [node.code for node in catalog.children(parent)]


def test_the_five_themes_are_the_seeds_word_for_word(reference: Catalog) -> None:
    assert codes(reference, None) == ["sante", "famille", "solidarite", "retraite", "cotisations"]
    assert labels(reference, None) == [
        "Santé, Carte Vitale, remboursements, CMU, invalidité...",
        "Famille, Allocations familiales, aides au logement",
        "RSA, Prime d'activité, Aides aux personnes handicapées",
        "Retraite, carrière, réversion",
        "Cotisations Exploitants, parcellaire, affiliation, facture",
    ]


def test_the_family_subjects_are_the_seeds_word_for_word(reference: Catalog) -> None:
    assert codes(reference, "famille") == [
        "famille-paiements",
        "famille-attestations",
        "famille-allocations",
        "famille-logement",
        "famille-aides-sociales",
    ]
    assert labels(reference, "famille") == [
        'Mes paiements, mes décomptes "famille"',
        'Mes attestations "famille"',
        "Allocations familiales",
        "Aides au logement",
        "Aides Sociales (secours, prêts...)",
    ]


def test_the_family_allowance_motifs_are_the_seeds_word_for_word(reference: Catalog) -> None:
    assert codes(reference, "famille-allocations") == [
        "af-paiements",
        "af-attestation-paiement",
        "af-attestation-fiscale",
        "af-quotient-familial",
        "af-dossier",
        "af-declaration-ressources",
        "af-changement-situation",
        "af-autre",
    ]
    assert labels(reference, "famille-allocations") == [
        "Mes paiements, mes décomptes",
        "Mon attestation de paiement/non paiement Famille",
        "Mon attestation fiscale Famille",
        "Demande de quotient familial",
        "Mon dossier Famille",
        "Ma déclaration de ressources",
        "Mon changement de situation",
        "Autre",
    ]


def test_a_change_of_situation_offers_its_online_service_on_the_npc_site(
    reference: Catalog,
) -> None:
    service = reference.get("af-changement-situation").online_service

    assert service is not None
    assert service.title == "Déclarer un changement de situation"
    assert service.call_to_action == "J'utilise le service en ligne"
    assert service.url.startswith("https://www.msa.fr/")
    assert service.url_for("NPC").startswith("https://nord-pasdecalais.msa.fr/")
    assert service.url_for("CNO") == service.url
    assert service.url_for(None) == service.url


def test_every_subject_ends_with_other_and_every_motif_is_routed(reference: Catalog) -> None:
    for theme in reference.children(None):
        subjects = reference.children(theme.code)
        assert len(subjects) >= 3, theme.code
        for subject in subjects:
            motifs = reference.children(subject.code)
            assert motifs[-1].label == "Autre", subject.code
            for motif in motifs:
                assert motif.active
                assert motif.skill == theme.code
                assert motif.response_time_days in range(5, 11)
    assert not reference.publishing_problems()


VALID_MOTIF = "          - {code: af-autre, label: Autre}\n"


def catalog_text(motifs: str = VALID_MOTIF, subject_extra: str = "") -> str:
    return (
        "themes:\n"
        "  - code: famille\n"
        "    label: Famille\n"
        "    response_time_days: 10\n"
        "    subjects:\n"
        "      - code: famille-allocations\n"
        "        label: Allocations familiales\n"
        f"{subject_extra}"
        "        motifs:\n"
        f"{motifs}"
    )


def problems_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(InvalidReferenceData) as raised:
        parse_reference(text, source="catalog.yaml")
    assert str(raised.value).startswith("catalog.yaml:")
    return [(problem.line, problem.message) for problem in raised.value.problems]


def test_a_small_valid_file_loads_with_inherited_routing() -> None:
    catalog = parse_reference(catalog_text())

    motif = catalog.get("af-autre")
    assert (motif.skill, motif.response_time_days, motif.parent) == (
        "famille",
        10,
        "famille-allocations",
    )


def test_a_repeated_code_names_both_lines() -> None:
    problems = problems_of(catalog_text(VALID_MOTIF + "          - {code: af-autre, label: Bis}\n"))

    assert len(problems) == 1
    line, message = problems[0]
    assert line == 10
    assert "af-autre" in message
    assert "ligne 9" in message


def test_a_malformed_address_names_its_line() -> None:
    motifs = (
        "          - code: af-changement-situation\n"
        "            label: Mon changement de situation\n"
        "            online_service:\n"
        "              title: Déclarer un changement de situation\n"
        "              url: www.msa.fr sans schéma\n"
        "              fund_urls:\n"
        "                NPC: https://nord-pasdecalais.msa.fr/ok\n"
        "                XYZ: https://inconnue.msa.fr/\n"
    )

    problems = problems_of(catalog_text(motifs))

    assert [line for line, _ in problems] == [13, 16]
    assert "adresse web valide" in problems[0][1]
    assert "XYZ" in problems[1][1]


def test_a_subject_without_motifs_is_a_dead_end() -> None:
    problems = problems_of(catalog_text(motifs="          []\n"))

    assert problems[0][0] == 6
    assert "aucun motif actif" in problems[0][1]


def test_an_active_motif_under_an_inactive_subject_cannot_be_reached() -> None:
    problems = problems_of(catalog_text(subject_extra="        active: false\n"))

    assert (10, problems[1][1]) in problems
    assert "af-autre" in problems[1][1]
    assert "ne peut pas être atteint" in problems[1][1]
    # and the theme, left with no active subject, is a dead end
    assert problems[0][0] == 2


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("themes:\n  - code: famille\n    label: [unterminated\n", 4, "YAML illisible"),
        (catalog_text("          - {code: Af Autre, label: Autre}\n"), 9, "n'est pas valide"),
        (catalog_text("          - {code: af-autre, label: Autre, colour: red}\n"), 9, "colour"),
        (
            catalog_text("          - {code: af-autre, label: Autre, response_time_days: 0}\n"),
            9,
            "délai",
        ),
        (catalog_text("          - {code: af-autre}\n"), 9, "label"),
        ("thèmes: []\n", 1, "thèmes"),
        ("", 1, "vide"),
    ],
)
def test_each_problem_names_its_line(text: str, line: int, words: str) -> None:
    problems = problems_of(text)

    assert any(found == line and words in message for found, message in problems), problems
