"""Attachments: type and size limited, encrypted in the service's schema, never served without the scope, the
areas and the purpose; every download audited."""

import hashlib

from sqlalchemy import text

from .conftest import new_case, supervisor, worker

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"form 01 photo"
PDF = b"%PDF-1.7\n" + b"report of the case meeting"


async def test_upload_list_download(http, minter, now, app):
    case = (await http.post("/cases", json=new_case(), headers=worker(minter))).json()
    r = await http.post(
        f"/cases/{case['id']}/attachments", content=PNG, headers={**worker(minter), "Content-Type": "image/png"}
    )
    assert r.status_code == 201, r.text
    meta = r.json()
    assert meta["size"] == len(PNG) and meta["sha256"] == hashlib.sha256(PNG).hexdigest()
    listed = (await http.get(f"/cases/{case['id']}/attachments", headers=supervisor(minter))).json()
    assert [a["id"] for a in listed] == [meta["id"]]
    got = await http.get(f"/attachments/{meta['id']}", headers=supervisor(minter, purpose="review form 01"))
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
    assert got.headers["cache-control"] == "no-store"
    async with app.state.sessionmaker() as session:
        stored = await session.scalar(
            text("SELECT content_enc FROM child_protection.attachments WHERE id = :id"), {"id": meta["id"]}
        )
        audited = await session.scalar(
            text(
                "SELECT count(*) FROM child_protection.read_audit WHERE record_id = :id AND purpose = 'review form 01'"
            ),
            {"id": meta["id"]},
        )
    assert b"form 01 photo" not in bytes(stored) and audited == 1
    feed = (await http.get("/changes", headers=worker(minter))).json()["items"]
    assert ("attachment", meta["id"]) in [(c["entity"], c["id"]) for c in feed]


async def test_refusals(http, minter, now, app):
    case = (await http.post("/cases", json=new_case(), headers=worker(minter))).json()
    url = f"/cases/{case['id']}/attachments"
    exe = {**worker(minter), "Content-Type": "application/x-msdownload"}
    wrong_type = await http.post(url, content=b"MZ\x90", headers=exe)
    assert wrong_type.status_code == 415
    assert wrong_type.json()["accepted"] == ["image/jpeg", "image/png", "application/pdf"]
    lying = await http.post(url, content=b"not a pdf", headers={**worker(minter), "Content-Type": "application/pdf"})
    assert lying.status_code == 422
    app.state.settings.attachment_max_bytes = 20
    too_big = await http.post(url, content=PDF, headers={**worker(minter), "Content-Type": "application/pdf"})
    assert too_big.status_code == 413
    app.state.settings.attachment_max_bytes = 5 * 1024 * 1024
    ok = (await http.post(url, content=PDF, headers={**worker(minter), "Content-Type": "application/pdf"})).json()
    admin = {**minter.headers("admin", client_id="dev-admin"), "X-Purpose": "curious"}
    assert (await http.get(f"/attachments/{ok['id']}", headers=admin)).status_code == 403
    no_purpose = minter.headers("child_protection:read", client_id="supervisor")
    assert (await http.get(f"/attachments/{ok['id']}", headers=no_purpose)).status_code == 422
    far = worker(minter, client_id="officer-far", areas=("844",))
    assert (await http.get(f"/attachments/{ok['id']}", headers=far)).status_code == 404
    assert (await http.post(url, content=PDF, headers={**far, "Content-Type": "application/pdf"})).status_code == 404
