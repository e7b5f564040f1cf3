"""common.units (what payments and later services resolve communes with) agrees with the registry's own resolver on
every code of the seed file, before and after the 2025 reorganisation, as long as no administrator corrected the
registry's units (docs/architecture.md: corrections do not travel yet)."""

import csv
from datetime import date

from common.migrations import ROOT
from common.territory import SEED_FILE
from common.units import UnitProblem, seed_units
from services.registry.persons import repository


async def test_every_seed_code_resolves_as_in_the_registry(app, client):
    with (ROOT / SEED_FILE).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    codes = {r["commune_code"] for r in rows} | {c for r in rows for c in r["new_commune_codes"].split(";")}
    codes |= {"99999", "842", "84"}
    units = seed_units()
    async with app.state.sessionmaker() as session:
        for on in (date(2020, 1, 1), date(2025, 6, 30), date(2025, 7, 1), date(2026, 12, 3)):
            for code in sorted(codes):
                registry = await repository.commune_in_force(session, code, on)
                try:
                    place = units.commune_on(code, on)
                    ours = (place.commune_code, place.district_code, place.province_code)
                except UnitProblem:
                    ours = None
                theirs = (registry.code, registry.district_code, registry.province_code) if registry else None
                assert ours == theirs, (code, on)
