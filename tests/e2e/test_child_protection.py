"""Child protection through the real processes: a hotline report becomes a case; a case worker and the commune
chairman take it through Decree 56 to an approved plan with a scholarship; the scholarship reaches payments
through the hub, is paid by the post office, and its outcome comes back into the case. Other clients,
administrators included, see counts only."""

from __future__ import annotations

import uuid

import httpx
import pytest

from common import clock

from .test_payments import eventually
from .test_registry import client, national_id

pytestmark = pytest.mark.e2e

COMMUNE = "29242"  # Phường 1, Thành phố Trà Vinh (district 842)


async def test_a_scholarship_paid_through_payments_comes_back_into_the_case(stack):
    officer = {**await client(stack, ["child_protection:case"], ["842"]), "X-Purpose": "case management"}
    chairman = {**await client(stack, ["child_protection:case"], ["842"]), "X-Purpose": "plan approval"}
    supervisor = {**await client(stack, ["child_protection:read"], []), "X-Purpose": "supervision"}
    admin = {**await client(stack, ["admin"], []), "X-Purpose": "curiosity"}
    maker = await client(stack, ["payments:read", "payments:write"], [])
    checker = await client(stack, ["payments:read", "payments:approve"], [])
    postal = await client(stack, ["payments:disburse"], [COMMUNE])
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=60) as gw:
        r = await gw.post(
            "/child-protection/cases",
            headers={**officer, "Idempotency-Key": str(uuid.uuid4())},
            json={
                "source": "hotline_111",
                "report": "Child left alone for days",
                "reporter": "teacher",
                "child": {"full_name": "Đặng Minh Khôi", "commune_code": COMMUNE, "date_of_birth": "2015-09-09"},
            },
        )
        assert r.status_code == 201, r.text
        case = r.json()

        async def take(action, who, **extra):
            nonlocal case
            r = await gw.post(
                f"/child-protection/cases/{case['id']}/steps",
                json={"action": action, **extra},
                headers={**who, "If-Match": f'"{case["version"]}"'},
            )
            assert r.status_code == 200, r.text
            case = r.json()

        await take("initial_assessment", officer, risk_level="high")
        await take("detailed_assessment", officer)
        await take(
            "draft_plan",
            officer,
            plan={
                "content": "return to school",
                "services": ["education"],
                "support": [
                    {
                        "kind": "scholarship",
                        "funding": "charity",
                        "sponsor": "Quỹ Bảo trợ trẻ em tỉnh",
                        "amount": 1_000_000,
                    }
                ],
            },
        )
        stale = await gw.post(
            f"/child-protection/cases/{case['id']}/steps",
            json={"action": "approve_plan"},
            headers={**chairman, "If-Match": '"1"'},
        )
        assert stale.status_code == 412
        refused = await gw.post(
            f"/child-protection/cases/{case['id']}/steps",
            json={"action": "approve_plan"},
            headers={**officer, "If-Match": f'"{case["version"]}"'},
        )
        assert refused.status_code == 403 and refused.json()["type"].endswith("/maker-checker")
        await take("approve_plan", chairman)
        [item] = case["support"]
        assert item["status"] == "requested"

        # The admin sees counts, never the case.
        assert (await gw.get(f"/child-protection/cases/{case['id']}", headers=admin)).status_code == 403
        counts = await gw.get("/child-protection/reports/support", headers=admin)
        assert counts.status_code == 200 and "Khôi" not in counts.text

        async def requested() -> bool:
            r = await gw.get(f"/payments/one-off-payments/{item['id']}", headers=maker)
            return r.status_code == 200

        await eventually(requested, "the support request in payments", within=60)
        month = clock.today().strftime("%Y-%m")  # the processes run on the real clock
        r = await gw.post("/payments/payrolls", headers=maker, json={"programme": "service_request", "period": month})
        assert r.status_code == 201, r.text
        payroll = r.json()
        assert (await gw.post(f"/payments/payrolls/{payroll['id']}/review", headers=maker)).status_code == 200
        r = await gw.post(f"/payments/payrolls/{payroll['id']}/approve", headers=checker)
        assert r.status_code == 200, r.text
        r = await gw.get("/payments/batches", params={"payroll": payroll["id"]}, headers=postal)
        [batch] = r.json()["items"]
        r = await gw.get(f"/payments/batches/{batch['id']}/download", params={"format": "json"}, headers=postal)
        assert r.status_code == 200, r.text
        [line] = r.json()["lines"]
        assert line["total"] == 1_000_000 and case["number"] in line["recipient_name"]
        assert "Khôi" not in r.text  # names never leave child protection
        r = await gw.post(
            f"/payments/lines/{line['line_id']}/result",
            headers=postal,
            json={
                "outcome": "paid",
                "paid_on": clock.today().isoformat(),
                "paid_to": "proxy",
                "proxy_name": "grandmother",
                "receipt_number": "BN-77",
                "amount": 1_000_000,
            },
        )
        assert r.status_code == 200, r.text

        async def paid() -> bool:
            r = await gw.get(f"/child-protection/cases/{case['id']}", headers=supervisor)
            return r.json()["support"][0]["status"] == "paid"

        await eventually(paid, "payments' outcome in the case", within=60)
        audit = (await gw.get("/child-protection/audit", params={"record_id": case["id"]}, headers=supervisor)).json()
        assert {i["purpose"] for i in audit["items"]} >= {"case management", "plan approval", "supervision"}


