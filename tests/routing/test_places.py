"""Places by name on the real dataset: spellings people use, main landings, suggestions."""

from __future__ import annotations

import pytest

from routing.errors import Ambiguous, NoSeaPath, NotFound
from routing.inputs.geodata import Archipelago
from routing.inputs.places import bare_name, normalise, resolve_place


def test_normalise_ignores_case_accents_punctuation_and_prefixes() -> None:
    assert normalise("Ra'as") == normalise("RAAS") == normalise(" ra-as ") == "raas"
    assert normalise("Gili Genting") == normalise("giligenting")
    assert normalise("Pénghasil") == "penghasil"
    assert bare_name("Masalembo (MES)") == "Masalembo"
    assert bare_name("PP. Raas") == bare_name("Pulau Raas") == "Raas"
    assert bare_name("Kecamatan Ra'as") == "Ra'as"


def test_masalembu_and_masalembo_are_one_main_landing(arch: Archipelago) -> None:
    district = resolve_place(arch, "Masalembu")
    port = resolve_place(arch, "masalembo")
    island = resolve_place(arch, "Pulau Masalembu")
    assert district.place_id == port.place_id == island.place_id == "port-mes"
    assert district.matched == "district" and district.matched_name == "Masalembu"
    assert port.matched == "landing" and port.place_name == "Masalembo (MES)"
    assert island.matched == "island"
    assert (
        district.note == "Masalembu → district Masalembu: main landing Masalembo (MES) (port-mes)"
    )
    # Keramaian is a registry port of the same district serving fewer TPS.
    assert resolve_place(arch, "Keramaian").place_id == "port-krm"


@pytest.mark.parametrize("query", ["RAAS", "Ra'as", "raas", "Kecamatan Ra'as", "PP. Raas"])
def test_raas_spellings(arch: Archipelago, query: str) -> None:
    assert resolve_place(arch, query).place_id == "port-pp-raas"


def test_island_names_people_use(arch: Archipelago) -> None:
    assert resolve_place(arch, "Kangean").place_id == "port-kng"
    assert resolve_place(arch, "Sapeken").place_id == "port-spk"
    for query in ("Giligenting", "gili genting", "GILI-GENTING", "Giliginting"):
        r = resolve_place(arch, query)
        assert r.matched == "district" and r.matched_name == "Giliginting", query
        assert arch.landing_points[r.place_id].village_codes[0].startswith("35.29.08.")
    island = resolve_place(arch, "Pulau Giligenting")
    assert island.matched == "island"
    assert arch.landing_points[island.place_id].island_code == "35.29.40015"
    gili_iyang = resolve_place(arch, "Gili Iyang")  # alias: Giliyang in the Kepmendagri list
    assert gili_iyang.matched_name == "Pulau Giliyang" and "Gili Iyang" in gili_iyang.note


def test_a_district_without_a_port_lands_where_most_tps_are(arch: Archipelago) -> None:
    r = resolve_place(arch, "Kangayan")
    served: dict[str, int] = {}
    for v in arch.villages.values():
        if v.district == "Kangayan" and v.landing_point_id:
            served[v.landing_point_id] = served.get(v.landing_point_id, 0) + v.tps
    assert arch.landing_points[r.place_id].source == "derived"
    assert served[r.place_id] == max(served.values())
    assert "main landing" in r.note and r.place_id in r.note


def test_ids_still_resolve(arch: Archipelago) -> None:
    for ident, place in [
        ("kalianget", "kalianget"),
        ("port-mes", "port-mes"),
        ("35.29.23.2002", "port-mes"),
    ]:
        r = resolve_place(arch, ident)
        assert (r.matched, r.place_id) == ("id", place)
        assert arch.place_id(ident) == place
    for ident in ("35.29.40042", "35.29.23"):  # an island's or a district's code
        r = resolve_place(arch, ident)
        assert (r.matched, r.place_id) == ("id", "port-mes")
    with pytest.raises(NoSeaPath, match="mainland"):
        resolve_place(arch, "35.29.01.1015")


def test_a_village_name_resolves_to_its_landing(arch: Archipelago) -> None:
    r = resolve_place(arch, "Masakambing")  # a village named like its island: the island wins
    assert r.matched == "island"
    r = resolve_place(arch, "Desa Masakambing")
    assert r.matched == "village" and r.place_id == arch.villages["35.29.23.2003"].landing_point_id
    r = resolve_place(arch, "kramian")
    assert r.matched == "village" and r.place_id == "port-krm"
    assert arch.landing_points["lp-35.29.04.2001"].name == "Pantai Talango"


def test_a_place_not_reachable_by_sea_gives_way(arch: Archipelago) -> None:
    # Talaga: an uninhabited island (Kangayan), a mainland village (Ganding) and an island
    # village (Nonggunong): only the last has a landing.
    r = resolve_place(arch, "Talaga")
    assert r.matched_id == "35.29.21.2006" and r.place_id == "lp-35.29.21.2006"
    assert "not reachable by sea" in r.note
    with pytest.raises(NoSeaPath, match="no landing point"):
        resolve_place(arch, "Pulau Kambing")


def test_unknown_name_suggests_candidates(arch: Archipelago) -> None:
    with pytest.raises(NotFound) as caught:
        resolve_place(arch, "masalembx", path="/query/to")
    err = caught.value
    names = {c.name for c in err.candidates}
    assert names & {"Masalembu", "Masalembo (MES)"}
    assert 0 < len(err.candidates) <= 5
    assert all(c.kind and c.id for c in err.candidates)
    assert "did you mean" in str(err) and err.path == "/query/to"
    with pytest.raises(NotFound) as caught:
        resolve_place(arch, "atlantis")
    assert "did you mean" not in str(caught.value)


def test_namesakes_are_ambiguous(arch: Archipelago) -> None:
    # Two sea villages named Poteran (Talango, Ra'as); plain "Poteran" is the island.
    with pytest.raises(Ambiguous) as caught:
        resolve_place(arch, "Desa Poteran")
    assert {c.id for c in caught.value.candidates} == {"35.29.04.2006", "35.29.22.2006"}
    with pytest.raises(Ambiguous):
        resolve_place(arch, "Pantai Poteran")  # their two landing points
    assert resolve_place(arch, "Poteran").matched == "island"
    with pytest.raises(Ambiguous):  # two mainland villages, neither reachable
        resolve_place(arch, "Mandala")


def test_short_kind_words_select_the_kind(arch: Archipelago) -> None:
    # "Arjasa" alone is the landing PP. Arjasa; "Kec." (with or without the full stop) says the
    # district, "Ds." the village, "P." the island, as "Kecamatan", "Desa" and "Pulau" do.
    assert resolve_place(arch, "Arjasa").matched == "landing"
    for query in ("Kec. Arjasa", "Kec Arjasa", "Kecamatan Arjasa"):
        assert resolve_place(arch, query).matched == "district", query
    assert resolve_place(arch, "Ds. Gayam").matched == "village"
    assert resolve_place(arch, "P. Kangean").matched == "island"
