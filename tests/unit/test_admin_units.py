"""Administrative units as effective-dated data: the seed map, successors and tiers."""

from datetime import date

import pytest

from services.intake.service.catalogue_admin import check_agency_on_map
from shared.domain.admin_units import UNITS_FILE, MapReading, Tier, UnitMap, UnitsError
from shared.domain.catalogue import Agency, Catalogue, CatalogueError
from shared.domain.catalogue_names import CatalogueNames
from shared.events.vocabulary import Level
from tests.support.intake_fixtures import ROOT

UNITS = UnitMap.from_file(UNITS_FILE)
TODAY = date(2026, 3, 2)


def test_every_agency_of_the_sample_catalogue_is_placed_on_the_map() -> None:
    catalogue = Catalogue.from_toml((ROOT / "config" / "catalogue.toml").read_text("utf-8"))
    for agency in catalogue.agencies.values():
        assert agency.unit in UNITS.units, agency.code


def test_the_former_district_and_its_wards_roll_up_into_today_s_ward() -> None:
    assert UNITS.current("HCM.Q1", TODAY) == "HCM.SAI-GON"
    assert UNITS.current("HCM.Q1.BEN-NGHE", TODAY) == "HCM.SAI-GON"
    assert UNITS.current("HCM.Q1.PHAM-NGU-LAO", TODAY) == "HCM.BEN-THANH"
    # before the change, the old map is the map
    assert UNITS.current("HCM.Q1.BEN-NGHE", date(2025, 6, 30)) == "HCM.Q1.BEN-NGHE"


def test_a_merged_province_rolls_up_into_its_successor() -> None:
    assert UNITS.current("BD", TODAY) == "HCM"
    assert UNITS.current("HG", TODAY) == "TQ"
    assert UNITS.current("HCM", TODAY) == "HCM"


def test_tiers_follow_the_parents_of_the_time() -> None:
    assert UNITS.at_tier("HCM.Q1.BEN-NGHE", Tier.DISTRICT) == "HCM.Q1"
    assert UNITS.at_tier("HCM.Q1.BEN-NGHE", Tier.PROVINCE) == "HCM"
    assert UNITS.at_tier("HCM.SAI-GON", Tier.DISTRICT) == "HCM"  # no district: the province
    assert UNITS.at_tier("HCM", Tier.COMMUNE) == "HCM"  # a province's own row
    assert UNITS.lineage("HCM.Q1.DA-KAO") == ["HCM.Q1.DA-KAO", "HCM.Q1", "HCM"]


def test_reading_as_was_keeps_the_unit_and_as_is_carries_it_forward() -> None:
    assert UNITS.placed("HCM.Q1", MapReading.AS_WAS, TODAY) == "HCM.Q1"
    assert UNITS.placed("HCM.Q1", MapReading.AS_IS, TODAY) == "HCM.SAI-GON"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[unit]]\ncode = "A"\nname = "a"\ntier = "commune"', "has no parent"),
        ('[[unit]]\ncode = "A"\nname = "a"\ntier = "province"\nparent = "B"', "has no parent"),
        (
            '[[unit]]\ncode = "A"\nname = "a"\ntier = "province"\nsuccessors = ["B"]',
            "needs its valid_to",
        ),
        (
            '[[unit]]\ncode = "A"\nname = "a"\ntier = "province"\nvalid_to = 2025-07-01\n'
            'successors = ["B"]',
            "unknown units",
        ),
        (
            '[[unit]]\ncode = "A"\nname = "a"\ntier = "province"\nvalid_to = 2025-07-01\n'
            'successors = ["B"]\n[[unit]]\ncode = "B"\nname = "b"\ntier = "province"\n'
            'valid_to = 2025-07-01\nsuccessors = ["A"]',
            "cycle",
        ),
        (
            '[[unit]]\ncode = "C"\nname = "c"\ntier = "commune"\nparent = "D"\n'
            '[[unit]]\ncode = "D"\nname = "d"\ntier = "commune"\nparent = "C"',
            "higher tier",
        ),
    ],
)
def test_bad_units_data_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(UnitsError, match=message):
        UnitMap.from_toml(text)


