"""The medical-data advisory: realistic French messages, with and without medical content."""

from __future__ import annotations

import pytest

from messages.domain.medical import MEDICAL_ADVISORY_CODE, MedicalLexicon, medical_lexicon

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour, je suis en arrêt depuis mon opération du genou, j'ai une fracture du tibia.",
        "Mon fils est DIABÉTIQUE et doit faire des injections d'insuline tous les jours.",
        "Suite à mon cancer du sein je suis en chimiothérapie depuis trois mois.",
        "J'ai passé une IRM et une prise de sang la semaine dernière.",
        "Je souffre de depression et je vois un psychiatre chaque semaine.",
        "Mon mari a été hospitalisé en urgence après un AVC.",
        "Ma fille est suivie pour une sclérose en plaques.",
        "J'ai des douleurs au dos depuis ma hernie discale.",
        "Ma mère est atteinte de la maladie d'Alzheimer.",
        "Mon médecin m'a prescrit des antidépresseurs.",
        "Mon enfant est autiste et suit des séances de rééducation.",
    ],
)
def test_medical_content_raises_the_advisory(text: str) -> None:
    advisories = medical_lexicon().advisories(text)
    assert [advisory.code for advisory in advisories] == [MEDICAL_ADVISORY_CODE]


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour, Rédaction d'une question via le service en ligne Mes Messages et Mes Réponses. Cordialement",
        "Je viens de déménager, voici ma nouvelle adresse : 12 rue des Lilas, 59000 Lille.",
        "Pouvez-vous m'envoyer mon attestation fiscale Famille pour l'année 2025 ?",
        "Le traitement de mon dossier de prime d'activité prend beaucoup de temps.",
        "Je n'ai pas reçu le paiement de mes allocations familiales ce mois-ci.",
        "Je souhaite scanner mes justificatifs de ressources, comment faire ?",
        "Ma déclaration de ressources trimestrielle a-t-elle été prise en compte ?",
        "Quel est le montant de ma pension de réversion après le décès de mon époux ?",
        "Mon relevé de carrière ne mentionne pas mes années de travail en 1998.",
        "J'ai une question sur ma facture de cotisations exploitants et le parcellaire.",
        "Je voudrais connaître mon quotient familial pour l'inscription à la cantine.",
        "Mon numéro de compte bancaire a changé, voici mon nouveau RIB.",
        "Merci pour votre réponse rapide, bonne journée à toute l'équipe.",
    ],
)
def test_plain_administrative_messages_raise_nothing(text: str) -> None:
    assert medical_lexicon().advisories(text) == []


def test_terms_match_whole_words_regardless_of_case_and_accents() -> None:
    lexicon = MedicalLexicon(["hôpital", "diabet*", "prise de sang"])
    assert lexicon.matches("Je sors de l'HOPITAL") == ["hopital"]
    assert lexicon.matches("diabétique et diabète") == ["diabetique", "diabete"]
    assert lexicon.matches("une prise  de\nsang") == ["prise  de\nsang"]
    assert lexicon.matches("les hôpitaux") == []  # a whole word, not a prefix
    assert lexicon.matches("prédiabète") == []  # a prefix only at the start of a word