async def test_an_orphan_placed_with_a_foster_family_reaches_registry_insurance_and_payments(stack):
    """A 2-year-old orphan identified in the registry: child protection proposes a TE card (insurance lists the child
    to enrol), refers the child for 5.1 (a registry draft an officer submits and another approves) and places the
    child with a foster family, whose carer payments pays 2.5 × the standard level through the post office."""
    officer = {**await client(stack, ["child_protection:case"], ["842"]), "X-Purpose": "case management"}
    registrar = await client(stack, ["registry:read", "registry:write"], ["842"])
    chairman = await client(stack, ["registry:read", "registry:write"], ["842"])
    insurer = await client(stack, ["insurance:read"], [])
    maker = await client(stack, ["payments:read", "payments:write"], [])
    checker = await client(stack, ["payments:read", "payments:approve"], [])
    postal = await client(stack, ["payments:disburse"], [COMMUNE])
    today = clock.today()
    born = today.replace(year=today.year - 2, day=1)
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=60) as gw:
        r = await gw.post(
            "/registry/persons",
            headers=registrar,
            json={
                "full_name": "Thạch Thị Mai",
                "date_of_birth": born.isoformat(),
                "sex": "female",
                "national_id": national_id(born.year, True),
                "commune_code": COMMUNE,
            },
        )
        assert r.status_code == 201, r.text
        person = r.json()["id"]
        r = await gw.post(
            "/child-protection/cases",
            headers={**officer, "Idempotency-Key": str(uuid.uuid4())},
            json={
                "source": "community",
                "report": "Both parents died in a road accident",
                "reporter": "commune police",
                "child": {
                    "full_name": "Thạch Thị Mai",
                    "commune_code": COMMUNE,
                    "date_of_birth": born.isoformat(),
                    "person_id": person,
                    "has_insurance_card": False,
                    "groups": [{"group": "orphan", "valid_from": born.isoformat(), "evidence": "death cert 1, 2"}],
                },
            },
        )
        assert r.status_code == 201, r.text
        case = r.json()
        r = await gw.post(
            f"/child-protection/cases/{case['id']}/referrals/allowance", headers=officer, json={"category": "5.1"}
        )
        assert r.status_code == 202, r.text
        r = await gw.post(
            "/child-protection/placements",
            headers=officer,
            json={
                "child_id": case["child_id"],
                "case_id": case["id"],
                "kind": "foster",
                "carer": "Kim Văn Sơn, khóm 3",
                "carer_birth_date": "1975-05-05",
                "non_kin_reason": "no relative able to care",
                "starts_on": today.isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["foster_allowance"] is True

        async def proposed():
            r = await gw.get("/insurance/proposals", headers=insurer)
            return [i for i in r.json()["items"] if i["person_id"] == person and i["status"] == "to_enrol"]

        [proposal] = await eventually(proposed, "the TE proposal in insurance, to enrol", within=60)
        assert proposal["date_of_birth"] == born.isoformat() and "case" not in str(proposal)

        async def drafted():
            r = await gw.get("/registry/application-drafts", params={"status": "draft"}, headers=registrar)
            return [d for d in r.json()["items"] if d["person_id"] == person]

        [draft] = await eventually(drafted, "the referral as a registry draft", within=60)
        assert (draft["category"], draft["source"]) == ("5.1", case["number"])
        r = await gw.post(f"/registry/application-drafts/{draft['id']}/submit", headers=registrar, json={})
        assert r.status_code == 201, r.text
        r = await gw.post(
            f"/registry/applications/{r.json()['application']['id']}/approve",
            headers=chairman,
            json={
                "number": "81/QĐ-UBND",
                "signed_on": today.isoformat(),
                "authority": "Chủ tịch UBND phường",
                "effective_month": today.strftime("%Y-%m"),
            },
        )
        assert r.status_code == 201, r.text

        async def placed() -> bool:
            r = await gw.get("/payments/programmes/foster_care/placements", headers=maker)
            return any(i["case_number"] == case["number"] and i["foster_allowance"] for i in r.json()["items"])

        await eventually(placed, "the foster placement in payments", within=60)
        month = today.strftime("%Y-%m")
        r = await gw.post("/payments/payrolls", headers=maker, json={"programme": "foster_care", "period": month})
        assert r.status_code == 201, r.text
        payroll = r.json()
        assert (await gw.post(f"/payments/payrolls/{payroll['id']}/review", headers=maker)).status_code == 200
        assert (await gw.post(f"/payments/payrolls/{payroll['id']}/approve", headers=checker)).status_code == 200
        r = await gw.get("/payments/batches", params={"payroll": payroll["id"]}, headers=postal)
        [batch] = r.json()["items"]
        r = await gw.get(f"/payments/batches/{batch['id']}/download", params={"format": "json"}, headers=postal)
        [line] = r.json()["lines"]
        assert line["total"] == 1_350_000  # 2.5 × 540,000 (a child under 4)
        assert case["number"] in line["recipient_name"] and "Sơn" not in r.text and "Mai" not in r.text
