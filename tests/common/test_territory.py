"""Areas as territory (common.territory): the same ground before and after the 2025 reorganisation."""

from __future__ import annotations

import pytest

from common.auth import Principal
from common.territory import UnitMap, territory, unit_map, warnings

# From the seed file: district 842 (Thành phố Trà Vinh). Phường 1 (29239) and Phường 9 (29260) were merged into
# Phường 3's code 29242 ("Phường Trà Vinh"); Phường 4 (29236) went into 29263 ("Phường Long Đức", the code of the
# old Xã Long Đức). 29398 and 29254 straddle districts 842 and 847.


def test_the_old_province_covers_every_new_commune_it_became():
    ground = set(territory(("84",)))
    assert set(unit_map().old_of) <= ground and "84" in ground
    assert "86" not in ground  # the new province is bigger than Trà Vinh: never widen 84 to it


def test_the_new_province_covers_the_old_one():
    assert "84" in territory(("86",))


def test_an_old_district_covers_its_communes_new_communes_whole():
    ground = set(territory(("842",)))
    assert {"29242", "29263", "29398", "29254"} <= ground
    m = unit_map()
    # 29398 straddles 842 and 847: the district client gets the whole new commune, its 847 part included …
    assert {o for o in m.old_of["29398"] if m.district_of[o] == "847"} <= ground
    # … but nothing else of 847.
    other_847 = {c for c in m.districts["847"] if not m.new_of[c] & ground}
    assert other_847 and not other_847 & ground


def test_a_commune_in_force_covers_the_old_communes_merged_into_it_and_no_other():
    assert set(territory(("29242",))) == {"29242", "29239", "29260"}
    assert set(territory(("29263",))) == {"29263", "29236"}


def test_an_old_commune_merged_away_is_never_widened_to_its_new_commune():
    # Phường 1 alone: the new Phường Trà Vinh also holds Phường 3 and 9's people.
    assert territory(("29239",)) == ("29239",)
    # Given every old commune of it, the client holds the new commune whole.
    assert "29242" in territory(("29239", "29260", "29242"))


def test_a_split_commune_is_covered_only_by_a_client_holding_all_its_parts():
    # Old 11 was split between new 21 and 22; old 13 (another district) went wholly into 21, old 12 into 22.
    m = UnitMap.from_rows(
        [
            {
                "province_code": "84",
                "district_code": "842",
                "commune_code": "11",
                "new_province_code": "86",
                "new_commune_codes": "21;22",
            },
            {
                "province_code": "84",
                "district_code": "842",
                "commune_code": "12",
                "new_province_code": "86",
                "new_commune_codes": "22",
            },
            {
                "province_code": "84",
                "district_code": "843",
                "commune_code": "13",
                "new_province_code": "86",
                "new_commune_codes": "21",
            },
        ]
    )
    # Old 11's records cannot say on which side its people live: a client of one part does not see them.
    assert m.territory(["21"]) == {"21", "13"}
    assert m.territory(["22"]) == {"22", "12"}
    assert m.territory(["21", "22"]) == {"21", "22", "11", "12", "13"}
    # An old commune covers no part of itself: new 21 and 22 hold other communes' people.
    assert m.territory(["11"]) == {"11"}
    # District 843 gets new 21 whole (old 13's ground and its part of 11), not old 11's records.
    assert m.territory(["843"]) == {"843", "13", "21"}
    # District 842 gets both new communes, so old 13, merged wholly into 21, too.
    assert m.territory(["842"]) == {"842", "11", "12", "13", "21", "22"}


def test_every_reused_code_in_the_seed_is_one_of_the_communes_merged_into_it():
    """Matching is by code: a new commune's code also matches pre-2025 records of the old commune of that code,
    which is right only while that old commune lies in the new one (true of every code in the file)."""
    m = unit_map()
    assert all(code in olds for code, olds in m.old_of.items() if code in m.new_of)


def test_principal_limited_to_is_the_territory_and_admin_or_no_areas_are_unrestricted():
    p = Principal("c", frozenset({"registry:read"}), ("29242",), 0.0, 0)
    assert set(p.limited_to or ()) == {"29242", "29239", "29260"}
    assert p.may_see_area("29260", "842", "84") and not p.may_see_area("29236", "842", "84")
    assert Principal("c", frozenset({"admin"}), ("29242",), 0.0, 0).limited_to is None
    assert Principal("c", frozenset({"registry:read"}), (), 0.0, 0).limited_to is None


@pytest.mark.parametrize(
    ("areas", "expected"),
    [
        (["84"], "is not a unit in force today"),
        (["842"], "matches no unit in force today"),
        (["29239"], "matches no unit in force today: it became 29242 (Phường Trà Vinh)"),
        (["29242"], "also covers 29239 (Phường 1), 29260 (Phường 9)"),
        (["99999"], "not a unit of the 2025 mapping"),
    ],
)
def test_warnings_name_the_codes_not_in_force(areas, expected):
    [message] = warnings(areas)
    assert expected in message


def test_no_warning_for_units_in_force_that_cover_nothing_more():
    assert warnings(["86"]) == []
    lone = next(c for c, olds in unit_map().old_of.items() if olds == {c})
    assert warnings([lone]) == []
