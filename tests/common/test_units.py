"""common.units: a commune code on a day → (commune, district, province), from the seed file's units."""

from datetime import date

import pytest

from common.auth import Principal
from common.errors import Forbidden, ValidationFailed
from common.units import Place, UnitProblem, Units, place_for_write, seed_units

BEFORE, REORGANISED = date(2025, 6, 30), date(2025, 7, 1)


def Client(areas: tuple[str, ...]) -> Principal:  # noqa: N802 - reads as the client it stands for
    return Principal(client_id="officer", scopes=frozenset({"payments:write"}), areas=areas, issued_at=0, expires_at=0)


def test_an_old_commune_is_in_its_district_until_the_reorganisation_and_abolished_after():
    units = seed_units()
    assert units.commune_on("29236", BEFORE) == Place("29236", "842", "84")
    with pytest.raises(UnitProblem, match=r"abolished on 2025-07-01 .*it became 29263"):
        units.commune_on("29236", REORGANISED)


def test_a_reused_code_is_the_old_commune_before_and_the_new_one_from_the_reorganisation():
    units = seed_units()
    assert units.commune_on("29242", BEFORE) == Place("29242", "842", "84")
    assert units.commune_on("29242", REORGANISED) == Place("29242", "", "86")
    assert units.successors("29239") == ["29242"]


def test_codes_that_are_no_commune_are_unknown():
    for code in ("99999", "abc", "=1+2", "842", "84", "", "2924"):
        with pytest.raises(UnitProblem, match="unknown commune"):
            seed_units().commune_on(code, REORGANISED)


def test_a_split_commune_lists_every_successor_and_a_new_one_did_not_exist_before():
    units = Units.from_rows(
        [
            {
                "province_code": "84",
                "district_code": "842",
                "commune_code": "10001",
                "new_province_code": "86",
                "new_commune_codes": "20001;20002",
            }
        ]
    )
    assert units.successors("10001") == ["20001", "20002"]
    assert units.commune_on("20002", REORGANISED) == Place("20002", "", "86")
    with pytest.raises(UnitProblem, match="did not exist yet"):
        units.commune_on("20002", BEFORE)


def test_the_commune_is_checked_against_the_areas_with_the_derived_district_and_province():
    assert place_for_write(Client(("29242",)), "29242", REORGANISED) == Place("29242", "", "86")
    assert place_for_write(Client(("86",)), "29263", REORGANISED).province_code == "86"
    assert place_for_write(Client(("842",)), "29236", BEFORE).district_code == "842"
    # An old district's client writes on its ground (29263 was made of communes of 842), not elsewhere.
    assert place_for_write(Client(("842",)), "29263", REORGANISED).province_code == "86"
    with pytest.raises(Forbidden, match="2025 units"):
        place_for_write(Client(("844",)), "29263", REORGANISED)
    with pytest.raises(Forbidden):
        place_for_write(Client(("29242",)), "29263", REORGANISED)
    with pytest.raises(ValidationFailed) as refused:
        place_for_write(Client(()), "99999", REORGANISED, field="body.pay_point")
    assert refused.value.extensions["errors"][0]["field"] == "body.pay_point"