def test_catalogue_names_know_each_agency_s_unit() -> None:
    names = CatalogueNames.from_file(ROOT / "config" / "catalogue.toml")
    assert names.agency_units["UBND.Q1"] == "HCM.Q1"
    assert names.agency_units["UBND.P.SG"] == "HCM.SAI-GON"


def test_a_unit_view_places_rows_and_keeps_a_province_with_everything_under_it() -> None:
    from datetime import datetime

    from services.reporting.domain.dossier_facts import DossierFacts
    from services.reporting.domain.units import UNPLACED, UnitQueryError, UnitView
    from shared.domain.business_calendar import VIETNAM

    def facts(agency: str) -> DossierFacts:
        return DossierFacts(code=f"{agency}-1", agency=agency, level="commune", field="f",
                            procedure="p", channel="counter",
                            received_at=datetime(2025, 6, 30, 9, tzinfo=VIETNAM))  # fmt: skip

    agencies = {"UBND.Q1": "HCM.Q1", "UBND.P.SG": "HCM.SAI-GON", "STP": "HCM"}
    was = UnitView(UNITS, agencies, MapReading.AS_WAS, Tier.COMMUNE, TODAY, unit="HCM.Q1")
    assert [was.row(facts(a)) for a in ("UBND.Q1", "UBND.P.SG", "STP", "X")] == [
        "HCM.Q1", "HCM.SAI-GON", "HCM", UNPLACED
    ]  # fmt: skip
    assert [was.keeps(facts(a)) for a in ("UBND.Q1", "UBND.P.SG")] == [True, False]
    now = UnitView(UNITS, agencies, MapReading.AS_IS, Tier.COMMUNE, TODAY, unit="HCM.SAI-GON")
    assert [now.row(facts(a)) for a in ("UBND.Q1", "UBND.P.SG")] == ["HCM.SAI-GON"] * 2
    assert all(now.keeps(facts(a)) for a in ("UBND.Q1", "UBND.P.SG"))
    with pytest.raises(UnitQueryError, match="no districts"):
        UnitView(UNITS, agencies, MapReading.AS_IS, Tier.DISTRICT, TODAY)
    with pytest.raises(UnitQueryError, match="unknown administrative unit"):
        UnitView(UNITS, agencies, MapReading.AS_WAS, Tier.COMMUNE, TODAY, unit="NOPE")


def test_every_agency_of_the_sample_catalogue_receives_only_while_its_unit_is_in_being() -> None:
    catalogue = Catalogue.from_toml((ROOT / "config" / "catalogue.toml").read_text("utf-8"))
    for agency in catalogue.agencies.values():
        check_agency_on_map(agency, UNITS)  # raises, naming the agency, if not
    wards = [a for a in catalogue.agencies.values() if UNITS.unit(a.unit).tier is Tier.COMMUNE]
    assert {a.code for a in wards if a.in_being_on(TODAY)} >= {"UBND.P.SG", "UBND.P.TD"}
    assert not catalogue.agency("UBND.Q1").in_being_on(TODAY)


def test_an_agency_that_outlives_its_unit_is_refused() -> None:
    outliving = Agency(code="UBND.Q1", name="UBND Quận 1", level=Level.DISTRICT, unit="HCM.Q1")
    with pytest.raises(CatalogueError, match=r"its unit HCM\.Q1 ceased on 2025-07-01"):
        check_agency_on_map(outliving, UNITS)
    early = Agency(code="UBND.P.SG", name="x", level=Level.COMMUNE, unit="HCM.SAI-GON")
    with pytest.raises(CatalogueError, match="in being from 2025-07-01"):
        check_agency_on_map(early, UNITS)
