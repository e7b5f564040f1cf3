"""Hostile and careless input to child protection, through the HTTP API: tampered cursors and out-of-range ids are
a 422 naming the parameter (never a 500), a conflict never reveals a record of another area, text that is blank or
carries control or direction-override characters is refused rather than stored, and a retried upload with the same
``Idempotency-Key`` stores the file once."""

import base64
import json
import uuid

import pytest
from sqlalchemy import text

from .conftest import COMMUNE, OTHER_COMMUNE, new_case, supervisor, worker

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"photo of form 02"


def tampered(values):
    """A cursor as this API packs one, holding ``values`` the client wrote itself."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "param", "values", "who"),
    [
        ("/cases", "cursor", [2**70], worker),
        ("/cases", "cursor", [-(2**63) - 1], worker),
        ("/changes", "after", [2**64], worker),
        ("/audit", "cursor", [10**30], supervisor),
        ("/deadlines/overdue", "cursor", ["2026-12-01T00:00:00+07:00", 2**63], worker),
        ("/deadlines/due-soon", "cursor", ["0001-01-01T00:00:00+14:00", 1], worker),
        ("/deadlines/overdue", "cursor", ["9999-12-31T23:59:59-14:00", 1], worker),
    ],
)
async def test_a_tampered_cursor_is_a_422_naming_its_parameter(http, minter, now, path, param, values, who):
    r = await http.get(path, params={param: tampered(values)}, headers=who(minter))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] == [{"field": f"query.{param}", "reason": "not a cursor returned by this API"}]


@pytest.mark.parametrize("membership_id", [2**63, 10**25, 0, -1])
async def test_a_membership_id_out_of_range_is_a_422_naming_the_path(http, minter, now, membership_id):
    case = (await http.post("/cases", json=new_case(), headers=worker(minter))).json()
    r = await http.post(
        f"/children/{case['child_id']}/groups/{membership_id}/end",
        json={"valid_to": "2026-06-30", "evidence": "adoption decision 7/2026"},
        headers=worker(minter),
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["path.membership_id"]
