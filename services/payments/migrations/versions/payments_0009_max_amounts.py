"""max_amount: an effective-dated upper bound of one payment per programme, seeded with defaults

Revision ID: payments_0009
Revises: payments_0008
Create Date: 2026-12-13 10:00:00

Hand-written data migration: rows of ``programme_parameters`` named ``max_amount`` (whole VND). Administrators
record later values with ``POST /programmes/{code}/parameters``. The defaults:

* funeral: 20 × the standard level (docs/rules.md §2 and §9; 270,000 / 360,000 / 500,000 / 540,000 VND from
  2014-01 / 2021-07 / 2024-07 / 2026-07);
* monthly allowance, per beneficiary and service month: 10 × the standard level (the highest coefficient is 5.0,
  Art 25; a single parent's per-child amounts add up, so twice that);
* electricity, per household and month: 200,000 VND (the support is 30 kWh × the tier-1 price, 46,000 in 2014);
* artisans, per month: 1,000,000 VND, the highest amount of Decree 109/2015/NĐ-CP;
* longevity gifts 2,000,000; emergency relief 100,000,000 (a destroyed house ≥ 40,000,000 per household);
  support requested by other services (surgery sponsorship, scholarships) 200,000,000. Sanity ceilings, to verify
  with the department: the province may pay more than the national minima.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "payments_0009"
down_revision = "payments_0008"
branch_labels = None
depends_on = None

RECORDED_BY = "migration"
STANDARD_LEVELS = [
    (date(2014, 1, 1), 270_000, "Decree 136/2013/NĐ-CP"),
    (date(2021, 7, 1), 360_000, "Decree 20/2021/NĐ-CP"),
    (date(2024, 7, 1), 500_000, "Decree 76/2024/NĐ-CP"),
    (date(2026, 7, 1), 540_000, "Decree 335/2026 (verify)"),
]
_SANITY = "sanity ceiling set at deployment (verify with the department)"

ROWS: list[tuple[str, date, int, str]] = [
    *[
        (
            "funeral",
            d,
            20 * level,
            f"20 × standard level {level:,} VND ({basis}; funeral support of Decree 20/2021/NĐ-CP)",
        )
        for d, level, basis in STANDARD_LEVELS
    ],
    *[
        ("monthly_allowance", d, 10 * level, f"10 × standard level {level:,} VND per month ({basis}); {_SANITY}")
        for d, level, basis in STANDARD_LEVELS
    ],
    ("electricity", date(2014, 6, 1), 200_000, f"per household and month; {_SANITY}"),
    ("artisans", date(2015, 1, 1), 1_000_000, "Decree 109/2015/NĐ-CP: the highest monthly amount"),
    ("longevity", date(2014, 1, 1), 2_000_000, f"Law on the Elderly Art 21, Circular 96/2018/TT-BTC; {_SANITY}"),
    ("emergency", date(2014, 1, 1), 100_000_000, f"Decree 20/2021/NĐ-CP Ch. III; {_SANITY}"),
    ("service_request", date(2014, 1, 1), 200_000_000, _SANITY),
]

parameters = sa.table(
    "programme_parameters",
    sa.column("programme", sa.Text),
    sa.column("name", sa.Text),
    sa.column("valid_from", sa.Date),
    sa.column("value", sa.Numeric),
    sa.column("legal_basis", sa.Text),
    sa.column("recorded_by", sa.Text),
    schema="payments",
)


def upgrade() -> None:
    op.bulk_insert(
        parameters,
        [
            {
                "programme": p,
                "name": "max_amount",
                "valid_from": d,
                "value": Decimal(v),
                "legal_basis": basis,
                "recorded_by": RECORDED_BY,
            }
            for p, d, v, basis in ROWS
        ],
    )


def downgrade() -> None:
    op.execute(parameters.delete().where(parameters.c.name == "max_amount"))
