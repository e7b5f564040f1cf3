"""OAuth2 client credentials at the gateway, and token checks at the gateway and in the services."""

import time

import httpx
import jwt
import pytest

from common.auth import AUDIENCE, ISSUER
from common.testing import TokenMinter
from gateway.auth import keys
from gateway.auth import service as auth_service


async def test_token_by_basic_auth_carries_the_client_claims(door, http):
    client_id, secret = await door.new_client("registry:read", "registry:write", areas=("842", "29236"))
    r = await http.post("/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    assert body["scope"] == "registry:read registry:write"
    assert r.headers["cache-control"] == "no-store"
    jwks = (await http.get("/.well-known/jwks.json")).json()
    header = jwt.get_unverified_header(body["access_token"])
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(
        body["access_token"], jwt.PyJWK(key).key, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER
    )
    assert claims["client_id"] == client_id and claims["areas"] == ["29236", "842"]
    assert claims["scope"] == "registry:read registry:write"
    assert 299 <= claims["exp"] - claims["iat"] <= 300
    assert "d" not in key  # the private part is never published


async def test_token_by_form_fields_and_narrowed_scope(door, http):
    client_id, secret = await door.new_client("registry:read", "registry:write")
    r = await http.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "registry:read",
        },
    )
    assert r.status_code == 200 and r.json()["scope"] == "registry:read"
    # …and that narrower token cannot write.
    auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await http.post("/registry/scoped/write", headers=auth)).status_code == 403


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({}, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "scope": "admin"}, 400, "invalid_scope"),
    ],
)
async def test_token_request_errors_follow_rfc6749(door, http, form, status, error):
    client_id, secret = await door.new_client("registry:read")
    r = await http.post("/auth/token", data=form, auth=(client_id, secret))
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["error"] == error


