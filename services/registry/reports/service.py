"""Reports of beneficiaries and amounts per administrative unit, as recorded or in the 2025 units."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock, tabular
from common.auth import Principal
from common.errors import ValidationFailed

from ..beneficiaries import service as beneficiaries_service
from ..parameters.service import load_parameters
from ..rules.entitlements import Reason
from ..rules.months import Month
from ..rules.units import Group, Level, Scheme, UnsupportedGrouping, check_grouping
from . import repository
from .schemas import BeneficiaryReport, LongevityList, LongevityPerson, ReportRow, Totals


@dataclass
class _Row:
    group: Group
    beneficiaries: int = 0
    amount: int = 0
    suspended: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    recorded: set[str] = field(default_factory=set)


def parse_month(value: str) -> Month:
    try:
        return Month.parse(value)
    except ValueError as exc:
        raise ValidationFailed([{"field": "query.month", "reason": str(exc)}]) from None


async def beneficiaries(
    session: AsyncSession,
    maker: Callable[[], AsyncSession],
    principal: Principal,
    month: Month,
    by: Level,
    scheme: Scheme,
) -> BeneficiaryReport:
    """Beneficiaries paid, suspended and amounts of ``month`` per unit, within the client's areas."""
    try:
        check_grouping(by, scheme)
    except UnsupportedGrouping as exc:
        raise ValidationFailed([{"field": "query.by", "reason": str(exc)}]) from None
    units = await repository.units(session)
    parameters = await load_parameters(session)
    rows: dict[tuple[str, str], _Row] = {}
    async for _, person, e in beneficiaries_service.beneficiary_months(maker, parameters, principal, month, month):
        group = units.group(by, scheme, person.province_code, person.district_code, person.commune_code)
        row = rows.get((group.province_code, group.code))
        if row is None:
            row = rows[group.province_code, group.code] = _Row(group)
        row.recorded.add(
            {
                Level.PROVINCE: person.province_code,
                Level.DISTRICT: person.district_code,
                Level.COMMUNE: person.commune_code,
            }[by]
        )
        if e.amount > 0:
            row.beneficiaries += 1
            row.amount += e.amount
            row.categories.update(set(e.categories))
        elif e.reason is Reason.SUSPENDED:
            row.suspended += 1
    out = [
        ReportRow(
            province_code=r.group.province_code,
            code=r.group.code,
            name=r.group.name,
            beneficiaries=r.beneficiaries,
            amount=r.amount,
            suspended=r.suspended,
            categories=dict(sorted(r.categories.items())),
            recorded_codes=sorted(r.recorded),
            note=r.group.note,
        )
        for _, r in sorted(rows.items())
    ]
    total = Totals(
        beneficiaries=sum(r.beneficiaries for r in out),
        amount=sum(r.amount for r in out),
        suspended=sum(r.suspended for r in out),
    )
    return BeneficiaryReport(month=str(month), by=by, units=scheme, rows=out, total=total)


CSV_HEADER = [
    "Mã tỉnh",
    "Mã đơn vị",
    "Tên đơn vị",
    "Số đối tượng được chi trả",
    "Số tiền (đồng)",
    "Số đối tượng tạm dừng",
    "Mã đơn vị đã ghi nhận",
    "Ghi chú",
]


def as_csv(report: BeneficiaryReport) -> str:
    """The report as CSV with Vietnamese headers (UTF-8 with BOM so that spreadsheet programs read it)."""
    buffer = io.StringIO()
    writer = tabular.csv_writer(buffer)
    writer.writerow(CSV_HEADER)
    for r in report.rows:
        writer.writerow(
            [
                r.province_code,
                r.code,
                r.name,
                r.beneficiaries,
                r.amount,
                r.suspended,
                " ".join(r.recorded_codes),
                r.note,
            ]
        )
    total = report.total
    writer.writerow(["", "", "Tổng cộng", total.beneficiaries, total.amount, total.suspended, "", ""])
    return "\ufeff" + buffer.getvalue()


async def longevity(session: AsyncSession, principal: Principal, year: int, gift_date: date | None) -> LongevityList:
    """Persons who reach 90 or 100 in ``year``, alive on the gift date, within the client's areas. Without a gift
    date: alive on 31 December of a past year, or today (as far as deaths are known) for the current year."""
    if gift_date is None:
        gift_date = min(date(year, 12, 31), clock.today())
    elif gift_date.year != year:
        raise ValidationFailed([{"field": "query.gift_date", "reason": f"a date in {year}"}])
    rows = await repository.reaching(session, year, gift_date, principal.limited_to)
    items = [
        LongevityPerson(
            person_id=str(p.id),
            full_name=p.full_name,
            date_of_birth=p.date_of_birth.isoformat(),
            sex=p.sex,
            national_id=p.national_id,
            age=year - p.date_of_birth.year,
            commune_code=p.commune_code,
            district_code=p.district_code,
            province_code=p.province_code,
        )
        for p in rows
    ]
    counts = Counter(str(i.age) for i in items)
    return LongevityList(
        year=year,
        alive_on=gift_date.isoformat(),
        counts={str(a): counts[str(a)] for a in repository.LONGEVITY_AGES},
        items=items,
    )
