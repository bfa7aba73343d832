"""Editing the catalog in memory: shape rules, ordering, reference reloads and differences."""

from __future__ import annotations

import pytest

from catalog.domain.changes import diff
from catalog.domain.errors import CodeAlreadyUsed, InvalidEdit, NoOnlineService
from catalog.domain.model import Catalog, OnlineService

pytestmark = pytest.mark.unit


def small_catalog() -> Catalog:
    catalog = Catalog()
    catalog.add(code="famille", label="Famille", parent=None)
    catalog.add(code="retraite", label="Retraite", parent=None)
    catalog.add(code="famille-allocations", label="Allocations familiales", parent="famille")
    catalog.add(code="famille-logement", label="Aides au logement", parent="famille")
    catalog.add(code="retraite-demande", label="Ma demande", parent="retraite")
    for code in ("af-paiements", "af-dossier", "af-autre"):
        catalog.add(code=code, label=code, parent="famille-allocations", response_time_days=10)
    catalog.add(code="fl-autre", label="Autre", parent="famille-logement", response_time_days=5)
    catalog.add(code="rd-autre", label="Autre", parent="retraite-demande", response_time_days=5)
    return catalog


def order(catalog: Catalog, parent: str | None) -> list[tuple[str, int]]:
    return [(node.code, node.position) for node in catalog.children(parent)]


def test_motifs_are_routed_to_their_theme_by_default() -> None:
    catalog = small_catalog()

    assert catalog.get("af-dossier").skill == "famille"
    assert catalog.get("rd-autre").skill == "retraite"


def test_inserting_and_moving_keep_siblings_numbered_from_one() -> None:
    catalog = small_catalog()
    catalog.add(
        code="af-naissance",
        label="Naissance",
        parent="famille-allocations",
        position=2,
        response_time_days=7,
    )
    assert order(catalog, "famille-allocations") == [
        ("af-paiements", 1),
        ("af-naissance", 2),
        ("af-dossier", 3),
        ("af-autre", 4),
    ]

    catalog.move("af-autre", parent="famille-allocations", position=1)
    catalog.move("af-dossier", parent="famille-logement", position=99)

    assert order(catalog, "famille-allocations") == [
        ("af-autre", 1),
        ("af-paiements", 2),
        ("af-naissance", 3),
    ]
    assert order(catalog, "famille-logement") == [("fl-autre", 1), ("af-dossier", 2)]


def test_the_shape_of_the_catalog_is_enforced() -> None:
    catalog = small_catalog()

    with pytest.raises(CodeAlreadyUsed):
        catalog.add(code="famille", label="Encore", parent="retraite-demande", response_time_days=5)
    with pytest.raises(InvalidEdit, match="dernier niveau"):
        catalog.add(code="sous-motif", label="X", parent="af-autre")
    with pytest.raises(InvalidEdit, match="sous un sujet"):
        catalog.move("af-autre", parent="famille")
    with pytest.raises(InvalidEdit, match="racine"):
        catalog.move("famille", parent="retraite")
    with pytest.raises(InvalidEdit, match="délai"):
        catalog.add(code="af-nouveau", label="X", parent="famille-allocations")
    with pytest.raises(InvalidEdit, match="Seuls les motifs"):
        catalog.set_routing("famille", skill="famille")
    with pytest.raises(NoOnlineService):
        catalog.set_fund_url("af-autre", "NPC", "https://nord-pasdecalais.msa.fr/")


def test_an_online_service_resolves_per_fund_with_normalized_addresses() -> None:
    service = OnlineService.create(
        title="Déclarer un changement de situation",
        url="https://www.msa.fr",
        fund_urls={"NPC": "https://nord-pasdecalais.msa.fr/lfp/changement"},
    )

    assert service.url == "https://www.msa.fr/"
    assert service.url_for("NPC") == "https://nord-pasdecalais.msa.fr/lfp/changement"
    assert service.url_for("CNO") == "https://www.msa.fr/"
    assert service.without_fund_url("NPC").url_for("NPC") == "https://www.msa.fr/"
    with pytest.raises(InvalidEdit, match="caisse MSA"):
        service.with_fund_url("XXX", "https://x.msa.fr/")
    with pytest.raises(InvalidEdit, match="adresse web"):
        OnlineService.create(title="T", url="javascript:alert(1)")


def test_a_deactivated_branch_is_hidden_but_a_dead_end_blocks_publication() -> None:
    catalog = small_catalog()
    catalog.set_active("famille-logement", False)
    assert catalog.publishing_problems() == []

    for code in ("af-paiements", "af-dossier", "af-autre"):
        catalog.set_active(code, False)

    problems = catalog.publishing_problems()
    assert any("famille-allocations" in problem for problem in problems)


def test_reloading_reference_data_keeps_what_it_dropped_deactivated() -> None:
    draft = small_catalog()
    reference = small_catalog()
    reference = Catalog(
        node
        for node in reference
        if node.code not in ("af-dossier", "retraite", "retraite-demande", "rd-autre")
    )

    merged = draft.replaced_by(reference)

    assert merged.get("af-dossier").active is False
    assert order(merged, "famille-allocations")[-1] == ("af-dossier", 3)
    assert merged.get("retraite").active is False
    assert merged.get("rd-autre").parent == "retraite-demande"
    assert merged.get("af-autre").active is True


def test_the_published_form_round_trips() -> None:
    catalog = small_catalog()
    catalog.attach_online_service(
        "af-autre",
        OnlineService.create(
            title="T", url="https://www.msa.fr/x", fund_urls={"NPC": "https://npc.msa.fr/x"}
        ),
    )

    assert diff(catalog, Catalog.from_themes(catalog.to_themes())) == []


def test_differences_name_each_kind_of_change_without_noise() -> None:
    old = small_catalog()
    new = old.copy()
    new.add(
        code="af-naissance",
        label="Naissance",
        parent="famille-allocations",
        position=1,
        response_time_days=7,
    )
    new.rename("af-dossier", "Mon dossier")
    new.move("fl-autre", parent="famille-allocations")
    new.set_active("rd-autre", False)
    new.set_routing("af-autre", response_time_days=3)
    new.attach_online_service(
        "af-paiements", OnlineService.create(title="Payer", url="https://www.msa.fr/")
    )

    changes = {(change.kind, change.code): change for change in diff(old, new)}

    assert set(changes) == {
        ("added", "af-naissance"),
        ("renamed", "af-dossier"),
        ("moved", "fl-autre"),
        ("deactivated", "rd-autre"),
        ("response_time_changed", "af-autre"),
        ("online_service_added", "af-paiements"),
    }, "inserting a motif first must not read as reordering its siblings"
    assert changes[("moved", "fl-autre")].before == "famille-logement"
    assert changes[("moved", "fl-autre")].after == "famille-allocations"

    reordered = new.copy()
    reordered.move("retraite", parent=None, position=1)
    (change,) = diff(new, reordered)
    assert (change.kind, change.code) == ("reordered", None)
    assert change.after == ["retraite", "famille"]
