"""Which unit a record counts under in reports: as recorded, or in the 2025 units (pure rules)."""

from __future__ import annotations

from datetime import date

import pytest

from services.registry.rules.units import NO_DISTRICT, Group, Level, Mapping, Scheme, Unit, Units, UnsupportedGrouping

ENDED = date(2025, 7, 1)
# 29242 is both an old ward (province 84, ended) and, reused, the new ward of province 86 it merged into.
UNITS = Units(
    [
        Unit("84", "Tỉnh Trà Vinh", "84", ENDED),
        Unit("86", "Tỉnh Vĩnh Long", "86"),
        Unit("842", "Thành phố Trà Vinh", "84", ENDED),
        Unit("29239", "Phường 1", "84", ENDED),
        Unit("29242", "Phường 3", "84", ENDED),
        Unit("29300", "Xã Tách", "84", ENDED),
        Unit("29301", "Xã Không Ánh Xạ", "84", ENDED),
        Unit("29400", "Xã Mới A", "86"),
        Unit("29401", "Xã Mới B", "86"),
        Unit("99", "Tỉnh Thử", "99"),
        Unit("99101", "Phường Thử", "99"),
    ],
    [
        Mapping("29239", "29242", "Phường Trà Vinh", "86"),
        Mapping("29242", "29242", "Phường Trà Vinh", "86"),
        Mapping("29300", "29401", "Xã Mới B", "86"),
        Mapping("29300", "29400", "Xã Mới A", "86"),
    ],
)
R, N = Scheme.RECORDED, Scheme.UNITS_2025
OLD_P1 = ("84", "842", "29239")  # a record made before 2025 in Phường 1
OLD_P3 = ("84", "842", "29242")  # … in Phường 3
NEW_TV = ("86", "", "29242")  # a record made since 2025 in the new Phường Trà Vinh (same code as Phường 3)


def test_recorded_units_keep_old_and_new_records_apart_even_with_a_reused_code():
    assert UNITS.group(Level.COMMUNE, R, *OLD_P3) == Group("84", "29242", "Phường 3")
    assert UNITS.group(Level.COMMUNE, R, *NEW_TV) == Group("86", "29242", "Phường Trà Vinh")
    assert UNITS.group(Level.DISTRICT, R, *OLD_P1) == Group("84", "842", "Thành phố Trà Vinh")
    assert UNITS.group(Level.DISTRICT, R, *NEW_TV) == Group("86", "", NO_DISTRICT)
    assert UNITS.group(Level.PROVINCE, R, *OLD_P1) == Group("84", "84", "Tỉnh Trà Vinh")


def test_2025_units_count_merged_old_communes_and_new_records_under_the_new_commune():
    expected = Group("86", "29242", "Phường Trà Vinh")
    assert UNITS.group(Level.COMMUNE, N, *OLD_P1) == expected
    assert UNITS.group(Level.COMMUNE, N, *OLD_P3) == expected
    assert UNITS.group(Level.COMMUNE, N, *NEW_TV) == expected
    for record in (OLD_P1, OLD_P3, NEW_TV):
        assert UNITS.group(Level.PROVINCE, N, *record) == Group("86", "86", "Tỉnh Vĩnh Long")


def test_a_split_commune_is_not_attributed_to_one_of_its_successors():
    group = UNITS.group(Level.COMMUNE, N, "84", "842", "29300")
    assert (group.province_code, group.code, group.name) == ("84", "29300", "Xã Tách")
    assert "split into 29400, 29401" in group.note
    # … but both successors are in province 86, so by province it is attributed.
    assert UNITS.group(Level.PROVINCE, N, "84", "842", "29300") == Group("86", "86", "Tỉnh Vĩnh Long")


def test_an_ended_commune_without_mapping_stays_under_its_code_with_a_note():
    group = UNITS.group(Level.COMMUNE, N, "84", "842", "29301")
    assert group.code == "29301" and "no 2025 mapping" in group.note


def test_units_still_in_force_are_unchanged_by_the_2025_scheme():
    assert UNITS.group(Level.COMMUNE, N, "99", "991", "99101") == Group("99", "99101", "Phường Thử")


def test_there_are_no_districts_in_the_2025_units():
    with pytest.raises(UnsupportedGrouping, match="abolished"):
        UNITS.group(Level.DISTRICT, N, *OLD_P1)
