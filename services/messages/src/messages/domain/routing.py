"""Routing: each thread carries the skill of its motif (from the catalog when it was sent),
each agent has skills (from their access token). Routing guides, it never refuses: an agent
may take a thread outside their skills and a supervisor may give one to anyone, but the
answer says so."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: ``skill=mine``: the caller's skills (and the threads assigned to them).
MINE = "mine"
#: ``skill=none``: threads whose skill is not known (sent before routing, motif not found).
WITHOUT_SKILL = "none"

NO_SKILLS_HINT = (
    "Votre compte n'a aucune compétence : aucune demande ne vous est orientée, seules celles "
    "qui vous sont attribuées apparaissent ici. Choisissez « Toutes » pour voir toute la file "
    "de la caisse, ou demandez à un administrateur d'ajouter vos compétences."
)

#: Gives the French label of a skill (the label of the theme of the same code, else the code).
SkillLabel = Callable[[str], str]


@dataclass(frozen=True)
class RoutingWarning:
    """Something the caller should know about what was done; it was done all the same."""

    code: str
    message: str


def stored_skill(skill: str | None) -> str | None:
    """The skill to store on a thread: None when the catalog gives none."""
    skill = (skill or "").strip()
    return skill or None


def normalised_skills(skills: Iterable[object]) -> tuple[str, ...]:
    """Distinct non-empty skills, in a stable order (anything but text is ignored)."""
    return tuple(
        sorted({skill.strip() for skill in skills if isinstance(skill, str) and skill.strip()})
    )


def claim_warnings(
    thread_skill: str | None, agent_skills: Iterable[str], label: SkillLabel
) -> list[RoutingWarning]:
    if thread_skill is None or thread_skill in set(agent_skills):
        return []
    return [
        RoutingWarning(
            "outside-skills",
            f"Cette demande relève de la compétence « {label(thread_skill)} », qui ne fait pas "
            "partie des vôtres. Vous l'avez prise en charge ; si un conseiller compétent doit la "
            "traiter, un superviseur peut la lui attribuer.",
        )
    ]


def assignment_warnings(
    thread_skill: str | None,
    assignee_name: str,
    assignee_skills: Iterable[str] | None,
    label: SkillLabel,
) -> list[RoutingWarning]:
    if thread_skill is None:
        return []
    if assignee_skills is None:
        return [
            RoutingWarning(
                "assignee-skills-unknown",
                f"Les compétences de {assignee_name} n'ont pas été transmises : la demande lui "
                f"est attribuée sans vérifier qu'il ou elle traite la compétence "
                f"« {label(thread_skill)} ».",
            )
        ]
    if thread_skill in set(assignee_skills):
        return []
    return [
        RoutingWarning(
            "assignee-outside-skills",
            f"{assignee_name} n'a pas la compétence « {label(thread_skill)} » dont relève cette "
            "demande. Elle lui est attribuée comme vous l'avez décidé ; assurez-vous qu'il ou "
            "elle peut la traiter.",
        )
    ]
