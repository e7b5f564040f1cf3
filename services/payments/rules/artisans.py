"""Artisans' allowance (Decree 109/2015/NĐ-CP). Pure data, no I/O.

People's and meritorious artisans (nghệ nhân nhân dân / nghệ nhân ưu tú) in households whose income per head is
below the base salary get a monthly allowance of 1,000,000, 850,000 or 700,000 VND by group and income band. The
decree fixes these three amounts; which one applies is the decision's (the group and band are assessed outside this
system), so an enrolment carries one of them and nothing else.
"""

from __future__ import annotations

AMOUNTS = (1_000_000, 850_000, 700_000)
"""VND per month (Decree 109/2015/NĐ-CP Art 5)."""

TITLES = {
    "nghe_nhan_nhan_dan": "Nghệ nhân nhân dân",
    "nghe_nhan_uu_tu": "Nghệ nhân ưu tú",
}
