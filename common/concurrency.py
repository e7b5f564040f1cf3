"""Optimistic concurrency over HTTP: ``ETag`` carries a record's version, updates send ``If-Match``.

A missing ``If-Match`` gets ``428``, a stale one ``412`` with the current ETag, so two clients editing the same
record never overwrite each other silently.
"""

from __future__ import annotations

from .errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int, what: str = "record") -> None:
    """Pass when ``if_match`` names ``version`` (or ``*``); else 428 (missing) or 412 (stale)."""
    if if_match is None:
        raise PreconditionRequired(
            f"this update needs an If-Match header with the {what}'s ETag", current_version=version
        )
    for tag in (t.strip() for t in if_match.split(",")):
        if tag == "*" or tag.removeprefix("W/").strip('"') == str(version):
            return
    raise PreconditionFailed(
        f"the {what} has changed: it is at version {version}; re-read it and retry",
        headers={"ETag": etag(version)},
        current_version=version,
        current_etag=etag(version),
    )
