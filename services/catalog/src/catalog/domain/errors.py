"""What can go wrong when the catalog is edited or read. Messages are French: admins read them."""

from __future__ import annotations

from collections.abc import Sequence


class CatalogError(Exception):
    """Base of the catalog's domain errors; ``str(error)`` is a French sentence."""


class NodeNotFound(CatalogError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Le code « {code} » ne correspond à aucun élément du catalogue.")
        self.code = code


class CodeAlreadyUsed(CatalogError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"Le code « {code} » est déjà utilisé : choisissez-en un autre "
            "(les codes sont uniques à tous les niveaux et ne sont jamais réutilisés)."
        )
        self.code = code


class InvalidEdit(CatalogError):
    """An edit that the catalog's shape does not allow (a motif under a theme...)."""


class NoOnlineService(CatalogError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"L'élément « {code} » n'a pas de service en ligne : rattachez-en un d'abord."
        )
        self.code = code


class NothingToPublish(CatalogError):
    def __init__(self, version: int) -> None:
        super().__init__(
            f"Le brouillon est identique à la version {version} publiée : rien à publier."
        )
        self.version = version


class NotPublishable(CatalogError):
    """The draft would leave the member wizard with a dead end."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(
            "Le brouillon ne peut pas être publié : " + " ".join(problems) if problems else ""
        )
        self.problems = list(problems)


class VersionNotFound(CatalogError):
    def __init__(self, version: int) -> None:
        super().__init__(f"La version {version} du catalogue n'existe pas.")
        self.version = version


class DraftChanged(CatalogError):
    """The draft moved on since the admin read it (optimistic concurrency, ``If-Match``)."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"Le brouillon a été modifié entre-temps (révision {actual}, vous partiez de la "
            f"révision {expected}) : rechargez-le et refaites votre modification."
        )
        self.expected = expected
        self.actual = actual


class NotPublishedYet(CatalogError):
    """No version is published yet: the wizard has nothing to show (a fresh deployment)."""

    def __init__(self) -> None:
        super().__init__(
            "Le catalogue n'est pas encore disponible. Réessayez dans quelques instants."
        )


class NodeNotOffered(CatalogError):
    """The node exists but a member can no longer choose it (it or a node above is inactive)."""

    def __init__(self, code: str, label: str) -> None:
        super().__init__(
            f"« {label} » n'est plus proposé : choisissez un autre élément dans la liste."
        )
        self.code = code


class UnknownFund(CatalogError):
    """A fund code that names none of the MSA funds."""

    def __init__(self, fund: str) -> None:
        super().__init__(
            f"« {fund} » n'est pas le code d'une caisse MSA : utilisez un code à trois lettres "
            "comme « NPC », ou n'indiquez pas de caisse."
        )
        self.fund = fund
