"""Use cases of programmes: list, read, record an effective-dated parameter, set the accounting month."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import UniqueViolation
from common.errors import NotFound, ValidationFailed
from common.money import MAX_SAFE_VND

from ..models import Programme, ProgrammeParameter
from ..payrolls import repository as payrolls
from ..rules.periods import month_text, parse_month
from . import repository
from .exceptions import AccountingFromLocked, ParameterExists
from .schemas import AccountingIn, ParameterIn, ParameterOut, ProgrammeOut

KINDS_PARAMETERS = {
    "electricity": ("amount_per_month",),
    "foster": ("standard_level",),
}
"""Parameters a programme of a kind accepts beyond those every programme has."""
PROGRAMMES_PARAMETERS = {
    "longevity": ("gift_90_cash", "gift_90_in_kind", "gift_100_cash", "gift_100_in_kind"),
    "emergency": (
        "min_funeral",
        "min_injury",
        "min_house_destroyed",
        "min_relocation",
        "min_house_damaged",
        "rice_kg_per_person_month",
    ),
}
"""Parameters of one programme: the longevity gifts' cash and in-kind value per age; the emergency relief minima
per kind of relief (VND) and the rice per person and month (kg) (docs/rules.md)."""
MINIMA = {"gift_90_cash": 500_000, "gift_90_in_kind": 150_000, "gift_100_cash": 700_000}
"""National minima (Circular 96/2018/TT-BTC): the province may pay more, never less. The 100-year gift's
in-kind part is 5 m of silk, with no amount in VND: the province records the value it pays for it."""
COMMON_PARAMETERS = ("postal_fee_percent", "max_amount")
WHOLE_VND = {
    "amount_per_month",
    "standard_level",
    "max_amount",
    *PROGRAMMES_PARAMETERS["longevity"],
    *PROGRAMMES_PARAMETERS["emergency"],
}
MAX_AMOUNT = "max_amount"
"""The largest amount of one payment of the programme, in whole VND: a one-off payment, an artisan's monthly amount,
or what one recipient is entitled to for one service month of a payroll (arrears are several months, each bounded).
Effective-dated like every parameter; a programme with none recorded is bounded by 2^53 − 1 only."""


def plain(value: Decimal) -> str:
    """A decimal as digits, never in exponent form: PostgreSQL's numeric comes back from asyncpg without trailing zero
    groups (200000 reads as ``Decimal("2.0E+5")``)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parameter_names(programme: Programme) -> list[str]:
    return [
        *KINDS_PARAMETERS.get(programme.kind, ()),
        *PROGRAMMES_PARAMETERS.get(programme.code, ()),
        *COMMON_PARAMETERS,
    ]


def _out(programme: Programme, params: list[ProgrammeParameter]) -> ProgrammeOut:
    return ProgrammeOut(
        code=programme.code,
        name=programme.name,
        kind=programme.kind,
        frequency=programme.frequency,
        accounting_from=month_text(programme.accounting_from) if programme.accounting_from else None,
        accounting_basis=programme.accounting_basis,
        parameter_names=parameter_names(programme),
        parameters=[
            ParameterOut(
                name=p.name,
                valid_from=month_text(p.valid_from),
                value=plain(p.value),
                legal_basis=p.legal_basis,
                recorded_at=p.recorded_at,
                recorded_by=p.recorded_by,
            )
            for p in params
        ],
    )


async def get(session: AsyncSession, code: str, *, for_update: bool = False) -> Programme:
    programme = await repository.programme(session, code, for_update=for_update)
    if programme is None:
        raise NotFound(f"no programme {code!r}")
    return programme


async def list_all(session: AsyncSession) -> list[ProgrammeOut]:
    rows = await repository.programmes(session)
    params = await repository.parameters(session, [p.code for p in rows])
    return [_out(p, [x for x in params if x.programme == p.code]) for p in rows]


