"""Test-only administrative units in force today (province 99): the seeded Trà Vinh units ended on
2025-07-01, so tests that register people need units of their own."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

UNITS = [  # code, name, level, kind, parent, province
    ("99", "Tỉnh Thử", "province", "Tỉnh", None, "99"),
    ("991", "Thành phố Thử", "district", "Thành phố", "99", "99"),
    ("992", "Huyện Thử", "district", "Huyện", "99", "99"),
    ("99101", "Phường 4", "commune", "Phường", "991", "99"),
    ("99102", "Phường 1", "commune", "Phường", "991", "99"),
    ("99201", "Xã Mỹ Cẩm", "commune", "Xã", "992", "99"),
]

OLD_UNIT = ("99199", "Xã Cũ", "commune", "Xã", "991", "99")  # abolished in 2020: proves only units in force count


async def insert_units(conn) -> None:
    """Test-only units (province 99), in the caller's transaction so that no other test sees them."""
    for code, name, level, kind, parent, province in [*UNITS, OLD_UNIT]:
        await conn.execute(
            text(
                "INSERT INTO registry.admin_units (code, name, level, kind, parent_code, province_code, valid_from, "
                "valid_to) VALUES (:code, :name, :level, :kind, :parent, :province, DATE '2004-01-01', :valid_to) "
                "ON CONFLICT (code) DO NOTHING"
            ),
            {
                "code": code,
                "name": name,
                "level": level,
                "kind": kind,
                "parent": parent,
                "province": province,
                "valid_to": date(2020, 1, 1) if code == OLD_UNIT[0] else None,
            },
        )
