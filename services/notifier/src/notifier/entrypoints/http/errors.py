"""The notifier's refusals as problem+json answers: one table, registered once on the app."""

from __future__ import annotations

from fastapi import FastAPI

from notifier.domain.errors import (
    DeliveryFilterInvalid,
    DeliveryNotFound,
    InvalidCursor,
    MemberForgotten,
    NotifierError,
    UnsubscribeLinkNotFound,
)
from servicekit.problems import Problem, install_domain_errors


def problem_for(error: NotifierError) -> Problem:
    match error:
        case DeliveryNotFound():
            return Problem(
                404,
                "dead-letter-not-found",
                "Cet e-mail en échec est introuvable : vérifiez son identifiant dans la liste.",
            )
        case MemberForgotten():
            return Problem(
                409,
                "member-account-deleted",
                "L'adhérent a supprimé son compte : cet e-mail ne peut plus être envoyé, et "
                "ses coordonnées ont été effacées.",
            )
        case UnsubscribeLinkNotFound():
            return Problem(
                404,
                "unsubscribe-link-not-found",
                "Ce lien de désabonnement n'est pas valide : ouvrez le lien complet reçu par "
                "e-mail, ou choisissez les e-mails que vous recevez dans votre compte.",
            )
        case DeliveryFilterInvalid():
            return Problem(
                422,
                "deliveries-filter",
                "Précisez soit une demande (thread_id), soit un adhérent (member_id).",
            )
        case InvalidCursor():
            return Problem(
                422,
                "invalid-cursor",
                "Ce curseur de page n'est pas valide : reprenez la liste depuis le début.",
            )
    return Problem(
        500,
        "internal-error",
        "Une erreur inattendue est survenue. Réessayez dans quelques instants.",
    )


def install_notifier_errors(app: FastAPI) -> None:
    install_domain_errors(app, NotifierError, problem_for)