async def read(session: AsyncSession, code: str) -> ProgrammeOut:
    programme = await get(session, code)
    return _out(programme, list(await repository.parameters(session, [code])))


async def add_parameter(session: AsyncSession, code: str, body: ParameterIn, client_id: str) -> ProgrammeOut:
    programme = await get(session, code, for_update=True)
    allowed = parameter_names(programme)
    if body.name not in allowed:
        raise ValidationFailed([{"field": "body.name", "reason": f"programme {code} accepts {', '.join(allowed)}"}])
    if body.name in WHOLE_VND and body.value != body.value.to_integral_value():
        raise ValidationFailed([{"field": "body.value", "reason": "an amount in whole VND"}])
    if body.value < MINIMA.get(body.name, 0):
        raise ValidationFailed(
            [{"field": "body.value", "reason": f"{body.name} is at least {MINIMA[body.name]:,} VND (national minimum)"}]
        )
    if body.name in WHOLE_VND and body.value > MAX_SAFE_VND:
        raise ValidationFailed([{"field": "body.value", "reason": f"at most {MAX_SAFE_VND} (2^53 − 1) VND"}])
    month = parse_month(body.valid_from)
    if body.name == "amount_per_month":
        limit = await repository.value_in(session, code, MAX_AMOUNT, month)
        if limit is not None and body.value > limit:
            raise ValidationFailed(
                [
                    {
                        "field": "body.value",
                        "reason": f"above the programme's {MAX_AMOUNT} {int(limit)} VND in force in {body.valid_from}",
                        "limit": int(limit),
                    }
                ]
            )
    row = ProgrammeParameter(
        programme=code,
        name=body.name,
        valid_from=month,
        value=body.value,
        legal_basis=body.legal_basis,
        recorded_by=client_id,
    )
    try:
        await repository.add_parameter(session, row)
    except UniqueViolation as exc:
        raise ParameterExists(f"{body.name} of {code} from {body.valid_from} is already recorded") from exc
    if body.name != MAX_AMOUNT:  # a limit changes nothing owed: no full scan of the next payroll for it
        programme.parameters_version += 1
    await session.flush()
    return await read(session, code)


async def max_amount(session: AsyncSession, code: str, month: date) -> int | None:
    """The programme's ``max_amount`` in force in ``month`` (None when none is recorded by then)."""
    value = await repository.value_in(session, code, MAX_AMOUNT, month)
    return None if value is None else int(value)


async def check_amount(session: AsyncSession, code: str, amount: int, month: date, field: str) -> None:
    """422 naming ``field`` and the limit when ``amount`` is above the programme's ``max_amount`` in ``month``."""
    limit = await max_amount(session, code, month)
    if limit is not None and amount > limit:
        raise ValidationFailed(
            [
                {
                    "field": field,
                    "limit": limit,
                    "reason": f"{amount} VND is above the limit of programme {code}: {MAX_AMOUNT} {limit} VND "
                    f"in force in "
                    f"{month_text(month)}",
                }
            ]
        )


async def set_accounting_from(session: AsyncSession, code: str, body: AccountingIn, client_id: str) -> ProgrammeOut:
    programme = await get(session, code, for_update=True)
    # The lock generation takes: a payroll being generated is committed (and seen below) before the check.
    await payrolls.lock_programme(session, code)
    month = parse_month(body.accounting_from)
    # Payrolls compare months from the accounting month on: moving it once one exists would pay some recipients
    # arrears for months paid outside the system and never compare others again. Fixed from the first payroll on.
    if month != programme.accounting_from and await repository.has_payroll(session, code):
        current = month_text(programme.accounting_from) if programme.accounting_from else "unset"
        raise AccountingFromLocked(
            f"{code} already has payrolls: its accounting month ({current}) can no longer be changed",
            accounting_from=current,
        )
    programme.accounting_from = month
    programme.accounting_basis = body.legal_basis
    programme.updated_by = client_id
    programme.updated_at = datetime.now(UTC)
    await session.flush()
    return await read(session, code)
