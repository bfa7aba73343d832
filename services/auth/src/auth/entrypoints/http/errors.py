"""The one table from the auth domain's errors to French problems (``install`` puts it on the
app): types, statuses, details and extensions the web apps and tools rely on."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI

from auth.domain.errors import (
    AccountNotActivated,
    AgentEmailTaken,
    AlreadyRefreshed,
    AuthError,
    Conflict,
    CsrfRefused,
    Forbidden,
    FranceConnectIdentityTaken,
    FranceConnectLoginExpired,
    FranceConnectRefused,
    InvalidCode,
    InvalidCredentials,
    InvalidData,
    InvalidLink,
    InvalidRefreshToken,
    NotFound,
    ReauthenticationRequired,
    TooManyAttempts,
    TooManyRequests,
    WrongCurrentPassword,
)
from auth.domain.throttling import Refusal
from servicekit.clock import time_fr
from servicekit.problems import Problem, install_domain_errors
from servicekit.security import csrf_refused


def problem_for(error: AuthError) -> Problem:
    match error:
        case InvalidCredentials(who="agent"):
            return Problem(
                401,
                "invalid-credentials",
                "Adresse électronique ou mot de passe incorrect : vérifiez votre saisie.",
            )
        case InvalidCredentials():
            return Problem(
                401,
                "invalid-credentials",
                "Numéro de sécurité sociale ou mot de passe incorrect : vérifiez votre saisie.",
            )
        case WrongCurrentPassword():
            return Problem(
                400,
                "wrong-password",
                "Le mot de passe actuel n'est pas le bon : vérifiez-le.",
                field="current_password",
            )
        case ReauthenticationRequired():
            return Problem(
                403,
                "reauthentication-required",
                "Pour cette modification, saisissez votre mot de passe actuel (ou, si vous "
                "vous êtes connecté avec FranceConnect, reconnectez-vous avec FranceConnect : "
                "la connexion vaut confirmation pendant 5 minutes).",
                field="current_password",
            )
        case TooManyAttempts(refusal=refusal, now=now):
            if refusal.locked:
                detail = (
                    "Trop de tentatives : par sécurité, la connexion est bloquée jusqu'à "
                    f"{time_fr(refusal.retry_at)}. Vous pourrez réessayer ensuite, ou "
                    "réinitialiser votre mot de passe."
                )
            else:
                detail = f"Trop de tentatives : réessayez dans {_seconds(refusal, now)}."
            return _too_many("too-many-attempts", detail, refusal, now)
        case TooManyRequests(refusal=refusal, now=now):
            # Worded for the request, never for what was sent: an anonymous request is
            # refused the same way whether an account has the number or not.
            if refusal.locked:
                detail = (
                    "Trop de demandes en peu de temps : par sécurité, vous pourrez faire une "
                    f"nouvelle demande à partir de {time_fr(refusal.retry_at)}."
                )
            else:
                detail = (
                    f"Une demande vient d'être faite : réessayez dans {_seconds(refusal, now)}. "
                    "Un courriel peut mettre quelques minutes à arriver."
                )
            return _too_many("too-many-requests", detail, refusal, now)
        case AccountNotActivated():
            return Problem(
                403,
                "account-not-activated",
                "Votre compte n'est pas encore activé : saisissez le code reçu par courriel, "
                "ou demandez un nouveau code.",
            )
        case InvalidData(errors=pairs):
            errors = [{"field": field, "message": message} for field, message in pairs]
            detail = (
                errors[0]["message"]
                if len(errors) == 1
                else "Certaines informations sont invalides : corrigez les champs indiqués."
            )
            return Problem(422, "invalid-request", detail, errors=errors)
        case InvalidCode():
            return Problem(
                400,
                "invalid-code",
                "Ce code n'est pas valide ou a expiré : vérifiez-le, ou demandez un nouveau code.",
                # The forms show it beside the code's field, linked from their error summary.
                field="code",
            )
        case InvalidLink():
            return Problem(
                400,
                "invalid-link",
                "Ce lien n'est plus valide (il a déjà servi ou a expiré) : "
                "faites une nouvelle demande.",
            )
        case FranceConnectLoginExpired():
            return Problem(
                400,
                "invalid-link",
                "La connexion FranceConnect a expiré : reconnectez-vous avec FranceConnect.",
            )
        case InvalidRefreshToken():
            return Problem(401, "session-expired", "Votre session a expiré : reconnectez-vous.")
        case AlreadyRefreshed():
            return Problem(
                409,
                "already-refreshed",
                "La session vient d'être renouvelée par un autre onglet : réessayez votre demande.",
            )
        case CsrfRefused():
            return csrf_refused()
        case NotFound():
            return Problem(404, "not-found", "Cette ressource n'existe pas.")
        case Forbidden():
            return Problem(403, "forbidden", "Votre profil ne permet pas cette action.")
        case AgentEmailTaken():
            return Problem(
                409, "conflict", "Un conseiller utilise déjà cette adresse électronique."
            )
        case FranceConnectIdentityTaken():
            return Problem(
                409, "conflict", "Ce compte est déjà relié à une autre identité FranceConnect."
            )
        case Conflict():
            return Problem(409, "conflict", "Cette ressource existe déjà.")
        case FranceConnectRefused(code=code):
            return Problem(400, code, "La connexion avec FranceConnect n'a pas abouti.")
        case _:
            return Problem(400, "refused", "Cette demande ne peut pas aboutir.")


def _seconds(refusal: Refusal, now: datetime) -> str:
    count = refusal.seconds_left(now)
    return "1 seconde" if count <= 1 else f"{count} secondes"


def _too_many(slug: str, detail: str, refusal: Refusal, now: datetime) -> Problem:
    seconds = refusal.seconds_left(now)
    return Problem(
        429,
        slug,
        detail,
        headers={"Retry-After": str(seconds)},
        retry_after=seconds,
        retry_at=refusal.retry_at.isoformat(),
        locked=refusal.locked,
    )


def install(app: FastAPI) -> None:
    install_domain_errors(app, AuthError, problem_for)