async def test_wrong_secret_and_unknown_client_are_401_alike(door, http):
    client_id, _ = await door.new_client("registry:read")
    wrong = await http.post("/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "nope"))
    unknown = await http.post("/auth/token", data={"grant_type": "client_credentials"}, auth=("ghost-x", "nope"))
    for r in (wrong, unknown):
        assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert wrong.json()["detail"] == unknown.json()["detail"]  # no hint which ids exist


async def test_no_token_is_401_through_the_gateway_and_directly(door, http):
    r = await http.get("/registry/scoped/read")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["type"].endswith("/unauthorized")
    async with httpx.AsyncClient(base_url=door.upstream_url, timeout=30) as direct:
        r = await direct.get("/scoped/read")
        assert r.status_code == 401 and r.json()["type"].endswith("/unauthorized")
        # a gateway token works directly too: the service verifies it itself
        ok = await direct.get("/scoped/read", headers=await door.bearer("registry:read"))
        assert ok.status_code == 200


async def test_valid_token_without_the_route_scope_is_403(door, http):
    auth = await door.bearer("payments:read")
    r = await http.get("/registry/scoped/read", headers=auth)
    assert r.status_code == 403
    assert r.json()["required_scopes"] == ["registry:read"]
    # The service refuses too when reached directly.
    async with httpx.AsyncClient(base_url=door.upstream_url, timeout=30) as direct:
        assert (await direct.get("/scoped/read", headers=auth)).status_code == 403
    assert (await http.get("/registry/scoped/read", headers=await door.bearer("admin"))).status_code == 200


async def test_a_route_taking_one_of_several_scopes_is_open_to_each_and_names_them_all_when_refusing(door, http):
    async with httpx.AsyncClient(base_url=door.upstream_url, timeout=30) as direct:
        for scopes in (("registry:read",), ("payments:read",), ("admin",)):
            auth = await door.bearer(*scopes)
            assert (await http.get("/registry/scoped/either", headers=auth)).status_code == 200, scopes
            assert (await direct.get("/scoped/either", headers=auth)).status_code == 200, scopes
        auth = await door.bearer("insurance:read", "registry:write")
        # Refused alike at the door (gateway or nginx) and by the service itself, naming every scope that would do.
        for r in (
            await http.get("/registry/scoped/either", headers=auth),
            await direct.get("/scoped/either", headers=auth),
        ):
            assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
            assert r.json()["required_scopes"] == ["registry:read", "payments:read"]
            assert r.json()["detail"] == "this route needs one of the scopes registry:read or payments:read"
    # The API document says so: each scope is an alternative security requirement.
    op = (await http.get("/openapi.json")).json()["paths"]["/registry/scoped/either"]["get"]
    assert op["security"] == [{"OAuth2": ["registry:read"]}, {"OAuth2": ["payments:read"]}]


@pytest.mark.parametrize("case", ["foreign_key", "wrong_audience", "expired", "garbage", "tampered"])
async def test_bad_tokens_are_401(door, http, case):
    foreign = TokenMinter()
    good = (await door.bearer("registry:read"))["Authorization"][7:]
    signer = door.gateway.state.signer
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "client_id": "x", "scope": "registry:read", "iat": now, "exp": now + 60}
    token = {
        "foreign_key": foreign.token("registry:read"),
        "wrong_audience": signer.sign({**base, "aud": "someone-else"}),
        "expired": signer.sign({**base, "iat": now - 600, "exp": now - 300}),
        "garbage": "not-a-jwt",
        "tampered": good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
    }[case]
    for url, client in ((door.url, http), (door.upstream_url, None)):
        async with httpx.AsyncClient(base_url=url, timeout=30) as c:
            path = "/registry/scoped/read" if client else "/scoped/read"
            r = await c.get(path, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401, (url, r.text)


async def test_revoked_client_gets_no_token_and_its_tokens_stop_working(door, http):
    client_id, secret = await door.new_client("registry:read")
    auth = {"Authorization": f"Bearer {await door.token(client_id, secret)}"}
    assert (await http.get("/registry/scoped/read", headers=auth)).status_code == 200
    async with door.gateway.state.sessionmaker() as session, session.begin():
        await auth_service.revoke_client(session, client_id)
    await door.refresh_keys()
    r = await http.get("/registry/scoped/read", headers=auth)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    async with httpx.AsyncClient(base_url=door.upstream_url, timeout=30) as direct:
        assert (await direct.get("/scoped/read", headers=auth)).status_code == 401
    r = await http.post("/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert r.status_code == 401


async def test_the_public_revocation_list_names_no_client_and_still_revokes_everywhere(door, http):
    """``/auth/revocations`` needs no token (every process polls it), so it publishes opaque revocation ids only."""
    client_id, secret = await door.new_client("registry:read")
    token = await door.token(client_id, secret)
    rid = jwt.decode(token, options={"verify_signature": False})["rid"]
    auth = {"Authorization": f"Bearer {token}"}
    async with door.gateway.state.sessionmaker() as session, session.begin():
        await auth_service.revoke_client(session, client_id)
    listed = await http.get("/auth/revocations")
    assert listed.status_code == 200 and rid in listed.json()["not_before"]
    assert client_id not in listed.text and "t-" not in listed.text  # no client id, no client name
    await door.refresh_keys()
    for base, path in ((door.url, "/registry/scoped/read"), (door.upstream_url, "/scoped/read")):
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            r = await c.get(path, headers=auth)
            assert r.status_code == 401 and "revoked" in r.json()["detail"], (base, r.text)


async def test_a_token_without_a_revocation_id_is_refused(door, http):
    """Such a token could not be revoked where revocations are read by id: refused, not trusted forever."""
    now = time.time()
    token = door.gateway.state.signer.sign(
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "client_id": "x",
            "sub": "x",
            "scope": "registry:read",
            "iat": now,
            "exp": int(now) + 60,
        }
    )
    for base, path in ((door.url, "/registry/scoped/read"), (door.upstream_url, "/scoped/read")):
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            r = await c.get(path, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401 and "rid" in r.json()["detail"], (base, r.text)


async def test_rotated_secret_voids_the_old_one_and_its_tokens(door, http):
    client_id, old_secret = await door.new_client("registry:read")
    old_auth = {"Authorization": f"Bearer {await door.token(client_id, old_secret)}"}
    async with door.gateway.state.sessionmaker() as session, session.begin():
        new_secret = (await auth_service.rotate_secret(session, client_id)).secret
    await door.refresh_keys()
    assert (await http.get("/registry/scoped/read", headers=old_auth)).status_code == 401
    bad = await http.post("/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, old_secret))
    assert bad.status_code == 401
    new_auth = {"Authorization": f"Bearer {await door.token(client_id, new_secret)}"}
    assert (await http.get("/registry/scoped/read", headers=new_auth)).status_code == 200


async def test_key_rotation_keeps_earlier_tokens_valid(door, http):
    before = await door.bearer("registry:read")
    old_kid = door.gateway.state.signer.kid
    async with door.gateway.state.sessionmaker() as session, session.begin():
        new = await keys.rotate(session)
    await door.refresh_keys()
    assert door.gateway.state.signer.kid == new.kid != old_kid
    after = await door.bearer("registry:read")
    assert jwt.get_unverified_header(after["Authorization"][7:])["kid"] == new.kid
    kids = {k["kid"] for k in (await http.get("/.well-known/jwks.json")).json()["keys"]}
    assert {old_kid, new.kid} <= kids
    for auth in (before, after):
        assert (await http.get("/registry/scoped/read", headers=auth)).status_code == 200
        async with httpx.AsyncClient(base_url=door.upstream_url, timeout=30) as direct:
            assert (await direct.get("/scoped/read", headers=auth)).status_code == 200


async def test_client_fields_are_validated(door):
    from common.errors import Conflict, ValidationFailed

    async with door.gateway.state.sessionmaker() as session:
        with pytest.raises(ValidationFailed) as bad:
            await auth_service.create_client(
                session, "Bad Name!", scopes=["registry:reed"], areas=["8x"], rate_per_second=1, burst=1
            )
        assert {e["field"] for e in bad.value.extensions["errors"]} == {"client_id", "scopes", "areas"}
    client_id, _ = await door.new_client("registry:read")
    async with door.gateway.state.sessionmaker() as session:
        with pytest.raises(Conflict):
            await auth_service.create_client(
                session, client_id, scopes=["registry:read"], areas=[], rate_per_second=1, burst=1
            )


async def test_rate_limit_gives_429_then_recovers(door, http, limiter_clock):
    auth = await door.bearer("registry:read", rate=2, burst=2)
    statuses = [(await http.get("/registry/scoped/read", headers=auth)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    r = await http.get("/registry/scoped/read", headers=auth)
    assert r.status_code == 429 and r.json()["type"].endswith("/rate-limited")
    assert int(r.headers["retry-after"]) >= 1
    # A different client is not affected.
    assert (await http.get("/registry/scoped/read", headers=await door.bearer("registry:read"))).status_code == 200
    limiter_clock.now += 0.6  # 2 tokens/s: one is back
    assert (await http.get("/registry/scoped/read", headers=auth)).status_code == 200


async def test_merged_openapi_lists_every_service_route_with_scopes(http):
    doc = (await http.get("/openapi.json")).json()
    paths = doc["paths"]
    assert "/auth/token" in paths and "/.well-known/jwks.json" in paths
    # the test double stands for registry and insurance; payments is down
    for prefix in ("/registry", "/insurance"):
        assert f"{prefix}/scoped/read" in paths and f"{prefix}/health" in paths
    op = paths["/registry/scoped/write"]["post"]
    assert op["security"] == [{"OAuth2": ["registry:write"]}]
    flows = doc["components"]["securitySchemes"]["OAuth2"]["flows"]["clientCredentials"]
    assert flows["tokenUrl"] == "/auth/token" and "payments:disburse" in flows["scopes"]
    # schemas are namespaced per service and every reference resolves
    import json as _json

    refs = {r.split("/")[-1] for r in _json.dumps(doc).split('"$ref": "')[1:] for r in [r.split('"')[0]]}
    assert refs <= set(doc["components"]["schemas"])
    assert (await http.get("/docs")).status_code == 200
